// A small, safe expression language for breakpoint conditions and log points, evaluated against
// one trace event. Parsed here by hand (no eval, no Function): a tokenizer, a recursive-descent
// parser producing a tiny AST, and an interpreter over plain values.
//
// Grammar (lowest precedence first):
//   expr    := or
//   or      := and ( ('||' | 'or') and )*
//   and     := not ( ('&&' | 'and') not )*
//   not     := ('!' | 'not') not | cmp
//   cmp     := bitand ( ('==' | '!=' | '<' | '<=' | '>' | '>=' | '~') bitand )?
//   bitand  := primary ( '&' primary )*
//   primary := number | string | 'true' | 'false' | ident ('.' ident)* | '(' expr ')'
//
// Identifiers name fields of the current event (see resolveName). An identifier that names no
// field and is written in capitals (CHANNELMSG_OPENCHANNEL, HV_STATUS_SUCCESS) stands for itself,
// so `msgtype == CHANNELMSG_OPENCHANNEL` needs no quotes. `~` is "contains" (case-insensitive).
import type { TraceEvent } from '../../simulator';

export type Value = number | bigint | string | boolean | undefined | null;

type Node =
  | { t: 'lit'; v: Value }
  | { t: 'name'; path: string[] }
  | { t: 'not'; e: Node }
  | { t: 'bin'; op: string; l: Node; r: Node };

interface Token {
  kind: 'num' | 'str' | 'ident' | 'op' | 'end';
  text: string;
  pos: number;
}

export class ConditionError extends Error {
  constructor(message: string, readonly pos: number) {
    super(message);
  }
}

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '&', '~', '=', '.'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(0x[0-9a-fA-F_]+|[0-9][0-9_]*)/.exec(src.slice(i));
      if (!m) throw new ConditionError(`bad number at ${i + 1}`, i);
      out.push({ kind: 'num', text: m[0].replace(/_/g, ''), pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new ConditionError(`unterminated string at ${i + 1}`, i);
      out.push({ kind: 'str', text: s, pos: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: 'ident', text: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ConditionError(`unexpected '${c}' at ${i + 1}`, i);
    out.push({ kind: 'op', text: op === '=' ? '==' : op, pos: i });
    i += op.length;
  }
  out.push({ kind: 'end', text: '', pos: src.length });
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i];
  }
  private next(): Token {
    return this.toks[this.i++];
  }
  private isOp(...ops: string[]): boolean {
    const t = this.peek();
    return t.kind === 'op' && ops.includes(t.text);
  }
  private isWord(...words: string[]): boolean {
    const t = this.peek();
    return t.kind === 'ident' && words.includes(t.text.toLowerCase());
  }

  parse(): Node {
    const e = this.or();
    const t = this.peek();
    if (t.kind !== 'end') throw new ConditionError(`unexpected '${t.text}' at ${t.pos + 1}`, t.pos);
    return e;
  }
  private or(): Node {
    let l = this.and();
    while (this.isOp('||') || this.isWord('or')) {
      this.next();
      l = { t: 'bin', op: '||', l, r: this.and() };
    }
    return l;
  }
  private and(): Node {
    let l = this.not();
    while (this.isOp('&&') || this.isWord('and')) {
      this.next();
      l = { t: 'bin', op: '&&', l, r: this.not() };
    }
    return l;
  }
  private not(): Node {
    if (this.isOp('!') || this.isWord('not')) {
      this.next();
      return { t: 'not', e: this.not() };
    }
    return this.cmp();
  }
  private cmp(): Node {
    const l = this.bitand();
    if (this.isOp('==', '!=', '<', '<=', '>', '>=', '~')) {
      const op = this.next().text;
      return { t: 'bin', op, l, r: this.bitand() };
    }
    return l;
  }
  private bitand(): Node {
    let l = this.primary();
    while (this.isOp('&')) {
      this.next();
      l = { t: 'bin', op: '&', l, r: this.primary() };
    }
    return l;
  }
  private primary(): Node {
    const t = this.next();
    if (t.kind === 'num') return { t: 'lit', v: toNumber(t.text) };
    if (t.kind === 'str') return { t: 'lit', v: t.text };
    if (t.kind === 'ident') {
      const low = t.text.toLowerCase();
      if (low === 'true') return { t: 'lit', v: true };
      if (low === 'false') return { t: 'lit', v: false };
      if (low === 'null') return { t: 'lit', v: null };
      const path = [t.text];
      while (this.isOp('.')) {
        this.next();
        const n = this.next();
        if (n.kind !== 'ident' && n.kind !== 'num') throw new ConditionError(`expected a field name at ${n.pos + 1}`, n.pos);
        path.push(n.text);
      }
      return { t: 'name', path };
    }
    if (t.kind === 'op' && t.text === '(') {
      const e = this.or();
      const c = this.next();
      if (c.kind !== 'op' || c.text !== ')') throw new ConditionError(`expected ')' at ${c.pos + 1}`, c.pos);
      return e;
    }
    if (t.kind === 'end') throw new ConditionError('expression ends too early', t.pos);
    throw new ConditionError(`unexpected '${t.text}' at ${t.pos + 1}`, t.pos);
  }
}

function toNumber(text: string): number | bigint {
  const b = BigInt(text);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** A compiled condition: call it with an event (and optional extra names) to get its truth. */
export interface Condition {
  readonly source: string;
  test(event: TraceEvent, extra?: Record<string, Value>): boolean;
  value(event: TraceEvent, extra?: Record<string, Value>): Value;
}

export function compileCondition(source: string): Condition {
  const ast = new Parser(tokenize(source)).parse();
  return {
    source,
    test: (event, extra) => truthy(evaluate(ast, event, extra ?? {})),
    value: (event, extra) => evaluate(ast, event, extra ?? {}),
  };
}

/** Short names accepted for event fields, mapped to where they live. */
const ALIASES: Record<string, string> = {
  type: 'msgtype',
  message: 'msgtype',
  connection_id: 'connectionId',
  connectionid: 'connectionId',
  child_relid: 'relid',
  reg: 'register',
  sint: 'sint',
};

/** Own properties only: names never reach prototypes (constructor, __proto__, ...). */
function has(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** Resolve a (possibly dotted) name against an event. */
export function resolveName(event: TraceEvent, path: string[], extra: Record<string, Value> = {}): { found: boolean; value: Value } {
  const [head, ...rest] = path;
  const rec = event as unknown as Record<string, unknown>;
  let base: unknown;
  let found = false;
  if (has(extra, head)) {
    base = extra[head];
    found = true;
  } else if (head === 'phase' && rest.length === 0) {
    base = event.phase[event.phase.length - 1];
    found = true;
  } else if (head === 'phases') {
    base = event.phase.join(' > ');
    found = true;
  } else if (head === 'line' && rest.length === 0) {
    base = event.source ? event.source.line + 1 : undefined;
    found = true;
  } else {
    const key = ALIASES[head.toLowerCase()] ?? head;
    if (has(rec, key)) {
      base = rec[key];
      found = true;
    } else {
      // Decoded message fields (Linux names) and decoded register fields.
      const decoded = rec.decoded as Record<string, unknown> | undefined;
      const fields = rec.fields as Record<string, unknown> | undefined;
      if (decoded && typeof decoded === 'object' && has(decoded, head)) {
        base = decoded[head];
        found = true;
      } else if (fields && typeof fields === 'object' && has(fields, head)) {
        base = fields[head];
        found = true;
      } else if (decoded && typeof decoded === 'object') {
        // Nested structs in the decoded form (offer.child_relid style), searched one level down.
        for (const v of Object.values(decoded)) {
          if (v && typeof v === 'object' && has(v, head)) {
            base = (v as Record<string, unknown>)[head];
            found = true;
            break;
          }
        }
      }
    }
  }
  for (const p of rest) {
    if (base && typeof base === 'object' && has(base, p)) {
      base = (base as Record<string, unknown>)[p];
    } else {
      return { found: false, value: undefined };
    }
  }
  if (!found) return { found: false, value: undefined };
  return { found: true, value: toValue(base) };
}

function toValue(v: unknown): Value {
  if (v === undefined || v === null) return v as Value;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

function evaluate(n: Node, e: TraceEvent, extra: Record<string, Value>): Value {
  switch (n.t) {
    case 'lit':
      return n.v;
    case 'name': {
      const r = resolveName(e, n.path, extra);
      if (r.found) return r.value;
      // Unknown capitalised words are constants: CHANNELMSG_OFFERCHANNEL, HV_STATUS_SUCCESS, SINT2.
      if (n.path.length === 1 && /^[A-Z][A-Z0-9_]*$/.test(n.path[0])) return n.path[0];
      return undefined;
    }
    case 'not':
      return !truthy(evaluate(n.e, e, extra));
    case 'bin': {
      if (n.op === '&&') return truthy(evaluate(n.l, e, extra)) && truthy(evaluate(n.r, e, extra));
      if (n.op === '||') return truthy(evaluate(n.l, e, extra)) || truthy(evaluate(n.r, e, extra));
      const l = evaluate(n.l, e, extra);
      const r = evaluate(n.r, e, extra);
      switch (n.op) {
        case '==':
          return equals(l, r);
        case '!=':
          return !equals(l, r);
        case '~':
          return l !== undefined && l !== null && r !== undefined && r !== null && String(l).toLowerCase().includes(String(r).toLowerCase());
        case '&': {
          const a = asBig(l);
          const b = asBig(r);
          if (a === undefined || b === undefined) return undefined;
          return toNumber((a & b).toString());
        }
        default: {
          const a = asBig(l);
          const b = asBig(r);
          if (a !== undefined && b !== undefined) {
            return n.op === '<' ? a < b : n.op === '<=' ? a <= b : n.op === '>' ? a > b : a >= b;
          }
          if (typeof l === 'string' && typeof r === 'string') {
            return n.op === '<' ? l < r : n.op === '<=' ? l <= r : n.op === '>' ? l > r : l >= r;
          }
          return false;
        }
      }
    }
  }
}

function asBig(v: Value): bigint | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : undefined;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(v.trim())) return BigInt(v.trim());
  return undefined;
}

function equals(l: Value, r: Value): boolean {
  if (l === undefined || l === null || r === undefined || r === null) return (l ?? null) === (r ?? null);
  const a = asBig(l);
  const b = asBig(r);
  if (a !== undefined && b !== undefined && (typeof l !== 'string' || typeof r !== 'string')) return a === b;
  if (typeof l === 'string' && typeof r === 'string') {
    if (l === r) return true;
    // Message names may be written with or without the CHANNELMSG_ prefix.
    const strip = (s: string) => s.replace(/^CHANNELMSG_/i, '').toUpperCase();
    if (/^(CHANNELMSG_)?[A-Z0-9_]+$/i.test(l) && /^(CHANNELMSG_)?[A-Z0-9_]+$/i.test(r)) return strip(l) === strip(r);
    return false;
  }
  return String(l) === String(r);
}

function truthy(v: Value): boolean {
  if (typeof v === 'bigint') return v !== 0n;
  return !!v;
}

/** A hit-count condition: "5" (from the 5th hit on), "== 5", "> 5", ">= 5", "< 5", "<= 5", "% 5". */
export interface HitCondition {
  readonly source: string;
  test(hits: number): boolean;
}

export function compileHitCondition(source: string): HitCondition {
  const m = /^\s*(==|=|>=|>|<=|<|%)?\s*(\d+)\s*$/.exec(source);
  if (!m) throw new ConditionError(`hit count must look like 5, == 5, > 5, >= 5, < 5, <= 5 or % 5`, 0);
  const op = m[1] ?? '>=';
  const n = Number(m[2]);
  const test = (hits: number): boolean => {
    switch (op) {
      case '==':
      case '=':
        return hits === n;
      case '>':
        return hits > n;
      case '<':
        return hits < n;
      case '<=':
        return hits <= n;
      case '%':
        return n > 0 && hits % n === 0;
      default:
        return hits >= n;
    }
  };
  return { source, test };
}

/** Expand {expr} placeholders of a log point message against an event. */
export function formatLogMessage(template: string, event: TraceEvent): string {
  return template.replace(/\{([^{}]+)\}/g, (_m, expr: string) => {
    try {
      const v = compileCondition(expr).value(event);
      return v === undefined ? '<undefined>' : String(v);
    } catch (err) {
      return `<${(err as Error).message}>`;
    }
  });
}
