// A run in the real tools' formats: lsvmbus -vv (tools/hv/lsvmbus format2), the sysfs tree (the
// show() functions of drivers/hv/vmbus_drv.c, linux-vmbus.md §7.1) and dmesg. Expected texts are
// written from those formats; the round trip (export, then import with the reader of that format)
// gives back the same channel set for every example.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDmesg, parseLsvmbus, parseSysfs } from '../../../src/simulator/importers/index';
import { guestDevices, sysfsAsGrep, toDmesg, toLsvmbus, toSysfs, type GuestDevice } from '../../../src/simulator/logtrace/index';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { runScenario } from '../../../src/simulator/engine/session';
import type { ChannelView } from '../../../src/simulator/engine/api';

const ROOT = path.resolve(__dirname, '../../../..');
const EXAMPLES = path.join(ROOT, 'examples');

function channel(relid: number, classGuid: string, instanceGuid: string, sub = 0, monitorId?: number): ChannelView {
  return { relid, device: 'd', classGuid, instanceGuid, subchannelIndex: sub, hostedBy: 'host', relayed: false, chnFlags: 0, connectionId: 0,
    state: 'open', confidentialRing: false, confidentialExternal: false, gpadls: [], subchannels: [], ...(monitorId !== undefined ? { monitorId } : {}) };
}

// A mouse (the reference's modalias example) and a NIC with one sub-channel.
const MOUSE = 'cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a';
const NIC = 'f8615163-df3e-46c5-913f-f2d2f965ed0e';
const devices: GuestDevice[] = [
  { primary: channel(4, MOUSE, '58f75a6d-d949-4320-99e1-a2a2576d581c', 0, 3), channels: [channel(4, MOUSE, '58f75a6d-d949-4320-99e1-a2a2576d581c', 0, 3)], targetCpus: [0] },
  { primary: channel(11, NIC, '000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f'), channels: [channel(11, NIC, '000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f'), channel(17, NIC, '000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f', 1)], targetCpus: [1, 2] },
];

describe('standard formats out', () => {
  it('sysfs: each attribute as its show() prints it', () => {
    const f = toSysfs(devices);
    const m = '58f75a6d-d949-4320-99e1-a2a2576d581c';
    assert.equal(f.get(`${m}/id`), '4\n'); // %d
    assert.equal(f.get(`${m}/class_id`), `{${MOUSE}}\n`); // {%pUl}
    assert.equal(f.get(`${m}/device_id`), `{${m}}\n`);
    assert.equal(f.get(`${m}/modalias`), 'vmbus:9eb6a8cf4a5bc04cb98b8ba1a1f3f95a\n'); // the reference's own example
    assert.equal(f.get(`${m}/vendor`), '0x1414\n');
    assert.equal(f.get(`${m}/device`), '0x8\n'); // HV_MOUSE = 8
    assert.equal(f.get(`${m}/state`), '3\n'); // CHANNEL_OPENED_STATE
    assert.equal(f.get(`${m}/monitor_id`), '3\n');
    assert.equal(f.get(`${m}/channel_vp_mapping`), '4:0\n');
    const n = '000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f';
    assert.equal(f.get(`${n}/channel_vp_mapping`), '11:1\n17:2\n'); // %u:%u per channel, primary first
    assert.equal(f.get(`${n}/device`), '0x3\n'); // HV_NIC = 3
    assert.equal(f.get(`${n}/monitor_id`), undefined); // hidden when no monitor is allocated
    assert.equal(f.get(`${n}/channels/17/subchannel_id`), '1\n');
    assert.equal(f.get(`${n}/channels/17/cpu`), '2\n');
  });

  it('lsvmbus -vv: format2, channel lines sorted by relid, a blank line between devices', () => {
    assert.equal(toLsvmbus(devices),
      `VMBUS ID  4: Class_ID = {${MOUSE}} - Synthetic mouse\n\tDevice_ID = {58f75a6d-d949-4320-99e1-a2a2576d581c}\n\tSysfs path: /sys/bus/vmbus/devices/58f75a6d-d949-4320-99e1-a2a2576d581c\n\tRel_ID=4, target_cpu=0\n\n` +
      `VMBUS ID 11: Class_ID = {${NIC}} - Synthetic network adapter\n\tDevice_ID = {000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f}\n\tSysfs path: /sys/bus/vmbus/devices/000d3a8f-6b1c-000d-3a8f-6b1c000d3a8f\n\tRel_ID=11, target_cpu=1\n\tRel_ID=17, target_cpu=2\n\n`);
  });

  const examples = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.vmbus'));
  for (const f of examples) {
    it(`round-trips examples/${f} through lsvmbus -vv, sysfs and dmesg`, () => {
      const abs = path.join(EXAMPLES, f);
      const p = parseScenario(fs.readFileSync(abs, 'utf8'), abs, { readFile: (x) => { try { return fs.readFileSync(x, 'utf8'); } catch { return undefined; } }, workspaceRoot: ROOT });
      assert.ok(p.config, f);
      const run = runScenario(p.config!);
      const devs = guestDevices(run.state, run.events);
      const want = devs.map((d) => ({ relid: d.primary.relid, classGuid: d.primary.classGuid, instanceGuid: d.primary.instanceGuid, targetCpus: d.targetCpus, subchannels: d.channels.length - 1 }));
      const pick = (r: ReturnType<typeof parseLsvmbus>) => r.devices.map((d) => ({ relid: d.relid, classGuid: d.classGuid, instanceGuid: d.instanceGuid, targetCpus: d.targetCpus, subchannels: d.subchannels }));
      const ls = parseLsvmbus(toLsvmbus(devs));
      assert.deepEqual(ls.diagnostics.filter((d) => d.severity !== 'info'), []);
      assert.deepEqual(pick(ls), want);
      const sys = parseSysfs(sysfsAsGrep(toSysfs(devs)));
      assert.deepEqual(sys.diagnostics.filter((d) => d.severity !== 'info'), []);
      assert.deepEqual(pick(sys), want);
      const dm = parseDmesg(toDmesg(run.events));
      assert.equal(dm.version?.value ?? null, run.state.guest.version);
      // A guest that ended on a Confidential VMBus logged that it was connecting to one (it may also have logged it and fallen back).
      if (run.state.guest.confidential) assert.ok(dm.facts.confidentialVmbus);
    });
  }
});
