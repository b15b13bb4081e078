// The hypervisor (and the SynIC OpenHCL emulates for VTL0): the SynICs of every VP, message
// delivery into SINT2 slots with queueing and EOM redelivery, event flags and SINT interrupts,
// and HvPostMessage / HvSignalEvent routing by connection id with its trust and status rules.
// It carries bytes; it never reads a VMBus party's state. What it needs from the rest of the world
// comes through HypervisorPorts.
import type { AccessPath, Party, SynicId } from '../../trace/events';
import type { SourceRef } from '../config';
import type { Clock } from '../ports';
import type { Emit, Json, Tracer } from '../tracer';
import type { FaultInjector } from '../faults/injector';
import type { Platform } from '../platform';
import { msgtypeOf } from '../tracer';
import { decimal } from '../../trace/buffer';
import { messageTypeName } from '../../protocol/constants';
import { hexNum } from '../../protocol/hex';
import {
  HV_STATUS, HVCALL_POST_MESSAGE, HVCALL_SIGNAL_EVENT, LEGACY_PARAVISOR_DIRECT_POST_STATUS, MSR, SINT_MASKED, SINT_PROXY, T,
} from '../constants';
import { newSynic, regFields, type SlotItem, type SynicRegister, type SynicState } from './synic';

/** Shared, never mutated: event-flag StateEvent detail after a scan. */
const EMPTY_FLAGS: Json = Object.freeze({ sint: 2, bits: Object.freeze([]) as unknown as number[] }) as Json;

/** Connection ids a VMBus server listens on for VTL0 (VMBUS_MESSAGE_CONNECTION_ID and _4). */
const VMBUS_CONNECTION_IDS: ReadonlySet<number> = new Set([1, 4]);

export interface PostContext {
  name: string;
  relid?: number;
  nth: number;
}

/** A message the guest posted that reached a VMBus server's port. */
export interface ServerDelivery extends PostContext {
  trusted: boolean;
  /** Posted on connection id 4 (the multi-client port: msg_sint is honoured). */
  multiclient: boolean;
}

export interface HypervisorPorts {
  /** The guest's interrupt entry (vmbus_isr) on a VP. */
  interrupt(vp: number): void;
  /**
   * Whether the guest's VMBus connection is confidential: its interrupts are then enabled by the
   * paravisor SynIC's SCONTROL, not the hypervisor's (the guest programs only that one).
   */
  confidentialGuest(): boolean;
  /** The connection id guest-bound messages carry in the trace (the guest's msg_conn_id; 4 before it has one). */
  guestMessageConnId(): number;
  /** The scenario device a guest-side relid belongs to (fault trigger `device`). */
  deviceOfGuestRelid(relid: number | undefined): string | undefined;
  /** The same, falling back to the servers' relids (messages not yet seen by the guest). */
  deviceOfRelid(relid: number | undefined): string | undefined;
  /** A guest post reaches the port of a VMBus server: the paravisor's (VTL2) or the host's. */
  toServer(target: 'paravisor' | 'host', bytes: Uint8Array, ctx: ServerDelivery): void;
  /**
   * A VTL0 store to a page VTL2 protected against VTL0 writes (OpenHCL's monitor page:
   * modify_vtl_protection_mask readable only): VTL2 gets the intercept; false when not protected.
   */
  vtl2WriteIntercept?(gpa: number, bytes: Uint8Array): boolean;
}

export class Hypervisor {
  /** The hypervisor's SynIC of each VP. */
  private readonly hyp: SynicState[] = [];
  /** The SynIC OpenHCL emulates for VTL0 on each VP (hardware-isolated VMs only). */
  private readonly para: SynicState[] = [];
  /** A vmbus_isr is pending on the VP (the vector is raised once until the guest takes it). */
  private readonly isrPending: boolean[] = [];
  private readonly isrFns: (() => void)[] = [];
  /**
   * The VP channel messages to the guest go to: INITIATE_CONTACT target_vcpu as accepted by the
   * guest's server (OpenVMM retargets its message port); Linux always asks for VMBUS_CONNECT_CPU (0).
   */
  private msgVp = 0;

  constructor(
    private readonly platform: Platform,
    private readonly clock: Clock,
    private readonly tracer: Tracer,
    private readonly faults: FaultInjector,
    private readonly ports: HypervisorPorts,
  ) {
    for (let vp = 0; vp < platform.vpCount; vp++) {
      this.hyp.push(newSynic('hypervisor', vp));
      // OpenHCL emulates a VTL0 SynIC only on hardware-isolated VMs; elsewhere VTL0 uses the
      // hypervisor's SynIC directly (and Linux's paravisor_present is only set for CVMs).
      if (platform.paravisorSynic) this.para.push(newSynic('paravisor', vp));
      this.isrPending.push(false);
    }
  }

  get vpCount(): number {
    return this.hyp.length;
  }

  hasParavisorSynic(vp: number): boolean {
    return this.para[vp] !== undefined;
  }

  /** Read-only view of a SynIC (views, edits and tests). */
  synic(vp: number, owner: SynicId): Readonly<SynicState> | undefined {
    return owner === 'paravisor' ? this.para[vp] : this.hyp[vp];
  }

  /** Every SynIC: the hypervisor's, then the paravisor's. */
  allSynics(): readonly SynicState[] {
    return [...this.hyp, ...this.para];
  }

  /** Messages not yet read by the guest, slot first then queue, SynIC by SynIC (the debugger edits them in flight). */
  queuedMessages(): SlotItem[] {
    const out: SlotItem[] = [];
    for (const s of [...this.hyp, ...this.para]) {
      if (s.slot) out.push(s.slot);
      out.push(...s.queue);
    }
    return out;
  }

  private get(vp: number, owner: SynicId): SynicState {
    return owner === 'paravisor' ? this.para[vp] : this.hyp[vp];
  }

  // ---------------------------------------------------------------------------- registers

  /** The current value of a register (what a read returns). */
  reg(vp: number, owner: SynicId, reg: Exclude<SynicRegister, 'EOM'>): number {
    const s = this.get(vp, owner);
    return reg === 'SCONTROL' ? s.scontrol : reg === 'SIMP' ? s.simp : reg === 'SIEFP' ? s.siefp : s.sint2;
  }

  /** The guest reads or writes a SynIC register (MSR, or trapped by the paravisor). EOM rescans the queue. */
  access(vp: number, owner: SynicId, reg: SynicRegister, op: 'read' | 'write', value: number, path: AccessPath): void {
    const synic = this.get(vp, owner);
    if (op === 'write') {
      if (reg === 'SCONTROL') synic.scontrol = value;
      else if (reg === 'SIMP') synic.simp = value;
      else if (reg === 'SIEFP') synic.siefp = value;
      else if (reg === 'SINT2') synic.sint2 = value;
      else if (reg === 'EOM') synic.eomCount++;
      synic.regPath[reg] = path;
    }
    const msr = reg === 'SINT2' ? MSR.SINT2 : MSR[reg];
    this.tracer.emit({ kind: 'register', op, synic: synic.owner, register: reg, msr, value: hexNum(value), fields: regFields(reg, value), path, by: 'guest', vp, granularity: 'substep' } as Emit);
    if (op === 'write' && reg === 'EOM') this.eom(synic);
  }

  /**
   * OpenHCL intercepts the guest's read of the hypervisor SynIC's SIMP/SIEFP on a CVM and supplies a
   * shared page above vTOM; the register holds it (no guest access of its own).
   */
  supplySynicPage(vp: number, reg: 'SIMP' | 'SIEFP', gpa: number): void {
    const s = this.hyp[vp];
    if (reg === 'SIMP') s.simp = gpa; else s.siefp = gpa;
  }

  // ---------------------------------------------------------------------------- HvPostMessage

  /**
   * HvPostMessage from the guest. Resolves the target by path and connection id the way the
   * hypervisor/paravisor would (openvmm §3.5): trapped -> paravisor server (trusted on a CVM);
   * isolated/plain hypercall -> hypervisor: host ports (1, 4) when the host serves VTL0, otherwise
   * the connection id is forwarded to VTL2 (OpenHCL server, untrusted). Applies post-fails, traces
   * the hypercall and the message, and on success hands the bytes to the server's port.
   */
  postMessage(bytes: Uint8Array, connId: number, path: AccessPath, ctx: PostContext, source?: SourceRef): string {
    const pvServer = this.platform.pvServer;
    let target: 'paravisor' | 'host' | null = null;
    let status = 'HV_STATUS_SUCCESS';
    let trusted = false;
    if (path === 'trapped') {
      if (pvServer && VMBUS_CONNECTION_IDS.has(connId)) { target = 'paravisor'; trusted = this.platform.cvm; }
      else status = pvServer ? 'HV_STATUS_INVALID_CONNECTION_ID' : LEGACY_PARAVISOR_DIRECT_POST_STATUS;
    } else if (pvServer) {
      if (VMBUS_CONNECTION_IDS.has(connId)) { target = 'paravisor'; trusted = false; }
      else status = 'HV_STATUS_INVALID_CONNECTION_ID';
    } else if (VMBUS_CONNECTION_IDS.has(connId)) {
      target = 'host';
    } else {
      status = 'HV_STATUS_INVALID_CONNECTION_ID';
    }
    const pf = this.faults.match(['post-fails'], ctx.name, ctx.relid, ctx.nth, this.ports.deviceOfGuestRelid(ctx.relid));
    if (pf && status === 'HV_STATUS_SUCCESS') {
      const st = String(pf.params.status ?? 'HV_STATUS_INSUFFICIENT_BUFFERS');
      status = st.startsWith('HV_STATUS_') ? st : Object.keys(HV_STATUS).find((k) => HV_STATUS[k] === Number(st)) ?? 'HV_STATUS_INVALID_PARAMETER';
      this.faults.event(pf, 'post-fails', `HvPostMessage(${ctx.name}) returns ${status}`);
    }
    const targetParty: Party = target ?? (path === 'trapped' ? 'paravisor' : 'hypervisor');
    this.tracer.emit({ kind: 'hypercall', name: 'HvPostMessage', code: HVCALL_POST_MESSAGE, path, by: 'guest', target: targetParty, status, connectionId: connId, vp: 0, granularity: 'substep', source } as Emit);
    this.tracer.message('guest', targetParty, null, path, connId, bytes, status, ctx.relid, undefined, undefined, trusted, source);
    if (status === 'HV_STATUS_SUCCESS' && target) this.ports.toServer(target, bytes, { ...ctx, trusted, multiclient: connId === 4 });
    return status;
  }

  /** HvSignalEvent from the guest (vmbus_set_event): stored compactly, like packets. */
  signalEvent(target: Party, connectionId: number): void {
    this.tracer.events.pushSignal(this.clock.now, this.tracer.phaseArr, this.platform.signalPath(), HVCALL_SIGNAL_EVENT, target, connectionId, 0);
  }

  /** A guest store to its monitor page: an intercept to VTL2 when OpenHCL protected the page, else plain memory. */
  writeMonitorPage(gpa: number, bytes: Uint8Array): void {
    this.ports.vtl2WriteIntercept?.(gpa, bytes);
  }

  // ---------------------------------------------------------------------------- messages to the guest

  /** The port a server's message retargets to (INITIATE_CONTACT target_vcpu), if it is a VP. */
  retargetMessages(targetVcpu: number): void {
    this.msgVp = Number.isInteger(targetVcpu) && targetVcpu >= 0 && targetVcpu < this.hyp.length ? targetVcpu : 0;
  }

  /** Server → guest: which SynIC a server's message lands in. */
  private targetSynic(from: 'paravisor' | 'host'): SynicId {
    if (from === 'host') return 'hypervisor';
    // OpenHCL: a proxied paravisor SINT2 sends messages to the untrusted (hypervisor) SynIC.
    const para = this.para[this.msgVp];
    if (!para || (para.sint2 & SINT_PROXY) !== 0) return 'hypervisor';
    return 'paravisor';
  }

  /** A VMBus server posts a channel message to the guest: it lands in a SINT2 slot after T.deliver. */
  sendToGuest(from: 'paravisor' | 'host', bytes: Uint8Array, name: string, relid: number | undefined, nth: number, source?: SourceRef, hostileFault?: string, payloadSize?: number): void {
    const synic = this.targetSynic(from);
    this.clock.schedule(T.deliver, () => this.postToGuestSynic(from, synic, bytes, name, relid, nth, source, hostileFault, payloadSize));
  }

  /**
   * A server posts to a SINT other than VMBus's SINT2 (a custom target). Linux programs only SINT2
   * (and its timer SINT); every SINT resets masked, and a masked SINT refuses a message with
   * HV_STATUS_INVALID_SYNIC_STATE (openvmm §4.1, §4.4): it is dropped, with a warning.
   */
  sendToSint(from: 'paravisor' | 'host', bytes: Uint8Array, vp: number, sint: number): void {
    const synic = this.targetSynic(from);
    this.clock.schedule(T.deliver, () => {
      if (sint === 2) { this.deliver(from, synic, bytes); return; }
      const status = 'HV_STATUS_INVALID_SYNIC_STATE';
      this.tracer.message(from, 'guest', synic, from === 'host' ? 'hypercall' : 'internal', this.ports.guestMessageConnId(), bytes, status, undefined, undefined, sint);
      this.tracer.log(from, 'warn', `${messageTypeName(msgtypeOf(bytes)) ?? 'message'} to VP ${vp} SINT ${sint} dropped: ${status} (the SINT is masked)`);
    });
  }

  private postToGuestSynic(from: Party, synicId: SynicId, bytes: Uint8Array, name: string, relid: number | undefined, nth: number, source?: SourceRef, hostileFault?: string, payloadSize?: number): void {
    const dev = this.ports.deviceOfRelid(relid);
    const f = this.faults.match(['drop', 'delay', 'duplicate', 'corrupt', 'busy-slot'], name, relid, nth, dev);
    let b = bytes;
    let copies = 1;
    let faultId: string | undefined;
    let delay = 0;
    if (f) {
      faultId = f.kind;
      if (f.kind === 'drop') { this.faults.event(f, 'drop', `${name} ${from}→guest dropped`); return; }
      if (f.kind === 'delay') { const us = Number(f.params.us ?? 1000); delay = us * 1000; this.faults.event(f, 'delay', `${name} delayed by ${us} µs`); }
      if (f.kind === 'duplicate') { copies = 2; this.faults.event(f, 'duplicate', `${name} delivered twice`); }
      if (f.kind === 'corrupt') { b = this.faults.corrupt(b, f); this.faults.event(f, 'corrupt', `${name} corrupted`); }
      if (f.kind === 'busy-slot') {
        const s = this.get(this.msgVp, synicId);
        if (!s.slot) {
          // An stimer message occupies the slot (HVMSG_TIMER_EXPIRED).
          s.slot = { bytes: new Uint8Array(0), msgtype: 'HVMSG_TIMER_EXPIRED', from: 'hypervisor', payloadSize: 24 };
          this.faults.event(f, 'busy-slot', `SINT2 slot of the ${synicId} SynIC busy (HVMSG_TIMER_EXPIRED) when ${name} arrives`);
          // Whoever emulates the SynIC fills its slot: the hypervisor, or OpenHCL for its own SynIC.
          this.tracer.state(s.owner, 'slot', 'empty', 'HVMSG_TIMER_EXPIRED', { synic: synicId, vp: s.vp, detail: { sint: 2, msgtype: 'HVMSG_TIMER_EXPIRED', pending: s.pending, queued: s.queue.length } });
          this.raiseSint(s, 'message');
        }
      }
    }
    for (let i = 0; i < copies; i++) {
      const bb = b;
      const fire = () => this.deliver(from, synicId, bb, faultId ?? hostileFault, payloadSize, source);
      if (delay || i) this.clock.schedule(delay + i * 1000, fire); else fire();
    }
  }

  /** The message arrives at a SynIC: slot free → write + interrupt; busy → queue + msg_pending. */
  deliver(from: Party, synicId: SynicId, bytes: Uint8Array, fault?: string, payloadSize?: number, source?: SourceRef): void {
    const s = synicId === 'paravisor' ? this.para[this.msgVp] : this.hyp[this.msgVp];
    const msgtypeValue = msgtypeOf(bytes);
    const msgtype = messageTypeName(msgtypeValue) ?? `UNKNOWN(${msgtypeValue})`;
    const item: SlotItem = { bytes, msgtype, from, payloadSize: payloadSize ?? bytes.length, fault, source };
    if (!s || (s.simp % 2) === 0 || (s.sint2 & SINT_MASKED) !== 0) {
      // OpenVMM post_message: masked SINT or disabled SIM page -> InvalidSynicState; message dropped.
      this.tracer.message(from, 'guest', synicId, from === 'host' ? 'hypercall' : 'internal', this.ports.guestMessageConnId(), bytes, 'HV_STATUS_INVALID_SYNIC_STATE', undefined, fault);
      this.tracer.log(from === 'host' ? 'host' : 'paravisor', 'warn', `post to the ${synicId} SynIC failed: HV_STATUS_INVALID_SYNIC_STATE (SIM page disabled or SINT2 masked)`);
      return;
    }
    if (s.slot) {
      // TLFS / OpenVMM check_sint_ready: the slot is busy, so the message stays queued and the
      // slot header's msg_pending is set (once). The state names the occupant and the queue depth.
      const before = s.queue.length;
      s.queue.push(item);
      const wasPending = s.pending;
      if (!s.pending) s.pending = true;
      const occ = (pending: boolean, n: number) => (pending ? `${s.slot!.msgtype} (msg_pending, ${n} queued)` : s.slot!.msgtype);
      this.tracer.state(s.owner, 'slot', occ(wasPending, before), occ(true, s.queue.length), { synic: synicId, vp: s.vp, detail: { sint: 2, msgtype: s.slot.msgtype, pending: true, queued: s.queue.length, waiting: msgtype } });
      return;
    }
    this.fillSlot(s, item);
  }

  private fillSlot(s: SynicState, item: SlotItem): void {
    s.slot = item;
    const path: AccessPath = item.from === 'host' ? 'hypercall' : (s.owner === 'hypervisor' ? (this.platform.iso === 'tdx' ? 'internal' : 'hypercall') : 'internal');
    this.tracer.message(item.from, 'guest', s.owner, path, this.ports.guestMessageConnId(), item.bytes, 'HV_STATUS_SUCCESS', undefined, item.fault, undefined, undefined, item.source, undefined, item.payloadSize);
    // The party that fills the slot is the one emulating that SynIC: the hypervisor for its own,
    // OpenHCL for the paravisor SynIC it emulates for VTL0 (openvmm §3.5).
    this.tracer.state(s.owner, 'slot', 'empty', item.msgtype, { synic: s.owner, vp: s.vp, detail: { sint: 2, msgtype: item.msgtype, pending: s.pending, queued: s.queue.length } });
    this.raiseSint(s, 'message');
  }

  /** The SynIC rescans its queue on EOM and redelivers into an empty slot. */
  private eom(s: SynicState): void {
    s.pending = false;
    if (s.slot || s.queue.length === 0) return;
    const next = s.queue.shift()!;
    if (s.queue.length > 0) s.pending = true;
    this.clock.schedule(T.deliver / 4, () => {
      if (s.slot) { s.queue.unshift(next); s.pending = true; return; }
      this.fillSlot(s, next);
    });
  }

  /** The guest copies the message out of a slot and empties it (vmbus_on_msg_dpc). */
  takeMessage(vp: number, owner: SynicId): { item: SlotItem; pending: boolean; queued: number } | null {
    const s = this.get(vp, owner);
    if (!s || !s.slot) return null;
    const item = s.slot;
    s.slot = null;
    return { item, pending: s.pending, queued: s.queue.length };
  }

  // ---------------------------------------------------------------------------- event flags and SINTs

  /** Whether a SynIC has event flags set. */
  hasEvents(vp: number, owner: SynicId): boolean {
    const s = this.get(vp, owner);
    return s !== undefined && s.flags.size > 0;
  }

  /** Whether a SynIC's slot holds a message. */
  hasMessage(vp: number, owner: SynicId): boolean {
    const s = this.get(vp, owner);
    return s !== undefined && s.slot !== null;
  }

  /** The guest scans and clears the event flags of a SIEF page (for_each_set_bit + sync_test_and_clear_bit). */
  takeEvents(vp: number, owner: SynicId): number[] | Float64Array {
    const s = this.get(vp, owner);
    const bits = s.flags.takeSorted();
    this.tracer.state('guest', 'event-flags', bits.length === 1 ? decimal(bits[0]) : bits.join(','), '', { synic: s.owner, vp, detail: EMPTY_FLAGS });
    return bits;
  }

  /**
   * A server (host or paravisor) signals a channel to the guest: set the relid's event flag in the
   * SIEF page of the channel's target VP, then interrupt. Paravisor-hosted channels signal the
   * paravisor SynIC unless its SINT2 is proxied; relayed and host channels signal the hypervisor
   * SynIC ("check both SynICs").
   */
  signalGuest(vp: number, paravisorHosted: boolean, relid: number, device: string): void {
    const para = this.para[vp];
    const usePara = paravisorHosted && para !== undefined && (para.sint2 & SINT_PROXY) === 0;
    const s = usePara ? para : this.hyp[vp];
    if (!s.flags.add(relid)) return;
    // nth counts this channel's event interrupts.
    const lost = this.faults.faults.length === 0 ? null : this.faults.match(['lost-interrupt'], '', relid, this.faults.msgCount('irq:' + relid), device);
    if (lost) this.faults.event(lost, 'lost-interrupt', `interrupt for relid ${relid} lost`);
    this.raiseSint(s, 'event', relid, !!lost);
  }

  private raiseSint(s: SynicState, via: 'message' | 'event', relid?: number, lost = false): void {
    // In confidential mode interrupts are signalled by the paravisor SynIC; a non-confidential
    // guest's hypervisor SynIC needs SCONTROL enabled.
    // (A boolean, not `x & 1 || ...`: `false !== 0` once let an SCONTROL of 0 deliver.)
    // The SynIC that signals: the paravisor's on a confidential connection, whichever SynIC's page
    // holds the flag or message (a relayed channel's flag is set by the host in the hypervisor
    // SynIC's SIEF page); the trace names both (InterruptEvent.synic / signaledBy).
    const confidential = this.ports.confidentialGuest();
    const signaler: SynicId = confidential && this.para[s.vp] !== undefined ? 'paravisor' : s.owner;
    const enabled = confidential
      ? ((this.para[s.vp]?.scontrol ?? 0) & 1) === 1
      : (this.hyp[s.vp].scontrol & 1) === 1 || (s.owner === 'paravisor' && (s.scontrol & 1) === 1);
    const delivered = !lost && enabled && (s.sint2 & SINT_MASKED) === 0;
    if (relid !== undefined && !lost) {
      // Hot path (channel event flags): stored compactly; read back with the general form's keys.
      // Like packets and signals, it is never a stop point (eventMatchesStop), so checkAfter is skipped.
      this.tracer.events.pushInterrupt(this.clock.now, this.tracer.phaseArr, s.owner, via, delivered, s.vp, relid, signaler);
    } else {
      const e: Json = { kind: 'interrupt', synic: s.owner, sint: 2, via, delivered, vp: s.vp, granularity: 'substep' };
      if (relid !== undefined) e.relid = relid;
      if (signaler !== s.owner) e.signaledBy = signaler;
      if (lost) e.detail = 'lost (fault)';
      this.tracer.emit(e as Emit);
    }
    if (delivered && !this.isrPending[s.vp]) {
      this.isrPending[s.vp] = true;
      this.clock.schedule(T.isr, this.isrFn(s.vp));
    }
  }

  /** One vmbus_isr action per VP, made once (the data path raises it a lot). */
  private isrFn(vp: number): () => void {
    return this.isrFns[vp] ?? (this.isrFns[vp] = () => { this.isrPending[vp] = false; this.ports.interrupt(vp); });
  }
}
