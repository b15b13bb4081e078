// A hand-written trace for the timeline's tests and benchmark: a Confidential VMBus connect on an
// SNP guest with a paravisor (SynIC setup, InitiateContact trapped by the paravisor, offers, an open
// with GPADLs, ring packets), a fault and a broken invariant; repeated with fresh seqs to reach any
// size. Plain data, shaped exactly like the engine's TraceEvent.
import type { MessageEvent, TraceEvent } from '../../src/simulator/trace/events';

type NoSeq<T> = T extends TraceEvent ? Omit<T, 'seq' | 'time'> : never;

const scenario = (line: number) => ({ file: '/work/fixture/connect.vmbus', line, column: 0, endLine: line, endColumn: 20 });

function msg(p: Omit<MessageEvent, 'seq' | 'time' | 'kind' | 'granularity' | 'hex' | 'msgtypeValue' | 'connectionId' | 'status'> & Partial<MessageEvent>): NoSeq<MessageEvent> {
  return {
    kind: 'message', granularity: 'event', hex: '0e00000000000000' + '00'.repeat(8), msgtypeValue: 0, connectionId: 0x800074, status: 'HV_STATUS_SUCCESS', ...p,
  } as NoSeq<MessageEvent>;
}

/** One connect-offer-open cycle (about 40 events). */
function cycle(vpCount: number): NoSeq<TraceEvent>[] {
  const ph = (...p: string[]) => p;
  const out: NoSeq<TraceEvent>[] = [];
  out.push({ kind: 'phase', granularity: 'event', vp: null, phase: ph('synic'), action: 'begin', name: 'synic' });
  for (let vp = 0; vp < vpCount; vp++) {
    out.push({ kind: 'register', granularity: 'substep', vp, phase: ph('synic'), op: 'write', synic: 'paravisor', register: 'SIMP', msr: 0x40000083, value: '0x000000000fff0001', fields: { enabled: true, base_gpa: '0xfff0000' }, path: 'trapped', by: 'guest' });
    out.push({ kind: 'register', granularity: 'substep', vp, phase: ph('synic'), op: 'write', synic: 'paravisor', register: 'SINT2', msr: 0x40000092, value: '0x0000000000000002', fields: { vector: 2, masked: false, auto_eoi: false }, path: 'trapped', by: 'guest' });
    out.push({ kind: 'page', granularity: 'substep', vp, phase: ph('synic'), page: `vp${vp}.para.simp`, gpa: '0xfff0000', count: 1, purpose: 'SIMP', visibility: 'encrypted', reason: 'paravisor SynIC page stays private', action: 'allocate', owner: 'guest' });
  }
  out.push({ kind: 'phase', granularity: 'event', vp: null, phase: ph('synic'), action: 'end', name: 'synic', outcome: 'ok' });
  out.push({ kind: 'phase', granularity: 'event', vp: null, phase: ph('connect'), action: 'begin', name: 'connect', source: scenario(3) });
  out.push(msg({ vp: 0, phase: ph('connect', 'version 6.0'), from: 'guest', to: 'paravisor', synic: 'paravisor', path: 'trapped', msgtype: 'CHANNELMSG_INITIATE_CONTACT', msgtypeValue: 14, decoded: { vmbus_version_requested: 0x60000, target_vcpu: 0, feature_flags: 0 }, confidential: true, source: scenario(4) }));
  out.push({ kind: 'interrupt', granularity: 'substep', vp: 0, phase: ph('connect', 'version 6.0'), synic: 'paravisor', sint: 2, via: 'message', delivered: true });
  out.push(msg({ vp: 0, phase: ph('connect', 'version 6.0'), from: 'paravisor', to: 'guest', synic: 'paravisor', path: 'internal', msgtype: 'CHANNELMSG_VERSION_RESPONSE', msgtypeValue: 15, decoded: { version_supported: 1, connection_state: 0, msg_conn_id: 4 }, confidential: true }));
  out.push({ kind: 'state', granularity: 'event', vp: null, phase: ph('connect'), party: 'guest', object: 'connection', from: 'connecting', to: 'connected' });
  out.push({ kind: 'log', granularity: 'event', vp: null, phase: ph('connect'), party: 'guest', level: 'info', text: 'hv_vmbus: Vmbus version:6.0' });
  out.push(msg({ vp: 0, phase: ph('connect', 'relay'), from: 'paravisor', to: 'host', synic: 'hypervisor', path: 'ghcb', msgtype: 'CHANNELMSG_INITIATE_CONTACT', msgtypeValue: 14, decoded: { vmbus_version_requested: 0x60000 }, confidential: false }));
  out.push(msg({ vp: 0, phase: ph('connect', 'relay'), from: 'host', to: 'paravisor', synic: 'hypervisor', path: 'hypercall', msgtype: 'CHANNELMSG_VERSION_RESPONSE', msgtypeValue: 15, decoded: { version_supported: 1 }, confidential: false }));
  out.push({ kind: 'phase', granularity: 'event', vp: null, phase: ph('connect'), action: 'end', name: 'connect', outcome: 'ok' });
  out.push({ kind: 'phase', granularity: 'event', vp: null, phase: ph('offers'), action: 'begin', name: 'offers' });
  out.push(msg({ vp: 0, phase: ph('offers'), from: 'guest', to: 'paravisor', synic: 'paravisor', path: 'trapped', msgtype: 'CHANNELMSG_REQUESTOFFERS', msgtypeValue: 3, decoded: {}, confidential: true }));
  for (const [relid, host] of [[1, 'paravisor'], [5, 'host'], [6, 'host']] as const) {
    if (host === 'host') out.push(msg({ vp: 0, phase: ph('offers'), from: 'host', to: 'paravisor', synic: 'hypervisor', path: 'hypercall', msgtype: 'CHANNELMSG_OFFERCHANNEL', msgtypeValue: 1, relid, decoded: { child_relid: relid, monitorid: 0, is_dedicated_interrupt: 0 }, confidential: false }));
    out.push(msg({ vp: 0, phase: ph('offers'), from: 'paravisor', to: 'guest', synic: 'paravisor', path: 'internal', msgtype: 'CHANNELMSG_OFFERCHANNEL', msgtypeValue: 1, relid, decoded: { child_relid: relid, monitorid: 0 }, confidential: host === 'paravisor' }));
  }
  out.push(msg({ vp: 0, phase: ph('offers'), from: 'paravisor', to: 'guest', synic: 'paravisor', path: 'internal', msgtype: 'CHANNELMSG_ALLOFFERS_DELIVERED', msgtypeValue: 4, decoded: {}, confidential: true }));
  out.push({ kind: 'phase', granularity: 'event', vp: null, phase: ph('offers'), action: 'end', name: 'offers', outcome: 'ok' });
  out.push({ kind: 'phase', granularity: 'event', vp: null, phase: ph('open', 'relid 5'), action: 'begin', name: 'open relid 5' });
  out.push({ kind: 'page', granularity: 'event', vp: 0, phase: ph('open', 'relid 5'), page: 'relid5.ring', gpa: '0x1e000', count: 8, purpose: 'ring', visibility: 'host-visible', reason: 'host-hosted channel: ring must be shared', action: 'set-visibility', owner: 'guest' });
  out.push(msg({ vp: 0, phase: ph('open', 'relid 5'), from: 'guest', to: 'paravisor', synic: 'paravisor', path: 'trapped', msgtype: 'CHANNELMSG_GPADL_HEADER', msgtypeValue: 8, relid: 5, decoded: { child_relid: 5, gpadl: 0xe1e10, range_buflen: 32776 }, confidential: true }));
  out.push(msg({ vp: 0, phase: ph('open', 'relid 5'), from: 'paravisor', to: 'host', synic: 'hypervisor', path: 'ghcb', msgtype: 'CHANNELMSG_GPADL_HEADER', msgtypeValue: 8, relid: 5, decoded: { child_relid: 5, gpadl: 0xe1e10 }, confidential: false }));
  out.push(msg({ vp: 0, phase: ph('open', 'relid 5'), from: 'host', to: 'paravisor', synic: 'hypervisor', path: 'hypercall', msgtype: 'CHANNELMSG_GPADL_CREATED', msgtypeValue: 10, relid: 5, decoded: { child_relid: 5, gpadl: 0xe1e10, creation_status: 0 }, confidential: false }));
  out.push(msg({ vp: 0, phase: ph('open', 'relid 5'), from: 'paravisor', to: 'guest', synic: 'paravisor', path: 'internal', msgtype: 'CHANNELMSG_GPADL_CREATED', msgtypeValue: 10, relid: 5, decoded: { child_relid: 5, gpadl: 0xe1e10, creation_status: 0 }, confidential: true }));
  out.push(msg({ vp: vpCount > 1 ? 1 : 0, phase: ph('open', 'relid 5'), from: 'guest', to: 'paravisor', synic: 'paravisor', path: 'trapped', msgtype: 'CHANNELMSG_OPENCHANNEL', msgtypeValue: 5, relid: 5, decoded: { child_relid: 5, openid: 5, ringbuffer_gpadlhandle: 0xe1e10, target_vp: vpCount > 1 ? 1 : 0 }, confidential: true, source: scenario(9) }));
  out.push({ kind: 'fault', granularity: 'event', vp: null, phase: ph('open', 'relid 5'), fault: 'delay-open-result', description: 'host answers the open late', hostile: false, source: scenario(12) });
  out.push(msg({ vp: 0, phase: ph('open', 'relid 5'), from: 'host', to: 'paravisor', synic: 'hypervisor', path: 'tdcall', msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', msgtypeValue: 6, relid: 5, decoded: { child_relid: 5, openid: 5, status: 0 }, confidential: false, fault: 'delay-open-result' }));
  out.push(msg({ vp: 0, phase: ph('open', 'relid 5'), from: 'paravisor', to: 'guest', synic: 'paravisor', path: 'internal', msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', msgtypeValue: 6, relid: 5, decoded: { child_relid: 5, openid: 5, status: 0 }, confidential: true }));
  out.push({ kind: 'state', granularity: 'event', vp: null, phase: ph('open', 'relid 5'), party: 'guest', object: 'channel', relid: 5, from: 'opening', to: 'open' });
  for (let i = 0; i < 4; i++) {
    const g = i % 2 === 0;
    out.push({ kind: 'packet', granularity: 'event', vp: 0, phase: ph('open', 'relid 5', 'data'), relid: 5, from: g ? 'guest' : 'host', to: g ? 'host' : 'guest', ring: g ? 'outbound' : 'inbound', packetType: 'VM_PKT_DATA_INBAND', bytes: 64, transactionId: `0x${i + 1}`, writeIndex: 64 * i, signaled: true, confidential: false });
    out.push({ kind: 'hypercall', granularity: 'substep', vp: 0, phase: ph('open', 'relid 5', 'data'), name: 'HvSignalEvent', code: 0x5d, path: g ? 'ghcb' : 'hypercall', by: g ? 'guest' : 'host', target: g ? 'host' : 'guest', status: 'HV_STATUS_SUCCESS', connectionId: 5 });
  }
  out.push({ kind: 'invariant', granularity: 'event', vp: null, phase: ph('open', 'relid 5'), name: 'ring-visibility', description: 'a host-hosted ring is host-visible only after GPADL_CREATED' });
  out.push({ kind: 'expectation', granularity: 'event', vp: null, phase: ph('open', 'relid 5'), ok: true, text: 'channel 5 open' });
  out.push({ kind: 'phase', granularity: 'event', vp: null, phase: ph('open', 'relid 5'), action: 'end', name: 'open relid 5', outcome: 'ok' });
  return out;
}

/** A trace of at least `min` events (whole cycles, then cut to exactly `min` when min > 0). */
export function fixtureTrace(min = 0, vpCount = 2, variant: 'a' | 'b' = 'a'): TraceEvent[] {
  const events: TraceEvent[] = [];
  let time = 0;
  let round = 0;
  do {
    let c = cycle(vpCount);
    // Variant b (stands in for the other design): one offer fewer and no guest log line.
    if (variant === 'b') c = c.filter((e) => !(e.kind === 'message' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL' && e.relid === 6) && e.kind !== 'log');
    for (const e of c) {
      time += 250 + (events.length % 7) * 40;
      events.push({ ...e, seq: events.length, time } as TraceEvent);
    }
    round++;
  } while (events.length < min);
  if (min > 0) events.length = min;
  void round;
  return events;
}
