// The timeline's pure layout: lanes, the column/pixel transform, zoom and pan, shapes per event,
// hit testing and ruler ticks.
import * as assert from 'assert';
import {
  GUTTER_W, LANE_H, PHASE_H, RULER_H, MAX_PX_PER_COL, buildLanes, clampViewport, colToX, ensureVisible, fitAll, fitText, focusColumn,
  hitTest, laneFor, panBy, pathDash, rulerTicks, shapeOf, visibleRange, wantedWindow, windowServes, xToCol, zoomAt, type Viewport,
} from '../../../src/webview/timeline/layout';
import type { TimelineItem } from '../../../src/shared/timelineProtocol';
import type { TraceEvent } from '../../../src/simulator/trace/events';
import { fixtureTrace } from '../../webview/fixture';

const events = fixtureTrace(0, 2);
const item = (e: TraceEvent, run: 0 | 1 = 0): TimelineItem => ({ col: e.seq, run, event: e });
const find = (p: (e: TraceEvent) => boolean): TraceEvent => {
  const e = events.find(p);
  assert.ok(e, 'fixture has the event');
  return e;
};

describe('timeline layout: lanes', () => {
  it('has one lane per party, guest lanes per VP when there are several', () => {
    const one = buildLanes(1, ['run']);
    assert.deepStrictEqual(one.lanes.map((l) => l.label), ['Guest VTL0', 'Paravisor VTL2', 'Hypervisor', 'Host']);
    const two = buildLanes(2, ['run']);
    assert.deepStrictEqual(two.lanes.map((l) => l.label), ['Guest VTL0 vp0', 'Guest VTL0 vp1', 'Paravisor VTL2', 'Hypervisor', 'Host']);
    assert.strictEqual(two.lanes[0].top, RULER_H + PHASE_H);
    assert.strictEqual(two.lanes[1].top, RULER_H + PHASE_H + LANE_H);
    assert.deepStrictEqual(two.runHeaders, []);
  });

  it('doubles the lanes under run headers in compare mode', () => {
    const c = buildLanes(1, ['probe', 'cpuid']);
    assert.strictEqual(c.lanes.length, 8);
    assert.deepStrictEqual(c.runHeaders.map((h) => h.label), ['probe', 'cpuid']);
    assert.ok(c.lanes[4].top > c.runHeaders[1].top);
    assert.strictEqual(laneFor(c, 1, 'host', null)?.index, 7);
  });

  it('leaves out hidden parties and maps VP-less guest events to the first guest lane', () => {
    const l = buildLanes(2, ['run'], ['host', 'hypervisor']);
    assert.deepStrictEqual(l.lanes.map((x) => x.party), ['guest', 'guest', 'paravisor']);
    assert.strictEqual(laneFor(l, 0, 'guest', null)?.vp, 0);
    assert.strictEqual(laneFor(l, 0, 'guest', 1)?.vp, 1);
    assert.strictEqual(laneFor(l, 0, 'host', null), undefined);
  });
});

describe('timeline layout: viewport', () => {
  const v: Viewport = { start: 10, pxPerCol: 20, width: 1000, height: 300 };

  it('maps columns to pixels and back', () => {
    assert.strictEqual(colToX(v, 10), GUTTER_W + 10);
    for (const c of [0, 10, 17.25, 40]) assert.ok(Math.abs(xToCol(v, colToX(v, c)) - c) < 1e-9);
    assert.deepStrictEqual(visibleRange(v, 1000), { from: 10, to: 54 });
    assert.deepStrictEqual(visibleRange(v, 30), { from: 10, to: 30 });
  });

  it('zooms around the pointer: the column under it stays put', () => {
    const x = 500;
    const before = xToCol(v, x);
    const z = zoomAt(v, x, 2, 1000);
    assert.strictEqual(z.pxPerCol, 40);
    assert.ok(Math.abs(xToCol(z, x) - before) < 1e-9);
    const out = zoomAt(v, x, 1 / 1e9, 1000);
    assert.ok(out.pxPerCol >= (1000 - GUTTER_W) / 1000 - 1e-12, 'cannot zoom out past the whole trace');
    assert.ok(zoomAt(v, x, 1e9, 1000).pxPerCol <= MAX_PX_PER_COL);
  });

  it('pans, and clamps to the trace with a little slack', () => {
    assert.strictEqual(panBy(v, 100, 1000).start, 15);
    assert.ok(panBy(v, -1e6, 1000).start >= -4);
    const end = panBy(v, 1e9, 1000);
    assert.ok(end.start <= 1000 - (1000 - GUTTER_W) / 20 + 4.0001);
  });

  it('fits the whole trace, never wider than 48 px per event', () => {
    const f = fitAll(100000, 1200, 300);
    assert.deepStrictEqual(visibleRange(f, 100000), { from: 0, to: 100000 });
    assert.strictEqual(fitAll(3, 1200, 300).pxPerCol, 48);
  });

  it('zoomed out over the whole trace, shows every event: following the last one or panning hides none', () => {
    for (const total of [198, 28791, 143457]) {
      const f = fitAll(total, 1600, 400);
      const atEnd = ensureVisible(f, total - 1, total);
      assert.deepStrictEqual(visibleRange(atEnd, total), { from: 0, to: total }, `${total}: following the last event`);
      for (const dx of [-500, 500]) assert.deepStrictEqual(visibleRange(panBy(f, dx, total), total), { from: 0, to: total }, `${total}: pan ${dx}`);
      const out = zoomAt(f, 800, 0.5, total);
      assert.deepStrictEqual(visibleRange(out, total), { from: 0, to: total }, `${total}: zoomed out further`);
    }
  });

  it('scrolls just enough to show a column', () => {
    assert.strictEqual(ensureVisible(v, 20, 1000), v);
    const moved = ensureVisible(v, 500, 1000);
    const { from, to } = visibleRange(moved, 1000);
    assert.ok(500 >= from && 500 < to);
    assert.deepStrictEqual(clampViewport(moved, 1000), moved);
  });

  it('asks for a window of three screens, thinned to about one item per pixel', () => {
    const big: Viewport = fitAll(100000, 1136, 300);
    const w = wantedWindow(big, 100000);
    assert.strictEqual(w.from, 0);
    assert.strictEqual(w.to, 100000);
    assert.strictEqual(w.maxItems, 1000, 'the whole trace is in view: one item per pixel column');
    const have = { from: 0, to: 100000, stride: Math.ceil(100000 / 1000), total: 100000 };
    assert.ok(windowServes(have, big, 100000));
    assert.ok(!windowServes({ ...have, total: 99999 }, big, 100000), 'a grown trace needs a new window');
    const zoomed = zoomAt(big, 600, 1000, 100000);
    assert.ok(!windowServes(have, zoomed, 100000), 'too coarse after zooming in');
    const zw = wantedWindow(zoomed, 100000);
    const span = visibleRange(zoomed, 100000);
    assert.ok(zw.from < span.from && zw.to > span.to, 'a screen of margin either side');
    assert.ok(Math.abs(zw.maxItems - 3000) <= 3, 'three screens, one item per pixel');
    assert.ok(windowServes({ from: zw.from, to: zw.to, stride: 1, total: 100000 }, zoomed, 100000));
  });

  it('zooms in to show a revealed event of a zoomed-out view at full detail', () => {
    const far = fitAll(100000, 1136, 300);
    const f = focusColumn(far, 1234, 100000);
    assert.strictEqual(f.pxPerCol, 12);
    const { from, to } = visibleRange(f, 100000);
    assert.ok(1234 >= from && 1234 < to);
    const w = wantedWindow(f, 100000);
    assert.strictEqual(Math.max(1, Math.ceil((w.to - w.from) / w.maxItems)), 1, 'a full-detail window');
    assert.ok(!windowServes({ from: 0, to: 100000, stride: 2, total: 100000 }, f, 100000), 'a thinned window does not serve full detail');
    const near: Viewport = { start: 1200, pxPerCol: 20, width: 1136, height: 300 };
    assert.strictEqual(focusColumn(near, 1234, 100000), near, 'already visible and detailed: unchanged');
  });

  it('puts ruler ticks on a 1-2-5 step at least 80 px apart', () => {
    const ticks = rulerTicks(v, 1000);
    assert.deepStrictEqual(ticks.slice(0, 3), [10, 15, 20]);
    const far = rulerTicks(fitAll(100000, 1136, 300), 100000);
    assert.strictEqual(far[1] - far[0], 10000);
  });

  it('cuts labels to the space they have', () => {
    assert.strictEqual(fitText('OFFERCHANNEL relid=5', 1000), 'OFFERCHANNEL relid=5');
    assert.strictEqual(fitText('OFFERCHANNEL relid=5', 31), 'OFFE…');
    assert.strictEqual(fitText('x', 3), '');
  });
});

describe('timeline layout: shapes', () => {
  const layout = buildLanes(2, ['run']);
  const v: Viewport = { start: 0, pxPerCol: 20, width: 1400, height: 300 };

  it('draws a message as an arrow between its lanes, coloured by confidentiality', () => {
    const contact = find((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_INITIATE_CONTACT' && e.confidential);
    const s = shapeOf(item(contact), layout, v);
    assert.ok(s && s.type === 'arrow');
    assert.strictEqual(s.y1, layout.lanes[0].top + LANE_H / 2);
    assert.strictEqual(s.y2, layout.lanes[2].top + LANE_H / 2);
    assert.strictEqual(s.color, 'confidential');
    assert.strictEqual(s.head, 'hollow', 'paravisor SynIC');
    assert.strictEqual(s.tail, 'trap', 'trapped by the paravisor');
    const relay = find((e) => e.kind === 'message' && e.path === 'ghcb');
    const r = shapeOf(item(relay), layout, v);
    assert.ok(r && r.type === 'arrow');
    assert.strictEqual(r.color, 'visible');
    assert.strictEqual(r.head, 'filled', 'hypervisor SynIC');
    assert.deepStrictEqual(r.dash, pathDash('ghcb'));
    assert.strictEqual(r.badge, 'GHCB');
    assert.notDeepStrictEqual(pathDash('tdcall'), pathDash('ghcb'));
    assert.deepStrictEqual(pathDash('msr'), []);
  });

  it('puts a message on the lane of its VP', () => {
    const open = find((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_OPENCHANNEL');
    const s = shapeOf(item(open), layout, v);
    assert.ok(s && s.type === 'arrow');
    assert.strictEqual(s.y1, layout.lanes[1].top + LANE_H / 2, 'vp1 lane');
  });

  it('marks faults, broken invariants and faulted messages as alarms', () => {
    const fault = shapeOf(item(find((e) => e.kind === 'fault')), layout, v);
    assert.ok(fault && fault.type === 'band' && fault.where === 'all' && fault.color === 'alarm');
    const inv = shapeOf(item(find((e) => e.kind === 'invariant')), layout, v);
    assert.ok(inv && inv.type === 'band' && inv.color === 'alarm');
    const faulted = shapeOf(item(find((e) => e.kind === 'message' && !!e.fault)), layout, v);
    assert.ok(faulted && faulted.type === 'arrow' && faulted.color === 'alarm' && faulted.width > 2);
  });

  it('draws register writes and visibility changes as marks on their lane', () => {
    const reg = find((e) => e.kind === 'register' && e.vp === 1);
    const s = shapeOf(item(reg), layout, v);
    assert.ok(s && s.type === 'mark' && s.shape === 'square' && s.color === 'register');
    assert.ok(s.y > layout.lanes[1].top && s.y < layout.lanes[1].top + LANE_H);
    const page = find((e) => e.kind === 'page' && e.visibility === 'host-visible');
    const p = shapeOf(item(page), layout, v);
    assert.ok(p && p.type === 'mark' && p.shape === 'diamond' && p.color === 'visible');
  });

  it('returns null for events on hidden lanes', () => {
    const hidden = buildLanes(2, ['run'], ['host']);
    const hostMsg = find((e) => e.kind === 'message' && (e.from === 'host' || e.to === 'host'));
    assert.strictEqual(shapeOf(item(hostMsg), hidden, v), null);
  });

  it('hit-tests the arrow under the pointer', () => {
    const items = events.map((e) => item(e));
    const contact = find((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_INITIATE_CONTACT');
    const x = colToX(v, contact.seq);
    const y = (layout.lanes[0].top + layout.lanes[2].top + LANE_H) / 2;
    assert.strictEqual(hitTest(items, layout, v, x + 2, y)?.event.seq, contact.seq);
    assert.strictEqual(hitTest(items, layout, v, x + 2, layout.height + 200), null);
  });
});
