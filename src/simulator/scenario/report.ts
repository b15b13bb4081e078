// The readable trace: one aligned line per event (time, VP, from → to, SynIC, access path, what
// happened with its key fields), then the expectation results. Shared by the CLI runner and the
// extension's Run Scenario command.
import type { TraceEvent } from '../trace/events';
import { versionString } from '../protocol/constants';
import type { Trace } from '../trace/buffer';

export interface ExpectationResult {
  ok: boolean;
  text: string;
  source?: { file: string; line: number; column: number };
  detail?: string;
}

export interface TraceFormatOptions {
  /** Include register accesses and hypercalls (the 'substep' events). */
  substeps?: boolean;
}

/** Fields worth showing per message, in order; the rest are in the JSON form. */
const KEY_FIELDS = [
  'child_relid', 'vmbus_version_requested', 'version_supported', 'connection_state', 'msg_conn_id', 'feature_flags',
  'if_type', 'if_instance', 'chn_flags', 'monitorid', 'monitor_allocated', 'is_dedicated_interrupt', 'connection_id', 'sub_channel_index',
  'openid', 'ringbuffer_gpadlhandle', 'downstream_ringbuffer_pageoffset', 'target_vp', 'status', 'gpadl', 'creation_status', 'range_buflen',
  'rangecount', 'msgnumber', 'target_vcpu',
];

function walkFields(obj: Record<string, unknown>, prefix: string, out: Map<string, unknown>): void {
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'header' || k === 'msgtype' || k === 'padding' || k.startsWith('reserved')) continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) walkFields(v as Record<string, unknown>, prefix + k + '.', out);
    else if (!out.has(k)) out.set(k, v);
  }
}

const VERSION_FIELDS = new Set(['vmbus_version_requested']);
const HEX_FIELDS = new Set(['feature_flags', 'chn_flags', 'gpadl', 'ringbuffer_gpadlhandle', 'creation_status', 'status', 'interrupt_page', 'monitor_page1', 'monitor_page2']);

function keyFieldText(k: string, v: unknown): string {
  if (typeof v === 'number' && VERSION_FIELDS.has(k)) return versionString(v);
  if (typeof v === 'number' && HEX_FIELDS.has(k)) return '0x' + (v >>> 0).toString(16);
  return fieldText(v);
}

function fieldText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Array.isArray(v)) return `[${v.length}]`;
  return JSON.stringify(v);
}

/**
 * Messages whose line shows every field of its own list, in the struct's order, instead of the
 * first five of KEY_FIELDS: INITIATE_CONTACT's target (msg_sint, msg_vtl) and monitor pages say
 * where the server must answer and which pages it monitors.
 */
const MESSAGE_FIELDS: Record<string, string[]> = {
  CHANNELMSG_INITIATE_CONTACT: ['vmbus_version_requested', 'target_vcpu', 'msg_sint', 'msg_vtl', 'feature_flags', 'interrupt_page', 'monitor_page1', 'monitor_page2', 'client_id'],
};

export function keyFields(decoded: Record<string, unknown> | undefined, max = 5): string {
  if (!decoded || typeof decoded !== 'object') return '';
  if (typeof decoded.error === 'string') return `(${decoded.error})`;
  const flat = new Map<string, unknown>();
  walkFields(decoded, '', flat);
  const parts: string[] = [];
  const own = typeof decoded.msgtype === 'string' ? MESSAGE_FIELDS[decoded.msgtype] : undefined;
  for (const k of own ?? KEY_FIELDS) {
    if (!own && parts.length >= max) break;
    if (flat.has(k)) parts.push(`${k}=${keyFieldText(k, flat.get(k))}`);
  }
  return parts.join(' ');
}

/** A state line's "from → to". Slots name msg_pending; a cleared event flag says so instead of an empty target. */
function stateTransition(e: Extract<TraceEvent, { kind: 'state' }>): string {
  const pending = e.object === 'slot' && (e.detail as { pending?: unknown } | undefined)?.pending === true;
  let from = e.from;
  let to = e.to;
  if (pending && from === 'empty' && !to.includes('msg_pending')) to += ' (msg_pending)';
  if (pending && to === 'empty' && !from.includes('msg_pending')) from += ' (msg_pending)';
  if (e.object === 'event-flags' && to === '') to = 'cleared';
  return `${from} → ${to}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

/** Simulated nanoseconds as microseconds with three decimals. */
export function formatTime(ns: number): string {
  return (ns / 1000).toFixed(3);
}

export const TRACE_HEADER = `${lpad('time(us)', 12)}  ${lpad('vp', 2)}  ${pad('from', 10)}   ${pad('to', 10)}  ${pad('synic', 10)}  ${pad('path', 9)}  event`;

export function formatEvent(e: TraceEvent): string {
  const time = lpad(formatTime(e.time), 12);
  const vp = lpad(e.vp === null ? '-' : String(e.vp), 2);
  const cols = (from: string, to: string, synic: string, path: string, what: string): string =>
    `${time}  ${vp}  ${pad(from, 10)} ${to ? '→' : ' '} ${pad(to, 10)}  ${pad(synic, 10)}  ${pad(path, 9)}  ${what}`.trimEnd();
  switch (e.kind) {
    case 'message': {
      const kf = keyFields(e.decoded);
      const extra = [
        e.relid !== undefined && !/child_relid=/.test(kf) ? `relid=${e.relid}` : '',
        kf,
        e.to === 'guest' && e.sint !== undefined && e.sint !== 2 ? `SINT${e.sint}` : '',
        e.status && e.status !== 'HV_STATUS_SUCCESS' ? `status=${e.status}` : '',
        e.confidential ? '[confidential]' : '',
        e.fault ? `[fault: ${e.fault}]` : '',
      ].filter(Boolean).join(' ');
      return cols(e.from, e.to, e.synic ?? '-', e.path, `${e.msgtype}${extra ? ' ' + extra : ''}`);
    }
    case 'register':
      return cols(e.by, '', e.synic, e.path, `${e.op === 'write' ? 'wrmsr' : 'rdmsr'} ${e.register} = ${e.value}${Object.keys(e.fields).length ? ' ' + Object.entries(e.fields).map(([k, v]) => `${k}=${fieldText(v)}`).join(' ') : ''}`);
    case 'cpuid':
      return cols(e.by, e.answeredBy, '', e.path, `cpuid ${e.leaf} subleaf ${e.subleaf} → eax=${e.eax} ebx=${e.ebx} ecx=${e.ecx} edx=${e.edx}${Object.keys(e.fields).length ? ' ' + Object.entries(e.fields).map(([k, v]) => `${k}=${fieldText(v)}`).join(' ') : ''}`);
    case 'hypercall':
      return cols(e.by, e.target, '', e.path, `${e.name}${e.connectionId !== undefined ? ` connection_id=${e.connectionId}` : ''} → ${e.status}`);
    case 'page':
      return cols(e.owner, '', '', '', `page ${e.page} ${e.action} ${e.visibility} gpa=${e.gpa}${e.count > 1 ? ` x${e.count}` : ''} (${e.purpose}; ${e.reason})`);
    case 'log':
      return cols(e.party, '', '', '', `log ${e.level}: ${e.text}`);
    case 'phase':
      return cols('', '', '', '', e.action === 'begin' ? `▶ ${e.name}${e.detail ? ` (${e.detail})` : ''}` : `◀ ${e.name}${e.outcome ? ` ${e.outcome}` : ''}${e.detail ? ` (${e.detail})` : ''}`);
    case 'state':
      return cols(e.party, '', '', '', `${e.object}${e.relid !== undefined ? ` relid ${e.relid}` : ''}${e.gpadl !== undefined ? ` gpadl ${e.gpadl}` : ''}: ${stateTransition(e)}`);
    case 'packet':
      return cols(e.from, e.to, '', '', `packet relid ${e.relid} ${e.ring} ${e.packetType} ${e.bytes} bytes${e.signaled ? ' signaled' : ''}${e.confidential ? ' [confidential]' : ''}`);
    case 'interrupt':
      return cols('', '', e.synic, '', `interrupt SINT${e.sint} via ${e.via}${e.relid !== undefined ? ` relid ${e.relid}` : ''}${e.signaledBy ? ` (flag in the ${e.synic} SynIC's page, signalled by the ${e.signaledBy} SynIC)` : ''}${e.delivered ? '' : ' NOT delivered'}${e.detail ? ` (${e.detail})` : ''}`);
    case 'fault':
      return cols('', '', '', '', `FAULT ${e.fault}${e.hostile ? ' (hostile)' : ''}: ${e.description}`);
    case 'invariant':
      return cols('', '', '', '', `INVARIANT BROKEN ${e.name}: ${e.description}`);
    case 'expectation':
      return cols('', '', '', '', `expect ${e.ok ? 'ok' : 'FAILED'}: ${e.text}${e.detail ? ` (${e.detail})` : ''}`);
    default: {
      const x = e as { kind: string };
      return cols('', '', '', '', x.kind);
    }
  }
}

/** The readable trace, a line at a time (a long run's trace is too big to build whole). */
export function* traceLines(events: Trace, opts: TraceFormatOptions = {}): Generator<string> {
  yield TRACE_HEADER;
  for (const e of events) {
    if (e.kind === 'expectation') continue;
    if (!opts.substeps && e.granularity === 'substep') continue;
    yield formatEvent(e);
  }
}

export function formatTrace(events: Trace, opts: TraceFormatOptions = {}): string[] {
  return [...traceLines(events, opts)];
}

/** "ok  file:line  text" per expectation (1-based lines), and a summary line. */
export function formatExpectations(results: readonly ExpectationResult[], displayFile?: (f: string) => string): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const where = r.source ? `${displayFile ? displayFile(r.source.file) : r.source.file}:${r.source.line + 1}` : '';
    lines.push(`${r.ok ? '  ok  ' : '  FAIL'}  ${where ? where + '  ' : ''}${r.text}${!r.ok && r.detail ? `\n          ${r.detail}` : ''}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  lines.push(results.length === 0 ? 'no expectations' : failed ? `${failed} of ${results.length} expectations FAILED` : `all ${results.length} expectations hold`);
  return lines;
}
