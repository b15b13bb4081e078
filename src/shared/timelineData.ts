// Pure data side of the timeline: what an event is about (parties, relid, label), filtering,
// windows thinned per column bucket (level of detail when zoomed out), seeking, and the alignment
// of two runs for compare mode. The panel host serves the webview's requests with it; tests and the
// benchmark use it too. No DOM, no VS Code API.
import type { Party, TraceEvent, TraceEventKind } from '../simulator/trace/events';
import { shortMsgtype, versionString } from '../simulator/protocol/constants';

export { shortMsgtype };
import type { SeekMatch, TimelineFilter, TimelineItem } from './timelineProtocol';
import type { Trace } from '../simulator/trace/buffer';

export const PARTIES: readonly Party[] = ['guest', 'paravisor', 'hypervisor', 'host'];

/** The lanes an event touches: [from, to] for arrows, [party] for marks. */
export function eventParties(e: TraceEvent): Party[] {
  switch (e.kind) {
    case 'message':
    case 'packet':
      return [e.from, e.to];
    case 'hypercall':
      return [e.by, e.target];
    case 'register':
      return [e.by];
    case 'cpuid':
      return [e.by, e.answeredBy];
    case 'page':
      return [e.owner];
    case 'log':
    case 'state':
      return [e.party];
    case 'interrupt':
      return [e.signaledBy ?? e.synic, 'guest'];
    case 'fault':
    case 'invariant':
    case 'expectation':
    case 'phase':
      return [];
  }
}

export function eventRelid(e: TraceEvent): number | undefined {
  switch (e.kind) {
    case 'message':
    case 'state':
    case 'interrupt':
      return e.relid;
    case 'packet':
      return e.relid;
    default:
      return undefined;
  }
}

/** "CHANNELMSG_OFFERCHANNEL" → "OFFERCHANNEL". */

function versionText(v: unknown): string | undefined {
  if (typeof v !== 'number') return undefined;
  return versionString(v);
}

/** The key fields of a message, as short "name=value" text. */
export function messageKeyFields(e: Extract<TraceEvent, { kind: 'message' }>): string[] {
  const d = e.decoded ?? {};
  const out: string[] = [];
  if (e.relid !== undefined) out.push(`relid=${e.relid}`);
  const ver = versionText(d['vmbus_version_requested']);
  if (ver) out.push(`v${ver}`);
  if (d['version_supported'] !== undefined) out.push(`supported=${String(d['version_supported'])}`);
  if (typeof d['gpadl'] === 'number') out.push(`gpadl=0x${(d['gpadl'] as number).toString(16)}`);
  if (d['status'] !== undefined && typeof d['status'] !== 'object') out.push(`status=${String(d['status'])}`);
  if (e.status && e.status !== 'HV_STATUS_SUCCESS') out.push(e.status);
  return out;
}

/** One-line label of an event, used for canvas text, list rows, ARIA labels and search. */
export function eventLabel(e: TraceEvent): string {
  switch (e.kind) {
    case 'message':
      return [shortMsgtype(e.msgtype), ...messageKeyFields(e)].join(' ');
    case 'register':
      return `${e.op} ${e.synic === 'paravisor' ? 'paravisor' : 'hv'} ${e.register}=${e.value}`;
    case 'hypercall':
      return `${e.name} → ${e.target}${e.status !== 'HV_STATUS_SUCCESS' ? ' ' + e.status : ''}`;
    case 'cpuid':
      return `CPUID ${e.leaf} eax=${e.eax}`;
    case 'page':
      return `${e.action} ${e.page} ${e.visibility}`;
    case 'log':
      return e.text;
    case 'phase':
      return `${e.action === 'begin' ? '▶' : '■'} ${e.name}${e.outcome ? ' (' + e.outcome + ')' : ''}`;
    case 'state':
      return `${e.object}${e.relid !== undefined ? ' ' + e.relid : ''}: ${e.from} → ${e.to}`;
    case 'packet':
      return `${e.packetType} ${e.bytes}B relid=${e.relid}`;
    case 'interrupt':
      return `SINT${e.sint} ${e.via}${e.relid !== undefined ? ' relid=' + e.relid : ''}${e.signaledBy ? ` (flag in ${e.synic} SIEF)` : ''}${e.delivered ? '' : ' (not delivered)'}`;
    case 'fault':
      return `fault ${e.fault}: ${e.description}`;
    case 'invariant':
      return `invariant broken: ${e.name}`;
    case 'expectation':
      return `${e.ok ? 'expect ok' : 'EXPECTATION FAILED'}: ${e.text}`;
  }
}

/** Full ARIA/list text: seq, kind, parties, label, access path. */
export function eventDescription(e: TraceEvent): string {
  const parties = eventParties(e);
  const route = parties.length === 2 ? `${parties[0]} to ${parties[1]}` : parties.length === 1 ? `on ${parties[0]}` : 'all lanes';
  const extra: string[] = [];
  if (e.kind === 'message') {
    extra.push(`via ${e.path}`);
    if (e.synic) extra.push(`${e.synic} SynIC`);
    extra.push(e.confidential ? 'confidential' : 'host-visible');
    if (e.fault) extra.push(`fault ${e.fault}`);
  } else if (e.kind === 'register' || e.kind === 'hypercall') {
    extra.push(`via ${e.path}`);
  }
  const vp = e.vp === null ? '' : ` vp${e.vp}`;
  return `#${e.seq} ${e.kind} ${route}${vp}: ${eventLabel(e)}${extra.length ? ' (' + extra.join(', ') + ')' : ''}`;
}

/** Whether the event is one that must stand out (fault, broken invariant, failed expectation, faulted message). */
export function isAlarm(e: TraceEvent): boolean {
  return e.kind === 'fault' || e.kind === 'invariant' || (e.kind === 'expectation' && !e.ok) || (e.kind === 'message' && !!e.fault) ||
    (e.kind === 'phase' && e.action === 'end' && e.outcome === 'failed');
}

/**
 * How much an event of each kind matters when only one item of a bucket can be drawn (alarms
 * rank 5). The kinds marked here never raise an alarm, so their rank is known from the kind alone.
 */
const KIND_SIGNIFICANCE: Record<TraceEventKind, number> = {
  message: 4, phase: 3, hypercall: 2, interrupt: 2, packet: 2, register: 1, cpuid: 1, page: 1, state: 1, expectation: 1, log: 0, fault: 0, invariant: 0,
};
const NEVER_ALARM = new Set<TraceEventKind>(['hypercall', 'interrupt', 'packet', 'register', 'cpuid', 'page', 'state', 'log']);
/** The highest rank of an event that is not an alarm. */
const TOP_ORDINARY = Math.max(...Object.values(KIND_SIGNIFICANCE));
const NEVER_ALARM_KIND: Partial<Record<TraceEventKind, true>> = Object.fromEntries([...NEVER_ALARM].map((k) => [k, true]));

/** How much an event matters when only one item of a bucket can be drawn. */
export function significance(e: TraceEvent): number {
  return isAlarm(e) ? 5 : KIND_SIGNIFICANCE[e.kind] ?? 0;
}

function searchText(e: TraceEvent): string {
  const parts = [e.kind, eventLabel(e), e.phase.join(' ')];
  if (e.kind === 'message') parts.push(e.msgtype, e.hex, JSON.stringify(e.decoded));
  return parts.join(' ').toLowerCase();
}

export function filterIsEmpty(f: TimelineFilter): boolean {
  return !(f.hiddenParties?.length || f.hiddenKinds?.length || f.msgtypes?.length || f.relid !== undefined || (f.search && f.search.trim()));
}

/** A compiled filter: call it for each event. */
export function compileFilter(f: TimelineFilter): (e: TraceEvent) => boolean {
  if (filterIsEmpty(f)) return () => true;
  const hiddenParties = new Set(f.hiddenParties ?? []);
  const hiddenKinds = new Set(f.hiddenKinds ?? []);
  const msgtypes = f.msgtypes?.length ? new Set(f.msgtypes) : undefined;
  const relid = f.relid;
  const needle = f.search?.trim().toLowerCase() || undefined;
  return (e) => {
    if (hiddenKinds.has(e.kind)) return false;
    if (hiddenParties.size) {
      const ps = eventParties(e);
      // An arrow needs both its lanes, a mark its own.
      if (ps.some((p) => hiddenParties.has(p))) return false;
    }
    if (msgtypes && e.kind === 'message' && !msgtypes.has(e.msgtype) && !msgtypes.has(shortMsgtype(e.msgtype))) return false;
    if (relid !== undefined && eventRelid(e) !== relid) return false;
    if (needle && !searchText(e).includes(needle)) return false;
    return true;
  };
}

export function seekMatcher(m: SeekMatch): (item: TimelineItem) => boolean {
  switch (m.by) {
    case 'any': return () => true;
    case 'kind': return (it) => it.event.kind === m.kind;
    case 'msgtype': return (it) => it.event.kind === 'message' && it.event.msgtype === m.msgtype;
    case 'search': {
      const needle = m.text.trim().toLowerCase();
      return (it) => searchText(it.event).includes(needle);
    }
    case 'difference': return (it) => !!it.onlyHere;
  }
}

/** A row of the compare view: the aligned events of the two runs (one side may be missing). */
export interface AlignedRow {
  a?: TraceEvent;
  b?: TraceEvent;
}

/** The columns the panel shows: one run (col = seq) or two aligned runs. */
export interface TimelineColumns {
  readonly total: number;
  /** Single-run columns expose their events (col = index) so scans need not allocate items. */
  readonly events?: Trace;
  /** Items at a column (one per run present there). */
  itemsAt(col: number): TimelineItem[];
}

export function singleRunColumns(events: Trace): TimelineColumns {
  return {
    get total() { return events.length; },
    events,
    itemsAt(col) {
      const e = events.at(col)!;
      return e ? [{ col, run: 0, event: e }] : [];
    },
  };
}

export function compareColumns(rows: readonly AlignedRow[]): TimelineColumns {
  return {
    total: rows.length,
    itemsAt(col) {
      const r = rows[col];
      if (!r) return [];
      const out: TimelineItem[] = [];
      const lone = !r.a || !r.b;
      if (r.a) out.push({ col, run: 0, event: r.a, ...(lone ? { onlyHere: true } : {}) });
      if (r.b) out.push({ col, run: 1, event: r.b, ...(lone ? { onlyHere: true } : {}) });
      return out;
    },
  };
}

export interface WindowResult {
  from: number;
  to: number;
  stride: number;
  items: TimelineItem[];
}

/**
 * The items of columns [from, to) that pass the filter. When more than maxItems columns would be
 * needed, the range is cut into buckets of `stride` columns and each bucket keeps, per run, its
 * most significant item (carrying `count` = matching events in the bucket): the level of detail a
 * zoomed-out view can show, so a window never grows with the trace.
 */
export function sliceWindow(cols: TimelineColumns, from: number, to: number, filter: TimelineFilter, maxItems: number): WindowResult {
  const lo = Math.max(0, Math.floor(from));
  const hi = Math.min(cols.total, Math.ceil(to));
  const pass = compileFilter(filter);
  const cap = Math.max(16, Math.floor(maxItems));
  const span = Math.max(0, hi - lo);
  const stride = span <= cap ? 1 : Math.ceil(span / cap);
  const items: TimelineItem[] = [];
  if (stride === 1) {
    for (let c = lo; c < hi; c++) for (const it of cols.itemsAt(c)) if (pass(it.event)) items.push(it);
    return { from: lo, to: hi, stride, items };
  }
  const evs = cols.events;
  if (evs) {
    // Single run: scan the events directly (no item objects for the columns left out). With no
    // filter, a compact trace tells the kind without building the event: the data path's
    // packets, signals and interrupts are ranked from their kind alone.
    const unfiltered = filterIsEmpty(filter);
    const kindAt = unfiltered && evs.kindAt ? evs.kindAt.bind(evs) : undefined;
    for (let b = lo; b < hi; b += stride) {
      const end = Math.min(hi, b + stride);
      let best = -1;
      let bestScore = -1;
      let alarm = -1;
      let count = 0;
      for (let c = b; c < end; c++) {
        if (kindAt) {
          const k = kindAt(c)!;
          if (NEVER_ALARM.has(k)) {
            count++;
            const sc = KIND_SIGNIFICANCE[k];
            if (sc > bestScore) { bestScore = sc; best = c; }
            continue;
          }
        }
        const e = evs.at(c)!;
        if (!pass(e)) continue;
        count++;
        // The overview of a whole long trace reads every event (so no alarm is missed): one
        // table lookup for the kinds that never alarm, isAlarm() only for the rest.
        const k = e.kind;
        if (!NEVER_ALARM_KIND[k] && isAlarm(e)) { if (alarm < 0) alarm = c; continue; }
        const sc = KIND_SIGNIFICANCE[k];
        if (sc > bestScore) { bestScore = sc; best = c; }
        // Unfiltered, every event of the bucket counts; once it has its first alarm and an event
        // no later one can outrank, the rest of the bucket changes nothing.
        if (unfiltered && alarm >= 0 && bestScore >= TOP_ORDINARY) { count = end - b; break; }
      }
      const first = best >= 0 && (alarm < 0 || best < alarm) ? best : alarm;
      const second = first === best ? alarm : best;
      if (first >= 0) items.push({ col: first, run: 0, event: evs.at(first)!, count: first === alarm && best >= 0 ? 1 : count });
      if (second >= 0) items.push({ col: second, run: 0, event: evs.at(second)!, count: second === alarm ? 1 : count });
    }
    return { from: lo, to: hi, stride, items };
  }
  for (let b = lo; b < hi; b += stride) {
    const end = Math.min(hi, b + stride);
    // Per run: the most significant ordinary event, and the first alarm (so faults never vanish
    // behind a message, nor hide every message when they are frequent).
    const best: (TimelineItem | undefined)[] = [undefined, undefined];
    const alarm: (TimelineItem | undefined)[] = [undefined, undefined];
    const bestScore = [-1, -1];
    const counts = [0, 0];
    for (let c = b; c < end; c++) {
      for (const it of cols.itemsAt(c)) {
        if (!pass(it.event)) continue;
        counts[it.run]++;
        if (isAlarm(it.event)) { alarm[it.run] ??= it; continue; }
        const s = significance(it.event) + (it.onlyHere ? 10 : 0);
        if (s > bestScore[it.run]) { bestScore[it.run] = s; best[it.run] = it; }
      }
    }
    const bucket: TimelineItem[] = [];
    for (const r of [0, 1] as const) {
      const a = alarm[r];
      const it = best[r];
      if (it) bucket.push({ ...it, count: counts[r] });
      if (a) bucket.push({ ...a, count: it ? 1 : counts[r] });
    }
    bucket.sort((x, y) => x.col - y.col || x.run - y.run);
    items.push(...bucket);
  }
  return { from: lo, to: hi, stride, items };
}

/** The first column after (dir 1) or before (dir -1) `from` with an item passing filter and match. */
export function seek(cols: TimelineColumns, from: number, dir: 1 | -1, match: SeekMatch, filter: TimelineFilter): number | null {
  const pass = compileFilter(filter);
  const ok = seekMatcher(match);
  // Seeking a kind or a message type through a compact trace skips the other kinds unread.
  const evs = cols.events;
  const want = match.by === 'kind' ? match.kind : match.by === 'msgtype' ? 'message' : undefined;
  const kindAt = want !== undefined && evs?.kindAt ? evs.kindAt.bind(evs) : undefined;
  for (let c = Math.floor(from) + dir; c >= 0 && c < cols.total; c += dir) {
    if (kindAt && kindAt(c) !== want) continue;
    for (const it of cols.itemsAt(c)) if (pass(it.event) && ok(it)) return c;
  }
  return null;
}

/** The alignment key of an event: its phase path and what it is (msgtype for messages). */
export function alignKey(e: TraceEvent): string {
  const phase = e.phase.join('/');
  switch (e.kind) {
    case 'message': return `${phase}|m|${e.msgtype}`;
    case 'register': return `${phase}|r|${e.op}|${e.register}`;
    case 'cpuid': return `${phase}|c|${e.leaf}|${e.subleaf}`;
    case 'hypercall': return `${phase}|h|${e.name}`;
    case 'page': return `${phase}|p|${e.action}|${e.purpose}`;
    case 'log': return `${phase}|l|${e.text}`;
    case 'phase': return `${phase}|ph|${e.action}|${e.name}`;
    case 'state': return `${phase}|s|${e.object}|${e.to}`;
    case 'packet': return `${phase}|k|${e.packetType}`;
    case 'interrupt': return `${phase}|i|${e.via}|${e.sint}`;
    case 'fault': return `${phase}|f|${e.fault}`;
    case 'invariant': return `${phase}|v|${e.name}`;
    case 'expectation': return `${phase}|e|${e.text}|${e.ok}`;
  }
}

/**
 * Align two runs as a shortest edit script over their key sequences (greedy O((N+M)·D)
 * shortest-edit search). Equal keys share a row; the rest get a row of their own, marked as
 * present in one run only. Past maxD edits the remainder is appended unaligned.
 */
export function alignRuns(a: Trace, b: Trace, keyOf: (e: TraceEvent) => string = alignKey, maxD = 3000): AlignedRow[] {
  const ka = a.map(keyOf);
  const kb = b.map(keyOf);
  // Common prefix and suffix first: cheap, and usually most of two similar runs.
  let pre = 0;
  while (pre < ka.length && pre < kb.length && ka[pre] === kb[pre]) pre++;
  let suf = 0;
  while (suf < ka.length - pre && suf < kb.length - pre && ka[ka.length - 1 - suf] === kb[kb.length - 1 - suf]) suf++;
  const rows: AlignedRow[] = [];
  for (let i = 0; i < pre; i++) rows.push({ a: a.at(i)!, b: b.at(i)! });
  const A = ka.slice(pre, ka.length - suf);
  const B = kb.slice(pre, kb.length - suf);
  const n = A.length;
  const m = B.length;
  const mid = editScript(A, B, maxD);
  if (mid) {
    for (const op of mid) {
      if (op.t === '=') rows.push({ a: a.at(pre + op.i)!, b: b.at(pre + op.j)! });
      else if (op.t === '-') rows.push({ a: a.at(pre + op.i)! });
      else rows.push({ b: b.at(pre + op.j)! });
    }
  } else {
    for (let i = 0; i < n; i++) rows.push({ a: a.at(pre + i)! });
    for (let j = 0; j < m; j++) rows.push({ b: b.at(pre + j)! });
  }
  for (let s = suf; s > 0; s--) rows.push({ a: a.at(a.length - s)!, b: b.at(b.length - s)! });
  return rows;
}

type EditOp = { t: '=' | '-' | '+'; i: number; j: number };

function editScript(A: readonly string[], B: readonly string[], maxD: number): EditOp[] | null {
  const n = A.length;
  const m = B.length;
  if (n === 0) return B.map((_, j) => ({ t: '+', i: 0, j }));
  if (m === 0) return A.map((_, i) => ({ t: '-', i, j: 0 }));
  const max = Math.min(n + m, maxD);
  const off = max + 1;
  let v = new Int32Array(2 * max + 3);
  const history: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    // Frontier before step d, for diagonals -d..d (index k + d).
    history.push(v.slice(off - d, off + d + 1));
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) x = v[off + k + 1];
      else x = v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) { x++; y++; }
      next[off + k] = x;
      if (x >= n && y >= m) { found = d; break; }
    }
    v = next;
  }
  if (found < 0) return null;
  // Walk back through the saved frontiers.
  const ops: EditOp[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = history[d];
    const at = (kk: number) => prev[kk + d];
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && at(k - 1) < at(k + 1))) prevK = k + 1;
    else prevK = k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) { x--; y--; ops.push({ t: '=', i: x, j: y }); }
    if (prevK === k + 1) { y--; ops.push({ t: '+', i: x, j: y }); }
    else { x--; ops.push({ t: '-', i: x, j: y }); }
  }
  while (x > 0 && y > 0) { x--; y--; ops.push({ t: '=', i: x, j: y }); }
  return ops.reverse();
}
