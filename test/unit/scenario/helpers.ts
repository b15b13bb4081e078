// Shared helpers for the scenario-language tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseScenario, type ParseResult } from '../../../src/simulator/scenario/index';

/** The repository root (tests run from out/test/unit/scenario). */
export const ROOT = path.resolve(__dirname, '../../../..');
export const EXAMPLES = path.join(ROOT, 'examples');

export function exampleFiles(): string[] {
  return fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.vmbus')).map((f) => path.join(EXAMPLES, f));
}

export function diskReader(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** Parse text as /ws/test.vmbus with an in-memory file system. */
export function parseMem(text: string, files: Record<string, string> = {}, file = '/ws/test.vmbus'): ParseResult {
  return parseScenario(text, file, { readFile: (p) => files[p], workspaceRoot: '/ws' });
}

export function errors(r: ParseResult): string[] {
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
}

/** "line:col-endLine:endCol message" (0-based), for exact-range assertions. */
export function at(r: ParseResult, severity?: string): string[] {
  return r.diagnostics
    .filter((d) => !severity || d.severity === severity)
    .map((d) => `${d.range.line}:${d.range.column}-${d.range.endLine}:${d.range.endColumn} ${d.code ?? ''}`);
}

export const MINIMAL = `scenario "t"
platform {
  isolation snp
  vps 2
}
paravisor {
  confidential_vmbus yes
}
device disk0 storvsc {
  hosted_by paravisor
  flags confidential_ring_buffer
}
expect {
  offer disk0 accepted with confidential ring
}
`;
