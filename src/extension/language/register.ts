import type * as vscode from 'vscode';
import type { SessionHub } from '../session/hub';

export function registerLanguage(_context: vscode.ExtensionContext, _hub: SessionHub): void {
  // Filled in by the language feature.
}
