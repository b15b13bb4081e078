// Memory for VS Code's hex view (readMemory): the current channel message, offers, SynIC message
// and event-flag pages, and ring buffer control pages. The simulator keeps state as fields, not
// as raw pages, so pages are laid out here from that state with the protocol layer's encoders
// (struct hv_message slots, event-flag bits, struct hv_ring_buffer indices).
import {
  type SimulationSession, type SimulationState, HV_PAGE_SIZE, RING_FEATURE_PENDING_SEND_SZ, VMBUS_MESSAGE_TYPE, encodeHvMessage, encodeRingControl, parseHex, eventFlagSet, newPage, writeMessageSlot, findLastOfKind,
} from '../../simulator';
import { bytesToBase64 } from '../../shared/base64';

export interface MemoryRegion {
  /** Address shown in the hex view (GPA where the simulator knows it). */
  address: bigint;
  bytes: Uint8Array;
  /** Bytes the simulator does not model (shown as unreadable). */
  unknownFrom?: number;
}

/** The bytes of a trace event's hex (always valid: the engine wrote it with toHex). */
function hexToBytes(h: string): Uint8Array {
  const r = parseHex(h);
  return r.ok ? r.bytes : new Uint8Array(0);
}

function parseGpa(s: string | undefined): bigint {
  if (!s) return 0n;
  const m = /0x[0-9a-f]+|\d+/i.exec(s);
  return m ? BigInt(m[0]) : 0n;
}

/** Base GPA of a SIMP/SIEFP register value (bits 12-63). */
function pageBase(value: string): bigint {
  try {
    return BigInt(value) & ~0xfffn;
  } catch {
    return 0n;
  }
}

/** The SIM page of one SynIC: each occupied slot holds the channel message that sits there. */
function simPage(session: SimulationSession, state: SimulationState, owner: string, vp: number): MemoryRegion | undefined {
  const synic = state.synics.find((s) => s.owner === owner && s.vp === vp);
  if (!synic) return undefined;
  const page = newPage();
  const events = session.events();
  for (const slot of synic.slots) {
    if (!slot.msgtype) continue;
    const m = findLastOfKind(events, 'message', state.position, (e) => e.synic === owner && e.msgtype === slot.msgtype && (e.vp === null || e.vp === vp));
    const payload = m ? hexToBytes(m.hex).subarray(0, 240) : new Uint8Array(0);
    writeMessageSlot(
      page,
      slot.sint,
      encodeHvMessage({ message_type: VMBUS_MESSAGE_TYPE, payload, msg_pending: slot.pending, connection_id: m?.connectionId ?? 0 }),
    );
  }
  return { address: pageBase(synic.simp.value), bytes: page };
}

/** The SIEF page of one SynIC: bit n of SINT s's 256-byte block = relid / flag n. */
function siefPage(state: SimulationState, owner: string, vp: number): MemoryRegion | undefined {
  const synic = state.synics.find((s) => s.owner === owner && s.vp === vp);
  if (!synic) return undefined;
  const page = newPage();
  for (const f of synic.eventFlags) for (const bit of f.bits) eventFlagSet(page, f.sint, bit);
  return { address: pageBase(synic.siefp.value), bytes: page };
}

/**
 * A ring buffer's control page (struct hv_ring_buffer): write_index u32 @0, read_index u32 @4,
 * interrupt_mask u32 @8, pending_send_sz u32 @12, feature_bits u32 @64. The simulator tracks
 * the write index per packet; the receiver consumes synchronously, so read_index = write_index.
 * The data pages are not modelled and read as unknown.
 */
function ringPage(session: SimulationSession, state: SimulationState, relid: number, ring: 'outbound' | 'inbound', gpa: string | undefined, pages: number): MemoryRegion {
  const last = findLastOfKind(session.events(), 'packet', state.position, (e) => e.relid === relid && e.ring === ring);
  const w = last ? last.writeIndex >>> 0 : 0;
  const page = encodeRingControl({ write_index: w, read_index: w, feature_bits: RING_FEATURE_PENDING_SEND_SZ });
  const total = new Uint8Array(Math.max(1, pages) * HV_PAGE_SIZE);
  total.set(page, 0);
  return { address: parseGpa(gpa), bytes: total, unknownFrom: HV_PAGE_SIZE };
}

/** Resolve a memoryReference from the Variables view. */
export function resolveMemory(ref: string, session: SimulationSession, state: SimulationState): MemoryRegion | undefined {
  const [kind, a, b] = ref.split(':');
  const events = session.events();
  switch (kind) {
    case 'msg': {
      const e = events.at(Number(a))!;
      if (!e || e.kind !== 'message' || e.seq > state.position) return undefined;
      return { address: 0n, bytes: hexToBytes(e.hex) };
    }
    case 'offer': {
      const c = state.channels.find((x) => x.relid === Number(a));
      if (!c?.offerHex) return undefined;
      return { address: 0n, bytes: hexToBytes(c.offerHex) };
    }
    case 'simp':
      return simPage(session, state, a, Number(b));
    case 'siefp':
      return siefPage(state, a, Number(b));
    case 'ring': {
      const relid = Number(a);
      const c = state.channels.find((x) => x.relid === relid);
      const g = c?.gpadls.find((x) => x.kind === 'ring');
      return ringPage(session, state, relid, b === 'inbound' ? 'inbound' : 'outbound', g?.gpa, 1);
    }
    case 'page': {
      const id = ref.slice('page:'.length);
      const p = state.pages.find((x) => x.page === id);
      if (!p) return undefined;
      const low = id.toLowerCase();
      // SynIC pages: "vp0.para.simp", "vp1.hyp.siefp" and the like.
      const vpm = /vp(\d+)/.exec(low);
      const vp = vpm ? Number(vpm[1]) : 0;
      const owner = /para/.test(low) ? 'paravisor' : 'hypervisor';
      if (/simp|\bsim\b|message/.test(low + ' ' + p.purpose.toLowerCase())) {
        const r = simPage(session, state, owner, vp);
        if (r) return { ...r, address: parseGpa(p.gpa) };
      }
      if (/siefp|sief|event/.test(low + ' ' + p.purpose.toLowerCase())) {
        const r = siefPage(state, owner, vp);
        if (r) return { ...r, address: parseGpa(p.gpa) };
      }
      const rm = /relid(\d+)/.exec(low);
      if (rm && /ring/.test(low + ' ' + p.purpose.toLowerCase())) {
        return ringPage(session, state, Number(rm[1]), 'outbound', p.gpa, p.count);
      }
      return { address: parseGpa(p.gpa), bytes: new Uint8Array(p.count * HV_PAGE_SIZE), unknownFrom: 0 };
    }
  }
  return undefined;
}

/** Slice a region for a readMemory request. */
export function readRegion(r: MemoryRegion, offset: number, count: number): { address: string; data: string; unreadableBytes: number } {
  const start = Math.max(0, offset);
  const known = r.unknownFrom ?? r.bytes.length;
  const end = Math.min(start + count, known);
  const data = end > start ? bytesToBase64(r.bytes.subarray(start, end)) : '';
  const unreadable = Math.max(0, count - Math.max(0, end - start));
  return { address: '0x' + (r.address + BigInt(start)).toString(16), data, unreadableBytes: unreadable };
}
