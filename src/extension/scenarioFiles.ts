// Every way the extension turns a .vmbus document into a ParseResult goes through here: editor
// diagnostics, Run, Step Through, Compare Designs and the debugger. Includes are read once, ahead
// of the (synchronous) parse, through one contained reader (src/simulator/scenario/files.ts):
// on disk (file: URIs) the Node reader checks the real path against the workspace folder, the
// file type and its size; an open editor's unsaved text is used for a path that passes.
import * as vscode from 'vscode';
import * as path from 'node:path';
import {
  parseScenario, type ParseResult, loadScenarioFiles, DEFAULT_SCENARIO_BUDGET, type ScenarioBudget, type LoadedScenarioFiles, type ScenarioFileReader,
} from '../simulator';
import { createContainedReader } from '../node/containedReader';

/**
 * The editor's budget. Parsing is synchronous at about 1.5 µs per byte (bench:scenario), so the
 * editor takes at most 256 KiB per file (the 10,000-line benchmark scenario fits); a larger file
 * gets one "too large" diagnostic at once instead of a frozen extension host.
 */
export const EDITOR_BUDGET: Readonly<ScenarioBudget> = Object.freeze({
  ...DEFAULT_SCENARIO_BUDGET,
  maxFileBytes: 256 * 1024,
  maxTotalBytes: 1024 * 1024,
});

/** The workspace folder holding uri (its includes must stay inside), else the file's folder. */
export function workspaceRootOf(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== 'file') return undefined;
  return vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
}

/** The key a document's diagnostics and includes use: its path on disk, else its URI. */
export function scenarioPathOf(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}

/** The contained reader for includes of a document at uri (undefined: includes cannot be read there). */
export function readerFor(uri: vscode.Uri, budget: ScenarioBudget = EDITOR_BUDGET): ScenarioFileReader | undefined {
  const root = workspaceRootOf(uri);
  if (root === undefined) return undefined;
  return createContainedReader(root, {
    maxBytes: budget.maxFileBytes,
    overlay: (file) => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file)?.getText(),
  });
}

export interface ScenarioOverrides {
  seed?: number;
  design?: 'probe' | 'cpuid';
}

/** Reads the includes of a document (once each, within the budget). */
export async function loadIncludes(doc: vscode.TextDocument, budget: ScenarioBudget = EDITOR_BUDGET): Promise<LoadedScenarioFiles | undefined> {
  const reader = readerFor(doc.uri, budget);
  if (!reader) return undefined;
  const text = doc.getText();
  if (text.length > budget.maxFileBytes) return undefined;
  return loadScenarioFiles(scenarioPathOf(doc.uri), text, reader, { workspaceRoot: workspaceRootOf(doc.uri), budget });
}

/** Parses a document with includes already loaded (synchronous; bounded by the budget). */
export function parseWithIncludes(doc: vscode.TextDocument, files: LoadedScenarioFiles | undefined, overrides: ScenarioOverrides = {}, budget: ScenarioBudget = EDITOR_BUDGET): ParseResult {
  return parseScenario(doc.getText(), scenarioPathOf(doc.uri), {
    files,
    workspaceRoot: workspaceRootOf(doc.uri),
    budget,
    ...overrides,
  });
}

/** Reads the includes, then parses: what Run, Step Through, Compare and the debugger use. */
export async function parseScenarioDocument(doc: vscode.TextDocument, overrides: ScenarioOverrides = {}, budget: ScenarioBudget = EDITOR_BUDGET): Promise<ParseResult> {
  return parseWithIncludes(doc, await loadIncludes(doc, budget), overrides, budget);
}
