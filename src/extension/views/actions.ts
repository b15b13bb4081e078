// Commands of the sidebar: the Negotiation view's stepping controls and scenario picker (which
// drive hub.active whether a debug session or the sidebar owns it), and the Channels view's
// context actions (reveal, copy as hex/JSON, inject a rescind or a fault).
import { runWithProgress } from '../session/run';
import * as vscode from 'vscode';
import type { ActiveSimulation, SessionHub } from '../session/hub';
import { type SimulationSession, type StopInfo, type ScenarioConfig, createSession, decodeMessage, parseHex, FAULT_CATALOGUE } from '../../simulator';
import { parseScenarioDocument } from '../scenarioFiles';
import { findWorkspaceFiles } from '../workspaceFiles';
import type { ViewNode } from './model/node';

const CHANNELS_VIEW = 'vmbus.channels';

export function createSidebarSession(config: ScenarioConfig): SimulationSession {
  return createSession(config);
}

/** Find a scenario by name or relative path: in the workspace first, then among the extension's examples. */
export async function resolveScenarioUri(name: string, extensionUri?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const file = name.endsWith('.vmbus') ? name : `${name}.vmbus`;
  const exists = async (u: vscode.Uri): Promise<boolean> => {
    try {
      await vscode.workspace.fs.stat(u);
      return true;
    } catch {
      return false;
    }
  };
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    const u = vscode.Uri.joinPath(f.uri, file);
    if (await exists(u)) return u;
  }
  const base = file.split('/').pop() ?? file;
  const found = await findWorkspaceFiles({ name: base }, 1);
  if (found.length) return found[0];
  if (extensionUri) {
    for (const u of [vscode.Uri.joinPath(extensionUri, 'examples', base), vscode.Uri.joinPath(extensionUri, file)]) {
      if (await exists(u)) return u;
    }
  }
  return undefined;
}

export async function listScenarios(extensionUri: vscode.Uri): Promise<{ label: string; description?: string; uri: vscode.Uri }[]> {
  const items: { label: string; description?: string; uri: vscode.Uri }[] = [];
  const active = vscode.window.activeTextEditor?.document;
  if (active?.languageId === 'vmbus') items.push({ label: vscode.workspace.asRelativePath(active.uri), description: 'active editor', uri: active.uri });
  for (const uri of await findWorkspaceFiles({ suffix: '.vmbus' }, 500)) {
    if (items.some((i) => i.uri.toString() === uri.toString())) continue;
    items.push({ label: vscode.workspace.asRelativePath(uri), uri });
  }
  try {
    const dir = vscode.Uri.joinPath(extensionUri, 'examples');
    for (const [name, type] of await vscode.workspace.fs.readDirectory(dir)) {
      if (type === vscode.FileType.File && name.endsWith('.vmbus')) items.push({ label: name, description: 'VMBus Lab example', uri: vscode.Uri.joinPath(dir, name) });
    }
  } catch {
    // no bundled examples
  }
  return items;
}

/** Parse a scenario (the open document's text if it is open, unsaved edits included) into a config. */
export async function loadScenario(uri: vscode.Uri, design?: 'probe' | 'cpuid'): Promise<ScenarioConfig | undefined> {
  const doc = await vscode.workspace.openTextDocument(uri);
  // Includes through the contained reader (inside the workspace folder, regular files, capped).
  const res = await parseScenarioDocument(doc, { design });
  const errors = res.diagnostics.filter((d) => d.severity === 'error');
  if (!res.config || errors.length) {
    const first = errors[0];
    const where = first ? ` (line ${first.range.line + 1}: ${first.message})` : '';
    void vscode.window.showErrorMessage(`${vscode.workspace.asRelativePath(uri)} has ${errors.length || 'unresolved'} error(s)${where}.`);
    await vscode.window.showTextDocument(doc, { preview: true });
    return undefined;
  }
  return res.config;
}

interface ViewsHooks {
  dropPlan(): void;
  node(viewId: string, id: string): ViewNode | undefined;
  revealNode(viewId: string, id: string): Promise<void>;
}

function describeStop(stop: StopInfo, session: SimulationSession): void {
  if (stop.reason === 'budget' && stop.description) void vscode.window.showWarningMessage(`VMBus: ${stop.description}.`);
  else if (stop.reason === 'end' || session.done()) vscode.window.setStatusBarMessage('VMBus: the run is complete', 3000);
  else if (stop.reason === 'exception' && stop.description) vscode.window.setStatusBarMessage(`VMBus: ${stop.description}`, 5000);
}

function faultList(): { id: string; description?: string }[] {
  return FAULT_CATALOGUE.map((f) => ({ id: f.id, description: `${f.hostile ? 'hostile host: ' : ''}${f.description}` }));
}

export function channelActions(context: vscode.ExtensionContext, hub: SessionHub, views: ViewsHooks): void {
  const reg = (id: string, fn: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown));
  };

  const pick = async (arg?: vscode.Uri | string, design?: 'probe' | 'cpuid'): Promise<boolean> => {
    let uri: vscode.Uri | undefined;
    if (arg instanceof vscode.Uri) uri = arg;
    else if (typeof arg === 'string' && arg) uri = await resolveScenarioUri(arg, context.extensionUri);
    if (!uri) {
      const items = await listScenarios(context.extensionUri);
      if (!items.length) {
        void vscode.window.showInformationMessage('No .vmbus scenario found. Open a folder with scenarios, or use "VMBus: Open Example Scenario".');
        return false;
      }
      const choice = await vscode.window.showQuickPick(items, { placeHolder: 'Scenario to step through in the sidebar', matchOnDescription: true });
      if (!choice) return false;
      uri = choice.uri;
    }
    if (hub.active?.driver === 'debug') {
      const ok = await vscode.window.showWarningMessage('A debug session drives the VMBus views. Replace it with a sidebar session?', 'Replace');
      if (ok !== 'Replace') return false;
    }
    const config = await loadScenario(uri, design);
    if (!config) return false;
    let session: SimulationSession;
    try {
      session = createSession(config);
    } catch (e) {
      void vscode.window.showErrorMessage(`Could not start ${vscode.workspace.asRelativePath(uri)}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    hub.setActive({ session, uri, driver: 'sidebar' });
    void vscode.commands.executeCommand('vmbus.negotiation.focus');
    return true;
  };

  const withSession = async (): Promise<SimulationSession | undefined> => {
    if (hub.active) return hub.active.session;
    if (await pick()) return (hub.active as ActiveSimulation | undefined)?.session;
    return undefined;
  };

  const drive = (fn: (s: SimulationSession) => StopInfo | Thenable<StopInfo>) => async (): Promise<void> => {
    const s = await withSession();
    if (!s) return;
    const stop = await fn(s);
    hub.notifyMoved();
    describeStop(stop, s);
  };

  reg('vmbus.views.pickScenario', (arg?: vscode.Uri | string, design?: 'probe' | 'cpuid') => pick(arg, design));
  reg('vmbus.views.step', drive((s) => s.step('event')));
  reg('vmbus.views.stepInto', drive((s) => s.step('substep')));
  reg('vmbus.views.stepBack', drive((s) => s.stepBack('event')));
  // A long run goes in slices with a cancellable progress notification: the extension host stays responsive.
  reg('vmbus.views.runToEnd', drive((s) => runWithProgress(s, 'Running the scenario to its end')));
  reg('vmbus.views.restart', async () => {
    const a = hub.active;
    if (!a) return void (await pick());
    if (a.driver === 'sidebar' && a.uri) {
      // Re-read the file so edits made while stepping take effect.
      const config = await loadScenario(a.uri);
      if (!config) return;
      hub.setActive({ session: createSession(config), uri: a.uri, driver: 'sidebar' });
      return;
    }
    a.session.goTo(-1);
    hub.notifyMoved();
  });
  reg('vmbus.views.stop', () => {
    if (hub.active?.driver === 'debug') void vscode.commands.executeCommand('workbench.action.debug.stop');
    else hub.setActive(undefined);
  });

  // Channel context actions. The element is the node id (ch:<relid>...).
  const channelOf = (id?: string): { relid: number; node: ViewNode } | undefined => {
    if (typeof id !== 'string') return undefined;
    const node = views.node(CHANNELS_VIEW, id);
    if (!node || node.relid === undefined) return undefined;
    return { relid: node.relid, node };
  };
  const channelView = (relid: number) => hub.active?.session.inspect().channels.find((c) => c.relid === relid);

  reg('vmbus.views.channel.revealInTimeline', async (id?: string) => {
    const c = channelOf(id);
    if (!c) return;
    // Open the timeline first so it is there to receive the reveal.
    await Promise.resolve(vscode.commands.executeCommand('vmbus.showTimeline')).catch(() => undefined);
    await views.revealNode(CHANNELS_VIEW, c.node.id);
  });
  reg('vmbus.views.channel.copyHex', async (id?: string) => {
    const c = channelOf(id);
    const ch = c && channelView(c.relid);
    if (!ch?.offerHex) return void vscode.window.showInformationMessage('This channel has no offer message recorded.');
    await vscode.env.clipboard.writeText(ch.offerHex);
    vscode.window.setStatusBarMessage(`Copied the offer of relid ${ch.relid} (${ch.offerHex.length / 2} bytes) as hex`, 3000);
  });
  reg('vmbus.views.channel.copyJson', async (id?: string) => {
    const c = channelOf(id);
    const ch = c && channelView(c.relid);
    if (!ch?.offerHex) return void vscode.window.showInformationMessage('This channel has no offer message recorded.');
    const decoded = decodeOffer(ch.offerHex);
    await vscode.env.clipboard.writeText(JSON.stringify(decoded, null, 2));
    vscode.window.setStatusBarMessage(`Copied the offer of relid ${ch.relid} as JSON`, 3000);
  });
  const inject = (relid: number, kind: string): void => {
    const s = hub.active?.session;
    if (!s) return;
    const r = s.inject({ kind, relid });
    if (!r.ok) {
      void vscode.window.showErrorMessage(`Could not inject ${kind} at relid ${relid}: ${r.error}`);
      return;
    }
    views.dropPlan();
    hub.notifyMoved();
    vscode.window.setStatusBarMessage(`Injected ${kind} at relid ${relid}; step to see its effect`, 4000);
  };
  reg('vmbus.views.channel.injectRescind', (id?: string) => {
    const c = channelOf(id);
    if (c) inject(c.relid, 'rescind');
  });
  reg('vmbus.views.channel.injectFault', async (id?: string) => {
    const c = channelOf(id);
    if (!c) return;
    const faults = faultList();
    const choice = await vscode.window.showQuickPick(
      faults.map((f) => ({ label: f.id, detail: f.description })),
      { placeHolder: `Fault to inject at relid ${c.relid}`, matchOnDetail: true },
    );
    if (choice) inject(c.relid, choice.label);
  });
  reg('vmbus.views.channel.openSource', async (id?: string) => {
    const c = channelOf(id);
    if (c) await views.revealNode(CHANNELS_VIEW, c.node.id);
  });
}

/** The CLI's JSON form of an offer: the protocol decoder's value. */
export function decodeOffer(offerHex: string): unknown {
  const bytes = parseHex(offerHex);
  if (!bytes.ok) return { error: bytes.error };
  const r = decodeMessage(bytes.bytes);
  return r.ok ? r.value : { error: r.error };
}
