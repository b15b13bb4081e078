// trace-cmd text: the engine's trace as the Linux guest's hyperv:vmbus_* trace events
// (drivers/hv/hv_trace.h) would show it in `trace-cmd report`. The TP_printk formats below are
// the one description of each event: the exporter prints with them and the importer
// (importers/trace.ts) builds its matchers from them.
import type { MessageEvent, TraceEvent } from './events';
import type { Trace } from './buffer';
import { linuxMsgDpc } from '../protocol/linuxDpc';

export interface TraceCmdFormat {
  /** Event name (TRACE_SYSTEM hyperv). */
  name: string;
  /** TP_printk format, the string pieces joined as the compiler joins them. */
  format: string;
  /** Field name of each conversion, in order. */
  fields: readonly string[];
}

const F = (name: string, format: string, fields: string[]): TraceCmdFormat => ({ name, format, fields });

/** Every hyperv:vmbus_* event of a current kernel (hv_trace.h), in the header's order. */
export const TRACE_CMD_FORMATS: readonly TraceCmdFormat[] = [
  F('vmbus_on_msg_dpc', 'msgtype=%u', ['msgtype']),
  F('vmbus_on_message', 'msgtype=%u', ['msgtype']),
  F('vmbus_onoffer', 'child_relid 0x%x, monitorid 0x%x, is_dedicated %d, connection_id 0x%x, if_type %pUl, if_instance %pUl, chn_flags 0x%x, mmio_megabytes %d, sub_channel_index %d',
    ['child_relid', 'monitorid', 'is_dedicated', 'connection_id', 'if_type', 'if_instance', 'chn_flags', 'mmio_megabytes', 'sub_channel_index']),
  F('vmbus_onoffer_rescind', 'child_relid 0x%x', ['child_relid']),
  F('vmbus_onopen_result', 'child_relid 0x%x, openid %d, status %d', ['child_relid', 'openid', 'status']),
  F('vmbus_ongpadl_created', 'child_relid 0x%x, gpadl 0x%x, creation_status %d', ['child_relid', 'gpadl', 'creation_status']),
  F('vmbus_onmodifychannel_response', 'child_relid 0x%x, status %d', ['child_relid', 'status']),
  F('vmbus_ongpadl_torndown', 'gpadl 0x%x', ['gpadl']),
  F('vmbus_onversion_response', 'version_supported %d', ['version_supported']),
  F('vmbus_request_offers', 'sending ret %d', ['ret']),
  F('vmbus_open', 'sending child_relid 0x%x, openid %d, gpadlhandle 0x%x, target_vp 0x%x, offset 0x%x, ret %d',
    ['child_relid', 'openid', 'gpadlhandle', 'target_vp', 'offset', 'ret']),
  F('vmbus_close_internal', 'sending child_relid 0x%x, ret %d', ['child_relid', 'ret']),
  // No comma between the range_buflen value and "rangecount": hv_trace.h prints it that way.
  F('vmbus_establish_gpadl_header', 'sending child_relid 0x%x, gpadl 0x%x, range_buflen %d rangecount %d, ret %d',
    ['child_relid', 'gpadl', 'range_buflen', 'rangecount', 'ret']),
  F('vmbus_establish_gpadl_body', 'sending msgnumber %d, gpadl 0x%x, ret %d', ['msgnumber', 'gpadl', 'ret']),
  F('vmbus_teardown_gpadl', 'sending child_relid 0x%x, gpadl 0x%x, ret %d', ['child_relid', 'gpadl', 'ret']),
  F('vmbus_negotiate_version', 'sending vmbus_version_requested %d, target_vcpu 0x%x, pages %llx:%llx:%llx, ret %d',
    ['vmbus_version_requested', 'target_vcpu', 'int_page', 'mon_page1', 'mon_page2', 'ret']),
  F('vmbus_release_relid', 'sending child_relid 0x%x, ret %d', ['child_relid', 'ret']),
  F('vmbus_send_tl_connect_request', 'sending guest_endpoint_id %pUl, host_service_id %pUl, ret %d', ['guest_endpoint_id', 'host_service_id', 'ret']),
  F('vmbus_send_modifychannel', 'binding child_relid 0x%x to target_vp 0x%x, ret %d', ['child_relid', 'target_vp', 'ret']),
  F('vmbus_chan_sched', 'relid 0x%x', ['relid']),
  F('vmbus_setevent', 'relid 0x%x', ['relid']),
  F('vmbus_on_event', 'relid 0x%x', ['relid']),
];

export const TRACE_CMD_FORMAT_BY_NAME: ReadonlyMap<string, TraceCmdFormat> = new Map(TRACE_CMD_FORMATS.map((f) => [f.name, f]));

/** A field value: numbers for %u %d %x, GUID strings for %pUl, "0x..." strings (u64) for %llx. */
export type TraceCmdValue = number | string;

const CONV = /%(?:llx|pUl|[udx])/g;

function u32(n: number): number {
  return Number.isFinite(n) ? (Math.trunc(n) >>> 0) : 0;
}
function s32(n: number): number {
  return Number.isFinite(n) ? (Math.trunc(n) | 0) : 0;
}

/** The event's text as TP_printk prints it. */
export function formatTraceCmdBody(name: string, values: Readonly<Record<string, TraceCmdValue>>): string {
  const f = TRACE_CMD_FORMAT_BY_NAME.get(name);
  if (!f) throw new Error(`no hyperv trace event named ${name}`);
  let i = 0;
  return f.format.replace(CONV, (conv) => {
    const v = values[f.fields[i++]];
    switch (conv) {
      case '%u': return String(u32(Number(v ?? 0)));
      case '%d': return String(s32(Number(v ?? 0)));
      case '%x': return u32(Number(v ?? 0)).toString(16);
      case '%pUl': return String(v ?? '00000000-0000-0000-0000-000000000000').toLowerCase();
      default: { // %llx
        let big: bigint;
        try { big = BigInt(typeof v === 'string' ? (v.startsWith('0x') ? v : '0x' + v) : Math.trunc(Number(v ?? 0))); } catch { big = 0n; }
        return BigInt.asUintN(64, big).toString(16);
      }
    }
  });
}

const MATCHERS = new Map<string, RegExp>();
function matcher(f: TraceCmdFormat): RegExp {
  let re = MATCHERS.get(f.name);
  if (!re) {
    const parts = f.format.split(CONV).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ +/g, '\\s+'));
    const convs = f.format.match(CONV) ?? [];
    let src = '^' + parts[0];
    convs.forEach((c, i) => {
      src += c === '%u' ? '(\\d{1,10})' : c === '%d' ? '(-?\\d{1,10})' : c === '%x' ? '([0-9a-fA-F]{1,8})' : c === '%llx' ? '([0-9a-fA-F]{1,16})'
        : '([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})';
      src += parts[i + 1];
    });
    re = new RegExp(src + '\\s*$');
    MATCHERS.set(f.name, re);
  }
  return re;
}

const CONVS = new Map<string, readonly string[]>();
/** The format's conversions in order (computed once: a large trace parses hundreds of thousands of records). */
function convsOf(f: TraceCmdFormat): readonly string[] {
  let c = CONVS.get(f.name);
  if (!c) { c = f.format.match(CONV) ?? []; CONVS.set(f.name, c); }
  return c;
}

/** Whether an event's text matches its TP_printk format (what parseTraceCmdBody accepts), without building its fields. */
export function isTraceCmdBody(name: string, body: string): boolean {
  const f = TRACE_CMD_FORMAT_BY_NAME.get(name);
  if (!f) return false;
  // %u and %d need their range checked: parse those.
  if (convsOf(f).some((c) => c === '%u' || c === '%d')) return parseTraceCmdBody(name, body) !== undefined;
  return matcher(f).test(body.trim());
}

/** Parses an event's text with its TP_printk format; undefined when the text does not match it. */
export function parseTraceCmdBody(name: string, body: string): Record<string, TraceCmdValue> | undefined {
  const f = TRACE_CMD_FORMAT_BY_NAME.get(name);
  if (!f) return undefined;
  const m = matcher(f).exec(body.trim());
  if (!m) return undefined;
  const convs = convsOf(f);
  const out: Record<string, TraceCmdValue> = {};
  let ok = true;
  convs.forEach((c, i) => {
    const v = m[i + 1];
    const n = c === '%x' ? parseInt(v, 16) : c === '%u' || c === '%d' ? Number(v) : 0;
    // %u and %x print u32 values, %d an int: anything wider is not what the kernel printed.
    if ((c === '%u' && n > 0xffffffff) || (c === '%d' && (n > 0x7fffffff || n < -0x80000000))) ok = false;
    out[f.fields[i]] = c === '%llx' ? '0x' + v.toLowerCase() : c === '%pUl' ? v.toLowerCase() : n;
  });
  return ok ? out : undefined;
}

// ------------------------------------------------------------------------------------ exporter

/** One trace-cmd record: the event the Linux guest would have traced for an engine event. */
export interface TraceCmdRecord {
  /** Simulated time, ns. */
  time: number;
  cpu: number;
  task: string;
  pid: number;
  name: string;
  values: Record<string, TraceCmdValue>;
  /** seq of the engine event it came from. */
  seq: number;
}

/** Linux errno for a failed vmbus_post_msg: -ENOBUFS for insufficient memory/buffers, else -EINVAL. */
function retOf(status: string): number {
  if (status === 'HV_STATUS_SUCCESS') return 0;
  if (/INSUFFICIENT_(?:MEMORY|BUFFERS)/.test(status)) return -105;
  return -22;
}

function num(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : 0;
  return Number.isFinite(n) ? n : 0;
}

/** u64 at byte `offset` of a message's hex, as "0x..." (the negotiate_version pages). */
function u64At(hex: string, offset: number): string {
  const s = hex.slice(offset * 2, offset * 2 + 16);
  if (s.length < 16 || !/^[0-9a-f]+$/i.test(s)) return '0x0';
  let le = '';
  for (let i = 14; i >= 0; i -= 2) le += s.slice(i, i + 2);
  return '0x' + BigInt('0x' + le).toString(16);
}

const IRQ_TASK = '<idle>';
const WORK_TASK = 'kworker/0:1';
const WORK_PID = 23;
const SEND_TASK = 'systemd-udevd';
const SEND_PID = 211;

/**
 * The Linux guest's hyperv:vmbus_* trace records for an engine trace: messages the guest received
 * (vmbus_on_msg_dpc, then the handler's event), messages it sent (vmbus_negotiate_version,
 * vmbus_open ...), channel interrupts (vmbus_chan_sched, vmbus_on_event) and signals
 * (vmbus_setevent). Paravisor ↔ host traffic is not the guest's and is left out. Task names
 * and pids are made up (the simulator has no processes): interrupt context is `<idle>-0`,
 * offer handling `kworker/0:1`, driver calls `systemd-udevd` (where Linux probes drivers).
 */
export function traceCmdRecords(events: Trace): TraceCmdRecord[] {
  const out: TraceCmdRecord[] = [];
  const push = (e: TraceEvent, name: string, values: Record<string, TraceCmdValue>, task: string, pid: number): void => {
    out.push({ time: e.time, cpu: e.vp ?? 0, task, pid, name, values, seq: e.seq });
  };
  for (const e of events) {
    if (e.kind === 'message') {
      if (e.to === 'guest') { if (e.synic !== null && e.status === 'HV_STATUS_SUCCESS') received(e); }
      else if (e.from === 'guest') sent(e);
    } else if (e.kind === 'interrupt' && e.via === 'event' && e.delivered && e.relid !== undefined && isGuestSint(e.sint)) {
      push(e, 'vmbus_chan_sched', { relid: e.relid }, IRQ_TASK, 0);
      push(e, 'vmbus_on_event', { relid: e.relid }, IRQ_TASK, 0);
    } else if (e.kind === 'packet' && e.from === 'guest' && e.signaled) {
      push(e, 'vmbus_setevent', { relid: e.relid }, SEND_TASK, SEND_PID);
    }
  }
  return out;

  function isGuestSint(sint: number): boolean {
    return sint === 2;
  }

  function received(e: MessageEvent): void {
    const d = e.decoded as Record<string, unknown>;
    push(e, 'vmbus_on_msg_dpc', { msgtype: e.msgtypeValue }, IRQ_TASK, 0);
    // vmbus_on_msg_dpc traces every message, then drops what fails its checks (unknown msgtype,
    // payload over 240, no handler, under the handler's minimum): no vmbus_on_message, no handler event.
    if (!linuxMsgDpc(e.msgtypeValue, e.payloadSize ?? e.hex.length / 2).handled) return;
    switch (e.msgtype) {
      case 'CHANNELMSG_OFFERCHANNEL': {
        const o = (d.offer ?? {}) as Record<string, unknown>;
        push(e, 'vmbus_on_message', { msgtype: e.msgtypeValue }, WORK_TASK, WORK_PID);
        push(e, 'vmbus_onoffer', {
          child_relid: num(d.child_relid), monitorid: num(d.monitorid), is_dedicated: num(d.is_dedicated_interrupt),
          connection_id: num(d.connection_id), if_type: String(o.if_type ?? ''), if_instance: String(o.if_instance ?? ''),
          chn_flags: num(o.chn_flags), mmio_megabytes: num(o.mmio_megabytes), sub_channel_index: num(o.sub_channel_index),
        }, WORK_TASK, WORK_PID);
        break;
      }
      case 'CHANNELMSG_RESCIND_CHANNELOFFER':
        push(e, 'vmbus_on_message', { msgtype: e.msgtypeValue }, WORK_TASK, WORK_PID);
        push(e, 'vmbus_onoffer_rescind', { child_relid: num(d.child_relid) }, WORK_TASK, WORK_PID);
        break;
      case 'CHANNELMSG_OPENCHANNEL_RESULT':
        push(e, 'vmbus_onopen_result', { child_relid: num(d.child_relid), openid: num(d.openid), status: num(d.status) }, IRQ_TASK, 0);
        break;
      case 'CHANNELMSG_GPADL_CREATED':
        push(e, 'vmbus_ongpadl_created', { child_relid: num(d.child_relid), gpadl: num(d.gpadl), creation_status: num(d.creation_status) }, IRQ_TASK, 0);
        break;
      case 'CHANNELMSG_MODIFYCHANNEL_RESPONSE':
        push(e, 'vmbus_onmodifychannel_response', { child_relid: num(d.child_relid), status: num(d.status) }, IRQ_TASK, 0);
        break;
      case 'CHANNELMSG_GPADL_TORNDOWN':
        push(e, 'vmbus_ongpadl_torndown', { gpadl: num(d.gpadl) }, IRQ_TASK, 0);
        break;
      case 'CHANNELMSG_VERSION_RESPONSE':
        push(e, 'vmbus_onversion_response', { version_supported: num(d.version_supported) }, IRQ_TASK, 0);
        break;
      default:
    }
  }

  function sent(e: MessageEvent): void {
    const d = e.decoded as Record<string, unknown>;
    const ret = retOf(e.status);
    switch (e.msgtype) {
      case 'CHANNELMSG_INITIATE_CONTACT':
        push(e, 'vmbus_negotiate_version', {
          vmbus_version_requested: num(d.vmbus_version_requested), target_vcpu: num(d.target_vcpu),
          int_page: u64At(e.hex, 16), mon_page1: u64At(e.hex, 24), mon_page2: u64At(e.hex, 32), ret,
        }, SEND_TASK, SEND_PID);
        break;
      case 'CHANNELMSG_REQUESTOFFERS':
        push(e, 'vmbus_request_offers', { ret }, SEND_TASK, SEND_PID);
        break;
      case 'CHANNELMSG_OPENCHANNEL':
        push(e, 'vmbus_open', {
          child_relid: num(d.child_relid), openid: num(d.openid), gpadlhandle: num(d.ringbuffer_gpadlhandle),
          target_vp: num(d.target_vp), offset: num(d.downstream_ringbuffer_pageoffset), ret,
        }, SEND_TASK, SEND_PID);
        break;
      case 'CHANNELMSG_CLOSECHANNEL':
        push(e, 'vmbus_close_internal', { child_relid: num(d.child_relid), ret }, SEND_TASK, SEND_PID);
        break;
      case 'CHANNELMSG_GPADL_HEADER':
        push(e, 'vmbus_establish_gpadl_header', {
          child_relid: num(d.child_relid), gpadl: num(d.gpadl), range_buflen: num(d.range_buflen), rangecount: num(d.rangecount), ret,
        }, SEND_TASK, SEND_PID);
        break;
      case 'CHANNELMSG_GPADL_BODY':
        push(e, 'vmbus_establish_gpadl_body', { msgnumber: num(d.msgnumber), gpadl: num(d.gpadl), ret }, SEND_TASK, SEND_PID);
        break;
      case 'CHANNELMSG_GPADL_TEARDOWN':
        push(e, 'vmbus_teardown_gpadl', { child_relid: num(d.child_relid), gpadl: num(d.gpadl), ret }, SEND_TASK, SEND_PID);
        break;
      case 'CHANNELMSG_RELID_RELEASED':
        push(e, 'vmbus_release_relid', { child_relid: num(d.child_relid), ret }, WORK_TASK, WORK_PID);
        break;
      case 'CHANNELMSG_TL_CONNECT_REQUEST':
        push(e, 'vmbus_send_tl_connect_request', {
          guest_endpoint_id: String(d.guest_endpoint_id ?? ''), host_service_id: String(d.host_service_id ?? ''), ret,
        }, SEND_TASK, SEND_PID);
        break;
      case 'CHANNELMSG_MODIFYCHANNEL':
        push(e, 'vmbus_send_modifychannel', { child_relid: num(d.child_relid), target_vp: num(d.target_vp), ret }, SEND_TASK, SEND_PID);
        break;
      default:
    }
  }
}

/** Seconds with six decimals, as trace-cmd report prints timestamps. */
function seconds(ns: number): string {
  const us = Math.max(0, Math.round(ns / 1000));
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

/** One record in trace-cmd report layout: `<task>-<pid> [<cpu>] <secs>: <event>: <text>`. */
export function formatTraceCmdRecord(r: TraceCmdRecord): string {
  const head = `${r.task.padStart(16)}-${String(r.pid).padEnd(5)} [${String(r.cpu).padStart(3, '0')}] ${seconds(r.time).padStart(12)}: `;
  return `${head}${(r.name + ':').padEnd(31)} ${formatTraceCmdBody(r.name, r.values)}`;
}

/** The whole trace as `trace-cmd report` text (a `cpus=N` line, then one line per record). */
export function toTraceCmd(events: Trace, opts: { header?: boolean } = {}): string {
  const recs = traceCmdRecords(events);
  let cpus = 1;
  for (const e of events) if (e.vp !== null && e.vp + 1 > cpus) cpus = e.vp + 1;
  const lines = opts.header === false ? [] : [`cpus=${cpus}`];
  for (const r of recs) lines.push(formatTraceCmdRecord(r));
  return lines.join('\n') + '\n';
}
