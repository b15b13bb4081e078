// TraceStore: an append-only view over a trace with windowed queries and subscriptions, plus the
// exporters (JSON lines, Mermaid sequenceDiagram, readable text). Reads TraceEvents only.
import type { MessageEvent, TraceEvent, TraceEventKind } from './events';

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

export type TraceListener = (added: readonly TraceEvent[], firstSeq: number) => void;

export class TraceStore {
  private evs: TraceEvent[] = [];
  private listeners = new Set<TraceListener>();

  constructor(events: readonly TraceEvent[] = []) {
    this.evs = events.slice();
  }

  get length(): number {
    return this.evs.length;
  }

  at(seq: number): TraceEvent | undefined {
    return this.evs[seq];
  }

  all(): readonly TraceEvent[] {
    return this.evs;
  }

  append(events: readonly TraceEvent[]): void {
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
    let lo = 0;
    let hi = this.evs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.evs[mid].time < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  query(q: TraceQuery = {}): TraceEvent[] {
    let from = Math.max(0, q.from ?? 0);
    let to = Math.min(this.evs.length, q.to ?? this.evs.length);
    if (q.timeFrom !== undefined) from = Math.max(from, this.indexAtTime(q.timeFrom));
    if (q.timeTo !== undefined) to = Math.min(to, this.indexAtTime(q.timeTo));
    const kinds = q.kinds ? new Set(q.kinds) : null;
    const limit = q.limit ?? Number.POSITIVE_INFINITY;
    const out: TraceEvent[] = [];
    for (let i = from; i < to && out.length < limit; i++) {
      const e = this.evs[i];
      if (kinds && !kinds.has(e.kind)) continue;
      if (q.granularity === 'event' && e.granularity !== 'event') continue;
      if (q.relid !== undefined && (e as { relid?: number }).relid !== q.relid) continue;
      if (q.phase !== undefined && !e.phase.some((p) => p === q.phase || p.startsWith(q.phase + ' '))) continue;
      out.push(e);
    }
    return out;
  }
}

// ------------------------------------------------------------------------------------ exporters

/** One JSON object per line, in trace order. Byte-identical for identical traces. */
export function toJsonLines(events: readonly TraceEvent[]): string {
  let s = '';
  for (const e of events) s += JSON.stringify(e) + '\n';
  return s;
}

export function fromJsonLines(text: string): TraceEvent[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TraceEvent);
}

const PARTICIPANT: Record<string, string> = { guest: 'Guest', paravisor: 'Paravisor', hypervisor: 'Hypervisor', host: 'Host' };

function short(name: string): string {
  return name.replace(/^CHANNELMSG_/, '');
}

function keyFields(e: MessageEvent): string {
  const d = e.decoded as Record<string, unknown>;
  const parts: string[] = [];
  const pick = (k: string, fmt?: (v: unknown) => string) => {
    if (d[k] !== undefined) parts.push(`${k}=${fmt ? fmt(d[k]) : String(d[k])}`);
  };
  pick('vmbus_version_requested', (v) => `${(Number(v) >>> 16) & 0xffff}.${Number(v) & 0xffff}`);
  pick('version_supported');
  pick('msg_conn_id');
  pick('feature_flags', (v) => '0x' + Number(v).toString(16));
  pick('supported_features', (v) => '0x' + Number(v).toString(16));
  pick('child_relid');
  const offer = d.offer as Record<string, unknown> | undefined;
  if (offer) parts.push(`chn_flags=0x${Number(offer.chn_flags).toString(16)}`);
  pick('connection_id', (v) => '0x' + Number(v).toString(16));
  pick('gpadl', (v) => '0x' + Number(v).toString(16));
  pick('creation_status', (v) => '0x' + Number(v).toString(16));
  pick('status', (v) => '0x' + Number(v).toString(16));
  if (d.error !== undefined) parts.push(`error=${String(d.error)}`);
  return parts.join(' ');
}

/** Mermaid sequenceDiagram of the message flow (plus phases as notes and guest logs). */
export function toMermaid(events: readonly TraceEvent[], opts: { maxMessages?: number; includeLogs?: boolean } = {}): string {
  const max = opts.maxMessages ?? 2000;
  const lines = ['sequenceDiagram', '  participant Guest', '  participant Paravisor', '  participant Hypervisor', '  participant Host'];
  let n = 0;
  for (const e of events) {
    if (e.kind === 'phase' && e.action === 'begin' && e.phase.length <= 2) {
      lines.push(`  Note over Guest,Host: ${e.name.replace(/[;#]/g, ' ')}`);
    } else if (e.kind === 'message') {
      if (++n > max) { lines.push('  Note over Guest,Host: ... (truncated)'); break; }
      const from = PARTICIPANT[e.from] ?? e.from;
      const to = PARTICIPANT[e.to] ?? e.to;
      const arrow = e.status === 'HV_STATUS_SUCCESS' ? '->>' : '--x';
      const via = e.synic ? ` [${e.synic} SynIC]` : ` [${e.path}]`;
      const kf = keyFields(e);
      lines.push(`  ${from}${arrow}${to}: ${short(e.msgtype)}${kf ? ' ' + kf : ''}${via}${e.status !== 'HV_STATUS_SUCCESS' ? ' ' + e.status : ''}`.replace(/[;#]/g, ' '));
    } else if (opts.includeLogs !== false && e.kind === 'log' && e.party === 'guest') {
      lines.push(`  Note right of Guest: ${e.text.replace(/[;#]/g, ' ')}`);
    } else if (e.kind === 'fault') {
      lines.push(`  Note over Host: fault ${e.fault}${e.hostile ? ' (hostile)' : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** A readable line per message / phase / log / fault (time in µs). */
export function toText(events: readonly TraceEvent[], opts: { registers?: boolean; packets?: boolean } = {}): string {
  const out: string[] = [];
  for (const e of events) {
    const t = (e.time / 1000).toFixed(3).padStart(10) + 'µs';
    const vp = e.vp === null ? '   ' : `vp${e.vp}`;
    switch (e.kind) {
      case 'message':
        out.push(`${t} ${vp} ${e.from}→${e.to} ${(e.synic ? e.synic + ' SynIC' : '-').padEnd(16)} ${e.path.padEnd(9)} conn=0x${e.connectionId.toString(16)} ${e.msgtype} ${keyFields(e)}${e.status !== 'HV_STATUS_SUCCESS' ? ' ' + e.status : ''}`);
        break;
      case 'phase':
        out.push(`${t}     ${e.action === 'begin' ? '▶' : '◀'} ${e.name}${e.outcome ? ' (' + e.outcome + (e.detail ? ': ' + e.detail : '') + ')' : ''}`);
        break;
      case 'log':
        out.push(`${t} ${vp} [${e.party}] ${e.text}`);
        break;
      case 'fault':
        out.push(`${t}     fault ${e.fault}${e.hostile ? ' (hostile)' : ''}: ${e.description}`);
        break;
      case 'invariant':
        out.push(`${t}     invariant broken: ${e.name}: ${e.description}`);
        break;
      case 'expectation':
        out.push(`${t}     expect ${e.ok ? 'ok  ' : 'FAIL'} ${e.text}${e.detail ? ' (' + e.detail + ')' : ''}`);
        break;
      case 'register':
        if (opts.registers) out.push(`${t} ${vp} ${e.by} ${e.op} ${e.synic} ${e.register} = ${e.value} via ${e.path}`);
        break;
      case 'packet':
        if (opts.packets) out.push(`${t} ${vp} packet relid ${e.relid} ${e.from}→${e.to} ${e.ring} ${e.bytes}B write_index=${e.writeIndex}${e.signaled ? ' signal' : ''}`);
        break;
      default:
        break;
    }
  }
  return out.join('\n') + '\n';
}
