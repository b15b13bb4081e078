// What test/runIntegration.mjs tells the suites, in either extension host: environment variables
// in the Node extension host; in the web worker extension host (no process) the runner bakes the
// same values into the web test bundle as VMBUS_WEB_TEST_ENV.
import * as vscode from 'vscode';

declare const VMBUS_WEB_TEST_ENV: Record<string, string> | undefined;

export function testEnv(name: string): string | undefined {
  if (typeof VMBUS_WEB_TEST_ENV !== 'undefined') return VMBUS_WEB_TEST_ENV[name];
  return typeof process !== 'undefined' ? process.env[name] : undefined;
}

/** Which extension host runs the suites: 'node', or 'web' (the web worker extension host). */
export function hostKind(): 'node' | 'web' {
  return testEnv('VMBUS_TEST_HOST') === 'web' ? 'web' : 'node';
}

/** A path or URI string from the runner → Uri (paths are local files: only the Node host gets them). */
export function uriFromEnv(value: string): vscode.Uri {
  return /^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(value) ? vscode.Uri.parse(value) : vscode.Uri.file(value);
}

/** Where screenshots go (test-results/), as a Uri on the machine that runs the tests. */
export function resultsUri(name: string): vscode.Uri {
  const dir = testEnv('VMBUS_TEST_RESULTS_DIR');
  if (!dir) throw new Error('VMBUS_TEST_RESULTS_DIR is not set (test/runIntegration.mjs sets it)');
  return vscode.Uri.joinPath(uriFromEnv(dir), name);
}

/** The name of a fixture file as VS Code's `${file}` gives it (fsPath for files, the path otherwise). */
export function programOf(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.path;
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try { await vscode.workspace.fs.stat(uri); return true; } catch { return false; }
}

/** '' in the Node host; '-web' in the web worker host on a folder, '-virtual' on the virtual workspace. */
export function resultsSuffix(): string {
  if (hostKind() !== 'web') return '';
  return vscode.workspace.workspaceFolders?.[0]?.uri.scheme === 'vmbusvfs' ? '-virtual' : '-web';
}
