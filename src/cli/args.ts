// Strict option parsing shared by the subcommands: Node's util.parseArgs (strict), its errors
// turned into one `vmbus-lab CMD: ...` line on stderr and exit code 2, and the value checks the
// commands have in common (a number in a range, one of a few words, a non-empty value).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from './cli';

/** What parseArgs returns for this config. */
export type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * parseArgs, strict (the config says `strict: true`): an unknown option, an option without its value (or with a value it
 * does not take) and, unless allowPositionals, a bare argument are errors. On an error writes
 * `vmbus-lab CMD: <parseArgs' message>` (it names the option or argument) followed by `hint`
 * (the usage, or a line saying what goes with what) and returns undefined: the caller exits 2.
 */
export function parseStrict<T extends ParseArgsConfig & { strict: true }>(cmd: string, config: T, io: CliIo, hint = ''): Parsed<T> | undefined {
  try {
    return parseArgs(config);
  } catch (e) {
    io.stderr(`vmbus-lab ${cmd}: ${e instanceof Error ? e.message : String(e)}\n${hint}`);
    return undefined;
  }
}

/** A non-negative integer option (decimal or 0x hex) from min to max, or the error text naming option and value. */
export function intOption(name: string, v: string | undefined, min: number, max: number): number | string {
  const n = v !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) return `--${name} needs a number from ${min} to ${max}, not '${v ?? ''}'`;
  return n;
}

/** The seed of a run: 0 to 2^32-1. */
export const seedOption = (v: string | undefined): number | string => intOption('seed', v, 0, 0xffffffff);

/** One of a few words, or the error text naming option and value (`--design is probe or cpuid, not 'x'`). */
export function wordOption<W extends string>(name: string, v: string, words: readonly W[]): W | { error: string } {
  if ((words as readonly string[]).includes(v)) return v as W;
  const list = words.length === 2 ? `${words[0]} or ${words[1]}` : `one of ${words.join(', ')}`;
  return { error: `--${name} is ${list}, not '${v}'` };
}
