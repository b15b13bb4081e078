import * as assert from 'node:assert/strict';
import { detectFormat, parseLsvmbus } from '../../../src/simulator/importers/index';
import { assertDiagnosticsValid, real, synthetic } from './helpers';

describe('importers: lsvmbus', () => {
  describe('real: lsvmbus-1.txt (plain lsvmbus, Azure D8ds_v5, 4 NICs + AccelNet)', () => {
    const text = real('lsvmbus-1.txt');
    const r = parseLsvmbus(text);

    it('is detected as lsvmbus without -v', () => {
      assert.equal(detectFormat(text), 'lsvmbus');
      assert.equal(r.kind, 'lsvmbus');
      assert.equal(r.facts.lsvmbusVerbosity, 0);
    });

    it('finds the 20 devices, relid-ordered', () => {
      assert.equal(r.devices.length, 20);
      assert.deepEqual(r.devices.map((d) => d.relid), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 47, 48, 49, 50]);
    });

    it('names relid 11 a Synthetic network adapter of class netvsc f8615163-...', () => {
      const d = r.devices.find((x) => x.relid === 11)!;
      assert.equal(d.description, 'Synthetic network adapter');
      assert.equal(d.classGuid, 'f8615163-df3e-46c5-913f-f2d2f965ed0e');
      assert.equal(d.className, 'netvsc');
      assert.deepEqual(d.lines, [13]);
    });

    it('names relid 47 PCI Express pass-through (hv_pci 44c4f61d-...)', () => {
      const d = r.devices.find((x) => x.relid === 47)!;
      assert.equal(d.description, 'PCI Express pass-through');
      assert.equal(d.classGuid, '44c4f61d-4444-4400-9d52-802e27ede19f');
      assert.equal(d.className, 'hv_pci');
    });

    it('maps every description to its class (bracketed ones too)', () => {
      const byRelid = new Map(r.devices.map((d) => [d.relid, d.className]));
      assert.equal(byRelid.get(1), 'hv_balloon');
      assert.equal(byRelid.get(2), 'ide');
      assert.equal(byRelid.get(4), 'hid_hyperv');
      assert.equal(byRelid.get(5), 'hyperv_keyboard');
      assert.equal(byRelid.get(6), 'synthvid');
      assert.equal(byRelid.get(7), 'heartbeat');
      assert.equal(byRelid.get(8), 'kvp');
      assert.equal(byRelid.get(9), 'shutdown');
      assert.equal(byRelid.get(10), 'timesync');
      assert.equal(byRelid.get(15), 'storvsc');
      assert.equal(r.devices.filter((d) => d.className === 'netvsc').length, 4);
      assert.equal(r.devices.filter((d) => d.className === 'hv_pci').length, 4);
    });

    it('takes the prompt line as a command and the header as a comment, with no warnings', () => {
      assert.deepEqual(r.facts.commands, [{ line: 2, command: 'lsvmbus' }]);
      assert.equal(r.stats.comments, 1);
      assert.deepEqual(r.diagnostics, []);
      assert.deepEqual(r.unrecognized, []);
      assertDiagnosticsValid(r, text);
    });
  });

  describe('real: lsvmbus-3-lisa-format-comment.txt (LISA quoting `lsvmbus -vv` in a comment)', () => {
    const text = real('lsvmbus-3-lisa-format-comment.txt');
    const r = parseLsvmbus(text);

    it('reads the two quoted -vv devices with their instance GUIDs and channels', () => {
      assert.equal(detectFormat(text), 'lsvmbus');
      assert.equal(r.facts.lsvmbusVerbosity, 2);
      assert.equal(r.devices.length, 2);
      const [dm, ide] = r.devices;
      assert.equal(dm.relid, 1);
      assert.equal(dm.className, 'hv_balloon');
      assert.equal(dm.description, '[Dynamic Memory]');
      assert.equal(dm.instanceGuid, '1eccfd72-4b41-45ef-b73a-4a6e44c12924');
      assert.equal(dm.sysfsPath, '/sys/bus/vmbus/devices/1eccfd72-4b41-45ef-b73a-4a6e44c12924');
      assert.deepEqual(dm.targetCpus, [0]);
      assert.equal(ide.relid, 2);
      assert.equal(ide.className, 'ide');
      assert.equal(ide.description, 'Synthetic IDE Controller');
      assert.equal(ide.instanceGuid, '00000000-0000-8899-0000-000000000000');
      assert.deepEqual(ide.channels, [{ relid: 2, targetCpu: 0 }]);
    });

    it('keeps and reports the Python lines it does not understand, by line', () => {
      const lines = r.unrecognized.map((u) => u.line);
      assert.ok(lines.includes(20), 'PATTERN_VMBUSES line');
      assert.ok(lines.includes(23) && lines.includes(24) && lines.includes(27));
      for (const u of r.unrecognized) assert.ok(r.diagnostics.some((d) => d.line === u.line && d.severity === 'warning'));
      // The second quotation of VMBUS ID 1 (line 21) merges into the first.
      assert.ok(r.diagnostics.some((d) => d.line === 21 && /VMBUS ID 1 again/.test(d.message)));
      assertDiagnosticsValid(r, text);
    });
  });

  describe('synthetic -vv listing with CRLF line endings (format2 of tools/hv/lsvmbus)', () => {
    const text = synthetic('lsvmbus-vv-crlf.txt');
    const r = parseLsvmbus(text);

    it('has CRLF endings and is detected', () => {
      assert.ok(text.includes('\r\n\tDevice_ID = {'));
      assert.equal(detectFormat(text), 'lsvmbus');
      assert.equal(r.facts.lsvmbusVerbosity, 2);
      assert.deepEqual(r.facts.commands, [{ line: 2, command: 'lsvmbus -vv' }]);
    });

    it('reads 6 devices with classes, instances, channels and sub-channels', () => {
      assert.deepEqual(r.devices.map((d) => d.relid), [1, 2, 9, 14, 15, 47]);
      const nic = r.devices.find((d) => d.relid === 14)!;
      assert.equal(nic.className, 'netvsc');
      assert.equal(nic.instanceGuid, '000d3a6e-4f21-000d-3a6e-4f21000d3a6e');
      assert.deepEqual(nic.channels, [{ relid: 14, targetCpu: 3 }, { relid: 30, targetCpu: 1 }, { relid: 31, targetCpu: 2 }]);
      assert.deepEqual(nic.targetCpus, [3, 1, 2]);
      assert.equal(nic.subchannels, 2);
      const imc = r.devices.find((d) => d.relid === 9)!;
      assert.equal(imc.description, 'Unknown');
      assert.equal(imc.classGuid, 'c376c1c3-d276-48d2-90a9-c04748072c60');
      assert.equal(imc.className, 'imc');
      assert.deepEqual(r.diagnostics, []);
    });

    it('reads the same listing with LF endings and with literal \\r\\n\\t escapes on one line', () => {
      const lf = parseLsvmbus(text.replace(/\r\n/g, '\n'));
      assert.deepEqual(lf.devices, r.devices);
      const oneLine = 'VMBUS ID 14: Class_ID = {f8615163-df3e-46c5-913f-f2d2f965ed0e} - Synthetic network adapter\\r\\n\\tDevice_ID = {000d3a6e-4f21-000d-3a6e-4f21000d3a6e}\\r\\n\\tSysfs path: /sys/bus/vmbus/devices/000d3a6e-4f21-000d-3a6e-4f21000d3a6e\\r\\n\\tRel_ID=14, target_cpu=3\\r\\n\\tRel_ID=30, target_cpu=1\\r\\n\\r\\n';
      const e = parseLsvmbus(oneLine);
      assert.equal(e.devices.length, 1);
      assert.equal(e.devices[0].instanceGuid, '000d3a6e-4f21-000d-3a6e-4f21000d3a6e');
      assert.deepEqual(e.devices[0].targetCpus, [3, 1]);
      assert.deepEqual(e.diagnostics, []);
    });
  });

  describe('-v and odd input', () => {
    it('reads -v (class GUID + channels, no Device_ID)', () => {
      const text = 'VMBUS ID 15: Class_ID = {ba6163d9-04a1-4d29-b605-72e2ffb1dc7f} - Synthetic SCSI Controller\n\tRel_ID=15, target_cpu=1\n\tRel_ID=32, target_cpu=0\n\n';
      const r = parseLsvmbus(text);
      assert.equal(r.facts.lsvmbusVerbosity, 1);
      assert.equal(r.devices[0].className, 'storvsc');
      assert.equal(r.devices[0].subchannels, 1);
      assert.equal(r.devices[0].instanceGuid, undefined);
    });

    it('reports a truncated last line and a description lsvmbus does not print', () => {
      const text = 'VMBUS ID  1: [Dynamic Memory]\nVMBUS ID  2: Synthetic IDE Contr';
      const r = parseLsvmbus(text);
      assert.equal(r.devices.length, 2);
      assert.equal(r.devices[1].className, undefined);
      assert.ok(r.diagnostics.some((d) => d.line === 2 && d.severity === 'warning' && /not a description lsvmbus prints/.test(d.message)));
    });

    it('leaves [Reserved system device] open (three classes share it) and Unknown classless', () => {
      const r = parseLsvmbus('VMBUS ID 3: [Reserved system device]\nVMBUS ID 4: Unknown\n');
      assert.equal(r.devices[0].className, undefined);
      assert.equal(r.devices[0].description, '[Reserved system device]');
      assert.equal(r.devices[1].classGuid, undefined);
      assert.deepEqual(r.diagnostics, []);
    });

    it('reports a class GUID that contradicts its description', () => {
      const r = parseLsvmbus('VMBUS ID 3: Class_ID = {f8615163-df3e-46c5-913f-f2d2f965ed0e} - Synthetic mouse\n');
      assert.ok(r.diagnostics.some((d) => d.line === 1 && /Synthetic network adapter/.test(d.message)));
    });

    it('recognises the no-VMBus message', () => {
      const r = parseLsvmbus("/sys/bus/vmbus/devices doesn't exist: exiting...\n");
      assert.equal(r.devices.length, 0);
      assert.match(r.diagnostics[0].message, /no VMBus/);
    });
  });

  it('reads a listing pasted inside markdown fences with a $ prompt', () => {
    const r = parseLsvmbus('```\n$ lsvmbus\nVMBUS ID  1: [Dynamic Memory]\n...\n```\n');
    assert.equal(r.devices.length, 1);
    assert.deepEqual(r.facts.commands, [{ line: 2, command: 'lsvmbus' }]);
    assert.deepEqual(r.diagnostics, []);
  });
});
