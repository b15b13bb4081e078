// Windowed queries over any trace (queryTrace, used on the session's live trace), TraceStore (an
// append-only list of events with subscriptions, for traces read from elsewhere) and the JSON-lines
// exporter. Reads TraceEvents only.
import type { TraceEvent, TraceEventKind } from './events';
import type { Trace } from './buffer';

export interface TraceQuery {
  /** First seq (inclusive). */
  from?: number;
  /** Last seq (exclusive). */
  to?: number;
  /** Simulated time window (ns, inclusive from / exclusive to). */
  timeFrom?: number;
  timeTo?: number;
  kinds?: TraceEventKind[];
  granularity?: 'event' | 'substep';
  relid?: number;
  /** Events whose phase path contains this name (or a name starting with it + ' '). */
  phase?: string;
  limit?: number;
}

export type TraceListener = (added: Trace, firstSeq: number) => void;

export class TraceStore {
  private evs: TraceEvent[] = [];
  private listeners = new Set<TraceListener>();

  constructor(events: Trace = []) {
    this.evs = events.slice();
  }

  get length(): number {
    return this.evs.length;
  }

  at(seq: number): TraceEvent | undefined {
    return this.evs[seq];
  }

  all(): Trace {
    return this.evs;
  }

  append(events: Trace): void {
    if (events.length === 0) return;
    const first = this.evs.length;
    for (const e of events) this.evs.push(e);
    for (const l of this.listeners) l(events, first);
  }

  /** Drops events from seq on (after an edit regenerated the run). */
  truncate(seq: number): void {
    if (seq < this.evs.length) this.evs.length = Math.max(0, seq);
  }

  subscribe(fn: TraceListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Index of the first event with time >= t (binary search; times are non-decreasing). */
  indexAtTime(t: number): number {
    return indexAtTime(this.evs, t);
  }

  query(q: TraceQuery = {}): TraceEvent[] {
    return queryTrace(this.evs, q);
  }
}

/** Index of the first event with time >= t in a trace (binary search; times are non-decreasing). */
export function indexAtTime(trace: Trace, t: number): number {
  const timeAt = trace.timeAt ? trace.timeAt.bind(trace) : (i: number) => trace.at(i)!.time;
  let lo = 0;
  let hi = trace.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (timeAt(mid) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The events of a window of a trace (index and/or time range) that match the query. Works on the
 * session's live trace: a compact trace's kinds are filtered before any event is built.
 */
export function queryTrace(trace: Trace, q: TraceQuery = {}): TraceEvent[] {
  let from = Math.max(0, q.from ?? 0);
  let to = Math.min(trace.length, q.to ?? trace.length);
  if (q.timeFrom !== undefined) from = Math.max(from, indexAtTime(trace, q.timeFrom));
  if (q.timeTo !== undefined) to = Math.min(to, indexAtTime(trace, q.timeTo));
  const kinds = q.kinds ? new Set(q.kinds) : null;
  const kindAt = kinds && trace.kindAt ? trace.kindAt.bind(trace) : undefined;
  const limit = q.limit ?? Number.POSITIVE_INFINITY;
  const out: TraceEvent[] = [];
  for (let i = from; i < to && out.length < limit; i++) {
    if (kindAt && !kinds!.has(kindAt(i)!)) continue;
    const e = trace.at(i)!;
    if (kinds && !kinds.has(e.kind)) continue;
    if (q.granularity === 'event' && e.granularity !== 'event') continue;
    if (q.relid !== undefined && (e as { relid?: number }).relid !== q.relid) continue;
    if (q.phase !== undefined && !e.phase.some((p) => p === q.phase || p.startsWith(q.phase + ' '))) continue;
    out.push(e);
  }
  return out;
}

// ------------------------------------------------------------------------------------ exporters

/** One JSON object per line, in trace order. Byte-identical for identical traces. */
export function toJsonLines(events: Trace): string {
  let s = '';
  for (const e of events) s += JSON.stringify(e) + '\n';
  return s;
}

export function fromJsonLines(text: string): TraceEvent[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TraceEvent);
}
