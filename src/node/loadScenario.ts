// Parse a scenario file from disk with its includes read through the contained reader: the one
// way the CLI and the stand-alone debug adapter turn a path into a ScenarioConfig.
import { parseScenario, type ParseResult } from '../simulator/scenario/index';
import { loadScenarioFiles, DEFAULT_SCENARIO_BUDGET, type ScenarioBudget } from '../simulator/scenario/files';
import { createContainedReader, readRegularFile } from './containedReader';

export interface LoadFileOptions {
  /** Includes must resolve (after symbolic links) inside this folder. */
  workspaceRoot: string;
  seed?: number;
  design?: 'probe' | 'cpuid';
  budget?: Partial<ScenarioBudget>;
  /** The entry's text when the caller already has it (an editor's document). */
  text?: string;
}

export type LoadFileResult = { ok: false; reason: string } | { ok: true; text: string; parsed: ParseResult };

export async function parseScenarioFile(file: string, opts: LoadFileOptions): Promise<LoadFileResult> {
  const budget = { ...DEFAULT_SCENARIO_BUDGET, ...opts.budget };
  let text = opts.text;
  if (text === undefined) {
    const r = await readRegularFile(file, budget.maxFileBytes);
    if (!r.ok) return { ok: false, reason: `cannot read: ${r.reason}` };
    text = r.text;
  }
  const reader = createContainedReader(opts.workspaceRoot, { maxBytes: budget.maxFileBytes });
  const files = await loadScenarioFiles(file, text, reader, { workspaceRoot: opts.workspaceRoot, budget });
  const parsed = parseScenario(text, file, { files, workspaceRoot: opts.workspaceRoot, seed: opts.seed, design: opts.design, budget });
  return { ok: true, text, parsed };
}
