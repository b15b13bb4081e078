import * as assert from 'node:assert/strict';
import { detectFormat, parseDmesg } from '../../../src/simulator/importers/index';
import { assertDiagnosticsValid, real } from './helpers';

describe('importers: dmesg', () => {
  describe('real: dmesg-1.txt (WSL2 guest)', () => {
    const text = real('dmesg-1.txt');
    const r = parseDmesg(text);

    it('is detected as dmesg and gives version 5.2 from line 2', () => {
      assert.equal(detectFormat(text), 'dmesg');
      assert.deepEqual(r.version, { major: 5, minor: 2, value: 0x00050002, line: 2 });
    });

    it('finds three distinct Unknown GUIDs, c376c1c3-... being HV_IMC', () => {
      const guids = r.events.filter((e) => e.name === 'unknown-guid').map((e) => e.fields.class_guid);
      assert.deepEqual(guids, [
        'c376c1c3-d276-48d2-90a9-c04748072c60',
        '6e382d18-3336-4f4b-acc4-2b7703d4df4a',
        'dde9cbc0-5060-4436-9448-ea1254a5d177',
        '6e382d18-3336-4f4b-acc4-2b7703d4df4a',
      ]);
      assert.equal(new Set(guids).size, 3);
      const imc = r.devices.find((d) => d.classGuid === 'c376c1c3-d276-48d2-90a9-c04748072c60')!;
      assert.equal(imc.className, 'imc');
      // One device per offer line: the 6e382d18 class was offered twice.
      assert.equal(r.devices.length, 4);
      assert.equal(r.devices.filter((d) => d.classGuid === '6e382d18-3336-4f4b-acc4-2b7703d4df4a').length, 2);
    });

    it('keeps the timestamps', () => {
      assert.equal(r.events[0].time, 0.900032);
      assert.equal(r.events[0].line, 2);
    });

    it('keeps the 5 non-VMBus kernel lines, reported as info with their line numbers', () => {
      assert.deepEqual(r.unrecognized.map((u) => u.line), [4, 5, 6, 10, 11]);
      assert.deepEqual(r.diagnostics.map((d) => [d.line, d.severity]), [[4, 'info'], [5, 'info'], [6, 'info'], [10, 'info'], [11, 'info']]);
      assertDiagnosticsValid(r, text);
    });
  });

  describe('real: dmesg-5.txt (WSL2, hv_pci)', () => {
    const text = real('dmesg-5.txt');
    const r = parseDmesg(text);

    it('sees the hv_pci driver registered and its device by instance GUID', () => {
      assert.equal(detectFormat(text), 'dmesg');
      assert.deepEqual(r.facts.drivers, ['hv_pci']);
      assert.equal(r.devices.length, 1);
      const d = r.devices[0];
      assert.equal(d.instanceGuid, 'f87a23c9-23e9-4dc1-9969-889f55f094b2');
      assert.equal(d.driver, 'hv_pci');
      assert.equal(d.className, 'hv_pci');
      assert.equal(d.classGuid, '44c4f61d-4444-4400-9d52-802e27ede19f');
      assert.deepEqual(d.lines, [3, 4]);
      assert.equal(r.version, undefined);
    });

    it('keeps the driver messages as events', () => {
      const msgs = r.events.filter((e) => e.name === 'device-message').map((e) => e.fields.message);
      assert.deepEqual(msgs, ['PCI VMBus probing: Using version 0x10004', 'PCI host bridge to bus 23e9:00']);
      assert.deepEqual(r.diagnostics, []);
    });
  });

  describe('hv_vmbus strings of the reference (§5.9, §1.4)', () => {
    const text = [
      '[    0.000000] Linux version 6.19.0 (builder@host)',
      '[    1.100000] hv_vmbus: Establishing connection to the confidential VMBus',
      '[    1.200000] hv_vmbus: Vmbus version:6.0',
      '[    1.300000] hv_vmbus: Invalid offer relid=7: the ring buffer isn\'t encrypted',
      '[    1.310000] hv_vmbus: Invalid offer relid=8: no support for confidential VMBus',
      '[    1.320000] hv_vmbus: Invalid offer 9 from the host supporting isolation',
      '[    1.400000] hv_vmbus: registering driver hv_storvsc',
      '[    1.500000] hv_vmbus: hv_post_msg() failed; error code:92',
      '[    1.600000] hv_vmbus: allocation failed for paravisor SynIC msg page, error -12, decrypted 0',
      '[    1.700000] hv_vmbus: something new in a later kernel',
      '[    1.800000] unknown msgtype=31',
      '[    1.900000] hv_storvsc f8b3781b-1e82-4818-a1c3-63d806ec15bb: tag#0 cmd 0x28 status: scsi 0x2',
      'Nov 26 06:13:37 vm kernel: hv_vmbus: Waiting for VMBus UNLOAD to complete',
      '[Tue Nov 26 06:13:40 2025] hv_vmbus: Unable to connect to host',
    ].join('\n');
    const r = parseDmesg(text);

    it('recognises each by pattern, with its fields', () => {
      const names = r.events.map((e) => e.name);
      assert.deepEqual(names, ['confidential', 'version', 'invalid-offer-ring', 'invalid-offer-no-confidential', 'invalid-offer-isolation', 'registering-driver',
        'post-msg-failed', 'page-alloc-failed', 'hv_vmbus', 'unknown-msgtype', 'device-message', 'unload-waiting', 'unable-to-connect']);
      assert.equal(r.events.find((e) => e.name === 'post-msg-failed')!.fields.error, 92);
      assert.equal(r.events.find((e) => e.name === 'page-alloc-failed')!.fields.page, 'paravisor SynIC msg');
    });

    it('gives the facts: confidential, isolated, connect failure, refused offers', () => {
      assert.deepEqual(r.facts.confidentialVmbus, { line: 2 });
      assert.equal(r.facts.isolation?.line, 6);
      assert.equal(r.facts.connectFailed?.line, 14);
      assert.equal(r.version?.value, 0x60000);
      const refused = r.devices.filter((d) => d.state === 'rejected').map((d) => d.relid);
      assert.deepEqual(refused, [7, 8, 9]);
      const disk = r.devices.find((d) => d.instanceGuid === 'f8b3781b-1e82-4818-a1c3-63d806ec15bb')!;
      assert.equal(disk.className, 'storvsc');
    });

    it('reports the unknown hv_vmbus line as a warning and the boot banner as info', () => {
      assert.ok(r.diagnostics.some((d) => d.line === 10 && d.severity === 'warning'));
      assert.ok(r.diagnostics.some((d) => d.line === 1 && d.severity === 'info'));
      assertDiagnosticsValid(r, text);
    });
  });

  it('takes the timestamp styles of dmesg -x, --time-format iso and journalctl, and markdown fences around a paste', () => {
    const text = [
      '```',
      'kern  :info  : [    0.900032] hv_vmbus: Vmbus version:5.2',
      '2025-11-26T06:13:37,123456+00:00 hv_vmbus: Unknown GUID: dde9cbc0-5060-4436-9448-ea1254a5d177',
      'Nov 26 06:13:38 vm kernel: hv_vmbus: registering driver hv_netvsc',
      '[...]',
      '```',
    ].join('\n');
    assert.equal(detectFormat(text), 'dmesg');
    const r = parseDmesg(text);
    assert.deepEqual(r.events.map((e) => [e.name, e.line, e.time]), [['version', 2, 0.900032], ['unknown-guid', 3, undefined], ['registering-driver', 4, undefined]]);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.stats.comments, 3);
  });
});
