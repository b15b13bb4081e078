// Polling helper shared by the integration suites: the extension host updates views, diagnostics
// and debug sessions asynchronously, so tests wait for an observable condition, with a deadline
// that turns a hang into a failure that says what never happened.
import * as assert from './assert';
import * as vscode from 'vscode';

/**
 * Polls `get` until `ok(value)` holds (by default: the value is truthy) and returns that value.
 * Fails the test after `timeoutMs`, naming `what` and the last value seen.
 */
type Absent = undefined | null | false;

export async function waitFor<T>(
  what: string,
  get: () => T | Absent | Thenable<T | Absent>,
  ok: (v: T) => boolean = (v) => Boolean(v),
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined && v !== null && v !== false && ok(v)) return v;
    if (Date.now() > deadline) {
      let last: string;
      try { last = JSON.stringify(v) ?? String(v); } catch { last = String(v); }
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what} (last value: ${last.slice(0, 300)})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Closes every editor without a save prompt: dirty documents (the suites' untitled scenarios) are
 * reverted first. Desktop VS Code answers "Don't Save" itself while extension tests run; the
 * served workbench of the web host would show a modal dialog that swallows the next commands.
 */
export async function closeAllEditors(): Promise<void> {
  for (const doc of vscode.workspace.textDocuments) {
    if (!doc.isDirty || doc.isClosed) continue;
    await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
