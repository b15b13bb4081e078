// Re-check time of a 10,000-line scenario (what the editor does after each debounced change),
// next to a baseline measured in the same run over the same text: the floor cost of reading the
// text once (split into lines + one simple regex tokenizer over every line, no parser). The
// machine may be shared, so parse and baseline runs alternate; printed as the ratio
// parse+check / baseline of the medians (wall and CPU). Target (issue 15): wall median ≤ 20 ms and
// ≤ 10× the baseline's.
//
// Cadence: the editor re-checks a document at most once per 200 ms debounce, so each timed run
// here follows a 50 ms pause (still 4× the editor's rate), as the editor's would: the collector
// finishes the previous run's garbage in between instead of charging it to the next run. The same
// runs back to back (the collector's debt included) are printed too, as is the CPU time.
// Run: npm run bench:scenario   or   npx tsc -p tsconfig.test.json && node out/bench/scenario/run.js [lines]
import * as os from 'node:os';
import { parseScenario } from '../../src/simulator/scenario/index';
import { formatScenario } from '../../src/simulator/scenario/format';
import { bigScenario } from './generate';
import { recordFigure } from '../record';

const lines = Number(process.argv[2] ?? 10000);
const text = bigScenario(lines);
const wallMs = (f: () => void): number => {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
// CPU time (user + system, all threads of this process): what a run costs when the machine is
// shared and wall time includes waiting for a core.
const cpuMs = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
const measure = (f: () => void, n: number): number[] => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(wallMs(f));
  return out.sort((a, b) => a - b);
};
// Baseline: split the same text into lines and run one regex tokenizer (comments, strings, words,
// braces) over every line. No parser, no checks: the least any re-check of this text must do.
const TOKEN = /#.*|"(?:[^"\\]|\\.)*"|[{}=]|[^\s{}="#]+/g;
let tokens = 0;
const tokenize = (): void => {
  let n = 0;
  for (const line of text.split('\n')) {
    TOKEN.lastIndex = 0;
    while (TOKEN.exec(line) !== null) n++;
  }
  tokens = n;
};
const check = (): void => void parseScenario(text, '/bench/big.vmbus');
for (let i = 0; i < 5; i++) {
  check();
  tokenize();
}
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function main(): Promise<void> {
// 30 runs of each, alternating, at the editor's cadence; then back to back; then CPU time.
const parse: number[] = [];
const base: number[] = [];
for (let i = 0; i < 30; i++) {
  await pause(50);
  parse.push(wallMs(check));
  await pause(50);
  base.push(wallMs(tokenize));
}
const parseB2b: number[] = [];
const baseB2b: number[] = [];
for (let i = 0; i < 30; i++) {
  parseB2b.push(wallMs(check));
  baseB2b.push(wallMs(tokenize));
}
const format = measure(() => formatScenario(text), 10);
const cpu: number[] = [];
const baseCpu: number[] = [];
for (let i = 0; i < 30; i++) {
  cpu.push(cpuMs(check));
  baseCpu.push(cpuMs(tokenize));
}
for (const xs of [parse, base, cpu, baseCpu, parseB2b, baseB2b]) xs.sort((a, b) => a - b);
const r = parseScenario(text, '/bench/big.vmbus');
const pct = (xs: number[], p: number): string => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))].toFixed(2);
console.log(`lines: ${text.split('\n').length - 1}, devices: ${r.config?.devices.length}, diagnostics: ${r.diagnostics.length}`);
console.log(`parse+check: min ${pct(parse, 0)} ms, median ${pct(parse, 0.5)} ms, p90 ${pct(parse, 0.9)} ms, max ${pct(parse, 1)} ms (30 runs, 50 ms apart)`);
console.log(`parse+check back to back: min ${pct(parseB2b, 0)} ms, median ${pct(parseB2b, 0.5)} ms, p90 ${pct(parseB2b, 0.9)} ms (baseline median ${pct(baseB2b, 0.5)} ms)`);
console.log(`parse+check CPU time: min ${pct(cpu, 0)} ms, median ${pct(cpu, 0.5)} ms (30 runs; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
console.log(`format:      min ${pct(format, 0)} ms, median ${pct(format, 0.5)} ms (10 runs)`);
const wallMedian = parse[Math.floor(parse.length / 2)];
const cpuMedian = cpu[Math.floor(cpu.length / 2)];
const baseWallMedian = base[Math.floor(base.length / 2)];
const baseCpuMedian = baseCpu[Math.floor(baseCpu.length / 2)];
console.log(`baseline (split into lines + one regex tokenizer pass, no parser; ${tokens} tokens): wall median ${pct(base, 0.5)} ms, CPU median ${pct(baseCpu, 0.5)} ms (30 runs each, alternating with parse+check, 50 ms apart)`);
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(1)}×` : 'n/a (baseline below timer resolution)');
console.log(`ratio parse+check / baseline: wall ${ratio(wallMedian, baseWallMedian)}, CPU ${ratio(cpuMedian, baseCpuMedian)} (medians)`);
const wallRatio = baseWallMedian > 0 ? wallMedian / baseWallMedian : null;
const pass = wallMedian <= 20 && wallRatio !== null && wallRatio <= 10;
console.log(`target: wall median ≤ 20 ms and ≤ 10× the baseline → ${pass ? 'pass' : 'over'} (CPU-time median ${cpuMedian.toFixed(1)} ms, ${ratio(cpuMedian, baseCpuMedian)} the baseline's)`);
recordFigure({
  id: 'scenario.parse-check.median', title: `parse + check of a ${lines.toLocaleString('en')}-line scenario, median`, value: wallMedian, unit: 'ms',
  baseline: { value: baseWallMedian, unit: 'ms', what: 'split into lines + one regex tokenizer pass over the same text, median' },
  ratio: wallRatio,
  target: { text: '≤ 20 ms, ≤ 10× baseline', bounds: [{ of: 'value', op: '<=', limit: 20 }, { of: 'ratio', op: '<=', limit: 10 }] },
  command: 'npm run bench:scenario',
  note: `runs 50 ms apart; min ${pct(parse, 0)} ms, p90 ${pct(parse, 0.9)} ms; back to back median ${pct(parseB2b, 0.5)} ms; CPU-time median ${cpuMedian.toFixed(1)} ms (baseline ${baseCpuMedian.toFixed(1)} ms)`,
});
}

void main();
