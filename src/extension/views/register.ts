// The four sidebar trees (Negotiation, Channels, SynICs, Exposure) and the sidebar's stepping
// controls. They follow hub.active (a debug session, a sidebar session or a finished headless
// run) and refresh incrementally: each move rebuilds the pure models (./model) and fires
// onDidChangeTreeData only for the nodes whose rendering changed. Hidden views are rebuilt when
// they become visible.
import { LogDropController } from '../logs';
import * as vscode from 'vscode';
import type { ActiveSimulation, SessionHub } from '../session/hub';
import { isAbsolutePath, type SimulationSession, type SimulationState, type SourceRef, type Trace } from '../../simulator';
import { ModelTreeProvider, REVEAL_COMMAND } from './provider';
import { snapshot, type NodeSnapshot, type TreeModel } from './model/node';
import { buildNegotiationModel, newNegotiationCache, nodeForSeq } from './model/negotiation';
import { buildChannelsModel, newChannelsCache } from './model/channels';
import { buildSynicsModel } from './model/synics';
import { buildExposureModel, newExposureCache } from './model/exposure';
import { channelActions, createSidebarSession, resolveScenarioUri } from './actions';
import { baseName, uriOf } from '../uris';

export type ViewKey = 'negotiation' | 'channels' | 'synics' | 'exposure';
export const VIEW_IDS: Record<ViewKey, string> = {
  negotiation: 'vmbus.negotiation',
  channels: 'vmbus.channels',
  synics: 'vmbus.synics',
  exposure: 'vmbus.exposure',
};
const KEYS = Object.keys(VIEW_IDS) as ViewKey[];

/** What the extension's exported API exposes of the views (integration tests). */
export interface ViewsApi {
  /** Rebuild every view now (visible or not) and return the node trees. */
  flush(): void;
  snapshot(view: ViewKey): NodeSnapshot[];
  model(view: ViewKey): TreeModel;
  /** Elements fired by the last update of a view: a count, or 'all' for a full refresh. */
  lastFired(view: ViewKey): number | 'all';
  treeView(view: ViewKey): vscode.TreeView<string>;
  /** Reveal (select) the node standing for a trace index in the Negotiation view. */
  revealSeq(seq: number): Promise<string | undefined>;
}

interface Plan {
  session: SimulationSession;
  events?: Trace;
}

class ViewsController implements vscode.Disposable {
  readonly providers: Record<ViewKey, ModelTreeProvider>;
  readonly trees: Record<ViewKey, vscode.TreeView<string>>;
  private readonly dirty = new Set<ViewKey>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private plan: Plan | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private lastCurrent: string | undefined;
  private channelsCache = newChannelsCache();
  private negotiationCache = newNegotiationCache();
  private exposureCache = newExposureCache();

  constructor(
    private readonly hub: SessionHub,
    private readonly extensionUri: vscode.Uri,
  ) {
    this.providers = {} as Record<ViewKey, ModelTreeProvider>;
    this.trees = {} as Record<ViewKey, vscode.TreeView<string>>;
    for (const k of KEYS) {
      const p = new ModelTreeProvider(VIEW_IDS[k]);
      this.providers[k] = p;
      // A log file dropped on any VMBus view opens as a trace (VMBus: Open Log).
      const tv = vscode.window.createTreeView(VIEW_IDS[k], { treeDataProvider: p, showCollapseAll: k !== 'exposure', dragAndDropController: new LogDropController<string>() });
      this.trees[k] = tv;
      this.disposables.push(
        p,
        tv,
        tv.onDidChangeVisibility((e) => {
          if (e.visible && this.dirty.has(k)) this.refresh(k);
        }),
      );
    }
    this.disposables.push(
      hub.onDidChangeSession((sim) => this.sessionChanged(sim)),
      hub.onDidMove(() => this.schedule()),
      hub.onDidRequestReveal((seq) => void this.revealSeq(seq, false)),
    );
    if (hub.active) this.sessionChanged(hub.active);
  }

  private sessionChanged(sim: ActiveSimulation | undefined): void {
    this.plan = undefined;
    this.lastCurrent = undefined;
    this.channelsCache = newChannelsCache();
    this.negotiationCache = newNegotiationCache();
    this.exposureCache = newExposureCache();
    void vscode.commands.executeCommand('setContext', 'vmbus.views.active', !!sim);
    void vscode.commands.executeCommand('setContext', 'vmbus.views.driver', sim?.driver ?? '');
    if (sim) this.startPlan(sim.session);
    this.flush(false);
  }

  /** A dry run of the same scenario to show the phases still ahead as pending. */
  private startPlan(session: SimulationSession): void {
    const plan: Plan = { session };
    this.plan = plan;
    void (async () => {
      // A session that already ran to its end is its own plan; otherwise a dry run of the same
      // scenario, in slices so a long one does not hold up the extension host.
      let events: Trace;
      if (session.done()) {
        events = session.events();
      } else {
        const dry = createSidebarSession(session.config);
        await dry.runAsync();
        events = dry.events();
      }
      if (this.plan !== plan) return;
      plan.events = events;
      this.schedule();
    })().catch(() => {
      plan.events = undefined;
    });
  }

  /** Forget the plan (a fault or an edit changed the future). */
  dropPlan(): void {
    if (this.plan) this.plan.events = undefined;
  }

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush(false);
    }, 10);
  }

  flush(all: boolean): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    let state: SimulationState | undefined;
    const sim = this.hub.active;
    if (sim) {
      try {
        state = sim.session.inspect();
      } catch {
        state = undefined;
      }
    }
    for (const k of KEYS) {
      if (all || this.trees[k].visible) this.refresh(k, state);
      else this.dirty.add(k);
    }
  }

  private refresh(k: ViewKey, state?: SimulationState): void {
    this.dirty.delete(k);
    const sim = this.hub.active;
    if (sim && !state) {
      try {
        state = sim.session.inspect();
      } catch {
        state = undefined;
      }
    }
    const model = this.build(k, sim, state);
    this.providers[k].update(model);
    const tv = this.trees[k];
    tv.description = model.summary;
    if (k === 'negotiation' && sim && state) this.followCurrent(model);
  }

  private build(k: ViewKey, sim: ActiveSimulation | undefined, state: SimulationState | undefined): TreeModel {
    if (!sim || !state) return { roots: [], nodes: new Map() };
    switch (k) {
      case 'negotiation': {
        const s = sim.session;
        const planEvents = this.plan?.session === s ? this.plan.events : undefined;
        return buildNegotiationModel(
          {
            events: s.events(),
            position: s.position(),
            plan: planEvents,
            done: s.done(),
            guest: state.guest,
            paravisor: state.paravisor,
            design: s.config.platform.design,
          },
          this.negotiationCache,
        );
      }
      case 'channels':
        return buildChannelsModel(state.channels, this.channelsCache);
      case 'synics':
        return buildSynicsModel(state.synics, { confidential: state.guest.confidential });
      case 'exposure':
        return buildExposureModel(state.pages, this.exposureCache);
    }
  }

  /** Keep the current phase in sight while stepping (without taking focus or selection). */
  private followCurrent(model: TreeModel): void {
    let cur: string | undefined;
    for (const n of model.nodes.values()) if (n.highlight) cur = n.id;
    if (!cur || cur === this.lastCurrent) return;
    this.lastCurrent = cur;
    const tv = this.trees.negotiation;
    if (!tv.visible) return;
    // After the refresh this update fired has been applied, so the tree knows the node.
    const id = cur;
    setTimeout(() => {
      void (async () => {
        if (!(await this.providers.negotiation.whenSettled())) return;
        if (this.lastCurrent !== id || !this.providers.negotiation.node(id) || !tv.visible) return;
        await Promise.resolve(tv.reveal(id, { select: false, focus: false, expand: false })).catch(() => undefined);
      })();
    }, 150);
  }

  async revealSeq(seq: number, focus: boolean): Promise<string | undefined> {
    const tv = this.trees.negotiation;
    if (this.dirty.has('negotiation')) this.refresh('negotiation');
    const id = nodeForSeq(this.providers.negotiation.current, seq);
    if (!id) return undefined;
    // A hidden view cannot reveal; a view that has not read its last full refresh does not know the node yet.
    if (!tv.visible || !(await this.providers.negotiation.whenSettled())) return id;
    try {
      await tv.reveal(id, { select: true, focus, expand: false });
    } catch {
      // the view may be hidden / collapsed; not an error
    }
    return id;
  }

  /** Click on a node: reveal its event in the timeline and its scenario line in the editor. */
  async revealNode(viewId: string, id: string): Promise<void> {
    const k = KEYS.find((key) => VIEW_IDS[key] === viewId);
    if (!k) return;
    const n = this.providers[k].node(id);
    if (!n) return;
    let seq = n.seq;
    if (seq === undefined && n.relid !== undefined) seq = findOfferSeq(this.hub.active?.session, n.relid);
    if (seq !== undefined) this.hub.reveal(seq);
    if (n.source) await openSource(n.source, this.hub.active?.uri, this.extensionUri);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

export function findOfferSeq(session: SimulationSession | undefined, relid: number): number | undefined {
  if (!session) return undefined;
  const ev = session.events();
  const pos = Math.min(session.position(), ev.length - 1);
  let fallback: number | undefined;
  const kindAt = ev.kindAt?.bind(ev);
  for (let i = 0; i <= pos; i++) {
    if (kindAt && kindAt(i) !== 'message') continue;
    const e = ev.at(i)!;
    if (e.kind === 'message' && e.relid === relid) {
      if (e.msgtype === 'CHANNELMSG_OFFERCHANNEL') return e.seq;
      if (fallback === undefined) fallback = e.seq;
    }
  }
  return fallback;
}

export async function openSource(src: SourceRef, scenario: vscode.Uri | undefined, _extensionUri: vscode.Uri): Promise<void> {
  let uri: vscode.Uri;
  if (isAbsolutePath(src.file)) uri = uriOf(src.file);
  else if (scenario) uri = vscode.Uri.joinPath(scenario, '..', src.file);
  else uri = (await resolveScenarioUri(src.file)) ?? uriOf(src.file);
  if (scenario && baseName(scenario.path) === baseName(uri.path)) uri = scenario;
  const range = new vscode.Range(src.line, src.column, src.endLine, src.endColumn);
  try {
    await vscode.window.showTextDocument(uri, { selection: range, preserveFocus: true, preview: true, viewColumn: vscode.ViewColumn.One });
  } catch {
    // the file may be gone; nothing to open
  }
}

export function registerViews(context: vscode.ExtensionContext, hub: SessionHub): ViewsApi {
  const ctl = new ViewsController(hub, context.extensionUri);
  context.subscriptions.push(ctl);
  context.subscriptions.push(vscode.commands.registerCommand(REVEAL_COMMAND, (viewId: string, id: string) => ctl.revealNode(viewId, id)));
  channelActions(context, hub, {
    dropPlan: () => ctl.dropPlan(),
    node: (viewId, id) => {
      const k = KEYS.find((key) => VIEW_IDS[key] === viewId);
      return k ? ctl.providers[k].node(id) : undefined;
    },
    revealNode: (viewId, id) => ctl.revealNode(viewId, id),
  });
  return {
    flush: () => ctl.flush(true),
    snapshot: (v) => snapshot(ctl.providers[v].current),
    model: (v) => ctl.providers[v].current,
    lastFired: (v) => ctl.providers[v].lastFired,
    treeView: (v) => ctl.trees[v],
    revealSeq: (seq) => ctl.revealSeq(seq, false),
  };
}
