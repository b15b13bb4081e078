import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from './runCliForTest';
import { parseScenario } from '../../../src/simulator/scenario/index';

const ROOT = path.resolve(__dirname, '../../../..');
const REAL = path.join(ROOT, 'test/fixtures/real');

describe('vmbus-lab import', function () {
  this.timeout(60000);

  it('is listed in the usage', async () => {
    const r = await cli(['--help']);
    assert.match(r.out, /^ {2}import {5}/m);
  });

  it('prints lsvmbus-1 as an aligned table (20 devices)', async () => {
    const file = path.join(REAL, 'lsvmbus-1.txt');
    const r = await cli(['import', file]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines[0], 'format lsvmbus (no flag), 20 devices');
    assert.match(lines[1], /^RELID {2}CLASS {12}DESCRIPTION {20}INSTANCE {2}CPUS {2}SUB {2}STATE {2}LINES$/);
    assert.equal(lines.length, 22);
    assert.match(r.out, /^11 {5}netvsc {11}Synthetic network adapter {6}- /m);
    assert.match(r.out, /^47 {5}hv_pci {11}PCI Express pass-through /m);
    const col = lines[1].indexOf('DESCRIPTION');
    for (const l of lines.slice(2)) assert.notEqual(l[col - 1], undefined);
  });

  it('prints --json with devices, version and diagnostics', async () => {
    const r = await cli(['import', path.join(REAL, 'dmesg-1.txt'), '--json']);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out);
    assert.equal(j.kind, 'dmesg');
    assert.equal(j.detected, true);
    assert.deepEqual(j.version, { major: 5, minor: 2, value: 0x50002, line: 2 });
    assert.equal(j.devices.length, 4);
    assert.equal(j.diagnostics.length, 5);
    // Info diagnostics are summarised on stderr unless --verbose.
    assert.match(r.err, /dmesg-1\.txt: 5 lines kept as not about VMBus or for information only \(--verbose lists them\)/);
  });

  it('--verbose lists every diagnostic as file:line: severity: message', async () => {
    const file = path.join(REAL, 'dmesg-1.txt');
    const r = await cli(['import', file, '--verbose']);
    assert.equal(r.code, 0);
    assert.ok(r.err.includes(`${file}:4: info: not a VMBus line (kept): [    0.916962] PCI: Using ACPI for IRQ routing`), r.err);
  });

  it('prints warnings of lines it does not understand on stderr', async () => {
    const file = path.join(REAL, 'lsvmbus-3-lisa-format-comment.txt');
    const r = await cli(['import', file]);
    assert.equal(r.code, 0);
    assert.ok(r.err.includes(`${file}:20: warning: not an lsvmbus line: PATTERN_VMBUSES`), r.err);
    assert.match(r.out, /^format lsvmbus \(-vv\), 2 devices$/m);
  });

  it('--scenario prints a scenario that parses without errors', async () => {
    const r = await cli(['import', path.join(REAL, 'lsvmbus-1.txt'), '--scenario']);
    assert.equal(r.code, 0);
    const p = parseScenario(r.out, 'x.vmbus');
    assert.deepEqual(p.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.equal(p.config!.devices.length, 20);
    assert.match(r.out, /^scenario "Imported: lsvmbus-1.txt"$/m);
  });

  it('--format forces a parser; a bad --format or no file is exit 2', async () => {
    const forced = await cli(['import', path.join(REAL, 'udev-2.txt'), '--format', 'udev']);
    assert.equal(forced.code, 0);
    assert.match(forced.out, /^format udev, 4 devices, 10 events$/m);
    assert.equal((await cli(['import', path.join(REAL, 'udev-2.txt'), '--format=xml'])).code, 2);
    assert.equal((await cli(['import'])).code, 2);
    assert.equal((await cli(['import', path.join(REAL, 'nope.txt')])).code, 2);
    assert.equal((await cli(['import', path.join(REAL, 'udev-2.txt'), '--json', '--scenario'])).code, 2);
  });

  it('exits 2 when nothing is recognisable, with the reason on stderr', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-import-'));
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'hello\r\nworld\r\n');
    const r = await cli(['import', file]);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.ok(r.err.includes(`${file}:1: error: no line looks like`), r.err);
    assert.ok(r.err.includes(`${file}:2: warning: not an lsvmbus line: world`), r.err);
    assert.match(r.err, /nothing in .* is recognisable/);
  });

  it('vmbus-lab run --trace-cmd prints trace-cmd text that import reads back', async () => {
    const run = await cli(['run', path.join(ROOT, 'examples/plain-vm.vmbus'), '--trace-cmd']);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^cpus=2\n/);
    assert.match(run.out, / vmbus_onoffer: +child_relid 0x1, /);
    assert.doesNotMatch(run.out, /time\(us\)/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-import-'));
    const file = path.join(dir, 'trace.txt');
    fs.writeFileSync(file, run.out);
    const r = await cli(['import', file]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.match(r.out, /^format trace, 4 devices, VMBus version 5\.3 \(line \d+\), \d+ events$/m);
    assert.match(r.out, /^1 +hv_sock +Unknown +[0-9a-f-]{36} /m);
  });
});
