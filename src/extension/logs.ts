// Real logs in VS Code: VMBus: Open Log (the log's session drives the trees, the timeline and the
// sidebar's stepper, with no engine behind it), VMBus: Check Log Against the Model (differences as
// diagnostics on the log file, and the log beside the model in the timeline's compare view) and
// VMBus: What If Confidential (the logged VM on SNP and TDX with OpenHCL, side by side). Files are
// read through vscode.workspace.fs (the same code runs in VS Code for the Web).
import * as vscode from 'vscode';
import type { SessionHub } from './session/hub';
import type { TimelineController } from './timeline/panel';
import { checkLog, formatWhatIf, hasContent, isLogSession, openLog, runScenario, whatIfConfidential, type CheckDifference } from '../simulator';
import { baseName } from './uris';
import { MAX_DROPPED_LOG_BYTES } from '../shared/timelineProtocol';

/** Largest log opened (bytes): a bigger file is refused with a clear message instead of freezing the host. */
export const MAX_LOG_BYTES = MAX_DROPPED_LOG_BYTES;

interface LogInput { text: string; uri: vscode.Uri; name: string }

/** The text of a file dropped on the timeline panel, read by the webview (it has no path). */
function droppedLog(arg: unknown): LogInput | undefined {
  const d = typeof arg === 'object' && arg !== null ? (arg as { droppedLog?: unknown }).droppedLog : undefined;
  if (typeof d !== 'object' || d === null) return undefined;
  const { name, text } = d as { name?: unknown; text?: unknown };
  if (typeof name !== 'string' || typeof text !== 'string') return undefined;
  const base = baseName(name) || 'dropped.log';
  return { text, uri: vscode.Uri.from({ scheme: 'untitled', path: base }), name: base };
}

async function readLog(arg: unknown): Promise<LogInput | undefined> {
  const dropped = droppedLog(arg);
  if (dropped) {
    // The webview reads at most the budget; the host checks again (the message could say anything).
    const bytes = new TextEncoder().encode(dropped.text).length;
    if (bytes > MAX_LOG_BYTES) { void vscode.window.showWarningMessage(`${dropped.name} is ${(bytes / 1e6).toFixed(0)} MB; logs up to ${MAX_LOG_BYTES / 1e6} MB open in VS Code (use vmbus-lab import for larger ones).`); return undefined; }
    return dropped;
  }
  let uri: vscode.Uri | undefined = arg instanceof vscode.Uri ? arg : typeof arg === 'string' && arg ? vscode.Uri.parse(arg) : undefined;
  if (!uri) {
    const ed = vscode.window.activeTextEditor;
    if (ed && ed.document.languageId !== 'vmbus' && ed.document.getText().trim() !== '') uri = ed.document.uri;
  }
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Open Log', filters: { 'Logs and traces': ['txt', 'log', 'trace', 'dat', 'out'], 'All files': ['*'] } });
    uri = picked?.[0];
  }
  if (!uri) return undefined;
  const name = baseName(uri.path);
  // An open document's text (unsaved edits included) wins over the disk.
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri!.toString());
  if (doc) return { text: doc.getText(), uri, name };
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.type & vscode.FileType.Directory) { void vscode.window.showWarningMessage(`${name} is a folder, not a log.`); return undefined; }
    if (stat.size > MAX_LOG_BYTES) { void vscode.window.showWarningMessage(`${name} is ${(stat.size / 1e6).toFixed(0)} MB; logs up to ${MAX_LOG_BYTES / 1e6} MB open in VS Code (use vmbus-lab import for larger ones).`); return undefined; }
    const bytes = await vscode.workspace.fs.readFile(uri);
    return { text: new TextDecoder('utf-8').decode(bytes), uri, name };
  } catch (e) {
    void vscode.window.showErrorMessage(`Cannot read ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

function diagnosticOf(d: CheckDifference, doc: { lineCount: number } | undefined): vscode.Diagnostic {
  const line = Math.max(0, Math.min((d.logLine ?? 1) - 1, (doc?.lineCount ?? Number.MAX_SAFE_INTEGER) - 1));
  const model = d.modelSeq !== undefined ? ` (model: trace event #${d.modelSeq}${d.modelRecord ? `: ${d.modelRecord}` : ''})` : '';
  const diag = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), `${d.message}${model}`,
    d.logLine === undefined ? vscode.DiagnosticSeverity.Information : vscode.DiagnosticSeverity.Warning);
  diag.source = 'VMBus conformance';
  diag.code = d.kind;
  return diag;
}

export function registerLogs(context: vscode.ExtensionContext, hub: SessionHub, timeline: TimelineController): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('vmbus-conformance');
  context.subscriptions.push(diagnostics);

  const open = async (arg?: unknown): Promise<boolean> => {
    const input = await readLog(arg);
    if (!input) return false;
    const opened = openLog(input.text, input.uri.toString());
    if (!hasContent(opened.imported)) {
      const first = opened.imported.diagnostics.find((d) => d.severity !== 'info');
      void vscode.window.showWarningMessage(`Nothing in ${input.name} is a VMBus log record${first ? ` (line ${first.line}: ${first.message})` : ''}.`);
      return false;
    }
    if (hub.active?.driver === 'debug') {
      const ok = await vscode.window.showWarningMessage('A debug session drives the VMBus views. Replace it with the log?', 'Replace');
      if (ok !== 'Replace') return false;
    }
    hub.setActive({ session: opened.session, uri: input.uri, driver: 'sidebar' });
    await Promise.resolve(vscode.commands.executeCommand('vmbus.showTimeline')).catch(() => undefined);
    void vscode.commands.executeCommand('vmbus.negotiation.focus');
    const n = opened.session.events().length;
    void vscode.window.showInformationMessage(`${input.name}: ${opened.imported.kind}, ${n} event${n === 1 ? '' : 's'}, ${opened.session.inspect().channels.length === 0 && n > 0 ? 'channels as they are offered' : `${opened.imported.devices.length} device(s)`}. Step with the VMBus view's buttons; what the log does not say shows as unknown.`);
    return true;
  };

  const check = async (arg?: unknown): Promise<number | undefined> => {
    const input = await readLog(arg);
    if (!input) return undefined;
    const opened = openLog(input.text, input.uri.toString());
    const r = opened.imported;
    if (r.kind !== 'trace' && r.kind !== 'dmesg') {
      void vscode.window.showWarningMessage(`${input.name} is ${hasContent(r) ? `a ${r.kind} listing` : 'not a log the importers recognise'}: the check needs a trace-cmd text of the hyperv:vmbus_* events or a dmesg.`);
      return undefined;
    }
    if (!opened.scenario) {
      void vscode.window.showWarningMessage(`The scenario imported from ${input.name} does not parse; use vmbus-lab check --scenario.`);
      return undefined;
    }
    const model = runScenario(opened.scenario);
    const result = checkLog(r, model.events);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === input.uri.toString());
    diagnostics.set(input.uri, result.differences.map((d) => diagnosticOf(d, doc)));
    timeline.showCompare({ title: `${input.name}: log ↔ model`, labels: [input.name, 'model'], a: result.logTrace, b: result.modelTrace, vpCount: opened.session.config.platform.vpCount, uri: input.uri });
    const hidden = Object.values(result.hidden).reduce((a, b) => a + b, 0);
    const msg = `${input.name}: ${result.logRecords} records compared with the model, ${result.differences.length} difference${result.differences.length === 1 ? '' : 's'} (${hidden} expected ones hidden: pids, times, relids the model numbers itself ...).`;
    if (result.differences.length) void vscode.window.showWarningMessage(msg); else void vscode.window.showInformationMessage(msg);
    return result.differences.length;
  };

  const whatIf = async (arg?: unknown): Promise<string | undefined> => {
    // Without an argument: the open log's VM (the one the Channels tree shows), else a log to pick.
    const active = hub.active;
    const input = await readLog(arg ?? (active && isLogSession(active.session) ? active.uri : undefined));
    if (!input) return undefined;
    const config = openLog(input.text, input.uri.toString()).scenario;
    const name = input.name;
    if (!config || config.devices.length === 0) {
      void vscode.window.showWarningMessage(`${name} names no device the model can simulate (a class is needed: lsvmbus -v, sysfs, a trace's offers, udevadm info ...).`);
      return undefined;
    }
    const text = formatWhatIf(whatIfConfidential(config), name);
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: text });
    await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    void vscode.commands.executeCommand('markdown.showPreview', doc.uri).then(undefined, () => undefined);
    return text;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('vmbus.openLog', open),
    vscode.commands.registerCommand('vmbus.checkLog', check),
    vscode.commands.registerCommand('vmbus.whatIfConfidential', whatIf),
    // A log closed or deleted keeps no stale differences.
    vscode.workspace.onDidCloseTextDocument((d) => diagnostics.delete(d.uri)),
  );
}

/** Drops of files onto the VMBus views open them as logs (registered on each tree view). */
export class LogDropController<T> implements vscode.TreeDragAndDropController<T> {
  readonly dropMimeTypes = ['text/uri-list', 'files'];
  readonly dragMimeTypes: string[] = [];

  async handleDrop(_target: T | undefined, data: vscode.DataTransfer): Promise<void> {
    const list = data.get('text/uri-list');
    const text = list ? await list.asString() : '';
    const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
    if (first) {
      await vscode.commands.executeCommand('vmbus.openLog', vscode.Uri.parse(first));
      return;
    }
    const file = data.get('files')?.asFile();
    if (file?.uri) await vscode.commands.executeCommand('vmbus.openLog', file.uri);
  }
}
