// Channel message layouts, written once as data. The encoder and decoder in ./codec.ts (and the
// hex/variables views) read these tables; nothing else knows an offset.
//
// Offsets are absolute byte offsets within the channel message (header included), all fields
// little-endian and packed, as in Linux include/linux/hyperv.h after the Confidential VMBus
// series. OpenVMM-only forms are marked `openVmmOnly`.
import { MessageType } from './constants';

export type FieldType = 'u8' | 'u16' | 'u32' | 'u64' | 'guid' | 'bytes' | 'u64[]' | 'gpa_range[]' | 'struct' | 'union';

/** Numeric kind codes used by the codec's hot loop. */
export const K_U8 = 1, K_U16 = 2, K_U32 = 3, K_U64 = 4, K_GUID = 5, K_BYTES = 6, K_U64ARR = 7, K_RANGES = 8, K_STRUCT = 9, K_UNION = 10;

export interface UnionSelector {
  /** A field decoded earlier in the same object. */
  field: string;
  /** 'ge': variant 1 when value >= `value`; 'mask': variant 1 when (value & `value`) != 0. */
  test: 'ge' | 'mask';
  value: number;
}

export interface UnionVariant {
  /** Linux/OpenVMM name of this view of the bytes. */
  name: string;
  fields: FieldDef[];
  /** JSON keys that, when present, pick this variant on encode. */
  markers: string[];
}

export interface FieldDef {
  /** JSON key (the Linux struct field name). */
  name: string;
  type: FieldType;
  /** Absolute offset in the channel message. */
  offset: number;
  /** Size in bytes (0 for the variable-length tails). */
  size: number;
  /** Reserved/padding: omitted from JSON when zero, a warning when not. */
  reserved?: boolean;
  /** Bitfield within the u8/u16/u32 at `offset`. */
  bits?: { shift: number; width: number };
  /** For 'struct': the nested fields (absolute offsets). */
  fields?: FieldDef[];
  /** For 'union': variants[0] when the selector is false, variants[1] when true. */
  selector?: UnionSelector;
  variants?: [UnionVariant, UnionVariant];
  note?: string;
  /** Kind code for the codec. */
  k: number;
  /** Precomputed bitfield mask (width bits) and shift. */
  mask: number;
  shift: number;
  hasBits: boolean;
  /** `name + '.'`, the path prefix of nested fields. */
  childPrefix: string;
  /** Dotted path from the message ("offer.chn_flags"), for error reports. */
  path: string;
}

export interface MessageForm {
  /** The C/Rust struct name. */
  struct: string;
  /** Total size in bytes including the 8-byte header (fixed part, for the GPADL messages). */
  size: number;
  openVmmOnly: boolean;
  fields: FieldDef[];
  /** Keys that only this form (not smaller ones) has. */
  extraKeys: string[];
}

export interface MessageLayout {
  msgtype: number;
  name: string;
  /** Primary struct name (Linux, or OpenVMM for OpenVMM-only types). */
  struct: string;
  /** Fixed size of the primary form. */
  size: number;
  /** Smallest accepted message (Linux min_payload_len where Linux has a handler, else the struct size; 8 at least). */
  minSize: number;
  /** The whole message type is OpenVMM-only (Linux has no enum value). */
  openVmmOnly: boolean;
  direction: 'host-to-guest' | 'guest-to-host' | 'none';
  /** Fields of the primary form. */
  fields: FieldDef[];
  /** All forms in size order; forms[0] is the primary. */
  forms: MessageForm[];
  /** Has a variable-length tail (GPADL ranges / PFN list). */
  variable: boolean;
}

// ----------------------------------------------------------------- builder helpers

const KIND: Record<FieldType, number> = {
  u8: K_U8, u16: K_U16, u32: K_U32, u64: K_U64, guid: K_GUID, bytes: K_BYTES, 'u64[]': K_U64ARR, 'gpa_range[]': K_RANGES, struct: K_STRUCT, union: K_UNION,
};
const SIZE: Partial<Record<FieldType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, guid: 16 };

/** A FieldDef that keeps, in its type, its name, type, reserved mark and nested fields (ChannelMessageOf reads them). */
type NoExtra = Record<never, never>;
export type TypedField<N extends string, T extends FieldType, X> = FieldDef & {
  readonly name: N; readonly type: T;
  readonly reserved: X extends { reserved: true } ? true : boolean;
  readonly fields: X extends { fields: infer F } ? F : undefined;
  readonly variants: X extends { variants: infer V } ? V : undefined;
};

function f<N extends string, T extends FieldType, const X extends Partial<FieldDef> = NoExtra>(name: N, type: T, offset: number, extra: X = {} as X): TypedField<N, T, X> {
  const size = extra.size ?? SIZE[type] ?? 0;
  const bits = extra.bits;
  const mask = bits ? (bits.width >= 32 ? 0xffffffff : (1 << bits.width) - 1) : 0;
  // Every FieldDef gets the same properties in the same order, so the codec's loop stays monomorphic.
  return {
    name, type, offset, size,
    reserved: extra.reserved === true,
    bits, fields: extra.fields, selector: extra.selector, variants: extra.variants, note: extra.note,
    k: KIND[type], mask, shift: bits ? bits.shift : 0, hasBits: bits !== undefined, childPrefix: name + '.', path: name,
  } as FieldDef as TypedField<N, T, X>;
}
const u8 = <N extends string, const X extends Partial<FieldDef> = NoExtra>(n: N, o: number, x?: X) => f(n, 'u8', o, x ?? ({} as X));
const u16 = <N extends string, const X extends Partial<FieldDef> = NoExtra>(n: N, o: number, x?: X) => f(n, 'u16', o, x ?? ({} as X));
const u32 = <N extends string, const X extends Partial<FieldDef> = NoExtra>(n: N, o: number, x?: X) => f(n, 'u32', o, x ?? ({} as X));
const u64 = <N extends string, const X extends Partial<FieldDef> = NoExtra>(n: N, o: number, x?: X) => f(n, 'u64', o, x ?? ({} as X));
const guid = <N extends string>(n: N, o: number) => f(n, 'guid', o);
const bytes = <N extends string, const X extends Partial<FieldDef> = NoExtra>(n: N, o: number, size: number, x?: X) => f(n, 'bytes', o, { size, ...(x ?? ({} as X)) });
const rsv = { reserved: true } as const;

/** vmbus_channel_message_header: msgtype u32 @0 (decoded separately), padding u32 @4 (JSON key header_padding). */
const HEADER_PADDING = u32('header_padding', 4, { reserved: true, note: 'Linux: header.padding' });

// ----------------------------------------------------------------- the embedded offer (vmbus_channel_offer, at +8)

const OFFER_FIELDS_LOCAL = [
  guid('if_type', 8),
  guid('if_instance', 24),
  u64('reserved1', 40, rsv),
  u64('reserved2', 48, rsv),
  u16('chn_flags', 56),
  u16('mmio_megabytes', 58),
  f('u', 'union', 60, {
    size: 120,
    selector: { field: 'chn_flags', test: 'mask', value: 0x0010 /* VMBUS_CHANNEL_NAMED_PIPE_MODE */ },
    variants: [
      { name: 'std', markers: [], fields: [bytes('user_def', 60, 120)] },
      { name: 'pipe', markers: ['pipe_mode'], fields: [u32('pipe_mode', 60), bytes('user_def', 64, 116)] },
    ],
    note: 'u.std.user_def[120], or u.pipe {pipe_mode, user_def[116]} when chn_flags has NAMED_PIPE_MODE (0x10)',
  }),
  u16('sub_channel_index', 180),
  u16('reserved3', 182, { reserved: true, note: 'OpenVMM: mmio_megabytes_optional' }),
];
function nest<F extends FieldDef>(prefix: string, fields: F[]): F[] {
  for (const fd of fields) {
    fd.path = prefix + fd.name;
    if (fd.variants) for (const v of fd.variants) nest(prefix, v.fields);
  }
  return fields;
}
const OFFER_FIELDS = nest('offer.', OFFER_FIELDS_LOCAL);

// ----------------------------------------------------------------- per type

interface FormSpec { struct: string; size: number; openVmmOnly?: boolean; fields: FieldDef[] }
interface TypeSpec {
  name: keyof typeof MessageType;
  direction: MessageLayout['direction'];
  openVmmOnly?: boolean;
  variable?: boolean;
  forms: [FormSpec, ...FormSpec[]];
}

const headerOnly = <N extends keyof typeof MessageType>(name: N, direction: MessageLayout['direction'], struct = 'vmbus_channel_message_header', openVmmOnly = false) =>
  ({ name, direction, openVmmOnly, forms: [{ struct, size: 8, openVmmOnly, fields: [HEADER_PADDING] }] as [{ struct: string; size: number; openVmmOnly: boolean; fields: (typeof HEADER_PADDING)[] }] });

const INITIATE_CONTACT_FIELDS = [
  HEADER_PADDING,
  u32('vmbus_version_requested', 8),
  u32('target_vcpu', 12),
  f('interrupt_page_or_target_info', 'union', 16, {
    size: 8,
    selector: { field: 'vmbus_version_requested', test: 'ge', value: 0x00050000 },
    variants: [
      { name: 'interrupt_page', markers: ['interrupt_page'], fields: [u64('interrupt_page', 16)] },
      {
        name: 'target_info', markers: ['msg_sint', 'msg_vtl', 'feature_flags'],
        fields: [u8('msg_sint', 16), u8('msg_vtl', 17), bytes('reserved', 18, 2, rsv), u32('feature_flags', 20)],
      },
    ],
    note: 'interrupt_page (version < 5.0) or {msg_sint, msg_vtl, reserved[2], feature_flags} (version >= 5.0)',
  }),
  u64('monitor_page1', 24),
  u64('monitor_page2', 32),
];

const VERSION_RESPONSE_FIELDS = [
  HEADER_PADDING,
  u8('version_supported', 8),
  u8('connection_state', 9),
  u16('padding', 10, rsv),
  u32('msg_conn_id', 12),
];

const OPEN_CHANNEL_FIELDS = [
  HEADER_PADDING,
  u32('child_relid', 8),
  u32('openid', 12),
  u32('ringbuffer_gpadlhandle', 16),
  u32('target_vp', 20),
  u32('downstream_ringbuffer_pageoffset', 24),
  bytes('userdata', 28, 120),
];

const TL_CONNECT_FIELDS = [HEADER_PADDING, guid('guest_endpoint_id', 8), guid('host_service_id', 24)];

const SPECS = [
  headerOnly('CHANNELMSG_INVALID', 'none'),
  {
    name: 'CHANNELMSG_OFFERCHANNEL', direction: 'host-to-guest',
    forms: [{
      struct: 'vmbus_channel_offer_channel', size: 196,
      fields: [
        HEADER_PADDING,
        f('offer', 'struct', 8, { size: 176, fields: OFFER_FIELDS }),
        u32('child_relid', 184),
        u8('monitorid', 188),
        u8('monitor_allocated', 189, { bits: { shift: 0, width: 1 } }),
        u8('reserved', 189, { bits: { shift: 1, width: 7 }, reserved: true }),
        u16('is_dedicated_interrupt', 190, { bits: { shift: 0, width: 1 } }),
        u16('reserved1', 190, { bits: { shift: 1, width: 15 }, reserved: true }),
        u32('connection_id', 192),
      ],
    }],
  },
  { name: 'CHANNELMSG_RESCIND_CHANNELOFFER', direction: 'host-to-guest', forms: [{ struct: 'vmbus_channel_rescind_offer', size: 12, fields: [HEADER_PADDING, u32('child_relid', 8)] }] },
  headerOnly('CHANNELMSG_REQUESTOFFERS', 'guest-to-host'),
  headerOnly('CHANNELMSG_ALLOFFERS_DELIVERED', 'host-to-guest'),
  {
    name: 'CHANNELMSG_OPENCHANNEL', direction: 'guest-to-host',
    forms: [
      { struct: 'vmbus_channel_open_channel', size: 148, fields: OPEN_CHANNEL_FIELDS },
      { struct: 'OpenChannel2', size: 156, openVmmOnly: true, fields: [...OPEN_CHANNEL_FIELDS, u32('connection_id', 148), u16('event_flag', 152), u16('flags', 154)] },
    ],
  },
  { name: 'CHANNELMSG_OPENCHANNEL_RESULT', direction: 'host-to-guest', forms: [{ struct: 'vmbus_channel_open_result', size: 20, fields: [HEADER_PADDING, u32('child_relid', 8), u32('openid', 12), u32('status', 16)] }] },
  { name: 'CHANNELMSG_CLOSECHANNEL', direction: 'guest-to-host', forms: [{ struct: 'vmbus_channel_close_channel', size: 12, fields: [HEADER_PADDING, u32('child_relid', 8)] }] },
  {
    name: 'CHANNELMSG_GPADL_HEADER', direction: 'guest-to-host', variable: true,
    forms: [{
      struct: 'vmbus_channel_gpadl_header', size: 20,
      fields: [HEADER_PADDING, u32('child_relid', 8), u32('gpadl', 12), u16('range_buflen', 16), u16('rangecount', 18),
        f('range', 'gpa_range[]', 20, { note: 'gpa_range {byte_count u32, byte_offset u32, pfn_array u64[]} × rangecount; the last range takes the rest of the message' })],
    }],
  },
  {
    name: 'CHANNELMSG_GPADL_BODY', direction: 'guest-to-host', variable: true,
    forms: [{ struct: 'vmbus_channel_gpadl_body', size: 16, fields: [HEADER_PADDING, u32('msgnumber', 8), u32('gpadl', 12), f('pfn', 'u64[]', 16, { note: 'u64 PFNs to the end of the message' })] }],
  },
  { name: 'CHANNELMSG_GPADL_CREATED', direction: 'host-to-guest', forms: [{ struct: 'vmbus_channel_gpadl_created', size: 20, fields: [HEADER_PADDING, u32('child_relid', 8), u32('gpadl', 12), u32('creation_status', 16)] }] },
  { name: 'CHANNELMSG_GPADL_TEARDOWN', direction: 'guest-to-host', forms: [{ struct: 'vmbus_channel_gpadl_teardown', size: 16, fields: [HEADER_PADDING, u32('child_relid', 8), u32('gpadl', 12)] }] },
  { name: 'CHANNELMSG_GPADL_TORNDOWN', direction: 'host-to-guest', forms: [{ struct: 'vmbus_channel_gpadl_torndown', size: 12, fields: [HEADER_PADDING, u32('gpadl', 8)] }] },
  { name: 'CHANNELMSG_RELID_RELEASED', direction: 'guest-to-host', forms: [{ struct: 'vmbus_channel_relid_released', size: 12, fields: [HEADER_PADDING, u32('child_relid', 8)] }] },
  {
    name: 'CHANNELMSG_INITIATE_CONTACT', direction: 'guest-to-host',
    forms: [
      { struct: 'vmbus_channel_initiate_contact', size: 40, fields: INITIATE_CONTACT_FIELDS },
      { struct: 'InitiateContact2', size: 56, openVmmOnly: true, fields: [...INITIATE_CONTACT_FIELDS, guid('client_id', 40)] },
    ],
  },
  {
    name: 'CHANNELMSG_VERSION_RESPONSE', direction: 'host-to-guest',
    forms: [
      { struct: 'vmbus_channel_version_response', size: 16, fields: VERSION_RESPONSE_FIELDS },
      { struct: 'VersionResponse2', size: 20, openVmmOnly: true, fields: [...VERSION_RESPONSE_FIELDS, u32('supported_features', 16)] },
      {
        struct: 'VersionResponse3', size: 40, openVmmOnly: true,
        fields: [...VERSION_RESPONSE_FIELDS, u32('supported_features', 16), u32('padding2', 20, { reserved: true, note: 'OpenVMM: _padding' }), u64('monitor_page1', 24), u64('monitor_page2', 32)],
      },
    ],
  },
  headerOnly('CHANNELMSG_UNLOAD', 'guest-to-host'),
  headerOnly('CHANNELMSG_UNLOAD_RESPONSE', 'host-to-guest'),
  {
    name: 'CHANNELMSG_18', direction: 'none',
    forms: [
      { struct: 'vmbus_channel_message_header', size: 8, fields: [HEADER_PADDING] },
      {
        struct: 'OpenReservedChannel', size: 28, openVmmOnly: true,
        fields: [HEADER_PADDING, u32('child_relid', 8), u32('target_vp', 12), u32('target_sint', 16), u32('ringbuffer_gpadlhandle', 20), u32('downstream_ringbuffer_pageoffset', 24)],
      },
    ],
  },
  {
    name: 'CHANNELMSG_19', direction: 'none',
    forms: [
      { struct: 'vmbus_channel_message_header', size: 8, fields: [HEADER_PADDING] },
      { struct: 'CloseReservedChannel', size: 20, openVmmOnly: true, fields: [HEADER_PADDING, u32('child_relid', 8), u32('target_vp', 12), u32('target_sint', 16)] },
    ],
  },
  {
    name: 'CHANNELMSG_20', direction: 'none',
    forms: [
      { struct: 'vmbus_channel_message_header', size: 8, fields: [HEADER_PADDING] },
      { struct: 'CloseReservedChannelResponse', size: 12, openVmmOnly: true, fields: [HEADER_PADDING, u32('child_relid', 8)] },
    ],
  },
  {
    name: 'CHANNELMSG_TL_CONNECT_REQUEST', direction: 'guest-to-host',
    forms: [
      { struct: 'vmbus_channel_tl_connect_request', size: 40, fields: TL_CONNECT_FIELDS },
      { struct: 'TlConnectRequest2', size: 56, openVmmOnly: true, fields: [...TL_CONNECT_FIELDS, guid('silo_id', 40)] },
    ],
  },
  { name: 'CHANNELMSG_MODIFYCHANNEL', direction: 'guest-to-host', forms: [{ struct: 'vmbus_channel_modifychannel', size: 16, fields: [HEADER_PADDING, u32('child_relid', 8), u32('target_vp', 12)] }] },
  {
    name: 'CHANNELMSG_TL_CONNECT_RESULT', direction: 'host-to-guest',
    forms: [
      { struct: 'vmbus_channel_message_header', size: 8, fields: [HEADER_PADDING] },
      { struct: 'TlConnectResult', size: 44, openVmmOnly: true, fields: [...TL_CONNECT_FIELDS, u32('status', 40)] },
    ],
  },
  { name: 'CHANNELMSG_MODIFYCHANNEL_RESPONSE', direction: 'host-to-guest', forms: [{ struct: 'vmbus_channel_modifychannel_response', size: 16, fields: [HEADER_PADDING, u32('child_relid', 8), u32('status', 12)] }] },
  {
    name: 'CHANNELMSG_MODIFY_CONNECTION', direction: 'guest-to-host', openVmmOnly: true,
    forms: [{ struct: 'ModifyConnection', size: 24, openVmmOnly: true, fields: [HEADER_PADDING, u64('monitor_page1', 8), u64('monitor_page2', 16)] }],
  },
  {
    name: 'CHANNELMSG_MODIFY_CONNECTION_RESPONSE', direction: 'host-to-guest', openVmmOnly: true,
    forms: [{ struct: 'ModifyConnectionResponse', size: 9, openVmmOnly: true, fields: [HEADER_PADDING, u8('connection_state', 8)] }],
  },
  headerOnly('CHANNELMSG_PAUSE', 'guest-to-host', 'Pause', true),
  headerOnly('CHANNELMSG_PAUSE_RESPONSE', 'host-to-guest', 'PauseResponse', true),
  headerOnly('CHANNELMSG_RESUME', 'guest-to-host', 'Resume', true),
] satisfies TypeSpec[];

function keysOf(fields: FieldDef[], out: Set<string>): Set<string> {
  for (const fd of fields) {
    if (fd.k === K_UNION) for (const v of fd.variants!) keysOf(v.fields, out);
    else out.add(fd.name);
  }
  return out;
}

/** MESSAGE_LAYOUTS[msgtype] for msgtype 0..29. */
export const MESSAGE_LAYOUTS: readonly MessageLayout[] = (SPECS as TypeSpec[]).map((s) => {
  const msgtype = MessageType[s.name];
  let prevKeys = new Set<string>();
  const forms: MessageForm[] = s.forms.map((fm) => {
    const keys = keysOf(fm.fields, new Set());
    const extraKeys = [...keys].filter((k) => !prevKeys.has(k));
    prevKeys = keys;
    return { struct: fm.struct, size: fm.size, openVmmOnly: !!fm.openVmmOnly, fields: fm.fields, extraKeys };
  });
  return {
    msgtype,
    name: s.name,
    struct: forms[0].struct,
    size: forms[0].size,
    minSize: Math.max(8, forms[0].size),
    openVmmOnly: !!s.openVmmOnly,
    direction: s.direction,
    fields: forms[0].fields,
    forms,
    variable: !!s.variable,
  };
});

export const LAYOUT_BY_NAME: ReadonlyMap<string, MessageLayout> = new Map(MESSAGE_LAYOUTS.map((l) => [l.name, l]));

// ----------------------------------------------------------------- the decoded JSON, as types
// Derived from SPECS above, so a field renamed or moved in the table changes the types with it.
// Primary-form fields that are not reserved are always present; reserved ones (present only
// when not zero), union views (flattened into the object) and the larger OpenVMM forms' extra
// fields are optional.

type Spec = (typeof SPECS)[number];
/** The names of the channel message types ('CHANNELMSG_OFFERCHANNEL', ...). */
export type ChannelMessageName = Spec['name'];
type AField = FieldDef & { name: string; type: FieldType };
type FieldValue<F> =
  F extends { type: 'u8' | 'u16' | 'u32' } ? number
    : F extends { type: 'struct'; fields: (infer G)[] } ? ObjectOf<G, G>
      : F extends { type: 'u64[]' } ? string[]
        : F extends { type: 'gpa_range[]' } ? { byte_count: number; byte_offset: number; pfn_array: string[] }[]
          : string; // u64 (hex), guid, bytes (hex)
/** The fields a union's views put into the enclosing object. */
type Flat<F> = F extends { type: 'union'; variants: readonly (infer V)[] } ? (V extends { fields: (infer G)[] } ? Flat<G> : never) : F;
type RequiredOf<F> = F extends { type: 'union' } ? never : F extends { reserved: true } ? never : F;
type ObjectOf<Primary, All> =
  { [F in Extract<RequiredOf<Primary>, AField> as F['name']]: FieldValue<F> } &
  { [F in Exclude<Extract<Flat<All>, AField>, { name: Extract<RequiredOf<Primary>, AField>['name'] }> as F['name']]?: FieldValue<F> };
type FormsOf<S> = S extends { forms: (infer M)[] } ? M : never;
type FieldsOfForm<M> = M extends { fields: (infer G)[] } ? G : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** One decoded channel message of type N, as decodeMessage returns it. */
export type ChannelMessageOf<N extends ChannelMessageName> = Simplify<{ msgtype: N } & (Extract<Spec, { name: N }> extends infer S
  ? ObjectOf<FieldsOfForm<S extends { forms: [infer M0, ...unknown[]] } ? M0 : FormsOf<S>>, FieldsOfForm<FormsOf<S>>> : never)>;
/** Any decoded channel message: switching on msgtype narrows it. */
export type ChannelMessage = { [N in ChannelMessageName]: ChannelMessageOf<N> }[ChannelMessageName];

/** The scalar field at a dotted path ("offer.chn_flags") of a message type's primary form, for code
 * that patches bytes in place (the debugger's edits) instead of re-encoding: the offset and width
 * come from the table above, never from a literal. Throws on a name the table does not have. */
export function fieldOf(msgtype: string, path: string): FieldDef {
  const layout = LAYOUT_BY_NAME.get(msgtype);
  if (!layout) throw new Error(`fieldOf: no message type ${msgtype}`);
  const find = (fields: FieldDef[]): FieldDef | undefined => {
    for (const fd of fields) {
      if (fd.path === path && fd.k !== K_STRUCT && fd.k !== K_UNION) return fd;
      if (fd.fields) { const g = find(fd.fields); if (g) return g; }
      if (fd.variants) for (const v of fd.variants) { const g = find(v.fields); if (g) return g; }
    }
    return undefined;
  };
  const fd = find(layout.fields);
  if (!fd || fd.k > K_U32) throw new Error(`fieldOf: ${msgtype} has no u8/u16/u32 field '${path}'`);
  return fd;
}

/** Reads a u8/u16/u32 field (bitfields shifted and masked) from a message's bytes. */
export function readField(b: Uint8Array, fd: FieldDef): number {
  const o = fd.offset;
  let v = 0;
  for (let i = fd.size - 1; i >= 0; i--) v = v * 256 + b[o + i];
  return fd.hasBits ? (v >>> fd.shift) & fd.mask : v;
}

/** Writes a u8/u16/u32 field in place (a bitfield keeps the other bits of its unit). */
export function writeField(b: Uint8Array, fd: FieldDef, value: number): void {
  const o = fd.offset;
  let v = value >>> 0;
  if (fd.hasBits) {
    const cur = readField(b, { ...fd, hasBits: false });
    const m = (fd.mask << fd.shift) >>> 0;
    v = ((cur & ~m) | ((v & fd.mask) << fd.shift)) >>> 0;
  }
  for (let i = 0; i < fd.size; i++) { b[o + i] = v & 0xff; v = Math.floor(v / 256); }
}

/** Size of the vmbus_channel_message_header. */
export const MESSAGE_HEADER_SIZE = 8;
/** HV_MESSAGE_PAYLOAD_BYTE_COUNT = MAX_SIZE_CHANNEL_MESSAGE. */
export const MAX_CHANNEL_MESSAGE_SIZE = 240;
/** Linux: (240 - 20 - 8) / 8 PFNs fit in a GPADL_HEADER with one range. */
export const GPADL_HEADER_MAX_PFNS = 26;
/** (240 - 16) / 8 PFNs fit in a GPADL_BODY. */
export const GPADL_BODY_MAX_PFNS = 28;
