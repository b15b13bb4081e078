// Commands that belong to no single feature: opening an example.
import * as vscode from 'vscode';
import type { SessionHub } from './session/hub';
import { resolveScenarioUri } from './views/actions';
import { findWorkspaceFiles } from './workspaceFiles';

export function registerCommands(context: vscode.ExtensionContext, _hub: SessionHub): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('vmbus.openExample', async (name?: string) => {
      // With a name (walkthrough links: "fallback-probe"): the workspace's copy, else the bundled example.
      if (typeof name === 'string' && name) {
        const uri = await resolveScenarioUri(name, context.extensionUri);
        if (uri) {
          await vscode.window.showTextDocument(uri, { preview: false });
          return;
        }
        void vscode.window.showWarningMessage(`No example scenario named ${name}.`);
      }
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) {
        void vscode.window.showInformationMessage('Open a folder with .vmbus scenarios first (the examples/ folder of VMBus Lab has some).');
        return;
      }
      const files = await findWorkspaceFiles({ suffix: '.vmbus' }, 200);
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
