// Commands that belong to no single feature: opening an example.
import * as vscode from 'vscode';
import type { SessionHub } from './session/hub';

export function registerCommands(context: vscode.ExtensionContext, _hub: SessionHub): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('vmbus.openExample', async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) {
        void vscode.window.showInformationMessage('Open a folder with .vmbus scenarios first (the examples/ folder of VMBus Lab has some).');
        return;
      }
      const files = await vscode.workspace.findFiles('**/*.vmbus', '**/node_modules/**', 200);
      if (files.length === 0) {
        void vscode.window.showInformationMessage('No .vmbus scenario in this workspace.');
        return;
      }
      const pick = await vscode.window.showQuickPick(
        files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
        { placeHolder: 'Scenario to open' },
      );
      if (pick) await vscode.window.showTextDocument(pick.uri);
    }),
  );
}
