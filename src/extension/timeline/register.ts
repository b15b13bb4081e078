// The timeline feature: the panel (vmbus.showTimeline), its restore after a restart, the decoded
// event documents, compare mode (vmbus.compareDesigns) and two internal commands for tests.
import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import type { SessionHub } from '../session/hub';
import { TIMELINE_VIEW_TYPE, type TimelineViewState } from '../../shared/timelineProtocol';
import { DECODED_SCHEME, TimelineController, decodedProvider } from './panel';
import { registerCompare } from './compare';

export function registerTimeline(context: vscode.ExtensionContext, hub: SessionHub): void {
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
    vscode.commands.registerCommand('vmbus.timeline.snapshot', async (file?: string) => {
      const shot = await controller.snapshot();
      if (!shot) return undefined;
      if (file) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, Buffer.from(shot.dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
      }
      return { width: shot.width, height: shot.height, bytes: shot.dataUrl.length };
    }),
  );
  registerCompare(context, hub, controller);
}
