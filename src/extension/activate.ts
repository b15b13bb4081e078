// activate(): wires each feature's registration to one shared SessionHub. Activation comes only
// from contributions (opening a .vmbus file, a VMBus view, a command, a vmbus debug session).
// The same code runs in both extension hosts; the entries are extension.ts (Node, `main`) and
// src/web/extension.ts (web worker, `browser`), which import startupClock first.
import { startup, type StartupTimes } from './startupClock';
import * as vscode from 'vscode';
import { SessionHub } from './session/hub';
import { registerLanguage } from './language/register';
import { registerDebug } from './debug/register';
import { registerViews, type ViewsApi } from './views/register';
import { registerTimeline } from './timeline/register';
import { registerCommands } from './commands';
import { registerImportLog } from './importLog';
import { registerLogs } from './logs';

startup.evaluated = performance.now();

export function activate(context: vscode.ExtensionContext): { hub: SessionHub; views: ViewsApi; startup: StartupTimes } {
  startup.activateStart = performance.now();
  const hub = new SessionHub();
  context.subscriptions.push(hub);
  registerCommands(context, hub);
  registerLanguage(context, hub);
  registerDebug(context, hub);
  const views = registerViews(context, hub);
  const timeline = registerTimeline(context, hub);
  registerLogs(context, hub, timeline);
  registerImportLog(context);
  startup.activateEnd = performance.now();
  return { hub, views, startup };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
