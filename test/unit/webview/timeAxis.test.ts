// A log's timeline on its real time axis: the seconds and CPU each record carries (read from the
// log text: dmesg `[    0.900032]`, trace-cmd `[001] ... 1.410000:`), the broken axis that cuts
// long idle gaps, real-time ruler ticks, the "cpu ?" lane for records that name no CPU, and the
// host's window serving by time. Expected values are read off the sample text by hand.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { openLog } from '../../../src/simulator/logtrace/index';
import type { TraceEvent } from '../../../src/simulator/trace/events';
import { axisBreaks, buildTimeAxis, formatDuration, MIN_BREAK_NS, segmentOf, timeTicks, timeToAt } from '../../../src/shared/timeAxis';
import { serveSeek, serveWindow } from '../../../src/shared/timelineServe';
import { singleRunColumns } from '../../../src/shared/timelineData';
import { buildLanes, colToX, laneFor, rulerMarks, shapeOf, type Viewport } from '../../../src/webview/timeline/layout';
import { renderSvg, type Palette } from '../../../src/webview/timeline/layoutSvg';
import { droppedUri } from '../../../src/webview/timeline/drop';

const ROOT = path.resolve(__dirname, '../../../..');
const read = (p: string): string => fs.readFileSync(path.join(ROOT, p), 'utf8');
const logEvents = (rel: string): TraceEvent[] => openLog(read(rel), path.basename(rel)).session.events();

/** Minimal log events at the given seconds (a log's record: time from the log, CPU 0). */
function at(seconds: number[]): TraceEvent[] {
  return seconds.map((s, i) => ({
    seq: i, time: Math.round(s * 1e9), vp: 0, granularity: 'event', phase: [], kind: 'log', party: 'guest', level: 'info', text: `r${i}`,
    log: { line: i + 1, name: 'r', fields: {}, unknown: [] },
  }) as TraceEvent);
}

describe('log timeline: times and CPUs from the log', () => {
  it('dmesg-1 (real, WSL issue 7734): each hv_vmbus record at its [seconds], CPU unknown (dmesg has none)', () => {
    const evs = logEvents('test/fixtures/real/dmesg-1.txt');
    // Lines 2, 3, 7, 8, 9 of the sample are the hv_vmbus lines: [0.900032] Vmbus version:5.2,
    // [0.910405] Unknown GUID c376c1c3…, [0.932370] / [0.932503] / [0.936851] Unknown GUID ….
    assert.deepStrictEqual(evs.map((e) => e.log?.line), [2, 3, 7, 8, 9]);
    assert.deepStrictEqual(evs.map((e) => e.time), [900032000, 910405000, 932370000, 932503000, 936851000]);
    for (const e of evs) {
      assert.strictEqual(e.vp, null, 'no CPU invented');
      assert.ok(e.log?.unknown.includes('vp'));
      assert.ok(!e.log?.unknown.includes('time'));
    }
    const lanes = buildLanes(1, ['dmesg-1.txt'], [], { count: 0, unknown: true });
    assert.deepStrictEqual(lanes.lanes.filter((l) => l.party === 'guest').map((l) => l.label), ['Guest VTL0 cpu ?']);
  });

  it('a trace-cmd text: each record at its seconds and on its [CPU] (netvsc-open.trace, hand-written in trace-cmd report layout)', () => {
    // No real trace-cmd text of the hyperv events is in the samples; this fixture follows trace-cmd-report(1).
    const evs = logEvents('test/fixtures/logtrace/netvsc-open.trace');
    const byLine = new Map(evs.map((e) => [e.log?.line, e]));
    // Line 4: `kworker/0:1-12 [000] 1.203001: vmbus_negotiate_version: ...`
    assert.strictEqual(byLine.get(4)?.time, 1203001000);
    assert.strictEqual(byLine.get(4)?.vp, 0);
    // Line 12: `systemd-udevd-201 [001] 1.410000: vmbus_establish_gpadl_header: ...`
    assert.strictEqual(byLine.get(12)?.time, 1410000000);
    assert.strictEqual(byLine.get(12)?.vp, 1);
    // Line 16: `<idle>-0 [000] 1.520000: vmbus_on_msg_dpc: msgtype=1`
    assert.strictEqual(byLine.get(16)?.time, 1520000000);
    assert.strictEqual(byLine.get(16)?.vp, 0);
  });

  it('reads the latency-format record (`[001] d.h1.  1234.567890:`) the issue quotes', () => {
    const text = 'cpus=2\n          <idle>-0     [001] d.h1.  1234.567890: vmbus_on_msg_dpc:     msgtype=1\n';
    const [e] = openLog(text, 'x.trace').session.events();
    assert.strictEqual(e.time, 1234567890000);
    assert.strictEqual(e.vp, 1);
  });
});

describe('log timeline: the broken time axis', () => {
  it('cuts the two idle gaps of netvsc-open.trace (206.7 ms and 109.85 ms) and keeps real time inside each burst', () => {
    const evs = logEvents('test/fixtures/logtrace/netvsc-open.trace');
    const axis = buildTimeAxis(evs);
    // Gaps between records (µs): 49 1 49 100 10 1 89 | 206700 | 50 50 50 | 109850 | 10: median 50 µs,
    // ×20 = 1 ms, which is also the floor.
    assert.strictEqual(axis.info.breakAfterNs, MIN_BREAK_NS);
    assert.deepStrictEqual(axis.info.segments.map((s) => [s.t, s.dur, s.col]), [[1203001000, 299000, 0], [1410000000, 150000, 8], [1520000000, 10000, 12]]);
    // A cut gap is drawn 5 median gaps (250 µs) wide. Axis: 299 µs, a 250 µs break, 150 µs, a 250 µs break, 10 µs.
    assert.strictEqual(axis.info.gapWidthNs, 250000);
    assert.deepStrictEqual(axis.info.segments.map((s) => s.at), [0, 549, 949]);
    assert.strictEqual(axis.info.extent, 959);
    const breaks = axisBreaks(axis.info, 0, axis.info.extent);
    assert.deepStrictEqual(breaks.map((b) => [b.at, b.width, b.skippedNs]), [[299, 250, 206700000], [699, 250, 109850000]]);
    assert.strictEqual(formatDuration(206700000), '207 ms');
    assert.strictEqual(formatDuration(2e9), '2.000 s');
    // Inside a burst one axis µs is one real µs: line 13 (1.410050) is 50 µs after line 12.
    assert.strictEqual(axis.at[9] - axis.at[8], 50);
    // A time in a cut gap has no place on the axis; ticks never land there.
    assert.strictEqual(timeToAt(axis.info, 1.3e9), undefined);
    assert.strictEqual(segmentOf(axis.info, 1.3e9), undefined);
    for (const t of timeTicks(axis.info, 0, axis.info.extent, 0.5)) assert.ok(segmentOf(axis.info, t.t), `tick ${t.label} in a segment`);
  });

  it('an event at t=1.5 s lies halfway between the 1 s and 2 s ticks', () => {
    const evs = at([1.0, 1.5, 2.0]);
    const axis = buildTimeAxis(evs);
    assert.strictEqual(axis.info.segments.length, 1, 'half-second gaps are the median: nothing is cut');
    const v: Viewport = { start: -0.5, pxPerCol: 1e-4, width: 136 + 1000, height: 300 }; // 100 px per second
    const ticks = timeTicks(axis.info, 0, 1e6, v.pxPerCol);
    assert.deepStrictEqual(ticks.map((t) => t.label), ['1s', '2s']);
    const marks = rulerMarks(v, axis.info.extent, axis.info);
    const [x1, x2] = marks.ticks.map((t) => t.x);
    const layout = buildLanes(1, ['log'], [], { count: 1, unknown: false });
    const s = shapeOf({ col: 1, run: 0, event: evs[1], at: axis.at[1] }, layout, v, 'time');
    assert.ok(s);
    assert.ok(s.x > x1 && s.x < x2);
    assert.ok(Math.abs(s.x - (x1 + x2) / 2) < 1e-6);
    assert.strictEqual(Math.round(x2 - x1), 100);
  });

  it('a 2-second idle gap between two microsecond bursts is cut to 50 µs, so both bursts stay readable', () => {
    const evs = at([1.0, 1.00001, 1.00002, 3.00002, 3.00003]);
    const axis = buildTimeAxis(evs);
    assert.strictEqual(axis.info.segments.length, 2);
    // Median gap 10 µs: cut over 1 ms (the floor), drawn 5 × 10 µs wide. 20 µs, the 2 s gap as
    // 50 µs, then 10 µs: 80 µs of axis instead of 2 000 030.
    assert.strictEqual(axis.info.extent, 80);
    assert.deepStrictEqual(axisBreaks(axis.info, 0, 80).map((b) => b.skippedNs), [2e9]);
    // Ticks at a 10 µs step fall inside the bursts and name the log's seconds.
    const labels = timeTicks(axis.info, 0, 80, 9).map((t) => t.label);
    assert.deepStrictEqual(labels, ['1.00000s', '1.00001s', '1.00002s', '3.00002s', '3.00003s']);
  });

  it('a record whose clock goes back keeps its column order (the previous record\'s position)', () => {
    const axis = buildTimeAxis(at([1.0, 1.0001, 1.00005, 1.0002]));
    assert.deepStrictEqual([...axis.at], [0, 100, 100, 200]);
  });
});

describe('log timeline: CPU lanes', () => {
  it('one lane per CPU the log names, and a "cpu ?" lane for records that name none; nothing guessed', () => {
    const l = buildLanes(2, ['log'], [], { count: 2, unknown: true });
    assert.deepStrictEqual(l.lanes.filter((x) => x.party === 'guest').map((x) => x.label), ['Guest VTL0 cpu0', 'Guest VTL0 cpu1', 'Guest VTL0 cpu ?']);
    assert.strictEqual(laneFor(l, 0, 'guest', null)?.cpuUnknown, true);
    assert.strictEqual(laneFor(l, 0, 'guest', 1)?.vp, 1);
    const one = buildLanes(1, ['log'], [], { count: 1, unknown: false });
    assert.deepStrictEqual(one.lanes.filter((x) => x.party === 'guest').map((x) => x.label), ['Guest VTL0 cpu0']);
  });

  it('a simulated run keeps its VP lanes (no cpus given)', () => {
    assert.deepStrictEqual(buildLanes(2, ['run']).lanes.filter((x) => x.party === 'guest').map((x) => x.label), ['Guest VTL0 vp0', 'Guest VTL0 vp1']);
  });
});

describe('log timeline: windows by time', () => {
  const evs = logEvents('test/fixtures/logtrace/netvsc-open.trace');
  const axis = buildTimeAxis(evs);
  const cols = singleRunColumns(evs);

  it('serves the events whose axis position lies in [from, to), each with its position', () => {
    // [549, 699]: the second burst (lines 12–15, columns 8–11).
    const w = serveWindow(cols, axis, { type: 'requestWindow', requestId: 1, from: 549, to: 699.5, filter: {}, maxItems: 100, axis: 'time' });
    assert.deepStrictEqual(w.items.map((it) => it.col), [8, 9, 10, 11]);
    assert.deepStrictEqual(w.items.map((it) => it.at), [549, 599, 649, 699]);
    // The window reaching the extent includes the last record.
    const end = serveWindow(cols, axis, { type: 'requestWindow', requestId: 2, from: 900, to: axis.info.extent, filter: {}, maxItems: 100, axis: 'time' });
    assert.deepStrictEqual(end.items.map((it) => it.col), [12, 13]);
  });

  it('sequence windows are unchanged (columns) and still carry the positions; seeks answer with the event and its position', () => {
    const w = serveWindow(cols, axis, { type: 'requestWindow', requestId: 3, from: 0, to: 3, filter: {}, maxItems: 100 });
    assert.deepStrictEqual(w.items.map((it) => [it.col, it.at]), [[0, 0], [1, 49], [2, 50]]);
    const f = serveSeek(cols, axis, { type: 'seek', requestId: 4, from: 7, dir: 1, match: { by: 'any' }, filter: {} });
    assert.deepStrictEqual([f.col, f.at, f.item?.event.seq], [8, 549, 8]);
    const plain = serveWindow(cols, undefined, { type: 'requestWindow', requestId: 5, from: 0, to: 2, filter: {}, maxItems: 100 });
    assert.ok(plain.items.every((it) => it.at === undefined));
  });

  it('the SVG export by time puts the ruler in seconds and marks the cut gaps', () => {
    const palette = new Proxy({}, { get: () => '#888' }) as Palette;
    const layout = buildLanes(2, ['log'], [], { count: 2, unknown: false });
    const v: Viewport = { start: -0.5, pxPerCol: 1, width: 136 + 1000, height: 300 };
    const items = serveWindow(cols, axis, { type: 'requestWindow', requestId: 6, from: 0, to: axis.info.extent, filter: {}, maxItems: 100, axis: 'time' }).items;
    const svg = renderSvg(items, layout, v, axis.info.extent, palette, { timeAxis: axis.info });
    // A 100 µs step at this zoom: the first burst starts off the step (a start tick with the log's
    // µs, 1.203001 s, then 1.2031 s …); the others start on it (1.4100 s, 1.5200 s).
    assert.match(svg, />1\.203001s</);
    assert.match(svg, />1\.2032s</);
    assert.match(svg, />1\.4100s</);
    assert.match(svg, />1\.5200s</);
    assert.match(svg, /⋯ 207 ms/);
    assert.match(svg, /⋯ 110 ms/);
    // The record of line 12 is drawn at its axis position.
    assert.ok(svg.includes(`x1="${Math.round(colToX(v, 549) * 10) / 10}"`));
  });
});

describe('timeline: a log dropped on the panel', () => {
  it('takes the first URI of text/uri-list (comments skipped) or of VS Code\'s resource list', () => {
    const get = (m: Record<string, string>) => (t: string) => m[t] ?? '';
    assert.strictEqual(droppedUri(get({ 'text/uri-list': '# comment\r\nfile:///tmp/a.trace\r\nfile:///tmp/b.trace' })), 'file:///tmp/a.trace');
    assert.strictEqual(droppedUri(get({ 'application/vnd.code.uri-list': '["file:///w/x.log"]' })), 'file:///w/x.log');
    assert.strictEqual(droppedUri(get({ resourceurls: '["vscode-remote://h/y.txt"]' })), 'vscode-remote://h/y.txt');
    assert.strictEqual(droppedUri(get({})), undefined);
  });
});
