// Synchronous parse time of one .vmbus file by size: what the editor's as-you-type check blocks
// the extension host for. Sized the editor's check budget (EDITOR_CHECK_BUDGET in
// src/simulator/scenario/editorCheck.ts): the largest file whose parse fits in a 16 ms frame.
// Prints, per size, the full parse (median and slowest wall ms), the syntax-only part, µs per
// KiB, and the editor's check itself (checkForEditor: CPU ms median, what a keystroke costs);
// then hostile shapes at the cap. Nothing asserted: the machine is shared; read the numbers.
// Run: npx tsc -p tsconfig.test.json && node out/bench/scenario/parse-size.js [runs]
import { parseScenario, parseSyntax, checkForEditor, DEFAULT_SCENARIO_BUDGET } from '../../src/simulator/scenario/index';
import { bigScenario } from './generate';

const runs = Number(process.argv[2] ?? 15);
const budget = { ...DEFAULT_SCENARIO_BUDGET, maxFileBytes: 1 << 20, maxTotalBytes: 1 << 22 };
const wallMs = (f: () => void): number => {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
/** A generated scenario of about `bytes` bytes (bigScenario is in lines: about 28 bytes a line). */
function scenarioOf(bytes: number): string {
  let lines = Math.max(60, Math.round(bytes / 28));
  let text = bigScenario(lines);
  for (let i = 0; i < 8 && Math.abs(text.length - bytes) > bytes * 0.02; i++) {
    lines = Math.max(60, Math.round(lines * bytes / text.length));
    text = bigScenario(lines);
  }
  return text;
}
const cpuMs = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function main(): Promise<void> {
  console.log('      KiB    bytes    parse median  parse max  syntax median  µs/KiB (parse)  editor check (CPU)');
  for (const kib of [8, 16, 32, 48, 64, 96, 128, 192, 256]) {
    const text = scenarioOf(kib * 1024);
    for (let i = 0; i < 3; i++) parseScenario(text, '/bench/size.vmbus', { budget });
    const parse: number[] = [];
    const syntax: number[] = [];
    const check: number[] = [];
    for (let i = 0; i < runs; i++) {
      await pause(30); // the editor's cadence: the collector catches up between checks
      parse.push(wallMs(() => void parseScenario(text, '/bench/size.vmbus', { budget })));
      syntax.push(wallMs(() => void parseSyntax(text)));
      check.push(cpuMs(() => void checkForEditor(text, '/bench/size.vmbus')));
    }
    report(String(kib), text, parse, syntax, check);
  }
  // Hostile shapes: just within the check budget (3,999 lines of bad or nested statements; 64 KiB
  // on one line; binary), then over it by lines (64 KiB of them: skipped unread).
  const k64 = 64 * 1024;
  const shapes: [string, string][] = [
    ['3999 x', 'x\n'.repeat(3999)],
    ['3999 nest', 'a {\n'.repeat(3999)],
    ['64K x\\n', 'x\n'.repeat(k64 / 2)],
    ['64K nest', 'a {\n'.repeat(k64 / 4)],
    ['64K line', 'device '.repeat(k64 / 7)],
    ['64K bytes', Array.from({ length: k64 }, (_, i) => String.fromCharCode((i * 7919) % 256)).join('')],
  ];
  for (const [name, text] of shapes) {
    const parse: number[] = [];
    const syntax: number[] = [];
    const check: number[] = [];
    for (let i = 0; i < runs; i++) {
      await pause(30);
      parse.push(wallMs(() => void parseScenario(text, '/bench/size.vmbus', { budget })));
      syntax.push(wallMs(() => void parseSyntax(text)));
      check.push(cpuMs(() => void checkForEditor(text, '/bench/size.vmbus')));
    }
    report(name, text, parse, syntax, check);
  }
}
function report(name: string, text: string, parse: number[], syntax: number[], check: number[]): void {
  check.sort((a, b) => a - b);
  parse.sort((a, b) => a - b);
  syntax.sort((a, b) => a - b);
  const med = (a: number[]) => a[a.length >> 1];
  console.log(`${name.padStart(9)}  ${String(text.length).padStart(7)}  ${med(parse).toFixed(1).padStart(10)} ms  ${parse[parse.length - 1].toFixed(1).padStart(6)} ms  ${med(syntax).toFixed(1).padStart(10)} ms  ${(med(parse) * 1000 / (text.length / 1024)).toFixed(0).padStart(8)}  ${med(check).toFixed(1).padStart(10)} ms`);
}
void main();
