// VMBus ring buffer: the control page (struct hv_ring_buffer header), packet descriptors
// (struct vmpacket_descriptor) and the index arithmetic.
import { fail, type ProtocolError } from './errors';

export const RING_CONTROL_PAGE_SIZE = 4096;
/** Byte offsets in the control page. */
export const RingControlOffset = {
  write_index: 0,
  read_index: 4,
  interrupt_mask: 8,
  pending_send_sz: 12,
  feature_bits: 64,
} as const;
/** feature_bits bit 0: feat_pending_send_sz (OpenVMM FEATURE_SUPPORTS_PENDING_SEND_SIZE). */
export const RING_FEATURE_PENDING_SEND_SZ = 0x1;

export interface RingControl {
  write_index: number;
  read_index: number;
  interrupt_mask: number;
  pending_send_sz: number;
  feature_bits: number;
}

const rd32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const wr32 = (b: Uint8Array, o: number, v: number) => { b[o] = v & 0xff; b[o + 1] = (v >>> 8) & 0xff; b[o + 2] = (v >>> 16) & 0xff; b[o + 3] = (v >>> 24) & 0xff; };

export function decodeRingControl(page: Uint8Array, offset = 0): { ok: true; value: RingControl } | { ok: false; error: ProtocolError } {
  if (page.length - offset < 68) return fail('too-short', `a ring control page needs at least 68 bytes, got ${page.length - offset}`, { offset: page.length - offset });
  return {
    ok: true,
    value: {
      write_index: rd32(page, offset + 0),
      read_index: rd32(page, offset + 4),
      interrupt_mask: rd32(page, offset + 8),
      pending_send_sz: rd32(page, offset + 12),
      feature_bits: rd32(page, offset + 64),
    },
  };
}
/** Writes the fields into `page` (a fresh 4096-byte page if not given). */
export function encodeRingControl(c: Partial<RingControl>, page: Uint8Array = new Uint8Array(RING_CONTROL_PAGE_SIZE), offset = 0): Uint8Array {
  wr32(page, offset + 0, c.write_index ?? 0);
  wr32(page, offset + 4, c.read_index ?? 0);
  wr32(page, offset + 8, c.interrupt_mask ?? 0);
  wr32(page, offset + 12, c.pending_send_sz ?? 0);
  wr32(page, offset + 64, c.feature_bits ?? 0);
  return page;
}

/** enum vmbus_packet_type. */
export const PacketType = {
  VM_PKT_INVALID: 0x0,
  VM_PKT_SYNCH: 0x1,
  VM_PKT_ADD_XFER_PAGESET: 0x2,
  VM_PKT_RM_XFER_PAGESET: 0x3,
  VM_PKT_ESTABLISH_GPADL: 0x4,
  VM_PKT_TEARDOWN_GPADL: 0x5,
  VM_PKT_DATA_INBAND: 0x6,
  VM_PKT_DATA_USING_XFER_PAGES: 0x7,
  VM_PKT_DATA_USING_GPADL: 0x8,
  VM_PKT_DATA_USING_GPA_DIRECT: 0x9,
  VM_PKT_CANCEL_REQUEST: 0xa,
  VM_PKT_COMP: 0xb,
  VM_PKT_DATA_USING_ADDITIONAL_PKT: 0xc,
  VM_PKT_ADDITIONAL_DATA: 0xd,
} as const;
const PKT_NAMES: string[] = [];
for (const [k, v] of Object.entries(PacketType)) PKT_NAMES[v] = k;
export function packetTypeName(n: number): string | undefined {
  return PKT_NAMES[n];
}
/** The packet types OpenVMM's ring accepts (others are InvalidDescriptorType there). */
export const OPENVMM_SUPPORTED_PACKET_TYPES: readonly number[] = [0x6, 0x7, 0x9, 0xb];
export const VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED = 1;

export const PACKET_DESCRIPTOR_SIZE = 16;
export interface PacketDescriptor {
  type: number;
  /** header length in 8-byte units */
  offset8: number;
  /** total packet length (without the 8-byte trailer) in 8-byte units */
  len8: number;
  flags: number;
  trans_id: bigint;
}

export function decodePacketDescriptor(bytes: Uint8Array, offset = 0): { ok: true; value: PacketDescriptor; warnings: string[] } | { ok: false; error: ProtocolError } {
  if (bytes.length - offset < PACKET_DESCRIPTOR_SIZE) return fail('too-short', `a packet descriptor is 16 bytes, got ${bytes.length - offset}`, { offset: bytes.length - offset });
  const b = bytes, o = offset;
  const value: PacketDescriptor = {
    type: b[o] | (b[o + 1] << 8),
    offset8: b[o + 2] | (b[o + 3] << 8),
    len8: b[o + 4] | (b[o + 5] << 8),
    flags: b[o + 6] | (b[o + 7] << 8),
    trans_id: (BigInt(rd32(b, o + 12)) << 32n) | BigInt(rd32(b, o + 8)),
  };
  const warnings: string[] = [];
  if (packetTypeName(value.type) === undefined) warnings.push(`unknown packet type 0x${value.type.toString(16)}`);
  if (value.offset8 < 2 || value.len8 < value.offset8) warnings.push(`invalid lengths: offset8=${value.offset8} len8=${value.len8} (need len8 >= offset8 >= 2)`);
  if (value.flags & ~VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED) warnings.push(`unknown packet flags 0x${value.flags.toString(16)}`);
  return { ok: true, value, warnings };
}
export function encodePacketDescriptor(d: Partial<PacketDescriptor>, out: Uint8Array = new Uint8Array(PACKET_DESCRIPTOR_SIZE), offset = 0): Uint8Array {
  const o = offset;
  const w16 = (p: number, v: number) => { out[p] = v & 0xff; out[p + 1] = (v >>> 8) & 0xff; };
  w16(o, d.type ?? 0); w16(o + 2, d.offset8 ?? 2); w16(o + 4, d.len8 ?? 2); w16(o + 6, d.flags ?? 0);
  const t = BigInt.asUintN(64, d.trans_id ?? 0n);
  wr32(out, o + 8, Number(t & 0xffffffffn)); wr32(out, o + 12, Number(t >> 32n));
  return out;
}

/** Round up to a multiple of 8. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}
/** Ring bytes an in-band packet with `payloadLen` bytes uses: 16 + round8(payload) + 8-byte trailer. */
export function inbandPacketRingSize(payloadLen: number): number {
  return PACKET_DESCRIPTOR_SIZE + align8(payloadLen) + 8;
}
/** The u64 trailer written after each packet: (u64)start_write_index << 32. */
export function packetTrailer(startIndex: number): bigint {
  return BigInt(startIndex >>> 0) << 32n;
}

/**
 * Bytes a writer may still use: (read > write) ? read - write - 8 : size - (write - read) - 8.
 * The 8 bytes kept back mean a full ring is never mistaken for an empty one.
 * (Linux computes the same space without the -8 and then requires it to be strictly larger than the packet.)
 */
export function ringFreeSpace(writeIndex: number, readIndex: number, dataSize: number): number {
  return readIndex > writeIndex ? readIndex - writeIndex - 8 : dataSize - (writeIndex - readIndex) - 8;
}
/** Bytes a reader may consume: (write - read) mod size. */
export function ringBytesAvailable(writeIndex: number, readIndex: number, dataSize: number): number {
  return writeIndex >= readIndex ? writeIndex - readIndex : dataSize - (readIndex - writeIndex);
}
/** Linux hv_get_bytes_to_write (without the reserve). */
export function linuxBytesToWrite(writeIndex: number, readIndex: number, dataSize: number): number {
  return writeIndex >= readIndex ? dataSize - (writeIndex - readIndex) : readIndex - writeIndex;
}
/** OpenVMM: indices must be < size and multiples of 8. */
export function ringIndexValid(index: number, dataSize: number): boolean {
  return index >= 0 && index < dataSize && index % 8 === 0;
}
/** OpenVMM writer rule: signal the reader iff interrupt_mask == 0 and the ring was empty before the write (read == old write). */
export function writerShouldSignal(interruptMask: number, readIndex: number, oldWriteIndex: number): boolean {
  return interruptMask === 0 && readIndex === oldWriteIndex;
}
/** OpenVMM reader rule: signal the writer iff pending_send_sz (& ~7) != 0 and free space crossed it. */
export function readerShouldSignal(pendingSendSz: number, oldFree: number, newFree: number): boolean {
  const pss = pendingSendSz & ~7;
  return pss !== 0 && oldFree < pss && newFree >= pss;
}
