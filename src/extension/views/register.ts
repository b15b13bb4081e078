import type * as vscode from 'vscode';
import type { SessionHub } from '../session/hub';

export function registerViews(_context: vscode.ExtensionContext, _hub: SessionHub): void {
  // Filled in by the views feature.
}
