// Pure geometry of the timeline: lanes, the column ↔ pixel transform, zoom and pan, what each
// trace event looks like (arrow, mark or band; colour token; dash for the access path; head for
// the SynIC), ruler ticks and hit testing. No DOM here, so it runs in plain Node tests and the
// canvas renderer and the SVG exporter share it.
import type { AccessPath, Party } from '../../simulator/trace/events';
import type { TimelineItem } from '../../shared/timelineProtocol';
import { eventParties, isAlarm } from '../../shared/timelineData';
import { axisBreaks, formatDuration, timeTicks, type TimeAxisInfo } from '../../shared/timeAxis';

export const GUTTER_W = 136;
export const RULER_H = 20;
export const PHASE_H = 18;
export const RUN_HEADER_H = 18;
export const LANE_H = 46;
export const MIN_PX_PER_COL = 0.0005;
export const MAX_PX_PER_COL = 400;

export interface Lane {
  index: number;
  run: 0 | 1;
  party: Party;
  /** Guest lanes are per VP when the VM has more than one (a log: per CPU its records name). */
  vp: number | null;
  /** A log's lane for the records that name no CPU (a dmesg's): "cpu ?", never a guessed CPU. */
  cpuUnknown?: boolean;
  label: string;
  top: number;
  height: number;
}

export interface LaneLayout {
  lanes: Lane[];
  /** Top of each run's header (compare mode) or -1. */
  runHeaders: { run: 0 | 1; top: number; label: string }[];
  height: number;
}

const PARTY_LABEL: Record<Party, string> = {
  guest: 'Guest VTL0',
  paravisor: 'Paravisor VTL2',
  hypervisor: 'Hypervisor',
  host: 'Host',
};

/**
 * Lanes top to bottom: guest (per VP), paravisor, hypervisor, host; twice in compare mode. A log's
 * session passes `cpus`: one guest lane per CPU its records name (cpu0..count-1, labelled even
 * when there is one) and a "cpu ?" lane when some records name none.
 */
export function buildLanes(vpCount: number, runs: readonly string[], hiddenParties: readonly Party[] = [], cpus?: { count: number; unknown: boolean }): LaneLayout {
  const lanes: Lane[] = [];
  const runHeaders: LaneLayout['runHeaders'] = [];
  let y = RULER_H + PHASE_H;
  const hidden = new Set(hiddenParties);
  const runCount = Math.max(1, Math.min(2, runs.length));
  for (let r = 0; r < runCount; r++) {
    const run = r as 0 | 1;
    if (runCount > 1) {
      runHeaders.push({ run, top: y, label: runs[r] });
      y += RUN_HEADER_H;
    }
    for (const party of ['guest', 'paravisor', 'hypervisor', 'host'] as Party[]) {
      if (hidden.has(party)) continue;
      if (party === 'guest' && cpus) {
        for (let c = 0; c < cpus.count; c++) {
          lanes.push({ index: lanes.length, run, party, vp: c, label: `${PARTY_LABEL[party]} cpu${c}`, top: y, height: LANE_H });
          y += LANE_H;
        }
        if (cpus.unknown || cpus.count === 0) {
          lanes.push({ index: lanes.length, run, party, vp: null, cpuUnknown: true, label: `${PARTY_LABEL[party]} cpu ?`, top: y, height: LANE_H });
          y += LANE_H;
        }
        continue;
      }
      const vps: (number | null)[] = party === 'guest' && vpCount > 1 ? Array.from({ length: vpCount }, (_, i) => i) : [null];
      for (const vp of vps) {
        lanes.push({ index: lanes.length, run, party, vp, label: vp === null ? PARTY_LABEL[party] : `${PARTY_LABEL[party]} vp${vp}`, top: y, height: LANE_H });
        y += LANE_H;
      }
    }
  }
  return { lanes, runHeaders, height: y + 4 };
}

/**
 * The lane an event's party occupies (guest lanes by VP; a VP-less guest event goes to vp0's lane,
 * or to a log's "cpu ?" lane when there is one).
 */
export function laneFor(layout: LaneLayout, run: 0 | 1, party: Party, vp: number | null): Lane | undefined {
  let first: Lane | undefined;
  for (const l of layout.lanes) {
    if (l.run !== run || l.party !== party) continue;
    if (l.vp === null || l.vp === vp) return l;
    first ??= l;
  }
  return first;
}

export function laneCenter(l: Lane): number {
  return l.top + l.height / 2;
}

// ---- viewport ----------------------------------------------------------------------------------

export interface Viewport {
  /** Column at the left edge of the plot (fractional). */
  start: number;
  pxPerCol: number;
  /** Canvas size in CSS pixels. */
  width: number;
  height: number;
}

export function plotWidth(v: Viewport): number {
  return Math.max(1, v.width - GUTTER_W);
}

export function colToX(v: Viewport, col: number): number {
  return GUTTER_W + (col + 0.5 - v.start) * v.pxPerCol;
}

export function xToCol(v: Viewport, x: number): number {
  return (x - GUTTER_W) / v.pxPerCol + v.start - 0.5;
}

/** Visible columns [from, to). */
export function visibleRange(v: Viewport, total: number): { from: number; to: number } {
  const from = Math.max(0, Math.floor(v.start));
  const to = Math.min(total, Math.ceil(v.start + plotWidth(v) / v.pxPerCol));
  return { from, to: Math.max(from, to) };
}

/** Keep the zoom in bounds and the view over the trace (a little slack at both ends). */
export function clampViewport(v: Viewport, total: number, minPxPerCol = MIN_PX_PER_COL): Viewport {
  const pw = plotWidth(v);
  const minPx = Math.max(minPxPerCol, Math.min(8, pw / Math.max(1, total)));
  const pxPerCol = Math.min(MAX_PX_PER_COL, Math.max(minPx, v.pxPerCol));
  const visibleCols = pw / pxPerCol;
  // Zoomed out so far that the whole trace fits: show all of it. (The slack below would let the
  // view slide by a few columns and hide the first or last events.)
  if (visibleCols >= total) return { ...v, pxPerCol, start: 0 };
  const slack = Math.min(visibleCols * 0.25, 4);
  const maxStart = Math.max(-slack, total - visibleCols + slack);
  const start = Math.min(maxStart, Math.max(-slack, v.start));
  return { ...v, pxPerCol, start };
}

/** The whole trace in view (but never wider than 48 px per event). */
export function fitAll(total: number, width: number, height: number, minPxPerCol = MIN_PX_PER_COL): Viewport {
  const pw = Math.max(1, width - GUTTER_W);
  const pxPerCol = Math.min(48, pw / Math.max(1, total));
  return clampViewport({ start: 0, pxPerCol, width, height }, total, minPxPerCol);
}

/** Zoom by `factor` keeping the column under pixel x fixed. */
export function zoomAt(v: Viewport, x: number, factor: number, total: number, minPxPerCol = MIN_PX_PER_COL): Viewport {
  const col = xToCol(v, x);
  const pxPerCol = Math.min(MAX_PX_PER_COL, Math.max(minPxPerCol, v.pxPerCol * factor));
  const start = col + 0.5 - (x - GUTTER_W) / pxPerCol;
  return clampViewport({ ...v, pxPerCol, start }, total, minPxPerCol);
}

/** Pan by dx pixels (positive = later columns come into view). */
export function panBy(v: Viewport, dx: number, total: number): Viewport {
  return clampViewport({ ...v, start: v.start + dx / v.pxPerCol }, total);
}

/** Scroll so that col is visible (centred when it was outside). */
export function ensureVisible(v: Viewport, col: number, total: number): Viewport {
  const x = colToX(v, col);
  if (x >= GUTTER_W + 8 && x <= v.width - 8) return v;
  const visibleCols = plotWidth(v) / v.pxPerCol;
  return clampViewport({ ...v, start: col + 0.5 - visibleCols / 2 }, total);
}

/** Bring a column into view at a zoom where single events are drawn (zooming in if needed). */
export function focusColumn(v: Viewport, col: number, total: number, minPxPerCol = 12): Viewport {
  if (v.pxPerCol >= minPxPerCol / 3) return ensureVisible(v, col, total);
  const pxPerCol = minPxPerCol;
  const visibleCols = plotWidth(v) / pxPerCol;
  return clampViewport({ ...v, pxPerCol, start: col + 0.5 - visibleCols / 2 }, total);
}

/** The window to ask for: the visible columns plus one screen either side. */
export function wantedWindow(v: Viewport, total: number): { from: number; to: number; maxItems: number } {
  const { from, to } = visibleRange(v, total);
  const span = Math.max(1, to - from);
  const pw = plotWidth(v);
  const wFrom = Math.max(0, from - span);
  const wTo = Math.min(total, to + span);
  return {
    from: wFrom,
    to: wTo,
    // About one item per pixel column (per run) over the window's width in pixels.
    maxItems: Math.max(64, Math.ceil((pw * (wTo - wFrom)) / span)),
  };
}

/** Whether a fetched window still serves the viewport (covers it, and at a fitting level of detail). */
export function windowServes(have: { from: number; to: number; stride: number; total: number }, v: Viewport, total: number): boolean {
  if (have.total !== total) return false;
  const { from, to } = visibleRange(v, total);
  if (from < have.from || to > have.to) return false;
  const want = wantedWindow(v, total);
  const wantStride = Math.max(1, Math.ceil((want.to - want.from) / want.maxItems));
  // Too coarse for this zoom, or far finer than needed (a much larger window than the view).
  return have.stride <= (wantStride === 1 ? 1 : wantStride * 2) && have.stride * 4 >= wantStride;
}

// ---- how events look -----------------------------------------------------------------------------

/** Colour tokens; the renderer maps them to --vscode-* theme colours. */
export type ColorToken = 'confidential' | 'visible' | 'alarm' | 'register' | 'phase' | 'muted' | 'interrupt' | 'packet' | 'ok';

export type Head = 'filled' | 'hollow' | 'bar' | 'none';

export interface ArrowShape {
  type: 'arrow';
  x: number;
  y1: number;
  y2: number;
  color: ColorToken;
  dash: number[];
  head: Head;
  /** Small marker at the source: 'trap' = intercepted by the paravisor. */
  tail: 'trap' | 'none';
  width: number;
  badge: string | null;
}

export interface MarkShape {
  type: 'mark';
  x: number;
  y: number;
  shape: 'square' | 'diamond' | 'circle' | 'dot' | 'triangle';
  color: ColorToken;
  size: number;
}

export interface BandShape {
  type: 'band';
  x: number;
  color: ColorToken;
  /** Phase begin/end markers sit in the phase strip; alarms span all lanes. */
  where: 'phase' | 'all';
  label: string;
}

export type Shape = ArrowShape | MarkShape | BandShape;

/** Dash pattern per access path: direct (msr/hypercall) solid, GHCB dashed, tdcall dotted. */
export function pathDash(p: AccessPath): number[] {
  switch (p) {
    case 'ghcb': return [6, 3];
    case 'tdcall': return [2, 3];
    case 'internal': return [1, 2];
    default: return [];
  }
}

export function pathBadge(p: AccessPath): string | null {
  switch (p) {
    case 'ghcb': return 'GHCB';
    case 'tdcall': return 'TDX';
    case 'trapped': return 'trap';
    default: return null;
  }
}

function laneY(layout: LaneLayout, run: 0 | 1, party: Party, vp: number | null): number | undefined {
  const l = laneFor(layout, run, party, vp);
  return l ? laneCenter(l) : undefined;
}

/** Where an item sits on the x axis: its column, or its time-axis position when laid out by time. */
export function itemPos(item: TimelineItem, axis: 'sequence' | 'time' = 'sequence'): number {
  return axis === 'time' && item.at !== undefined ? item.at : item.col;
}

/** The shape of an item at its column (or time), or null when its lanes are hidden. */
export function shapeOf(item: TimelineItem, layout: LaneLayout, v: Viewport, axis: 'sequence' | 'time' = 'sequence'): Shape | null {
  const e = item.event;
  const x = colToX(v, itemPos(item, axis));
  const run = item.run;
  const alarm = isAlarm(e);
  switch (e.kind) {
    case 'message': {
      const y1 = laneY(layout, run, e.from, e.vp);
      const y2 = laneY(layout, run, e.to, e.vp);
      if (y1 === undefined || y2 === undefined) return null;
      return {
        type: 'arrow', x, y1, y2: y1 === y2 ? y1 + 10 : y2,
        color: alarm ? 'alarm' : e.confidential ? 'confidential' : 'visible',
        dash: pathDash(e.path),
        head: e.status !== 'HV_STATUS_SUCCESS' || e.synic === null ? 'bar' : e.synic === 'hypervisor' ? 'filled' : 'hollow',
        tail: e.path === 'trapped' ? 'trap' : 'none',
        width: alarm ? 2.5 : 1.5,
        badge: pathBadge(e.path),
      };
    }
    case 'hypercall':
    case 'packet': {
      const [a, b] = eventParties(e);
      const y1 = laneY(layout, run, a, e.vp);
      const y2 = laneY(layout, run, b, e.vp);
      if (y1 === undefined || y2 === undefined) return null;
      const isPacket = e.kind === 'packet';
      return {
        type: 'arrow', x, y1, y2: y1 === y2 ? y1 + 10 : y2,
        color: alarm ? 'alarm' : isPacket ? (e.confidential ? 'confidential' : 'visible') : 'register',
        dash: isPacket ? [3, 2] : pathDash(e.path),
        head: 'filled', tail: !isPacket && e.path === 'trapped' ? 'trap' : 'none', width: 1,
        badge: isPacket ? null : pathBadge(e.path),
      };
    }
    case 'interrupt': {
      const y1 = laneY(layout, run, e.synic, null);
      const y2 = laneY(layout, run, 'guest', e.vp);
      if (y1 === undefined || y2 === undefined) return null;
      return { type: 'arrow', x, y1, y2, color: e.delivered ? 'interrupt' : 'alarm', dash: [1, 2], head: e.delivered ? 'filled' : 'bar', tail: 'none', width: 1, badge: null };
    }
    case 'cpuid': {
      const y = laneY(layout, run, e.by, e.vp);
      if (y === undefined) return null;
      return { type: 'mark', x, y: y - 12, shape: 'dot', color: 'register', size: 4 };
    }
    case 'register': {
      const y = laneY(layout, run, e.by, e.vp);
      if (y === undefined) return null;
      return { type: 'mark', x, y: y - 12, shape: e.op === 'write' ? 'square' : 'dot', color: 'register', size: e.op === 'write' ? 6 : 4 };
    }
    case 'page': {
      const y = laneY(layout, run, e.owner, e.vp);
      if (y === undefined) return null;
      return { type: 'mark', x, y: y + 12, shape: 'diamond', color: e.visibility === 'encrypted' ? 'confidential' : 'visible', size: 7 };
    }
    case 'state': {
      const y = laneY(layout, run, e.party, e.vp);
      if (y === undefined) return null;
      return { type: 'mark', x, y: y - 12, shape: 'circle', color: 'muted', size: 5 };
    }
    case 'log': {
      const y = laneY(layout, run, e.party, e.vp);
      if (y === undefined) return null;
      return { type: 'mark', x, y: y + 14, shape: 'dot', color: e.level === 'err' ? 'alarm' : 'muted', size: 3 };
    }
    case 'phase':
      // Ends get a label only when they did not simply succeed (begins name the phase).
      return {
        type: 'band', x, color: alarm ? 'alarm' : 'phase', where: 'phase',
        label: e.action === 'begin' ? '▶ ' + e.name : e.outcome && e.outcome !== 'ok' ? `■ ${e.name} (${e.outcome})` : '',
      };
    case 'fault':
      return { type: 'band', x, color: 'alarm', where: 'all', label: `⚡ ${e.fault}` };
    case 'invariant':
      return { type: 'band', x, color: 'alarm', where: 'all', label: `✖ ${e.name}` };
    case 'expectation':
      return e.ok
        ? { type: 'band', x, color: 'ok', where: 'phase', label: '✔ ' + e.text }
        : { type: 'band', x, color: 'alarm', where: 'all', label: '✖ ' + e.text };
  }
}

/** Vertical extent of a shape (for hit testing and bands). */
export function shapeSpan(s: Shape, layout: LaneLayout, run: 0 | 1): { top: number; bottom: number } {
  switch (s.type) {
    case 'arrow': return { top: Math.min(s.y1, s.y2), bottom: Math.max(s.y1, s.y2) };
    case 'mark': return { top: s.y - s.size, bottom: s.y + s.size };
    case 'band': {
      if (s.where === 'phase') return { top: RULER_H, bottom: RULER_H + PHASE_H };
      const lanes = layout.lanes.filter((l) => l.run === run);
      if (!lanes.length) return { top: RULER_H, bottom: layout.height };
      return { top: RULER_H, bottom: lanes[lanes.length - 1].top + lanes[lanes.length - 1].height };
    }
  }
}

/** The item nearest to (x, y) within `tol` pixels, preferring alarms and arrows. */
export function hitTest(items: readonly TimelineItem[], layout: LaneLayout, v: Viewport, x: number, y: number, tol = 6, axis: 'sequence' | 'time' = 'sequence'): TimelineItem | null {
  let best: TimelineItem | null = null;
  let bestD = Infinity;
  const col = xToCol(v, x);
  const colTol = tol / v.pxPerCol + 0.5;
  for (const it of items) {
    if (Math.abs(itemPos(it, axis) - col) > colTol) continue;
    const s = shapeOf(it, layout, v, axis);
    if (!s) continue;
    const span = shapeSpan(s, layout, it.run);
    const dx = Math.abs(s.x - x);
    const dy = y < span.top ? span.top - y : y > span.bottom ? y - span.bottom : 0;
    if (dx > tol + 1 || dy > tol) continue;
    const d = dx + dy + (s.type === 'band' && s.where === 'all' ? 0 : 0.5) ;
    if (d < bestD) { bestD = d; best = it; }
  }
  return best;
}

/** Ruler ticks: a 1-2-5 step in columns that leaves at least ~80 px between labels. */
export function rulerTicks(v: Viewport, total: number): number[] {
  const minCols = 80 / v.pxPerCol;
  let step = 1;
  for (let p = 1; step < minCols; p *= 10) {
    for (const m of [1, 2, 5]) { step = m * p; if (step >= minCols) break; }
  }
  const { from, to } = visibleRange(v, total);
  const ticks: number[] = [];
  for (let c = Math.ceil(from / step) * step; c < to; c += step) ticks.push(c);
  return ticks;
}

/**
 * The ruler's marks: event numbers (sequence layout), or the log's seconds (time layout) with the
 * cut gaps, each drawn as a break of its width labelled with the real time it skips.
 */
export function rulerMarks(v: Viewport, total: number, timeAxis?: TimeAxisInfo): { ticks: { x: number; label: string }[]; breaks: { x: number; width: number; label: string }[] } {
  if (!timeAxis) return { ticks: rulerTicks(v, total).map((c) => ({ x: colToX(v, c), label: String(c) })), breaks: [] };
  const from = v.start - 0.5;
  const to = v.start - 0.5 + plotWidth(v) / v.pxPerCol;
  return {
    ticks: timeTicks(timeAxis, from, to, v.pxPerCol).map((t) => ({ x: colToX(v, t.at), label: t.label })),
    breaks: axisBreaks(timeAxis, from, to).map((b) => ({ x: colToX(v, b.at), width: b.width * v.pxPerCol, label: `⋯ ${formatDuration(b.skippedNs)}` })),
  };
}

/** Whether labels fit next to arrows at this zoom. */
export function labelsFit(v: Viewport): boolean {
  return v.pxPerCol >= 28;
}

/** Cut text to about maxPx at ~charPx per character. */
export function fitText(text: string, maxPx: number, charPx = 6.2): string {
  const n = Math.floor(maxPx / charPx);
  if (n <= 1) return '';
  return text.length <= n ? text : text.slice(0, n - 1) + '…';
}
