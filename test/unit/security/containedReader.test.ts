// Issue 11, item 3: includes are contained. On a temporary tree: a symbolic link leaving the
// workspace, one to /dev/zero, a FIFO, a directory and an oversized file are refused with a reason
// (and nothing blocks), while a link that stays inside the workspace is followed.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createContainedReader, readRegularFile } from '../../../src/node/containedReader';
import { parseScenarioFile } from '../../../src/node/loadScenario';

const posix = process.platform !== 'win32';

describe('security: contained reader', function () {
  this.timeout(10000);
  let tmp: string;
  let ws: string;

  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-contained-')));
    ws = path.join(tmp, 'ws');
    fs.mkdirSync(path.join(ws, 'sub'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'outside'));
    fs.writeFileSync(path.join(tmp, 'outside', 'secret.txt'), 'TOPSECRET words\n');
    fs.writeFileSync(path.join(ws, 'shared.vmbus'), 'seed 7\n');
    fs.writeFileSync(path.join(ws, 'big.vmbus'), '# x\n'.repeat(1000));
    if (posix) {
      fs.symlinkSync(path.join(tmp, 'outside', 'secret.txt'), path.join(ws, 'secret.vmbus'));
      fs.symlinkSync(path.join(tmp, 'outside'), path.join(ws, 'outdir'));
      fs.symlinkSync('/dev/zero', path.join(ws, 'zero.vmbus'));
      fs.symlinkSync(path.join(ws, 'shared.vmbus'), path.join(ws, 'sub', 'alias.vmbus'));
      execFileSync('mkfifo', [path.join(ws, 'fifo.vmbus')]);
    }
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a regular file inside the workspace, and a link that stays inside', async () => {
    const r = createContainedReader(ws);
    assert.deepEqual(await r.read(path.join(ws, 'shared.vmbus')), { ok: true, text: 'seed 7\n' });
    if (posix) assert.deepEqual(await r.read(path.join(ws, 'sub', 'alias.vmbus')), { ok: true, text: 'seed 7\n' });
  });

  (posix ? it : it.skip)('refuses a symbolic link (file or directory) that leads outside the workspace', async () => {
    const r = createContainedReader(ws);
    for (const p of [path.join(ws, 'secret.vmbus'), path.join(ws, 'outdir', 'secret.txt')]) {
      const res = await r.read(p);
      assert.equal(res.ok, false);
      assert.match((res as { reason: string }).reason, /outside the workspace/);
    }
  });

  (posix ? it : it.skip)('refuses /dev/zero and a FIFO without reading or blocking', async () => {
    // The link to /dev/zero leaves the workspace; read it directly too, as readRegularFile would.
    assert.equal((await createContainedReader(ws).read(path.join(ws, 'zero.vmbus'))).ok, false);
    assert.deepEqual(await readRegularFile('/dev/zero'), { ok: false, reason: 'not a regular file' });
    assert.deepEqual(await createContainedReader(ws).read(path.join(ws, 'fifo.vmbus')), { ok: false, reason: 'not a regular file' });
    assert.deepEqual(await readRegularFile(path.join(ws, 'fifo.vmbus')), { ok: false, reason: 'not a regular file' });
  });

  it('refuses a directory, a missing file and a file over the size cap', async () => {
    const r = createContainedReader(ws, { maxBytes: 100 });
    assert.deepEqual(await r.read(path.join(ws, 'sub')), { ok: false, reason: 'a directory, not a file' });
    assert.deepEqual(await r.read(path.join(ws, 'nope.vmbus')), { ok: false, reason: 'not found' });
    assert.deepEqual(await r.read(path.join(ws, 'big.vmbus')), { ok: false, reason: 'file too large (4000 bytes; the limit is 100 bytes)' });
  });

  (posix ? it : it.skip)('a scenario including them gets one error per include, and the secret never appears', async () => {
    const entry = path.join(ws, 'main.vmbus');
    const text = 'scenario "t"\ninclude "secret.vmbus"\ninclude "zero.vmbus"\ninclude "fifo.vmbus"\ninclude "outdir/secret.txt"\ninclude "shared.vmbus"\n';
    fs.writeFileSync(entry, text);
    const res = await parseScenarioFile(entry, { workspaceRoot: ws });
    assert.ok(res.ok);
    const d = res.parsed.diagnostics;
    assert.deepEqual(d.map((x) => [x.code, x.range.line]), [
      ['include.unreadable', 1], ['include.unreadable', 2], ['include.unreadable', 3], ['include.unreadable', 4],
    ]);
    assert.ok(!JSON.stringify(d).includes('TOPSECRET'));
    assert.match(d[2].message, /fifo\.vmbus': not a regular file/);
  });
});
