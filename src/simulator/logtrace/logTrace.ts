// A real log as a trace: the events an importer read from trace-cmd / ftrace text of the
// hyperv:vmbus_* events (or a dmesg) become TraceEvents on the log's own time axis and CPUs, one
// event per log record, so the timeline, the trees and the stepper show a real VM's conversation
// like a simulated one. What a record does not say (the SynIC it came through, the bytes, the
// connection id of a post, the access path, whether the payload stayed encrypted) is not guessed:
// the event holds a placeholder and names the field in `log.unknown`, and views print "unknown".
import type { SourceRef } from '../model/config';
import type { InterruptEvent, LogEvent, LogOrigin, MessageEvent, TraceEvent } from '../trace/events';
import { MessageType, messageTypeName } from '../protocol/constants';
import type { ImportedEvent, ImportResult } from '../importers/types';

/** hv_trace.h events of messages the guest received: the CHANNELMSG_* each one handles. */
export const RECEIVED_BY_EVENT: Readonly<Record<string, keyof typeof MessageType>> = {
  vmbus_onoffer: 'CHANNELMSG_OFFERCHANNEL',
  vmbus_onoffer_rescind: 'CHANNELMSG_RESCIND_CHANNELOFFER',
  vmbus_onopen_result: 'CHANNELMSG_OPENCHANNEL_RESULT',
  vmbus_ongpadl_created: 'CHANNELMSG_GPADL_CREATED',
  vmbus_onmodifychannel_response: 'CHANNELMSG_MODIFYCHANNEL_RESPONSE',
  vmbus_ongpadl_torndown: 'CHANNELMSG_GPADL_TORNDOWN',
  vmbus_onversion_response: 'CHANNELMSG_VERSION_RESPONSE',
};

/** hv_trace.h events of messages the guest sent (traced after vmbus_post_msg returned `ret`). */
export const SENT_BY_EVENT: Readonly<Record<string, keyof typeof MessageType>> = {
  vmbus_negotiate_version: 'CHANNELMSG_INITIATE_CONTACT',
  vmbus_request_offers: 'CHANNELMSG_REQUESTOFFERS',
  vmbus_open: 'CHANNELMSG_OPENCHANNEL',
  vmbus_close_internal: 'CHANNELMSG_CLOSECHANNEL',
  vmbus_establish_gpadl_header: 'CHANNELMSG_GPADL_HEADER',
  vmbus_establish_gpadl_body: 'CHANNELMSG_GPADL_BODY',
  vmbus_teardown_gpadl: 'CHANNELMSG_GPADL_TEARDOWN',
  vmbus_release_relid: 'CHANNELMSG_RELID_RELEASED',
  vmbus_send_tl_connect_request: 'CHANNELMSG_TL_CONNECT_REQUEST',
  vmbus_send_modifychannel: 'CHANNELMSG_MODIFYCHANNEL',
};

/** The message fields a record never carries: every message event read from a log lists them. */
const MESSAGE_UNKNOWN = ['hex', 'connectionId', 'path', 'synic', 'confidential'];

export interface LogTrace {
  /** The log's events as a trace (seq = index), in log order. */
  events: TraceEvent[];
  /** The file name the events' `source` points at. */
  file: string;
  /** The guest CPUs the log names (trace CPUs, target VPs), highest + 1; 1 when none. */
  vpCount: number;
  /** The first timestamp (ns), the zero of the log's time axis when shown relative. */
  startTime: number;
}

function sourceOf(file: string, e: ImportedEvent): SourceRef {
  return { file, line: e.line - 1, column: 0, endLine: e.line - 1, endColumn: 0 };
}

const num = (v: string | number | undefined): number => (typeof v === 'number' ? v : Number(v ?? NaN));

/** The Linux-named fields of the CHANNELMSG_* a record stands for, from what the record says. */
function decodedOf(msgtype: string, name: string, f: Record<string, string | number>): Record<string, unknown> {
  const d: Record<string, unknown> = { msgtype };
  switch (name) {
    case 'vmbus_onoffer':
      return { msgtype, child_relid: f.child_relid, monitorid: f.monitorid, is_dedicated_interrupt: f.is_dedicated, connection_id: f.connection_id,
        offer: { if_type: f.if_type, if_instance: f.if_instance, chn_flags: f.chn_flags, mmio_megabytes: f.mmio_megabytes, sub_channel_index: f.sub_channel_index } };
    case 'vmbus_open':
      return { msgtype, child_relid: f.child_relid, openid: f.openid, ringbuffer_gpadlhandle: f.gpadlhandle, target_vp: f.target_vp,
        downstream_ringbuffer_pageoffset: f.offset };
    case 'vmbus_negotiate_version': {
      d.vmbus_version_requested = f.vmbus_version_requested;
      d.target_vcpu = f.target_vcpu;
      // From 5.0 on the first u64 is {msg_sint, msg_vtl, reserved[2], feature_flags} (Linux vmbus_channel_initiate_contact).
      const v = num(f.vmbus_version_requested);
      let ip: bigint | undefined;
      try { ip = typeof f.int_page === 'string' ? BigInt(f.int_page) : undefined; } catch { ip = undefined; }
      if (ip !== undefined && v >= 0x50000) {
        d.msg_sint = Number(ip & 0xffn);
        d.msg_vtl = Number((ip >> 8n) & 0xffn);
        d.feature_flags = Number((ip >> 32n) & 0xffffffffn);
      } else if (f.int_page !== undefined) d.interrupt_page = f.int_page;
      d.monitor_page1 = f.mon_page1;
      d.monitor_page2 = f.mon_page2;
      return d;
    }
    default:
      for (const [k, v] of Object.entries(f)) if (k !== 'ret') d[k] = v;
      return d;
  }
}

function origin(e: ImportedEvent, unknown: string[]): LogOrigin {
  return { line: e.line, name: e.name, fields: e.fields, unknown };
}

/**
 * The log's events as a trace. `file` is what each event's `source` names (the log file), so a
 * view that opens an event's source line opens the log at that record.
 */
export function logToTrace(r: ImportResult, file: string): LogTrace {
  const events: TraceEvent[] = [];
  let lastTime = 0;
  let vpCount = 1;
  let startTime: number | undefined;
  for (const e of r.events) {
    const unknownBase: string[] = [];
    let time: number;
    if (e.time !== undefined && Number.isFinite(e.time)) {
      time = Math.round(e.time * 1e9);
      // A log's clock goes forward; a record out of order keeps its own time (the view orders by seq).
      lastTime = time;
      startTime ??= time;
    } else {
      time = lastTime;
      unknownBase.push('time');
    }
    const vp = e.cpu !== undefined && Number.isInteger(e.cpu) ? e.cpu : null;
    if (vp === null) unknownBase.push('vp');
    else vpCount = Math.max(vpCount, vp + 1);
    const base = { seq: events.length, time, vp, granularity: 'event' as const, phase: [] as string[], source: sourceOf(file, e) };
    const f = e.fields;
    const received = RECEIVED_BY_EVENT[e.name];
    const sent = SENT_BY_EVENT[e.name];
    if (received || sent) {
      const msgtype = (received ?? sent)!;
      const relid = f.child_relid !== undefined ? num(f.child_relid) : undefined;
      const unknown = [...unknownBase, ...MESSAGE_UNKNOWN];
      let status = 'HV_STATUS_SUCCESS';
      if (sent) {
        // vmbus_post_msg returns 0 only for HV_STATUS_SUCCESS; another ret is an errno, not the HV status.
        const ret = num(f.ret);
        if (!Number.isFinite(ret)) { status = 'unknown'; unknown.push('status'); }
        else if (ret !== 0) status = `ret ${ret}`;
      }
      // The guest's peer is the host or, with Confidential VMBus, the paravisor: a record does not say which.
      unknown.push(received ? 'from' : 'to');
      const m: MessageEvent = {
        ...base, kind: 'message',
        from: received ? 'host' : 'guest', to: received ? 'guest' : 'host',
        synic: null, path: 'internal', connectionId: 0,
        msgtype, msgtypeValue: MessageType[msgtype], hex: '',
        decoded: decodedOf(msgtype, e.name, f), confidential: false, status,
        log: origin(e, unknown),
      };
      if (relid !== undefined && Number.isFinite(relid)) m.relid = relid;
      if (received) m.sint = 2;
      events.push(m);
      continue;
    }
    if (e.name === 'vmbus_on_msg_dpc' || e.name === 'vmbus_chan_sched') {
      // The SINT2 interrupt (VMBUS_MESSAGE_SINT): a message in the slot, or a channel's event flag.
      const isMsg = e.name === 'vmbus_on_msg_dpc';
      const mt = num(f.msgtype);
      const i: InterruptEvent = {
        ...base, kind: 'interrupt', synic: 'hypervisor', sint: 2, via: isMsg ? 'message' : 'event', delivered: true,
        log: origin(e, [...unknownBase, 'synic']),
      };
      if (isMsg) i.detail = `msgtype=${Number.isFinite(mt) ? mt : '?'}${Number.isFinite(mt) && messageTypeName(mt) ? ' ' + messageTypeName(mt) : ''}`;
      else if (f.relid !== undefined) i.relid = num(f.relid);
      events.push(i);
      continue;
    }
    const level: LogEvent['level'] = /failed|invalid|unable|unknown msgtype|too short|too large|error/i.test(e.text) ? 'err' : e.name === 'hyperv' || e.name.startsWith('vmbus_') ? 'debug' : 'info';
    const l: LogEvent = { ...base, kind: 'log', party: 'guest', level, text: r.kind === 'trace' ? `${e.name}: ${e.text}` : e.text, log: origin(e, unknownBase) };
    events.push(l);
  }
  return { events, file, vpCount, startTime: startTime ?? 0 };
}

/** A field's value for display: "unknown" for what the log does not give. */
export function isUnknownField(e: TraceEvent, field: string): boolean {
  return !!e.log && e.log.unknown.includes(field);
}
