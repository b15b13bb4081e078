import * as assert from 'node:assert/strict';
import { detectFormat, parseSysfs } from '../../../src/simulator/importers/index';
import { assertDiagnosticsValid, synthetic } from './helpers';

describe('importers: sysfs', () => {
  const text = synthetic('sysfs-grep.txt');
  const r = parseSysfs(text);

  it('is detected from path:value lines', () => {
    assert.equal(detectFormat(text), 'sysfs');
    assert.equal(r.facts.commands?.[0].line, 2);
  });

  it('reads id, class_id, state, monitor_id and channel_vp_mapping per instance, relid-ordered', () => {
    assert.deepEqual(r.devices.map((d) => [d.relid, d.className, d.instanceGuid, d.state, d.monitorId]), [
      [1, 'hv_balloon', '1eccfd72-4b41-45ef-b73a-4a6e44c12924', 3, undefined],
      [14, 'netvsc', '000d3a6e-4f21-000d-3a6e-4f21000d3a6e', 3, 2],
      [15, 'storvsc', 'f8b3781b-1e82-4818-a1c3-63d806ec15bb', 3, 1],
    ]);
    const disk = r.devices[2];
    assert.deepEqual(disk.targetCpus, [1, 0, 3]);
    assert.equal(disk.subchannels, 2);
    const nic = r.devices[1];
    assert.equal(nic.channels?.find((c) => c.relid === 30)?.subchannelIndex, 1);
    assert.equal(nic.attributes?.modalias, 'vmbus:635161f83edfc546913ff2d2f965ed0e');
    assert.equal(r.devices[0].attributes?.numa_node, '0');
  });

  it("reports grep's error line as info and nothing else", () => {
    assert.deepEqual(r.diagnostics.map((d) => [d.line, d.severity]), [[17, 'info']]);
    assertDiagnosticsValid(r, text);
  });

  it('reads relative paths, head ==> <== blocks and reports contradictions', () => {
    const t = [
      '1eccfd72-4b41-45ef-b73a-4a6e44c12924/id:1',
      '==> /sys/bus/vmbus/devices/1eccfd72-4b41-45ef-b73a-4a6e44c12924/class_id <==',
      '{525074dc-8985-46e2-8057-a307dc18a502}',
      '',
      '1eccfd72-4b41-45ef-b73a-4a6e44c12924/device_id:{00000000-0000-0000-0000-000000000001}',
      '1eccfd72-4b41-45ef-b73a-4a6e44c12924/modalias:vmbus:635161f83edfc546913ff2d2f965ed0e',
      '1eccfd72-4b41-45ef-b73a-4a6e44c12924/state:x',
    ].join('\n');
    const q = parseSysfs(t);
    assert.equal(q.devices.length, 1);
    assert.equal(q.devices[0].className, 'hv_balloon');
    assert.deepEqual(q.diagnostics.map((d) => [d.line, d.severity]), [[5, 'error'], [6, 'error'], [7, 'warning']]);
    assert.equal(q.diagnostics[2].column, 44);
  });

  it('reads `ls` / `ls -l` of /sys/bus/vmbus/devices as instances, and refuses a braced GUID without its path', () => {
    const t = [
      '$ ls -l /sys/bus/vmbus/devices/',
      'lrwxrwxrwx 1 root root 0 Nov 26 06:00 f8b3781b-1e82-4818-a1c3-63d806ec15bb -> ../../../devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/f8b3781b-1e82-4818-a1c3-63d806ec15bb',
      '1eccfd72-4b41-45ef-b73a-4a6e44c12924',
      '{525074dc-8985-46e2-8057-a307dc18a502}',
    ].join('\n');
    assert.equal(detectFormat(t), 'sysfs');
    const q = parseSysfs(t);
    assert.deepEqual(q.devices.map((d) => d.instanceGuid), ['f8b3781b-1e82-4818-a1c3-63d806ec15bb', '1eccfd72-4b41-45ef-b73a-4a6e44c12924']);
    assert.deepEqual(q.diagnostics.map((d) => [d.line, d.severity]), [[4, 'warning']]);
  });
});
