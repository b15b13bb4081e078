// A synthetic interrupt controller (TLFS SynIC) of one VP: its registers, the SINT2 message slot
// with its queue and msg_pending, and the event flags of its SIEF page. The hypervisor owns one
// per VP; OpenHCL emulates a second one per VP for VTL0 on a hardware-isolated VM.
import type { AccessPath, Party, SynicId } from '../../trace/events';
import type { SourceRef } from '../config';
import { hexNum } from '../../protocol/hex';
import { SINT_AUTO_EOI, SINT_MASKED, SINT_PROXY } from '../constants';

/** The SynIC registers the guest programs (TLFS names). */
export type SynicRegister = 'SCONTROL' | 'SIMP' | 'SIEFP' | 'SINT2' | 'EOM';

/** A message in (or queued for) the SINT2 slot of the SIM page. */
export interface SlotItem {
  bytes: Uint8Array;
  msgtype: string;
  from: Party;
  payloadSize: number;
  fault?: string;
  source?: SourceRef;
}

/**
 * The event flags set in a SynIC's SIEF page: a set of relids (u32). Marks indexed by relid and a
 * list of the set ones, so setting a flag hashes nothing and clearing keeps the storage (a Set
 * reallocates its table on clear() and rehashes while it refills, once per scan on the data path).
 */
export class EventFlags {
  /** marks[relid] === 1 while the flag is set. */
  private marks: number[] = [];
  private list: number[] = [];
  /** Flags set. */
  size = 0;

  /** Sets a flag; false if it was set already. */
  add(relid: number): boolean {
    if (this.marks[relid] === 1) return false;
    this.marks[relid] = 1;
    this.list[this.size++] = relid;
    return true;
  }

  /**
   * The set flags in ascending order (what for_each_set_bit visits), and clears them all. More
   * than one come as a Float64Array: it sorts numerically without a comparator and holds any u32;
   * iteration and join(',') read as a number[] would.
   */
  takeSorted(): number[] | Float64Array {
    const n = this.size;
    const list = this.list;
    let bits: number[] | Float64Array;
    if (n === 1) {
      bits = [list[0]];
    } else {
      bits = new Float64Array(n);
      for (let i = 0; i < n; i++) bits[i] = list[i];
      bits.sort();
    }
    for (let i = 0; i < n; i++) this.marks[list[i]] = 0;
    this.size = 0;
    return bits;
  }
}

export interface SynicState {
  owner: SynicId;
  vp: number;
  scontrol: number;
  simp: number;
  siefp: number;
  sint2: number;
  regPath: Record<string, AccessPath | null>;
  eomCount: number;
  slot: SlotItem | null;
  pending: boolean;
  queue: SlotItem[];
  /** Channel event flags set in this SynIC's SIEF page (relids). */
  flags: EventFlags;
}

export function newSynic(owner: SynicId, vp: number): SynicState {
  return {
    owner, vp, scontrol: 0, simp: 0, siefp: 0, sint2: SINT_MASKED,
    regPath: { SCONTROL: null, SIMP: null, SIEFP: null, SINT2: null, EOM: null },
    eomCount: 0, slot: null, pending: false, queue: [], flags: new EventFlags(),
  };
}

/** The decoded fields of a register value (TLFS layouts), for the register view. */
export function regFields(reg: string, v: number): Record<string, number | boolean | string> {
  switch (reg) {
    case 'SIMP': case 'SIEFP':
      return { enabled: (v % 2) === 1, base_gpa: hexNum(Math.floor(v / 4096) * 4096) };
    case 'SCONTROL':
      return { enable: (v & 1) === 1 };
    case 'SINT2':
      return { vector: v & 0xff, masked: (v & SINT_MASKED) !== 0, auto_eoi: (v & SINT_AUTO_EOI) !== 0, polling: (v & 0x40000) !== 0, proxy: (v & SINT_PROXY) !== 0 };
    default:
      return {};
  }
}
