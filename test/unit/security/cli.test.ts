// Issue 11 through the CLI: values the engine cannot represent are errors at the value (item 2),
// --junit never destroys an input and writes atomically (item 4), budgets stop runs with a clear
// error (item 6), a crash in one file of a batch is that file's failed suite (item 2), and the
// smaller items (item 8): escaped control characters, empty files, --junit=, help COMMAND.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from '../cli/runCliForTest';
import * as engineSession from '../../../src/simulator/engine/session';

const ROOT = path.resolve(__dirname, '../../../..');
const PLAIN = path.join(ROOT, 'examples/plain-vm.vmbus');

const HEAD = 'scenario "h"\nplatform {\n  isolation snp\n}\nparavisor {\n  confidential_vmbus yes\n}\n';

describe('security: the CLI on hostile files', function () {
  this.timeout(60000);
  let dir: string;
  const write = (name: string, text: string): string => { const p = path.join(dir, name); fs.writeFileSync(p, text); return p; };
  before(() => { dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-cli-sec-'))); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Each of these crashed the engine (exit 3 and a stack trace) before the limits table.
  const cases: [string, string, RegExp][] = [
    ['ring 16m', 'device d storvsc {\n  ring 16m\n}\n', /:9:3: error: the send and receive rings together are 8192 pages; their GPADL describes at most 8190/],
    ['ring 1048576m', 'device d storvsc {\n  ring 1048576m\n}\n', /:9:8: error: a ring of 1099511627776 bytes is too large: at most 33538048 bytes/],
    ['buffer_gpadl 8191', 'device d storvsc {\n  buffer_gpadl 8191\n}\n', /:9:16: error: 8191 is out of range \(1\.\.8190\)/],
    ['mmio 65536', 'device d storvsc {\n  mmio 65536\n}\n', /:9:8: error: 65536 is out of range \(0\.\.65535\)/],
    ['mmio 64m (a size)', 'device d storvsc {\n  mmio 65536m\n}\n', /error: mmio of 65536 MiB is out of range \(0\.\.65535 MiB: mmio_megabytes is a u16/],
    ['flags=4294967295', 'device d storvsc\nfault host-offer-confidential-flags device d flags=4294967295\n', /:9:52: error: flags=4294967295 is out of range \(0\.\.65535: chn_flags is a u16\)/],
    ['monitorid=256', 'device d storvsc\nfault host-monitor-id-out-of-range device d monitorid=256\n', /error: monitorid=256 is out of range \(0\.\.255: monitorid is a u8\)/],
    ['status=4294967296', 'device d storvsc\nfault gpadl-fails device d status=4294967296\n', /error: status=4294967296 is out of range \(0\.\.0xffffffff: creation_status is a u32\)/],
    ['msgtype="nope"', 'device d storvsc\nfault host-forged-untrusted-message msgtype="nope"\n', /error: msgtype must be a CHANNELMSG_\* name, not "nope"/],
  ];
  for (const [name, body, expected] of cases) {
    it(`${name}: an error at the value, exit 2, no stack trace`, async () => {
      const r = await cli(['run', write('v.vmbus', HEAD + body)]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, expected);
      assert.doesNotMatch(r.err, /internal error|\n\s+at /);
    });
  }

  it('the largest values in range run (ring 32752k 8k: 8190 pages in one GPADL)', async () => {
    const r = await cli(['run', write('max.vmbus', HEAD + 'device d storvsc {\n  ring 32752k 8k\n  mmio 65535\n  buffer_gpadl 8190\n}\n')]);
    assert.equal(r.code, 0, r.err);
  });

  it('--junit refuses a .vmbus target and any input of the run; the input is intact', async () => {
    const a = write('a.vmbus', fs.readFileSync(PLAIN, 'utf8'));
    const b = write('b.vmbus', fs.readFileSync(PLAIN, 'utf8'));
    const before = fs.readFileSync(a, 'utf8');
    // `run a.vmbus --junit b.vmbus` mistyped as `run --junit a.vmbus b.vmbus`
    let r = await cli(['run', '--junit', a, b]);
    assert.equal(r.code, 2);
    assert.match(r.err, /refusing to write a report over a \.vmbus file/);
    assert.equal(fs.readFileSync(a, 'utf8'), before);
    const input = write('input.txt', 'scenario "x"\nplatform {\n  isolation snp\n}\n');
    r = await cli(['run', input, '--junit', input]);
    assert.equal(r.code, 2);
    assert.match(r.err, /refusing to overwrite .*input\.txt, an input of this run/);
    assert.equal(fs.readFileSync(input, 'utf8'), 'scenario "x"\nplatform {\n  isolation snp\n}\n');
  });

  it('--junit writes atomically: the report appears whole and no temporary file is left', async () => {
    const report = path.join(dir, 'report.xml');
    fs.writeFileSync(report, 'old');
    const r = await cli(['run', PLAIN, '--junit', report]);
    assert.equal(r.code, 0);
    assert.match(fs.readFileSync(report, 'utf8'), /^<\?xml[\s\S]*<\/testsuites>\n$/);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('a crash in one file of a batch is its failed suite; the batch and the report go on', async () => {
    const crashing = write('crash.vmbus', fs.readFileSync(PLAIN, 'utf8').replace(/scenario "[^"]*"/, 'scenario "boom"'));
    const real = engineSession.runScenario;
    (engineSession as { runScenario: typeof real }).runScenario = (cfg, opts) => {
      if (cfg.name === 'boom') throw new TypeError('simulated engine failure');
      return real(cfg, opts);
    };
    try {
      const report = path.join(dir, 'batch.xml');
      const r = await cli(['run', crashing, PLAIN, '--junit', report]);
      assert.equal(r.code, 3);
      assert.match(r.err, /crash\.vmbus: internal error of the simulator: simulated engine failure/);
      assert.doesNotMatch(r.err, /\n\s+at /);
      assert.match(r.out, /2 scenarios: 1 passed, 0 failed, 0 invalid, 1 internal errors/);
      const xml = fs.readFileSync(report, 'utf8');
      assert.match(xml, /<testsuites tests="\d+" failures="0" errors="1">/);
      assert.match(xml, /<error message="internal error of the simulator: simulated engine failure">/);
    } finally {
      (engineSession as { runScenario: typeof real }).runScenario = real;
    }
  });

  it('the events budget stops a run whose every value is in range (6 devices x 64 sub-channels x 100,000 packets)', async () => {
    const devices = Array.from({ length: 6 }, (_, i) => `device d${i} storvsc {\n  subchannels 64\n  packets 100000\n}\n`).join('');
    const r = await cli(['run', write('huge.vmbus', HEAD + devices), '--max-events', '20000']);
    assert.equal(r.code, 2);
    assert.match(r.err, /huge\.vmbus: stopped: the run exceeded the events budget of 20000 events \(raise it with --max-events\)/);
  });

  it('the output budget stops a run whose trace is longer than --max-output', async () => {
    const r = await cli(['run', PLAIN, '--max-output', '1000']);
    assert.equal(r.code, 2);
    assert.ok(r.out.length <= 1200, `${r.out.length} characters printed`);
    assert.match(r.err, /stopped: the trace output exceeded the budget of 1000 bytes \(raise it with --max-output, 0 = unlimited\)/);
  });

  it('control characters of a scenario name are escaped, never printed raw', async () => {
    const r = await cli(['run', write('esc.vmbus', HEAD.replace('scenario "h"', 'scenario "a\u001b[31mred\u0007"'))]);
    assert.match(r.out, /scenario: a\\x1b\[31mred\\x07 /);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(r.out + r.err, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it('an empty file is an error: no statements', async () => {
    const r = await cli(['run', write('empty.vmbus', '')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /empty\.vmbus:1:1: error: no statements/);
  });

  it('usage errors are errors: --junit= with no value, an unknown option, a bad --max-events', async () => {
    for (const args of [['--junit=', PLAIN], ['--bogus', PLAIN], ['--max-events', 'lots', PLAIN], ['--seed']]) {
      const r = await cli(['run', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, /vmbus-lab run: /);
    }
  });

  it('import never reads /dev/zero or a FIFO, and refuses an input over --max-bytes', async function () {
    if (process.platform === 'win32') this.skip();
    const fifo = path.join(dir, 'log.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const f of ['/dev/zero', fifo]) {
      const r = await cli(['import', f]);
      assert.equal(r.code, 2);
      assert.match(r.err, /cannot read: not a regular file/);
    }
    const log = write('lsvmbus.txt', 'VMBUS ID  1: Class_ID = {ba6163d9-04a1-4d29-b605-72e2ffb1dc7f} - Synthetic SCSI Controller\n');
    const r = await cli(['import', log, '--max-bytes', '10']);
    assert.equal(r.code, 2);
    assert.match(r.err, /file too large \(\d+ bytes; the limit is 10 bytes\) \(raise it with --max-bytes\)/);
    const bad = await cli(['import', log, '--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /vmbus-lab import: Unknown option '--bogus'/);
  });

  it('help COMMAND prints that command\'s usage; --version prints the version', async () => {
    const h = await cli(['help', 'run']);
    assert.equal(h.code, 0);
    assert.match(h.out, /^usage: vmbus-lab run FILE\.vmbus/);
    const v = await cli(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.out, /^vmbus-lab (dev|\d+\.\d+\.\d+)\n$/);
  });

  describe('decode / encode parse their arguments strictly (util.parseArgs), spawned from dist/cli.js', () => {
    const DIST = path.join(ROOT, 'dist', 'cli.js');
    const spawn = (args: string[], input?: string) => spawnSync(process.execPath, [DIST, ...args], { encoding: 'utf8', input: input ?? '' });
    before(function () { if (!fs.existsSync(DIST)) this.skip(); });

    const usageErrors: [string[], RegExp][] = [
      [['decode', '--bogus', '07000000'], /^vmbus-lab decode: Unknown option '--bogus'/],
      [['decode', '--hex'], /^vmbus-lab decode: Option '--hex <value>' argument missing/],
      [['decode', '--hex='], /^vmbus-lab decode: --hex needs a value/],
      [['decode', '--slot=yes', '00'], /^vmbus-lab decode: Option '--slot' does not take an argument/],
      [['encode', '--bogus', '{}'], /^vmbus-lab encode: Unknown option '--bogus'/],
      [['encode', '--json'], /^vmbus-lab encode: Option '--json <value>' argument missing/],
      [['encode', '--json='], /^vmbus-lab encode: --json needs a value/],
      [['encode', '--json', '{"msgtype":"CHANNELMSG_UNLOAD"}', '{"msgtype":"CHANNELMSG_UNLOAD"}'], /^vmbus-lab encode: one JSON message at a time/],
    ];
    for (const [args, expected] of usageErrors) {
      it(`${args.join(' ')}: exit 2, names the option, prints the usage, nothing on stdout`, () => {
        const r = spawn(args);
        assert.equal(r.status, 2, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, expected);
        assert.match(r.stderr, new RegExp(`usage: vmbus-lab ${args[0]} `));
      });
    }

    for (const cmd of ['decode', 'encode']) {
      it(`help ${cmd} and ${cmd} --help print ${cmd}'s own usage, exit 0`, () => {
        for (const args of [['help', cmd], [cmd, '--help'], [cmd, '-h']]) {
          const r = spawn(args);
          assert.equal(r.status, 0, args.join(' '));
          assert.match(r.stdout, new RegExp(`^usage: vmbus-lab ${cmd} `), args.join(' '));
        }
      });
    }

    it('bytes split over --hex and bare arguments keep their order; --allow-openvmm still works', () => {
      // CHANNELMSG_CLOSECHANNEL (7), relid 5: the header, padding and relid in three arguments.
      const r = spawn(['decode', '--hex', '07000000', '00000000', '--pretty', '05000000']);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: 5 });
      // msgtype 26 (CHANNELMSG_MODIFY_CONNECTION_RESPONSE) is OpenVMM-only: refused unless allowed.
      const hex = '1a000000 00000000 00';
      assert.equal(spawn(['decode', hex]).status, 2);
      for (const flag of ['--openvmm', '--allow-openvmm']) {
        const o = spawn(['decode', flag, hex]);
        assert.equal(o.status, 0, o.stderr);
        assert.deepEqual(JSON.parse(o.stdout), { msgtype: 'CHANNELMSG_MODIFY_CONNECTION_RESPONSE', connection_state: 0 });
      }
    });
  });
});
