// The tracer port: how every party records what it does. One trace for the whole world (the
// views and the debugger read it); the phase path (connect > version 6.0 > ...) is shared, the
// way a timeline reads. Parties call it; none reads another party's state through it.
import type { SourceRef } from './config';
import type { AccessPath, Granularity, MessageEvent, Party, StateObject, SynicId, TraceEvent } from '../trace/events';
import type { FaultConfig } from './config';
import type { Clock } from './ports';
import { TraceBuffer } from '../trace/buffer';
import { decodeMessage } from '../protocol/codec';
import { toHex } from '../protocol/hex';
import { messageTypeName } from '../protocol/constants';
import { faultById } from './faults/catalogue';

export type Json = Record<string, unknown>;
/** What a party hands the tracer: an event without the fields the tracer fills in. */
export type Emit = Omit<TraceEvent, 'seq' | 'time' | 'phase' | 'granularity' | 'vp'> & { vp?: number | null; granularity?: Granularity; source?: SourceRef };

export interface StateExtra {
  relid?: number;
  gpadl?: number;
  synic?: SynicId;
  detail?: Json;
  vp?: number;
  granularity?: Granularity;
  source?: SourceRef;
}

export type PhaseOutcome = 'ok' | 'failed' | 'skipped' | 'fallback';

/** The msgtype (u32 at offset 0) of a channel message, 0 when shorter. */
export function msgtypeOf(bytes: Uint8Array): number {
  return bytes.length >= 4 ? (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0 : 0;
}

export class Tracer {
  /** The trace; the data path's events are stored compactly (trace/buffer.ts). */
  readonly events: TraceBuffer;
  private phaseStack: string[] = [];
  /** The current phase path (a new array whenever it changes, so events can share it). */
  phaseArr: string[] = [];
  /** Called after every general event (scripted steps watch for their stop points). */
  onEmit: ((e: TraceEvent) => void) | null = null;
  /** Invariants the run broke (names). */
  readonly brokenInvariants = new Set<string>();

  constructor(private readonly clock: Clock, compact: boolean, private readonly cvm: boolean) {
    this.events = new TraceBuffer(compact);
  }

  get now(): number {
    return this.clock.now;
  }

  emit(e: Emit): TraceEvent {
    const ev = e as TraceEvent;
    ev.seq = this.events.length;
    ev.time = this.clock.now;
    if (ev.vp === undefined) ev.vp = null;
    if (ev.granularity === undefined) ev.granularity = 'event';
    ev.phase = this.phaseArr;
    this.events.push(ev);
    if (this.onEmit !== null) this.onEmit(ev);
    return ev;
  }

  // ---------------------------------------------------------------------------- phases

  beginPhase(name: string, vp: number | null = null, source?: SourceRef): void {
    this.phaseStack.push(name);
    this.phaseArr = this.phaseStack.slice();
    this.emit({ kind: 'phase', action: 'begin', name, vp, source } as Emit);
  }

  endPhase(name: string, outcome: PhaseOutcome = 'ok', detail?: string): void {
    const i = this.phaseStack.lastIndexOf(name);
    if (i < 0) return;
    // Close nested phases first.
    while (this.phaseStack.length > i + 1) this.endPhase(this.phaseStack[this.phaseStack.length - 1], 'ok');
    const e: Emit = { kind: 'phase', action: 'end', name, outcome } as Emit;
    if (detail !== undefined) (e as { detail?: string }).detail = detail;
    this.emit(e);
    this.phaseStack.pop();
    this.phaseArr = this.phaseStack.slice();
  }

  /** Whether a phase named `wanted` (or starting with `wanted + ' '`) is open. */
  inPhaseLike(wanted: string): boolean {
    return this.phaseStack.some((p) => p === wanted || p.startsWith(wanted + ' '));
  }

  /** The innermost open phase. */
  get currentPhase(): string {
    return this.phaseStack[this.phaseStack.length - 1];
  }

  // ---------------------------------------------------------------------------- events

  log(party: Party, level: 'info' | 'warn' | 'err' | 'debug', text: string, source?: SourceRef): void {
    this.emit({ kind: 'log', party, level, text, vp: party === 'guest' ? 0 : null, source } as Emit);
  }

  state(party: Party, object: StateObject, from: string, to: string, extra: StateExtra = {}): void {
    const e: Json = { kind: 'state', party, object, from, to };
    if (extra.relid !== undefined) e.relid = extra.relid;
    if (extra.gpadl !== undefined) e.gpadl = extra.gpadl;
    if (extra.synic !== undefined) e.synic = extra.synic;
    if (extra.detail !== undefined) e.detail = extra.detail;
    if (extra.vp !== undefined) e.vp = extra.vp;
    if (extra.source !== undefined) e.source = extra.source;
    e.granularity = extra.granularity ?? 'substep';
    this.emit(e as Emit);
  }

  invariant(name: string, description: string, source?: SourceRef): void {
    this.brokenInvariants.add(name);
    this.emit({ kind: 'invariant', name, description, source } as Emit);
  }

  fault(f: FaultConfig | null, id: string, description: string): void {
    const entry = faultById(id);
    this.emit({ kind: 'fault', fault: id, description, hostile: entry?.hostile ?? false, source: f?.source } as Emit);
  }

  /** A channel message crossing a boundary, decoded for the views (Linux's checks towards the guest). */
  message(from: Party, to: Party, synic: SynicId | null, path: AccessPath, connId: number, bytes: Uint8Array, status: string, relid?: number, fault?: string, sint?: number, trusted?: boolean, source?: SourceRef, vtl?: number, payloadSize?: number): MessageEvent {
    const dec = decodeMessage(bytes, { allowOpenVmm: to !== 'guest' });
    const msgtypeValue = msgtypeOf(bytes);
    const msgtype = messageTypeName(msgtypeValue) ?? `UNKNOWN(${msgtypeValue})`;
    const decoded: Json = dec.ok ? dec.value : { error: dec.error.message, code: dec.error.code };
    if (dec.ok && dec.warnings.length) decoded._warnings = dec.warnings;
    const confidential = this.messageConfidential(from, to, path, synic);
    const e: Json = {
      kind: 'message', from, to, synic, path, connectionId: connId, msgtype, msgtypeValue, hex: toHex(bytes), decoded, confidential, status,
      vp: to === 'guest' || from === 'guest' ? 0 : null, granularity: 'event',
    };
    const r = relid ?? (dec.ok && typeof dec.value.child_relid === 'number' ? dec.value.child_relid : undefined);
    if (r !== undefined) e.relid = r;
    if (fault !== undefined) e.fault = fault;
    e.sint = sint ?? 2;
    e.vtl = vtl ?? (to === 'paravisor' && from === 'host' ? 2 : 0);
    if (trusted !== undefined) e.trusted = trusted;
    if (source) e.source = source;
    // The hv_message payload_size, when the sender claims other than what it sent (over 240...).
    if (payloadSize !== undefined && payloadSize !== bytes.length) e.payloadSize = payloadSize;
    return this.emit(e as Emit) as MessageEvent;
  }

  /** Whether a message traveled only through encrypted memory. */
  private messageConfidential(from: Party, to: Party, path: AccessPath, synic: SynicId | null): boolean {
    if (!this.cvm) return false;
    if (from === 'guest') return path === 'trapped';
    if (to === 'guest') return synic === 'paravisor';
    return false; // paravisor <-> host goes through the hypervisor
  }
}
