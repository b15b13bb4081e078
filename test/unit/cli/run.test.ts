import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/cli';
import '../../../src/cli/commands/index';
import { junitXml } from '../../../src/cli/commands/run';

const ROOT = path.resolve(__dirname, '../../../..');
const EXAMPLES = path.join(ROOT, 'examples');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['run', ...args], { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
  return { code, out, err };
}

describe('vmbus-lab run', function () {
  this.timeout(60000);
  const examples = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.vmbus'));

  for (const f of examples) {
    it(`runs examples/${f} green (exit 0)`, async () => {
      const r = await run([path.join(EXAMPLES, f)]);
      assert.equal(r.code, 0, `${f}\n${r.err}\n${r.out.split('\n').filter((l) => /FAIL|^ {10}/.test(l)).join('\n')}`);
      assert.match(r.out, /time\(us\)\s+vp\s+from\s+to\s+synic\s+path\s+event/);
      assert.match(r.out, /all \d+ expectations hold/);
      assert.equal(r.err, '');
    });
  }

  it('gives exit 2 and file:line:col (1-based) for an invalid file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-run-'));
    const file = path.join(dir, 'broken.vmbus');
    fs.writeFileSync(file, 'platform {\n  isolation sev\n}\ndevice d storvscc\n');
    const r = await run([file]);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(`${file}:2:13: error: unknown isolation 'sev'`), r.err);
    assert.ok(r.err.includes(`${file}:4:10: error: unknown device class 'storvscc'`), r.err);
    assert.equal(r.out, '');
  });

  it('gives exit 1 when an expectation fails, and writes JUnit XML', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-run-'));
    const file = path.join(dir, 'fails.vmbus');
    fs.writeFileSync(file, 'scenario "fails"\nplatform {\n  isolation none\n}\ndevice d storvsc\nexpect {\n  version 4.0\n  channel d open\n}\n');
    const junit = path.join(dir, 'out.xml');
    const r = await run([file, '--junit', junit]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /FAIL .*fails\.vmbus:7 +version 4\.0/);
    const xml = fs.readFileSync(junit, 'utf8');
    assert.match(xml, /<testsuite name="fails" tests="2" failures="1"/);
    assert.match(xml, /<failure message="negotiated 6\.0">/);
  });

  it('--json prints one trace event per line', async () => {
    const r = await run([path.join(EXAMPLES, 'plain-vm.vmbus'), '--json']);
    assert.equal(r.code, 0);
    const lines = r.out.trim().split('\n');
    assert.ok(lines.length > 10);
    const events = lines.map((l) => JSON.parse(l) as { seq: number; kind: string });
    events.forEach((e, i) => assert.equal(e.seq, i));
    assert.ok(events.some((e) => e.kind === 'message'));
  });

  it('--design and --seed override the file; deterministic output', async () => {
    const f = path.join(EXAMPLES, 'fallback-probe.vmbus');
    const a = await run([f, '--seed', '5']);
    const b = await run([f, '--seed', '5']);
    assert.equal(a.out, b.out);
    assert.match(a.out, /seed 5, design probe/);
    const c = await run([f, '--design', 'cpuid']);
    assert.match(c.out, /design cpuid/);
    assert.equal(c.code, 1, 'the fallback expectation fails under the merged design');
  });

  it('rejects bad arguments with exit 2', async () => {
    assert.equal((await run([])).code, 2);
    assert.equal((await run(['x.vmbus', '--design', 'maybe'])).code, 2);
    assert.equal((await run(['x.vmbus', '--seed', 'abc'])).code, 2);
    assert.equal((await run(['x.vmbus', '--bogus'])).code, 2);
    assert.equal((await run([path.join(EXAMPLES, 'does-not-exist.vmbus')])).code, 2);
  });

  it('runs several files (a shell glob): each trace, a summary, the worst exit code, one JUnit suite per file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-run-'));
    const failing = path.join(dir, 'fails.vmbus');
    fs.writeFileSync(failing, 'scenario "fails"\nplatform {\n  isolation none\n}\ndevice d storvsc\nexpect {\n  version 4.0\n}\n');
    const broken = path.join(dir, 'broken.vmbus');
    fs.writeFileSync(broken, 'platform {\n  isolation sev\n}\n');
    const plain = path.join(EXAMPLES, 'plain-vm.vmbus');
    const cpuid = path.join(EXAMPLES, 'cpuid-design.vmbus');

    const green = await run([plain, cpuid]);
    assert.equal(green.code, 0, green.err);
    assert.equal(green.out.match(/time\(us\)\s+vp\s+from/g)?.length, 2, 'a trace per file');
    assert.match(green.out, /2 scenarios: 2 passed, 0 failed, 0 invalid/);

    const junit = path.join(dir, 'all.xml');
    const mixed = await run([plain, failing, broken, '--junit', junit]);
    assert.equal(mixed.code, 2, 'an invalid file wins over a failed expectation');
    assert.match(mixed.out, /3 scenarios: 1 passed, 1 failed, 1 invalid/);
    assert.ok(mixed.err.includes(`${broken}:2:13: error: unknown isolation 'sev'`), mixed.err);
    const xml = fs.readFileSync(junit, 'utf8');
    assert.equal(xml.match(/<testsuite /g)?.length, 3);
    assert.match(xml, /<testsuite name="Plain VM" tests="\d+" failures="0"/);
    assert.match(xml, /<testsuite name="fails" tests="1" failures="1"/);
    assert.match(xml, /<error message="[^"]*broken\.vmbus:2:13: error: unknown isolation/);

    assert.equal((await run([plain, failing])).code, 1);
  });

  it('escapes JUnit XML', () => {
    const xml = junitXml('a<b', 'f.vmbus', [{ ok: false, text: 'log "x & y"', detail: '<absent>' }]);
    assert.match(xml, /name="a&lt;b"/);
    assert.match(xml, /log &quot;x &amp; y&quot;/);
    assert.match(xml, /message="&lt;absent&gt;"/);
  });
});
