// SynIC structures as the Linux guest and the TLFS define them: hv_message slots, the message
// page and event flags page, register value codecs, MSR numbers, hypercall inputs, HV_STATUS.
// Register values are bigint (they are 64-bit); inputs may also be numbers.
import { fail, type ProtocolError } from './errors';
import { decodeMessage, encodeMessage, type DecodeOptions } from './codec';
import { parseHex } from './hex';
import { toHex } from './hex';

export const HV_MESSAGE_SIZE = 256;
export const HV_MESSAGE_HEADER_SIZE = 16;
export const HV_MESSAGE_PAYLOAD_BYTE_COUNT = 240;
export const HV_MESSAGE_PAYLOAD_QWORD_COUNT = 30;
export const HV_SYNIC_SINT_COUNT = 16;
export const HV_SYNIC_STIMER_COUNT = 4;
export const HV_SYNIC_FIRST_VALID_VECTOR = 16;
export const HV_SYNIC_VERSION_1 = 0x1;
export const HV_PAGE_SIZE = 4096;
/** Bits per SINT in the event flags page. */
export const HV_EVENT_FLAGS_COUNT = 2048;
export const HV_EVENT_FLAGS_BYTE_COUNT = 256;
/** x86 HYPERVISOR_CALLBACK_VECTOR, the vector Linux programs into SINT2. */
export const HYPERVISOR_CALLBACK_VECTOR = 0xf3;
/** The SynIC message_type VMBus uses for channel messages (Linux posts with 1; OpenVMM VMBUS_MESSAGE_TYPE = 1). */
export const VMBUS_MESSAGE_TYPE = 1;

/** enum hv_message_type (Linux hvgdk_mini.h). */
export const HvMessageType = {
  HVMSG_NONE: 0x00000000,
  HVMSG_UNMAPPED_GPA: 0x80000000,
  HVMSG_GPA_INTERCEPT: 0x80000001,
  HVMSG_TIMER_EXPIRED: 0x80000010,
  HVMSG_INVALID_VP_REGISTER_VALUE: 0x80000020,
  HVMSG_UNRECOVERABLE_EXCEPTION: 0x80000021,
  HVMSG_UNSUPPORTED_FEATURE: 0x80000022,
  HVMSG_OPAQUE_INTERCEPT: 0x8000003f,
  HVMSG_EVENTLOG_BUFFERCOMPLETE: 0x80000040,
  HVMSG_HYPERCALL_INTERCEPT: 0x80000050,
  HVMSG_SYNIC_EVENT_INTERCEPT: 0x80000060,
  HVMSG_SYNIC_SINT_INTERCEPT: 0x80000061,
  HVMSG_SYNIC_SINT_DELIVERABLE: 0x80000062,
  HVMSG_ASYNC_CALL_COMPLETION: 0x80000070,
  HVMSG_SCHEDULER_VP_SIGNAL_BITSET: 0x80000100,
  HVMSG_SCHEDULER_VP_SIGNAL_PAIR: 0x80000101,
  HVMSG_X64_IO_PORT_INTERCEPT: 0x80010000,
  HVMSG_X64_MSR_INTERCEPT: 0x80010001,
  HVMSG_X64_CPUID_INTERCEPT: 0x80010002,
  HVMSG_X64_EXCEPTION_INTERCEPT: 0x80010003,
  HVMSG_X64_APIC_EOI: 0x80010004,
  HVMSG_X64_LEGACY_FP_ERROR: 0x80010005,
  HVMSG_X64_IOMMU_PRQ: 0x80010006,
  HVMSG_X64_HALT: 0x80010007,
  HVMSG_X64_INTERRUPTION_DELIVERABLE: 0x80010008,
  HVMSG_X64_SIPI_INTERCEPT: 0x80010009,
} as const;
const HVMSG_NAMES = new Map<number, string>(Object.entries(HvMessageType).map(([k, v]) => [v, k]));
export function hvMessageTypeName(n: number): string | undefined {
  return HVMSG_NAMES.get(n >>> 0);
}

// ------------------------------------------------------------------ MSRs and hypercalls

export const Msr = {
  HV_X64_MSR_SCONTROL: 0x40000080,
  HV_X64_MSR_SVERSION: 0x40000081,
  HV_X64_MSR_SIEFP: 0x40000082,
  HV_X64_MSR_SIMP: 0x40000083,
  HV_X64_MSR_EOM: 0x40000084,
  HV_X64_MSR_SIRBP: 0x40000085,
  HV_X64_MSR_SINT0: 0x40000090,
  HV_X64_MSR_SINT1: 0x40000091,
  HV_X64_MSR_SINT2: 0x40000092,
  HV_X64_MSR_SINT3: 0x40000093,
  HV_X64_MSR_SINT4: 0x40000094,
  HV_X64_MSR_SINT5: 0x40000095,
  HV_X64_MSR_SINT6: 0x40000096,
  HV_X64_MSR_SINT7: 0x40000097,
  HV_X64_MSR_SINT8: 0x40000098,
  HV_X64_MSR_SINT9: 0x40000099,
  HV_X64_MSR_SINT10: 0x4000009a,
  HV_X64_MSR_SINT11: 0x4000009b,
  HV_X64_MSR_SINT12: 0x4000009c,
  HV_X64_MSR_SINT13: 0x4000009d,
  HV_X64_MSR_SINT14: 0x4000009e,
  HV_X64_MSR_SINT15: 0x4000009f,
  HV_X64_MSR_STIMER0_CONFIG: 0x400000b0,
  HV_X64_MSR_STIMER0_COUNT: 0x400000b1,
  HV_X64_MSR_STIMER1_CONFIG: 0x400000b2,
  HV_X64_MSR_STIMER1_COUNT: 0x400000b3,
  HV_X64_MSR_STIMER2_CONFIG: 0x400000b4,
  HV_X64_MSR_STIMER2_COUNT: 0x400000b5,
  HV_X64_MSR_STIMER3_CONFIG: 0x400000b6,
  HV_X64_MSR_STIMER3_COUNT: 0x400000b7,
} as const;
const MSR_NAMES = new Map<number, string>(Object.entries(Msr).map(([k, v]) => [v, k]));
export function msrName(n: number): string | undefined {
  return MSR_NAMES.get(n >>> 0);
}
export function sintMsr(sint: number): number {
  return Msr.HV_X64_MSR_SINT0 + sint;
}
/** Linux hv_is_synic_msr: SCONTROL..SINT15. */
export function isSynicMsr(reg: number): boolean {
  return reg >= Msr.HV_X64_MSR_SCONTROL && reg <= Msr.HV_X64_MSR_SINT15;
}
export function isSintMsr(reg: number): boolean {
  return reg >= Msr.HV_X64_MSR_SINT0 && reg <= Msr.HV_X64_MSR_SINT15;
}

/** arm64 / hypercall-interface register names. */
export const HvRegister = {
  HV_REGISTER_SINT0: 0x000a0000,
  HV_REGISTER_SCONTROL: 0x000a0010,
  HV_REGISTER_SVERSION: 0x000a0011,
  HV_REGISTER_SIEFP: 0x000a0012,
  HV_REGISTER_SIMP: 0x000a0013,
  HV_REGISTER_EOM: 0x000a0014,
  HV_REGISTER_SIRBP: 0x000a0015,
} as const;

export const HVCALL_POST_MESSAGE = 0x005c;
export const HVCALL_SIGNAL_EVENT = 0x005d;
export const HVCALL_SIGNAL_EVENT_DIRECT = 0x00c0;
export const HVCALL_POST_MESSAGE_DIRECT = 0x00c1;
export const Hypercall = {
  HVCALL_POST_MESSAGE,
  HVCALL_SIGNAL_EVENT,
  HVCALL_SIGNAL_EVENT_DIRECT,
  HVCALL_POST_MESSAGE_DIRECT,
} as const;
export const HV_HYPERCALL_FAST_BIT = 1 << 16;
export const HV_HYPERCALL_NESTED = 0x80000000;

/** HV_STATUS_* codes. */
export const HvStatus = {
  HV_STATUS_SUCCESS: 0x0,
  HV_STATUS_INVALID_HYPERCALL_CODE: 0x2,
  HV_STATUS_INVALID_HYPERCALL_INPUT: 0x3,
  HV_STATUS_INVALID_ALIGNMENT: 0x4,
  HV_STATUS_INVALID_PARAMETER: 0x5,
  HV_STATUS_ACCESS_DENIED: 0x6,
  HV_STATUS_INVALID_PARTITION_STATE: 0x7,
  HV_STATUS_OPERATION_DENIED: 0x8,
  HV_STATUS_INSUFFICIENT_MEMORY: 0xb,
  HV_STATUS_INVALID_VP_INDEX: 0xe,
  HV_STATUS_NOT_FOUND: 0x10,
  HV_STATUS_INVALID_PORT_ID: 0x11,
  HV_STATUS_INVALID_CONNECTION_ID: 0x12,
  HV_STATUS_INSUFFICIENT_BUFFERS: 0x13,
  HV_STATUS_NOT_ACKNOWLEDGED: 0x14,
  HV_STATUS_INVALID_VP_STATE: 0x15,
  HV_STATUS_INVALID_SYNIC_STATE: 0x18,
  HV_STATUS_OBJECT_IN_USE: 0x19,
  HV_STATUS_NO_RESOURCES: 0x1d,
  HV_STATUS_TIMEOUT: 0x78,
} as const;
const STATUS_NAMES = new Map<number, string>(Object.entries(HvStatus).map(([k, v]) => [v, k]));
/** "HV_STATUS_INVALID_CONNECTION_ID" for 0x12; "HV_STATUS_0x.." for an unknown code. */
export function hvStatusName(n: number): string {
  return STATUS_NAMES.get(n) ?? `HV_STATUS_0x${(n >>> 0).toString(16)}`;
}

// ------------------------------------------------------------------ register codecs

type U64In = bigint | number;
const big = (v: U64In): bigint => BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(v));
const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
const PAGE_MASK = ~0xfffn & 0xffffffffffffffffn;

export interface Scontrol { enable: boolean; reserved: bigint }
export function decodeScontrol(v: U64In): Scontrol {
  const x = big(v);
  return { enable: bit(x, 0), reserved: x >> 1n };
}
export function encodeScontrol(s: Partial<Scontrol>): bigint {
  return big((s.enable ? 1n : 0n) | ((s.reserved ?? 0n) << 1n));
}

/** SIMP / SIEFP / SIRBP: enabled bit 0, preserved bits 1-11, base page GPA in bits 12-63. */
export interface SynicPageReg { enabled: boolean; preserved: number; base_gpa: bigint }
function decodePageReg(v: U64In): SynicPageReg {
  const x = big(v);
  return { enabled: bit(x, 0), preserved: Number((x >> 1n) & 0x7ffn), base_gpa: x & PAGE_MASK };
}
function encodePageReg(s: Partial<SynicPageReg>): bigint {
  const gpa = big(s.base_gpa ?? 0n);
  return big((gpa & PAGE_MASK) | (BigInt((s.preserved ?? 0) & 0x7ff) << 1n) | (s.enabled ? 1n : 0n));
}
export const decodeSimp = decodePageReg;
export const encodeSimp = encodePageReg;
export const decodeSiefp = decodePageReg;
export const encodeSiefp = encodePageReg;
export const decodeSirbp = decodePageReg;
export const encodeSirbp = encodePageReg;

/** union hv_synic_sint. */
export interface Sint {
  vector: number;
  masked: boolean;
  auto_eoi: boolean;
  polling: boolean;
  as_intercept: boolean;
  proxy: boolean;
  /** bits 8-15 */
  reserved1: number;
  /** bits 21-63 */
  reserved2: bigint;
}
export const HV_SYNIC_SINT_MASKED = 1 << 16;
export const HV_SYNIC_SINT_AUTO_EOI = 1 << 17;
export const HV_SYNIC_SINT_POLLING = 1 << 18;
export const HV_SYNIC_SINT_AS_INTERCEPT = 1 << 19;
export const HV_SYNIC_SINT_PROXY = 1 << 20;
export const HV_SYNIC_SINT_VECTOR_MASK = 0xff;

export function decodeSint(v: U64In): Sint {
  const x = big(v);
  return {
    vector: Number(x & 0xffn),
    masked: bit(x, 16),
    auto_eoi: bit(x, 17),
    polling: bit(x, 18),
    as_intercept: bit(x, 19),
    proxy: bit(x, 20),
    reserved1: Number((x >> 8n) & 0xffn),
    reserved2: x >> 21n,
  };
}
export function encodeSint(s: Partial<Sint>): bigint {
  let x = BigInt((s.vector ?? 0) & 0xff) | (BigInt((s.reserved1 ?? 0) & 0xff) << 8n);
  if (s.masked) x |= 1n << 16n;
  if (s.auto_eoi) x |= 1n << 17n;
  if (s.polling) x |= 1n << 18n;
  if (s.as_intercept) x |= 1n << 19n;
  if (s.proxy) x |= 1n << 20n;
  x |= big(s.reserved2 ?? 0n) << 21n;
  return big(x);
}
/** Reset value of every SINT: masked. */
export const SINT_RESET_VALUE = BigInt(HV_SYNIC_SINT_MASKED);

/** EOM is write-only; the guest writes 0. */
export function encodeEom(): bigint {
  return 0n;
}
export function decodeEom(_v: U64In): Record<string, never> {
  return {};
}

/** Generic: name -> value of the fields of a SynIC register, for the variables view. */
export function decodeSynicRegister(msr: number, v: U64In): Record<string, number | boolean | string> {
  const hex = (x: bigint) => '0x' + x.toString(16);
  if (msr === Msr.HV_X64_MSR_SCONTROL) { const d = decodeScontrol(v); return { enable: d.enable }; }
  if (msr === Msr.HV_X64_MSR_SIMP || msr === Msr.HV_X64_MSR_SIEFP || msr === Msr.HV_X64_MSR_SIRBP) {
    const d = decodePageReg(v);
    return { enabled: d.enabled, base_gpa: hex(d.base_gpa) };
  }
  if (isSintMsr(msr)) {
    const d = decodeSint(v);
    return { vector: d.vector, masked: d.masked, auto_eoi: d.auto_eoi, polling: d.polling, as_intercept: d.as_intercept, proxy: d.proxy };
  }
  if (msr === Msr.HV_X64_MSR_SVERSION) return { version: Number(big(v) & 0xffffffffn) };
  return {};
}

// ------------------------------------------------------------------ hv_message (256-byte slot)

export interface HvMessage {
  message_type: number;
  payload_size: number;
  msg_pending: boolean;
  /** message_flags bits 1-7 */
  message_flags_reserved?: number;
  /** header reserved[2] at offset 6 */
  reserved?: number;
  /** port id (u32 at offset 8; Linux union { u64 sender; hv_port_id port }) */
  port: number;
  /** upper half of the sender u64 at offset 12 */
  sender_high?: number;
  /** the 240 payload bytes */
  payload: Uint8Array;
}

const rd32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const wr32 = (b: Uint8Array, o: number, v: number) => { b[o] = v & 0xff; b[o + 1] = (v >>> 8) & 0xff; b[o + 2] = (v >>> 16) & 0xff; b[o + 3] = (v >>> 24) & 0xff; };
const wr16 = (b: Uint8Array, o: number, v: number) => { b[o] = v & 0xff; b[o + 1] = (v >>> 8) & 0xff; };

export interface HvMessageInput {
  message_type: number;
  payload_size?: number;
  msg_pending?: boolean;
  message_flags_reserved?: number;
  reserved?: number;
  /** port id; `connection_id` is accepted as an alias */
  port?: number;
  connection_id?: number;
  sender_high?: number;
  payload?: Uint8Array;
}

/** Builds a 256-byte hv_message slot. payload_size defaults to the payload length (at most 240). */
export function encodeHvMessage(m: HvMessageInput): Uint8Array {
  const out = new Uint8Array(HV_MESSAGE_SIZE);
  const payload = m.payload ?? new Uint8Array(0);
  if (payload.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT) throw new RangeError(`hv_message payload is ${payload.length} bytes; at most 240`);
  wr32(out, 0, m.message_type >>> 0);
  out[4] = (m.payload_size ?? payload.length) & 0xff;
  out[5] = (m.msg_pending ? 1 : 0) | (((m.message_flags_reserved ?? 0) & 0x7f) << 1);
  wr16(out, 6, m.reserved ?? 0);
  wr32(out, 8, (m.port ?? m.connection_id ?? 0) >>> 0);
  wr32(out, 12, (m.sender_high ?? 0) >>> 0);
  out.set(payload, HV_MESSAGE_HEADER_SIZE);
  return out;
}

/** Reads a 256-byte hv_message slot (at `offset` in a message page, if given). */
export function decodeHvMessage(bytes: Uint8Array, offset = 0): { ok: true; value: HvMessage; warnings: string[] } | { ok: false; error: ProtocolError } {
  if (bytes.length - offset < HV_MESSAGE_SIZE) {
    return fail('bad-length', `an hv_message slot is ${HV_MESSAGE_SIZE} bytes, got ${bytes.length - offset}`, { offset: bytes.length - offset });
  }
  const b = bytes.subarray(offset, offset + HV_MESSAGE_SIZE);
  const warnings: string[] = [];
  const value: HvMessage = {
    message_type: rd32(b, 0),
    payload_size: b[4],
    msg_pending: (b[5] & 1) === 1,
    port: rd32(b, 8),
    payload: b.slice(HV_MESSAGE_HEADER_SIZE, HV_MESSAGE_SIZE),
  };
  if (b[5] >> 1) { value.message_flags_reserved = b[5] >> 1; warnings.push(`message_flags reserved bits are 0x${(b[5] >> 1).toString(16)}`); }
  const r = b[6] | (b[7] << 8);
  if (r) { value.reserved = r; warnings.push(`header reserved bytes at offset 6 are 0x${r.toString(16)}`); }
  const sh = rd32(b, 12);
  if (sh) value.sender_high = sh;
  return { ok: true, value, warnings };
}

function trimmedHex(b: Uint8Array, start: number): string {
  let e = b.length;
  while (e > start && b[e - 1] === 0) e--;
  return e > start ? toHex(b, start, e) : '';
}

/** JSON form of a whole slot: the header, then the channel message (or timer payload) decoded. */
export function decodeSlot(bytes: Uint8Array, opts?: DecodeOptions): { ok: true; value: Record<string, unknown>; warnings: string[] } | { ok: false; error: ProtocolError } {
  const h = decodeHvMessage(bytes);
  if (!h.ok) return h;
  const m = h.value;
  const value: Record<string, unknown> = { message_type: m.message_type };
  const tn = hvMessageTypeName(m.message_type);
  if (tn) value.message_type_name = tn;
  value.payload_size = m.payload_size;
  value.msg_pending = m.msg_pending ? 1 : 0;
  if (m.message_flags_reserved !== undefined) value.message_flags_reserved = m.message_flags_reserved;
  if (m.reserved !== undefined) value.reserved = m.reserved;
  value.port = m.port;
  if (m.sender_high !== undefined) value.sender_high = m.sender_high;
  const warnings = [...h.warnings];
  if (m.message_type === HvMessageType.HVMSG_NONE) {
    warnings.push('empty slot (HVMSG_NONE): a Linux guest ignores it');
    value.message = null;
    const rest = trimmedHex(m.payload, 0);
    if (rest) value.payload = rest;
  } else if (m.message_type === HvMessageType.HVMSG_TIMER_EXPIRED) {
    const p = m.payload;
    const lo = (o: number) => rd32(p, o), u64 = (o: number) => '0x' + ((BigInt(lo(o + 4)) << 32n) | BigInt(lo(o))).toString(16);
    value.timer = { timer_index: lo(0), expiration_time: u64(8), delivery_time: u64(16) };
    const rest = trimmedHex(m.payload, 0);
    if (rest) value.payload = rest;
  } else {
    // Linux vmbus_on_msg_dpc: payload_size > 240 is rejected before the message is looked at.
    if (m.payload_size > HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
      const t = rd32(m.payload, 0);
      return fail('too-large', `payload size is too large (${m.payload_size})`, { offset: 4, field: 'payload_size', msgtype: t });
    }
    const r = decodeMessage(m.payload.subarray(0, m.payload_size), opts);
    if (!r.ok) {
      // error offsets are relative to the slot
      const e = { ...r.error };
      if (e.offset !== undefined) e.offset += HV_MESSAGE_HEADER_SIZE;
      return { ok: false, error: e };
    }
    value.message = r.value;
    warnings.push(...r.warnings);
    // bytes beyond payload_size are not part of the message; report if not zero
    const tail = trimmedHex(m.payload, m.payload_size);
    if (tail) {
      value.payload_tail = tail;
      warnings.push(`payload bytes beyond payload_size (${m.payload_size}) are not zero`);
    }
  }
  return { ok: true, value, warnings };
}

/**
 * Inverse of decodeSlot: {message_type, payload_size?, msg_pending, port, message | timer | payload(hex)}
 * → 256 bytes. payload_size defaults to the encoded message length.
 */
export function encodeSlot(json: Record<string, unknown>): { ok: true; bytes: Uint8Array } | { ok: false; error: ProtocolError } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('bad-json', 'a slot must be a JSON object');
  const known = new Set(['message_type', 'message_type_name', 'payload_size', 'msg_pending', 'message_flags_reserved', 'reserved', 'port', 'connection_id', 'sender_high', 'message', 'timer', 'payload', 'payload_tail']);
  for (const k of Object.keys(json)) if (!known.has(k)) return fail('bad-field', `unknown slot field '${k}'`, { field: k });
  const int = (k: string, max: number, dflt: number): number | ProtocolError => {
    const v = json[k];
    if (v === undefined) return dflt;
    const n = typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) return { code: 'bad-field', message: `slot field '${k}' must be an integer 0..${max}`, field: k };
    return n;
  };
  const vals: Record<string, number> = {};
  for (const [k, max, d] of [['message_type', 0xffffffff, VMBUS_MESSAGE_TYPE], ['msg_pending', 1, 0], ['message_flags_reserved', 0x7f, 0], ['reserved', 0xffff, 0], ['port', 0xffffffff, 0], ['connection_id', 0xffffffff, 0], ['sender_high', 0xffffffff, 0]] as const) {
    const r = int(k, max, d);
    if (typeof r !== 'number') return { ok: false, error: r };
    vals[k] = r;
  }
  let payload: Uint8Array = new Uint8Array(0);
  if (json.message !== undefined && json.message !== null) {
    const r = encodeMessage(json.message as Record<string, unknown>);
    if (!r.ok) return r;
    payload = r.bytes;
    if (typeof json.payload_tail === 'string' && json.payload_tail.trim() !== '') {
      const t = parseHex(json.payload_tail);
      if (!t.ok) return t;
      const both = new Uint8Array(payload.length + t.bytes.length);
      both.set(payload); both.set(t.bytes, payload.length);
      const ps0 = json.payload_size === undefined ? payload.length : Number(json.payload_size);
      const r2 = encodeSlotRaw(json, both, vals, ps0);
      return r2;
    }
  } else if (typeof json.payload === 'string' && json.payload.trim() !== '') {
    const r = parseHex(json.payload);
    if (!r.ok) return r;
    payload = r.bytes;
  } else if (json.timer !== undefined) {
    const t = json.timer as Record<string, unknown>;
    payload = new Uint8Array(24);
    wr32(payload, 0, Number(t.timer_index ?? 0) >>> 0);
    const w64 = (o: number, v: unknown) => { const x = BigInt.asUintN(64, BigInt(String(v ?? 0))); wr32(payload, o, Number(x & 0xffffffffn)); wr32(payload, o + 4, Number(x >> 32n)); };
    try { w64(8, t.expiration_time); w64(16, t.delivery_time); } catch { return fail('bad-field', 'timer times must be u64 hex strings', { field: 'timer' }); }
  }
  if (payload.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT) return fail('too-large', `slot payload is ${payload.length} bytes; at most 240`, { offset: 16 + HV_MESSAGE_PAYLOAD_BYTE_COUNT });
  const ps = int('payload_size', 0xff, payload.length);
  if (typeof ps !== 'number') return { ok: false, error: ps };
  return encodeSlotRaw(json, payload, vals, ps);
}

function encodeSlotRaw(json: Record<string, unknown>, payload: Uint8Array, vals: Record<string, number>, ps: number): { ok: true; bytes: Uint8Array } | { ok: false; error: ProtocolError } {
  if (payload.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT) return fail('too-large', `slot payload is ${payload.length} bytes; at most 240`, { offset: 16 + HV_MESSAGE_PAYLOAD_BYTE_COUNT });
  if (!Number.isInteger(ps) || ps < 0 || ps > 0xff) return fail('bad-field', `slot field 'payload_size' must be an integer 0..255`, { field: 'payload_size' });
  return {
    ok: true,
    bytes: encodeHvMessage({
      message_type: vals.message_type, payload_size: ps, msg_pending: vals.msg_pending === 1, message_flags_reserved: vals.message_flags_reserved,
      reserved: vals.reserved, port: json.port !== undefined ? vals.port : vals.connection_id, sender_high: vals.sender_high, payload,
    }),
  };
}

// ------------------------------------------------------------------ message page and event flags page

export function messageSlotOffset(sint: number): number {
  return sint * HV_MESSAGE_SIZE;
}
/** A view (no copy) of the slot for `sint` in a 4096-byte message page. */
export function messageSlot(page: Uint8Array, sint: number): Uint8Array {
  const o = messageSlotOffset(sint);
  return page.subarray(o, o + HV_MESSAGE_SIZE);
}
export function writeMessageSlot(page: Uint8Array, sint: number, slot: Uint8Array): void {
  page.set(slot.subarray(0, HV_MESSAGE_SIZE), messageSlotOffset(sint));
}
export function slotMessageType(page: Uint8Array, sint: number): number {
  return rd32(page, messageSlotOffset(sint));
}
/** The slot is free iff its message_type is HVMSG_NONE. */
export function slotIsEmpty(page: Uint8Array, sint: number): boolean {
  return slotMessageType(page, sint) === HvMessageType.HVMSG_NONE;
}
/** Sets message_type to HVMSG_NONE (what the guest does after copying the message out). */
export function clearSlot(page: Uint8Array, sint: number): void {
  wr32(page, messageSlotOffset(sint), 0);
}
export function slotMsgPending(page: Uint8Array, sint: number): boolean {
  return (page[messageSlotOffset(sint) + 5] & 1) === 1;
}
export function setSlotMsgPending(page: Uint8Array, sint: number, pending: boolean): void {
  const o = messageSlotOffset(sint) + 5;
  page[o] = pending ? page[o] | 1 : page[o] & ~1;
}

export function newPage(): Uint8Array {
  return new Uint8Array(HV_PAGE_SIZE);
}

function flagPos(sint: number, flag: number): [number, number] {
  if (!(flag >= 0 && flag < HV_EVENT_FLAGS_COUNT) || !(sint >= 0 && sint < HV_SYNIC_SINT_COUNT)) throw new RangeError(`event flag ${flag} of SINT${sint} is out of range`);
  return [sint * HV_EVENT_FLAGS_BYTE_COUNT + (flag >> 3), 1 << (flag & 7)];
}
export function eventFlagTest(page: Uint8Array, sint: number, flag: number): boolean {
  const [o, m] = flagPos(sint, flag);
  return (page[o] & m) !== 0;
}
/** Sets the flag; returns true if it was clear before (the hypervisor then interrupts). */
export function eventFlagSet(page: Uint8Array, sint: number, flag: number): boolean {
  const [o, m] = flagPos(sint, flag);
  const was = (page[o] & m) !== 0;
  page[o] |= m;
  return !was;
}
/** Clears the flag (Linux sync_test_and_clear_bit); returns whether it was set. */
export function eventFlagTestAndClear(page: Uint8Array, sint: number, flag: number): boolean {
  const [o, m] = flagPos(sint, flag);
  const was = (page[o] & m) !== 0;
  page[o] &= ~m;
  return was;
}
/** The set flags of one SINT in ascending order. */
export function eventFlagsSet(page: Uint8Array, sint: number): number[] {
  const out: number[] = [];
  const base = sint * HV_EVENT_FLAGS_BYTE_COUNT;
  for (let i = 0; i < HV_EVENT_FLAGS_BYTE_COUNT; i++) {
    const v = page[base + i];
    if (v) for (let k = 0; k < 8; k++) if (v & (1 << k)) out.push(i * 8 + k);
  }
  return out;
}

// ------------------------------------------------------------------ hypercall inputs

export interface HvInputPostMessage {
  connectionid: number;
  reserved?: number;
  message_type: number;
  payload_size: number;
  payload: Uint8Array;
}
export const HV_INPUT_POST_MESSAGE_SIZE = 256;

export function encodeHvInputPostMessage(m: { connectionid: number; reserved?: number; message_type?: number; payload_size?: number; payload: Uint8Array }): Uint8Array {
  if (m.payload.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT) throw new RangeError(`hv_input_post_message payload is ${m.payload.length} bytes; at most 240`);
  const out = new Uint8Array(HV_INPUT_POST_MESSAGE_SIZE);
  wr32(out, 0, m.connectionid >>> 0);
  wr32(out, 4, (m.reserved ?? 0) >>> 0);
  wr32(out, 8, (m.message_type ?? VMBUS_MESSAGE_TYPE) >>> 0);
  wr32(out, 12, (m.payload_size ?? m.payload.length) >>> 0);
  out.set(m.payload, 16);
  return out;
}

/** Decodes the 256-byte input page. payload is trimmed to payload_size; payload_size > 240 is an error (HV_STATUS_INVALID_PARAMETER). */
export function decodeHvInputPostMessage(bytes: Uint8Array): { ok: true; value: HvInputPostMessage } | { ok: false; error: ProtocolError } {
  if (bytes.length < 16) return fail('too-short', `hv_input_post_message needs 16 header bytes, got ${bytes.length}`, { offset: bytes.length });
  const size = rd32(bytes, 12);
  if (size > HV_MESSAGE_PAYLOAD_BYTE_COUNT) return fail('too-large', `payload_size ${size} > 240 (HV_STATUS_INVALID_PARAMETER)`, { offset: 12, field: 'payload_size' });
  if (bytes.length < 16 + size) return fail('too-short', `payload_size ${size} but only ${bytes.length - 16} payload bytes`, { offset: bytes.length, field: 'payload' });
  const value: HvInputPostMessage = { connectionid: rd32(bytes, 0), message_type: rd32(bytes, 8), payload_size: size, payload: bytes.slice(16, 16 + size) };
  const r = rd32(bytes, 4);
  if (r) value.reserved = r;
  return { ok: true, value };
}

export interface HvInputSignalEvent { connectionid: number; flag_number: number; rsvdz?: number }
/** 8 bytes: connectionid u32, flag_number u16, rsvdz u16. */
export function encodeHvInputSignalEvent(s: HvInputSignalEvent): Uint8Array {
  const out = new Uint8Array(8);
  wr32(out, 0, s.connectionid >>> 0);
  wr16(out, 4, s.flag_number);
  wr16(out, 6, s.rsvdz ?? 0);
  return out;
}
export function decodeHvInputSignalEvent(bytes: Uint8Array): { ok: true; value: HvInputSignalEvent } | { ok: false; error: ProtocolError } {
  if (bytes.length < 8) return fail('too-short', `hv_input_signal_event is 8 bytes, got ${bytes.length}`, { offset: bytes.length });
  const value: HvInputSignalEvent = { connectionid: rd32(bytes, 0), flag_number: bytes[4] | (bytes[5] << 8) };
  const r = bytes[6] | (bytes[7] << 8);
  if (r) value.rsvdz = r;
  return { ok: true, value };
}
/** The fast-hypercall register form Linux uses: hv_do_fast_hypercall8(HVCALL_SIGNAL_EVENT, sig_event). */
export function signalEventFastInput(s: HvInputSignalEvent): bigint {
  return (BigInt(s.rsvdz ?? 0) << 48n) | (BigInt(s.flag_number & 0xffff) << 32n) | BigInt(s.connectionid >>> 0);
}

/** Hypercall control word: code bits 0-15, fast bit 16, var-header 17-26, nested 31, rep count 32-43, rep start 48-59. */
export interface HypercallControl { code: number; fast: boolean; varHeaderSize: number; nested: boolean; repCount: number; repStart: number }
export function encodeHypercallControl(c: Partial<HypercallControl> & { code: number }): bigint {
  return (BigInt(c.code & 0xffff) | (c.fast ? 1n << 16n : 0n) | (BigInt((c.varHeaderSize ?? 0) & 0x3ff) << 17n) | (c.nested ? 1n << 31n : 0n)
    | (BigInt((c.repCount ?? 0) & 0xfff) << 32n) | (BigInt((c.repStart ?? 0) & 0xfff) << 48n));
}
export function decodeHypercallControl(v: U64In): HypercallControl {
  const x = big(v);
  return {
    code: Number(x & 0xffffn), fast: bit(x, 16), varHeaderSize: Number((x >> 17n) & 0x3ffn), nested: bit(x, 31),
    repCount: Number((x >> 32n) & 0xfffn), repStart: Number((x >> 48n) & 0xfffn),
  };
}

/** Payload bytes of a slot as hex (for display). */
export function slotPayloadHex(m: HvMessage): string {
  return toHex(m.payload, 0, Math.min(m.payload_size, HV_MESSAGE_PAYLOAD_BYTE_COUNT));
}
