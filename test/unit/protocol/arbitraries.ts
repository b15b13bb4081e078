// fast-check generators of the canonical JSON form, derived from the layout tables (so every
// message type and form is covered). Shared by the property tests and the CLI tests.
import * as fc from 'fast-check';
import { MESSAGE_LAYOUTS, pagesSpanned, type FieldDef, type MessageForm, type MessageLayout } from '../../../src/simulator/protocol/index';

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const hexOf = (b: Uint8Array) => Array.from(b, hex2).join('');
const trimZeros = (b: Uint8Array) => { let e = b.length; while (e > 0 && b[e - 1] === 0) e--; return b.subarray(0, e); };

const u64Arb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => '0x' + v.toString(16));
const guidArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const s = hexOf(b);
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
});

type Rec = Record<string, unknown>;
const OMIT = Symbol('omit');

function fieldArb(fd: FieldDef): fc.Arbitrary<unknown> {
  const max = fd.bits ? fd.mask : fd.type === 'u8' ? 0xff : fd.type === 'u16' ? 0xffff : 0xffffffff;
  switch (fd.type) {
    case 'u8': case 'u16': case 'u32':
      return fd.reserved ? fc.oneof(fc.constant(OMIT), fc.integer({ min: 1, max })) : fc.integer({ min: 0, max });
    case 'u64':
      return fd.reserved ? fc.oneof(fc.constant(OMIT), fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }).map((v) => '0x' + v.toString(16))) : u64Arb;
    case 'guid':
      return guidArb;
    case 'bytes':
      return fc.oneof(fc.constant(new Uint8Array(fd.size)), fc.uint8Array({ minLength: fd.size, maxLength: fd.size }), fc.uint8Array({ minLength: 1, maxLength: Math.min(8, fd.size) }))
        .map((b) => { const h = hexOf(trimZeros(b)); return fd.reserved && h === '' ? OMIT : h; });
    case 'struct':
      return fieldsArb(fd.fields!);
    default:
      throw new Error(`no arbitrary for ${fd.type}`);
  }
}

/** Fixed (non-tail) fields, unions resolved by their selector. */
function fieldsArb(fields: FieldDef[]): fc.Arbitrary<Rec> {
  const plain = fields.filter((f) => f.type !== 'union' && f.type !== 'u64[]' && f.type !== 'gpa_range[]');
  const unions = fields.filter((f) => f.type === 'union');
  const base = fc.tuple(...plain.map(fieldArb));
  const unionArbs = unions.map((u) => fc.tuple(fieldsArb(u.variants![0].fields), fieldsArb(u.variants![1].fields)));
  return fc.tuple(base, fc.tuple(...unionArbs)).map(([vals, uvals]) => {
    const obj: Rec = {};
    // keep layout order: walk fields and insert
    let pi = 0, ui = 0;
    for (const f of fields) {
      if (f.type === 'union') {
        const sel = f.selector!;
        const sv = obj[sel.field] as number;
        const which = sel.test === 'ge' ? sv >= sel.value : (sv & sel.value) !== 0;
        Object.assign(obj, (uvals[ui++] as [Rec, Rec])[which ? 1 : 0]);
      } else if (f.type !== 'u64[]' && f.type !== 'gpa_range[]') {
        const v = vals[pi++];
        if (v !== OMIT) obj[f.name] = v;
      }
    }
    return obj;
  });
}

function rangeArb(last: boolean): fc.Arbitrary<Rec> {
  if (last) {
    return fc.record({ byte_count: fc.integer({ min: 0, max: 0xffffffff }), byte_offset: fc.integer({ min: 0, max: 0xffffffff }), pfn_array: fc.array(u64Arb, { maxLength: 6 }) }).map((r) => ({ ...r }));
  }
  return fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 4095 })).chain(([pages, off, slack]) => {
    const byteCount = pages === 0 ? 0 : Math.max(1, pages * 4096 - (off & 0xfff) - slack);
    const n = pagesSpanned(byteCount, off);
    return fc.array(u64Arb, { minLength: n, maxLength: n }).map((pfn_array) => ({ byte_count: byteCount, byte_offset: off, pfn_array }));
  });
}

/** Arbitrary of the canonical JSON of one form, plus whether to decode it with allowOpenVmm. */
export function formArb(layout: MessageLayout, form: MessageForm, withTrailing: boolean): fc.Arbitrary<Rec> {
  const fixed = fieldsArb(form.fields);
  const tailField = form.fields.find((f) => f.type === 'u64[]' || f.type === 'gpa_range[]');
  const isLargest = form === layout.forms[layout.forms.length - 1];
  const trailingOk = withTrailing && (!form.openVmmOnly || isLargest);
  const trailing = trailingOk
    ? fc.option(fc.uint8Array({ minLength: 1, maxLength: tailField ? 7 : 24 }).map(hexOf), { nil: undefined })
    : fc.constant(undefined);
  let tail: fc.Arbitrary<Rec> = fc.constant({});
  if (tailField?.type === 'u64[]') tail = fc.array(u64Arb, { maxLength: 28 }).map((a) => ({ [tailField.name]: a }));
  if (tailField?.type === 'gpa_range[]') {
    tail = fc.integer({ min: 0, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => rangeArb(i === n - 1))))
      .map((ranges) => ({ [tailField.name]: ranges, __rangecount: ranges.length }));
  }
  return fc.tuple(fixed, tail, trailing).map(([obj, t, tr]) => {
    const out: Rec = { msgtype: layout.name, ...obj };
    if (t.__rangecount !== undefined) out.rangecount = t.__rangecount;
    for (const [k, v] of Object.entries(t)) if (k !== '__rangecount') out[k] = v;
    if (tr !== undefined) out.trailing = tr;
    return out;
  }).filter((x) => approxSize(form, x) <= 240);
}

function approxSize(form: MessageForm, x: Rec): number {
  let n = form.size;
  if (Array.isArray(x.pfn)) n += 8 * x.pfn.length;
  if (Array.isArray(x.range)) for (const r of x.range as Rec[]) n += 8 + 8 * (r.pfn_array as unknown[]).length;
  if (typeof x.trailing === 'string') n += x.trailing.length / 2;
  return n;
}

export interface FormCase { layout: MessageLayout; form: MessageForm; allowOpenVmm: boolean }
export const ALL_FORMS: FormCase[] = MESSAGE_LAYOUTS.flatMap((layout) => layout.forms.map((form) => ({ layout, form, allowOpenVmm: form.openVmmOnly || layout.openVmmOnly })));
