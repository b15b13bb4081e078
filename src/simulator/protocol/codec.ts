// The one encoder and the one decoder of channel messages. Both walk the layouts in ./layouts.ts.
// The decoder validates like Linux's vmbus_on_msg_dpc (unknown msgtype, payload > 240, shorter
// than the type's minimum) and never throws on bad bytes.
import { fail, type ProtocolError } from './errors';
import { guidFromBytes, writeGuid } from './guid';
import { parseHex, toHex } from './hex';
import { LINUX_CHANNELMSG_COUNT, OPENVMM_CHANNELMSG_COUNT } from './constants';
import {
  type FieldDef, type MessageForm, type MessageLayout, type ChannelMessage, type ChannelMessageName, type ChannelMessageOf,
  K_BYTES, K_GUID, K_RANGES, K_STRUCT, K_U16, K_U32, K_U64, K_U64ARR, K_U8, K_UNION,
  LAYOUT_BY_NAME, MAX_CHANNEL_MESSAGE_SIZE, MESSAGE_LAYOUTS,
} from './layouts';

export interface DecodeOptions {
  /** Accept the OpenVMM-only message types (25..29) and forms (VersionResponse2/3, InitiateContact2, OpenChannel2, ...). Default false: decode as a Linux guest would. */
  allowOpenVmm?: boolean;
}

export type DecodeResult = { ok: true; value: Record<string, unknown>; warnings: string[] } | { ok: false; error: ProtocolError };
/** A decode result whose value has the type of its channel message (see ChannelMessageOf in ./layouts.ts). */
export type TypedDecodeResult<M> = { ok: true; value: M; warnings: string[] } | { ok: false; error: ProtocolError };
export type EncodeResult = { ok: true; bytes: Uint8Array } | { ok: false; error: ProtocolError };

// ------------------------------------------------------------------ little-endian access

function u64ToHex(lo: number, hi: number): string {
  return hi === 0 ? '0x' + lo.toString(16) : '0x' + hi.toString(16) + lo.toString(16).padStart(8, '0');
}

function bytesHexTrimmed(b: Uint8Array, start: number, end: number): string {
  let e = end;
  while (e - 8 >= start && (b[e - 1] | b[e - 2] | b[e - 3] | b[e - 4] | b[e - 5] | b[e - 6] | b[e - 7] | b[e - 8]) === 0) e -= 8;
  while (e > start && b[e - 1] === 0) e--;
  return toHex(b, start, e);
}

// ------------------------------------------------------------------ decode

function rsvWarn(warnings: string[], prefix: string, fd: FieldDef, shown: string): void {
  warnings.push(`reserved field '${prefix}${fd.name}' at offset ${fd.offset} is not zero (${shown})`);
}

// Objects are created by cloning a per-layout template that already has every key in order,
// so the decoder's stores hit existing properties (no hidden-class transitions per field).
// A template depends on which view of each union the selector picks; reserved fields are not
// in it (they are added, after the others, only when not zero).
interface Plan { unions: FieldDef[]; selectors: FieldDef[]; templates: (Record<string, unknown> | undefined)[]; head?: string }
const PLANS = new Map<object, Plan>();

function planFor(key: object, fields: FieldDef[], head?: string): Plan {
  let p = PLANS.get(key);
  if (p === undefined) {
    const unions = fields.filter((f) => f.k === K_UNION);
    const selectors = unions.map((u) => fields.find((f) => f.name === u.selector!.field)!);
    p = { unions, selectors, templates: [], head };
    PLANS.set(key, p);
  }
  return p;
}

function readScalar(b: Uint8Array, fd: FieldDef): number {
  const o = fd.offset;
  let v = fd.k === K_U8 ? b[o] : fd.k === K_U16 ? b[o] | (b[o + 1] << 8) : (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
  if (fd.hasBits) v = (v >>> fd.shift) & fd.mask;
  return v;
}

function buildTemplate(fields: FieldDef[], choice: number, unions: FieldDef[], head: string | undefined): Record<string, unknown> {
  const t: Record<string, unknown> = {};
  if (head !== undefined) t.msgtype = head;
  for (const f of fields) {
    if (f.k === K_UNION) {
      const v = f.variants![(choice >> unions.indexOf(f)) & 1];
      for (const g of v.fields) if (!g.reserved) t[g.name] = 0;
    } else if (!f.reserved) {
      t[f.name] = 0;
    }
  }
  return t;
}

function newObject(plan: Plan, fields: FieldDef[], b: Uint8Array): Record<string, unknown> {
  let choice = 0;
  const us = plan.unions;
  for (let i = 0; i < us.length; i++) {
    const sel = us[i].selector!;
    const sv = readScalar(b, plan.selectors[i]);
    if (sel.test === 'ge' ? sv >= sel.value : (sv & sel.value) !== 0) choice |= 1 << i;
  }
  let t = plan.templates[choice];
  if (t === undefined) t = plan.templates[choice] = buildTemplate(fields, choice, us, plan.head);
  return { ...t };
}

/** Decodes `fields` into `obj`; returns the end offset of a variable tail (0 if none). */
function decodeFields(b: Uint8Array, len: number, fields: FieldDef[], obj: Record<string, unknown>, warnings: string[], prefix: string): number {
  let end = 0;
  for (let i = 0; i < fields.length; i++) {
    const fd = fields[i];
    const o = fd.offset;
    switch (fd.k) {
      case K_U8: case K_U16: case K_U32: {
        let v: number;
        if (fd.k === K_U32) v = (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
        else if (fd.k === K_U8) v = b[o];
        else v = b[o] | (b[o + 1] << 8);
        if (fd.hasBits) v = (v >>> fd.shift) & fd.mask;
        if (fd.reserved) {
          if (v === 0) break;
          rsvWarn(warnings, prefix, fd, '0x' + v.toString(16));
        }
        obj[fd.name] = v;
        break;
      }
      case K_U64: {
        const lo = (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
        const hi = (b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16) | (b[o + 7] << 24)) >>> 0;
        if (fd.reserved) {
          if (lo === 0 && hi === 0) break;
          rsvWarn(warnings, prefix, fd, u64ToHex(lo, hi));
        }
        obj[fd.name] = u64ToHex(lo, hi);
        break;
      }
      case K_GUID:
        obj[fd.name] = guidFromBytes(b, o);
        break;
      case K_BYTES: {
        const h = bytesHexTrimmed(b, o, o + fd.size);
        if (fd.reserved) {
          if (h === '') break;
          rsvWarn(warnings, prefix, fd, h);
        }
        obj[fd.name] = h;
        break;
      }
      case K_STRUCT: {
        const sub = newObject(planFor(fd, fd.fields!), fd.fields!, b);
        decodeFields(b, len, fd.fields!, sub, warnings, fd.childPrefix);
        obj[fd.name] = sub;
        break;
      }
      case K_UNION: {
        const sel = fd.selector!;
        const sv = obj[sel.field] as number;
        const which = sel.test === 'ge' ? sv >= sel.value : (sv & sel.value) !== 0;
        const e = decodeFields(b, len, fd.variants![which ? 1 : 0].fields, obj, warnings, prefix);
        if (e > end) end = e;
        break;
      }
      case K_U64ARR: {
        const n = (len - o) >>> 3;
        const arr: string[] = new Array(n);
        let p = o;
        for (let j = 0; j < n; j++, p += 8) {
          arr[j] = u64ToHex((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0, (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0);
        }
        obj[fd.name] = arr;
        end = p;
        break;
      }
      case K_RANGES: {
        const count = obj.rangecount as number;
        const ranges: Record<string, unknown>[] = [];
        let p = o;
        for (let r = 0; r < count && len - p >= 8; r++) {
          const byteCount = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
          const byteOffset = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
          p += 8;
          const avail = (len - p) >>> 3;
          const n = r === count - 1 ? avail : Math.min(avail, pagesSpanned(byteCount, byteOffset));
          const pfns: string[] = new Array(n);
          for (let j = 0; j < n; j++, p += 8) {
            pfns[j] = u64ToHex((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0, (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0);
          }
          ranges.push({ byte_count: byteCount, byte_offset: byteOffset, pfn_array: pfns });
        }
        obj[fd.name] = ranges;
        end = p;
        break;
      }
    }
  }
  return end;
}

/** Pages a GPA range covers: ceil((byte_offset + byte_count) / 4096) (offset within the first page). */
export function pagesSpanned(byteCount: number, byteOffset: number): number {
  return Math.floor(((byteOffset & 0xfff) + byteCount + 4095) / 4096);
}

function firstCutField(fields: FieldDef[], len: number, prefix: string): { name: string; offset: number } | undefined {
  for (const fd of fields) {
    if (fd.k === K_STRUCT) {
      const r = firstCutField(fd.fields!, len, prefix + fd.name + '.');
      if (r) return r;
      continue;
    }
    if (fd.k === K_UNION) {
      if (fd.offset + fd.size > len) return { name: prefix + fd.name, offset: fd.offset };
      continue;
    }
    if (fd.offset + fd.size > len) return { name: prefix + fd.name, offset: fd.offset };
  }
  return undefined;
}

/**
 * Decodes one channel message (header + body). Checks, in Linux's order: msgtype < CHANNELMSG_COUNT
 * (30 with allowOpenVmm), length <= 240, length >= the type's minimum.
 */
export function decodeMessage<N extends ChannelMessageName>(bytes: Uint8Array, opts: DecodeOptions | undefined, expect: N): TypedDecodeResult<ChannelMessageOf<N>>;
export function decodeMessage(bytes: Uint8Array, opts?: DecodeOptions): DecodeResult;
/** With `expect`, a message of another type is an error (naming both), and the value is typed. */
export function decodeMessage(bytes: Uint8Array, opts?: DecodeOptions, expect?: ChannelMessageName): DecodeResult {
  const r = decodeAny(bytes, opts);
  if (expect === undefined || !r.ok || r.value.msgtype === expect) return r;
  return fail('bad-field', `expected ${expect}, got ${String(r.value.msgtype)}`, { offset: 0, field: 'msgtype' });
}

/** decodeMessage with the value typed as the union of channel messages: switching on msgtype narrows it. */
export function decodeChannelMessage(bytes: Uint8Array, opts?: DecodeOptions): TypedDecodeResult<ChannelMessage> {
  // The decoder builds each object from its layout, which is what ChannelMessage is derived from.
  return decodeAny(bytes, opts) as TypedDecodeResult<ChannelMessage>;
}

function decodeAny(bytes: Uint8Array, opts?: DecodeOptions): DecodeResult {
  if (!(bytes instanceof Uint8Array)) return fail('bad-length', 'decodeMessage expects a Uint8Array');
  const len = bytes.length;
  if (len < 4) {
    return fail('too-short', `message too short: len=${len}; the 8-byte message header (msgtype u32 @0) is incomplete`, { offset: len, field: 'msgtype' });
  }
  const b = bytes;
  const msgtype = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  const allow = opts !== undefined && opts.allowOpenVmm === true;
  if (msgtype >= (allow ? OPENVMM_CHANNELMSG_COUNT : LINUX_CHANNELMSG_COUNT)) {
    const known = msgtype < OPENVMM_CHANNELMSG_COUNT ? MESSAGE_LAYOUTS[msgtype].name : undefined;
    return fail('unknown-msgtype',
      `unknown msgtype=${msgtype}` + (known ? ` (${known} is OpenVMM-only; a Linux guest does not know it)` : ''),
      { msgtype, msgtypeName: known, offset: 0, field: 'msgtype' });
  }
  const layout = MESSAGE_LAYOUTS[msgtype];
  if (len > MAX_CHANNEL_MESSAGE_SIZE) {
    return fail('too-large', `payload size is too large (${len}); the maximum is ${MAX_CHANNEL_MESSAGE_SIZE}`, { msgtype, msgtypeName: layout.name, offset: MAX_CHANNEL_MESSAGE_SIZE });
  }
  const forms = layout.forms;
  let form: MessageForm | undefined;
  for (let i = forms.length - 1; i >= 0; i--) {
    const fm = forms[i];
    if (fm.openVmmOnly && !allow) continue;
    if (fm.size <= len) { form = fm; break; }
  }
  if (form === undefined) {
    const min = forms[0];
    const cut = firstCutField(min.fields, len, '') ?? { name: 'header_padding', offset: 4 };
    return fail('too-short',
      `message too short: msgtype=${msgtype} len=${len}; ${layout.name} needs at least ${min.size} bytes, field '${cut.name}' at offset ${cut.offset} is cut`,
      { msgtype, msgtypeName: layout.name, offset: cut.offset, field: cut.name });
  }
  const warnings: string[] = [];
  const value = newObject(planFor(form, form.fields, layout.name), form.fields, b);
  const tailEnd = decodeFields(b, len, form.fields, value, warnings, '');
  const end = tailEnd > form.size ? tailEnd : form.size;
  if (end < len) {
    value.trailing = bytesHexAll(b, end, len);
    let hint = '';
    if (!allow) {
      const bigger = forms.find((fm) => fm.openVmmOnly && fm.size <= len);
      if (bigger) hint = ` (OpenVMM's ${bigger.struct} has ${bigger.extraKeys.join(', ')} there; decode with allowOpenVmm to see them)`;
    }
    warnings.push(`${len - end} bytes after the ${form.struct} struct at offset ${end}${hint}`);
  }
  return { ok: true, value, warnings };
}

function bytesHexAll(b: Uint8Array, start: number, end: number): string {
  return toHex(b, start, end);
}

// ------------------------------------------------------------------ encode

type Err = { ok: false; error: ProtocolError };

class EncodeError {
  constructor(readonly error: ProtocolError) {}
}

function bad(field: string, offset: number | undefined, message: string, msgtype?: number, msgtypeName?: string): never {
  throw new EncodeError({ code: 'bad-field', message, field, offset, msgtype, msgtypeName });
}

interface EncCtx { msgtype: number; name: string }

function parseIntValue(v: unknown, max: number, field: string, offset: number, ctx: EncCtx, allowBool: boolean): number {
  if (typeof v === 'boolean' && allowBool) return v ? 1 : 0;
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim())) n = Number(v.trim());
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > max) {
    bad(field, offset, `field '${field}' of ${ctx.name} must be an integer 0..${max} (0x${max.toString(16)}), got ${JSON.stringify(v)}`, ctx.msgtype, ctx.name);
  }
  return n;
}

function parseU64(v: unknown, field: string, offset: number, ctx: EncCtx): [number, number] {
  let big: bigint | undefined;
  if (typeof v === 'bigint') big = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) big = BigInt(v);
  else if (typeof v === 'string' && /^(0x[0-9a-f]{1,16}|\d{1,20})$/i.test(v.trim())) big = BigInt(v.trim());
  if (big === undefined || big < 0n || big > 0xffffffffffffffffn) {
    bad(field, offset, `field '${field}' of ${ctx.name} must be a u64 as a hex string like "0x1000", got ${JSON.stringify(v)}`, ctx.msgtype, ctx.name);
  }
  return [Number(big & 0xffffffffn), Number(big >> 32n)];
}

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/** Writes a u64 given as a safe non-negative integer number; false (nothing written) for any other form. */
function putU64Fast(out: Uint8Array, o: number, v: unknown): boolean {
  let n: number;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) return false;
    n = v;
  } else if (typeof v === 'string' && v.length >= 3 && v.length <= 15 && v.charCodeAt(0) === 48 && (v.charCodeAt(1) | 0x20) === 120) {
    // "0x" + up to 13 hex digits (the decoder's own form, e.g. relayed pfns): exact as a number.
    for (let i = 2; i < v.length; i++) {
      const c = v.charCodeAt(i) | 0x20;
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
    }
    n = parseInt(v.slice(2), 16);
  } else {
    return false;
  }
  put32(out, o, n >>> 0);
  put32(out, o + 4, Math.floor(n / 4294967296));
  return true;
}

function putU64(out: Uint8Array, o: number, v: unknown, field: string, ctx: EncCtx): void {
  if (putU64Fast(out, o, v)) return;
  const [lo, hi] = parseU64(v, field, o, ctx);
  put32(out, o, lo); put32(out, o + 4, hi);
}

function put32(out: Uint8Array, o: number, v: number): void {
  out[o] = v & 0xff; out[o + 1] = (v >>> 8) & 0xff; out[o + 2] = (v >>> 16) & 0xff; out[o + 3] = (v >>> 24) & 0xff;
}

function parseBytesValue(v: unknown, size: number, field: string, offset: number, ctx: EncCtx): Uint8Array {
  if (typeof v !== 'string') bad(field, offset, `field '${field}' of ${ctx.name} must be a hex string, got ${JSON.stringify(v)}`, ctx.msgtype, ctx.name);
  if (v === '' || v.trim() === '') return EMPTY;
  const r = parseHex(v);
  if (!r.ok) bad(field, offset, `field '${field}' of ${ctx.name}: ${r.error.message}`, ctx.msgtype, ctx.name);
  if (r.bytes.length > size) bad(field, offset, `field '${field}' of ${ctx.name} holds at most ${size} bytes, got ${r.bytes.length}`, ctx.msgtype, ctx.name);
  return r.bytes;
}

const EMPTY = new Uint8Array(0);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unionPick(fd: FieldDef, obj: Record<string, unknown>, ctx: EncCtx, prefix: string): number {
  const [v0, v1] = fd.variants!;
  const has1 = v1.markers.some((k) => obj[k] !== undefined);
  const has0 = v0.markers.some((k) => obj[k] !== undefined);
  if (has0 && has1) {
    bad(prefix + fd.name, fd.offset, `${ctx.name}: ${v0.markers.concat(v1.markers).filter((k) => obj[k] !== undefined).join(' and ')} share the same bytes (union at offset ${fd.offset}); give only one view`, ctx.msgtype, ctx.name);
  }
  if (has1) return 1;
  if (has0) return 0;
  const sel = fd.selector!;
  const raw = obj[sel.field];
  const sv = raw === undefined ? 0 : typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : 0;
  return (sel.test === 'ge' ? sv >= sel.value : (sv & sel.value) !== 0) ? 1 : 0;
}

function keySet(fields: FieldDef[], out: Set<string>): Set<string> {
  for (const fd of fields) {
    if (fd.k === K_UNION) for (const v of fd.variants!) keySet(v.fields, out);
    else out.add(fd.name);
  }
  return out;
}

const FORM_KEYS = new Map<MessageForm, Set<string>>();
/** Per layout: key list (in the order given, joined by ',') → the smallest form with every key. */
const FORM_CACHE = new Map<MessageLayout, Map<string, MessageForm>>();
const STRUCT_KEYS = new Map<FieldDef, Set<string>>();
for (const l of MESSAGE_LAYOUTS) {
  for (const fm of l.forms) {
    FORM_KEYS.set(fm, keySet(fm.fields, new Set(['msgtype', 'trailing'])));
    for (const fd of fm.fields) if (fd.k === K_STRUCT) STRUCT_KEYS.set(fd, keySet(fd.fields!, new Set()));
  }
}

/** Byte length of the variable tail described by `obj` for this field (validating its shape). */
function tailLength(fd: FieldDef, obj: Record<string, unknown>, ctx: EncCtx): number {
  const v = obj[fd.name];
  if (v === undefined) return 0;
  if (!Array.isArray(v)) bad(fd.name, fd.offset, `field '${fd.name}' of ${ctx.name} must be an array`, ctx.msgtype, ctx.name);
  if (fd.k === K_U64ARR) return v.length * 8;
  let n = 0;
  v.forEach((r, i) => {
    if (!isPlainObject(r)) bad(`${fd.name}[${i}]`, undefined, `${fd.name}[${i}] of ${ctx.name} must be an object {byte_count, byte_offset, pfn_array}`, ctx.msgtype, ctx.name);
    for (const k of Object.keys(r)) {
      if (k !== 'byte_count' && k !== 'byte_offset' && k !== 'pfn_array') bad(`${fd.name}[${i}].${k}`, undefined, `unknown field '${k}' in ${fd.name}[${i}] of ${ctx.name}`, ctx.msgtype, ctx.name);
    }
    const p = r.pfn_array ?? [];
    if (!Array.isArray(p)) bad(`${fd.name}[${i}].pfn_array`, undefined, `${fd.name}[${i}].pfn_array of ${ctx.name} must be an array of u64 hex strings`, ctx.msgtype, ctx.name);
    n += 8 + 8 * p.length;
  });
  return n;
}

function encodeFields(out: Uint8Array, fields: FieldDef[], obj: Record<string, unknown>, ctx: EncCtx, prefix: string): void {
  for (const fd of fields) {
    const o = fd.offset;
    const path = fd.path;
    switch (fd.k) {
      case K_U8: case K_U16: case K_U32: {
        const v = obj[fd.name];
        if (v === undefined) break;
        const bytesN = fd.k === K_U8 ? 1 : fd.k === K_U16 ? 2 : 4;
        const max = fd.bits ? fd.mask : bytesN === 4 ? 0xffffffff : (1 << (8 * bytesN)) - 1;
        let n = parseIntValue(v, max, path, o, ctx, fd.bits !== undefined && fd.bits.width === 1);
        if (fd.bits) {
          const cur = bytesN === 1 ? out[o] : bytesN === 2 ? out[o] | (out[o + 1] << 8) : (out[o] | (out[o + 1] << 8) | (out[o + 2] << 16) | (out[o + 3] << 24)) >>> 0;
          n = (cur | (n << fd.bits.shift)) >>> 0;
        }
        out[o] = n & 0xff;
        if (bytesN > 1) out[o + 1] = (n >>> 8) & 0xff;
        if (bytesN > 2) { out[o + 2] = (n >>> 16) & 0xff; out[o + 3] = (n >>> 24) & 0xff; }
        break;
      }
      case K_U64: {
        const v = obj[fd.name];
        if (v === undefined) break;
        putU64(out, o, v, path, ctx);
        break;
      }
      case K_GUID: {
        const v = obj[fd.name];
        if (v === undefined) break;
        if (typeof v !== 'string' || !writeGuid(v, out, o)) {
          bad(path, o, `field '${path}' of ${ctx.name} must be a GUID string like "f8615163-df3e-46c5-913f-f2d2f965ed0e", got ${JSON.stringify(v)}`, ctx.msgtype, ctx.name);
        }
        break;
      }
      case K_BYTES: {
        const v = obj[fd.name];
        if (v === undefined || v === '') break;
        out.set(parseBytesValue(v, fd.size, path, o, ctx), o);
        break;
      }
      case K_STRUCT: {
        const v = obj[fd.name];
        if (v === undefined) break;
        if (!isPlainObject(v)) bad(path, o, `field '${path}' of ${ctx.name} must be an object`, ctx.msgtype, ctx.name);
        const keys = STRUCT_KEYS.get(fd)!;
        for (const k of Object.keys(v)) {
          if (!keys.has(k) && v[k] !== undefined) bad(`${path}.${k}`, undefined, `unknown field '${path}.${k}' for ${ctx.name}; known: ${[...keys].join(', ')}`, ctx.msgtype, ctx.name);
        }
        encodeFields(out, fd.fields!, v, ctx, fd.childPrefix);
        break;
      }
      case K_UNION: {
        const which = unionPick(fd, obj, ctx, prefix);
        // keys that belong only to the other view are an error
        const other = fd.variants![1 - which];
        const mine = fd.variants![which].fields;
        for (const x of other.fields) {
          if (obj[x.name] !== undefined && !mine.some((m) => m.name === x.name)) {
            bad(prefix + x.name, x.offset, `field '${prefix + x.name}' belongs to the '${other.name}' view of the union at offset ${fd.offset}, but the '${fd.variants![which].name}' view is selected`, ctx.msgtype, ctx.name);
          }
        }
        encodeFields(out, fd.variants![which].fields, obj, ctx, prefix);
        break;
      }
      case K_U64ARR: {
        // Field paths are built only for an error (pfn lists are long; the data path encodes many).
        const v = (obj[fd.name] ?? []) as unknown[];
        let p = o;
        for (let i = 0; i < v.length; i++, p += 8) {
          if (!putU64Fast(out, p, v[i])) putU64(out, p, v[i], `${path}[${i}]`, ctx);
        }
        break;
      }
      case K_RANGES: {
        const v = (obj[fd.name] ?? []) as Record<string, unknown>[];
        let p = o;
        for (let i = 0; i < v.length; i++) {
          const r = v[i];
          const bc = r.byte_count ?? 0;
          const bo = r.byte_offset ?? 0;
          put32(out, p, isU32(bc) ? bc : parseIntValue(bc, 0xffffffff, `${path}[${i}].byte_count`, p, ctx, false));
          put32(out, p + 4, isU32(bo) ? bo : parseIntValue(bo, 0xffffffff, `${path}[${i}].byte_offset`, p + 4, ctx, false));
          p += 8;
          const pfns = (r.pfn_array ?? []) as unknown[];
          for (let j = 0; j < pfns.length; j++, p += 8) {
            if (!putU64Fast(out, p, pfns[j])) putU64(out, p, pfns[j], `${path}[${i}].pfn_array[${j}]`, ctx);
          }
        }
        break;
      }
    }
  }
}

function resolveMsgtype(v: unknown): MessageLayout | undefined {
  if (typeof v === 'string') {
    const t = v.trim();
    const byName = LAYOUT_BY_NAME.get(t) ?? LAYOUT_BY_NAME.get(t.toUpperCase()) ?? LAYOUT_BY_NAME.get('CHANNELMSG_' + t.toUpperCase());
    if (byName) return byName;
    if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) return MESSAGE_LAYOUTS[Number(t)];
    return undefined;
  }
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < MESSAGE_LAYOUTS.length) return MESSAGE_LAYOUTS[v];
  return undefined;
}

/**
 * Encodes the JSON form (see docs/json-form.md) to channel message bytes. Omitted fields are zero;
 * for GPADL_HEADER an omitted range_buflen / rangecount is computed from `range`.
 * The form (e.g. VersionResponse2) is the smallest one that has every key given.
 */
export function encodeMessage(json: Record<string, unknown>): EncodeResult {
  if (!isPlainObject(json)) return fail('bad-json', 'a channel message must be a JSON object with a "msgtype" key');
  const layout = resolveMsgtype(json.msgtype);
  if (layout === undefined) {
    if (json.msgtype === undefined) return fail('bad-field', 'missing "msgtype" (e.g. "CHANNELMSG_OFFERCHANNEL")', { field: 'msgtype' });
    return fail('unknown-msgtype', `unknown msgtype ${JSON.stringify(json.msgtype)}; expected a CHANNELMSG_* name`, { field: 'msgtype' });
  }
  const ctx: EncCtx = { msgtype: layout.msgtype, name: layout.name };
  const keys = Object.keys(json).filter((k) => json[k] !== undefined);
  // The form depends only on the set of keys given: remember it per layout and key list.
  let cache = FORM_CACHE.get(layout);
  if (cache === undefined) FORM_CACHE.set(layout, (cache = new Map()));
  const sig = keys.join(',');
  let form: MessageForm | undefined = cache.get(sig);
  if (form === undefined) {
    for (const fm of layout.forms) {
      const fk = FORM_KEYS.get(fm)!;
      if (keys.every((k) => fk.has(k))) { form = fm; break; }
    }
    if (form !== undefined && cache.size < 256) cache.set(sig, form);
  }
  if (form === undefined) {
    const all = FORM_KEYS.get(layout.forms[layout.forms.length - 1])!;
    const unknown = keys.find((k) => !all.has(k)) ?? keys.find((k) => !FORM_KEYS.get(layout.forms[0])!.has(k))!;
    const known = [...new Set(layout.forms.flatMap((fm) => [...FORM_KEYS.get(fm)!]))].filter((k) => k !== 'msgtype');
    return fail('bad-field', `unknown field '${unknown}' for ${layout.name}; known fields: ${known.join(', ')}`, { field: unknown, msgtype: layout.msgtype, msgtypeName: layout.name });
  }
  try {
    let obj = json;
    let tail = 0;
    for (const fd of form.fields) {
      if (fd.k === K_U64ARR || fd.k === K_RANGES) tail += tailLength(fd, obj, ctx);
    }
    if (layout.name === 'CHANNELMSG_GPADL_HEADER') {
      const ranges = (obj.range ?? []) as unknown[];
      if (obj.range_buflen === undefined || obj.rangecount === undefined) {
        obj = { ...obj };
        if (obj.range_buflen === undefined) obj.range_buflen = tail;
        if (obj.rangecount === undefined) obj.rangecount = ranges.length;
      }
    }
    let trailing: Uint8Array = EMPTY;
    if (obj.trailing !== undefined) trailing = parseBytesValue(obj.trailing, 1 << 16, 'trailing', form.size + tail, ctx);
    const size = form.size + tail + trailing.length;
    if (size > MAX_CHANNEL_MESSAGE_SIZE) {
      return fail('too-large', `${layout.name} would be ${size} bytes; a channel message holds at most ${MAX_CHANNEL_MESSAGE_SIZE}`, { msgtype: layout.msgtype, msgtypeName: layout.name, offset: MAX_CHANNEL_MESSAGE_SIZE });
    }
    const out = new Uint8Array(size);
    put32(out, 0, layout.msgtype);
    encodeFields(out, form.fields, obj, ctx, '');
    if (trailing.length) out.set(trailing, form.size + tail);
    return { ok: true, bytes: out };
  } catch (e) {
    if (e instanceof EncodeError) return { ok: false, error: e.error } as Err;
    throw e;
  }
}
