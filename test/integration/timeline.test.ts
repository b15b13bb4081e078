// The timeline panel in the real VS Code: it opens after a run, receives windows of the trace
// through the typed protocol, follows the stepper, survives being hidden (its page is rebuilt and
// asks again), shows the probe ↔ CPUID comparison; a PNG of its canvas goes to test-results/.
import * as assert from './assert';
import * as vscode from 'vscode';
import type { SessionHub } from '../../src/extension/session/hub';
import type { TimelineTestState } from '../../src/extension/timeline/panel';
import { closeAllEditors, waitFor } from './wait';
import { resultsSuffix, resultsUri } from './env';

const EXTENSION_ID = 'vmbus-lab.vmbus-lab';


// Screenshots of a web run get their own names (-web, -virtual), beside those of the Node run.
const SUFFIX = resultsSuffix();

const state = () => vscode.commands.executeCommand<TimelineTestState>('vmbus.timeline.testState');

describe('timeline panel', function () {
  this.timeout(120_000);
  let hub: SessionHub;
  let ext: vscode.Extension<{ hub: SessionHub }>;

  before(async () => {
    const e = vscode.extensions.getExtension<{ hub: SessionHub }>(EXTENSION_ID);
    assert.ok(e, `${EXTENSION_ID} is installed`);
    ext = e;
    hub = (await ext.activate()).hub;
  });

  after(async () => {
    await closeAllEditors();
  });

  it('opens after a run and receives a window of the trace', async () => {
    const uri = vscode.Uri.joinPath(ext.extensionUri, 'examples', 'fallback-probe.vmbus');
    const ok = await vscode.commands.executeCommand<boolean>('vmbus.views.pickScenario', uri);
    assert.strictEqual(ok, true, 'a session started');
    await vscode.commands.executeCommand('vmbus.views.runToEnd');
    const total = hub.active?.session.events().length ?? 0;
    assert.ok(total > 50, `the run produced events (${total})`);

    await vscode.commands.executeCommand('vmbus.showTimeline');
    // A window of this run (one of an earlier session may still be on its way when the panel opens).
    const s = await waitFor('a window of this run served to the webview', state, (x) => x.ready && x.windowsServed > 0 && (x.lastWindow?.items ?? 0) > 0 && x.lastWindow?.total === total);
    assert.strictEqual(s.open, true);
    assert.strictEqual(s.mode, 'single');
    assert.strictEqual(s.lastWindow?.total, total);
    assert.ok((s.lastWindow?.items ?? 0) <= total);

    // Give the panel the whole window for the picture.
    for (const c of ['workbench.action.closeSidebar', 'workbench.action.closeAuxiliaryBar', 'workbench.action.closePanel', 'workbench.action.joinAllGroups']) {
      await vscode.commands.executeCommand(c).then(undefined, () => undefined);
    }
    await vscode.commands.executeCommand('vmbus.showTimeline');
    await new Promise((r) => setTimeout(r, 800));
    const file = resultsUri(`integration-timeline${SUFFIX}.png`);
    const shot = await vscode.commands.executeCommand<{ width: number; height: number; bytes: number } | undefined>('vmbus.timeline.snapshot', file.toString());
    assert.ok(shot && shot.width > 200 && shot.height > 100, `canvas snapshot ${JSON.stringify(shot)}`);
    const png = await vscode.workspace.fs.readFile(file);
    assert.ok(png.length > 2000, `a PNG was written (${png.length} bytes)`);
    assert.deepStrictEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  });

  it('follows the stepper and serves more windows as the trace changes', async () => {
    const before = (await state()).windowsServed;
    await vscode.commands.executeCommand('vmbus.views.restart');
    await vscode.commands.executeCommand('vmbus.views.step');
    await vscode.commands.executeCommand('vmbus.views.step');
    await waitFor('a new window after the trace changed', state, (x) => x.windowsServed > before);
    await vscode.commands.executeCommand('vmbus.views.runToEnd');
  });

  it('rebuilds the page after being hidden and asks for its window again', async () => {
    const s0 = await waitFor('visible', state, (x) => x.visible && x.ready);
    // Cover the panel with an editor in its own group, then bring it back.
    // A file, not an untitled document: closing it later must not ask to save.
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(ext.extensionUri, 'package.json'));
    const groupOfPanel = vscode.window.tabGroups.all.find((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputWebview));
    await vscode.window.showTextDocument(doc, { viewColumn: groupOfPanel?.viewColumn ?? vscode.ViewColumn.Beside, preview: false });
    await waitFor('hidden', state, (x) => !x.visible);
    await vscode.commands.executeCommand('vmbus.showTimeline');
    await waitFor('ready again with a new window', state, (x) => x.visible && x.ready && x.windowsServed > s0.windowsServed);
  });

  it('compares the probe design with the CPUID design', async () => {
    const before = (await state()).windowsServed;
    const ok = await vscode.commands.executeCommand<boolean>('vmbus.compareDesigns', 'fallback-probe');
    assert.strictEqual(ok, true);
    const s = await waitFor('compare windows', state, (x) => x.mode === 'compare' && x.ready && x.windowsServed > before);
    assert.ok((s.lastWindow?.items ?? 0) > 0);
    await vscode.commands.executeCommand('workbench.action.joinAllGroups').then(undefined, () => undefined);
    await new Promise((r) => setTimeout(r, 800));
    await vscode.commands.executeCommand('vmbus.timeline.snapshot', resultsUri(`integration-timeline-compare${SUFFIX}.png`).toString());
    // Back to the live session.
    await vscode.commands.executeCommand('vmbus.showTimeline');
    await waitFor('single mode again', state, (x) => x.mode === 'single');
  });

  it('Compare Designs from the palette while the timeline has the focus uses the .vmbus editor beside it', async () => {
    // No session to fall back on: only the visible editor can name the scenario.
    // (Stop twice if need be: a debug session's simulation is first handed to the sidebar.)
    await waitFor('no active session', async () => {
      if (hub.active) await vscode.commands.executeCommand('vmbus.views.stop');
      return hub.active === undefined;
    });
    await closeAllEditors();
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(ext.extensionUri, 'examples', 'cpuid-design.vmbus'));
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One });
    await vscode.commands.executeCommand('vmbus.showTimeline');
    await waitFor('the timeline focused, the scenario still visible', () =>
      vscode.window.activeTextEditor === undefined && vscode.window.visibleTextEditors.some((e) => e.document === doc));
    const ok = await vscode.commands.executeCommand<boolean>('vmbus.compareDesigns');
    assert.strictEqual(ok, true, 'compared the visible scenario');
    await waitFor('compare mode', state, (x) => x.mode === 'compare' && x.ready);
  });
});
