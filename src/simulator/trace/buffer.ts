// TraceBuffer: the engine's trace storage. A long run is mostly three kinds of event (ring-buffer
// packets, the guest's HvSignalEvent and the event-flag interrupts); keeping each as a 16-field
// object costs ~160 bytes and most of the engine's time goes to the garbage collector copying them.
// Those three are stored as a few numbers in typed columns and turned back into the same plain
// TraceEvent (same keys, same order) when read; every other event is stored as the object itself.
//
// Readers see the Trace interface: a read-only, array-like sequence (length, at, slice, iteration,
// filter...). A plain TraceEvent[] is a Trace too, so exporters and views accept either.
import type {
  AccessPath, Granularity, HypercallEvent, InterruptEvent, PacketEvent, Party, SynicId, TraceEvent, TraceEventKind,
} from './events';

/** A read-only sequence of trace events: what views, exporters and tests read. Arrays qualify. */
export interface Trace extends Iterable<TraceEvent> {
  readonly length: number;
  /** The event at index i (a fresh object for compactly stored events: compare by seq, not identity). */
  at(i: number): TraceEvent | undefined;
  slice(start?: number, end?: number): TraceEvent[];
  filter<S extends TraceEvent>(pred: (e: TraceEvent, i: number) => e is S): S[];
  filter(pred: (e: TraceEvent, i: number) => unknown): TraceEvent[];
  find<S extends TraceEvent>(pred: (e: TraceEvent, i: number) => e is S): S | undefined;
  find(pred: (e: TraceEvent, i: number) => unknown): TraceEvent | undefined;
  findIndex(pred: (e: TraceEvent, i: number) => unknown): number;
  some(pred: (e: TraceEvent, i: number) => unknown): boolean;
  every(pred: (e: TraceEvent, i: number) => unknown): boolean;
  forEach(fn: (e: TraceEvent, i: number) => void): void;
  map<U>(fn: (e: TraceEvent, i: number) => U): U[];
  /** The kind at index i without building the event (compact traces; arrays lack it). */
  kindAt?(i: number): TraceEventKind | undefined;
  /** The time at index i without building the event (compact traces; arrays lack it). */
  timeAt?(i: number): number;
}

type EventOf<K extends TraceEventKind> = Extract<TraceEvent, { kind: K }>;

/**
 * The last event of `kind` at or before index `from` that passes `pred`. On a compact trace the
 * other kinds are skipped unread: a step in the middle of a million packets looks back past them
 * for the last message without building each one.
 */
export function findLastOfKind<K extends TraceEventKind>(t: Trace, kind: K, from: number, pred?: (e: EventOf<K>) => boolean): EventOf<K> | undefined {
  const kindAt = t.kindAt?.bind(t);
  for (let i = Math.min(from, t.length - 1); i >= 0; i--) {
    if (kindAt && kindAt(i) !== kind) continue;
    const e = t.at(i)!;
    if (e.kind === kind && (!pred || pred(e as EventOf<K>))) return e as EventOf<K>;
  }
  return undefined;
}

/** Storage tags. */
const OBJECT = 0;
const PACKET = 1;
const SIGNAL = 2;
const INTERRUPT = 3;

// Codes for the few strings the compact kinds carry.
const PARTIES: readonly Party[] = ['guest', 'paravisor', 'hypervisor', 'host'];
const PATHS: readonly AccessPath[] = ['msr', 'hypercall', 'ghcb', 'tdcall', 'trapped', 'internal'];
const partyCode = (p: Party): number => PARTIES.indexOf(p);
const pathCode = (p: AccessPath): number => PATHS.indexOf(p);

// Flag bits (column f).
const F_OUTBOUND = 1; // packet: guest → device on the outbound ring
const F_SIGNALED = 2; // packet: the writer signalled
const F_CONFIDENTIAL = 4; // packet: the ring is encrypted
const F_PARAVISOR = 8; // interrupt: paravisor SynIC (else hypervisor)
const F_DELIVERED = 16; // interrupt: delivered
const F_EVENT = 32; // interrupt: via the event page (else the message slot)
const F_SIGNALED_BY_PARAVISOR = 64; // interrupt: raised by the paravisor SynIC for a flag in the hypervisor SynIC's page
const PARTY_SHIFT = 8; // packet: device party; signal: target party (2 bits)
const PATH_SHIFT = 10; // signal: access path (3 bits)

/** Decimal strings of small numbers (transaction ids, relids), made once and shared. */
const DECIMAL: string[] = [];
export const decimal = (n: number): string => DECIMAL[n] ?? (DECIMAL[n] = String(n));

const HV_SIGNAL_EVENT = 'HvSignalEvent';
const HV_STATUS_SUCCESS = 'HV_STATUS_SUCCESS';
const PKT_DATA_INBAND = 'VM_PKT_DATA_INBAND';
const EVENT: Granularity = 'event';
const SUBSTEP: Granularity = 'substep';

/** Events per chunk: columns grow a chunk at a time (no copying, at most one chunk unused). */
const SHIFT = 16;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;

/** One chunk of columns (u32: relids and connection ids are u32 on the wire). */
class Columns {
  readonly tag = new Uint8Array(CHUNK);
  readonly tm = new Float64Array(CHUNK);
  /** Object index (OBJECT), relid (PACKET, INTERRUPT), connection id (SIGNAL). */
  readonly a = new Uint32Array(CHUNK);
  /** PACKET: bytes; SIGNAL: hypercall code. */
  readonly b = new Uint32Array(CHUNK);
  /** PACKET: transaction id (the channel's packet number). */
  readonly c = new Uint32Array(CHUNK);
  /** PACKET: ring write index; SIGNAL, INTERRUPT: vp. */
  readonly d = new Uint32Array(CHUNK);
  readonly f = new Uint16Array(CHUNK);
  /** Index into the buffer's phase table. */
  readonly ph = new Uint32Array(CHUNK);
}

export class TraceBuffer implements Trace {
  private n = 0;
  private chunks: Columns[] = [];
  private objs: TraceEvent[] = [];
  /** Phase arrays by identity (the simulator shares one array per phase nesting). */
  private phases: string[][] = [];
  private phaseIndex = new Map<string[], number>();
  private lastPhase: string[] | null = null;
  private lastPhaseIdx = 0;

  /** @param compact false stores every event as an object (a reference for tests). */
  constructor(private readonly compact = true) {}

  get length(): number {
    return this.n;
  }

  /** The chunk written by the last open(). */
  private col: Columns | null = null;

  /** Starts the next event: its chunk (allocated when the last one is full), tag, time, phase. */
  private open(tag: number, time: number, phase: string[] | null): number {
    const k = this.n >>> SHIFT;
    if (k === this.chunks.length) this.chunks.push(new Columns());
    const col = this.chunks[k];
    this.col = col;
    const i = this.n++ & MASK;
    col.tag[i] = tag;
    col.tm[i] = time;
    if (phase !== null) col.ph[i] = this.phaseId(phase);
    return i;
  }

  private phaseId(p: string[]): number {
    if (p === this.lastPhase) return this.lastPhaseIdx;
    let i = this.phaseIndex.get(p);
    if (i === undefined) {
      i = this.phases.length;
      this.phases.push(p);
      this.phaseIndex.set(p, i);
    }
    this.lastPhase = p;
    this.lastPhaseIdx = i;
    return i;
  }

  /** Appends an event object (its seq must equal the current length). */
  push(ev: TraceEvent): void {
    const i = this.open(OBJECT, ev.time, null);
    this.col!.a[i] = this.objs.length;
    this.objs.push(ev);
  }

  /** A data packet written to a ring (the simulator's data path). */
  pushPacket(time: number, phase: string[], relid: number, device: Party, outbound: boolean, bytes: number, transaction: number, writeIndex: number, signaled: boolean, confidential: boolean): void {
    if (!this.compact) {
      this.push(packetEvent(this.n, time, phase, relid, device, outbound, bytes, transaction, writeIndex, signaled, confidential));
      return;
    }
    const i = this.open(PACKET, time, phase);
    const col = this.col!;
    col.a[i] = relid;
    col.b[i] = bytes;
    col.c[i] = transaction;
    col.d[i] = writeIndex;
    col.f[i] = (outbound ? F_OUTBOUND : 0) | (signaled ? F_SIGNALED : 0) | (confidential ? F_CONFIDENTIAL : 0) | (partyCode(device) << PARTY_SHIFT);
  }

  /** The guest's HvSignalEvent for a channel (vmbus_setevent without a monitor page). */
  pushSignal(time: number, phase: string[], path: AccessPath, code: number, target: Party, connectionId: number, vp: number): void {
    if (!this.compact) {
      this.push(signalEvent(this.n, time, phase, path, code, target, connectionId, vp));
      return;
    }
    const i = this.open(SIGNAL, time, phase);
    const col = this.col!;
    col.a[i] = connectionId;
    col.b[i] = code;
    col.d[i] = vp;
    col.f[i] = (partyCode(target) << PARTY_SHIFT) | (pathCode(path) << PATH_SHIFT);
  }

  /** A SINT2 interrupt for a channel's event flag. */
  pushInterrupt(time: number, phase: string[], synic: SynicId, via: 'message' | 'event', delivered: boolean, vp: number, relid: number, signaledBy?: SynicId): void {
    if (!this.compact) {
      this.push(interruptEvent(this.n, time, phase, synic, via, delivered, vp, relid, signaledBy));
      return;
    }
    const i = this.open(INTERRUPT, time, phase);
    const col = this.col!;
    col.a[i] = relid;
    col.d[i] = vp;
    col.f[i] = (synic === 'paravisor' ? F_PARAVISOR : 0) | (delivered ? F_DELIVERED : 0) | (via === 'event' ? F_EVENT : 0)
      | (signaledBy === 'paravisor' && synic !== 'paravisor' ? F_SIGNALED_BY_PARAVISOR : 0);
  }

  timeAt(i: number): number {
    return this.chunks[i >>> SHIFT].tm[i & MASK];
  }

  kindAt(i: number): TraceEventKind | undefined {
    if (i < 0 || i >= this.n) return undefined;
    const col = this.chunks[i >>> SHIFT];
    const j = i & MASK;
    switch (col.tag[j]) {
      case PACKET: return 'packet';
      case SIGNAL: return 'hypercall';
      case INTERRUPT: return 'interrupt';
      default: return this.objs[col.a[j]].kind;
    }
  }

  at(i: number): TraceEvent | undefined {
    if (i < 0) i += this.n;
    if (i < 0 || i >= this.n) return undefined;
    const col = this.chunks[i >>> SHIFT];
    const j = i & MASK;
    const tag = col.tag[j];
    if (tag === OBJECT) return this.objs[col.a[j]];
    const f = col.f[j];
    const phase = this.phases[col.ph[j]];
    if (tag === PACKET) {
      return packetEvent(i, col.tm[j], phase, col.a[j], PARTIES[(f >> PARTY_SHIFT) & 3], (f & F_OUTBOUND) !== 0, col.b[j], col.c[j], col.d[j], (f & F_SIGNALED) !== 0, (f & F_CONFIDENTIAL) !== 0);
    }
    if (tag === SIGNAL) {
      return signalEvent(i, col.tm[j], phase, PATHS[(f >> PATH_SHIFT) & 7], col.b[j], PARTIES[(f >> PARTY_SHIFT) & 3], col.a[j], col.d[j]);
    }
    return interruptEvent(i, col.tm[j], phase, (f & F_PARAVISOR) !== 0 ? 'paravisor' : 'hypervisor', (f & F_EVENT) !== 0 ? 'event' : 'message', (f & F_DELIVERED) !== 0, col.d[j], col.a[j], (f & F_SIGNALED_BY_PARAVISOR) !== 0 ? 'paravisor' : undefined);
  }

  slice(start = 0, end = this.n): TraceEvent[] {
    if (start < 0) start = Math.max(0, this.n + start);
    if (end < 0) end += this.n;
    end = Math.min(end, this.n);
    const out: TraceEvent[] = [];
    for (let i = start; i < end; i++) out.push(this.at(i)!);
    return out;
  }

  *[Symbol.iterator](): Iterator<TraceEvent> {
    for (let i = 0; i < this.n; i++) yield this.at(i)!;
  }

  filter<S extends TraceEvent>(pred: (e: TraceEvent, i: number) => e is S): S[];
  filter(pred: (e: TraceEvent, i: number) => unknown): TraceEvent[];
  filter(pred: (e: TraceEvent, i: number) => unknown): TraceEvent[] {
    const out: TraceEvent[] = [];
    for (let i = 0; i < this.n; i++) {
      const e = this.at(i)!;
      if (pred(e, i)) out.push(e);
    }
    return out;
  }

  find<S extends TraceEvent>(pred: (e: TraceEvent, i: number) => e is S): S | undefined;
  find(pred: (e: TraceEvent, i: number) => unknown): TraceEvent | undefined;
  find(pred: (e: TraceEvent, i: number) => unknown): TraceEvent | undefined {
    const i = this.findIndex(pred);
    return i < 0 ? undefined : this.at(i);
  }

  findIndex(pred: (e: TraceEvent, i: number) => unknown): number {
    for (let i = 0; i < this.n; i++) if (pred(this.at(i)!, i)) return i;
    return -1;
  }

  some(pred: (e: TraceEvent, i: number) => unknown): boolean {
    return this.findIndex(pred) >= 0;
  }

  every(pred: (e: TraceEvent, i: number) => unknown): boolean {
    return this.findIndex((e, i) => !pred(e, i)) < 0;
  }

  forEach(fn: (e: TraceEvent, i: number) => void): void {
    for (let i = 0; i < this.n; i++) fn(this.at(i)!, i);
  }

  map<U>(fn: (e: TraceEvent, i: number) => U): U[] {
    const out: U[] = [];
    for (let i = 0; i < this.n; i++) out.push(fn(this.at(i)!, i));
    return out;
  }

  /** JSON.stringify(trace) writes the events as an array, like a plain TraceEvent[]. */
  toJSON(): TraceEvent[] {
    return this.slice();
  }
}

// The three compact kinds as plain events: the key order is part of the JSON-lines contract
// (identical traces give identical bytes), so it must not change.

function packetEvent(seq: number, time: number, phase: string[], relid: number, device: Party, outbound: boolean, bytes: number, transaction: number, writeIndex: number, signaled: boolean, confidential: boolean): PacketEvent {
  return {
    seq, time, vp: 0, granularity: EVENT, phase, kind: 'packet',
    relid, from: outbound ? 'guest' : device, to: outbound ? device : 'guest', ring: outbound ? 'outbound' : 'inbound', packetType: PKT_DATA_INBAND, bytes,
    transactionId: decimal(transaction), writeIndex, signaled, confidential,
  };
}

function signalEvent(seq: number, time: number, phase: string[], path: AccessPath, code: number, target: Party, connectionId: number, vp: number): HypercallEvent {
  return {
    kind: 'hypercall', name: HV_SIGNAL_EVENT, code, path, by: 'guest', target,
    status: HV_STATUS_SUCCESS, connectionId, vp, granularity: SUBSTEP, phase,
    seq, time,
  };
}

function interruptEvent(seq: number, time: number, phase: string[], synic: SynicId, via: 'message' | 'event', delivered: boolean, vp: number, relid: number, signaledBy?: SynicId): InterruptEvent {
  const e: InterruptEvent = {
    kind: 'interrupt', synic, sint: 2, via, delivered, vp, granularity: SUBSTEP, relid,
    seq, time, phase,
  };
  if (signaledBy !== undefined && signaledBy !== synic) e.signaledBy = signaledBy;
  return e;
}
