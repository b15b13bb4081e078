// Completion latency in a 10,000-line scenario: completeAt() (what the editor's completion
// provider runs on each trigger: the whole text, the cursor) at cursor positions spread through
// the file, in the contexts a user types in (a device block's settings and values, a device's
// class, expectations, faults, a new top-level statement). Next to it, in the same run and
// alternating with it, the baseline of bench/scenario/run.ts: split the same text into lines and
// run one regex tokenizer over every line. Target (issue 15): p95 < 20 ms.
//
//   npx tsc -p tsconfig.test.json && node out/bench/scenario/completion.js [lines]
import * as os from 'node:os';
import { completeAt } from '../../src/simulator/scenario/services';
import { bigScenario } from './generate';
import { recordFigure } from '../record';

const LINES = Number(process.argv[2] ?? 10000);
const base = bigScenario(LINES);
const lines = base.split('\n');

/** Cursor positions: [line, character, what is being completed]. */
const cases: { line: number; character: number; what: string; text: string }[] = [];
for (let k = 0; k < 20; k++) {
  // A device block k/20 of the way through the file.
  let l = Math.floor((lines.length * k) / 20);
  while (!lines[l].startsWith('device ')) l++;
  const at = (line: number, prefix: string, what: string): void => {
    // The user has typed `prefix` on a new line inserted at `line`.
    const t = [...lines.slice(0, line), prefix, ...lines.slice(line)].join('\n');
    cases.push({ line, character: prefix.length, what, text: t });
  };
  at(l + 1, '  ', 'device setting');
  at(l + 1, '  hosted_by ', 'hosted_by value');
  at(l + 1, '  flags ', 'chn_flags');
  at(l, 'device extra ', 'device class');
  at(l, 'expect offer ', 'device name');
  at(l, 'fault ', 'fault name');
  at(l, '', 'top-level statement');
}

const TOKEN = /#.*|"(?:[^"\\]|\\.)*"|[{}=]|[^\s{}="#]+/g;
const tokenize = (text: string): number => {
  let n = 0;
  for (const line of text.split('\n')) {
    TOKEN.lastIndex = 0;
    while (TOKEN.exec(line) !== null) n++;
  }
  return n;
};
const time = (f: () => unknown): number => {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};

let sink = 0;
for (const c of cases.slice(0, 10)) sink += completeAt(c.text, c.line, c.character).length + tokenize(c.text);
const comp: number[] = [];
const baseTimes: number[] = [];
const byWhat = new Map<string, number[]>();
for (let round = 0; round < 3; round++) {
  for (const c of cases) {
    let n = 0;
    const t = time(() => { n = completeAt(c.text, c.line, c.character).length; });
    if (n === 0) throw new Error(`no completions for ${c.what} at ${c.line}:${c.character}`);
    sink += n;
    comp.push(t);
    (byWhat.get(c.what) ?? byWhat.set(c.what, []).get(c.what)!).push(t);
    baseTimes.push(time(() => { sink += tokenize(c.text); }));
  }
}
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
const p95 = pct(comp, 0.95);
const bp95 = pct(baseTimes, 0.95);
console.log(`completion in a ${lines.length - 1}-line scenario: ${comp.length} requests at ${cases.length} positions (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
console.log(`completeAt: p50 ${pct(comp, 0.5).toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${Math.max(...comp).toFixed(2)} ms   [target p95 < 20 ms]`);
for (const [what, xs] of byWhat) console.log(`  ${what.padEnd(20)} p50 ${pct(xs, 0.5).toFixed(2)} ms  max ${Math.max(...xs).toFixed(2)} ms`);
console.log(`baseline (split into lines + one regex tokenizer pass, same texts, alternating): p50 ${pct(baseTimes, 0.5).toFixed(2)} ms, p95 ${bp95.toFixed(2)} ms`);
console.log(`ratio p95 completion / p95 baseline: ${(p95 / bp95).toFixed(1)}×`);
recordFigure({
  id: 'completion.p95', title: 'completion in a 10,000-line scenario, p95', value: p95, unit: 'ms',
  baseline: { value: bp95, unit: 'ms', what: 'one-pass regex tokenizer of the same text, p95' }, ratio: p95 / bp95,
  target: { text: 'p95 < 20 ms', bounds: [{ of: 'value', op: '<', limit: 20 }] },
  command: 'npm run bench:completion',
});
if (sink === -1) console.log('');
