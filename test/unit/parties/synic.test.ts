// The hypervisor's SynIC (model/hypervisor) driven alone by posts: slot busy → queue +
// msg_pending, EOM redelivery, event flags and SINT delivery, masked SINT / disabled SIM page.
// Expected behaviour from the TLFS message-slot rules as OpenVMM's synic implements them
// (check_sint_ready, post_message → InvalidSynicState), /work/shared/reference/openvmm-vmbus.md §3.
import * as assert from 'node:assert/strict';
import { Hypervisor, type HypervisorPorts } from '../../../src/simulator/model/hypervisor/hypervisor';
import { Platform } from '../../../src/simulator/model/platform';
import { defaultConfig } from '../../../src/simulator/engine/defaults';
import type { FaultConfig } from '../../../src/simulator/model/config';
import type { InterruptEvent, MessageEvent } from '../../../src/simulator/trace/events';
import { bytes, env, type Env } from './harness';

const SINT2_UNMASKED = 0xf3; // vector 0xf3, not masked, no auto-EOI
const T_ISR = 1000;

interface Harness extends Env {
  hv: Hypervisor;
  interrupts: { vp: number; time: number }[];
  /** The guest's SynIC programming (hv_synic_enable_regs): SIMP/SIEFP enabled, SINT2 unmasked, SCONTROL on. */
  enable(vp?: number): void;
}

function harness(vpCount = 1, faults: FaultConfig[] = []): Harness {
  const e = env(faults);
  const cfg = defaultConfig();
  cfg.platform.isolation = 'none';
  cfg.platform.paravisor = { present: false, confidentialVmbus: false, versions: [] };
  cfg.platform.vpCount = vpCount;
  const interrupts: { vp: number; time: number }[] = [];
  const ports: HypervisorPorts = {
    interrupt: (vp) => { interrupts.push({ vp, time: e.clock.now }); },
    confidentialGuest: () => false,
    guestMessageConnId: () => 1,
    deviceOfGuestRelid: () => undefined,
    deviceOfRelid: () => undefined,
    toServer: () => undefined,
  };
  const hv = new Hypervisor(new Platform(cfg.platform), e.clock, e.tracer, e.faults, ports);
  return {
    ...e, hv, interrupts,
    enable: (vp = 0) => {
      hv.access(vp, 'hypervisor', 'SIMP', 'write', 0x10000 * 4096 + 1, 'msr');
      hv.access(vp, 'hypervisor', 'SIEFP', 'write', 0x10002 * 4096 + 1, 'msr');
      hv.access(vp, 'hypervisor', 'SINT2', 'write', SINT2_UNMASKED, 'msr');
      hv.access(vp, 'hypervisor', 'SCONTROL', 'write', 1, 'msr');
    },
  };
}

const offer = (relid: number) => bytes({ msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: relid });

describe('parties: the SynIC driven by posts', () => {
  it('a message into a free slot fills it and raises SINT2 (the ISR runs T.isr later)', () => {
    const h = harness();
    h.enable();
    h.hv.deliver('host', 'hypervisor', offer(1));
    assert.ok(h.hv.hasMessage(0, 'hypervisor'));
    h.run();
    assert.deepEqual(h.interrupts, [{ vp: 0, time: T_ISR }]);
    const m = h.hv.takeMessage(0, 'hypervisor')!;
    assert.equal(m.item.msgtype, 'CHANNELMSG_RESCIND_CHANNELOFFER');
    assert.deepEqual([m.pending, m.queued], [false, 0]);
  });

  it('slot busy: the next message is queued and msg_pending set once; EOM redelivers it into the emptied slot', () => {
    const h = harness();
    h.enable();
    h.hv.deliver('host', 'hypervisor', offer(1));
    h.hv.deliver('host', 'hypervisor', offer(2));
    h.hv.deliver('host', 'hypervisor', offer(3));
    assert.deepEqual(h.states('hypervisor', 'slot'), [
      'empty>CHANNELMSG_RESCIND_CHANNELOFFER',
      'CHANNELMSG_RESCIND_CHANNELOFFER>CHANNELMSG_RESCIND_CHANNELOFFER (msg_pending, 1 queued)',
      'CHANNELMSG_RESCIND_CHANNELOFFER (msg_pending, 1 queued)>CHANNELMSG_RESCIND_CHANNELOFFER (msg_pending, 2 queued)',
    ]);
    // The guest reads the slot: msg_pending was set, so it must write EOM.
    const first = h.hv.takeMessage(0, 'hypervisor')!;
    assert.deepEqual([first.pending, first.queued], [true, 2]);
    assert.equal(h.hv.hasMessage(0, 'hypervisor'), false);
    h.run();
    assert.equal(h.hv.hasMessage(0, 'hypervisor'), false, 'no redelivery without EOM');
    h.hv.access(0, 'hypervisor', 'EOM', 'write', 0, 'msr');
    h.run();
    const second = h.hv.takeMessage(0, 'hypervisor')!;
    assert.equal(second.item.bytes[8], 2, 'the queued messages come in order');
    assert.deepEqual([second.pending, second.queued], [true, 1], 'still one queued: msg_pending stays set');
    h.hv.access(0, 'hypervisor', 'EOM', 'write', 0, 'msr');
    h.run();
    const third = h.hv.takeMessage(0, 'hypervisor')!;
    assert.equal(third.item.bytes[8], 3);
    assert.deepEqual([third.pending, third.queued], [false, 0]);
    assert.equal(h.hv.synic(0, 'hypervisor')!.eomCount, 2);
  });

  it('a masked SINT2 or a disabled SIM page drops the message with HV_STATUS_INVALID_SYNIC_STATE', () => {
    const h = harness();
    h.hv.deliver('host', 'hypervisor', offer(1)); // nothing programmed yet
    const m = h.tracer.events.filter((e): e is MessageEvent => e.kind === 'message');
    assert.equal(m.length, 1);
    assert.equal(m[0].status, 'HV_STATUS_INVALID_SYNIC_STATE');
    assert.equal(h.hv.hasMessage(0, 'hypervisor'), false);
    h.enable();
    h.hv.access(0, 'hypervisor', 'SINT2', 'write', SINT2_UNMASKED | 0x10000, 'msr'); // masked
    h.hv.deliver('host', 'hypervisor', offer(2));
    assert.equal(h.hv.hasMessage(0, 'hypervisor'), false);
  });

  it('event flags: a relid set twice is one flag and one interrupt; the scan returns them ascending and clears them', () => {
    const h = harness();
    h.enable();
    h.hv.signalGuest(0, false, 9, 'd9');
    h.hv.signalGuest(0, false, 9, 'd9');
    h.hv.signalGuest(0, false, 3, 'd3');
    h.hv.signalGuest(0, false, 5, 'd5');
    const raised = h.tracer.events.filter((e): e is InterruptEvent => e.kind === 'interrupt').map((e) => e.relid);
    assert.deepEqual(raised, [9, 3, 5]);
    h.run();
    assert.equal(h.interrupts.length, 1, 'one ISR for the pending vector');
    assert.deepEqual([...h.hv.takeEvents(0, 'hypervisor')], [3, 5, 9]);
    assert.equal(h.hv.hasEvents(0, 'hypervisor'), false);
  });

  it('the SINT goes to the VP of the SynIC: VP 1\'s flag interrupts VP 1', () => {
    const h = harness(2);
    h.enable(0);
    h.enable(1);
    h.hv.signalGuest(1, false, 4, 'd4');
    h.run();
    assert.deepEqual(h.interrupts.map((i) => i.vp), [1]);
    assert.equal(h.hv.hasEvents(0, 'hypervisor'), false);
  });

  it('SCONTROL off: the flag is set but the interrupt is not delivered (TLFS: SCONTROL.enable gates every SINT)', () => {
    const h = harness();
    h.enable();
    h.hv.access(0, 'hypervisor', 'SCONTROL', 'write', 0, 'msr');
    h.hv.signalGuest(0, false, 2, 'd2');
    h.run();
    assert.deepEqual(h.interrupts, []);
    assert.equal(h.hv.hasEvents(0, 'hypervisor'), true);
    const e = h.tracer.events.filter((x): x is InterruptEvent => x.kind === 'interrupt');
    assert.equal(e[0].delivered, false);
  });

  it('a lost-interrupt fault sets the flag but loses the SINT', () => {
    const h = harness(1, [{ kind: 'lost-interrupt', trigger: { relid: 6 }, params: {} }]);
    h.enable();
    h.hv.signalGuest(0, false, 6, 'd6');
    h.run();
    assert.deepEqual(h.interrupts, []);
    assert.equal(h.hv.hasEvents(0, 'hypervisor'), true);
  });
});
