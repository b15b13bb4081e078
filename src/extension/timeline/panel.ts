// The timeline panel host: one WebviewPanel, serving the webview's window/seek requests from the
// active session's trace (or from two aligned runs in compare mode), following the stepper, and
// turning the webview's selections into reveals in the trees and the scenario editor.
import { timelineHtml } from '../../shared/timelineHtml';
import * as vscode from 'vscode';
import { bytesToBase64 } from '../../shared/base64';
import { uriOf } from '../uris';
import type { SessionHub } from '../session/hub';
import { type TraceEvent, toMermaid, type Trace, isLogSession, type SimulationSession } from '../../simulator';
import {
  type HostToWebview, type TimelineSessionInfo, type WebviewToHost, type TimelineViewState, TIMELINE_VIEW_TYPE, isWebviewToHost,
} from '../../shared/timelineProtocol';
import {
  type AlignedRow, type TimelineColumns, alignRuns, compareColumns, compileFilter, singleRunColumns,
} from '../../shared/timelineData';
import { buildTimeAxis, type TimeAxis } from '../../shared/timeAxis';
import { atOf, serveSeek, serveWindow } from '../../shared/timelineServe';

/** A log's session in the timeline: its time axis (when its records have times) and the CPUs they name. */
interface LogLayout {
  axis?: TimeAxis;
  cpus: { count: number; unknown: boolean };
}

export interface CompareRuns {
  title: string;
  labels: [string, string];
  a: Trace;
  b: Trace;
  vpCount: number;
  uri?: vscode.Uri;
}

type Mode =
  | { kind: 'single' }
  | { kind: 'compare'; runs: CompareRuns; rows: AlignedRow[]; cols: TimelineColumns; differences: number };

/** What the integration tests can ask the panel (through the internal command vmbus.timeline.testState). */
export interface TimelineTestState {
  open: boolean;
  visible: boolean;
  ready: boolean;
  mode: 'single' | 'compare';
  windowsServed: number;
  lastWindow: { from: number; to: number; items: number; stride: number; total: number } | null;
  selects: number[];
  exports: { format: string; length: number; head: string }[];
}

export class TimelineController implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private mode: Mode = { kind: 'single' };
  private ready = false;
  /** Notifications kept while the panel is hidden (its page is gone then); replayed on 'ready'. */
  private pendingReveal: number | undefined;
  private suppressReveal: number | undefined;
  private readonly snapshotWaiters = new Map<number, (m: { dataUrl: string; width: number; height: number }) => void>();
  private nextSnapshotId = 1;
  private readonly test: TimelineTestState = { open: false, visible: false, ready: false, mode: 'single', windowsServed: 0, lastWindow: null, selects: [], exports: [] };

  constructor(private readonly context: vscode.ExtensionContext, private readonly hub: SessionHub) {
    this.disposables.push(
      hub.onDidChangeSession(() => {
        if (this.mode.kind === 'single') this.postSession();
      }),
      hub.onDidMove((sim) => {
        if (this.mode.kind !== 'single') return;
        const position = sim.session.position();
        const at = atOf(this.logAxis()?.axis, position);
        this.post({ type: 'cursor', position, total: sim.session.events().length, ...(at !== undefined ? { at } : {}) });
      }),
      hub.onDidRequestReveal((seq) => {
        if (seq === this.suppressReveal) { this.suppressReveal = undefined; return; }
        if (this.mode.kind !== 'single') return;
        if (!this.panel) return;
        if (!this.panel.visible || !this.ready) this.pendingReveal = seq;
        else this.post(this.revealMessage(seq));
      }),
    );
  }

  /** Open (or bring forward) the panel showing the active session. */
  show(column?: vscode.ViewColumn): void {
    if (this.mode.kind === 'compare') {
      this.mode = { kind: 'single' };
      this.postSession();
    }
    if (this.panel) {
      this.panel.reveal(column ?? this.panel.viewColumn, false);
      return;
    }
    const panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, 'VMBus Timeline', { viewColumn: column ?? vscode.ViewColumn.Beside, preserveFocus: false }, this.webviewOptions());
    this.attach(panel);
  }

  /** Show two runs aligned side by side. */
  showCompare(runs: CompareRuns): void {
    const rows = alignRuns(runs.a, runs.b);
    const differences = rows.filter((r) => !r.a || !r.b).length;
    this.mode = { kind: 'compare', runs, rows, cols: compareColumns(rows), differences };
    if (this.panel) {
      this.panel.reveal(this.panel.viewColumn, false);
      this.postSession();
    } else {
      const panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, 'VMBus Timeline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, this.webviewOptions());
      this.attach(panel);
    }
  }

  /** Restore after a restart (WebviewPanelSerializer). */
  async restore(panel: vscode.WebviewPanel, _state: TimelineViewState | undefined): Promise<void> {
    if (this.panel) {
      // One timeline at a time: keep the live one.
      panel.dispose();
      return;
    }
    panel.webview.options = this.webviewOptions();
    this.attach(panel);
  }

  testState(): TimelineTestState {
    return { ...this.test, open: !!this.panel, visible: !!this.panel?.visible, ready: this.ready, mode: this.mode.kind };
  }

  /** A PNG (data URL) of the timeline canvas, drawn by the webview. */
  snapshot(timeoutMs = 10000): Promise<{ dataUrl: string; width: number; height: number } | undefined> {
    if (!this.panel || !this.ready) return Promise.resolve(undefined);
    const requestId = this.nextSnapshotId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.snapshotWaiters.delete(requestId); resolve(undefined); }, timeoutMs);
      this.snapshotWaiters.set(requestId, (m) => { clearTimeout(timer); resolve(m); });
      void this.panel?.webview.postMessage({ type: 'requestSnapshot', requestId } satisfies HostToWebview);
    });
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const root = this.context.extensionUri;
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media')],
    };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'vmbus.svg');
    panel.webview.html = this.html(panel.webview);
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidChangeViewState(() => {
        // A hidden webview loses its page (no retainContextWhenHidden); it says 'ready' again when shown.
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        for (const d of this.panelDisposables) d.dispose();
        this.panelDisposables = [];
      }),
    );
  }

  private html(webview: vscode.Webview): string {
    const nonce = bytesToBase64(crypto.getRandomValues(new Uint8Array(16))); // web crypto: Node and the web worker host
    const root = this.context.extensionUri;
    const js = webview.asWebviewUri(vscode.Uri.joinPath(root, 'dist', 'webview', 'timeline.js'));
    const codicons = webview.asWebviewUri(vscode.Uri.joinPath(root, 'dist', 'webview', 'codicon.css'));
    const css = webview.asWebviewUri(vscode.Uri.joinPath(root, 'media', 'timeline.css'));
    return timelineHtml({
      cspSource: webview.cspSource,
      nonce,
      scriptUri: js.toString(),
      styleUris: [codicons.toString(), css.toString()],
    });
  }

  private post(m: HostToWebview): void {
    if (!this.panel || !this.panel.visible || !this.ready) return; // re-synced on the next 'ready'
    void this.panel.webview.postMessage(m);
  }

  private sessionInfo(): HostToWebview {
    if (this.mode.kind === 'compare') {
      const r = this.mode.runs;
      const info: TimelineSessionInfo = { mode: 'compare', title: r.title, total: this.mode.rows.length, vpCount: r.vpCount, runs: [...r.labels], position: null, differences: this.mode.differences };
      return { type: 'session', info };
    }
    const sim = this.hub.active;
    if (!sim) return { type: 'empty', reason: 'No simulation yet. Run or debug a .vmbus scenario to see its timeline.' };
    const s = sim.session;
    const title = sim.uri ? sim.uri.path.split('/').pop() ?? s.config.name : s.config.name;
    const design = s.config.platform.design;
    const log = this.logAxis();
    const info: TimelineSessionInfo = {
      mode: 'single',
      title: log ? `${title} (log)` : `${title} (${design} design)`,
      total: s.events().length,
      vpCount: log ? Math.max(1, log.cpus.count) : Math.max(1, s.config.platform.vpCount),
      runs: [s.config.name],
      position: s.position(),
      ...(log ? { cpus: log.cpus } : {}),
      ...(log?.axis ? { timeAxis: log.axis.info, ...(atOf(log.axis, s.position()) !== undefined ? { positionAt: atOf(log.axis, s.position()) } : {}) } : {}),
    };
    return { type: 'session', info };
  }

  private logAxisCache: { session: SimulationSession; length: number; log: LogLayout } | undefined;

  /** A log's session: its time axis and the CPUs its records name (computed once per session). */
  private logAxis(): LogLayout | undefined {
    if (this.mode.kind !== 'single') return undefined;
    const s = this.hub.active?.session;
    if (!s || !isLogSession(s)) return undefined;
    const events = s.events();
    const c = this.logAxisCache;
    if (c && c.session === s && c.length === events.length) return c.log;
    let count = 0;
    let unknown = false;
    for (const e of events) {
      if (e.vp === null) unknown = true;
      else count = Math.max(count, e.vp + 1);
    }
    const axis = buildTimeAxis(events);
    // A listing (lsvmbus, sysfs …) or a dmesg printed without times (dmesg -t) has no record with
    // a time: it keeps the sequence layout (and its CPU lanes).
    const timed = events.length > 0 && axis.info.unknownTimes < events.length;
    this.logAxisCache = { session: s, length: events.length, log: { ...(timed ? { axis } : {}), cpus: { count, unknown } } };
    return this.logAxisCache.log;
  }

  private revealMessage(seq: number): HostToWebview {
    const at = atOf(this.logAxis()?.axis, seq);
    return at !== undefined ? { type: 'reveal', seq, at } : { type: 'reveal', seq };
  }

  private postSession(): void {
    this.post(this.sessionInfo());
  }

  private columns(): TimelineColumns | undefined {
    if (this.mode.kind === 'compare') return this.mode.cols;
    const sim = this.hub.active;
    return sim ? singleRunColumns(sim.session.events()) : undefined;
  }

  private eventFor(seq: number, run: 0 | 1): TraceEvent | undefined {
    if (this.mode.kind === 'compare') return (run === 0 ? this.mode.runs.a : this.mode.runs.b).at(seq);
    return this.hub.active?.session.events().at(seq);
  }

  private onMessage(raw: unknown): void {
    if (!isWebviewToHost(raw) || !this.panel) return;
    const m: WebviewToHost = raw;
    const reply = (r: HostToWebview) => void this.panel?.webview.postMessage(r);
    switch (m.type) {
      case 'ready': {
        this.ready = true;
        reply(this.sessionInfo());
        if (this.pendingReveal !== undefined) { reply(this.revealMessage(this.pendingReveal)); this.pendingReveal = undefined; }
        break;
      }
      case 'requestWindow': {
        const cols = this.columns();
        if (!cols) { reply({ type: 'window', requestId: m.requestId, from: m.from, to: m.from, stride: 1, items: [], total: 0 }); break; }
        const w = serveWindow(cols, this.logAxis()?.axis, m);
        this.test.windowsServed++;
        this.test.lastWindow = { from: w.from, to: w.to, items: w.items.length, stride: w.stride, total: cols.total };
        reply(w);
        break;
      }
      case 'seek':
        reply(serveSeek(this.columns(), this.logAxis()?.axis, m));
        break;
      case 'openLog':
        // A file dropped on the panel: the same path as VMBus: Open Log (the bounded reader).
        void vscode.commands.executeCommand('vmbus.openLog', 'uri' in m.source ? vscode.Uri.parse(m.source.uri) : { droppedLog: m.source });
        break;
      case 'select':
        this.test.selects.push(m.seq);
        void this.onSelect(m.seq, m.run);
        break;
      case 'openDecoded':
        void this.openDecoded(m.seq, m.run);
        break;
      case 'export':
        void this.export(m);
        break;
      case 'snapshot': {
        const w = this.snapshotWaiters.get(m.requestId);
        this.snapshotWaiters.delete(m.requestId);
        w?.(m);
        break;
      }
    }
  }

  private async onSelect(seq: number, run: 0 | 1): Promise<void> {
    const e = this.eventFor(seq, run);
    if (!e) return;
    if (this.mode.kind === 'single') {
      this.suppressReveal = seq;
      this.hub.reveal(seq);
    }
    const src = e.source;
    if (!src) return;
    const uri = this.sourceUri(src.file);
    if (!uri) return;
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      const range = new vscode.Range(src.line, src.column, src.endLine, src.endColumn);
      const column = this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
      await vscode.window.showTextDocument(doc, { viewColumn: column, preserveFocus: true, preview: true, selection: range });
    } catch {
      // The scenario file may be gone; the selection still works in the trees.
    }
  }

  private sourceUri(file: string): vscode.Uri | undefined {
    const active = this.mode.kind === 'compare' ? this.mode.runs.uri : this.hub.active?.uri;
    if (active && (active.fsPath === file || active.path.endsWith('/' + file.split(/[\\/]/).pop()) || active.toString() === file)) return active;
    if (!file) return active;
    try { return uriOf(file); } catch { return undefined; }
  }

  private async openDecoded(seq: number, run: 0 | 1): Promise<void> {
    const e = this.eventFor(seq, run);
    if (!e) return;
    const uri = vscode.Uri.from({ scheme: DECODED_SCHEME, path: `/event-${seq}${this.mode.kind === 'compare' ? '-' + 'ab'[run] : ''}.json` });
    decodedDocs.set(uri.toString(), JSON.stringify(e.kind === 'message' ? { seq: e.seq, msgtype: e.msgtype, from: e.from, to: e.to, path: e.path, synic: e.synic, confidential: e.confidential, status: e.status, decoded: e.decoded, hex: e.hex } : e, null, 2) + '\n');
    decodedChanged.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'json');
    const column = this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
    await vscode.window.showTextDocument(doc, { viewColumn: column, preserveFocus: true, preview: true });
  }

  private async export(m: Extract<WebviewToHost, { type: 'export' }>): Promise<void> {
    let content: string;
    let language: string;
    const cols = this.columns();
    const events: TraceEvent[] = [];
    if (cols && m.format !== 'svg') {
      const pass = compileFilter(m.filter);
      const lo = Math.max(0, m.from);
      const hi = Math.min(cols.total, m.to);
      for (let c = lo; c < hi; c++) for (const it of cols.itemsAt(c)) if (it.run === 0 && pass(it.event)) events.push(it.event);
    }
    if (m.format === 'svg') {
      content = m.content ?? '';
      language = 'xml';
      if (!content.startsWith('<svg')) { void this.panel?.webview.postMessage({ type: 'exported', format: m.format, ok: false, detail: 'no SVG content' } satisfies HostToWebview); return; }
    } else if (m.format === 'mermaid') {
      content = toMermaid(events, { title: this.titleText() });
      language = (await vscode.languages.getLanguages()).includes('mermaid') ? 'mermaid' : 'plaintext';
    } else {
      content = JSON.stringify(events, null, 2) + '\n';
      language = 'json';
    }
    this.test.exports.push({ format: m.format, length: content.length, head: content.slice(0, 200) });
    const doc = await vscode.workspace.openTextDocument({ content, language });
    const column = this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
    await vscode.window.showTextDocument(doc, { viewColumn: column, preview: false, preserveFocus: true });
    void this.panel?.webview.postMessage({ type: 'exported', format: m.format, ok: true, detail: `${content.length} characters in a new editor` } satisfies HostToWebview);
  }

  private titleText(): string {
    if (this.mode.kind === 'compare') return this.mode.runs.title;
    return this.hub.active?.session.config.name ?? 'VMBus trace';
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

export const DECODED_SCHEME = 'vmbus-event';
const decodedDocs = new Map<string, string>();
const decodedChanged = new vscode.EventEmitter<vscode.Uri>();

/** Read-only documents with the decoded form of one event. */
export const decodedProvider: vscode.TextDocumentContentProvider = {
  onDidChange: decodedChanged.event,
  provideTextDocumentContent(uri: vscode.Uri): string {
    return decodedDocs.get(uri.toString()) ?? '{}\n';
  },
};
