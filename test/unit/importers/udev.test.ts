import * as assert from 'node:assert/strict';
import { detectFormat, parseUdev } from '../../../src/simulator/importers/index';
import { assertDiagnosticsValid, real } from './helpers';

describe('importers: udevadm monitor', () => {
  describe('real: udev-2.txt (WSL2, channels/<relid> kobjects)', () => {
    const text = real('udev-2.txt');
    const r = parseUdev(text);

    it('is detected as udev', () => {
      assert.equal(detectFormat(text), 'udev');
    });

    it('finds 4 vmbus devices by instance with their channel relids', () => {
      assert.deepEqual(r.devices.map((d) => [d.relid, d.instanceGuid]), [
        [23, '90680fa2-a08f-11ec-9d43-5076af8094dc'],
        [34, '90680fa3-a08f-11ec-9d43-5076af8094dc'],
        [35, '90680fa4-a08f-11ec-9d43-5076af8094dc'],
        [36, '90680fa5-a08f-11ec-9d43-5076af8094dc'],
      ]);
      // The excerpt starts after 90680fa2's add/bind: only its channel shows.
      assert.equal(r.devices[0].state, undefined);
      assert.deepEqual(r.devices.slice(1).map((d) => d.state), ['bound', 'bound', 'bound']);
      // udevadm monitor without --property does not show the class.
      assert.ok(r.devices.every((d) => d.classGuid === undefined));
    });

    it('keeps every event with its time, action and subsystem', () => {
      assert.equal(r.events.length, 10);
      assert.deepEqual(r.events[0], {
        line: 2, name: 'add', time: 6774.896615, text: r.events[0].text,
        fields: { source: 'KERNEL', action: 'add', devpath: '/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/90680fa2-a08f-11ec-9d43-5076af8094dc/channels/23', subsystem: 'channels', instance_guid: '90680fa2-a08f-11ec-9d43-5076af8094dc', relid: 23 },
      });
      assert.deepEqual(r.events.map((e) => e.name), ['add', 'add', 'bind', 'add', 'add', 'bind', 'add', 'add', 'bind', 'add']);
      assert.deepEqual(r.diagnostics, []);
      assertDiagnosticsValid(r, text);
    });
  });

  it('reads --property blocks: DRIVER and MODALIAS give the driver and the class', () => {
    const text = [
      'monitor will print the received events for:',
      'KERNEL - the kernel uevent',
      '',
      'KERNEL[12.5] bind     /devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/000d3a6e-4f21-000d-3a6e-4f21000d3a6e (vmbus)',
      'ACTION=bind',
      'DEVPATH=/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/000d3a6e-4f21-000d-3a6e-4f21000d3a6e',
      'SUBSYSTEM=vmbus',
      'DRIVER=hv_netvsc',
      'MODALIAS=vmbus:635161f83edfc546913ff2d2f965ed0e',
      'SEQNUM=2001',
      '',
      'KERNEL[12.6] add      /devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/000d3a6e-4f21-000d-3a6e-4f21000d3a6e/channels/14 (channels)',
      'KERNEL[12.7] add      /devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/000d3a6e-4f21-000d-3a6e-4f21000d3a6e/channels/30 (channels)',
      'KERNEL[13.0] remove   /devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/000d3a6e-4f21-000d-3a6e-4f21000d3a6e (vmbus)',
      'garbage line',
    ].join('\r\n');
    const r = parseUdev(text);
    assert.equal(r.devices.length, 1);
    const d = r.devices[0];
    assert.equal(d.driver, 'hv_netvsc');
    assert.equal(d.className, 'netvsc');
    assert.equal(d.relid, 14);
    assert.equal(d.subchannels, 1);
    assert.equal(d.state, 'removed');
    assert.deepEqual(r.diagnostics.map((x) => [x.line, x.severity]), [[15, 'warning']]);
  });
});
