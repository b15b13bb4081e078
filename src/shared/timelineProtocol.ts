// The one typed message protocol between the timeline panel host (src/extension/timeline) and the
// timeline webview (src/webview/timeline). Both sides import these types and nothing else of each
// other. Requests carry a requestId and get exactly one response with the same id; everything else
// is a one-way notification. The webview never holds the whole trace: it asks for windows.
import type { Party, TraceEvent, TraceEventKind } from '../simulator/trace/events';
import type { TimeAxisInfo } from './timeAxis';

/** What the webview asks the host to leave out. Empty / undefined fields filter nothing. */
export interface TimelineFilter {
  /** Parties whose lanes are hidden; an event touching a hidden lane is hidden. */
  hiddenParties?: Party[];
  /** Event kinds that are hidden (e.g. 'log', 'register'). */
  hiddenKinds?: TraceEventKind[];
  /** Only messages of these CHANNELMSG_* types (other kinds pass). Empty = all. */
  msgtypes?: string[];
  /** Only events about this relid (events without a relid are hidden). */
  relid?: number;
  /** Case-insensitive text that must appear in the event's summary, decoded form or log text. */
  search?: string;
}

/** One drawable item of a window: a trace event at a column of the timeline. */
export interface TimelineItem {
  /** Column on the x axis: the event's seq for a single run, the alignment row in compare mode. */
  col: number;
  /** Which run the event belongs to: 0, or 1 for the second run in compare mode. */
  run: 0 | 1;
  event: TraceEvent;
  /** Compare mode: the event has no counterpart in the other run. */
  onlyHere?: boolean;
  /** When the window was thinned (stride > 1): how many matching events this item stands for. */
  count?: number;
  /** A log's session: the event's position on the real time axis (axis µs, see shared/timeAxis.ts). */
  at?: number;
}

/** Describes what the panel shows; sent after 'ready' and whenever the active session changes. */
export interface TimelineSessionInfo {
  mode: 'single' | 'compare';
  /** Human-readable title, e.g. the scenario file name. */
  title: string;
  /** Number of columns (events in single mode, aligned rows in compare mode). */
  total: number;
  /** Guest virtual processors (one guest lane per VP when > 1). */
  vpCount: number;
  /** Labels of the runs: one entry in single mode, two in compare mode. */
  runs: string[];
  /** The stepper's position (last executed event), -1 before the first, null in compare mode. */
  position: number | null;
  /** Compare mode: number of columns that exist in only one run. */
  differences?: number;
  /** A log's session: its real time axis (the webview offers 'time' layout, the default for a log). */
  timeAxis?: TimeAxisInfo;
  /**
   * A log's session: the CPUs its records name (one guest lane each, cpu0..count-1) and whether
   * some records name none (a "cpu ?" lane; a dmesg names none). Absent for a simulated run,
   * whose guest lanes are its VPs.
   */
  cpus?: { count: number; unknown: boolean };
  /** A log's session: the stepper's position on the time axis (µs). */
  positionAt?: number;
}

/** How the x axis is laid out: one column per event, or the log's real time (with cut gaps). */
export type AxisMode = 'sequence' | 'time';

/** Where a dropped log comes from: a URI (text/uri-list) or a file the webview read itself. */
export type DroppedLog = { uri: string } | { name: string; text: string };

/** The largest dropped file the webview reads (bytes): the Open Log budget (64 MiB). */
export const MAX_DROPPED_LOG_BYTES = 64 * 1024 * 1024;

export type ExportFormat = 'svg' | 'mermaid' | 'json';

/** Which events a seek looks for. */
export type SeekMatch =
  | { by: 'any' }
  | { by: 'kind'; kind: TraceEventKind }
  | { by: 'msgtype'; msgtype: string }
  | { by: 'search'; text: string }
  | { by: 'difference' };

// ---- webview → host -------------------------------------------------------------------------

export type WebviewToHost =
  /** The page has loaded and listens; the host answers with 'session' (or 'empty'). */
  | { type: 'ready' }
  /**
   * Events with from <= col < to that pass the filter, thinned to at most maxItems. With axis
   * 'time' (a log's session), from and to are positions on the time axis (µs) instead of columns.
   */
  | { type: 'requestWindow'; requestId: number; from: number; to: number; filter: TimelineFilter; maxItems: number; axis?: AxisMode }
  /** The next (dir 1) or previous (dir -1) matching column after `from`, honouring the filter. */
  | { type: 'seek'; requestId: number; from: number; dir: 1 | -1; match: SeekMatch; filter: TimelineFilter }
  /** The user picked an event: reveal it in the trees, show its source line. */
  | { type: 'select'; col: number; seq: number; run: 0 | 1 }
  /** Open the event's decoded form as a read-only document. */
  | { type: 'openDecoded'; seq: number; run: 0 | 1 }
  /**
   * Export the columns [from, to). For 'svg' the webview renders the visible range itself and
   * passes the text; 'mermaid' and 'json' are produced by the host from the full events.
   */
  | { type: 'export'; format: ExportFormat; from: number; to: number; filter: TimelineFilter; content?: string }
  /** Answer to 'requestSnapshot': a PNG data URL of the canvas. */
  | { type: 'snapshot'; requestId: number; dataUrl: string; width: number; height: number }
  /** A file was dropped on the panel (Shift held): open it as VMBus: Open Log does. */
  | { type: 'openLog'; source: DroppedLog };

// ---- host → webview -------------------------------------------------------------------------

export type HostToWebview =
  | { type: 'session'; info: TimelineSessionInfo }
  /** No session is active. */
  | { type: 'empty'; reason: string }
  | { type: 'window'; requestId: number; from: number; to: number; stride: number; items: TimelineItem[]; total: number }
  /** at: the column's time-axis position (a log's session); item: the event found (single mode). */
  | { type: 'found'; requestId: number; col: number | null; at?: number; item?: TimelineItem }
  /** The stepper moved (and the trace may have grown). at: the position's time-axis position (a log). */
  | { type: 'cursor'; position: number; total: number; at?: number }
  /** Another view asks to reveal this event (single mode: seq = col). at: its time-axis position (a log). */
  | { type: 'reveal'; seq: number; at?: number }
  /** The host finished an export. */
  | { type: 'exported'; format: ExportFormat; ok: boolean; detail: string }
  /** Ask the webview for a PNG of its canvas (tests, screenshots). */
  | { type: 'requestSnapshot'; requestId: number }
  /** A request failed. */
  | { type: 'error'; requestId?: number; message: string };

/** The JSON blob the webview keeps with setState (restored after hide and after a restart). */
export interface TimelineViewState {
  version: 1;
  /** Left edge of the view, in columns (fractional). */
  start: number;
  /** Zoom: pixels per column. */
  pxPerCol: number;
  selected: { col: number; run: 0 | 1 } | null;
  filter: TimelineFilter;
  listView: boolean;
  follow: boolean;
  /** Compare mode state is not restored (its runs live only in memory). */
  mode: 'single' | 'compare';
  /** The axis start and pxPerCol are in (a log's session may show 'time'); absent = sequence. */
  axis?: AxisMode;
}

export const TIMELINE_VIEW_TYPE = 'vmbus.timeline';

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'ready' || t === 'requestWindow' || t === 'seek' || t === 'select' || t === 'openDecoded' || t === 'export' || t === 'snapshot' || t === 'openLog';
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'session' || t === 'empty' || t === 'window' || t === 'found' || t === 'cursor' || t === 'reveal' || t === 'exported' || t === 'requestSnapshot' || t === 'error';
}
