// The real time axis of a log's timeline: each event at its own timestamp (the log's seconds), with
// long idle gaps cut out of the axis ("broken axis") so a 2-second pause between two bursts of
// microsecond-spaced records does not squeeze both bursts into a pixel. Positions are in axis
// microseconds: inside a segment, one axis µs is one real µs; a gap longer than `breakAfterNs` is
// drawn `gapWidthNs` wide (a few typical gaps) and marked as a break with the time it skips. Pure: the panel host
// maps windows with it, the webview draws ticks with it, tests check it in plain Node.
import type { TraceEvent } from '../simulator/trace/events';

/** A stretch of the log with no gap longer than the break threshold. */
export interface TimeSegment {
  /** Axis position (µs) of the segment's start. */
  at: number;
  /** Real time (ns) of its first event. */
  t: number;
  /** Real duration (ns) from its first to its last event. */
  dur: number;
  /** Column (seq) of its first event. */
  col: number;
}

/** The time axis the host sends with a log's session (TimelineSessionInfo.timeAxis). */
export interface TimeAxisInfo {
  segments: TimeSegment[];
  /** Axis length (µs): the last event's position. */
  extent: number;
  /** A gap longer than this (ns) is cut out of the axis. */
  breakAfterNs: number;
  /** How wide a cut gap is drawn (ns of axis): GAP_WIDTH_FACTOR median gaps, at most breakAfterNs. */
  gapWidthNs: number;
  /** Events whose time the log does not give (they sit at the previous record's time). */
  unknownTimes: number;
}

/** Shortest gap ever cut (1 ms): below it, the axis is the real time. */
export const MIN_BREAK_NS = 1_000_000;
/** A gap is cut when it is this many times the median gap between consecutive events. */
export const BREAK_FACTOR = 20;
/** A cut gap is drawn as wide as this many median gaps (at least 1 µs, at most the threshold). */
export const GAP_WIDTH_FACTOR = 5;
/** At most this many segments (the threshold doubles until the gaps fit). */
export const MAX_SEGMENTS = 1000;

export interface TimeAxis {
  info: TimeAxisInfo;
  /** Axis position (µs) of each column; non-decreasing. */
  at: Float64Array;
}

/** Whether an event's time came from the log (log events name 'time' in log.unknown when not). */
const timeKnown = (e: TraceEvent): boolean => !(e.log && e.log.unknown.includes('time'));

/**
 * The axis of a log's events (times in ns, in log order). A record whose clock goes back (several
 * CPUs' buffers merged out of order) keeps its column order: its position is the previous one's.
 */
export function buildTimeAxis(events: ArrayLike<TraceEvent>): TimeAxis {
  const n = events.length;
  const t = new Float64Array(n);
  let unknownTimes = 0;
  for (let i = 0; i < n; i++) {
    const e = events[i];
    if (!timeKnown(e)) unknownTimes++;
    t[i] = i > 0 ? Math.max(t[i - 1], e.time) : e.time;
  }
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) if (t[i] > t[i - 1]) gaps.push(t[i] - t[i - 1]);
  gaps.sort((a, b) => a - b);
  const median = gaps.length ? gaps[gaps.length >> 1] : 0;
  let breakAfterNs = Math.max(MIN_BREAK_NS, BREAK_FACTOR * median);
  for (;;) {
    let breaks = 0;
    for (let i = 1; i < n; i++) if (t[i] - t[i - 1] > breakAfterNs) breaks++;
    if (breaks < MAX_SEGMENTS) break;
    breakAfterNs *= 2;
  }
  const gapWidthNs = Math.min(breakAfterNs, Math.max(1000, GAP_WIDTH_FACTOR * median));
  const at = new Float64Array(n);
  const segments: TimeSegment[] = [];
  if (n > 0) segments.push({ at: 0, t: t[0], dur: 0, col: 0 });
  for (let i = 1; i < n; i++) {
    const dt = t[i] - t[i - 1];
    const seg = segments[segments.length - 1];
    if (dt > breakAfterNs) {
      at[i] = at[i - 1] + gapWidthNs / 1000;
      segments.push({ at: at[i], t: t[i], dur: 0, col: i });
    } else {
      at[i] = at[i - 1] + dt / 1000;
      seg.dur = t[i] - seg.t;
    }
  }
  return { at, info: { segments, extent: n ? at[n - 1] : 0, breakAfterNs, gapWidthNs, unknownTimes } };
}

/** The segment a real time (ns) falls in, or undefined when it lies in a cut gap or outside the log. */
export function segmentOf(axis: TimeAxisInfo, tNs: number): TimeSegment | undefined {
  const s = axis.segments;
  let lo = 0;
  let hi = s.length - 1;
  if (hi < 0 || tNs < s[0].t) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid].t <= tNs) lo = mid; else hi = mid - 1;
  }
  return tNs <= s[lo].t + s[lo].dur ? s[lo] : undefined;
}

/** Axis position (µs) of a real time (ns) inside a segment; undefined in a cut gap. */
export function timeToAt(axis: TimeAxisInfo, tNs: number): number | undefined {
  const seg = segmentOf(axis, tNs);
  return seg ? seg.at + (tNs - seg.t) / 1000 : undefined;
}

/** The first column whose position is >= at (binary search; positions are non-decreasing). */
export function colAtOrAfter(at: Float64Array, pos: number): number {
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at[mid] < pos) lo = mid + 1; else hi = mid;
  }
  return lo;
}

export interface TimeTick {
  /** Axis position (µs). */
  at: number;
  /** Real time (ns). */
  t: number;
  label: string;
}

/**
 * Real-time ruler ticks between axis positions [from, to] (µs) at `pxPerUs`: a 1-2-5 step of
 * real time leaving at least `minPx` between labels, placed inside segments only (a cut gap has
 * no time of its own to tick). Labels are the log's seconds with the step's decimals. A segment
 * that does not start on the step gets a tick at its start with the log's µs, so every burst is
 * placed in time.
 */
export function timeTicks(axis: TimeAxisInfo, from: number, to: number, pxPerUs: number, minPx = 90): TimeTick[] {
  const minNs = (minPx / Math.max(pxPerUs, 1e-12)) * 1000;
  let step = 1;
  for (let p = 1; step < minNs; p *= 10) {
    for (const m of [1, 2, 5]) { step = m * p; if (step >= minNs) break; }
  }
  const decimals = Math.max(0, Math.min(9, Math.ceil(-Math.log10(step / 1e9) - 1e-9)));
  const ticks: TimeTick[] = [];
  for (const seg of axis.segments) {
    const segEnd = seg.at + seg.dur / 1000;
    if (segEnd < from || seg.at > to) continue;
    const tFrom = seg.t + Math.max(0, from - seg.at) * 1000;
    const tTo = seg.t + Math.min(seg.dur, (to - seg.at) * 1000);
    const startTick = seg.t % step !== 0 && seg.at >= from;
    if (startTick) ticks.push({ at: seg.at, t: seg.t, label: `${(seg.t / 1e9).toFixed(Math.max(6, decimals))}s` });
    for (let k = Math.ceil(tFrom / step); k * step <= tTo; k++) {
      const tt = k * step;
      if (startTick && tt - seg.t < minNs) continue;
      ticks.push({ at: seg.at + (tt - seg.t) / 1000, t: tt, label: `${(tt / 1e9).toFixed(decimals)}s` });
      if (ticks.length > 2000) return ticks;
    }
  }
  return ticks;
}

/** The cut gaps between [from, to]: where each is drawn (axis µs, its width) and the real time it skips. */
export function axisBreaks(axis: TimeAxisInfo, from: number, to: number): { at: number; width: number; skippedNs: number }[] {
  const out: { at: number; width: number; skippedNs: number }[] = [];
  const s = axis.segments;
  for (let i = 1; i < s.length; i++) {
    const width = axis.gapWidthNs / 1000;
    const start = s[i].at - width;
    if (s[i].at < from || start > to) continue;
    out.push({ at: start, width, skippedNs: s[i].t - (s[i - 1].t + s[i - 1].dur) });
  }
  return out;
}

/** "2.000 s", "640 ms", "35 µs": a gap's length for its break label. */
export function formatDuration(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e8 ? 0 : 1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(ns >= 1e5 ? 0 : 1)} µs`;
  return `${Math.round(ns)} ns`;
}
