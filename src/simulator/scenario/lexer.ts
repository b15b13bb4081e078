// Lexer for .vmbus scenario files. Every token lives on one line; ranges are 0-based columns.
// The lexer never throws: characters it cannot place become 'error' tokens that the parser
// reports with their exact range.

export type TokenKind =
  | 'ident'
  | 'number'
  | 'version'
  | 'size'
  | 'guid'
  | 'string'
  | 'lbrace'
  | 'rbrace'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'equals'
  | 'comment'
  | 'newline'
  | 'error';

export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  col: number;
  endCol: number;
  /** number/size: the value; version: the u32 (major << 16 | minor). */
  value?: number;
  /** string: the unescaped contents; guid: the canonical lower-case form. */
  str?: string;
  /** error tokens and unterminated strings: why. */
  error?: string;
  /** What the word means, set by the parser (a TokenRole; typed loosely to keep the lexer standalone). */
  role?: unknown;
}

const SIZE_UNITS: Record<string, number> = {
  k: 1024, K: 1024, KB: 1024, KiB: 1024, kb: 1024, kib: 1024,
  m: 1024 * 1024, M: 1024 * 1024, MB: 1024 * 1024, MiB: 1024 * 1024, mb: 1024 * 1024, mib: 1024 * 1024,
};

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === 45;
}

const GUID_GROUPS = [8, 4, 4, 4, 12];
/** Slots of the per-file table of distinct words (a power of two); past half full, words are not shared. */
const WORD_SLOTS = 4096;

/** Length of a bare GUID starting at i (8-4-4-4-12 hex digits), or 0. */
export function guidLength(s: string, i: number): number {
  let p = i;
  for (let g = 0; g < GUID_GROUPS.length; g++) {
    for (let k = 0; k < GUID_GROUPS[g]; k++) {
      if (p >= s.length || !isHex(s.charCodeAt(p))) return 0;
      p++;
    }
    if (g < GUID_GROUPS.length - 1) {
      if (s.charCodeAt(p) !== 45) return 0;
      p++;
    }
  }
  if (p < s.length && isIdentPart(s.charCodeAt(p))) return 0;
  return p - i;
}

/** Tokenize a whole file. Lines end with \n, \r\n or \r; a final 'newline' token always closes the last line. */
export function lex(text: string): Token[] {
  // Sized up front from the text (scenario text averages more than 4 characters a token) and
  // trimmed at the end, so a large file's token list is not copied as it grows.
  const out: Token[] = text.length > 4096 ? new Array<Token>((text.length >> 2) + 16) : [];
  let count = 0;
  let line = 0;
  let lineStart = 0;
  let i = 0;
  const n = text.length;
  // Every token gets the same shape (monomorphic objects keep the parser fast); the optional
  // fields are arguments, not an object, so a token is the only allocation.
  const push = (kind: TokenKind, start: number, end: number, value?: number, str?: string, error?: string, word?: string): void => {
    out[count++] = {
      kind, text: word ?? text.slice(start, end), line, col: start - lineStart, endCol: end - lineStart,
      value, str, error, role: undefined,
    };
  };
  // A file repeats few distinct words (keywords, device names): tokens of the same word share
  // one string, found by its hash without slicing. The tokens outlive the parse (the editor keeps
  // them), and each string saved is one object less for the garbage collector to move.
  const words = new Array<string | undefined>(WORD_SLOTS);
  let distinct = 0;
  const word = (start: number, end: number, h: number): string => {
    if (distinct >= WORD_SLOTS / 2) return text.slice(start, end);
    const len = end - start;
    let slot = (h ^ (h >>> 15)) & (WORD_SLOTS - 1);
    for (let w = words[slot]; w !== undefined; w = words[slot]) {
      if (w.length === len && text.startsWith(w, start)) return w;
      slot = (slot + 1) & (WORD_SLOTS - 1);
    }
    distinct++;
    return (words[slot] = text.slice(start, end));
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      push('newline', i, i);
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      line++;
      lineStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 0xfeff) { i++; continue; }
    if (c === 35 /* # */) {
      let j = i;
      while (j < n && text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) j++;
      push('comment', i, j);
      i = j;
      continue;
    }
    if (c === 34 || c === 39) {
      // "..." or '...' with \ escapes, single line.
      let j = i + 1;
      let val = '';
      let closed = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 10 || d === 13) break;
        if (d === c) { closed = true; j++; break; }
        if (d === 92 && j + 1 < n && text.charCodeAt(j + 1) !== 10 && text.charCodeAt(j + 1) !== 13) {
          const e = text[j + 1];
          val += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
          continue;
        }
        val += text[j];
        j++;
      }
      push('string', i, j, undefined, val, closed ? undefined : 'this string is not closed before the end of the line');
      i = j;
      continue;
    }
    if (c === 123 /* { */) {
      // A braced GUID {xxxxxxxx-...}?
      const g = guidLength(text, i + 1);
      if (g && text.charCodeAt(i + 1 + g) === 125) {
        push('guid', i, i + g + 2, undefined, text.slice(i + 1, i + 1 + g).toLowerCase());
        i += g + 2;
        continue;
      }
      push('lbrace', i, i + 1);
      i++;
      continue;
    }
    if (c === 125) { push('rbrace', i, i + 1); i++; continue; }
    if (c === 40) { push('lparen', i, i + 1); i++; continue; }
    if (c === 41) { push('rparen', i, i + 1); i++; continue; }
    if (c === 44) { push('comma', i, i + 1); i++; continue; }
    if (c === 61) { push('equals', i, i + 1); i++; continue; }
    if (isHex(c)) {
      const g = guidLength(text, i);
      if (g) {
        push('guid', i, i + g, undefined, text.slice(i, i + g).toLowerCase());
        i += g;
        continue;
      }
    }
    if (isDigit(c)) {
      let j = i;
      let kind: TokenKind = 'number';
      let value = 0;
      if (c === 48 && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
        j = i + 2;
        while (j < n && isHex(text.charCodeAt(j))) j++;
        value = j > i + 2 ? parseInt(text.slice(i + 2, j), 16) : NaN;
      } else {
        while (j < n && isDigit(text.charCodeAt(j))) j++;
        value = parseInt(text.slice(i, j), 10);
        if (text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))) {
          const k0 = j + 1;
          let k = k0;
          while (k < n && isDigit(text.charCodeAt(k))) k++;
          kind = 'version';
          value = ((value & 0xffff) * 0x10000 + (parseInt(text.slice(k0, k), 10) & 0xffff)) >>> 0;
          j = k;
        } else {
          let k = j;
          while (k < n && isAlpha(text.charCodeAt(k))) k++;
          const unit = text.slice(j, k);
          if (unit && SIZE_UNITS[unit] !== undefined) {
            kind = 'size';
            value *= SIZE_UNITS[unit];
            j = k;
          }
        }
      }
      let k = j;
      while (k < n && isIdentPart(text.charCodeAt(k))) k++;
      if (k > j || Number.isNaN(value)) {
        push('error', i, k, undefined, undefined, `'${text.slice(i, k)}' is not a number, version, size or GUID`);
        i = k;
        continue;
      }
      push(kind, i, j, value);
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      let h = c;
      for (let d = 0; j < n && isIdentPart((d = text.charCodeAt(j))); j++) h = (Math.imul(h, 31) + d) | 0;
      push('ident', i, j, undefined, undefined, undefined, word(i, j, h));
      i = j;
      continue;
    }
    // Anything else: one error token per run of unknown characters.
    let j = i + 1;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 32 || d === 9 || d === 10 || d === 13 || d === 35 || isIdentPart(d) || '{}(),="\''.includes(text[j])) break;
      j++;
    }
    push('error', i, j, undefined, undefined, `unexpected character${j - i > 1 ? 's' : ''} '${text.slice(i, j)}'`);
    i = j;
  }
  push('newline', n, n);
  out.length = count;
  return out;
}
