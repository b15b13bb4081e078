// Editor support for .vmbus scenarios: diagnostics as you type (debounced), completion, hover,
// outline, go to definition (includes, devices), folding, formatting, and the Run / Debug
// CodeLens with their commands. All language logic lives in src/simulator/scenario; this file
// only adapts it to the VS Code API. Scenario files are data: nothing in them is executed.
import * as vscode from 'vscode';
import type { SessionHub } from '../session/hub';
import { listScenarios } from '../views/actions';
import { runWithProgress } from '../session/run';
import { parseScenarioDocument, checkWithIncludes, loadIncludesForCheck, scenarioPathOf } from '../scenarioFiles';
import {
  type LoadedScenarioFiles, formatScenario, type ParseResult, type ScenarioDiagnostic, type ScenarioSymbol, type Range, completeAt, definitionAt, foldingRanges, hoverAt, type CompletionKind, formatExpectations, traceLines,
} from '../../simulator';
import { baseName, nameOf } from '../uris';

export const LANGUAGE_ID = 'vmbus';
const DEBOUNCE_MS = 200;
/** Trace lines Run Scenario writes to the Output channel (a long run has millions). */
const MAX_OUTPUT_TRACE_LINES = 5000;

function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.line, r.column, r.endLine, r.endColumn);
}

const SEVERITY: Record<ScenarioDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/**
 * Parses documents once per version; every provider reads from here. Includes are read
 * asynchronously through the contained reader (refresh); the synchronous get() used by hover,
 * outline and the like parses with the includes read last, never touching the disk itself. Both
 * check within EDITOR_CHECK_BUDGET, so no parse here blocks the extension host beyond a frame.
 */
export class ScenarioDocuments {
  private readonly cache = new Map<string, { version: number; result: ParseResult }>();
  private readonly includes = new Map<string, LoadedScenarioFiles | undefined>();

  get(doc: vscode.TextDocument): ParseResult {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.result;
    const result = checkWithIncludes(doc, this.includes.get(key));
    this.cache.set(key, { version: doc.version, result });
    return result;
  }

  /** Reads the document's includes again, then parses it. */
  async refresh(doc: vscode.TextDocument): Promise<ParseResult> {
    const key = doc.uri.toString();
    const version = doc.version;
    const files = await loadIncludesForCheck(doc);
    const result = checkWithIncludes(doc, files);
    if (doc.version === version) {
      this.includes.set(key, files);
      this.cache.set(key, { version, result });
    }
    return result;
  }

  forget(doc: vscode.TextDocument): void {
    this.cache.delete(doc.uri.toString());
    this.includes.delete(doc.uri.toString());
  }
}

/** Parses a document with its includes read through the contained reader. */
export function parseDocument(doc: vscode.TextDocument, overrides: { seed?: number; design?: 'probe' | 'cpuid' } = {}): Promise<ParseResult> {
  return parseScenarioDocument(doc, overrides);
}

function symbolKind(k: ScenarioSymbol['kind']): vscode.SymbolKind {
  switch (k) {
    case 'scenario': return vscode.SymbolKind.Module;
    case 'section': return vscode.SymbolKind.Namespace;
    case 'device': return vscode.SymbolKind.Class;
    case 'fault': return vscode.SymbolKind.Event;
    case 'expectation': return vscode.SymbolKind.Boolean;
    case 'stop': return vscode.SymbolKind.Key;
    case 'step': return vscode.SymbolKind.Function;
    case 'include': return vscode.SymbolKind.File;
    default: return vscode.SymbolKind.Property;
  }
}

function toDocumentSymbol(s: ScenarioSymbol): vscode.DocumentSymbol {
  const range = toRange(s.range);
  let sel = toRange(s.selectionRange);
  if (!range.contains(sel)) sel = range;
  const d = new vscode.DocumentSymbol(s.name || '(unnamed)', s.detail ?? '', symbolKind(s.kind), range, sel);
  d.children = s.children.map(toDocumentSymbol);
  return d;
}

const COMPLETION_KIND: Record<CompletionKind, vscode.CompletionItemKind> = {
  keyword: vscode.CompletionItemKind.Keyword,
  class: vscode.CompletionItemKind.Class,
  flag: vscode.CompletionItemKind.EnumMember,
  feature: vscode.CompletionItemKind.EnumMember,
  fault: vscode.CompletionItemKind.Event,
  message: vscode.CompletionItemKind.Constant,
  value: vscode.CompletionItemKind.Value,
  device: vscode.CompletionItemKind.Variable,
  version: vscode.CompletionItemKind.Constant,
  label: vscode.CompletionItemKind.Reference,
};

function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const ed = vscode.window.activeTextEditor;
  if (ed && ed.document.languageId === LANGUAGE_ID) return ed.document.uri;
  return undefined;
}

/**
 * The scenario to run or debug: the argument, the active .vmbus editor, a visible one, or else the
 * user's pick among the workspace's scenarios and the bundled examples (the sidebar's welcome
 * buttons run these commands with no editor open).
 */
async function chooseTarget(arg: unknown, extensionUri: vscode.Uri, verb: string): Promise<vscode.Uri | undefined> {
  const direct = targetUri(arg) ?? vscode.window.visibleTextEditors.find((e) => e.document.languageId === LANGUAGE_ID)?.document.uri;
  if (direct) return direct;
  const items = await listScenarios(extensionUri);
  if (!items.length) {
    void vscode.window.showInformationMessage(`Open a .vmbus scenario to ${verb} it.`);
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder: `Scenario to ${verb}`, matchOnDescription: true }))?.uri;
}

export function registerLanguage(context: vscode.ExtensionContext, hub: SessionHub): void {
  const selector: vscode.DocumentSelector = { language: LANGUAGE_ID };
  const docs = new ScenarioDocuments();
  const diagnostics = vscode.languages.createDiagnosticCollection(LANGUAGE_ID);
  let output: vscode.OutputChannel | undefined;
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const publish = async (doc: vscode.TextDocument): Promise<void> => {
    if (doc.languageId !== LANGUAGE_ID) return;
    const version = doc.version;
    let result: ParseResult;
    try {
      result = await docs.refresh(doc);
    } catch (e) {
      // Never let one file take the language features down: report it on the file instead.
      result = { diagnostics: [{ severity: 'error', message: `VMBus Lab could not check this file: ${e instanceof Error ? e.message : String(e)}`, range: { line: 0, column: 0, endLine: 0, endColumn: 0 }, file: scenarioPathOf(doc.uri) }] } as unknown as ParseResult;
    }
    if (doc.version !== version || doc.isClosed) return;
    const own = result.diagnostics.filter((d) => d.file === scenarioPathOf(doc.uri));
    diagnostics.set(doc.uri, own.map((d) => {
      const diag = new vscode.Diagnostic(toRange(d.range), d.message, SEVERITY[d.severity]);
      diag.source = 'vmbus';
      if (d.code) diag.code = d.code;
      return diag;
    }));
  };
  const schedule = (doc: vscode.TextDocument): void => {
    if (doc.languageId !== LANGUAGE_ID) return;
    const key = doc.uri.toString();
    const t = timers.get(key);
    if (t) clearTimeout(t);
    timers.set(key, setTimeout(() => { timers.delete(key); void publish(doc); }, DEBOUNCE_MS));
  };

  context.subscriptions.push(
    diagnostics,
    { dispose: () => { for (const t of timers.values()) clearTimeout(t); timers.clear(); } },
    vscode.workspace.onDidOpenTextDocument((d) => void publish(d)),
    vscode.workspace.onDidChangeTextDocument((e) => {
      schedule(e.document);
      // Files that include the changed one may change too: re-check open scenarios.
      if (e.document.languageId === LANGUAGE_ID) {
        for (const other of vscode.workspace.textDocuments) {
          if (other !== e.document && other.languageId === LANGUAGE_ID && other.getText().includes(baseName(e.document.uri.path))) {
            docs.forget(other);
            schedule(other);
          }
        }
      }
    }),
    vscode.workspace.onDidCloseTextDocument((d) => { diagnostics.delete(d.uri); docs.forget(d); }),
    vscode.languages.registerCompletionItemProvider(selector, {
      provideCompletionItems(doc, pos) {
        return completeAt(doc.getText(), pos.line, pos.character).map((c) => {
          const item = new vscode.CompletionItem(c.label, COMPLETION_KIND[c.kind]);
          item.detail = c.detail;
          if (c.documentation) item.documentation = new vscode.MarkdownString(c.documentation);
          if (c.insertText) item.insertText = c.insertText;
          if (c.sortText) item.sortText = c.sortText;
          return item;
        });
      },
    }, ' ', '='),
    vscode.languages.registerHoverProvider(selector, {
      provideHover(doc, pos) {
        const h = hoverAt(docs.get(doc).ast, pos.line, pos.character);
        return h ? new vscode.Hover(new vscode.MarkdownString(h.markdown), toRange(h.range)) : undefined;
      },
    }),
    vscode.languages.registerDocumentSymbolProvider(selector, {
      provideDocumentSymbols(doc) {
        return docs.get(doc).ast.symbols.map(toDocumentSymbol);
      },
    }),
    vscode.languages.registerDefinitionProvider(selector, {
      provideDefinition(doc, pos) {
        const d = definitionAt(docs.get(doc).ast, pos.line, pos.character);
        if (!d) return undefined;
        // d.file is a path on the document's own file system (disk, remote or virtual).
        const uri = doc.uri.scheme === 'file' ? vscode.Uri.file(d.file) : doc.uri.with({ path: d.file.replace(/\\/g, '/') });
        return new vscode.Location(uri, toRange(d.range));
      },
    }),
    vscode.languages.registerFoldingRangeProvider(selector, {
      provideFoldingRanges(doc) {
        return foldingRanges(docs.get(doc).ast).map((f) => new vscode.FoldingRange(f.start, f.end, f.kind === 'comment' ? vscode.FoldingRangeKind.Comment : undefined));
      },
    }),
    vscode.languages.registerDocumentFormattingEditProvider(selector, {
      provideDocumentFormattingEdits(doc) {
        const text = doc.getText();
        const formatted = formatScenario(text);
        if (formatted === text) return [];
        return [vscode.TextEdit.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(text.length)), formatted)];
      },
    }),
    vscode.languages.registerCodeLensProvider(selector, {
      provideCodeLenses(doc) {
        const ast = docs.get(doc).ast;
        // Only files that are scenarios (not shared include fragments) get the lens.
        if (!ast.symbols.some((s) => s.kind === 'scenario' || s.kind === 'device')) return [];
        const range = new vscode.Range(ast.scenarioLine, 0, ast.scenarioLine, 0);
        return [
          new vscode.CodeLens(range, { title: '$(play) Run scenario', command: 'vmbus.runScenario', arguments: [doc.uri] }),
          new vscode.CodeLens(range, { title: '$(debug-alt) Debug scenario', command: 'vmbus.debugScenario', arguments: [doc.uri] }),
        ];
      },
    }),
    vscode.commands.registerCommand('vmbus.runScenario', async (arg?: unknown) => {
      const uri = await chooseTarget(arg, context.extensionUri, 'run');
      if (!uri) return undefined;
      const doc = await vscode.workspace.openTextDocument(uri);
      const parsed = await parseDocument(doc);
      if (!output) {
        output = vscode.window.createOutputChannel('VMBus Lab');
        context.subscriptions.push(output);
      }
      const out = output;
      const name = vscode.workspace.asRelativePath(uri);
      out.show(true);
      out.appendLine(`── ${name} ──`);
      if (!parsed.config) {
        for (const d of parsed.diagnostics.filter((x) => x.severity === 'error')) {
          out.appendLine(`${vscode.workspace.asRelativePath(d.file)}:${d.range.line + 1}:${d.range.column + 1}: ${d.message}`);
        }
        void vscode.window.showErrorMessage(`${name} has errors; see the Problems view.`);
        return { ok: false, errors: parsed.diagnostics.length };
      }
      const engine = await import('../../simulator');
      // One session, run in slices (a long scenario must not freeze the extension host), then
      // handed to the views as it stands.
      const session = engine.createSession(parsed.config, {});
      let stop: Awaited<ReturnType<typeof runWithProgress>>;
      try {
        stop = await runWithProgress(session, `Running ${name}`);
      } catch (e) {
        // A failure of the simulator on this file: say so, keep the extension host going.
        const msg = e instanceof Error ? e.message : String(e);
        out.appendLine(`The simulator failed on ${name}: ${msg}`);
        void vscode.window.showErrorMessage(`The simulator failed on ${name}: ${msg}`);
        return { ok: false, error: msg };
      }
      hub.setActive({ session, uri, driver: 'run' });
      const events = session.events();
      // The Output channel gets the start of a long trace; the timeline shows every event.
      let text = '';
      let shown = 0;
      for (const line of traceLines(events)) {
        if (shown++ === MAX_OUTPUT_TRACE_LINES) {
          text += `… the trace goes on (${events.length} events in all): VMBus: Show Timeline has every event, and \`vmbus-lab run ${name}\` prints them all.\n`;
          break;
        }
        text += line + '\n';
      }
      out.append(text + '\n');
      if (stop.reason === 'budget') {
        out.appendLine(`Run stopped after ${events.length} events: ${stop.description ?? 'a budget was exceeded'}; expectations were not evaluated.`);
        void vscode.window.showWarningMessage(`${name}: ${stop.description ?? 'the run exceeded its budget'}.`);
        return { ok: false, events: events.length, failed: 0, budget: true };
      }
      if (stop.reason !== 'end') {
        out.appendLine(`Run cancelled after ${events.length} events; expectations were not evaluated.`);
        return { ok: false, events: events.length, failed: 0, cancelled: true };
      }
      const results = session.expectationResults();
      for (const line of formatExpectations(results, (f) => vscode.workspace.asRelativePath(f))) out.appendLine(line);
      const failed = results.filter((r) => !r.ok).length;
      if (failed) void vscode.window.showWarningMessage(`${parsed.config.name}: ${failed} expectation(s) failed.`);
      return { ok: failed === 0, events: events.length, failed };
    }),
    vscode.commands.registerCommand('vmbus.debugScenario', async (arg?: unknown) => {
      const uri = await chooseTarget(arg, context.extensionUri, 'debug');
      if (!uri) return false;
      const doc = await vscode.workspace.openTextDocument(uri);
      const name = docs.get(doc).config?.name ?? baseName(uri.path);
      return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), {
        type: 'vmbus', request: 'launch', name, program: nameOf(uri),
      });
    }),
  );

  for (const d of vscode.workspace.textDocuments) void publish(d);
}
