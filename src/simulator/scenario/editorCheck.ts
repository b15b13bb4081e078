// The editor's as-you-type check of a .vmbus document. It runs synchronously on the extension
// host, so it must end within a frame (16 ms): it parses under EDITOR_CHECK_BUDGET, which
// bench/scenario/parse-size.ts sized on this 2-core machine (a generated 64 KiB scenario parses
// in ~2.5 ms median; 4,000 statements that are all errors in ~9 ms of CPU). Statements are lines,
// and a file of tiny lines costs far more per byte (64 KiB of "x" lines: ~30 ms even to build its
// syntax tree), so lines are counted before anything is lexed. A scenario over the budget
// but within the Run budget is valid input that is simply too big to re-check per keystroke: it
// gets one info diagnostic saying so (Run, the debugger and `vmbus-lab run` check it in full)
// instead of errors. A file over the Run budget keeps its "too large" error (never lexed).
import { parseScenario, type ParseResult } from './parser';
import { DEFAULT_SCENARIO_BUDGET, type ScenarioBudget, type LoadedScenarioFiles } from './files';

/** What Run, Step Through, Compare Designs and the debugger accept from the editor. */
export const EDITOR_BUDGET: Readonly<ScenarioBudget> = Object.freeze({
  ...DEFAULT_SCENARIO_BUDGET,
  maxFileBytes: 256 * 1024,
  maxTotalBytes: 1024 * 1024,
});

/** What the as-you-type check parses: one parse fits in a frame (see the file comment). */
export const EDITOR_CHECK_BUDGET: Readonly<ScenarioBudget> = Object.freeze({
  ...EDITOR_BUDGET,
  maxFileBytes: 64 * 1024,
  maxTotalBytes: 64 * 1024,
  maxStatements: 4000,
});

/**
 * Why a file's text is over the check budget on its own (bytes, or lines: a statement is a line),
 * found without lexing it; undefined when it is within.
 */
export function overCheckBudget(text: string): string | undefined {
  const b = EDITOR_CHECK_BUDGET;
  if (text.length > b.maxFileBytes) return `file too large (${text.length} bytes; the editor checks at most ${b.maxFileBytes} as you type)`;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (++lines > b.maxStatements) return `file too large (over ${b.maxStatements} lines; the editor checks at most ${b.maxStatements} as you type)`;
  }
  return undefined;
}

/** An include the loader refused for the check budget's size (files.ts's reasons). */
const SIZE_REASON = /: (?:file too large \(|the scenario's files together exceed )/;

export interface EditorCheckOptions {
  files?: LoadedScenarioFiles;
  workspaceRoot?: string;
}

/** Checks a document as the editor does: bounded to a frame; see the file comment. */
export function checkForEditor(text: string, file: string, opts: EditorCheckOptions = {}): ParseResult {
  if (text.length > EDITOR_BUDGET.maxFileBytes) return parseScenario(text, file, { ...opts, budget: EDITOR_BUDGET });
  // Over the budget by itself: not even lexed (under a byte budget of 0 the parser refuses it unread).
  const result = overCheckBudget(text) !== undefined
    ? parseScenario(text, file, { budget: { ...EDITOR_CHECK_BUDGET, maxFileBytes: 0 } })
    : parseScenario(text, file, { ...opts, budget: EDITOR_CHECK_BUDGET });
  const overBudget = (d: ParseResult['diagnostics'][number]): boolean =>
    d.code === 'budget.size' || d.code === 'budget.statements' || (d.code === 'include.unreadable' && SIZE_REASON.test(d.message));
  if (!result.diagnostics.some(overBudget)) return result;
  const b = EDITOR_CHECK_BUDGET;
  return {
    ast: result.ast,
    stats: result.stats,
    diagnostics: [{
      file,
      severity: 'info',
      code: 'budget.editor-check',
      range: { line: 0, column: 0, endLine: 0, endColumn: 0 },
      message: `not checked as you type: this scenario (${text.length} bytes${result.stats.files > 1 ? ' and its includes' : ''}) is over the editor's check budget ` +
        `of ${b.maxFileBytes} bytes and ${b.maxStatements} lines in all its files, which keeps one check within a frame. ` +
        'Run Scenario, Debug Scenario and `vmbus-lab run` check it in full.',
    }],
  };
}
