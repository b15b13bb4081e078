// Registers the 'vmbus' debugger: the inline adapter factory, the configuration providers, and
// the link to the SessionHub so the sidebar trees and the timeline follow the stopped position
// (and VS Code's debug UI follows when the sidebar's own buttons move the session).
import * as vscode from 'vscode';
import type { SessionHub } from '../session/hub';
import { VmbusDebugSession, type DebugHost } from './adapter';
import { EDITOR_BUDGET, createWorkspaceFsReader, readScenarioText, readerFor, workspaceRootOf } from '../scenarioFiles';
import { DEBUG_TYPE, VmbusConfigurationProvider, VmbusDynamicConfigurationProvider } from './configuration';
import { isUriString, uriOf } from '../uris';
import { dirnameOfPath as dirnameOf } from '../../simulator';

export function registerDebug(context: vscode.ExtensionContext, hub: SessionHub): void {
  const adapters = new Map<string, VmbusDebugSession>();
  // When a debug session ends, its simulation stays on show: the views keep the final state and
  // the sidebar's own buttons can go on stepping it (forwards or back) without the debugger.
  const handOver = (session: VmbusDebugSession['simulation']): void => {
    const active = hub.active;
    if (session && active?.session === session && active.driver === 'debug') {
      hub.setActive({ session, uri: active.uri, driver: 'sidebar' });
    }
  };

  const factory: vscode.DebugAdapterDescriptorFactory = {
    createDebugAdapterDescriptor(debugSession: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
      const host: DebugHost = {
        async readFile(file) {
          // Unsaved edits count (the open document); else a regular file under the cap.
          return readScenarioText(file, EDITOR_BUDGET.maxFileBytes);
        },
        // Includes stay inside the program's workspace folder, through the contained reader.
        // A program given as a URI string (VS Code for the Web: a file outside the workspace's file
        // system) keeps that form: its includes are URI strings inside the folder it lies in.
        includes(program) {
          const uri = uriOf(program);
          if (isUriString(program)) {
            const root = dirnameOf(program);
            return { reader: createWorkspaceFsReader(root, EDITOR_BUDGET.maxFileBytes, uri), root };
          }
          const reader = readerFor(uri);
          const root = workspaceRootOf(uri);
          return reader && root !== undefined ? { reader, root } : undefined;
        },
        sessionStarted(session, program) {
          hub.setActive({ session, uri: uriOf(program), driver: 'debug', debugSessionId: debugSession.id });
        },
        sessionMoved(session) {
          if (hub.active?.session === session) hub.notifyMoved();
        },
        sessionEnded(session) {
          handOver(session);
        },
      };
      const adapter = new VmbusDebugSession(host);
      adapters.set(debugSession.id, adapter);
      return new vscode.DebugAdapterInlineImplementation(adapter);
    },
  };

  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new VmbusConfigurationProvider()),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new VmbusDynamicConfigurationProvider(), vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, factory),
    vscode.debug.onDidTerminateDebugSession((s) => {
      const a = adapters.get(s.id);
      adapters.delete(s.id);
      if (a?.simulation) handOver(a.simulation);
    }),
    // The sidebar's Step / Step Back buttons act on the active session too; when they move the
    // session a debug session drives, that adapter reports a stop so VS Code's UI follows.
    hub.onDidMove((active) => {
      if (active.driver !== 'debug' || !active.debugSessionId) return;
      adapters.get(active.debugSessionId)?.syncExternalMove();
    }),
    // The "Debug Scenario" command and CodeLens (vmbus.debugScenario) are registered by the language feature.
  );
}
