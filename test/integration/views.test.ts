// The sidebar trees in the real VS Code: step a bundled example from the Negotiation view's
// controls, then check what each view shows, that reveal reaches the hub and the tree, that the
// channel context actions work and that a step refreshes only the nodes that changed.
import * as assert from './assert';
import * as vscode from 'vscode';
import type { SessionHub } from '../../src/extension/session/hub';
import type { ViewsApi } from '../../src/extension/views/register';
import type { NodeSnapshot } from '../../src/extension/views/model/node';
import { waitFor } from './wait';

const EXTENSION_ID = 'vmbus-lab.vmbus-lab';


function find(nodes: NodeSnapshot[], pred: (n: NodeSnapshot) => boolean): NodeSnapshot | undefined {
  for (const n of nodes) {
    if (pred(n)) return n;
    const c = find(n.children, pred);
    if (c) return c;
  }
  return undefined;
}

describe('views', function () {
  this.timeout(60_000);
  let hub: SessionHub;
  let views: ViewsApi;
  let ext: vscode.Extension<{ hub: SessionHub; views: ViewsApi }>;

  before(async () => {
    const e = vscode.extensions.getExtension<{ hub: SessionHub; views: ViewsApi }>(EXTENSION_ID);
    assert.ok(e, `${EXTENSION_ID} is installed`);
    ext = e;
    const api = await ext.activate();
    hub = api.hub;
    views = api.views;
    assert.ok(views, 'activate() exports the views API');
  });

  it('shows the welcome content (empty trees) when nothing runs', () => {
    if (hub.active) hub.setActive(undefined);
    views.flush();
    for (const v of ['negotiation', 'channels', 'synics', 'exposure'] as const) assert.deepStrictEqual(views.snapshot(v), [], `${v} is empty`);
  });

  it('steps a scenario picked in the sidebar: negotiation shows the run as a checklist', async () => {
    const uri = vscode.Uri.joinPath(ext.extensionUri, 'examples', 'mixed-confidential.vmbus');
    const ok = await vscode.commands.executeCommand<boolean>('vmbus.views.pickScenario', uri);
    assert.strictEqual(ok, true, 'the picker parsed the scenario and started a session');
    assert.strictEqual(hub.active?.driver, 'sidebar');
    const session = hub.active.session;
    await vscode.commands.executeCommand('vmbus.negotiation.focus');
    // The plan (a dry run) arrives asynchronously and fills in the phases still ahead.
    await waitFor('the pending phases of the plan', () => {
      views.flush();
      return !!find(views.snapshot('negotiation'), (n) => n.label === 'offers' && /pending/.test(n.description ?? ''));
    });
    for (let i = 0; i < 12; i++) await vscode.commands.executeCommand('vmbus.views.step');
    assert.ok(session.position() >= 11, `stepped to ${session.position()}`);
    views.flush();
    const neg = views.snapshot('negotiation');
    assert.match(neg[0].label, /^guest /, 'a status line first');
    assert.match(neg[0].description ?? '', new RegExp(`^event ${session.position() + 1} of `));
    const model = views.model('negotiation');
    const current = [...model.nodes.values()].filter((n) => n.highlight);
    assert.ok(current.length >= 1, 'the current position is highlighted');
    assert.ok(find(neg, (n) => n.icon === 'pass'), 'finished phases show their outcome');
  });

  it('after Run to End the channels, SynICs and exposure views populate', async () => {
    await vscode.commands.executeCommand('vmbus.views.runToEnd');
    assert.ok(hub.active?.session.done(), 'the run is complete');
    views.flush();

    const ch = views.snapshot('channels');
    assert.deepStrictEqual(ch.map((g) => g.label), ['netvsc', 'storvsc'], 'grouped by device class');
    const disk = find(ch, (n) => n.label === 'disk0');
    assert.ok(disk, 'disk0 is listed');
    assert.strictEqual(disk.icon, 'lock', 'confidential ring buffer (chn_flags 0x2)');
    assert.match(disk.description ?? '', /relid \d+ · open · paravisor/);
    assert.ok(find(disk.children, (n) => n.label === 'VMBUS_CHANNEL_CONFIDENTIAL_RING_BUFFER'));
    const nic = find(ch, (n) => n.label === 'nic0');
    assert.ok(nic);
    assert.strictEqual(nic.icon, 'unlock');
    assert.match(nic.description ?? '', /host \(relayed\)/);
    assert.ok(find(nic.children, (n) => /^GPADL 0x/.test(n.label) && /host-visible/.test(n.description ?? '')), 'GPADLs with their visibility');

    const sy = views.snapshot('synics');
    const para = find(sy, (n) => n.label === 'Paravisor SynIC');
    assert.ok(para, 'the paravisor SynIC of VP 0');
    const sint2 = find(para.children, (n) => n.label === 'SINT2 (VMBus)');
    assert.ok(sint2);
    assert.ok(find(sint2.children, (n) => n.label === 'proxy: 0'), 'Confidential VMBus: proxy bit 0 on the paravisor SINT2');

    const ex = views.snapshot('exposure');
    assert.match(ex[0].label, /^\d+ of \d+ pages visible to the host$/);
    assert.strictEqual(views.treeView('exposure').description, ex[0].label, 'the summary also sits in the title');
    const enc = ex.find((n) => n.id === 'exp:encrypted');
    assert.ok(enc && find(enc.children, (n) => /disk0/.test(n.label)), 'the confidential ring is among the encrypted pages');
  });

  it('reveals: clicking a phase asks the hub to reveal its event, and a hub reveal selects the node', async () => {
    const model = views.model('negotiation');
    const phase = [...model.nodes.values()].find((n) => n.contextValue === 'vmbusPhase' && n.label === 'offers');
    assert.ok(phase && phase.seq !== undefined);
    const got: number[] = [];
    const sub = hub.onDidRequestReveal((seq) => got.push(seq));
    try {
      await vscode.commands.executeCommand('vmbus.views.revealNode', 'vmbus.negotiation', phase.id);
      assert.deepStrictEqual(got.slice(0, 1), [phase.seq]);
    } finally {
      sub.dispose();
    }
    await vscode.commands.executeCommand('vmbus.negotiation.focus');
    const leafSeq = [...model.nodes.values()].find((n) => n.contextValue === 'vmbusMessage' && n.label === 'CHANNELMSG_OPENCHANNEL')?.seq;
    assert.ok(leafSeq !== undefined);
    const id = await views.revealSeq(leafSeq);
    assert.ok(id, 'a node stands for that event');
    await waitFor('the tree selection', () => views.treeView('negotiation').selection.includes(id));
  });

  it('copies the offer as hex and as JSON (Linux field names)', async () => {
    const disk = [...views.model('channels').nodes.values()].find((n) => n.label === 'disk0');
    assert.ok(disk);
    await vscode.commands.executeCommand('vmbus.views.channel.copyHex', disk.id);
    const hex = await vscode.env.clipboard.readText();
    assert.match(hex, /^[0-9a-f]+$/);
    assert.ok(hex.length >= 2 * 188, `an OFFERCHANNEL message (${hex.length / 2} bytes)`);
    await vscode.commands.executeCommand('vmbus.views.channel.copyJson', disk.id);
    const json = JSON.parse(await vscode.env.clipboard.readText());
    assert.strictEqual(typeof json, 'object');
    assert.ok(JSON.stringify(json).includes('child_relid'), 'JSON uses the Linux field names');
  });

  it('refreshes only what changed on a step back (incremental)', async () => {
    await vscode.commands.executeCommand('vmbus.channels.focus');
    views.flush();
    await vscode.commands.executeCommand('vmbus.views.stepBack');
    views.flush();
    const fired = views.lastFired('channels');
    assert.notStrictEqual(fired, 'all', 'no full refresh for one step');
    assert.ok(typeof fired === 'number' && fired <= 2, `fired ${String(fired)} channel elements`);
  });

  it('injects a rescind at a channel during the run', async () => {
    await vscode.commands.executeCommand('vmbus.views.restart');
    const s = hub.active?.session;
    assert.ok(s);
    // Run until the guest has the NIC's offer, then rescind it.
    for (let i = 0; i < 1000 && !s.done() && !s.inspect().channels.some((c) => c.device === 'nic0'); i++) s.step('event');
    hub.notifyMoved();
    views.flush();
    const nic = [...views.model('channels').nodes.values()].find((n) => n.label === 'nic0');
    assert.ok(nic && nic.relid !== undefined, 'nic0 offered');
    await vscode.commands.executeCommand('vmbus.views.channel.injectRescind', nic.id);
    await vscode.commands.executeCommand('vmbus.views.runToEnd');
    const rescinded = s.events().some((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_RESCIND_CHANNELOFFER' && e.relid === nic.relid);
    assert.ok(rescinded, 'the rescind reached the trace');
    views.flush();
  });

  it('during a debug session, the sidebar controls move the debugged session and the debugger follows', async () => {
    // An example of the installed extension: a path on the desktop; in the web hosts a URI string,
    // since a bare path is taken on the workspace's file system (a virtual one has no such file).
    const example = vscode.Uri.joinPath(ext.extensionUri, 'examples', 'mixed-confidential.vmbus');
    const program = example.scheme === 'file' ? example.fsPath : example.toString();
    const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], {
      type: 'vmbus',
      request: 'launch',
      name: 'views (integration test)',
      program,
      stopOnEntry: true,
    });
    assert.ok(started, 'the debug session started');
    await waitFor('the debug session to drive the views', () => hub.active?.driver === 'debug');
    const dbg = vscode.debug.activeDebugSession;
    assert.ok(dbg && dbg.type === 'vmbus');
    const active = hub.active;
    assert.ok(active);
    try {
      const s = active.session;
      const before = s.position();
      await vscode.commands.executeCommand('vmbus.views.step');
      await vscode.commands.executeCommand('vmbus.views.step');
      assert.ok(s.position() > before, `the sidebar stepped the debugged session (${before} → ${s.position()})`);
      const reported = (await dbg.customRequest('vmbus.position')).position as number;
      assert.strictEqual(reported, s.position(), 'the debug adapter sees the same position');
      views.flush();
      assert.match(views.snapshot('negotiation')[0]?.description ?? '', new RegExp(`^event ${s.position() + 1} of `));
    } finally {
      await vscode.debug.stopDebugging(dbg);
      await waitFor('the debug session to end', () => vscode.debug.activeDebugSession === undefined);
    }
  });

  after(async () => {
    // Leave a finished run in the sidebar for the runner's screenshot.
    const uri = vscode.Uri.joinPath(ext.extensionUri, 'examples', 'mixed-confidential.vmbus');
    await vscode.commands.executeCommand('vmbus.views.pickScenario', uri);
    await vscode.commands.executeCommand('vmbus.views.runToEnd');
    await vscode.commands.executeCommand('vmbus.negotiation.focus');
    // Let the trees finish refreshing before the test run (and the extension host) ends.
    views.flush();
    await new Promise((r) => setTimeout(r, 500));
  });
});
