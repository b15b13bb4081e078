// The .mjs benches' recordFigure(): the same JSON line as bench/record.ts (see there for the fields).
import { appendFileSync } from 'node:fs';

/** @param {import('./record').Figure} f */
export function recordFigure(f) {
  const file = process.env.VMBUS_BENCH_FIGURES;
  if (!file) return;
  appendFileSync(file, JSON.stringify(f) + '\n');
}
