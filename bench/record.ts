// One figure for bench/results.json. Each bench calls recordFigure() for the numbers it is judged
// by; bench/run-all.mjs (npm run bench) gives every bench the same file through
// VMBUS_BENCH_FIGURES, collects the lines, decides pass/over against the target and prints the
// table. A bench run alone (no VMBUS_BENCH_FIGURES) only prints. The .mjs benches use
// bench/record.mjs, which writes the same JSON line.
import { appendFileSync } from 'node:fs';

export interface Bound {
  /** What the bound is on: the figure itself or figure / baseline. */
  of: 'value' | 'ratio';
  op: '<' | '<=' | '>=' | '>';
  limit: number;
}

export interface Figure {
  /** Stable key, e.g. "scenario.parse-check.median". */
  id: string;
  /** What was measured, in words (the table's first column). */
  title: string;
  value: number | null;
  unit: string;
  /** The baseline measured in the same run, if the figure has one. */
  baseline?: { value: number; unit: string; what: string } | null;
  /** value / baseline.value (or the bench's own ratio, e.g. a median of per-round ratios). */
  ratio?: number | null;
  /** Human form of the target ("< 150 ms") and the bounds it means; all must hold. */
  target: { text: string; bounds: Bound[] } | null;
  /** The command that reproduces this figure alone. */
  command: string;
  note?: string;
}

export function recordFigure(f: Figure): void {
  const file = process.env.VMBUS_BENCH_FIGURES;
  if (!file) return;
  appendFileSync(file, JSON.stringify(f) + '\n');
}
