// Hand-made SimulationState pieces and trace events for the tree-model tests, written from the
// protocol facts (linux-vmbus.md §3-§5), not from the engine's output.
import type { ChannelView, PageView, RegisterView, SynicView } from '../../../src/simulator/engine/api';
import type { PhaseEvent, MessageEvent, TraceEvent } from '../../../src/simulator/trace/events';

export const STORVSC_GUID = 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f';
export const NETVSC_GUID = 'f8615163-df3e-46c5-913f-f2d2f965ed0e';

export function channel(relid: number, over: Partial<ChannelView> = {}): ChannelView {
  const chnFlags = over.chnFlags ?? 0;
  return {
    relid,
    device: `dev${relid}`,
    classGuid: STORVSC_GUID,
    className: 'storvsc',
    instanceGuid: `00000000-0000-0000-0000-${relid.toString(16).padStart(12, '0')}`,
    subchannelIndex: 0,
    hostedBy: 'host',
    relayed: true,
    chnFlags,
    connectionId: 0x2000 + relid,
    state: 'open',
    confidentialRing: (chnFlags & 0x2) !== 0,
    confidentialExternal: (chnFlags & 0x4) !== 0,
    gpadls: [],
    subchannels: [],
    ...over,
  };
}

export function reg(name: string, msr: number, value: string, fields: RegisterView['fields'], path: RegisterView['path'] = 'msr'): RegisterView {
  return { name, msr, value, fields, path };
}

/** A SINT as Linux programs SINT2 (vector 0xf3, unmasked), with the proxy bit as given. */
export function sint(n: number, proxy: boolean, written = true): RegisterView {
  if (!written) return reg(`SINT${n}`, 0x40000090 + n, '0x10000', { vector: 0, masked: true }, null);
  const v = 0xf3 | (proxy ? 1 << 20 : 0);
  return reg(`SINT${n}`, 0x40000090 + n, '0x' + v.toString(16), { vector: 0xf3, masked: false, auto_eoi: false, proxy }, 'msr');
}

export function synic(owner: 'hypervisor' | 'paravisor', vp: number, proxy: boolean, path: RegisterView['path'] = 'msr'): SynicView {
  return {
    owner,
    vp,
    scontrol: reg('SCONTROL', 0x40000080, '0x1', { enable: true }, path),
    simp: reg('SIMP', 0x40000083, '0x12345001', { enabled: true, base_gpa: 0x12345 }, path),
    siefp: reg('SIEFP', 0x40000082, '0x12346001', { enabled: true, base_gpa: 0x12346 }, path),
    sints: Array.from({ length: 16 }, (_, i) => (i === 2 ? { ...sint(2, proxy), path } : sint(i, false, false))),
    eomCount: 3,
    slots: Array.from({ length: 16 }, (_, i) => ({ sint: i, msgtype: i === 2 ? 'CHANNELMSG_OFFERCHANNEL' : null, pending: false, queued: 0 })),
    eventFlags: Array.from({ length: 16 }, (_, i) => ({ sint: i, bits: i === 2 ? [5] : [] })),
  };
}

export function page(id: string, visibility: PageView['visibility'], count = 1, over: Partial<PageView> = {}): PageView {
  return {
    page: id,
    gpa: '0x100000',
    count,
    purpose: id,
    owner: 'guest',
    visibility,
    reason: visibility === 'encrypted' ? 'co_ring_buffer' : 'decrypted for the host',
    readableBy: visibility === 'encrypted' ? ['guest', 'paravisor'] : ['guest', 'paravisor', 'hypervisor', 'host'],
    freed: false,
    ...over,
  };
}

/** Tiny trace builder: phases and messages with dense seqs. */
export class Trace {
  readonly events: TraceEvent[] = [];
  private stack: string[] = [];

  begin(name: string, vp: number | null = null): this {
    this.events.push({ kind: 'phase', action: 'begin', name, seq: this.events.length, time: this.events.length * 10, vp, granularity: 'event', phase: [...this.stack] } as PhaseEvent);
    this.stack.push(name);
    return this;
  }

  end(outcome: PhaseEvent['outcome'] = 'ok', detail?: string): this {
    const name = this.stack.pop() ?? '?';
    this.events.push({ kind: 'phase', action: 'end', name, outcome, detail, seq: this.events.length, time: this.events.length * 10, vp: null, granularity: 'event', phase: [...this.stack] } as PhaseEvent);
    return this;
  }

  msg(msgtype: string, from: MessageEvent['from'], to: MessageEvent['to'], over: Partial<MessageEvent> = {}): this {
    this.events.push({
      kind: 'message',
      from,
      to,
      synic: to === 'guest' ? 'paravisor' : null,
      path: 'trapped',
      connectionId: 4,
      msgtype,
      msgtypeValue: 0,
      hex: '0e000000',
      decoded: {},
      confidential: true,
      status: 'HV_STATUS_SUCCESS',
      seq: this.events.length,
      time: this.events.length * 10,
      vp: 0,
      granularity: 'event',
      phase: [...this.stack],
      ...over,
    } as MessageEvent);
    return this;
  }
}

/** Probe design: the paravisor InitiateContact fails, the guest falls back to the hypervisor SynIC. */
export function fallbackTrace(): TraceEvent[] {
  return new Trace()
    .begin('synic setup', 0)
    .end('ok')
    .begin('discovery')
    .begin('InitiateContact 6.0')
    .msg('CHANNELMSG_INITIATE_CONTACT', 'guest', 'paravisor')
    .end('failed', 'paravisor SynIC not available')
    .begin('fallback')
    .msg('CHANNELMSG_INITIATE_CONTACT', 'guest', 'host', { confidential: false, path: 'ghcb' })
    .msg('CHANNELMSG_VERSION_RESPONSE', 'host', 'guest', { synic: 'hypervisor', confidential: false })
    .end('fallback', 'non-confidential VMBus 6.0')
    .end('ok')
    .begin('offers')
    .msg('CHANNELMSG_OFFERCHANNEL', 'host', 'guest', { relid: 1 })
    .end('ok').events;
}
