// The assertions the integration suites use, without Node's assert module: the same suites run in
// the Node extension host and in the web worker extension host (VS Code for the Web), where there
// is no Node. Failures throw an Error named AssertionError with the message and both values.
export class AssertionError extends Error {
  override name = 'AssertionError';
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}

function failWith(message: string | undefined, fallback: string): never {
  throw new AssertionError(message ? `${message}\n  ${fallback}` : fallback);
}

export function ok(value: unknown, message?: string): asserts value {
  if (!value) failWith(message, `expected a truthy value, got ${show(value)}`);
}

export function fail(message?: string): never {
  throw new AssertionError(message ?? 'failed');
}

export function strictEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  if (!Object.is(actual, expected)) failWith(message, `expected ${show(expected)}, got ${show(actual)}`);
}

export function notStrictEqual(actual: unknown, expected: unknown, message?: string): void {
  if (Object.is(actual, expected)) failWith(message, `expected a value other than ${show(expected)}`);
}

export function match(actual: string, re: RegExp, message?: string): void {
  if (typeof actual !== 'string' || !re.test(actual)) failWith(message, `expected ${show(actual)} to match ${re}`);
}

export function doesNotMatch(actual: string, re: RegExp, message?: string): void {
  if (typeof actual !== 'string' || re.test(actual)) failWith(message, `expected ${show(actual)} not to match ${re}`);
}

/** Structural equality as Node's deepStrictEqual for the values tests compare: primitives (Object.is), arrays, plain objects, Maps, Sets, typed arrays, Dates. */
export function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    if (a.size !== m.size) return false;
    for (const [k, v] of a) if (!m.has(k) || !isDeepStrictEqual(v, m.get(k))) return false;
    return true;
  }
  if (a instanceof Set) {
    const s = b as Set<unknown>;
    return a.size === s.size && [...a].every((v) => s.has(v));
  }
  if (ArrayBuffer.isView(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && isDeepStrictEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function deepStrictEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  if (!isDeepStrictEqual(actual, expected)) failWith(message, `expected ${show(expected)}, got ${show(actual)}`);
}
