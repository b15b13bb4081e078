// Command vmbus.importLog: the active editor's text (or a picked file) — lsvmbus, a sysfs dump,
// dmesg, udevadm monitor or trace-cmd output of a real VM — becomes an untitled .vmbus scenario
// that simulates that VM. The conversion is the simulator's (src/simulator/importers).
import { MAX_DEVICES } from '../simulator/index';
import * as vscode from 'vscode';
import { hasContent, importedToScenario, importLog, type ImportResult } from '../simulator';

const MAX_SHOWN = 8;

/** A short summary of the diagnostics worth a user's attention (warnings and errors), with line numbers. */
export function problemSummary(r: ImportResult, source: string): string | undefined {
  const problems = r.diagnostics.filter((d) => d.severity !== 'info');
  if (problems.length === 0) return undefined;
  const shown = problems.slice(0, MAX_SHOWN).map((d) => `line ${d.line}: ${d.message}`);
  const more = problems.length > MAX_SHOWN ? ` (and ${problems.length - MAX_SHOWN} more)` : '';
  return `${source}: ${problems.length} line${problems.length === 1 ? '' : 's'} not fully understood${more}. ${shown.join('; ')}`;
}

async function pickText(): Promise<{ text: string; source: string } | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.languageId !== 'vmbus' && editor.document.getText().trim() !== '') {
    const sel = editor.selection;
    const text = sel && !sel.isEmpty ? editor.document.getText(sel) : editor.document.getText();
    const name = editor.document.isUntitled ? 'the active editor' : vscode.workspace.asRelativePath(editor.document.uri);
    return { text, source: name };
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Import as Scenario',
    filters: { 'Logs and listings': ['txt', 'log', 'dat', 'out'], 'All files': ['*'] },
  });
  if (!picked || picked.length === 0) return undefined;
  // A regular file within the import budget (a FIFO or a device would never end).
  const st = await vscode.workspace.fs.stat(picked[0]);
  if ((st.type & vscode.FileType.File) === 0 || st.size > IMPORT_MAX_BYTES) {
    void vscode.window.showErrorMessage(`${picked[0].path.split('/').pop()}: ${st.size > IMPORT_MAX_BYTES ? `too large to import (${st.size} bytes; the limit is ${IMPORT_MAX_BYTES})` : 'not a regular file'}.`);
    return undefined;
  }
  const bytes = await vscode.workspace.fs.readFile(picked[0]);
  return { text: new TextDecoder('utf-8').decode(bytes), source: picked[0].path.split('/').pop() ?? 'the picked file' };
}

/** The largest log imported (as vmbus-lab import's default --max-bytes). */
const IMPORT_MAX_BYTES = 64 * 1024 * 1024;

export function registerImportLog(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('vmbus.importLog', async () => {
      const input = await pickText();
      if (!input) return;
      const r = importLog(input.text);
      if (!hasContent(r)) {
        const first = r.diagnostics.find((d) => d.severity !== 'info');
        void vscode.window.showWarningMessage(`Nothing in ${input.source} looks like lsvmbus, sysfs, dmesg, udevadm monitor or trace-cmd output${first ? ` (line ${first.line}: ${first.message})` : ''}.`);
        return;
      }
      if (r.devices.length > MAX_DEVICES) {
        void vscode.window.showErrorMessage(`${input.source} lists ${r.devices.length} devices; a scenario holds at most ${MAX_DEVICES}.`);
        return;
      }
      const scenario = importedToScenario(r, { source: input.source });
      const doc = await vscode.workspace.openTextDocument({ language: 'vmbus', content: scenario });
      await vscode.window.showTextDocument(doc, { preview: false });
      const summary = problemSummary(r, input.source);
      if (summary) void vscode.window.showWarningMessage(summary);
      else void vscode.window.showInformationMessage(`Imported ${r.devices.length} device${r.devices.length === 1 ? '' : 's'} from ${input.source} (${r.kind}).`);
    }),
  );
}
