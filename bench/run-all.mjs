#!/usr/bin/env node
// npm run bench: runs every bench in turn (each in its own process, output shown as it comes),
// collects the figures they record (bench/record.ts), writes bench/results.json and prints one
// table at the end. A figure over its target is reported as "over" in the file and the table; the
// exit code is non-zero only when a bench could not run (crashed, exited non-zero, timed out).
//
//   npm run bench                 (builds and compiles first)
//   node bench/run-all.mjs [name ...]   only the named benches (names below), results.json untouched
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIGURES = join(ROOT, 'test-results', 'bench-figures.jsonl');
const RESULTS = join(ROOT, 'bench', 'results.json');

/** name, command (argv), time limit. The order puts the light, CPU-bound benches first. */
const BENCHES = [
  { name: 'protocol', argv: ['node', 'bench/protocol.mjs'], minutes: 3 },
  { name: 'engine', argv: ['node', '--expose-gc', 'out/bench/engine.js'], minutes: 5 },
  { name: 'scenario', argv: ['node', 'out/bench/scenario/run.js'], minutes: 3 },
  { name: 'completion', argv: ['node', 'out/bench/scenario/completion.js'], minutes: 3 },
  { name: 'step-latency', argv: ['node', 'out/bench/step-latency/run.js'], minutes: 5 },
  { name: 'views', argv: ['node', 'out/bench/views/bench.js'], minutes: 5 },
  { name: 'timeline', argv: ['node', 'bench/timeline/run.mjs'], minutes: 10 },
  { name: 'activation', argv: ['node', 'bench/activation/run.mjs'], minutes: 45 },
  { name: 'import', argv: ['node', 'out/bench/import/run.js'], minutes: 10 },
];

/** Figures that must appear; one a bench did not record shows as "not measured". */
const EXPECTED = [
  ['import.throughput', '`vmbus-lab import` of a 55 MB trace-cmd text', 'MB/s', '≥ 50 MB/s, peak memory ≤ 2 × the file', 'npm run bench:import'],
];

function runBench(b) {
  return new Promise((done) => {
    const t0 = Date.now();
    console.log(`\n━━ ${b.name}: ${b.argv.join(' ')}`);
    const child = spawn(b.argv[0], b.argv.slice(1), {
      cwd: ROOT, stdio: 'inherit', detached: true,
      env: { ...process.env, VMBUS_BENCH_FIGURES: FIGURES },
    });
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, b.minutes * 60_000);
    child.on('error', (e) => { clearTimeout(timer); done({ name: b.name, command: b.argv.join(' '), ok: false, why: e.message, seconds: (Date.now() - t0) / 1000 }); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ok = code === 0;
      done({
        name: b.name, command: b.argv.join(' '), ok, seconds: +((Date.now() - t0) / 1000).toFixed(1),
        ...(ok ? {} : { why: signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (over its ${b.minutes} min limit?)` : ''}` : `exit code ${code}` }),
      });
    });
  });
}

function status(f) {
  if (f.value === null || f.value === undefined || !f.target) return f.value === null || f.value === undefined ? 'not measured' : '-';
  const ok = f.target.bounds.every((b) => {
    const x = b.of === 'ratio' ? f.ratio : f.value;
    if (x === null || x === undefined) return false;
    return b.op === '<' ? x < b.limit : b.op === '<=' ? x <= b.limit : b.op === '>=' ? x >= b.limit : x > b.limit;
  });
  return ok ? 'pass' : 'over';
}

const num = (x) => (x === null || x === undefined ? '-' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const cell = (v, unit) => (v === null || v === undefined ? '-' : `${num(v)} ${unit}`.trim());

export function table(figures) {
  const rows = figures.map((f) => [
    f.title,
    cell(f.value, f.unit),
    f.baseline ? cell(f.baseline.value, f.baseline.unit) : '-',
    f.ratio === null || f.ratio === undefined ? '-' : `${num(f.ratio)}×`,
    f.target?.text ?? '-',
    f.status,
  ]);
  const head = ['figure', 'value', 'baseline (same run)', 'ratio', 'target', 'status'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main() {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) { console.error(`unknown bench ${unknown.join(', ')}; benches: ${BENCHES.map((b) => b.name).join(', ')}`); process.exit(2); }
  mkdirSync(dirname(FIGURES), { recursive: true });
  rmSync(FIGURES, { force: true });
  const started = new Date();
  const loadBefore = os.loadavg();
  const runs = [];
  for (const b of BENCHES) {
    if (only.length && !only.includes(b.name)) continue;
    if (b.optional && !existsSync(join(ROOT, b.optional))) {
      runs.push({ name: b.name, command: b.argv.join(' '), ok: true, skipped: `${b.optional} does not exist yet` });
      continue;
    }
    runs.push(await runBench(b));
  }
  const figures = existsSync(FIGURES)
    ? readFileSync(FIGURES, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : [];
  if (!only.length) {
    for (const [id, title, unit, text, command] of EXPECTED) {
      if (!figures.some((f) => f.id === id)) figures.push({ id, title, value: null, unit, baseline: null, ratio: null, target: { text, bounds: [] }, command });
    }
  }
  for (const f of figures) f.status = status(f);
  const machine = {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: { atStart: loadBefore.map((x) => +x.toFixed(2)), atEnd: os.loadavg().map((x) => +x.toFixed(2)) },
  };
  const result = { date: started.toISOString(), durationSeconds: +((Date.now() - started.getTime()) / 1000).toFixed(0), machine, benches: runs, figures };
  if (!only.length) writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(ROOT, 'test-results', 'bench-results.json'), JSON.stringify(result, null, 2) + '\n');

  console.log(`\n━━ results (${only.length ? 'test-results/bench-results.json' : 'bench/results.json'})`);
  console.log(`machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, load average ${machine.loadAverage.atStart.join(' ')} at start, ${machine.loadAverage.atEnd.join(' ')} at end`);
  console.log(table(figures));
  const over = figures.filter((f) => f.status === 'over').length;
  const failed = runs.filter((r) => !r.ok);
  for (const r of runs.filter((x) => x.skipped)) console.log(`skipped ${r.name}: ${r.skipped}`);
  console.log(`${figures.length} figures: ${figures.filter((f) => f.status === 'pass').length} pass, ${over} over, ${figures.filter((f) => f.status === 'not measured').length} not measured`);
  if (failed.length) {
    for (const r of failed) console.log(`COULD NOT RUN: ${r.name} (${r.command}): ${r.why}`);
    process.exitCode = 1;
  }
}

await main();
