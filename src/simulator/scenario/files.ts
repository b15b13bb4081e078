// Reading a scenario and its includes through one contained reader, within a budget.
//
// Scenario files come from cloned repositories: an include may be a symbolic link out of the
// workspace, a FIFO, /dev/zero or a 10 MB file, and nine files that each include the next ten
// times would cost 10^8 parses if every include were parsed again. So the include graph is walked
// once, asynchronously, before parsing: every file is read once (through a ScenarioFileReader that
// checks containment, file type and size where it runs: Node, VS Code, the web) and its syntax tree
// kept; the synchronous parser then takes each include from this map, and an include seen before is
// not parsed again. Nothing here touches a file system: no Node, no VS Code types.
import { parseSyntax, type SyntaxTree } from './syntax';
import { dirname, isAbsolutePath, isInside, joinPath } from './paths';

export type ScenarioReadResult = { ok: true; text: string } | { ok: false; reason: string };

/** Reads one file, or says why it may not or cannot be read. Implementations must not throw. */
export interface ScenarioFileReader {
  read(path: string): Promise<ScenarioReadResult>;
}

/** How much one scenario (with all its includes) may make the front end read and parse. */
export interface ScenarioBudget {
  /** Bytes of one file (characters of an open document). */
  maxFileBytes: number;
  /** Bytes of all files together. */
  maxTotalBytes: number;
  /** Files, the scenario included. */
  maxFiles: number;
  /** Statements (lines with words, nested ones included) of all files together. */
  maxStatements: number;
}

/**
 * The default budget. The examples are under 1 KiB and a 10,000-line generated scenario is about
 * 250 KiB; these leave ample room and still bound a hostile file to a fraction of a second.
 */
export const DEFAULT_SCENARIO_BUDGET: Readonly<ScenarioBudget> = Object.freeze({
  maxFileBytes: 1024 * 1024,
  maxTotalBytes: 4 * 1024 * 1024,
  maxFiles: 64,
  maxStatements: 200_000,
});

/** Files of one scenario, read and syntax-parsed once. Keys are resolved paths as the parser forms them. */
export interface LoadedScenarioFiles {
  /** Each resolved include path: its text and syntax tree, or why it was not read. */
  files: Map<string, { ok: true; text: string; tree: SyntaxTree } | { ok: false; reason: string }>;
  /** Reads made (one per distinct file). */
  reads: number;
}

/** Statements of a tree, nested ones included (iteratively: a tree can be deep). */
export function countStatements(tree: SyntaxTree): number {
  let n = 0;
  const stack = [tree.statements];
  while (stack.length) {
    const list = stack.pop()!;
    n += list.length;
    for (const st of list) if (st.block) stack.push(st.block.body);
  }
  return n;
}

/** The `include "PATH"` statements of a tree (top level only, as the parser accepts them). */
export function includePaths(tree: SyntaxTree): string[] {
  const out: string[] = [];
  for (const st of tree.statements) {
    const [head, arg] = st.words;
    if (head.kind === 'ident' && head.text === 'include' && arg?.kind === 'string' && arg.str) out.push(arg.str);
  }
  return out;
}

export function tooLargeReason(bytes: number, limit: number, what = 'file'): string {
  return `${what} too large (${bytes} bytes; the limit is ${limit} bytes)`;
}

/**
 * Walks the includes of `entry` (whose text the caller already has) breadth first, reading each
 * distinct file once. Files beyond the budget are recorded with the budget as the reason; the
 * parser turns every failed read into a diagnostic on the include line.
 */
export async function loadScenarioFiles(
  entry: string,
  entryText: string,
  reader: ScenarioFileReader,
  opts: { workspaceRoot?: string; budget?: Partial<ScenarioBudget> } = {},
): Promise<LoadedScenarioFiles> {
  const budget = { ...DEFAULT_SCENARIO_BUDGET, ...opts.budget };
  const files: LoadedScenarioFiles['files'] = new Map();
  let reads = 0;
  let totalBytes = entryText.length;
  if (entryText.length > budget.maxFileBytes) return { files, reads };
  const entryTree = parseSyntax(entryText);
  let statements = countStatements(entryTree);
  files.set(entry, { ok: true, text: entryText, tree: entryTree });
  const queue: { file: string; tree: SyntaxTree }[] = [{ file: entry, tree: entryTree }];
  while (queue.length) {
    const { file, tree } = queue.shift()!;
    for (const rel of includePaths(tree)) {
      if (isAbsolutePath(rel)) continue;
      const resolved = joinPath(dirname(file), rel);
      if (files.has(resolved)) continue;
      if (opts.workspaceRoot !== undefined && !isInside(opts.workspaceRoot, resolved)) continue;
      if (files.size >= budget.maxFiles) {
        files.set(resolved, { ok: false, reason: `the scenario reads more than ${budget.maxFiles} files (budget maxFiles)` });
        continue;
      }
      if (totalBytes > budget.maxTotalBytes || statements > budget.maxStatements) {
        files.set(resolved, { ok: false, reason: 'not read: the files before it already exhaust the budget' });
        continue;
      }
      reads++;
      let r: ScenarioReadResult;
      try {
        r = await reader.read(resolved);
      } catch (e) {
        r = { ok: false, reason: e instanceof Error ? e.message : String(e) };
      }
      if (!r.ok) { files.set(resolved, r); continue; }
      if (r.text.length > budget.maxFileBytes) { files.set(resolved, { ok: false, reason: tooLargeReason(r.text.length, budget.maxFileBytes) }); continue; }
      totalBytes += r.text.length;
      if (totalBytes > budget.maxTotalBytes) {
        files.set(resolved, { ok: false, reason: `the scenario's files together exceed ${budget.maxTotalBytes} bytes (budget maxTotalBytes)` });
        continue;
      }
      const t = parseSyntax(r.text);
      statements += countStatements(t);
      files.set(resolved, { ok: true, text: r.text, tree: t });
      queue.push({ file: resolved, tree: t });
    }
  }
  return { files, reads };
}
