// Shared helpers of the importer tests: fixture files (copies of real artifacts under
// test/fixtures/real, synthetic ones under test/fixtures/import) and a scenario round trip.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { runScenario } from '../../../src/simulator/engine/session';
import type { ImportResult } from '../../../src/simulator/importers/index';

export const ROOT = path.resolve(__dirname, '../../../..');
export const REAL = path.join(ROOT, 'test/fixtures/real');
export const SYNTHETIC = path.join(ROOT, 'test/fixtures/import');

export function real(name: string): string {
  return fs.readFileSync(path.join(REAL, name), 'utf8');
}
export function synthetic(name: string): string {
  return fs.readFileSync(path.join(SYNTHETIC, name), 'utf8');
}

/** Physical line count as the importers number lines (any line ending). */
export function lineCount(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}

/** Every diagnostic names a line of the input (1-based), a column >= 1 if any, a known severity and a message. */
export function assertDiagnosticsValid(r: ImportResult, text: string): void {
  const n = Math.max(1, lineCount(text));
  for (const d of r.diagnostics) {
    assert.ok(Number.isInteger(d.line) && d.line >= 1 && d.line <= n, `diagnostic line ${d.line} outside 1..${n}: ${d.message}`);
    if (d.column !== undefined) assert.ok(Number.isInteger(d.column) && d.column >= 1, `column ${d.column}`);
    assert.ok(['error', 'warning', 'info'].includes(d.severity), d.severity);
    assert.ok(typeof d.message === 'string' && d.message.length > 0);
  }
}

/** Parses a generated scenario: zero errors; returns the config. */
export function parseGenerated(text: string): NonNullable<ReturnType<typeof parseScenario>['config']> {
  const p = parseScenario(text, 'imported.vmbus');
  const errors = p.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => `${d.range.line + 1}: ${d.message}`), [], text);
  assert.ok(p.config, 'a config');
  return p.config!;
}

export { runScenario };
