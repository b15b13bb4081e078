// Every way the extension turns a .vmbus document into a ParseResult goes through here: editor
// diagnostics, Run, Step Through, Compare Designs and the debugger. Includes are read once, ahead
// of the (synchronous) parse, through one contained reader (src/simulator/scenario/files.ts):
// on disk (file: URIs, Node extension host) the Node reader checks the real path against the
// workspace folder, the file type and its size; elsewhere (VS Code for the Web, a remote or
// virtual workspace) a reader over vscode.workspace.fs checks the path against the workspace
// folder, refuses symbolic links and anything but a regular file, and checks the size before
// reading. An open editor's unsaved text is used for a path that passes.
import * as vscode from 'vscode';
import {
  parseScenario, type ParseResult, loadScenarioFiles, type ScenarioBudget, type LoadedScenarioFiles, type ScenarioFileReader, type ScenarioReadResult,
  isInside, normalizePath, EDITOR_BUDGET, EDITOR_CHECK_BUDGET, checkForEditor, overCheckBudget,
} from '../simulator';
import { isUriString, nameOf, uriOf } from './uris';

/** The Node file access the Node entry (extension.ts) installs; absent in the web worker host. */
export interface NodeFiles {
  createContainedReader(root: string, opts: { maxBytes?: number; overlay?: (file: string) => string | undefined }): ScenarioFileReader;
  readRegularFile(file: string, maxBytes: number): Promise<ScenarioReadResult>;
}
let nodeFiles: NodeFiles | undefined;
export function setNodeFiles(files: NodeFiles): void { nodeFiles = files; }

/**
 * The editor's budgets (src/simulator/scenario/editorCheck.ts): EDITOR_BUDGET (256 KiB a file) for
 * what Run, Step Through, Compare and the debugger parse once on request; EDITOR_CHECK_BUDGET
 * (64 KiB, 4,000 statements) for the as-you-type check, which must end within a frame.
 */
export { EDITOR_BUDGET, EDITOR_CHECK_BUDGET };

/** Readable only through vscode.workspace.fs (no Node file access for it). */
function viaWorkspaceFs(uri: vscode.Uri): boolean {
  return uri.scheme !== 'file' || !nodeFiles;
}

/**
 * The workspace folder holding uri (its includes must stay inside), else the file's folder; as a
 * path (nameOf: fsPath on disk, the URI's path elsewhere). Undefined for a document that is not a
 * file of any file system (untitled).
 */
export function workspaceRootOf(uri: vscode.Uri): string | undefined {
  if (uri.scheme === 'untitled') return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (folder) return nameOf(folder.uri);
  return nameOf(vscode.Uri.joinPath(uri, '..'));
}

/** The key a document's diagnostics and includes use: its path on its file system (the form `${file}` takes). */
export function scenarioPathOf(uri: vscode.Uri): string {
  return nameOf(uri);
}

function openText(uri: vscode.Uri): string | undefined {
  const key = uri.toString();
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === key)?.getText();
}

/**
 * A contained reader over vscode.workspace.fs: paths (as the parser forms them) inside `root` only,
 * on the file system of `base` (the including document's Uri: same scheme and authority), a regular
 * file (not a folder, not a symbolic link, whose target cannot be checked here), at most maxBytes;
 * never throws.
 */
export function createWorkspaceFsReader(root: string, maxBytes: number, base: vscode.Uri): ScenarioFileReader {
  return {
    async read(file) {
      if (!isInside(root, file)) return { ok: false, reason: `outside the workspace folder ${root}` };
      const p = normalizePath(file);
      const uri = isUriString(p) ? vscode.Uri.parse(p) : base.scheme === 'file' ? vscode.Uri.file(p) : base.with({ path: p.replace(/\\/g, '/'), query: '', fragment: '' });
      const open = openText(uri);
      if (open !== undefined) return open.length > maxBytes ? { ok: false, reason: `file too large (${open.length} bytes; the limit is ${maxBytes} bytes)` } : { ok: true, text: open };
      let st: vscode.FileStat;
      try { st = await vscode.workspace.fs.stat(uri); } catch (e) { return { ok: false, reason: e instanceof vscode.FileSystemError && e.code === 'FileNotFound' ? 'no such file' : `cannot read: ${(e as Error).message}` }; }
      if (st.type & vscode.FileType.SymbolicLink) return { ok: false, reason: 'a symbolic link (not followed)' };
      if (!(st.type & vscode.FileType.File)) return { ok: false, reason: 'not a regular file' };
      if (st.size > maxBytes) return { ok: false, reason: `file too large (${st.size} bytes; the limit is ${maxBytes} bytes)` };
      try {
        const bytes = await vscode.workspace.fs.readFile(uri);
        if (bytes.length > maxBytes) return { ok: false, reason: `file too large (${bytes.length} bytes; the limit is ${maxBytes} bytes)` };
        return { ok: true, text: new TextDecoder('utf-8').decode(bytes) };
      } catch (e) {
        return { ok: false, reason: `cannot read: ${(e as Error).message}` };
      }
    },
  };
}

/** The contained reader for includes of a document at uri (undefined: includes cannot be read there). */
export function readerFor(uri: vscode.Uri, budget: ScenarioBudget = EDITOR_BUDGET): ScenarioFileReader | undefined {
  const root = workspaceRootOf(uri);
  if (root === undefined) return undefined;
  if (viaWorkspaceFs(uri) || !nodeFiles) return createWorkspaceFsReader(root, budget.maxFileBytes, uri);
  return nodeFiles.createContainedReader(root, {
    maxBytes: budget.maxFileBytes,
    overlay: (file) => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file)?.getText(),
  });
}

/** Reads a scenario named by a path or URI string: the open document's text, else the file within the cap. */
export async function readScenarioText(name: string, maxBytes: number = EDITOR_BUDGET.maxFileBytes): Promise<string> {
  const uri = uriOf(name);
  const open = openText(uri);
  if (open !== undefined) return open;
  if (!viaWorkspaceFs(uri) && nodeFiles) {
    // A regular file under the cap (never a FIFO or /dev/zero).
    const r = await nodeFiles.readRegularFile(uri.fsPath, maxBytes);
    if (!r.ok) throw new Error(r.reason);
    return r.text;
  }
  const st = await vscode.workspace.fs.stat(uri);
  if (!(st.type & vscode.FileType.File)) throw new Error('not a regular file');
  if (st.size > maxBytes) throw new Error(`file too large (${st.size} bytes; the limit is ${maxBytes} bytes)`);
  return new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
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

/** The as-you-type check of a document with its includes read (checkForEditor: within a frame). */
export function checkWithIncludes(doc: vscode.TextDocument, files: LoadedScenarioFiles | undefined): ParseResult {
  return checkForEditor(doc.getText(), scenarioPathOf(doc.uri), { files, workspaceRoot: workspaceRootOf(doc.uri) });
}

/**
 * Reads a document's includes for the as-you-type check: within EDITOR_CHECK_BUDGET, and an
 * include over it on its own (bytes or lines) is refused before its syntax tree is built.
 */
export async function loadIncludesForCheck(doc: vscode.TextDocument): Promise<LoadedScenarioFiles | undefined> {
  const reader = readerFor(doc.uri, EDITOR_CHECK_BUDGET);
  if (!reader) return undefined;
  const text = doc.getText();
  if (overCheckBudget(text) !== undefined) return undefined;
  const bounded: ScenarioFileReader = {
    async read(file) {
      const r = await reader.read(file);
      const problem = r.ok ? overCheckBudget(r.text) : undefined;
      return problem ? { ok: false, reason: problem } : r;
    },
  };
  return loadScenarioFiles(scenarioPathOf(doc.uri), text, bounded, { workspaceRoot: workspaceRootOf(doc.uri), budget: EDITOR_CHECK_BUDGET });
}
