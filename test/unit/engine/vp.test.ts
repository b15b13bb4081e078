// Interrupt targeting: channel interrupts go to the VP the guest named in OPENCHANNEL target_vp
// (Linux init_vp_index: performance classes round-robin over the CPUs from CPU 0, other classes
// on VMBUS_CONNECT_CPU = 0); channel messages go to the VP named by INITIATE_CONTACT target_vcpu
// (Linux: always VMBUS_CONNECT_CPU = 0).
import * as assert from 'node:assert/strict';
import type { DeviceConfig, ScenarioConfig } from '../../../src/simulator/model/config';
import type { InterruptEvent, MessageEvent } from '../../../src/simulator/trace/events';
import { STORVSC_CLASS } from '../../../src/simulator/engine/defaults';
import { cfg, messages, noParavisor, run } from './helpers';
import type { Trace } from '../../../src/simulator/trace/buffer';

const KVP_CLASS = 'a9a0f4e7-5a45-4d96-b827-8a841e8c03e6';

function openTargets(events: Trace): Record<number, number> {
  const out: Record<number, number> = {};
  for (const m of messages(events)) {
    if (m.msgtype === 'CHANNELMSG_OPENCHANNEL' && m.from === 'guest') out[m.decoded.child_relid as number] = m.decoded.target_vp as number;
  }
  return out;
}

function channelInterrupts(events: Trace): InterruptEvent[] {
  return events.filter((e): e is InterruptEvent => e.kind === 'interrupt' && e.via === 'event' && e.relid !== undefined);
}

/** Every channel interrupt lands on the VP its OPENCHANNEL asked for. */
function assertInterruptsFollowTargets(events: Trace): void {
  const t = openTargets(events);
  const irqs = channelInterrupts(events);
  assert.ok(irqs.length > 0, 'no channel interrupts');
  for (const e of irqs) assert.equal(e.vp, t[e.relid!], `relid ${e.relid} interrupt on VP ${e.vp}, target_vp ${t[e.relid!]}`);
}

describe('engine: interrupts go to the target VP', () => {
  it('2 VPs, no paravisor: storvsc on VP 0, netvsc on VP 1 (round-robin); its interrupts and ISR run there', () => {
    const r = run(cfg((c) => { noParavisor(c, 'none'); c.platform.vpCount = 2; }));
    assert.deepEqual(openTargets(r.events), { 1: 0, 2: 1 });
    assertInterruptsFollowTargets(r.events);
    const vps = new Set(channelInterrupts(r.events).filter((e) => e.relid === 2).map((e) => `${e.synic}:${e.vp}`));
    assert.deepEqual([...vps], ['hypervisor:1']);
    // The guest scans VP 1's event flags page for relid 2.
    assert.ok(r.events.some((e) => e.kind === 'state' && e.object === 'event-flags' && e.vp === 1 && e.from === '2'));
    assert.equal(r.state.channels.find((c) => c.relid === 2)!.state, 'open');
  });

  it('channel messages stay on VP 0 (INITIATE_CONTACT target_vcpu = VMBUS_CONNECT_CPU)', () => {
    const r = run(cfg((c) => { noParavisor(c, 'none'); c.platform.vpCount = 4; }));
    const ic = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_INITIATE_CONTACT') as MessageEvent;
    assert.equal(ic.decoded.target_vcpu, 0);
    const msgIrqs = r.events.filter((e): e is InterruptEvent => e.kind === 'interrupt' && e.via === 'message');
    assert.ok(msgIrqs.length > 0);
    assert.ok(msgIrqs.every((e) => e.vp === 0));
  });

  it('round-robin wraps; a non-performance class (kvp) stays on VP 0', () => {
    const r = run(cfg((c) => {
      noParavisor(c, 'none');
      c.platform.vpCount = 2;
      const extra: DeviceConfig[] = [
        { ...c.devices[0], name: 'disk1', instanceGuid: '11111111-2222-4333-8444-555555555555' },
        { ...c.devices[0], name: 'kvp0', classGuid: KVP_CLASS, className: 'kvp', instanceGuid: '11111111-2222-4333-8444-666666666666' },
      ];
      c.devices.push(...extra);
    }));
    const byDevice: Record<string, number> = {};
    const t = openTargets(r.events);
    for (const ch of r.state.channels) byDevice[ch.device] = t[ch.relid];
    assert.equal(byDevice.kvp0, 0);
    // Three perf channels over two VPs, in offer order: 0, 1, 0.
    const perf = r.state.channels.filter((ch) => ch.device !== 'kvp0').sort((a, b) => a.relid - b.relid).map((ch) => t[ch.relid]);
    assert.deepEqual(perf, [0, 1, 0]);
    assertInterruptsFollowTargets(r.events);
  });

  it('confidential (SNP + OpenHCL), 2 VPs: a paravisor-hosted channel on VP 1 is signalled on VP 1\'s paravisor SynIC', () => {
    const r = run(cfg((c: ScenarioConfig) => {
      c.platform.vpCount = 2;
      c.devices.push({ ...c.devices[0], name: 'disk1', classGuid: STORVSC_CLASS, instanceGuid: '11111111-2222-4333-8444-777777777777' });
    }));
    assertInterruptsFollowTargets(r.events);
    const t = openTargets(r.events);
    const pvOnVp1 = r.state.channels.filter((ch) => ch.hostedBy === 'paravisor' && !ch.relayed && t[ch.relid] === 1);
    assert.ok(pvOnVp1.length > 0, JSON.stringify(t));
    const syn = new Set(channelInterrupts(r.events).filter((e) => e.relid === pvOnVp1[0].relid).map((e) => `${e.synic}:${e.vp}`));
    assert.deepEqual([...syn], ['paravisor:1']);
    assert.deepEqual(r.state.brokenInvariants, []);
  });
});
