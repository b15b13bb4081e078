// udevadm info (-q property, --export-db), driverctl -b vmbus list-devices (-v) and mixed pasted
// sessions. Inputs are hand-written in the layouts their sources print: udevadm(8) (record
// prefixes P: M: U: V: E:), vmbus_uevent() in drivers/hv/vmbus_drv.c (MODALIAS=vmbus:%*phN of the
// class guid_t), driverctl's list_devices() ("<device> <driver>|(none)[ [*]][ (<model>)]").
import * as assert from 'node:assert/strict';
import { detectFormat, importLog, parseDriverctl, parseUdev, PARSERS, sessionParts } from '../../../src/simulator/importers/index';
import type { ImportResult } from '../../../src/simulator/importers/index';
import { prng } from '../../../src/simulator/util/prng';
import { assertDiagnosticsValid, synthetic } from './helpers';

/** Every non-empty line is counted once: recognised, a comment, or kept as not understood (and reported). */
function assertEveryLineCounted(r: ImportResult, text: string): void {
  const nonEmpty = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).filter((l) => l.trim() !== '').length;
  assert.ok(r.stats.lines <= nonEmpty + 64, `${r.stats.lines} lines counted, ${nonEmpty} non-empty`);
  assert.equal(r.stats.recognized + r.stats.comments + r.unrecognized.length, r.stats.lines, 'recognised + comments + kept = lines read');
  for (const u of r.unrecognized) assert.ok(r.diagnostics.some((d) => d.line === u.line), `line ${u.line} is reported`);
}

describe('importers: udevadm info', () => {
  it('reads -q property: the device from DEVPATH, its class from MODALIAS, its driver', () => {
    const text = synthetic('udevadm-info-property.txt');
    assert.equal(detectFormat(text), 'udev');
    const r = parseUdev(text);
    assertDiagnosticsValid(r, text);
    assert.equal(r.devices.length, 1);
    const d = r.devices[0];
    assert.equal(d.instanceGuid, '000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f');
    // 635161f8 3edf c546 913f f2d2f965ed0e: the guid_t bytes of HV_NIC f8615163-df3e-46c5-913f-f2d2f965ed0e.
    assert.equal(d.classGuid, 'f8615163-df3e-46c5-913f-f2d2f965ed0e');
    assert.equal(d.className, 'netvsc');
    assert.equal(d.driver, 'hv_netvsc');
  });

  it('reads --export-db: one device per vmbus record, V: as the driver, other subsystems left out', () => {
    const text = synthetic('udevadm-export-db.txt');
    assert.equal(detectFormat(text), 'udev');
    const r = parseUdev(text);
    assertDiagnosticsValid(r, text);
    assert.deepEqual(r.devices.map((d) => [d.instanceGuid, d.className, d.driver]), [
      ['000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f', 'netvsc', 'hv_netvsc'],
      // d96361ba a104 294d b605 72e2ffb1dc7f → HV_SCSI ba6163d9-04a1-4d29-b605-72e2ffb1dc7f
      ['f8b3781b-1e82-4818-a1c3-63d806ec15bb', 'storvsc', 'hv_storvsc'],
    ]);
  });
});

describe('importers: driverctl', () => {
  it('reads list-devices: instance, driver or (none), the override mark', () => {
    const text = synthetic('driverctl-list-devices.txt');
    assert.equal(detectFormat(text), 'driverctl');
    const r = parseDriverctl(text);
    assertDiagnosticsValid(r, text);
    assertEveryLineCounted(r, text);
    const by = new Map(r.devices.map((d) => [d.instanceGuid, d]));
    assert.equal(by.get('000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f')?.className, 'netvsc');
    assert.equal(by.get('1eccfd72-4b41-45ef-b73a-4a6e44c12924')?.className, 'hv_balloon');
    assert.equal(by.get('f8b3781b-1e82-4818-a1c3-63d806ec15bb')?.attributes?.driver_override, 'set');
    const none = by.get('d34b2567-b9b6-42b9-8778-0a4ec0b955bf')!;
    assert.equal(none.driver, undefined);
    assert.equal(none.state, 'unbound');
    assert.equal(none.classGuid, undefined); // no driver: the listing does not say the class
    assert.deepEqual(r.facts.commands, [{ line: 2, command: 'driverctl -b vmbus list-devices' }]);
  });

  it('reads -v (a model in parentheses), keeps another bus\'s line and driverctl\'s own message', () => {
    const text = synthetic('driverctl-list-devices-v.txt');
    const r = parseDriverctl(text);
    assertDiagnosticsValid(r, text);
    assertEveryLineCounted(r, text);
    assert.equal(r.devices.length, 3);
    assert.equal(r.devices.find((d) => d.instanceGuid === '000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f')?.attributes?.ID_MODEL_FROM_DATABASE, '');
    assert.deepEqual(r.unrecognized.map((u) => u.line), [7]);
    assert.ok(r.diagnostics.some((d) => d.line === 8 && d.severity === 'warning' && /No overridable devices/.test(d.message)));
  });
});

describe('importers: mixed sessions', () => {
  const text = synthetic('mixed-session.txt');

  it('splits at the prompts and names each part\'s reader from its command', () => {
    assert.equal(detectFormat(text), 'mixed');
    assert.deepEqual(sessionParts(text).map((p) => [p.from, p.to, p.format]), [
      [1, 1, undefined], [2, 6, 'lsvmbus'], [7, 9, 'driverctl'], [10, 14, 'udev'], [15, 17, 'dmesg'],
    ]);
  });

  it('reads each part with its own reader, at the file\'s line numbers, and merges devices by instance', () => {
    const r = importLog(text);
    assert.equal(r.kind, 'mixed');
    assertDiagnosticsValid(r, text);
    assertEveryLineCounted(r, text);
    assert.deepEqual(r.version && [r.version.major, r.version.minor, r.version.line], [5, 3, 16]);
    assert.deepEqual(r.devices.filter((d) => d.relid !== undefined).map((d) => [d.relid, d.className, d.targetCpus]), [[1, 'hv_balloon', [0]], [14, 'netvsc', [1]]]);
    const nic = r.devices.find((d) => d.instanceGuid === '000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f')!;
    // driverctl (line 9) and udevadm info (lines 11-14) name the same device: one device.
    assert.equal(nic.driver, 'hv_netvsc');
    assert.ok(nic.lines.includes(9) && nic.lines.includes(11));
    assert.deepEqual(r.facts.commands?.map((c) => c.line), [2, 7, 10, 15]);
  });
});

describe('importers: fuzz of the new readers', function () {
  this.timeout(120000);
  it('10,000 mutated inputs: no exception, every skipped line counted and reported', () => {
    const pool = ['udevadm-info-property.txt', 'udevadm-export-db.txt', 'driverctl-list-devices.txt', 'driverctl-list-devices-v.txt', 'mixed-session.txt'].map(synthetic);
    const next = prng(0xd1c7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
    const PIECES = ['\n', '\r\n', ' ', '(none)', ' [*]', '()', '$ ', 'root@vm:~# ', 'E: ', 'P: /devices/VMBUS:00/', 'MODALIAS=vmbus:', 'DEVPATH=', '0', 'zz', '\u0000', 'é', '#'];
    for (let i = 0; i < 10000; i++) {
      let t = pool[i % pool.length];
      for (let k = 0, n = 1 + Math.floor(next() * 4); k < n; k++) {
        const at = Math.floor(next() * (t.length + 1));
        const lines = t.split('\n');
        switch (Math.floor(next() * 5)) {
          case 0: t = t.slice(0, at) + pick(PIECES) + t.slice(at); break;
          case 1: t = t.slice(0, at) + t.slice(at + 1 + Math.floor(next() * 30)); break;
          case 2: { const j = Math.floor(next() * lines.length); lines.splice(j, 0, pick(pool).split('\n')[Math.floor(next() * 6)] ?? ''); t = lines.join('\n'); break; }
          case 3: t = t.slice(0, at); break;
          default: { const c = t.charCodeAt(at); if (!Number.isNaN(c)) t = t.slice(0, at) + String.fromCharCode((c + 1 + Math.floor(next() * 60)) % 0x3000) + t.slice(at + 1); }
        }
      }
      for (const f of ['driverctl', 'udev', 'mixed'] as const) {
        let r: ImportResult;
        try { r = PARSERS[f](t); } catch (e) { assert.fail(`#${i} ${f} threw on ${JSON.stringify(t.slice(0, 200))}: ${String(e)}`); }
        assertDiagnosticsValid(r, t);
        if (f !== 'udev') assertEveryLineCounted(r, t);
      }
    }
  });
});
