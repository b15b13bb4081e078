// Serving the webview's window and seek requests: the panel host and the webview test harness
// answer with the same code. For a log's session the time axis maps the requested positions to
// columns and gives each item its position on the axis.
import type { HostToWebview, WebviewToHost } from './timelineProtocol';
import { seek, sliceWindow, type TimelineColumns } from './timelineData';
import { colAtOrAfter, type TimeAxis } from './timeAxis';

type WindowRequest = Extract<WebviewToHost, { type: 'requestWindow' }>;
type SeekRequest = Extract<WebviewToHost, { type: 'seek' }>;

/** The 'window' answer to a request (maxItems capped at `cap`). */
export function serveWindow(cols: TimelineColumns, axis: TimeAxis | undefined, m: WindowRequest, cap = 20000): Extract<HostToWebview, { type: 'window' }> {
  const maxItems = Math.min(m.maxItems, cap);
  if (m.axis === 'time' && axis) {
    // Positions [from, to) → the columns whose events lie there.
    const c0 = colAtOrAfter(axis.at, m.from);
    const c1 = m.to >= axis.info.extent ? cols.total : Math.min(cols.total, colAtOrAfter(axis.at, m.to));
    const w = sliceWindow(cols, c0, Math.max(c0, c1), m.filter, maxItems);
    for (const it of w.items) it.at = axis.at[it.col];
    return { type: 'window', requestId: m.requestId, from: m.from, to: m.to, stride: w.stride, items: w.items, total: cols.total };
  }
  const w = sliceWindow(cols, m.from, m.to, m.filter, maxItems);
  if (axis) for (const it of w.items) it.at = axis.at[it.col];
  return { type: 'window', requestId: m.requestId, from: w.from, to: w.to, stride: w.stride, items: w.items, total: cols.total };
}

/** The 'found' answer to a seek (with the column's time-axis position for a log). */
export function serveSeek(cols: TimelineColumns | undefined, axis: TimeAxis | undefined, m: SeekRequest): Extract<HostToWebview, { type: 'found' }> {
  const col = cols ? seek(cols, m.from, m.dir, m.match, m.filter) : null;
  if (col === null || !cols) return { type: 'found', requestId: m.requestId, col };
  // A log's window may be thinned where the event is: the webview selects it from here then.
  const item = cols.events ? cols.itemsAt(col)[0] : undefined;
  const at = atOf(axis, col);
  if (item && at !== undefined) item.at = at;
  return { type: 'found', requestId: m.requestId, col, ...(at !== undefined ? { at } : {}), ...(item && axis ? { item } : {}) };
}

/** A column's time-axis position, when there is an axis. */
export function atOf(axis: TimeAxis | undefined, col: number): number | undefined {
  return axis && col >= 0 && col < axis.at.length ? axis.at[col] : undefined;
}
