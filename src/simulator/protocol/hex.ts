// Hex text <-> bytes, tolerant of the ways people paste dumps: "0a 0b", "0x0a,0x0b", "0a0b",
// newlines, tabs, "0A:0B", and hexdump-style offsets are NOT stripped (they would be ambiguous).
import type { ProtocolError } from './errors';

const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push(i.toString(16).padStart(2, '0'));
export { HEX_BYTE };

/** ASCII codes of each byte's two hex digits. */
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX_HI[i] = HEX_BYTE[i].charCodeAt(0);
  HEX_LO[i] = HEX_BYTE[i].charCodeAt(1);
}
const DECODER = typeof TextDecoder === 'function' ? new TextDecoder() : undefined;
let scratch = new Uint8Array(512);

/**
 * Lower case, no separators. Past a few bytes the digits are written as ASCII into a scratch
 * buffer and decoded in one go: the result is one flat string, where `s += digits` per byte would
 * build a chain of hundreds of cons-strings per message (kept alive in the trace until something
 * flattens it).
 */
/** A number as "0x…" hex, zero-padded to `width` digits. */
export function hexNum(n: number | bigint, width = 0): string {
  return '0x' + n.toString(16).padStart(width, '0');
}

export function toHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = end - start;
  if (n <= 6 || DECODER === undefined || start < 0 || end > bytes.length) {
    let s = '';
    for (let i = start; i < end; i++) s += HEX_BYTE[bytes[i]];
    return s;
  }
  const len = 2 * n;
  if (scratch.length < len) scratch = new Uint8Array(Math.max(len, 2 * scratch.length));
  const out = scratch;
  for (let i = 0, o = 0; i < n; i++, o += 2) {
    const b = bytes[start + i];
    out[o] = HEX_HI[b];
    out[o + 1] = HEX_LO[b];
  }
  return DECODER.decode(out.subarray(0, len));
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses hex text. Separators (whitespace, commas, colons, semicolons, dashes) split tokens;
 * each token may carry a 0x/0X prefix. A one-digit token ("5", "0x5") is one byte; otherwise a
 * token must have an even number of digits and is read as bytes in order ("0e000000" = 4 bytes).
 */
export function parseHex(text: string): { ok: true; bytes: Uint8Array } | { ok: false; error: ProtocolError } {
  if (typeof text !== 'string') {
    return { ok: false, error: { code: 'bad-hex', message: 'hex input must be a string' } };
  }
  const out: number[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    // separators
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 58 || c === 59 || c === 45) { i++; continue; }
    const tokStart = i;
    let j = i;
    if (c === 48 && j + 1 < n && (text.charCodeAt(j + 1) === 120 || text.charCodeAt(j + 1) === 88)) j += 2;
    const digitsStart = j;
    while (j < n && hexVal(text.charCodeAt(j)) >= 0) j++;
    const digits = j - digitsStart;
    // the token must end at a separator or the end of input
    if (j < n) {
      const e = text.charCodeAt(j);
      if (!(e === 32 || e === 9 || e === 10 || e === 13 || e === 44 || e === 58 || e === 59 || e === 45)) {
        return { ok: false, error: { code: 'bad-hex', message: `invalid hex character '${text[j]}' at position ${j}`, offset: j } };
      }
    }
    if (digits === 0) {
      return { ok: false, error: { code: 'bad-hex', message: `'0x' without hex digits at position ${tokStart}`, offset: tokStart } };
    }
    if (digits === 1) {
      out.push(hexVal(text.charCodeAt(digitsStart)));
    } else if (digits % 2 !== 0) {
      return { ok: false, error: { code: 'bad-hex', message: `odd number of hex digits (${digits}) in '${text.slice(tokStart, j)}' at position ${tokStart}`, offset: tokStart } };
    } else {
      for (let k = digitsStart; k < j; k += 2) out.push(hexVal(text.charCodeAt(k)) * 16 + hexVal(text.charCodeAt(k + 1)));
    }
    i = j;
  }
  if (out.length === 0) return { ok: false, error: { code: 'bad-hex', message: 'no hex bytes in input' } };
  return { ok: true, bytes: Uint8Array.from(out) };
}
