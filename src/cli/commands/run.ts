// vmbus-lab run FILE.vmbus... [--json] [--trace-cmd] [--junit FILE] [--seed N] [--design probe|cpuid] [--substeps] [--root DIR]
// Runs scenarios headless: prints the readable trace and the expectation results of each.
// Exit codes: 0 all expectations hold, 1 one failed, 2 an invalid file, a budget or bad arguments,
// 3 the simulator failed on a file (the batch goes on).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { commands, type CliIo } from '../cli';
import {
  type ScenarioDiagnostic, formatExpectations, traceLines, type ExpectationResult, runScenario, DEFAULT_MAX_EVENTS, DEFAULT_SCENARIO_BUDGET, toTraceCmd,
} from '../../simulator';
import { parseScenarioFile } from '../../node/loadScenario';
import { runLogCommand } from './runLog';
import { intOption } from '../args';
import { EXPORT_FLAGS, runExportCommand } from './runExport';

/** Default bytes of trace output per run (a 27-line scenario can ask for gigabytes). */
export const DEFAULT_MAX_OUTPUT = 256 * 1024 * 1024;
const MAX_PRINTED_DIAGNOSTICS = 100;

const USAGE = `usage: vmbus-lab run FILE.vmbus... [--json] [--trace-cmd] [--junit FILE] [--seed N] [--design probe|cpuid] [--substeps] [--root DIR]
       vmbus-lab run --log LOG [--json] [--format F]   (a real trace-cmd text or dmesg as a trace)
       vmbus-lab run FILE.vmbus --lsvmbus | --dmesg | --sysfs DIR [--seed N] [--design D]   (the run as lsvmbus -vv, dmesg, a sysfs tree)
  --json            print the trace events as JSON lines (one event per line) instead of the readable trace
  --trace-cmd       print the guest's hyperv:vmbus_* trace events in trace-cmd report layout instead
  --junit FILE      also write the expectation results as JUnit XML to FILE (never a .vmbus file or an input)
  --seed N          override the scenario's seed
  --design D        override the discovery design: probe (try the paravisor, fall back) or cpuid (merged)
  --substeps        include register accesses and hypercalls in the readable trace
  --root DIR        includes must stay inside DIR (default: the current directory, or the file's folder)
  --max-events N    events budget of each run (default ${DEFAULT_MAX_EVENTS})
  --max-output N    bytes of trace output of each run (default ${DEFAULT_MAX_OUTPUT}); 0 = unlimited
  --max-bytes N     bytes of one scenario file, includes too (default ${DEFAULT_SCENARIO_BUDGET.maxFileBytes})
Several files (vmbus-lab run examples/*.vmbus) run one after the other; --junit then writes one
testsuite per file.
Exit code: 0 when every expectation holds, 1 when one fails, 2 when a file is invalid, exceeds a
budget or the arguments are wrong, 3 when the simulator failed on a file (reported, the batch goes on).
`;

export function formatDiagnostic(d: ScenarioDiagnostic, display: (f: string) => string): string {
  return `${display(d.file)}:${d.range.line + 1}:${d.range.column + 1}: ${d.severity}: ${d.message}`;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

export function junitXml(suite: string, file: string, results: readonly ExpectationResult[], timeSeconds = 0): string {
  return junitXmlSuites([{ suite, file, results, timeSeconds }]);
}

export interface JunitSuite { suite: string; file: string; results: readonly ExpectationResult[]; timeSeconds?: number; error?: string }

/** One JUnit document with a testsuite per scenario file; `error` marks a file that did not parse. */
export function junitXmlSuites(suites: readonly JunitSuite[]): string {
  let tests = 0, failures = 0, errors = 0;
  const parts = suites.map(({ suite, file, results, timeSeconds = 0, error }) => {
    if (error !== undefined) {
      tests++;
      errors++;
      return `  <testsuite name="${xmlEscape(suite)}" tests="1" failures="0" errors="1" time="0.000">\n    <testcase classname="${xmlEscape(file)}" name="parse" time="0">\n      <error message="${xmlEscape(error)}">${xmlEscape(error)}</error>\n    </testcase>\n  </testsuite>`;
    }
    const failed = results.filter((r) => !r.ok).length;
    tests += results.length;
    failures += failed;
    const cases = results.map((r) => {
      const name = xmlEscape(r.source ? `line ${r.source.line + 1}: ${r.text}` : r.text);
      const body = r.ok ? '' : `\n      <failure message="${xmlEscape(r.detail ?? 'expectation failed')}">${xmlEscape(`${r.text}${r.detail ? '\n' + r.detail : ''}`)}</failure>\n    `;
      return `    <testcase classname="${xmlEscape(file)}" name="${name}" time="0">${body}</testcase>`;
    });
    return `  <testsuite name="${xmlEscape(suite)}" tests="${results.length}" failures="${failed}" errors="0" time="${timeSeconds.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="${tests}" failures="${failures}"${errors ? ` errors="${errors}"` : ''}>\n${parts.join('\n')}\n</testsuites>\n`;
}

const RUN_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'trace-cmd': { type: 'boolean' },
  substeps: { type: 'boolean' },
  junit: { type: 'string' },
  root: { type: 'string' },
  seed: { type: 'string' },
  design: { type: 'string' },
  'max-events': { type: 'string' },
  'max-output': { type: 'string' },
  'max-bytes': { type: 'string' },
} as const;

/** Refuses a --junit path that would destroy a scenario or an input of the run. */
function junitTargetProblem(junit: string, inputs: readonly string[]): string | undefined {
  if (/\.vmbus$/i.test(junit)) return `--junit ${junit}: refusing to write a report over a .vmbus file (did you mean --junit REPORT.xml ${junit}?)`;
  const target = path.resolve(junit);
  let real: string | undefined;
  try { real = fs.realpathSync(target); } catch { real = undefined; }
  for (const f of inputs) {
    const abs = path.resolve(f);
    let r: string | undefined;
    try { r = fs.realpathSync(abs); } catch { r = undefined; }
    if (abs === target || (real !== undefined && r === real)) return `--junit ${junit}: refusing to overwrite ${f}, an input of this run`;
  }
  try {
    if (real !== undefined && !fs.statSync(real).isFile()) return `--junit ${junit}: not a regular file`;
  } catch { /* does not exist yet */ }
  return undefined;
}

/** Writes the report atomically: a temporary file beside it, then a rename. */
function writeAtomically(file: string, text: string): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to remove */ }
    throw e;
  }
}

async function runCommand(args: string[], io: CliIo): Promise<number> {
  // A real log instead of a scenario: its own command file (runLog.ts).
  if (args.some((a) => a === '--log' || a.startsWith('--log='))) return runLogCommand(args, io, USAGE);
  // The real tools' formats of a run: their own command file (runExport.ts).
  if (args.some((a) => EXPORT_FLAGS.includes(a.replace(/=.*$/, '')))) return runExportCommand(args, io, USAGE);
  let parsedArgs;
  try {
    parsedArgs = parseArgs({ args, options: RUN_OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    io.stderr(`vmbus-lab run: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals: files } = parsedArgs;
  if (v.help) { io.stdout(USAGE); return 0; }
  const fail = (msg: string): number => { io.stderr(`vmbus-lab run: ${msg}\n`); return 2; };
  let seed: number | undefined;
  if (v.seed !== undefined) { const n = intOption('seed', v.seed, 0, 0xffffffff); if (typeof n === 'string') return fail(n); seed = n; }
  if (v.design !== undefined && v.design !== 'probe' && v.design !== 'cpuid') return fail(`--design is probe or cpuid, not '${v.design}'`);
  const design = v.design as 'probe' | 'cpuid' | undefined;
  const budgets = { maxEvents: DEFAULT_MAX_EVENTS, maxOutput: DEFAULT_MAX_OUTPUT, maxBytes: DEFAULT_SCENARIO_BUDGET.maxFileBytes };
  for (const [opt, key] of [['max-events', 'maxEvents'], ['max-output', 'maxOutput'], ['max-bytes', 'maxBytes']] as const) {
    if (v[opt] === undefined) continue;
    const n = intOption(opt, v[opt], opt === 'max-output' ? 0 : 1, Number.MAX_SAFE_INTEGER);
    if (typeof n === 'string') return fail(n);
    budgets[key] = n;
  }
  for (const opt of ['junit', 'root'] as const) if (v[opt] === '') return fail(`--${opt} needs a value`);
  if (!files.length) { io.stderr(USAGE); return 2; }
  const junit = v.junit;
  if (junit !== undefined) {
    const problem = junitTargetProblem(junit, files);
    if (problem) return fail(problem);
  }
  const opts: RunOptions = { json: !!v.json, traceCmd: !!v['trace-cmd'], substeps: !!v.substeps, seed, design, root: v.root, ...budgets };
  const suites: JunitSuite[] = [];
  const codes: number[] = [];
  for (const [n, file] of files.entries()) {
    if (files.length > 1 && !opts.json && !opts.traceCmd) io.stdout(`${n ? '\n' : ''}━━ ${file} ━━\n`);
    let r: { code: number; suite?: JunitSuite };
    try {
      r = await runOne(file, opts, io);
    } catch (e) {
      // A failure of the simulator itself: this file's result, not the end of the batch.
      const msg = `internal error of the simulator: ${e instanceof Error ? e.message : String(e)}`;
      io.stderr(`${file}: ${msg} (please report it with the scenario)\n`);
      r = { code: 3, suite: { suite: file, file, results: [], error: msg } };
    }
    codes.push(r.code);
    if (r.suite) suites.push(r.suite);
  }
  const worst = codes.includes(3) ? 3 : codes.includes(2) ? 2 : codes.includes(1) ? 1 : 0;
  if (files.length > 1) {
    const count = (c: number) => codes.filter((x) => x === c).length;
    const summary = `${files.length} scenarios: ${count(0)} passed, ${count(1)} failed, ${count(2)} invalid${count(3) ? `, ${count(3)} internal errors` : ''}\n`;
    if (opts.json || opts.traceCmd) io.stderr(summary); else io.stdout('\n' + summary);
  }
  if (junit !== undefined) {
    try {
      writeAtomically(junit, junitXmlSuites(suites));
    } catch (e) {
      io.stderr(`vmbus-lab run: cannot write ${junit}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
      return Math.max(worst, 2);
    }
  }
  return worst;
}

/** Writes lines in chunks of about 64 KiB: a long run's trace is never held whole as text. */
function writeLines(io: CliIo, lines: Iterable<string>, maxOutput = 0): boolean {
  let buf = '';
  let written = 0;
  for (const l of lines) {
    buf += l + '\n';
    if (buf.length >= 65536) {
      const n = Buffer.byteLength(buf);
      if (maxOutput > 0 && written + n > maxOutput) return false;
      io.stdout(buf); written += n; buf = '';
    }
  }
  if (maxOutput > 0 && written + Buffer.byteLength(buf) > maxOutput) return false;
  if (buf) io.stdout(buf);
  return true;
}

interface RunOptions {
  maxEvents: number;
  maxOutput: number;
  maxBytes: number;
  json: boolean;
  traceCmd: boolean;
  substeps: boolean;
  seed: number | undefined;
  design: 'probe' | 'cpuid' | undefined;
  root: string | undefined;
}

/** Runs one scenario file: exit code and, unless it could not be read, its JUnit suite. */
async function runOne(file: string, { json, traceCmd, substeps, seed, design, root, maxEvents, maxOutput, maxBytes }: RunOptions, io: CliIo): Promise<{ code: number; suite?: JunitSuite }> {
  const abs = path.resolve(file);
  const cwd = process.cwd();
  const workspaceRoot = path.resolve(root ?? (abs.startsWith(cwd + path.sep) ? cwd : path.dirname(abs)));
  const display = (f: string): string => {
    const rel = path.relative(cwd, f);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : f;
  };
  const loaded = await parseScenarioFile(abs, { workspaceRoot, seed, design, budget: { maxFileBytes: maxBytes, maxTotalBytes: Math.max(maxBytes, DEFAULT_SCENARIO_BUDGET.maxTotalBytes) } });
  if (!loaded.ok) {
    io.stderr(`${file}: ${loaded.reason}\n`);
    return { code: 2, suite: { suite: file, file, results: [], error: loaded.reason } };
  }
  const parsed = loaded.parsed;
  // A hostile file can hold a diagnostic per byte: print the first ones and count the rest.
  for (const d of parsed.diagnostics.slice(0, MAX_PRINTED_DIAGNOSTICS)) io.stderr(formatDiagnostic(d, display) + '\n');
  if (parsed.diagnostics.length > MAX_PRINTED_DIAGNOSTICS) io.stderr(`${display(abs)}: ... and ${parsed.diagnostics.length - MAX_PRINTED_DIAGNOSTICS} more diagnostics\n`);
  if (!parsed.config) {
    const n = parsed.diagnostics.filter((d) => d.severity === 'error').length;
    const msg = `${display(abs)} is not a valid scenario (${n} error${n === 1 ? '' : 's'})`;
    io.stderr(`vmbus-lab run: ${msg}\n`);
    const first = parsed.diagnostics.find((d) => d.severity === 'error');
    return { code: 2, suite: { suite: display(abs), file: display(abs), results: [], error: first ? formatDiagnostic(first, display) : msg } };
  }
  const started = Date.now();
  const result = runScenario(parsed.config, { seed, design, maxEvents });
  const elapsed = (Date.now() - started) / 1000;
  const results: ExpectationResult[] = result.expectationResults.map((r) => ({ ...r }));
  let complete = true;
  if (json) {
    complete = writeLines(io, (function* () { for (const e of result.events) yield JSON.stringify(e); })(), maxOutput);
  } else if (traceCmd) {
    const text = toTraceCmd(result.events);
    complete = maxOutput === 0 || Buffer.byteLength(text) <= maxOutput;
    if (complete) io.stdout(text);
  } else {
    io.stdout(`scenario: ${parsed.config.name} (${display(abs)}, seed ${parsed.config.seed}, design ${parsed.config.platform.design})\n`);
    complete = writeLines(io, traceLines(result.events, { substeps }), maxOutput);
    io.stdout('\n');
    if (!result.budget) io.stdout(formatExpectations(results, display).join('\n') + '\n');
  }
  const budget = result.budget ?? (complete ? undefined : `the trace output exceeded the budget of ${maxOutput} bytes (raise it with --max-output, 0 = unlimited)`);
  if (budget) {
    io.stderr(`${display(abs)}: stopped: ${budget}\n`);
    return { code: 2, suite: { suite: parsed.config.name, file: display(abs), results: [], error: `stopped: ${budget}` } };
  }
  if (json || traceCmd) {
    const failed = results.filter((r) => !r.ok);
    for (const r of failed) io.stderr(`FAIL ${r.source ? display(r.source.file) + ':' + (r.source.line + 1) + ': ' : ''}${r.text}${r.detail ? ` (${r.detail})` : ''}\n`);
  }
  return { code: results.every((r) => r.ok) ? 0 : 1, suite: { suite: parsed.config.name, file: display(abs), results, timeSeconds: elapsed } };
}

commands.set('run', { summary: 'run a .vmbus scenario headless (trace + expectation results)', handler: runCommand });
