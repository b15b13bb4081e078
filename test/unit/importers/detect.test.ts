import * as assert from 'node:assert/strict';
import { detect, detectFormat, importLog } from '../../../src/simulator/importers/index';

describe('importers: detectFormat', () => {
  it('picks the format with the most matching lines', () => {
    assert.equal(detectFormat('VMBUS ID  1: [Dynamic Memory]\n'), 'lsvmbus');
    assert.equal(detectFormat('/sys/bus/vmbus/devices/1eccfd72-4b41-45ef-b73a-4a6e44c12924/id:1\n'), 'sysfs');
    assert.equal(detectFormat('[    0.9] hv_vmbus: Vmbus version:5.2\n'), 'dmesg');
    assert.equal(detectFormat('KERNEL[1.0] add      /devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/90680fa2-a08f-11ec-9d43-5076af8094dc (vmbus)\n'), 'udev');
    assert.equal(detectFormat('  <idle>-0  [000]  1.000000: vmbus_on_msg_dpc: msgtype=1\n'), 'trace');
  });

  it('takes a plain kernel log without VMBus lines as dmesg, and nothing else as nothing', () => {
    assert.equal(detectFormat('[    1.5] VFS: Disk quotas dquot_6.6.0\n'), 'dmesg');
    assert.equal(detectFormat('hello\nworld\n'), undefined);
    assert.equal(detectFormat(''), undefined);
    assert.deepEqual(detect('').scores, { lsvmbus: 0, sysfs: 0, dmesg: 0, udev: 0, trace: 0, driverctl: 0, mixed: 0 });
  });

  it('importLog reports undetectable text with an error on line 1 and every line kept', () => {
    const r = importLog('hello\nworld');
    assert.equal(r.devices.length, 0);
    assert.equal(r.diagnostics[0].severity, 'error');
    assert.equal(r.diagnostics[0].line, 1);
    assert.deepEqual(r.unrecognized.map((u) => u.line), [1, 2]);
  });

  it('a forced format overrides detection', () => {
    const r = importLog('VMBUS ID  1: [Dynamic Memory]\n', 'dmesg');
    assert.equal(r.kind, 'dmesg');
    assert.equal(r.detected, false);
    assert.equal(r.devices.length, 0);
  });
});
