// vmbus-lab run FILE.vmbus... [--json] [--trace-cmd] [--junit FILE] [--seed N] [--design probe|cpuid] [--substeps] [--root DIR]
// Runs scenarios headless: prints the readable trace and the expectation results of each.
// Exit codes: 0 all expectations hold, 1 one failed, 2 an invalid file or bad arguments.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commands, type CliIo } from '../cli';
import type { ScenarioDiagnostic } from '../../simulator/scenario/index';
import { parseScenarioFile } from '../../node/loadScenario';
import { formatExpectations, traceLines, type ExpectationResult } from '../../simulator/scenario/report';
import { runScenario } from '../../simulator/engine/session';
import { toTraceCmd } from '../../simulator/trace/traceCmd';
import { runLogCommand } from './runLog';

const USAGE = `usage: vmbus-lab run FILE.vmbus... [--json] [--trace-cmd] [--junit FILE] [--seed N] [--design probe|cpuid] [--substeps] [--root DIR]
       vmbus-lab run --log LOG [--json] [--format F]   (a real trace-cmd text or dmesg as a trace)
  --json          print the trace events as JSON lines (one event per line) instead of the readable trace
  --trace-cmd     print the guest's hyperv:vmbus_* trace events in trace-cmd report layout instead
  --junit FILE    also write the expectation results as JUnit XML to FILE
  --seed N        override the scenario's seed
  --design D      override the discovery design: probe (try the paravisor, fall back) or cpuid (merged)
  --substeps      include register accesses and hypercalls in the readable trace
  --root DIR      includes must stay inside DIR (default: the current directory, or the file's folder)
Several files (vmbus-lab run examples/*.vmbus) run one after the other; --junit then writes one
testsuite per file.
Exit code: 0 when every expectation holds, 1 when one fails, 2 when a file is invalid.
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

async function runCommand(args: string[], io: CliIo): Promise<number> {
  // A real log instead of a scenario: its own command file (runLog.ts).
  if (args.some((a) => a === '--log' || a.startsWith('--log='))) return runLogCommand(args, io);
  const files: string[] = [];
  let json = false;
  let traceCmd = false;
  let substeps = false;
  let junit: string | undefined;
  let seed: number | undefined;
  let design: 'probe' | 'cpuid' | undefined;
  let root: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string | undefined => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i]);
    if (a === '--help' || a === '-h') { io.stdout(USAGE); return 0; }
    else if (a === '--json') json = true;
    else if (a === '--trace-cmd') traceCmd = true;
    else if (a === '--substeps') substeps = true;
    else if (a === '--junit' || a.startsWith('--junit=')) junit = value();
    else if (a === '--root' || a.startsWith('--root=')) root = value();
    else if (a === '--seed' || a.startsWith('--seed=')) {
      const v = value();
      const n = v !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) { io.stderr(`vmbus-lab run: --seed needs a number from 0 to 4294967295, not '${v ?? ''}'\n`); return 2; }
      seed = n;
    } else if (a === '--design' || a.startsWith('--design=')) {
      const v = value();
      if (v !== 'probe' && v !== 'cpuid') { io.stderr(`vmbus-lab run: --design is probe or cpuid, not '${v ?? ''}'\n`); return 2; }
      design = v;
    } else if (a.startsWith('-')) { io.stderr(`vmbus-lab run: unknown option '${a}'\n${USAGE}`); return 2; }
    else files.push(a);
    if ((a === '--junit' || a === '--root') && (args[i] === undefined)) { io.stderr(`vmbus-lab run: ${a} needs a value\n`); return 2; }
  }
  if (!files.length) { io.stderr(USAGE); return 2; }
  const suites: JunitSuite[] = [];
  const codes: number[] = [];
  for (const [n, file] of files.entries()) {
    if (files.length > 1 && !json && !traceCmd) io.stdout(`${n ? '\n' : ''}━━ ${file} ━━\n`);
    const r = await runOne(file, { json, traceCmd, substeps, seed, design, root }, io);
    codes.push(r.code);
    if (r.suite) suites.push(r.suite);
  }
  const worst = codes.includes(2) ? 2 : codes.includes(1) ? 1 : 0;
  if (files.length > 1) {
    const count = (c: number) => codes.filter((x) => x === c).length;
    const summary = `${files.length} scenarios: ${count(0)} passed, ${count(1)} failed, ${count(2)} invalid\n`;
    if (json || traceCmd) io.stderr(summary); else io.stdout('\n' + summary);
  }
  if (junit) {
    try {
      fs.writeFileSync(junit, junitXmlSuites(suites));
    } catch (e) {
      io.stderr(`vmbus-lab run: cannot write ${junit}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
      return 2;
    }
  }
  return worst;
}

/** Writes lines in chunks of about 64 KiB: a long run's trace is never held whole as text. */
function writeLines(io: CliIo, lines: Iterable<string>): void {
  let buf = '';
  for (const l of lines) {
    buf += l + '\n';
    if (buf.length >= 65536) { io.stdout(buf); buf = ''; }
  }
  if (buf) io.stdout(buf);
}

interface RunOptions {
  json: boolean;
  traceCmd: boolean;
  substeps: boolean;
  seed: number | undefined;
  design: 'probe' | 'cpuid' | undefined;
  root: string | undefined;
}

/** Runs one scenario file: exit code and, unless it could not be read, its JUnit suite. */
async function runOne(file: string, { json, traceCmd, substeps, seed, design, root }: RunOptions, io: CliIo): Promise<{ code: number; suite?: JunitSuite }> {
  const abs = path.resolve(file);
  const cwd = process.cwd();
  const workspaceRoot = path.resolve(root ?? (abs.startsWith(cwd + path.sep) ? cwd : path.dirname(abs)));
  const display = (f: string): string => {
    const rel = path.relative(cwd, f);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : f;
  };
  const loaded = await parseScenarioFile(abs, { workspaceRoot, seed, design });
  if (!loaded.ok) {
    io.stderr(`${file}: ${loaded.reason}\n`);
    return { code: 2, suite: { suite: file, file, results: [], error: loaded.reason } };
  }
  const parsed = loaded.parsed;
  for (const d of parsed.diagnostics) io.stderr(formatDiagnostic(d, display) + '\n');
  if (!parsed.config) {
    const n = parsed.diagnostics.filter((d) => d.severity === 'error').length;
    const msg = `${display(abs)} is not a valid scenario (${n} error${n === 1 ? '' : 's'})`;
    io.stderr(`vmbus-lab run: ${msg}\n`);
    const first = parsed.diagnostics.find((d) => d.severity === 'error');
    return { code: 2, suite: { suite: display(abs), file: display(abs), results: [], error: first ? formatDiagnostic(first, display) : msg } };
  }
  const started = Date.now();
  const result = runScenario(parsed.config, { seed, design });
  const elapsed = (Date.now() - started) / 1000;
  const results: ExpectationResult[] = result.expectationResults.map((r) => ({ ...r }));
  if (json) {
    writeLines(io, (function* () { for (const e of result.events) yield JSON.stringify(e); })());
  } else if (traceCmd) {
    io.stdout(toTraceCmd(result.events));
  } else {
    io.stdout(`scenario: ${parsed.config.name} (${display(abs)}, seed ${parsed.config.seed}, design ${parsed.config.platform.design})\n`);
    writeLines(io, traceLines(result.events, { substeps }));
    io.stdout('\n');
    io.stdout(formatExpectations(results, display).join('\n') + '\n');
  }
  if (json || traceCmd) {
    const failed = results.filter((r) => !r.ok);
    for (const r of failed) io.stderr(`FAIL ${r.source ? display(r.source.file) + ':' + (r.source.line + 1) + ': ' : ''}${r.text}${r.detail ? ` (${r.detail})` : ''}\n`);
  }
  return { code: results.every((r) => r.ok) ? 0 : 1, suite: { suite: parsed.config.name, file: display(abs), results, timeSeconds: elapsed } };
}

commands.set('run', { summary: 'run a .vmbus scenario headless (trace + expectation results)', handler: runCommand });
