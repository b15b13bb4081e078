// Test harness page script: stands in for VS Code around the timeline webview. It provides
// acquireVsCodeApi (state in sessionStorage so a reload restores it, like VS Code does) and a stub
// panel host that answers the webview's requests from a fixture trace with the same pure code the
// real host uses. Tests drive it through window.__harness.
import type { HostToWebview, WebviewToHost } from '../../src/shared/timelineProtocol';
import { alignRuns, compareColumns, compileFilter, singleRunColumns, type TimelineColumns } from '../../src/shared/timelineData';
import { buildTimeAxis, type TimeAxis } from '../../src/shared/timeAxis';
import { serveSeek, serveWindow } from '../../src/shared/timelineServe';
import { toMermaid } from '../../src/simulator/trace/mermaid';
import type { TraceEvent } from '../../src/simulator/trace/events';
import { fixtureTrace } from './fixture';

interface Harness {
  posted: WebviewToHost[];
  exports: { format: string; content: string }[];
  violations: string[];
  events: TraceEvent[];
  send(m: HostToWebview): void;
  openSingle(n: number, vpCount?: number, position?: number): void;
  /** openSingle in two halves, so a bench can settle the page between making the trace and showing it. */
  prepareSingle(n: number, vpCount?: number): void;
  openPrepared(position?: number): void;
  openCompare(n: number): void;
  openTrace(evs: TraceEvent[], vpCount: number, title: string, position?: number): void;
  openCompareTraces(a: TraceEvent[], b: TraceEvent[], labels: [string, string], vpCount: number, title: string): void;
  /** A log's events (from realEngine().openLog), shown as the panel shows a log: time axis, CPU lanes. */
  openLogTrace(evs: TraceEvent[], title: string): void;
  /** What the panel sends when another view reveals a log's event: its column and its time-axis position. */
  revealLogEvent(seq: number): void;
  state(): unknown;
}

const params = new URLSearchParams(location.search);
const posted: WebviewToHost[] = [];
const exportsDone: { format: string; content: string }[] = [];
const violations: string[] = [];
let cols: TimelineColumns = singleRunColumns([]);
let axis: TimeAxis | undefined;
let events: TraceEvent[] = [];
let runs: [TraceEvent[], TraceEvent[]] | null = null;
let hostDelayMs = Number(params.get('delay') ?? '0');
let preparedVps = 2;

document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective}: ${e.blockedURI || 'inline'}`));

function send(m: HostToWebview): void {
  // VS Code delivers host messages asynchronously as MessageEvents.
  setTimeout(() => window.postMessage(m, '*'), hostDelayMs);
}

function onPost(m: WebviewToHost): void {
  posted.push(m);
  switch (m.type) {
    case 'ready':
      if (params.get('autostart') !== '0') harness.openSingle(Number(params.get('n') ?? '0'), Number(params.get('vp') ?? '2'), Number(params.get('pos') ?? '-1'));
      break;
    case 'requestWindow': {
      send(serveWindow(cols, axis, m, Number.POSITIVE_INFINITY));
      break;
    }
    case 'seek':
      send(serveSeek(cols, axis, m));
      break;
    case 'export': {
      const pass = compileFilter(m.filter);
      const evs: TraceEvent[] = [];
      for (let c = Math.max(0, m.from); c < Math.min(cols.total, m.to); c++) for (const it of cols.itemsAt(c)) if (it.run === 0 && pass(it.event)) evs.push(it.event);
      const content = m.format === 'svg' ? m.content ?? '' : m.format === 'mermaid' ? toMermaid(evs) : JSON.stringify(evs);
      exportsDone.push({ format: m.format, content });
      send({ type: 'exported', format: m.format, ok: true, detail: `${content.length} characters` });
      break;
    }
    default:
      break;
  }
}

const harness: Harness = {
  posted,
  exports: exportsDone,
  violations,
  get events() { return events; },
  send,
  openSingle(n, vpCount = 2, position = -1) {
    harness.prepareSingle(n, vpCount);
    harness.openPrepared(position);
  },
  prepareSingle(n, vpCount = 2) {
    events = fixtureTrace(n, vpCount);
    runs = null;
    axis = undefined;
    cols = singleRunColumns(events);
    preparedVps = vpCount;
  },
  openPrepared(position = -1) {
    send({ type: 'session', info: { mode: 'single', title: 'connect.vmbus (probe design)', total: events.length, vpCount: preparedVps, runs: ['connect'], position } });
  },
  openCompare(n) {
    runs = [fixtureTrace(n, 1, 'a'), fixtureTrace(n, 1, 'b')];
    axis = undefined;
    const rows = alignRuns(runs[0], runs[1]);
    cols = compareColumns(rows);
    send({ type: 'session', info: { mode: 'compare', title: 'connect.vmbus: probe ↔ cpuid', total: rows.length, vpCount: 1, runs: ['probe + fallback design', 'CPUID design'], position: null, differences: rows.filter((r) => !r.a || !r.b).length } });
  },
  openTrace(evs, vpCount, title, position = -1) {
    events = evs;
    runs = null;
    axis = undefined;
    cols = singleRunColumns(events);
    send({ type: 'session', info: { mode: 'single', title, total: events.length, vpCount, runs: [title], position } });
  },
  openCompareTraces(a, b, labels, vpCount, title) {
    runs = [a, b];
    axis = undefined;
    const rows = alignRuns(a, b);
    cols = compareColumns(rows);
    send({ type: 'session', info: { mode: 'compare', title, total: rows.length, vpCount, runs: labels, position: null, differences: rows.filter((r) => !r.a || !r.b).length } });
  },
  openLogTrace(evs, title) {
    events = evs;
    runs = null;
    cols = singleRunColumns(events);
    axis = buildTimeAxis(events);
    let count = 0;
    let unknown = false;
    for (const e of events) { if (e.vp === null) unknown = true; else count = Math.max(count, e.vp + 1); }
    send({ type: 'session', info: { mode: 'single', title: `${title} (log)`, total: events.length, vpCount: Math.max(1, count), runs: [title], position: -1, timeAxis: axis.info, cpus: { count, unknown } } });
  },
  revealLogEvent(seq) {
    send({ type: 'reveal', seq, at: axis?.at[seq] });
  },
  state() {
    const s = sessionStorage.getItem('vscode-state');
    return s ? JSON.parse(s) : undefined;
  },
};
(window as unknown as { __harness: Harness }).__harness = harness;
(window as unknown as { __setHostDelay: (ms: number) => void }).__setHostDelay = (ms) => { hostDelayMs = ms; };

let acquired = false;
(window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => {
  if (acquired) throw new Error('acquireVsCodeApi may only be called once');
  acquired = true;
  return {
    postMessage: (m: WebviewToHost) => { queueMicrotask(() => onPost(JSON.parse(JSON.stringify(m)) as WebviewToHost)); },
    getState: () => harness.state(),
    setState: (s: unknown) => { sessionStorage.setItem('vscode-state', JSON.stringify(s)); },
  };
};
