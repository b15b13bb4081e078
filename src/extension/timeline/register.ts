// The timeline feature: the panel (vmbus.showTimeline), its restore after a restart, the decoded
// event documents, compare mode (vmbus.compareDesigns) and two internal commands for tests.
import * as vscode from 'vscode';
import type { SessionHub } from '../session/hub';
import { TIMELINE_VIEW_TYPE, type TimelineViewState } from '../../shared/timelineProtocol';
import { DECODED_SCHEME, TimelineController, decodedProvider } from './panel';
import { registerCompare } from './compare';
import { base64ToBytes } from '../../shared/base64';
import { uriOf } from '../uris';

export function registerTimeline(context: vscode.ExtensionContext, hub: SessionHub): TimelineController {
  const controller = new TimelineController(context, hub);
  context.subscriptions.push(
    controller,
    vscode.commands.registerCommand('vmbus.showTimeline', () => controller.show()),
    vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, {
      deserializeWebviewPanel: (panel: vscode.WebviewPanel, state: unknown) => controller.restore(panel, state as TimelineViewState | undefined),
    }),
    vscode.workspace.registerTextDocumentContentProvider(DECODED_SCHEME, decodedProvider),
    // Internal (not in the command palette): used by the integration tests.
    vscode.commands.registerCommand('vmbus.timeline.testState', () => controller.testState()),
    // `file`: a path or URI string; written through vscode.workspace.fs (parent folders included).
    vscode.commands.registerCommand('vmbus.timeline.snapshot', async (file?: string) => {
      const shot = await controller.snapshot();
      if (!shot) return undefined;
      if (file) await vscode.workspace.fs.writeFile(uriOf(file), base64ToBytes(shot.dataUrl.replace(/^data:image\/png;base64,/, '')));
      return { width: shot.width, height: shot.height, bytes: shot.dataUrl.length };
    }),
  );
  registerCompare(context, hub, controller);
  return controller;
}
