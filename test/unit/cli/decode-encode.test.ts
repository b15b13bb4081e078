// CLI decode/encode: round trip of every message type through runCli, hex input forms, slots,
// errors with exit code 2, and an end-to-end check of the bundled CLI.
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/cli';
import '../../../src/cli/commands/decode';
import '../../../src/cli/commands/encode';
import { ALL_FORMS, formArb } from '../protocol/arbitraries';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await runCli(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
  return { code, out, err };
}

const ROOT = path.resolve(__dirname, '../../../..');

describe('cli: decode / encode', () => {
  it('round-trips every message type and form: encode --json, then decode --hex', async () => {
    for (const c of ALL_FORMS) {
      for (const x of fc.sample(formArb(c.layout, c.form, false), { numRuns: 5, seed: 7 })) {
        const e = await cli('encode', '--json', JSON.stringify(x));
        assert.equal(e.code, 0, e.err);
        const hex = e.out.trim();
        assert.match(hex, /^[0-9a-f]+$/);
        const d = await cli('decode', '--hex', hex, ...(c.allowOpenVmm ? ['--openvmm'] : []));
        assert.equal(d.code, 0, d.err);
        assert.deepEqual(JSON.parse(d.out), x, `${c.layout.name} ${c.form.struct}`);
        assert.equal(d.out.trim().split('\n').length, 1, 'one JSON object on one line');
      }
    }
  });

  it('accepts spaced and 0x-prefixed bytes, also split over several arguments', async () => {
    const want = { msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: 5 };
    for (const args of [['07 00 00 00 00 00 00 00 05 00 00 00'], ['0x07,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x05,0x00,0x00,0x00'], ['07000000', '00000000', '05000000'], ['070000000000000005000000']]) {
      const d = await cli('decode', '--hex', ...args);
      assert.equal(d.code, 0, d.err);
      assert.deepEqual(JSON.parse(d.out), want);
    }
    const e = await cli('encode', '--json', JSON.stringify(want));
    assert.equal(e.out, '070000000000000005000000\n');
  });

  it('decode --slot decodes a whole 256-byte hv_message; encode --slot gives it back', async () => {
    const slot = '01000000' + '0c' + '01' + '0000' + '0000000000000000' + '020000000000000005000000' + '00'.repeat(228);
    const d = await cli('decode', '--slot', '--hex', slot);
    assert.equal(d.code, 0, d.err);
    const v = JSON.parse(d.out);
    assert.deepEqual(v, { message_type: 1, payload_size: 12, msg_pending: 1, port: 0, message: { msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: 5 } });
    const e = await cli('encode', '--slot', '--json', d.out);
    assert.equal(e.code, 0, e.err);
    assert.equal(e.out.trim(), slot);
    const short = await cli('decode', '--slot', '--hex', '01000000');
    assert.equal(short.code, 2);
  });

  it('warnings go to stderr, the JSON to stdout', async () => {
    const d = await cli('decode', '--hex', '07000000 01000000 05000000');
    assert.equal(d.code, 0);
    assert.deepEqual(JSON.parse(d.out), { msgtype: 'CHANNELMSG_CLOSECHANNEL', header_padding: 1, child_relid: 5 });
    assert.match(d.err, /warning: reserved field 'header_padding'/);
  });

  it('invalid input: a clear error on stderr and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['decode', '--hex', '0e00zz00'], /error \[bad-hex\]: invalid hex character 'z' at position 4/],
      [['decode', '--hex', '0e0'], /error \[bad-hex\]: odd number of hex digits/],
      [['decode'], /--hex <hex> is required/],
      [['decode', '--hex', '1f000000 00000000'], /error \[unknown-msgtype\]: unknown msgtype=31/],
      [['decode', '--hex', '01000000 00000000'], /error \[too-short\]: message too short: msgtype=1 len=8.*field=offer.if_type, offset=8/],
      [['decode', '--hex', '04000000' + '00'.repeat(240)], /error \[too-large\]: payload size is too large \(244\)/],
      [['encode', '--json', '{nope'], /error \[bad-json\]: invalid JSON/],
      [['encode', '--json', '{"msgtype":"CHANNELMSG_CLOSECHANNEL","child_relid":-1}'], /error \[bad-field\].*child_relid/],
      [['encode', '--json', '{"msgtype":"CHANNELMSG_FOO"}'], /error \[unknown-msgtype\]/],
      [['encode'], /--json '<json>' is required/],
    ];
    for (const [argv, re] of cases) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.out, '', argv.join(' '));
      assert.match(r.err, re);
    }
  });

  it('takes the bytes / JSON without --hex / --json, and from standard input (decode | encode)', async () => {
    const hex = '070000000000000005000000';
    const d = await cli('decode', hex);
    assert.equal(d.code, 0, d.err);
    assert.deepEqual(JSON.parse(d.out), { msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: 5 });
    const e = await cli('encode', d.out.trim());
    assert.equal(e.code, 0, e.err);
    assert.equal(e.out, hex + '\n');
    // Piped: what decode printed goes into encode's standard input, and back.
    const piped = async (argv: string[], input: string) => {
      let out = '', err = '';
      const code = await runCli(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, stdin: async () => input });
      return { code, out, err };
    };
    const d2 = await piped(['decode'], hex + '\n');
    assert.equal(d2.code, 0, d2.err);
    const e2 = await piped(['encode'], d2.out);
    assert.equal(e2.code, 0, e2.err);
    assert.equal(e2.out, hex + '\n');
    // Arguments win over standard input; an empty pipe is still "no input".
    assert.equal((await piped(['decode', hex], 'zz')).code, 0);
    const empty = await piped(['encode'], '   \n');
    assert.equal(empty.code, 2);
    assert.match(empty.err, /--json '<json>' is required/);
  });

  describe('end to end (bundled CLI, spawned)', function () {
    this.timeout(60000);
    let dir = '';
    let bundle = '';
    before(async function () {
      // Bundle the CLI the way scripts/build.mjs does, but only with the commands this feature owns,
      // so the test does not depend on other features' in-progress modules.
      dir = mkdtempSync(path.join(os.tmpdir(), 'vmbus-cli-'));
      bundle = path.join(dir, 'cli.js');
      const esbuild = await import('esbuild');
      await esbuild.build({
        stdin: {
          contents: "import { runCli } from './src/cli/cli'; import './src/cli/commands/decode'; import './src/cli/commands/encode';\n" +
            'runCli(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }).then((c) => { process.exitCode = c; });',
          resolveDir: ROOT, loader: 'ts',
        },
        bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent',
      });
    });
    after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

    it('bad hex exits 2 with the error on stderr; good hex prints JSON and exits 0', () => {
      const bad = spawnSync(process.execPath, [bundle, 'decode', '--hex', 'xyz'], { encoding: 'utf8' });
      assert.equal(bad.status, 2);
      assert.equal(bad.stdout, '');
      assert.match(bad.stderr, /bad-hex/);
      const good = spawnSync(process.execPath, [bundle, 'decode', '--hex', '0x10 0 0 0 0 0 0 0'], { encoding: 'utf8' });
      assert.equal(good.status, 0, good.stderr);
      assert.deepEqual(JSON.parse(good.stdout), { msgtype: 'CHANNELMSG_UNLOAD' });
      const enc = spawnSync(process.execPath, [bundle, 'encode', '--json', '{"msgtype":"CHANNELMSG_REQUESTOFFERS"}'], { encoding: 'utf8' });
      assert.equal(enc.status, 0);
      assert.equal(enc.stdout, '0300000000000000\n');
    });

    it('dist/cli.js (after npm run build), when built with decode', function () {
      const dist = path.join(ROOT, 'dist', 'cli.js');
      if (!existsSync(dist)) this.skip();
      const help = spawnSync(process.execPath, [dist, '--help'], { encoding: 'utf8' });
      if (!/decode/.test(help.stdout)) this.skip();
      const bad = spawnSync(process.execPath, [dist, 'decode', '--hex', 'not hex'], { encoding: 'utf8' });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /bad-hex/);
    });

    it('dist/cli.js: decode HEX | encode gives the same bytes back', function () {
      const dist = path.join(ROOT, 'dist', 'cli.js');
      if (!existsSync(dist)) this.skip();
      const hex = '0e000000000000000000060000000000000000000000000000000000000000000000000000000000';
      const dec = spawnSync(process.execPath, [dist, 'decode', hex], { encoding: 'utf8' });
      assert.equal(dec.status, 0, dec.stderr);
      assert.equal(JSON.parse(dec.stdout).msgtype, 'CHANNELMSG_INITIATE_CONTACT');
      const enc = spawnSync(process.execPath, [dist, 'encode'], { encoding: 'utf8', input: dec.stdout });
      assert.equal(enc.status, 0, enc.stderr);
      assert.equal(enc.stdout, hex + '\n');
    });
  });
});
