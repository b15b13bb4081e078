// The scenario language: .vmbus text → ScenarioConfig (+ diagnostics and a syntax tree for the
// editor), the canonical formatter, and the readable trace report. No VS Code API here.
export { parseScenario, deterministicGuid, type ParseResult } from './parser';
export { formatScenario } from './format';
export type { ScenarioDiagnostic, ScenarioAst, ScenarioSymbol, IncludeRef, ParseOptions, TokenRole, SymbolKind, Range } from './types';
export { lex, type Token, type TokenKind } from './lexer';
export { parseSyntax, type Statement, type Block, type SyntaxTree } from './syntax';
export { checkForEditor, overCheckBudget, EDITOR_BUDGET, EDITOR_CHECK_BUDGET, type EditorCheckOptions } from './editorCheck';
export { loadScenarioFiles, DEFAULT_SCENARIO_BUDGET, type ScenarioFileReader, type ScenarioReadResult, type ScenarioBudget, type LoadedScenarioFiles } from './files';
