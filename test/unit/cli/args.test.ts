// Strict argument handling of check, whatif, run --log and run --lsvmbus/--dmesg/--sysfs (Node's
// util.parseArgs, strict, as decode/encode/faults/import/run parse theirs): an unknown option, an
// option without its value and a bad value exit 2 with a message naming the option and the value;
// a valid invocation still does what the command's usage (and docs/importers.md) says.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from './runCliForTest';

const ROOT = path.resolve(__dirname, '../../../..');
// Hand-written trace-cmd report of a 2-CPU guest (header `cpus=2`), one netvsc channel; line 14 is
// its vmbus_open with target_vp 0x1 (the fixture's own comment cites drivers/hv/hv_trace.h).
const TRACE = path.join(ROOT, 'test/fixtures/logtrace/netvsc-open.trace');
const LSVMBUS = path.join(ROOT, 'test/fixtures/real/lsvmbus-1.txt');
const PLAIN = path.join(ROOT, 'examples/plain-vm.vmbus');

/** Exit 2, nothing on stdout, and stderr matching every pattern. */
async function refused(args: string[], ...patterns: RegExp[]): Promise<void> {
  const r = await cli(args);
  assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}${r.out}`);
  assert.equal(r.out, '', args.join(' '));
  for (const p of patterns) assert.match(r.err, p, args.join(' '));
}

describe('vmbus-lab check: strict arguments', function () {
  this.timeout(60000);

  it('an unknown option exits 2 naming it, with the usage', async () => {
    await refused(['check', TRACE, '--bogus'], /^vmbus-lab check: Unknown option '--bogus'/, /usage: vmbus-lab check LOG/);
    await refused(['check', TRACE, '-x'], /Unknown option '-x'/);
    await refused(['check', TRACE, '--json=yes'], /'--json' does not take an argument/);
  });

  it('an option without its value exits 2 naming the option', async () => {
    await refused(['check', TRACE, '--seed'], /Option '--seed <value>' argument missing/);
    await refused(['check', TRACE, '--scenario'], /Option '--scenario <value>' argument missing/);
    await refused(['check', TRACE, '--format', '--json'], /'--format' argument is ambiguous/);
    await refused(['check', TRACE, '--scenario='], /^vmbus-lab check: --scenario needs a file$/m);
  });

  it('a bad value exits 2 naming the option and the value', async () => {
    await refused(['check', TRACE, '--seed', 'abc'], /--seed needs a number from 0 to 4294967295, not 'abc'/);
    await refused(['check', TRACE, '--seed=4294967296'], /--seed needs a number from 0 to 4294967295, not '4294967296'/);
    await refused(['check', TRACE, '--format', 'xml'], /--format is one of .*trace.*, not 'xml'/);
    await refused(['check', TRACE, TRACE], /one log at a time/);
    await refused(['check'], /usage: vmbus-lab check LOG/);
  });

  it('valid: the fixture trace against the model differs (exit 1) at its line 14, vmbus_open target_vp 1; --help exits 0', async () => {
    const r = await cli(['check', TRACE, '--seed', '0x7', '--format=trace']);
    assert.equal(r.code, 1, r.err);
    assert.ok(r.out.startsWith(`${TRACE}:14: field: vmbus_open target_vp: the real guest has 1 (0x1)`), r.out);
    const j = await cli(['check', '--json', TRACE]);
    assert.equal(j.code, 1, j.err);
    assert.equal((JSON.parse(j.out) as { file: string }).file, TRACE);
    const h = await cli(['help', 'check']);
    assert.equal(h.code, 0);
    for (const o of ['--scenario', '--format', '--json', '--data-path', '--seed']) assert.ok(h.out.includes(o), o);
  });

  it('valid: a log printed from the model\'s own run agrees with it (exit 0)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-args-'));
    try {
      const trace = await cli(['run', PLAIN, '--trace-cmd']);
      assert.equal(trace.code, 0, trace.err);
      const log = path.join(dir, 'plain.trace');
      fs.writeFileSync(log, trace.out);
      const r = await cli(['check', log, '--scenario', PLAIN, '--data-path']);
      assert.equal(r.code, 0, r.err + r.out);
      assert.match(r.out, /0 differences/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('vmbus-lab whatif: strict arguments', function () {
  this.timeout(60000);

  it('an unknown option exits 2 naming it, with the usage', async () => {
    await refused(['whatif', LSVMBUS, '--csv'], /^vmbus-lab whatif: Unknown option '--csv'/, /usage: vmbus-lab whatif LOG/);
  });

  it('a value given to --json, or a second log, exits 2 naming it', async () => {
    await refused(['whatif', LSVMBUS, '--json=1'], /'--json' does not take an argument/);
    await refused(['whatif', LSVMBUS, 'extra.txt'], /one log at a time \('extra\.txt'\)/);
    await refused(['whatif'], /usage: vmbus-lab whatif LOG/);
  });

  it('valid: lsvmbus-1 (netvsc11 is a "Synthetic network adapter" there) prints the summary, exit 0; --json is JSON', async () => {
    const r = await cli(['whatif', LSVMBUS]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\| netvsc11 \| netvsc \|/m);
    const j = await cli(['whatif', '--json', LSVMBUS]);
    assert.equal(j.code, 0, j.err);
    assert.equal(typeof JSON.parse(j.out), 'object');
    const h = await cli(['whatif', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /usage: vmbus-lab whatif LOG \[--json\]/);
  });
});

describe('vmbus-lab run --log: strict arguments', function () {
  this.timeout(60000);

  it('an option run has but --log does not take (--seed), or an unknown one, exits 2 naming it', async () => {
    await refused(['run', '--log', TRACE, '--seed', '1'], /^vmbus-lab run: Unknown option '--seed'/, /with --log: only --json and --format/);
    await refused(['run', '--log', TRACE, '--bogus'], /Unknown option '--bogus'/);
    await refused(['run', '--log', TRACE, PLAIN], /Unexpected argument '.*plain-vm\.vmbus'/);
  });

  it('--log or --format without a value exits 2 naming it', async () => {
    await refused(['run', '--log'], /Option '--log <value>' argument missing/);
    await refused(['run', '--log='], /^vmbus-lab run: --log needs a file$/m);
    await refused(['run', '--log', TRACE, '--format'], /Option '--format <value>' argument missing/);
  });

  it('a bad value exits 2 naming it: --format not a format, two logs', async () => {
    await refused(['run', '--log', TRACE, '--format', 'nope'], /--format is one of .*dmesg.*, not 'nope'/);
    await refused(['run', '--log', TRACE, '--log', TRACE], /one --log at a time/);
  });

  it('valid: the fixture as a trace, 2 CPUs (its cpus=2 header), with --format=trace and --json; --help is run\'s usage', async () => {
    const r = await cli(['run', '--log', TRACE, '--format=trace']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^log: .*netvsc-open\.trace \(trace, \d+ events, 2 CPUs\)$/m);
    const j = await cli(['run', `--log=${TRACE}`, '--json']);
    assert.equal(j.code, 0, j.err);
    const lines = j.out.trim().split('\n');
    assert.ok(lines.length > 0);
    for (const l of lines) JSON.parse(l);
    const h = await cli(['run', '--log', TRACE, '--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /vmbus-lab run --log LOG \[--json\] \[--format F\]/);
  });
});

describe('vmbus-lab run --lsvmbus / --dmesg / --sysfs: strict arguments', function () {
  this.timeout(60000);

  it('an option that does not go with them (--json), or an unknown one, exits 2 naming it', async () => {
    await refused(['run', PLAIN, '--lsvmbus', '--json'], /^vmbus-lab run: Unknown option '--json'/, /only a scenario file, --seed N and --design/);
    await refused(['run', PLAIN, '--dmesg', '--bogus'], /Unknown option '--bogus'/);
    await refused(['run', PLAIN, '--lsvmbus=1'], /'--lsvmbus' does not take an argument/);
  });

  it('an option without its value exits 2 naming it', async () => {
    await refused(['run', PLAIN, '--sysfs'], /Option '--sysfs <value>' argument missing/);
    await refused(['run', PLAIN, '--sysfs='], /^vmbus-lab run: --sysfs needs a folder$/m);
    await refused(['run', PLAIN, '--lsvmbus', '--seed'], /Option '--seed <value>' argument missing/);
    await refused(['run', PLAIN, '--lsvmbus', '--design', '--seed', '1'], /'--design' argument is ambiguous/);
  });

  it('a bad value exits 2 naming it: --seed not a number, --design not probe|cpuid, two formats, two files', async () => {
    await refused(['run', PLAIN, '--lsvmbus', '--seed', 'x1'], /--seed needs a number from 0 to 4294967295, not 'x1'/);
    await refused(['run', PLAIN, '--dmesg', '--design=maybe'], /--design is probe or cpuid, not 'maybe'/);
    await refused(['run', PLAIN, '--dmesg', '--lsvmbus'], /--dmesg and --lsvmbus exclude each other/);
    await refused(['run', PLAIN, PLAIN, '--lsvmbus'], /one scenario at a time with --lsvmbus/);
    await refused(['run', '--lsvmbus'], /usage: vmbus-lab run FILE\.vmbus --lsvmbus \| --dmesg \| --sysfs DIR/);
  });

  it('valid: --lsvmbus prints lsvmbus -vv (storvsc class ba6163d9-… is "Synthetic SCSI Controller" in tools/hv/lsvmbus), exit 0', async () => {
    const r = await cli(['run', PLAIN, '--lsvmbus', '--seed', '7', '--design', 'cpuid']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^VMBUS ID +\d+: Class_ID = \{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f\} - Synthetic SCSI Controller$/m);
  });

  it('valid: --sysfs=DIR writes DIR/<instance>/class_id (the /sys/bus/vmbus/devices layout), exit 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-args-'));
    try {
      const r = await cli(['run', `--sysfs=${dir}`, PLAIN]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^\d+ devices written under /);
      const classes = fs.readdirSync(dir).map((d) => fs.readFileSync(path.join(dir, d, 'class_id'), 'utf8').trim());
      assert.ok(classes.includes('{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}'), classes.join(' '));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
