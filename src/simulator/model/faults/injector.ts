// Fault injection at the ports: which configured fault strikes a message crossing a boundary
// (trigger matching and use counts), and the wire between two parties that drops, delays,
// duplicates or corrupts what it carries. Parties never see a fault's bookkeeping; they see bytes.
import type { FaultConfig } from '../config';
import type { Party } from '../../trace/events';
import type { Clock } from '../ports';
import type { Json, Tracer } from '../tracer';
import { decodeMessage, encodeMessage } from '../../protocol/codec';
import { T } from '../constants';

export class FaultInjector {
  private faultCounts = new Map<FaultConfig, number>();
  private msgCounts = new Map<string, number>();

  constructor(readonly faults: readonly FaultConfig[], private readonly tracer: Tracer) {}

  /** The 1-based count of messages with this key (sender prefix + msgtype) so far, this one included. */
  msgCount(name: string): number {
    const n = (this.msgCounts.get(name) ?? 0) + 1;
    this.msgCounts.set(name, n);
    return n;
  }

  /** The first fault of one of `kinds` whose trigger matches a message crossing a boundary. */
  match(kinds: string[], name: string, relid: number | undefined, nth: number, device?: string): FaultConfig | null {
    for (const f of this.faults) {
      if (!kinds.includes(f.kind)) continue;
      const tr = f.trigger;
      if (tr.msgtype !== undefined && tr.msgtype !== name) continue;
      if (tr.relid !== undefined && tr.relid !== relid) continue;
      if (tr.phase !== undefined && !this.tracer.inPhaseLike(tr.phase)) continue;
      if (tr.device !== undefined && tr.device !== device) continue;
      if (tr.nth !== undefined && tr.nth !== nth) continue;
      const used = this.faultCounts.get(f) ?? 0;
      if (tr.nth === undefined && tr.msgtype === undefined && tr.relid === undefined && tr.device === undefined && used > 0 && f.kind !== 'delay') continue;
      this.faultCounts.set(f, used + 1);
      return f;
    }
    return null;
  }

  /** The first fault of a kind (optionally also matching `pred`). */
  find(kind: string, pred: (f: FaultConfig) => boolean = () => true): FaultConfig | undefined {
    return this.faults.find((f) => f.kind === kind && pred(f));
  }

  /** How often a fault has struck. */
  uses(f: FaultConfig): number {
    return this.faultCounts.get(f) ?? 0;
  }

  /** Counts one more use of a fault and returns the count. */
  countUse(f: FaultConfig): number {
    const n = (this.faultCounts.get(f) ?? 0) + 1;
    this.faultCounts.set(f, n);
    return n;
  }

  /** Emits the fault event. */
  event(f: FaultConfig | null, id: string, description: string): void {
    this.tracer.fault(f, id, description);
  }

  /** The bytes with the fault's field (through the codec) or byte (XOR at an offset) changed. */
  corrupt(bytes: Uint8Array, f: FaultConfig): Uint8Array {
    if (f.params.field !== undefined) {
      const dec = decodeMessage(bytes, { allowOpenVmm: true });
      if (dec.ok) {
        const j = JSON.parse(JSON.stringify(dec.value)) as Json;
        const path = String(f.params.field).split('.');
        let o: Json = j;
        for (let i = 0; i < path.length - 1; i++) o = (o[path[i]] ?? {}) as Json;
        const raw = f.params.value;
        o[path[path.length - 1]] = typeof raw === 'string' && /^0x/i.test(raw) ? Number(raw) : raw;
        delete j.trailing;
        const r = encodeMessage(j);
        if (r.ok) return r.bytes;
      }
      return bytes;
    }
    const out = bytes.slice();
    const off = Number(f.params.offset ?? 8);
    if (off < out.length) out[off] ^= Number(f.params.xor ?? 0xff);
    return out;
  }
}

/** What the wire knows about a message it carries (for fault triggers and descriptions). */
export interface WireContext {
  name: string;
  relid?: number;
  nth: number;
  /** The device the message concerns (fault trigger `device`). */
  device?: string;
}

/**
 * The wire between two VMBus parties (guest → server, relay ↔ host): the message arrives after
 * the receiver's processing delay, unless a drop / delay / duplicate / corrupt fault strikes.
 */
export class Wire {
  constructor(private readonly clock: Clock, private readonly faults: FaultInjector) {}

  transmit(from: Party, to: 'paravisor' | 'host' | 'relay', bytes: Uint8Array, ctx: WireContext, deliver: (bytes: Uint8Array) => void): void {
    const f = this.faults.match(['drop', 'delay', 'duplicate', 'corrupt'], ctx.name, ctx.relid, ctx.nth, ctx.device);
    let b = bytes;
    let delay = to === 'host' || from === 'host' ? T.hostWork : T.serverWork;
    let copies = 1;
    if (f) {
      if (f.kind === 'drop') {
        this.faults.event(f, 'drop', `${ctx.name} ${from}→${to === 'relay' ? 'paravisor' : to} dropped`);
        return;
      }
      if (f.kind === 'delay') {
        const us = Number(f.params.us ?? 1000);
        delay += us * 1000;
        this.faults.event(f, 'delay', `${ctx.name} delayed by ${us} µs`);
      } else if (f.kind === 'duplicate') {
        copies = 2;
        this.faults.event(f, 'duplicate', `${ctx.name} delivered twice`);
      } else if (f.kind === 'corrupt') {
        b = this.faults.corrupt(b, f);
        this.faults.event(f, 'corrupt', `${ctx.name} corrupted (${f.params.field !== undefined ? String(f.params.field) + ' = ' + String(f.params.value) : 'byte ' + String(f.params.offset)})`);
      }
    }
    for (let i = 0; i < copies; i++) {
      const bb = b;
      this.clock.schedule(delay + i * 1000, () => deliver(bb));
    }
  }
}
