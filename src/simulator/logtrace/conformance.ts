// Conformance: a real log against the model. The model's run is printed the way the real guest
// printed its log (the trace-cmd exporter for a trace, the guest's hv_vmbus lines for a dmesg) and
// read back with the same importer, so both sides are the same kind of record. The records are
// aligned with the timeline's compare alignment (a shortest edit script over keys: the record's
// event and the channel it is about, never the time), then each aligned pair's fields are compared.
// Differences a simulated run always has (pids, relids and connection ids the simulated server
// numbers itself, page addresses, GPADL handles) are counted as hidden, not reported.
import type { Trace } from '../trace/buffer';
import type { TraceEvent } from '../trace/events';
import { formatTraceCmdBody, parseTraceCmdBody, traceCmdRecords } from '../trace/traceCmd';
import { alignRuns } from '../../shared/timelineData';
import { parseDmesg } from '../importers/dmesg';
import type { ImportedEvent, ImportResult } from '../importers/types';
import { messageTypeName, versionString } from '../protocol/constants';
import { logToTrace } from './logTrace';

export interface CheckDifference {
  /** missing-in-model: the real guest logged it, the model did not; missing-in-log: the reverse;
   * order: both have it, at different places; field: same record, a field differs;
   * rejected: the real guest refused an offer the model accepted. */
  kind: 'missing-in-model' | 'missing-in-log' | 'order' | 'field' | 'rejected';
  /** 1-based line of the log, when the difference is about a log record. */
  logLine?: number;
  /** The log record (event name and text). */
  logRecord?: string;
  /** seq of the model's trace event, when it is about one. */
  modelSeq?: number;
  /** The record the model's guest would have logged. */
  modelRecord?: string;
  field?: string;
  real?: string | number;
  model?: string | number;
  message: string;
}

export interface CheckResult {
  format: 'trace' | 'dmesg';
  /** Records compared on each side (after leaving out the kinds the model does not produce). */
  logRecords: number;
  modelRecords: number;
  /** Aligned pairs. */
  matched: number;
  differences: CheckDifference[];
  /** Expected differences that were hidden, by reason (see EXPECTED). */
  hidden: Record<string, number>;
  /** The log's records and the model's, as traces (for a compare view), and the aligned rows' differences. */
  logTrace: TraceEvent[];
  modelTrace: TraceEvent[];
  /** The log starts after the model's first records (an excerpt, a trace started late): how many
   * of the model's records were left out as before the log's start, and the seq of the first kept. */
  cut?: { modelRecords: number; firstModelSeq: number };
}

/** The differences every simulated run has, hidden by the check (docs/importers.md lists them). */
export const EXPECTED: Readonly<Record<string, string>> = {
  task: 'task names and pids (the simulator has no processes; it invents them)',
  time: 'timestamps and the CPU a record was traced on (the model has its own clock)',
  relid: 'relids and open ids (the simulated server numbers channels itself): channels are matched by instance GUID and sub-channel index',
  connection: 'connection ids of offers (numbered by the simulated server)',
  address: 'guest physical addresses of the SynIC and monitor pages (the model allocates its own)',
  gpadl: 'GPADL handles, range_buflen, rangecount, GPADL body numbers and ring offsets (ring sizes are the driver\'s, not in a log)',
  driver: 'driver and kernel lines the model does not print (dev_printk of a VSC, "registering driver", other kernel lines)',
  datapath: 'data-path records (vmbus_chan_sched, vmbus_on_event, vmbus_setevent): their number depends on the workload',
  dispatch: 'vmbus_on_msg_dpc / vmbus_on_message for a message whose handler record is compared instead',
  cut: 'the model\'s records before the log\'s first record (the log starts mid-run: an excerpt, or a trace started during the version walk-down)',
};

/** The fields compared, per record name (trace) — what the issue lists: versions, feature flags, chn_flags, monitor id, target VP, results. */
const COMPARED: Readonly<Record<string, readonly string[]>> = {
  vmbus_onoffer: ['if_type', 'if_instance', 'chn_flags', 'monitorid', 'is_dedicated', 'mmio_megabytes', 'sub_channel_index'],
  vmbus_onopen_result: ['status'],
  vmbus_ongpadl_created: ['creation_status'],
  vmbus_onmodifychannel_response: ['status'],
  vmbus_onversion_response: ['version_supported'],
  vmbus_request_offers: ['ret'],
  vmbus_open: ['target_vp', 'ret'],
  vmbus_close_internal: ['ret'],
  vmbus_establish_gpadl_header: ['ret'],
  vmbus_establish_gpadl_body: ['ret'],
  vmbus_teardown_gpadl: ['ret'],
  vmbus_negotiate_version: ['vmbus_version_requested', 'target_vcpu', 'feature_flags', 'msg_sint', 'ret'],
  vmbus_release_relid: ['ret'],
  vmbus_send_tl_connect_request: ['guest_endpoint_id', 'host_service_id', 'ret'],
  vmbus_send_modifychannel: ['target_vp', 'ret'],
  version: ['major', 'minor'],
  'unknown-guid': ['class_guid'],
};
const HIDDEN_FIELD: Readonly<Record<string, string>> = {
  child_relid: 'relid', openid: 'relid', relid: 'relid', connection_id: 'connection', int_page: 'address', mon_page1: 'address', mon_page2: 'address',
  gpadl: 'gpadl', gpadlhandle: 'gpadl', range_buflen: 'gpadl', rangecount: 'gpadl', msgnumber: 'gpadl', offset: 'gpadl',
};
const HANDLED_MSGTYPES = new Set([1, 2, 6, 10, 12, 15, 24]);
const DATA_PATH = new Set(['vmbus_chan_sched', 'vmbus_on_event', 'vmbus_setevent']);
const DMESG_DRIVER = new Set(['device-message', 'hyperv', 'registering-driver', 'unregistering-driver']);

/** One side's comparable record. */
interface Rec {
  name: string;
  fields: Record<string, string | number>;
  text: string;
  /** Log line (real side) or trace seq (model side). */
  at: number;
  key: string;
}

/** Feature flags and SINT of an INITIATE_CONTACT from 5.0 on (they share the first u64 with interrupt_page). */
function withDerived(name: string, f: Record<string, string | number>): Record<string, string | number> {
  if (name !== 'vmbus_negotiate_version' || typeof f.int_page !== 'string' || Number(f.vmbus_version_requested) < 0x50000) return f;
  let ip: bigint;
  try { ip = BigInt(f.int_page); } catch { return f; }
  return { ...f, feature_flags: Number((ip >> 32n) & 0xffffffffn), msg_sint: Number(ip & 0xffn) };
}

/** Keys records by what they are about: the record name and its channel (instance GUID + sub-channel index when an offer named it). */
function keyed(records: Omit<Rec, 'key'>[], hidden: Record<string, number>): Rec[] {
  const chan = new Map<number, string>();
  const out: Rec[] = [];
  for (const r of records) {
    const f = r.fields;
    if (r.name === 'vmbus_onoffer' && typeof f.if_instance === 'string') chan.set(Number(f.child_relid), `${f.if_instance}#${Number(f.sub_channel_index) || 0}`);
    const relid = f.child_relid ?? f.relid;
    let about = '';
    if (relid !== undefined) {
      const c = chan.get(Number(relid));
      about = c ?? `relid ${Number(relid)}`;
      if (c) hidden.relid = (hidden.relid ?? 0) + 1;
    } else if (r.name === 'vmbus_on_msg_dpc' || r.name === 'vmbus_on_message') about = `msgtype ${f.msgtype}`;
    else if (r.name === 'unknown-guid') about = String(f.class_guid);
    out.push({ ...r, key: `${r.name}|${about}` });
  }
  return out;
}

function traceRecords(events: readonly ImportedEvent[], hidden: Record<string, number>, dataPath: boolean): Omit<Rec, 'key'>[] {
  const out: Omit<Rec, 'key'>[] = [];
  for (const e of events) {
    if (!e.name.startsWith('vmbus_')) continue;
    if (!dataPath && DATA_PATH.has(e.name)) { hidden.datapath = (hidden.datapath ?? 0) + 1; continue; }
    if (e.name === 'vmbus_on_message' || (e.name === 'vmbus_on_msg_dpc' && HANDLED_MSGTYPES.has(Number(e.fields.msgtype)))) {
      hidden.dispatch = (hidden.dispatch ?? 0) + 1;
      continue;
    }
    out.push({ name: e.name, fields: withDerived(e.name, e.fields), text: `${e.name}: ${e.text.trim()}`, at: e.line });
  }
  return out;
}

function dmesgRecords(events: readonly ImportedEvent[], hidden: Record<string, number>): Omit<Rec, 'key'>[] {
  const out: Omit<Rec, 'key'>[] = [];
  for (const e of events) {
    if (DMESG_DRIVER.has(e.name)) { hidden.driver = (hidden.driver ?? 0) + 1; continue; }
    out.push({ name: e.name, fields: e.fields, text: e.text, at: e.line });
  }
  return out;
}

/** The model's records as the real guest would have logged them, each with the seq of its engine event. */
function modelTraceEvents(model: Trace): ImportedEvent[] {
  return traceCmdRecords(model).map((r) => {
    const body = formatTraceCmdBody(r.name, r.values);
    return { line: r.seq, name: r.name, time: r.time / 1e9, cpu: r.cpu, task: r.task, pid: r.pid, fields: parseTraceCmdBody(r.name, body) ?? {}, text: body };
  });
}

/** The guest's kernel log lines of a run (what its dmesg would show), each with the seq of its event. */
export function guestLogLines(model: Trace): { seq: number; time: number; text: string }[] {
  const out: { seq: number; time: number; text: string }[] = [];
  for (const e of model) if (e.kind === 'log' && e.party === 'guest') out.push({ seq: e.seq, time: e.time, text: e.text });
  return out;
}

/** A run's guest log as `dmesg` prints it: `[    0.001064] hv_vmbus: Vmbus version:5.3`. */
export function toDmesg(model: Trace): string {
  return guestLogLines(model).map((l) => `[${(l.time / 1e9).toFixed(6).padStart(12)}] ${l.text}`).join('\n') + '\n';
}

function modelDmesgEvents(model: Trace): ImportedEvent[] {
  const lines = guestLogLines(model);
  const parsed = parseDmesg(lines.map((l) => l.text).join('\n'));
  return parsed.events.map((e) => ({ ...e, line: lines[e.line - 1]?.seq ?? -1 }));
}

const show = (v: string | number | undefined): string => (v === undefined ? 'absent' : typeof v === 'number' ? `${v} (0x${(v >>> 0).toString(16)})` : v);

function fieldName(name: string, field: string, v: string | number | undefined): string {
  if (v === undefined) return 'absent';
  if ((field === 'vmbus_version_requested') && typeof v === 'number') return `${v} (${versionString(v)})`;
  if (field === 'msgtype' && typeof v === 'number') return `${v} (${messageTypeName(v) ?? '?'})`;
  return show(v);
}

/**
 * Compares a real log (imported) with a model run. `modelEvents` is the engine's trace of the
 * scenario the log was imported to (or the one given).
 */
export function checkLog(imported: ImportResult, modelEvents: Trace, opts: { dataPath?: boolean } = {}): CheckResult {
  const format: 'trace' | 'dmesg' = imported.kind === 'dmesg' ? 'dmesg' : 'trace';
  const hiddenA: Record<string, number> = {};
  const hiddenB: Record<string, number> = {};
  const realEvents = imported.events;
  const modelImported = format === 'trace' ? modelTraceEvents(modelEvents) : modelDmesgEvents(modelEvents);
  const A = keyed(format === 'trace' ? traceRecords(realEvents, hiddenA, !!opts.dataPath) : dmesgRecords(realEvents, hiddenA), hiddenA);
  const B = keyed(format === 'trace' ? traceRecords(modelImported, hiddenB, !!opts.dataPath) : dmesgRecords(modelImported, hiddenB), hiddenB);
  const hidden: Record<string, number> = {};
  for (const [k, v] of Object.entries(hiddenA)) hidden[k] = v;
  hidden.task = realEvents.filter((e) => e.task !== undefined).length;
  hidden.time = realEvents.filter((e) => e.time !== undefined).length;

  // Both sides as traces, so the compare view can show them and alignRuns can align them.
  const asImport = (recs: Rec[]): ImportResult => ({ kind: format, devices: [], events: recs.map((r) => ({ line: r.at, name: r.name, fields: r.fields, text: r.text })),
    diagnostics: [], facts: {}, unrecognized: [], stats: { lines: 0, recognized: 0, comments: 0 } });
  const ta = logToTrace(asImport(A), 'log').events;

  // The log's start may be a cut (an excerpt, a trace started late: mid version walk-down, after a
  // VERSION_RESPONSE). The model's records before the one the log's first record stands for
  // cannot be in the log, so they are left out rather than reported missing. Which of the model's
  // records with the same key it is, is what gives the fewest differences (fewest skipped on a tie).
  const starts: number[] = [0];
  if (A.length) for (let j = 0; j < B.length && starts.length < MAX_CUT_CANDIDATES; j++) if (B[j].key === A[0].key && j > 0) starts.push(j);
  let best: Compared | undefined;
  for (const s of starts) {
    const c = compare(A, B.slice(s), ta, asImport, format);
    if (!best || c.differences.length < best.differences.length) best = { ...c, cut: s };
    if (best.differences.length === 0) break;
  }
  const r = best!;
  for (const [k, v] of Object.entries(r.hidden)) hidden[k] = (hidden[k] ?? 0) + v;
  if (r.cut) hidden.cut = r.cut;
  return { format, logRecords: A.length, modelRecords: B.length - r.cut, matched: r.matched, differences: r.differences, hidden, logTrace: ta, modelTrace: r.tb,
    ...(r.cut ? { cut: { modelRecords: r.cut, firstModelSeq: B[r.cut].at } } : {}) };
}

/** How many of the model's records with the log's first key are tried as the log's start. */
const MAX_CUT_CANDIDATES = 64;

interface Compared {
  matched: number;
  differences: CheckDifference[];
  hidden: Record<string, number>;
  tb: TraceEvent[];
  /** Model records left out before the log's start. */
  cut: number;
}

function compare(A: Rec[], B: Rec[], ta: TraceEvent[], asImport: (recs: Rec[]) => ImportResult, format: 'trace' | 'dmesg'): Omit<Compared, 'cut'> {
  const hidden: Record<string, number> = {};
  const tb = logToTrace(asImport(B), 'model').events;
  const rows = alignRuns(ta, tb, (e) => (e.log ? (e.source?.file === 'log' ? A : B)[e.seq]?.key ?? '' : ''));

  const differences: CheckDifference[] = [];
  const onlyA: Rec[] = [];
  const onlyB: Rec[] = [];
  let matched = 0;
  for (const row of rows) {
    const a = row.a ? A[row.a.seq] : undefined;
    const b = row.b ? B[row.b.seq] : undefined;
    if (a && b) {
      matched++;
      compareFields(a, b);
    } else if (a) onlyA.push(a);
    else if (b) onlyB.push(b);
  }
  // A record on both sides but at different places shows up once on each side: say "order".
  const usedB = new Set<Rec>();
  for (const a of onlyA) {
    const b = onlyB.find((x) => x.key === a.key && !usedB.has(x));
    if (b) {
      usedB.add(b);
      differences.push({ kind: 'order', logLine: a.at, logRecord: a.text, modelSeq: b.at, modelRecord: b.text,
        message: `${a.name} is at a different place: the model has it at trace event #${b.at}` });
      compareFields(a, b);
      continue;
    }
    const rejected = format === 'dmesg' && /^invalid-offer|add-child-failed/.test(a.name);
    differences.push({ kind: rejected ? 'rejected' : 'missing-in-model', logLine: a.at, logRecord: a.text,
      message: rejected ? `the real guest refused this offer; the model accepted it` : `the real guest logged ${a.name}; the model did not` });
  }
  for (const b of onlyB) {
    if (usedB.has(b)) continue;
    const refused = format === 'trace' && b.name === 'vmbus_open' && !A.some((a) => a.key === b.key);
    differences.push({ kind: 'missing-in-log', modelSeq: b.at, modelRecord: b.text,
      message: refused ? `the model opened this channel; the real guest never did (it refused the offer or had no driver for it)` : `the model's guest logged ${b.name}; the real guest did not` });
  }
  differences.sort((x, y) => (x.logLine ?? Number.MAX_SAFE_INTEGER) - (y.logLine ?? Number.MAX_SAFE_INTEGER) || (x.modelSeq ?? 0) - (y.modelSeq ?? 0));
  return { matched, differences, hidden, tb };

  function compareFields(a: Rec, b: Rec): void {
    for (const k of Object.keys(a.fields)) if (HIDDEN_FIELD[k]) hidden[HIDDEN_FIELD[k]] = (hidden[HIDDEN_FIELD[k]] ?? 0) + 1;
    for (const field of COMPARED[a.name] ?? []) {
      const x = a.fields[field];
      const y = b.fields[field];
      if (x === undefined && y === undefined) continue;
      if (x === y || (typeof x === 'string' && typeof y === 'string' && x.toLowerCase() === y.toLowerCase())) continue;
      differences.push({ kind: 'field', logLine: a.at, logRecord: a.text, modelSeq: b.at, modelRecord: b.text, field, real: x, model: y,
        message: `${a.name} ${field}: the real guest has ${fieldName(a.name, field, x)}, the model ${fieldName(b.name, field, y)}` });
    }
  }
}

/** Every difference as `FILE:LINE: message` lines, then one line of what was hidden. */
export function formatCheck(r: CheckResult, file: string, modelName: string): string {
  const out: string[] = [];
  for (const d of r.differences) {
    const where = d.logLine !== undefined ? `${file}:${d.logLine}` : `${file}`;
    const model = d.modelSeq !== undefined ? `\n    model: trace event #${d.modelSeq}${d.modelRecord ? `: ${d.modelRecord}` : ''}` : '';
    out.push(`${where}: ${d.kind}: ${d.message}${d.logRecord ? `\n    log:   ${d.logRecord}` : ''}${model}`);
  }
  const hiddenText = Object.entries(r.hidden).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  out.push(`${file}: ${r.format}, ${r.logRecords} records compared with ${r.modelRecords} of the model (${modelName}): ${r.matched} aligned, ` +
    `${r.differences.length} difference${r.differences.length === 1 ? '' : 's'}${hiddenText ? `; expected differences hidden: ${hiddenText}` : ''}`);
  return out.join('\n') + '\n';
}
