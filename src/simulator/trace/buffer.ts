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
const PARTY_SHIFT = 8; // packet: device party; signal: target party (2 bits)
const PATH_SHIFT = 10; // signal: access path (3 bits)

/** Decimal strings of transaction ids, shared between materialised packets. */
const TID: string[] = [];
const tid = (n: number): string => TID[n] ?? (TID[n] = String(n));

const HV_SIGNAL_EVENT = 'HvSignalEvent';
const HV_STATUS_SUCCESS = 'HV_STATUS_SUCCESS';
const PKT_DATA_INBAND = 'VM_PKT_DATA_INBAND';
const EVENT: Granularity = 'event';
const SUBSTEP: Granularity = 'substep';

export class TraceBuffer implements Trace {
  private n = 0;
  private cap = 0;
  private tag = new Uint8Array(0);
  private tm = new Float64Array(0);
  /** Per event: object index (OBJECT), relid (PACKET, INTERRUPT), connection id (SIGNAL). */
  private a = new Int32Array(0);
  /** PACKET: bytes; SIGNAL: hypercall code; INTERRUPT: vp. */
  private b = new Int32Array(0);
  /** PACKET: transaction id (the channel's packet number). */
  private c = new Int32Array(0);
  /** PACKET: ring write index; SIGNAL, INTERRUPT: vp. */
  private d = new Int32Array(0);
  private f = new Uint16Array(0);
  /** Index into `phases`. */
  private ph = new Uint32Array(0);
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

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const g = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const x = make(cap);
      x.set(old);
      return x;
    };
    this.tag = g(this.tag, (k) => new Uint8Array(k));
    this.tm = g(this.tm, (k) => new Float64Array(k));
    this.a = g(this.a, (k) => new Int32Array(k));
    this.b = g(this.b, (k) => new Int32Array(k));
    this.c = g(this.c, (k) => new Int32Array(k));
    this.d = g(this.d, (k) => new Int32Array(k));
    this.f = g(this.f, (k) => new Uint16Array(k));
    this.ph = g(this.ph, (k) => new Uint32Array(k));
    this.cap = cap;
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
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.tag[i] = OBJECT;
    this.tm[i] = ev.time;
    this.a[i] = this.objs.length;
    this.objs.push(ev);
  }

  /** A data packet written to a ring (the simulator's data path). */
  pushPacket(time: number, phase: string[], relid: number, device: Party, outbound: boolean, bytes: number, transaction: number, writeIndex: number, signaled: boolean, confidential: boolean): void {
    if (!this.compact) {
      this.push(packetEvent(this.n, time, phase, relid, device, outbound, bytes, transaction, writeIndex, signaled, confidential));
      return;
    }
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.tag[i] = PACKET;
    this.tm[i] = time;
    this.a[i] = relid;
    this.b[i] = bytes;
    this.c[i] = transaction;
    this.d[i] = writeIndex;
    this.f[i] = (outbound ? F_OUTBOUND : 0) | (signaled ? F_SIGNALED : 0) | (confidential ? F_CONFIDENTIAL : 0) | (partyCode(device) << PARTY_SHIFT);
    this.ph[i] = this.phaseId(phase);
  }

  /** The guest's HvSignalEvent for a channel (vmbus_setevent without a monitor page). */
  pushSignal(time: number, phase: string[], path: AccessPath, code: number, target: Party, connectionId: number, vp: number): void {
    if (!this.compact) {
      this.push(signalEvent(this.n, time, phase, path, code, target, connectionId, vp));
      return;
    }
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.tag[i] = SIGNAL;
    this.tm[i] = time;
    this.a[i] = connectionId;
    this.b[i] = code;
    this.d[i] = vp;
    this.f[i] = (partyCode(target) << PARTY_SHIFT) | (pathCode(path) << PATH_SHIFT);
    this.ph[i] = this.phaseId(phase);
  }

  /** A SINT2 interrupt for a channel's event flag. */
  pushInterrupt(time: number, phase: string[], synic: SynicId, via: 'message' | 'event', delivered: boolean, vp: number, relid: number): void {
    if (!this.compact) {
      this.push(interruptEvent(this.n, time, phase, synic, via, delivered, vp, relid));
      return;
    }
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.tag[i] = INTERRUPT;
    this.tm[i] = time;
    this.a[i] = relid;
    this.d[i] = vp;
    this.f[i] = (synic === 'paravisor' ? F_PARAVISOR : 0) | (delivered ? F_DELIVERED : 0) | (via === 'event' ? F_EVENT : 0);
    this.ph[i] = this.phaseId(phase);
  }

  timeAt(i: number): number {
    return this.tm[i];
  }

  kindAt(i: number): TraceEventKind | undefined {
    if (i < 0 || i >= this.n) return undefined;
    switch (this.tag[i]) {
      case PACKET: return 'packet';
      case SIGNAL: return 'hypercall';
      case INTERRUPT: return 'interrupt';
      default: return this.objs[this.a[i]].kind;
    }
  }

  at(i: number): TraceEvent | undefined {
    if (i < 0) i += this.n;
    if (i < 0 || i >= this.n) return undefined;
    const tag = this.tag[i];
    if (tag === OBJECT) return this.objs[this.a[i]];
    const f = this.f[i];
    const phase = this.phases[this.ph[i]];
    if (tag === PACKET) {
      return packetEvent(i, this.tm[i], phase, this.a[i], PARTIES[(f >> PARTY_SHIFT) & 3], (f & F_OUTBOUND) !== 0, this.b[i], this.c[i], this.d[i], (f & F_SIGNALED) !== 0, (f & F_CONFIDENTIAL) !== 0);
    }
    if (tag === SIGNAL) {
      return signalEvent(i, this.tm[i], phase, PATHS[(f >> PATH_SHIFT) & 7], this.b[i], PARTIES[(f >> PARTY_SHIFT) & 3], this.a[i], this.d[i]);
    }
    return interruptEvent(i, this.tm[i], phase, (f & F_PARAVISOR) !== 0 ? 'paravisor' : 'hypervisor', (f & F_EVENT) !== 0 ? 'event' : 'message', (f & F_DELIVERED) !== 0, this.d[i], this.a[i]);
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

  /** Bytes held by the columns (for benchmarks); objects not included. */
  columnBytes(): number {
    return this.cap * (1 + 8 + 4 * 4 + 2 + 4);
  }
}

// The three compact kinds as plain events: the key order is part of the JSON-lines contract
// (identical traces give identical bytes), so it must not change.

function packetEvent(seq: number, time: number, phase: string[], relid: number, device: Party, outbound: boolean, bytes: number, transaction: number, writeIndex: number, signaled: boolean, confidential: boolean): PacketEvent {
  return {
    seq, time, vp: 0, granularity: EVENT, phase, kind: 'packet',
    relid, from: outbound ? 'guest' : device, to: outbound ? device : 'guest', ring: outbound ? 'outbound' : 'inbound', packetType: PKT_DATA_INBAND, bytes,
    transactionId: tid(transaction), writeIndex, signaled, confidential,
  };
}

function signalEvent(seq: number, time: number, phase: string[], path: AccessPath, code: number, target: Party, connectionId: number, vp: number): HypercallEvent {
  return {
    kind: 'hypercall', name: HV_SIGNAL_EVENT, code, path, by: 'guest', target,
    status: HV_STATUS_SUCCESS, connectionId, vp, granularity: SUBSTEP, phase,
    seq, time,
  };
}

function interruptEvent(seq: number, time: number, phase: string[], synic: SynicId, via: 'message' | 'event', delivered: boolean, vp: number, relid: number): InterruptEvent {
  return {
    kind: 'interrupt', synic, sint: 2, via, delivered, vp, granularity: SUBSTEP, relid,
    seq, time, phase,
  };
}
