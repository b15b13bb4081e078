// Real logs in the real VS Code: VMBus: Open Log on a trace-cmd text of the workspace, stepped with
// the sidebar's buttons (no engine behind it), the Channels tree following the offers; the
// conformance check puts its differences on the log file as diagnostics. Runs in every host
// (Node, web, virtual): the log is read through vscode.workspace.fs. Expected values are the
// fixture's lines (guest-netvsc.trace: line 10 offers relid 0xe, line 15 opens it, line 17 offers
// its sub-channel 0xf).
import * as assert from './assert';
import * as vscode from 'vscode';
import type { SessionHub } from '../../src/extension/session/hub';
import type { ViewsApi } from '../../src/extension/views/register';
import type { TimelineTestState } from '../../src/extension/timeline/panel';
import { resultsSuffix, resultsUri } from './env';
import { waitFor } from './wait';

const EXTENSION_ID = 'vmbus-lab.vmbus-lab';

describe('real logs', function () {
  this.timeout(60_000);
  let hub: SessionHub;
  let views: ViewsApi;
  let log: vscode.Uri;

  before(async () => {
    const e = vscode.extensions.getExtension<{ hub: SessionHub; views: ViewsApi }>(EXTENSION_ID);
    assert.ok(e, `${EXTENSION_ID} is installed`);
    const api = await e.activate();
    hub = api.hub;
    views = api.views;
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder is open');
    log = vscode.Uri.joinPath(folder.uri, 'guest-netvsc.trace');
  });

  it('opens a trace-cmd log and steps through it: the tree follows the offers, back goes back', async () => {
    // Start from no session: with a debug session active, Open Log would ask before replacing it.
    if (hub.active?.driver === 'debug') await vscode.commands.executeCommand('workbench.action.debug.stop');
    hub.setActive(undefined);
    const ok = await vscode.commands.executeCommand<boolean>('vmbus.openLog', log);
    assert.strictEqual(ok, true);
    assert.strictEqual(hub.active?.driver, 'sidebar');
    const session = hub.active.session;
    assert.strictEqual(session.position(), -1);
    for (let i = 0; i < 7; i++) await vscode.commands.executeCommand('vmbus.views.step');
    assert.strictEqual(session.position(), 6);
    const e = session.events().at(6)!;
    assert.strictEqual(e.log?.line, 10);
    assert.strictEqual(e.kind === 'message' && e.msgtype, 'CHANNELMSG_OFFERCHANNEL');
    let st = session.inspect();
    assert.deepStrictEqual(st.channels.map((c) => [c.relid, c.state]), [[14, 'offered']]);
    views.flush();
    const channels = JSON.stringify(views.snapshot('channels'));
    assert.ok(/14/.test(channels), `the Channels tree shows relid 14: ${channels.slice(0, 300)}`);
    await vscode.commands.executeCommand('vmbus.views.runToEnd');
    st = session.inspect();
    assert.deepStrictEqual(st.channels.map((c) => [c.relid, c.state]), [[14, 'open'], [15, 'offered']]);
    await vscode.commands.executeCommand('vmbus.views.stepBack');
    assert.strictEqual(session.events().at(session.position())?.log?.line, 16);
    assert.strictEqual(session.inspect().channels.length, 1);

    // The timeline shows the same records (a PNG of its canvas, on the log's time axis, goes to test-results/).
    await vscode.commands.executeCommand('vmbus.showTimeline');
    const total = session.events().length;
    const state = () => vscode.commands.executeCommand<TimelineTestState>('vmbus.timeline.testState');
    await waitFor('a window of the log served to the timeline', state, (x) => x.ready && x.lastWindow?.total === total);
    await new Promise((r) => setTimeout(r, 500));
    const file = resultsUri(`integration-log-timeline${resultsSuffix()}.png`);
    const shot = await vscode.commands.executeCommand<{ width: number; height: number } | undefined>('vmbus.timeline.snapshot', file.toString());
    assert.ok(shot && shot.width > 200 && shot.height > 100, `canvas snapshot ${JSON.stringify(shot)}`);
  });

  it('steps a real dmesg (a WSL2 guest\'s, shared/samples/real/dmesg-1.txt): its five hv_vmbus lines, the version from line 2', async () => {
    if (hub.active?.driver === 'debug') await vscode.commands.executeCommand('workbench.action.debug.stop');
    hub.setActive(undefined);
    const real = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'wsl2-dmesg-1.txt');
    assert.strictEqual(await vscode.commands.executeCommand<boolean>('vmbus.openLog', real), true);
    const session = hub.active!.session;
    // The sample's hv_vmbus lines: 2 "Vmbus version:5.2", 3, 7, 8 and 9 "Unknown GUID: …" (PCI, clocksource, VFS lines are not VMBus).
    assert.deepStrictEqual(session.events().map((e) => e.log?.line), [2, 3, 7, 8, 9]);
    await vscode.commands.executeCommand('vmbus.views.step');
    assert.strictEqual(session.position(), 0);
    const st = session.inspect();
    assert.strictEqual(st.guest.version, 0x50002, 'VMBus 5.2 (VERSION_WIN10_V5_2), as line 2 says');
    assert.strictEqual(st.time, 900_032_000, 'line 2 is at [    0.900032]');
    await vscode.commands.executeCommand('vmbus.views.runToEnd');
    assert.strictEqual(session.position(), 4);
    await vscode.commands.executeCommand('vmbus.showTimeline');
    const state = () => vscode.commands.executeCommand<TimelineTestState>('vmbus.timeline.testState');
    await waitFor('a window of the dmesg served to the timeline', state, (x) => x.ready && x.lastWindow?.total === 5);
    await new Promise((r) => setTimeout(r, 500));
    const shot = await vscode.commands.executeCommand<{ width: number } | undefined>('vmbus.timeline.snapshot', resultsUri(`integration-real-dmesg-timeline${resultsSuffix()}.png`).toString());
    assert.ok(shot && shot.width > 200);
  });

  it('a log dropped on the timeline panel (its text, read by the webview) opens through VMBus: Open Log', async () => {
    // The panel turns the webview's 'openLog' message with a file's name and text into this call.
    if (hub.active?.driver === 'debug') await vscode.commands.executeCommand('workbench.action.debug.stop');
    hub.setActive(undefined);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(log));
    const ok = await vscode.commands.executeCommand<boolean>('vmbus.openLog', { droppedLog: { name: 'dropped-netvsc.trace', text } });
    assert.strictEqual(ok, true);
    const session = hub.active!.session;
    // The same records as the file opened by URI: line 10 offers relid 0xe.
    assert.strictEqual(session.events().find((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL')?.log?.line, 10);
    assert.strictEqual(hub.active!.uri?.path.endsWith('dropped-netvsc.trace'), true);
  });

  it('checks the log against the model: the differences are diagnostics on the log file', async () => {
    const n = await vscode.commands.executeCommand<number | undefined>('vmbus.checkLog', log);
    assert.ok(typeof n === 'number', 'the check ran');
    const diags = vscode.languages.getDiagnostics(log).filter((d) => d.source === 'VMBus conformance');
    assert.strictEqual(diags.length, n);
    for (const d of diags) assert.ok(d.range.start.line >= 0 && d.range.start.line < 17, `a line of the log: ${d.range.start.line}`);
  });
});
