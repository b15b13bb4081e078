// Launch configurations for the 'vmbus' debug type: F5 on an open .vmbus file works without a
// launch.json, and the Run and Debug view offers one entry per scenario in the workspace.
import * as vscode from 'vscode';
import { baseName, nameOf } from '../uris';
import { findWorkspaceFiles } from '../workspaceFiles';

export const DEBUG_TYPE = 'vmbus';

function activeScenario(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && (doc.languageId === 'vmbus' || doc.uri.path.endsWith('.vmbus'))) return doc.uri;
  return undefined;
}

export class VmbusConfigurationProvider implements vscode.DebugConfigurationProvider {
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.ProviderResult<vscode.DebugConfiguration> {
    // No launch.json (or an empty configuration): debug the scenario in the active editor.
    if (!config.type && !config.request && !config.name) {
      const uri = activeScenario();
      if (!uri) {
        void vscode.window.showInformationMessage('Open a .vmbus scenario to debug it (or add a "vmbus" launch configuration).');
        return undefined;
      }
      return {
        type: DEBUG_TYPE,
        name: `Debug ${baseName(uri.path)}`,
        request: 'launch',
        program: nameOf(uri),
        stopOnEntry: true,
      };
    }
    // The declared default: stop before the first event, so a new user steps from the start.
    if (config.stopOnEntry === undefined) config.stopOnEntry = true;
    if (!config.program) {
      const uri = activeScenario();
      if (!uri) {
        void vscode.window.showErrorMessage('The vmbus launch configuration needs "program": the .vmbus scenario to run.');
        return undefined;
      }
      config.program = nameOf(uri);
    }
    return config;
  }

  resolveDebugConfigurationWithSubstitutedVariables(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.ProviderResult<vscode.DebugConfiguration> {
    if (typeof config.program === 'string' && !config.program.endsWith('.vmbus')) {
      void vscode.window.showErrorMessage(`"${baseName(config.program)}" is not a .vmbus scenario.`);
      return undefined;
    }
    return config;
  }
}

/** Dynamic configurations: one "Debug <file>" per scenario in the workspace (shown in the Run and Debug dropdown). */
export class VmbusDynamicConfigurationProvider implements vscode.DebugConfigurationProvider {
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    const files = await findWorkspaceFiles({ suffix: '.vmbus' }, 50, folder);
    return files
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((uri) => ({
        type: DEBUG_TYPE,
        name: `Debug ${vscode.workspace.asRelativePath(uri)}`,
        request: 'launch',
        program: nameOf(uri),
        stopOnEntry: true,
      }));
  }
}
