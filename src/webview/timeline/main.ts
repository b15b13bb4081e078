// The timeline webview: a canvas of lanes and message arrows, a toolbar, a details pane and an
// accessible list of the events in view. It holds only windows of the trace, asked for through the
// typed protocol (src/shared/timelineProtocol.ts), and keeps its view state with setState.
import type { TraceEventKind, Party } from '../../simulator/trace/events';
import type {
  AxisMode, ExportFormat, HostToWebview, SeekMatch, TimelineFilter, TimelineItem, TimelineSessionInfo, TimelineViewState, WebviewToHost,
} from '../../shared/timelineProtocol';
import { isHostToWebview, MAX_DROPPED_LOG_BYTES } from '../../shared/timelineProtocol';
import { eventDescription, eventLabel, filterIsEmpty, isAlarm, shortMsgtype } from '../../shared/timelineData';
import {
  type ColorToken, type LaneLayout, type Viewport, GUTTER_W, PHASE_H, RULER_H, RUN_HEADER_H,
  MIN_PX_PER_COL, buildLanes, clampViewport, colToX, ensureVisible, fitAll, focusColumn, fitText, hitTest, itemPos, labelsFit, panBy, rulerMarks,
  shapeOf, shapeSpan, visibleRange, wantedWindow, windowServes, zoomAt,
} from './layout';
import { formatDuration } from '../../shared/timeAxis';
import { droppedUri } from './drop';
import { type Palette, renderSvg } from './layoutSvg';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

function post(m: WebviewToHost): void {
  api.postMessage(m);
}

// ---- state ---------------------------------------------------------------------------------------

interface WindowData {
  from: number;
  to: number;
  stride: number;
  total: number;
  items: TimelineItem[];
  filterKey: string;
  /** The axis its from/to are in, and the zoom it was asked for (time layout). */
  axis: AxisMode;
  pxPerCol: number;
}

const restored = readState();
let info: TimelineSessionInfo | null = null;
let total = 0;
let position: number | null = null;
let layout: LaneLayout = buildLanes(1, ['run']);
let view: Viewport = { start: restored?.start ?? 0, pxPerCol: restored?.pxPerCol ?? 12, width: 800, height: 300 };
let filter: TimelineFilter = restored?.filter ?? {};
let selected: { col: number; run: 0 | 1 } | null = restored?.selected ?? null;
let selectedItem: TimelineItem | null = null;
let listView = restored?.listView ?? false;
let follow = restored?.follow ?? true;
let win: WindowData | null = null;
let nextRequestId = 1;
let latestWindowRequest = 0;
let pendingWindowKey = '';
const pendingSeeks = new Map<number, (found: Found) => void>();
let palette: Palette = readPalette();
let useRestoredView = !!restored;
/** The user's choice of layout for a log (a simulated run is always laid out by sequence). */
let axisPref: AxisMode | undefined = restored?.axis;
/** The stepper's time-axis position (a log laid out by time). */
let positionAt: number | null = null;
/** Pending window request's axis and zoom. */
let pendingWindowMeta: { axis: AxisMode; pxPerCol: number } = { axis: 'sequence', pxPerCol: 1 };

/** The layout in effect: 'time' for a log's session unless the user chose 'sequence'. */
function axisMode(): AxisMode {
  return info?.mode === 'single' && info.timeAxis && (axisPref ?? 'time') === 'time' ? 'time' : 'sequence';
}
/** The x axis's length: columns, or the time axis's extent (µs) with 3% room for the last labels. */
function ext(): number {
  return axisMode() === 'time' && info?.timeAxis ? Math.max(1, info.timeAxis.extent * 1.03) : total;
}
/** The zoom-out limit: time axes of long logs need to fit seconds into a few hundred pixels. */
function minPx(): number {
  return axisMode() === 'time' ? 1e-7 : MIN_PX_PER_COL;
}
const pos = (it: TimelineItem): number => itemPos(it, axisMode());
/** Where the stepper's cursor is drawn: its column, or its time-axis position. */
function positionPos(): number | null {
  if (position === null || position < 0) return null;
  return axisMode() === 'time' ? positionAt : position;
}

/** Measurements the tests and the benchmark read. */
interface Stats {
  firstPaintMs: number | null;
  sessionAt: number | null;
  frames: number[];
  view: { start: number; pxPerCol: number; width: number } | null;
  windowsRequested: number;
  windowsReceived: number;
  lastDrawnItems: number;
}
const stats: Stats = { firstPaintMs: null, sessionAt: null, frames: [], view: null, windowsRequested: 0, windowsReceived: 0, lastDrawnItems: 0 };
(window as unknown as { __timelineStats: Stats }).__timelineStats = stats;

function readState(): TimelineViewState | null {
  const s = api.getState() as TimelineViewState | undefined;
  return s && s.version === 1 ? s : null;
}

let saveTimer: number | undefined;
function saveState(): void {
  if (saveTimer !== undefined) return;
  saveTimer = window.setTimeout(() => {
    saveTimer = undefined;
    const s: TimelineViewState = {
      version: 1, start: view.start, pxPerCol: view.pxPerCol, selected, filter, listView, follow, mode: info?.mode ?? 'single', axis: axisMode(),
    };
    api.setState(s);
  }, 100);
}

// ---- DOM -------------------------------------------------------------------------------------------

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function iconButton(id: string, icon: string, label: string, onClick: () => void, key?: string): HTMLButtonElement {
  const b = el('button', { id, class: 'tl-btn', type: 'button', title: key ? `${label} (${key})` : label, 'aria-label': label });
  b.append(el('span', { class: `codicon codicon-${icon}`, 'aria-hidden': 'true' }));
  b.addEventListener('click', onClick);
  return b;
}

const app = document.getElementById('app') ?? document.body.appendChild(el('div', { id: 'app' }));
const toolbar = el('div', { class: 'tl-toolbar', role: 'toolbar', 'aria-label': 'Timeline tools' });
const titleEl = el('span', { class: 'tl-title', id: 'tl-title', title: 'Hold Shift and drop a trace-cmd text or a dmesg on the panel to open it as a log' }, 'VMBus timeline');
const partyBoxes = new Map<Party, HTMLInputElement>();
const partyGroup = el('span', { class: 'tl-group', role: 'group', 'aria-label': 'Lanes shown' });
for (const p of ['guest', 'paravisor', 'hypervisor', 'host'] as Party[]) {
  const box = el('input', { type: 'checkbox', id: `tl-party-${p}`, 'aria-label': `Show ${p} lane` });
  box.checked = !(filter.hiddenParties ?? []).includes(p);
  box.addEventListener('change', () => {
    const hidden = [...partyBoxes].filter(([, b]) => !b.checked).map(([q]) => q);
    setFilter({ ...filter, hiddenParties: hidden.length ? hidden : undefined });
  });
  partyBoxes.set(p, box);
  partyGroup.append(el('label', { class: 'tl-check' }, box, p));
}
const kindSelect = el('select', { id: 'tl-kinds', 'aria-label': 'Event kinds shown' });
for (const [v, t] of [['all', 'All kinds'], ['no-log', 'No logs'], ['messages', 'Messages + alarms'], ['registers', 'Registers + pages']]) {
  kindSelect.append(el('option', { value: v }, t));
}
kindSelect.value = kindPresetOf(filter);
kindSelect.addEventListener('change', () => setFilter({ ...filter, hiddenKinds: kindPreset(kindSelect.value) }));
const msgtypeInput = el('input', { id: 'tl-msgtype', type: 'text', placeholder: 'msgtype', 'aria-label': 'Filter by message type (comma separated)', size: '14', list: 'tl-msgtypes' });
const msgtypeList = el('datalist', { id: 'tl-msgtypes' });
msgtypeInput.value = (filter.msgtypes ?? []).join(',');
msgtypeInput.addEventListener('change', () => {
  const list = msgtypeInput.value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean).map((s) => (s.startsWith('CHANNELMSG_') ? s : 'CHANNELMSG_' + s));
  setFilter({ ...filter, msgtypes: list.length ? list : undefined });
});
const relidInput = el('input', { id: 'tl-relid', type: 'number', min: '0', placeholder: 'relid', 'aria-label': 'Filter by relid', class: 'tl-num' });
if (filter.relid !== undefined) relidInput.value = String(filter.relid);
relidInput.addEventListener('change', () => {
  const n = relidInput.value.trim() === '' ? undefined : Number(relidInput.value);
  setFilter({ ...filter, relid: n !== undefined && Number.isFinite(n) ? n : undefined });
});
const searchInput = el('input', { id: 'tl-search', type: 'search', placeholder: 'Search', 'aria-label': 'Search events (Enter: next, Shift+Enter: previous)', size: '16' });
searchInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') { ev.preventDefault(); void find(ev.shiftKey ? -1 : 1); }
});
const filterOnSearch = el('input', { type: 'checkbox', id: 'tl-search-filter', 'aria-label': 'Show only events matching the search' });
filterOnSearch.checked = !!filter.search;
if (filter.search) searchInput.value = filter.search;
filterOnSearch.addEventListener('change', () => setFilter({ ...filter, search: filterOnSearch.checked ? searchInput.value : undefined }));
searchInput.addEventListener('input', () => { if (filterOnSearch.checked) setFilter({ ...filter, search: searchInput.value }); });

const axisSelect = el('select', { id: 'tl-axis', 'aria-label': 'Lay the log out by sequence or by its real time', title: 'Axis: one column per event, or the log\'s real time (long idle gaps cut out and marked)' });
axisSelect.append(el('option', { value: 'time' }, 'Time axis'), el('option', { value: 'sequence' }, 'Sequence axis'));
axisSelect.hidden = true;
axisSelect.addEventListener('change', () => {
  const keep = selectedItem;
  axisPref = axisSelect.value === 'sequence' ? 'sequence' : 'time';
  win = null;
  pendingWindowKey = '';
  view = fitAll(ext(), view.width, view.height, minPx());
  if (keep) selectedItem = keep;
  afterViewChange();
});
const followBtn = iconButton('tl-follow', 'debug-step-over', 'Follow the stepper', () => { follow = !follow; syncToggles(); if (follow && position !== null) revealCol(position); saveState(); });
const listBtn = iconButton('tl-list-toggle', 'list-flat', 'Show event list', () => { listView = !listView; syncToggles(); renderList(); saveState(); });
toolbar.append(
  titleEl,
  iconButton('tl-prev', 'arrow-left', 'Previous event', () => void step(-1, { by: 'any' }), 'Left'),
  iconButton('tl-next', 'arrow-right', 'Next event', () => void step(1, { by: 'any' }), 'Right'),
  iconButton('tl-prev-same', 'arrow-small-left', 'Previous of the same type', () => void stepSame(-1), 'Shift+Left'),
  iconButton('tl-next-same', 'arrow-small-right', 'Next of the same type', () => void stepSame(1), 'Shift+Right'),
  iconButton('tl-zoom-in', 'zoom-in', 'Zoom in', () => zoomCenter(1.5), '+ / W'),
  iconButton('tl-zoom-out', 'zoom-out', 'Zoom out', () => zoomCenter(1 / 1.5), '- / S'),
  iconButton('tl-fit', 'screen-full', 'Fit the whole trace', () => fit(), 'F'),
  axisSelect,
  followBtn,
  listBtn,
  partyGroup,
  kindSelect,
  msgtypeInput, msgtypeList,
  relidInput,
  searchInput,
  el('label', { class: 'tl-check' }, filterOnSearch, 'only'),
  iconButton('tl-diff-next', 'diff', 'Next difference', () => void step(1, { by: 'difference' }), 'X'),
  iconButton('tl-export-svg', 'file-media', 'Export the visible range as SVG', () => exportAs('svg')),
  iconButton('tl-export-mermaid', 'type-hierarchy', 'Export the visible range as a Mermaid sequence diagram', () => exportAs('mermaid')),
  iconButton('tl-export-json', 'json', 'Export the visible range as a JSON trace', () => exportAs('json')),
);

const legend = el('div', { class: 'tl-legend', 'aria-hidden': 'true' });
legend.append(
  el('span', { class: 'tl-key tl-key-conf' }, 'confidential'),
  el('span', { class: 'tl-key tl-key-vis' }, 'host-visible'),
  el('span', { class: 'tl-key tl-key-alarm' }, 'fault / invariant'),
  el('span', {}, '── direct  ╌╌ GHCB  ┈┈ tdcall  ○ trapped  ▲ hypervisor SynIC  △ paravisor SynIC  ┬ not delivered  ■ register write  ◆ page'),
);

const canvasWrap = el('div', { class: 'tl-canvas-wrap' });
const canvas = el('canvas', {
  id: 'tl-canvas', tabindex: '0', role: 'application',
  'aria-roledescription': 'timeline',
  'aria-label': 'VMBus timeline. Left and Right: previous and next event. Shift with Left or Right: same type. Plus and minus: zoom. A and D: pan. Enter: open decoded form. L: event list.',
});
canvasWrap.append(canvas);
const ctx = canvas.getContext('2d', { alpha: false }) as CanvasRenderingContext2D;

const listEl = el('div', { id: 'tl-list', class: 'tl-list', role: 'listbox', 'aria-label': 'Events in view', tabindex: '-1' });
const details = el('aside', { id: 'tl-details', class: 'tl-details', 'aria-label': 'Selected event', 'aria-live': 'polite' });
const statusEl = el('div', { id: 'tl-status', class: 'tl-status', role: 'status' });
const announcer = el('div', { class: 'tl-sr-only', 'aria-live': 'assertive', id: 'tl-announce' });
const emptyEl = el('div', { id: 'tl-empty', class: 'tl-empty' }, 'No simulation yet. Run a scenario to see its timeline.');
const dropHint = el('div', { id: 'tl-drop-hint', class: 'tl-muted tl-drop-hint' }, 'Drop a trace-cmd text or a dmesg here (hold Shift while dropping) to open it as a log.');
const body = el('div', { class: 'tl-body' }, el('div', { class: 'tl-main' }, canvasWrap, listEl), details);
app.append(toolbar, legend, emptyEl, dropHint, body, statusEl, announcer);

function syncToggles(): void {
  followBtn.setAttribute('aria-pressed', String(follow));
  followBtn.classList.toggle('tl-on', follow);
  listBtn.setAttribute('aria-pressed', String(listView));
  listBtn.classList.toggle('tl-on', listView);
  listEl.hidden = !listView;
  (document.getElementById('tl-diff-next') as HTMLElement).hidden = info?.mode !== 'compare';
  axisSelect.hidden = !(info?.mode === 'single' && info.timeAxis);
  axisSelect.value = axisMode();
}
syncToggles();
renderDetails();

function kindPreset(v: string): TraceEventKind[] | undefined {
  switch (v) {
    case 'no-log': return ['log'];
    case 'messages': return ['log', 'register', 'page', 'state', 'packet', 'interrupt', 'hypercall'];
    case 'registers': return ['log', 'message', 'state', 'packet', 'interrupt', 'hypercall', 'phase'];
    default: return undefined;
  }
}
function kindPresetOf(f: TimelineFilter): string {
  const k = (f.hiddenKinds ?? []).slice().sort().join(',');
  for (const v of ['no-log', 'messages', 'registers']) if ((kindPreset(v) ?? []).slice().sort().join(',') === k) return v;
  return 'all';
}

// ---- theme -------------------------------------------------------------------------------------------

function readPalette(): Palette {
  const cs = getComputedStyle(document.body);
  const v = (name: string, fallback?: string): string => {
    const s = cs.getPropertyValue(name).trim();
    return s || (fallback ? v(fallback) : 'CanvasText');
  };
  return {
    fg: v('--vscode-editor-foreground', '--vscode-foreground'),
    bg: v('--vscode-editor-background'),
    border: v('--vscode-editorWidget-border', '--vscode-panel-border'),
    laneAlt: v('--vscode-editor-inactiveSelectionBackground', '--vscode-list-hoverBackground'),
    confidential: v('--vscode-charts-green'),
    visible: v('--vscode-charts-orange'),
    alarm: v('--vscode-errorForeground', '--vscode-charts-red'),
    register: v('--vscode-charts-blue'),
    phase: v('--vscode-charts-purple'),
    muted: v('--vscode-descriptionForeground'),
    interrupt: v('--vscode-charts-yellow'),
    packet: v('--vscode-charts-blue'),
    ok: v('--vscode-testing-iconPassed', '--vscode-charts-green'),
    cursor: v('--vscode-editorCursor-foreground', '--vscode-focusBorder'),
    onlyA: v('--vscode-diffEditor-removedTextBackground'),
    onlyB: v('--vscode-diffEditor-insertedTextBackground'),
  };
}
const focusColor = (): string => getComputedStyle(document.body).getPropertyValue('--vscode-focusBorder').trim() || palette.fg;

new MutationObserver(() => { palette = readPalette(); invalidate(); }).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
new MutationObserver(() => { palette = readPalette(); invalidate(); }).observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });

// ---- drawing -------------------------------------------------------------------------------------------

let frameRequested = false;
function invalidate(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    draw();
  });
}

function resize(): void {
  const r = canvasWrap.getBoundingClientRect();
  const width = Math.max(200, Math.floor(r.width));
  const height = Math.max(layout.height, 120);
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  view = clampViewport({ ...view, width, height }, ext(), minPx());
}

function setColor(c: string): void {
  ctx.strokeStyle = c;
  ctx.fillStyle = c;
}

function draw(): void {
  const t0 = performance.now();
  const dpr = window.devicePixelRatio || 1;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const w = view.width;
  const h = view.height;
  ctx.fillStyle = palette.bg;
  ctx.fillRect(0, 0, w, h);
  ctx.font = '11px ' + (getComputedStyle(document.body).getPropertyValue('--vscode-editor-font-family').trim() || 'monospace');
  ctx.textBaseline = 'alphabetic';

  // Lanes.
  layout.lanes.forEach((l, i) => {
    if (i % 2 === 1) { ctx.fillStyle = palette.laneAlt; ctx.fillRect(0, l.top, w, l.height); }
    ctx.strokeStyle = palette.border;
    ctx.lineWidth = 0.5;
    ctx.beginPath();
    ctx.moveTo(GUTTER_W, l.top + l.height / 2);
    ctx.lineTo(w, l.top + l.height / 2);
    ctx.stroke();
  });
  for (const rh of layout.runHeaders) {
    ctx.fillStyle = palette.fg;
    ctx.font = 'bold 11px sans-serif';
    ctx.fillText(rh.label, 6, rh.top + 13);
    ctx.strokeStyle = palette.border;
    ctx.beginPath(); ctx.moveTo(0, rh.top + RUN_HEADER_H - 1); ctx.lineTo(w, rh.top + RUN_HEADER_H - 1); ctx.stroke();
  }
  ctx.font = '11px sans-serif';

  // Ruler.
  ctx.fillStyle = palette.muted;
  ctx.strokeStyle = palette.border;
  ctx.lineWidth = 1;
  const marks = rulerMarks(view, ext(), axisMode() === 'time' ? info?.timeAxis : undefined);
  for (const t of marks.ticks) {
    ctx.beginPath(); ctx.moveTo(t.x, RULER_H - 5); ctx.lineTo(t.x, RULER_H); ctx.stroke();
    ctx.fillText(t.label, t.x + 2, 12);
  }
  // Cut gaps of the time axis: a shaded band with the time it skips.
  for (const b of marks.breaks) {
    if (b.x + b.width < GUTTER_W || b.x > w) continue;
    ctx.fillStyle = palette.laneAlt;
    ctx.fillRect(b.x, RULER_H, Math.max(2, b.width), layout.height - RULER_H);
    ctx.strokeStyle = palette.muted;
    ctx.setLineDash([2, 3]);
    ctx.beginPath(); ctx.moveTo(b.x, RULER_H); ctx.lineTo(b.x, layout.height); ctx.moveTo(b.x + b.width, RULER_H); ctx.lineTo(b.x + b.width, layout.height); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = palette.muted;
    ctx.fillText(b.label, b.x + 2, RULER_H + PHASE_H - 5);
    ctx.strokeStyle = palette.border;
  }
  ctx.fillStyle = palette.muted;
  ctx.beginPath(); ctx.moveTo(GUTTER_W, RULER_H + PHASE_H); ctx.lineTo(w, RULER_H + PHASE_H); ctx.stroke();

  ctx.save();
  ctx.beginPath();
  ctx.rect(GUTTER_W, 0, w - GUTTER_W, h);
  ctx.clip();
  let drawn = 0;
  if (win) {
    const { from, to } = visibleRange(view, ext());
    const items = win.items;
    const lo = lowerBoundPos(items, from - 1);
    // Columns only in one run (compare mode).
    for (let i = lo; i < items.length && pos(items[i]) <= to; i++) {
      const it = items[i];
      if (!it.onlyHere) continue;
      const lanes = layout.lanes.filter((l) => l.run === it.run);
      if (!lanes.length) continue;
      const cw = Math.max(2, view.pxPerCol * (win.stride > 1 ? win.stride : 1));
      ctx.fillStyle = it.run === 0 ? palette.onlyA : palette.onlyB;
      ctx.fillRect(colToX(view, it.col) - cw / 2, lanes[0].top, cw, lanes[lanes.length - 1].top + lanes[lanes.length - 1].height - lanes[0].top);
    }
    // Density strip when thinned.
    if (win.stride > 1) {
      ctx.fillStyle = palette.muted;
      const bw = Math.max(1, view.pxPerCol * win.stride);
      for (let i = lo; i < items.length && pos(items[i]) <= to; i++) {
        const c = items[i].count ?? 1;
        const hh = Math.min(PHASE_H - 4, 2 + Math.log2(c + 1) * 1.5);
        ctx.fillRect(colToX(view, pos(items[i])), RULER_H + PHASE_H - hh, axisMode() === 'time' ? 2 : bw, hh);
      }
    }
    const showLabels = axisMode() === 'time' || labelsFit(view);
    const thinned = win.stride > 1 || view.pxPerCol < 1.5;
    let lastColor = '';
    let lastDash = '';
    // Several items per pixel column (a finer window than this zoom needs): draw one per column
    // and run, alarms always.
    // By time (a log), the window is already bounded and events on different CPUs may share a
    // pixel column: every one is drawn; labels and heads show wherever they do not overlap.
    const byTime = axisMode() === 'time';
    const dense = !byTime && win.stride * view.pxPerCol < 1;
    const lastPx = [-1, -1];
    const labelEnd = new Map<number, number>();
    for (let i = lo; i < items.length && pos(items[i]) <= to; i++) {
      const it = items[i];
      if (dense && !isAlarm(it.event)) {
        const px = Math.round(colToX(view, pos(it)));
        if (px === lastPx[it.run]) continue;
        lastPx[it.run] = px;
      }
      const s = shapeOf(it, layout, view, axisMode());
      if (!s) continue;
      drawn++;
      const color = palette[s.color as ColorToken];
      if (color !== lastColor) { setColor(color); lastColor = color; }
      if (s.type === 'arrow') {
        const dashKey = s.dash.join(',');
        if (dashKey !== lastDash) { ctx.setLineDash(s.dash); lastDash = dashKey; }
        ctx.lineWidth = s.width;
        const dir = s.y2 > s.y1 ? 1 : -1;
        ctx.beginPath(); ctx.moveTo(s.x, s.y1); ctx.lineTo(s.x, s.y2 - dir * 5); ctx.stroke();
        if (byTime || view.pxPerCol >= 3) {
          if (lastDash !== '') { ctx.setLineDash([]); lastDash = ''; }
          if (s.head === 'bar') {
            ctx.lineWidth = 2;
            ctx.beginPath(); ctx.moveTo(s.x - 4, s.y2); ctx.lineTo(s.x + 4, s.y2); ctx.stroke();
          } else if (s.head !== 'none') {
            ctx.lineWidth = 1;
            ctx.beginPath(); ctx.moveTo(s.x - 4, s.y2 - dir * 7); ctx.lineTo(s.x, s.y2); ctx.lineTo(s.x + 4, s.y2 - dir * 7); ctx.closePath();
            if (s.head === 'filled') ctx.fill(); else ctx.stroke();
          }
          if (s.tail === 'trap') { ctx.beginPath(); ctx.arc(s.x, s.y1, 3, 0, Math.PI * 2); ctx.stroke(); }
        }
        if (showLabels) {
          // A label runs right from its arrow until the next label on the same line would start.
          const ly = Math.round(s.y1 + dir * 12);
          const text = fitText(eventLabel(it.event), byTime ? 160 : Math.min(220, view.pxPerCol * 6) - 8);
          if (text && s.x + 4 >= (labelEnd.get(ly) ?? -Infinity)) {
            ctx.fillStyle = palette.fg;
            ctx.fillText(text, s.x + 4, ly);
            labelEnd.set(ly, s.x + 4 + ctx.measureText(text).width + 6);
            const by = Math.round(s.y2 - dir * 4);
            if (s.badge && s.x + 4 >= (labelEnd.get(by) ?? -Infinity)) {
              ctx.fillStyle = palette.muted;
              ctx.fillText(s.badge, s.x + 4, by);
              labelEnd.set(by, s.x + 4 + ctx.measureText(s.badge).width + 6);
            }
            lastColor = '';
          }
        }
      } else if (s.type === 'mark') {
        if (lastDash !== '') { ctx.setLineDash([]); lastDash = ''; }
        const r = !byTime && view.pxPerCol < 2 ? 1.5 : s.size / 2 + 1;
        ctx.lineWidth = 1;
        if (s.shape === 'square') ctx.fillRect(s.x - r, s.y - r, 2 * r, 2 * r);
        else if (s.shape === 'diamond') { ctx.beginPath(); ctx.moveTo(s.x, s.y - r); ctx.lineTo(s.x + r, s.y); ctx.lineTo(s.x, s.y + r); ctx.lineTo(s.x - r, s.y); ctx.closePath(); ctx.fill(); }
        else if (s.shape === 'circle') { ctx.beginPath(); ctx.arc(s.x, s.y, r, 0, Math.PI * 2); ctx.stroke(); }
        else ctx.fillRect(s.x - r / 2, s.y - r / 2, r, r);
      } else {
        if (lastDash !== '') { ctx.setLineDash([]); lastDash = ''; }
        // Thinned (zoomed-out) views mark alarms in the ruler only, so frequent faults don't wall off the lanes.
        const span = thinned && s.where === 'all' ? { top: RULER_H, bottom: RULER_H + PHASE_H } : shapeSpan(s, layout, it.run);
        ctx.lineWidth = s.where === 'all' ? 2 : 1;
        ctx.beginPath(); ctx.moveTo(s.x, span.top); ctx.lineTo(s.x, span.bottom); ctx.stroke();
        if (s.where === 'all') { ctx.beginPath(); ctx.moveTo(s.x - 5, RULER_H); ctx.lineTo(s.x + 5, RULER_H); ctx.lineTo(s.x, RULER_H + 8); ctx.closePath(); ctx.fill(); }
        if (s.label && !thinned && (showLabels || (s.where === 'phase' && view.pxPerCol >= 6) || s.where === 'all')) {
          const py = RULER_H + PHASE_H - 5;
          if (s.x + 3 >= (labelEnd.get(py) ?? -Infinity) || s.where === 'all') {
            const t = fitText(s.label, Math.max(60, Math.min(200, view.pxPerCol * 6)));
            ctx.fillText(t, s.x + 3, py);
            labelEnd.set(py, s.x + 3 + ctx.measureText(t).width + 6);
          }
        }
      }
    }
    ctx.setLineDash([]);
  }
  // The stepper's position.
  const cursorPos = positionPos();
  if (cursorPos !== null) {
    const x = colToX(view, cursorPos);
    ctx.strokeStyle = palette.cursor;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([4, 2]);
    ctx.beginPath(); ctx.moveTo(x, RULER_H); ctx.lineTo(x, layout.height); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = palette.cursor;
    ctx.beginPath(); ctx.moveTo(x - 5, 0); ctx.lineTo(x + 5, 0); ctx.lineTo(x, 7); ctx.closePath(); ctx.fill();
  }
  // The selection.
  if (selectedItem) {
    const s = shapeOf(selectedItem, layout, view, axisMode());
    if (s) {
      const span = shapeSpan(s, layout, selectedItem.run);
      ctx.strokeStyle = focusColor();
      ctx.lineWidth = 2;
      ctx.strokeRect(s.x - 7, span.top - 6, 14, span.bottom - span.top + 12);
    }
  }
  ctx.restore();

  // Gutter (lane names) over everything.
  ctx.fillStyle = palette.bg;
  ctx.fillRect(0, 0, GUTTER_W, h);
  ctx.fillStyle = palette.fg;
  ctx.font = '12px sans-serif';
  for (const l of layout.lanes) ctx.fillText(l.label, 6, l.top + l.height / 2 + 4);
  ctx.font = 'bold 11px sans-serif';
  for (const rh of layout.runHeaders) ctx.fillText(fitText(rh.label, GUTTER_W - 8), 6, rh.top + 13);
  ctx.strokeStyle = palette.border;
  ctx.beginPath(); ctx.moveTo(GUTTER_W - 0.5, 0); ctx.lineTo(GUTTER_W - 0.5, h); ctx.stroke();

  const dt = performance.now() - t0;
  stats.frames.push(dt);
  if (stats.frames.length > 2000) stats.frames.splice(0, 1000);
  stats.lastDrawnItems = drawn;
  stats.view = { start: view.start, pxPerCol: view.pxPerCol, width: view.width };
  if (stats.firstPaintMs === null && win && stats.sessionAt !== null) {
    stats.firstPaintMs = performance.now() - stats.sessionAt;
    document.body.dataset.painted = 'true';
  }
  renderStatus();
  if (listView) renderList();
}

/** The first item at or after an axis position (items are in column order, and so in position order). */
function lowerBoundPos(items: readonly TimelineItem[], p: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pos(items[mid]) < p) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function lowerBound(items: readonly TimelineItem[], col: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].col < col) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function renderStatus(): void {
  if (!info) { statusEl.textContent = ''; return; }
  const { from, to } = visibleRange(view, ext());
  const parts = [`${total} ${info.mode === 'compare' ? 'aligned rows' : 'events'}`];
  const ta = info.timeAxis;
  if (axisMode() === 'time' && ta) {
    parts.push(`time axis${ta.segments.length > 1 ? `: ${ta.segments.length - 1} gap${ta.segments.length > 2 ? 's' : ''} over ${formatDuration(ta.breakAfterNs)} cut` : ''}`);
    if (ta.unknownTimes) parts.push(`${ta.unknownTimes} without a time (at the previous record's)`);
  } else parts.push(`showing ${from}–${Math.max(from, to - 1)}`);
  if (info.cpus && info.cpus.unknown) parts.push(info.cpus.count ? 'some records name no CPU (cpu ?)' : 'the log names no CPU (cpu ?)');
  if (win && win.stride > 1) parts.push(`1 of ${win.stride} per column`);
  if (!filterIsEmpty(filter)) parts.push('filtered');
  if (position !== null && position >= 0) parts.push(`stepper at #${position}`);
  if (info.mode === 'compare' && info.differences !== undefined) parts.push(`${info.differences} differences`);
  statusEl.textContent = parts.join(' · ');
}

// ---- list view (accessible alternative) ---------------------------------------------------------------

let listKey = '';
function renderList(): void {
  if (!listView || !win) { if (!listView) listEl.replaceChildren(); return; }
  const { from, to } = visibleRange(view, ext());
  const items = win.items;
  const key = `${from}:${to}:${items.length}:${win.from}:${win.stride}:${selected?.col}:${selected?.run}`;
  if (key === listKey) return;
  listKey = key;
  const rows: HTMLElement[] = [];
  for (let i = lowerBoundPos(items, from); i < items.length && pos(items[i]) < to && rows.length < 400; i++) {
    const it = items[i];
    const isSel = !!selected && selected.col === it.col && selected.run === it.run;
    const desc = (info?.mode === 'compare' ? `${info.runs[it.run]}: ` : '') + eventDescription(it.event) + (it.onlyHere ? ' (only in this run)' : '');
    const row = el('div', { role: 'option', class: 'tl-row' + (isSel ? ' tl-row-sel' : '') + (it.onlyHere ? ' tl-row-diff' : ''), tabindex: isSel ? '0' : '-1', 'aria-selected': String(isSel), 'data-col': String(it.col), 'data-run': String(it.run), id: `tl-row-${it.run}-${it.col}` }, desc);
    row.addEventListener('click', () => selectItem(it, true));
    rows.push(row);
  }
  if (!rows.length) rows.push(el('div', { class: 'tl-row tl-row-empty' }, 'No events in view.'));
  const hadFocus = listEl.contains(document.activeElement);
  listEl.replaceChildren(...rows);
  if (hadFocus && selected) (document.getElementById(`tl-row-${selected.run}-${selected.col}`) ?? listEl).focus();
}

listEl.addEventListener('keydown', (ev) => {
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    ev.preventDefault();
    void step(ev.key === 'ArrowDown' ? 1 : -1, { by: 'any' }).then(() => {
      const r = selected && document.getElementById(`tl-row-${selected.run}-${selected.col}`);
      if (r) r.focus();
    });
  } else if (ev.key === 'Enter' && selectedItem) {
    post({ type: 'openDecoded', seq: selectedItem.event.seq, run: selectedItem.run });
  }
});

// ---- details pane -------------------------------------------------------------------------------------

function renderDetails(): void {
  const e = selectedItem?.event;
  if (!e || !selectedItem) {
    details.replaceChildren(el('p', { class: 'tl-muted' }, 'Select an event to see its decoded form.'));
    return;
  }
  const unknown = new Set(e.log?.unknown ?? []);
  const rows: [string, string][] = e.log
    // A log's record: its own seconds and CPU, "unknown" for what the log does not give.
    ? [['seq', String(e.seq)], ['kind', e.kind], ['time', unknown.has('time') ? 'unknown (not in the log)' : `${(e.time / 1e9).toFixed(6)} s`], ['cpu', e.vp === null ? 'unknown (not in the log)' : String(e.vp)], ['log line', String(e.log.line)]]
    : [['seq', String(e.seq)], ['kind', e.kind], ['time', `${e.time} ns`], ['vp', e.vp === null ? '—' : String(e.vp)], ['phase', e.phase.join(' › ') || '—']];
  if (info?.mode === 'compare') rows.unshift(['run', info.runs[selectedItem.run] + (selectedItem.onlyHere ? ' (only here)' : '')]);
  let decoded: unknown = null;
  let hex: string | null = null;
  if (e.kind === 'message') {
    // What a log line does not say is unknown, not the placeholder the record carries (as in the debugger's variables).
    const u = (field: string, value: string): string => (unknown.has(field) ? 'unknown (not in the log)' : value);
    rows.push(['type', `${e.msgtype} (${e.msgtypeValue})`], ['route', `${unknown.has('from') ? `${e.from}?` : e.from} → ${unknown.has('to') ? `${e.to}?` : e.to}`], ['path', u('path', e.path)], ['SynIC', u('synic', e.synic ?? 'none')], ['confidential', u('confidential', String(e.confidential))], ['status', u('status', e.status)], ['connection id', u('connectionId', `0x${e.connectionId.toString(16)}`)]);
    if (e.relid !== undefined) rows.push(['relid', String(e.relid)]);
    if (e.fault) rows.push(['fault', e.fault]);
    decoded = e.decoded;
    hex = e.hex;
  } else {
    const rest: Record<string, unknown> = { ...e };
    for (const k of ['seq', 'kind', 'time', 'vp', 'phase', 'granularity', 'source']) delete rest[k];
    decoded = rest;
  }
  if (e.source) rows.push(['source', `${e.source.file.split(/[\\/]/).pop()}:${e.source.line + 1}`]);
  const dl = el('dl', { class: 'tl-fields' });
  for (const [k, v] of rows) dl.append(el('dt', {}, k), el('dd', {}, v));
  const head = el('h2', { class: 'tl-details-title' }, eventLabel(e));
  const open = el('button', { type: 'button', class: 'tl-btn tl-text-btn', id: 'tl-open-decoded' }, 'Open decoded form');
  open.addEventListener('click', () => post({ type: 'openDecoded', seq: e.seq, run: selectedItem?.run ?? 0 }));
  const parts: Node[] = [head, dl, open, el('h3', {}, 'Decoded'), el('pre', { class: 'tl-pre' }, JSON.stringify(decoded, null, 2))];
  if (hex) parts.push(el('h3', {}, 'Bytes'), el('pre', { class: 'tl-pre' }, hex.replace(/(.{32})/g, '$1\n').trim()));
  details.replaceChildren(...parts);
}

// ---- interaction ---------------------------------------------------------------------------------------

function itemAt(col: number, run: 0 | 1): TimelineItem | null {
  if (!win) return null;
  const i = lowerBound(win.items, col);
  for (let j = i; j < win.items.length && win.items[j].col === col; j++) if (win.items[j].run === run) return win.items[j];
  return null;
}

function selectItem(it: TimelineItem, notify: boolean): void {
  selected = { col: it.col, run: it.run };
  selectedItem = it;
  renderDetails();
  announcer.textContent = (info?.mode === 'compare' ? `${info.runs[it.run]}: ` : '') + eventDescription(it.event);
  canvas.setAttribute('aria-label', `VMBus timeline. Selected: ${eventDescription(it.event)}`);
  if (notify) post({ type: 'select', col: it.col, seq: it.event.seq, run: it.run });
  listKey = '';
  saveState();
  invalidate();
}

function revealCol(col: number): void {
  view = ensureVisible(view, col, ext());
  afterViewChange();
}

function afterViewChange(): void {
  saveState();
  requestWindowIfNeeded();
  invalidate();
}

function zoomCenter(f: number): void {
  const x = selectedItem ? colToX(view, pos(selectedItem)) : GUTTER_W + (view.width - GUTTER_W) / 2;
  view = zoomAt(view, Math.min(view.width, Math.max(GUTTER_W, x)), f, ext(), minPx());
  afterViewChange();
}

function fit(): void {
  view = fitAll(ext(), view.width, view.height, minPx());
  afterViewChange();
}

function seekHost(from: number, dir: 1 | -1, match: SeekMatch): Promise<Found> {
  const requestId = nextRequestId++;
  return new Promise((resolve) => {
    pendingSeeks.set(requestId, resolve);
    post({ type: 'seek', requestId, from, dir, match, filter });
  });
}

async function step(dir: 1 | -1, match: SeekMatch): Promise<void> {
  if (!info || total === 0) return;
  const run = selected?.run ?? 0;
  const from = selected ? selected.col : dir > 0 ? -1 : total;
  // A stride-1 window has every matching column; look there first.
  if (win && win.stride === 1 && match.by === 'any') {
    const items = win.items;
    let i = lowerBound(items, from);
    if (dir > 0) { while (i < items.length && (items[i].col <= from || items[i].run !== run)) i++; }
    else { i--; while (i >= 0 && (items[i].col >= from || items[i].run !== run)) i--; }
    const it = items[i];
    if (it && pos(it) >= win.from && pos(it) < win.to) { focusItem(it); return; }
    if (!it && ((dir > 0 && win.to >= ext()) || (dir < 0 && win.from <= 0))) return;
  }
  const found = await seekHost(from, dir, match);
  const col = found.col;
  if (col === null) { announcer.textContent = 'No more events in that direction.'; return; }
  if (axisMode() === 'time' && found.at !== undefined) view = ensureVisible(view, found.at, ext());
  else view = focusColumn(view, col, total);
  await ensureWindowFor(col, found.at);
  // A log's window may be thinned there (time layout): the host sent the event with the answer.
  const it = itemAt(col, run) ?? itemAt(col, run === 0 ? 1 : 0) ?? found.item ?? null;
  if (it) focusItem(it);
}

interface Found { col: number | null; at?: number; item?: TimelineItem }

function focusItem(it: TimelineItem): void {
  view = ensureVisible(view, pos(it), ext());
  selectItem(it, true);
  afterViewChange();
}

async function stepSame(dir: 1 | -1): Promise<void> {
  const e = selectedItem?.event;
  if (!e) return step(dir, { by: 'any' });
  return step(dir, e.kind === 'message' ? { by: 'msgtype', msgtype: e.msgtype } : { by: 'kind', kind: e.kind });
}

async function find(dir: 1 | -1): Promise<void> {
  const text = searchInput.value.trim();
  if (!text) return;
  const before = selected?.col;
  await step(dir, { by: 'search', text });
  if (selected?.col === before) announcer.textContent = `No more matches for ${text}.`;
}

function setFilter(f: TimelineFilter): void {
  filter = f;
  win = null;
  pendingWindowKey = '';
  if (info) layout = buildLanes(info.vpCount, info.runs, filter.hiddenParties ?? [], info.cpus);
  resize();
  saveState();
  requestWindowIfNeeded();
  invalidate();
}

function exportAs(format: ExportFormat): void {
  if (!info) return;
  const { from, to } = visibleRange(view, ext());
  const timeAxis = axisMode() === 'time' ? info.timeAxis : undefined;
  const inView = win ? win.items.filter((it) => pos(it) >= from && pos(it) < to) : [];
  const content = format === 'svg' && win
    ? renderSvg(inView, layout, view, ext(), palette, { title: info.title, cursor: positionPos(), ...(timeAxis ? { timeAxis } : {}) })
    : undefined;
  // The host exports columns: by time, the columns of the events in view.
  const cols = timeAxis ? { from: inView.length ? inView[0].col : 0, to: inView.length ? inView[inView.length - 1].col + 1 : 0 } : { from, to };
  post({ type: 'export', format, from: cols.from, to: cols.to, filter, content });
}

canvas.addEventListener('keydown', (ev) => {
  const k = ev.key;
  let handled = true;
  if (k === 'ArrowRight' || k === 'ArrowLeft') {
    const dir = k === 'ArrowRight' ? 1 : -1;
    if (ev.shiftKey) void stepSame(dir); else void step(dir, { by: 'any' });
  } else if (k === 'n' || k === 'N') void stepSame(k === 'n' ? 1 : -1);
  else if (k === 'x' || k === 'X') void step(k === 'x' ? 1 : -1, { by: 'difference' });
  else if (k === '+' || k === '=' || k === 'w' || k === 'W') zoomCenter(1.5);
  else if (k === '-' || k === '_' || k === 's' || k === 'S') zoomCenter(1 / 1.5);
  else if (k === 'a' || k === 'A') { view = panBy(view, -view.width / 8, ext()); afterViewChange(); }
  else if (k === 'd' || k === 'D') { view = panBy(view, view.width / 8, ext()); afterViewChange(); }
  else if (k === 'PageUp' || k === 'PageDown') { view = panBy(view, (k === 'PageDown' ? 1 : -1) * (view.width - GUTTER_W) * 0.9, ext()); afterViewChange(); }
  else if (k === 'Home') { view = clampViewport({ ...view, start: 0 }, ext(), minPx()); afterViewChange(); }
  else if (k === 'End') { view = clampViewport({ ...view, start: ext() }, ext(), minPx()); afterViewChange(); }
  else if (k === 'f' || k === 'F') fit();
  else if (k === 'c' || k === 'C') { const p = positionPos(); if (p !== null) revealCol(p); }
  else if (k === 'l' || k === 'L') listBtn.click();
  else if (k === 'Enter' && selectedItem) post({ type: 'openDecoded', seq: selectedItem.event.seq, run: selectedItem.run });
  else if (k === 'Escape') { selected = null; selectedItem = null; renderDetails(); invalidate(); saveState(); }
  else handled = false;
  if (handled) ev.preventDefault();
});

let drag: { x: number; start: number; moved: boolean } | null = null;
canvas.addEventListener('pointerdown', (ev) => {
  canvas.focus();
  drag = { x: ev.clientX, start: view.start, moved: false };
  canvas.setPointerCapture(ev.pointerId);
});
canvas.addEventListener('pointermove', (ev) => {
  if (!drag) return;
  const dx = ev.clientX - drag.x;
  if (Math.abs(dx) > 3) drag.moved = true;
  if (drag.moved) {
    view = clampViewport({ ...view, start: drag.start - dx / view.pxPerCol }, ext(), minPx());
    afterViewChange();
  }
});
canvas.addEventListener('pointerup', (ev) => {
  const d = drag;
  drag = null;
  if (d && !d.moved && win) {
    const r = canvas.getBoundingClientRect();
    const it = hitTest(win.items, layout, view, ev.clientX - r.left, ev.clientY - r.top, 8, axisMode());
    if (it) selectItem(it, true);
  }
});
canvas.addEventListener('wheel', (ev) => {
  ev.preventDefault();
  const r = canvas.getBoundingClientRect();
  if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
    view = panBy(view, ev.shiftKey ? ev.deltaY : ev.deltaX, ext());
  } else {
    view = zoomAt(view, ev.clientX - r.left, Math.pow(1.0015, -ev.deltaY), ext(), minPx());
  }
  afterViewChange();
}, { passive: false });
canvas.addEventListener('dblclick', (ev) => {
  const r = canvas.getBoundingClientRect();
  view = zoomAt(view, ev.clientX - r.left, 2, ext(), minPx());
  afterViewChange();
});
canvas.addEventListener('mousemove', (ev) => {
  if (drag || !win) return;
  const r = canvas.getBoundingClientRect();
  const it = hitTest(win.items, layout, view, ev.clientX - r.left, ev.clientY - r.top, 8, axisMode());
  canvas.title = it ? eventDescription(it.event) : '';
  canvas.style.cursor = it ? 'pointer' : 'default';
});

new ResizeObserver(() => { resize(); requestWindowIfNeeded(); invalidate(); }).observe(canvasWrap);

// ---- dropping a log ---------------------------------------------------------------------------------------
// VS Code hands a webview a drop only while Shift is held (without it, the editor area takes the
// drop). A URI (text/uri-list, from the Explorer or the OS) goes to the host as is; a file without
// one is read here, up to the Open Log budget, and its text goes to the host. Either way the host
// opens it through VMBus: Open Log.

async function onDrop(dt: DataTransfer): Promise<void> {
  const uri = droppedUri((t) => { try { return dt.getData(t) ?? ''; } catch { return ''; } });
  if (uri) {
    announcer.textContent = 'Opening the dropped log…';
    post({ type: 'openLog', source: { uri } });
    return;
  }
  const file = dt.files && dt.files.length ? dt.files[0] : undefined;
  if (!file) { announcer.textContent = 'Nothing to open in that drop: drop a log file.'; return; }
  if (file.size > MAX_DROPPED_LOG_BYTES) {
    const msg = `${file.name} is ${(file.size / 1e6).toFixed(0)} MB; logs up to ${MAX_DROPPED_LOG_BYTES / 1e6} MB open here (use vmbus-lab import for larger ones).`;
    announcer.textContent = msg;
    statusEl.textContent = msg;
    return;
  }
  const text = await file.text();
  announcer.textContent = `Opening ${file.name}…`;
  post({ type: 'openLog', source: { name: file.name, text } });
}

document.addEventListener('dragover', (ev) => {
  if (!ev.dataTransfer) return;
  ev.preventDefault();
  ev.dataTransfer.dropEffect = 'copy';
  document.body.classList.add('tl-dragging');
});
document.addEventListener('dragleave', (ev) => { if (ev.target === document.documentElement || ev.target === document.body) document.body.classList.remove('tl-dragging'); });
document.addEventListener('drop', (ev) => {
  ev.preventDefault();
  document.body.classList.remove('tl-dragging');
  if (ev.dataTransfer) void onDrop(ev.dataTransfer);
});

// ---- windows ------------------------------------------------------------------------------------------------

const windowWaiters: (() => void)[] = [];

function requestWindowIfNeeded(): void {
  if (!info || total === 0) return;
  const fk = JSON.stringify(filter);
  const axis = axisMode();
  if (win && win.filterKey === fk && win.axis === axis && (axis === 'time' ? timeWindowServes(win) : windowServes(win, view, total))) return;
  const want = wantedWindow(view, ext());
  const key = `${axis}:${want.from}:${want.to}:${want.maxItems}:${fk}:${total}`;
  if (key === pendingWindowKey) return;
  pendingWindowKey = key;
  pendingWindowMeta = { axis, pxPerCol: view.pxPerCol };
  const requestId = nextRequestId++;
  latestWindowRequest = requestId;
  stats.windowsRequested++;
  post({ type: 'requestWindow', requestId, from: want.from, to: want.to, filter, maxItems: want.maxItems, ...(axis === 'time' ? { axis } : {}) });
}

/** A time-axis window serves while it covers the view and the zoom is within a factor 2 of its own. */
function timeWindowServes(w: WindowData): boolean {
  const { from, to } = visibleRange(view, ext());
  return from >= w.from && to <= w.to && view.pxPerCol <= w.pxPerCol * 2 && view.pxPerCol * 2 >= w.pxPerCol;
}

function ensureWindowFor(col: number, at?: number): Promise<void> {
  const p = axisMode() === 'time' && at !== undefined ? at : col;
  if (win && p >= win.from && p < win.to && win.stride === 1) return Promise.resolve();
  requestWindowIfNeeded();
  return new Promise((resolve) => {
    windowWaiters.push(resolve);
    setTimeout(resolve, 2000);
  });
}

// ---- messages from the host -------------------------------------------------------------------------------------

function applySession(i: TimelineSessionInfo): void {
  const sameSession = info !== null && info.title === i.title && info.mode === i.mode;
  info = i;
  total = i.total;
  position = i.position;
  stats.sessionAt = performance.now();
  stats.firstPaintMs = null;
  delete document.body.dataset.painted;
  titleEl.textContent = i.mode === 'compare' ? `Compare: ${i.runs.join(' ↔ ')}` : i.title;
  document.title = `Timeline — ${i.title}`;
  emptyEl.hidden = true;
  dropHint.hidden = true;
  body.hidden = false;
  positionAt = i.positionAt ?? null;
  layout = buildLanes(i.vpCount, i.runs, filter.hiddenParties ?? [], i.cpus);
  win = null;
  pendingWindowKey = '';
  if (!sameSession) { selectedItem = null; }
  resize();
  if (useRestoredView && restored && restored.mode === i.mode && (restored.axis ?? 'sequence') === axisMode()) {
    view = clampViewport({ ...view, start: restored.start, pxPerCol: restored.pxPerCol }, ext(), minPx());
  } else if (!sameSession) {
    view = fitAll(ext(), view.width, view.height, minPx());
    const p = positionPos();
    if (i.mode === 'single' && follow && p !== null) view = ensureVisible(view, p, ext());
  }
  useRestoredView = false;
  syncToggles();
  requestWindowIfNeeded();
  invalidate();
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as unknown;
  if (!isHostToWebview(m)) return;
  handle(m);
});

function handle(m: HostToWebview): void {
  switch (m.type) {
    case 'session':
      applySession(m.info);
      break;
    case 'empty':
      info = null;
      total = 0;
      win = null;
      emptyEl.textContent = m.reason;
      emptyEl.hidden = false;
      dropHint.hidden = false;
      body.hidden = true;
      statusEl.textContent = '';
      break;
    case 'window': {
      stats.windowsReceived++;
      if (m.requestId !== latestWindowRequest) return;
      pendingWindowKey = '';
      total = m.total;
      win = { from: m.from, to: m.to, stride: m.stride, total: m.total, items: m.items, filterKey: JSON.stringify(filter), ...pendingWindowMeta };
      const types = new Set<string>();
      for (const it of m.items) if (it.event.kind === 'message') types.add(shortMsgtype(it.event.msgtype));
      if (types.size && msgtypeList.childElementCount < 40) {
        const have = new Set([...msgtypeList.children].map((o) => (o as HTMLOptionElement).value));
        for (const t of types) if (!have.has(t)) msgtypeList.append(el('option', { value: t }));
      }
      if (selected && (!selectedItem || selectedItem.col !== selected.col)) {
        const it = itemAt(selected.col, selected.run);
        if (it) { selectedItem = it; renderDetails(); }
      }
      listKey = '';
      while (windowWaiters.length) (windowWaiters.shift() as () => void)();
      invalidate();
      // The view may have moved on while this was in flight.
      requestWindowIfNeeded();
      break;
    }
    case 'found': {
      const r = pendingSeeks.get(m.requestId);
      pendingSeeks.delete(m.requestId);
      r?.({ col: m.col, ...(m.at !== undefined ? { at: m.at } : {}), ...(m.item ? { item: m.item } : {}) });
      break;
    }
    case 'cursor': {
      position = m.position;
      positionAt = m.at ?? null;
      if (m.total !== total) { total = m.total; if (info) info.total = total; }
      const p = positionPos();
      if (follow && p !== null) view = ensureVisible(view, p, ext());
      afterViewChange();
      break;
    }
    case 'reveal': {
      if (!info || info.mode !== 'single') break;
      const col = m.seq;
      if (axisMode() === 'time' && m.at !== undefined) view = ensureVisible(view, m.at, ext());
      else view = focusColumn(view, col, total);
      afterViewChange();
      const at = m.at;
      void (async () => {
        for (let tries = 0; tries < 8; tries++) {
          await ensureWindowFor(col, at);
          const it = itemAt(col, 0);
          if (it) { selectItem(it, false); return; }
          // On a time axis the stretch may be thinned at this zoom: zoom in around the event and ask again.
          if (axisMode() !== 'time' || at === undefined) return;
          view = zoomAt(view, Math.min(view.width, Math.max(GUTTER_W, colToX(view, at))), 4, ext(), minPx());
          afterViewChange();
        }
      })();
      break;
    }
    case 'exported':
      announcer.textContent = m.ok ? `Exported ${m.format}: ${m.detail}` : `Export failed: ${m.detail}`;
      statusEl.dataset.exported = m.format;
      break;
    case 'requestSnapshot': {
      draw();
      post({ type: 'snapshot', requestId: m.requestId, dataUrl: canvas.toDataURL('image/png'), width: canvas.width, height: canvas.height });
      break;
    }
    case 'error':
      announcer.textContent = m.message;
      statusEl.textContent = `Error: ${m.message}`;
      break;
  }
}

body.hidden = true;
resize();
post({ type: 'ready' });
