// The host side of the timeline protocol: filters, thinned windows, seeking, run alignment,
// labels; and the Mermaid and SVG exporters.
import * as assert from 'assert';
import {
  alignKey, alignRuns, compareColumns, compileFilter, eventDescription, eventLabel, eventParties, seek, singleRunColumns, sliceWindow,
} from '../../../src/shared/timelineData';
import { isHostToWebview, isWebviewToHost } from '../../../src/shared/timelineProtocol';
import { toMermaid, mermaidText } from '../../../src/simulator/trace/mermaid';
import { renderSvg, xmlEscape, type Palette } from '../../../src/webview/timeline/layoutSvg';
import { buildLanes, fitAll } from '../../../src/webview/timeline/layout';
import type { TraceEvent } from '../../../src/simulator/trace/events';
import { fixtureTrace } from '../../webview/fixture';

const small = fixtureTrace(0, 2);

describe('timeline data: labels and filters', () => {
  it('labels messages with their type and key fields', () => {
    const contact = small.find((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_INITIATE_CONTACT') as TraceEvent;
    assert.strictEqual(eventLabel(contact), 'INITIATE_CONTACT v6.0');
    const gpadl = small.find((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_GPADL_HEADER') as TraceEvent;
    assert.strictEqual(eventLabel(gpadl), 'GPADL_HEADER relid=5 gpadl=0xe1e10');
    assert.match(eventDescription(contact), /^#\d+ message guest to paravisor vp0: INITIATE_CONTACT v6\.0 \(via trapped, paravisor SynIC, confidential\)$/);
    assert.deepStrictEqual(eventParties(contact), ['guest', 'paravisor']);
  });

  it('filters by party, kind, msgtype, relid and text', () => {
    const count = (f: Parameters<typeof compileFilter>[0]) => small.filter(compileFilter(f)).length;
    assert.strictEqual(count({}), small.length);
    assert.ok(count({ hiddenKinds: ['log'] }) === small.length - small.filter((e) => e.kind === 'log').length);
    const offers = count({ msgtypes: ['CHANNELMSG_OFFERCHANNEL'], hiddenKinds: ['log', 'register', 'page', 'state', 'packet', 'interrupt', 'hypercall', 'phase', 'fault', 'invariant', 'expectation'] });
    assert.strictEqual(offers, 5);
    assert.strictEqual(count({ relid: 6 }), 2);
    assert.ok(count({ hiddenParties: ['host'] }) < small.length);
    assert.strictEqual(small.filter(compileFilter({ hiddenParties: ['host'] })).some((e) => e.kind === 'message' && e.from === 'host' && e.to === 'host'), false);
    assert.strictEqual(count({ search: 'vmbus version:6.0' }), 1);
    assert.ok(count({ search: 'e1e10' }) >= 4, 'searches the decoded form too');
  });
});

describe('timeline data: windows', () => {
  const big = fixtureTrace(100000, 2);
  const cols = singleRunColumns(big);

  it('returns every matching event of a small range', () => {
    const w = sliceWindow(cols, 10, 60, {}, 1000);
    assert.strictEqual(w.stride, 1);
    assert.strictEqual(w.items.length, 50);
    assert.deepStrictEqual(w.items.map((i) => i.col), Array.from({ length: 50 }, (_, i) => 10 + i));
  });

  it('thins a wide range: bounded size, sorted, alarms kept, counts add up', () => {
    const w = sliceWindow(cols, 0, 100000, {}, 3000);
    assert.strictEqual(w.stride, 34);
    assert.ok(w.items.length <= 2 * Math.ceil(100000 / 34));
    for (let i = 1; i < w.items.length; i++) assert.ok(w.items[i].col >= w.items[i - 1].col);
    assert.ok(w.items.some((i) => i.event.kind === 'fault'), 'faults survive thinning');
    const ordinary = w.items.filter((i) => (i.count ?? 0) > 1);
    assert.ok(ordinary.length > 1000);
  });

  it('keeps, per bucket, the first most significant ordinary event with the bucket count and the first alarm with 1', () => {
    // Buckets of 4 (64 events, at most 16 buckets). The first message outranks the later one
    // (ties keep the first); the first fault is the alarm; every event of a bucket is counted,
    // also when the scan has both of them before the bucket ends.
    const msg = big.find((e) => e.kind === 'message' && !e.fault)!;
    const fault = big.find((e) => e.kind === 'fault')!;
    const reg = big.find((e) => e.kind === 'register')!;
    const pattern: TraceEvent[][] = [[reg, msg, fault, msg], [msg, fault, fault, reg], [reg, reg, msg, fault], [fault, reg, reg, reg]];
    const evs: TraceEvent[] = [];
    for (let b = 0; b < 16; b++) for (const e of pattern[b % 4]) evs.push({ ...e, seq: evs.length });
    const w = sliceWindow(singleRunColumns(evs), 0, 64, {}, 16);
    assert.strictEqual(w.stride, 4);
    const expected = [[1, 4, 2, 1], [0, 4, 1, 1], [2, 4, 3, 1], [0, 1, 1, 4]];
    for (let b = 0; b < 16; b++) {
      const [c1, n1, c2, n2] = expected[b % 4];
      const got = w.items.filter((i) => i.col >= 4 * b && i.col < 4 * b + 4).map((i) => [i.col - 4 * b, i.count]);
      assert.deepStrictEqual(got, [[c1, n1], [c2, n2]], `bucket ${b}`);
    }
  });

  it('clamps to the trace and honours the filter', () => {
    const w = sliceWindow(cols, -50, 1e9, { relid: 6 }, 1e9);
    assert.strictEqual(w.from, 0);
    assert.strictEqual(w.to, 100000);
    assert.ok(w.items.every((i) => i.event.kind === 'message' && i.event.relid === 6));
  });

  it('seeks forward and back by kind, msgtype and text', () => {
    const offer = seek(cols, -1, 1, { by: 'msgtype', msgtype: 'CHANNELMSG_OFFERCHANNEL' }, {});
    assert.ok(offer !== null && big[offer].kind === 'message');
    const next = seek(cols, offer, 1, { by: 'msgtype', msgtype: 'CHANNELMSG_OFFERCHANNEL' }, {});
    assert.ok(next !== null && next > offer);
    assert.strictEqual(seek(cols, next, -1, { by: 'msgtype', msgtype: 'CHANNELMSG_OFFERCHANNEL' }, {}), offer);
    assert.strictEqual(seek(cols, 99999, 1, { by: 'any' }, {}), null);
    const fault = seek(cols, 50000, 1, { by: 'kind', kind: 'fault' }, {});
    assert.ok(fault !== null && big[fault].kind === 'fault' && fault > 50000);
    assert.strictEqual(seek(cols, -1, 1, { by: 'search', text: 'no such text anywhere' }, {}), null);
  });
});

describe('timeline data: compare alignment', () => {
  it('aligns equal runs one to one', () => {
    const rows = alignRuns(small, small);
    assert.strictEqual(rows.length, small.length);
    assert.ok(rows.every((r) => r.a && r.b && r.a.seq === r.b.seq));
  });

  it('marks the events found in only one run', () => {
    const a = fixtureTrace(0, 1, 'a');
    const b = fixtureTrace(0, 1, 'b');
    const rows = alignRuns(a, b);
    const onlyA = rows.filter((r) => r.a && !r.b).map((r) => r.a as TraceEvent);
    const onlyB = rows.filter((r) => !r.a && r.b);
    assert.strictEqual(onlyB.length, 0);
    assert.strictEqual(onlyA.length, a.length - b.length);
    assert.ok(onlyA.some((e) => e.kind === 'log'));
    // Every event of both runs appears once, in order.
    assert.deepStrictEqual(rows.filter((r) => r.a).map((r) => (r.a as TraceEvent).seq), a.map((e) => e.seq));
    assert.deepStrictEqual(rows.filter((r) => r.b).map((r) => (r.b as TraceEvent).seq), b.map((e) => e.seq));
    for (const r of rows) if (r.a && r.b) assert.strictEqual(alignKey(r.a), alignKey(r.b));
    const cols = compareColumns(rows);
    const w = sliceWindow(cols, 0, rows.length, {}, 1e6);
    assert.strictEqual(w.items.filter((i) => i.onlyHere).length, onlyA.length);
    const d = seek(cols, -1, 1, { by: 'difference' }, {});
    assert.ok(d !== null && !rows[d].b);
  });

  it('aligns by a shortest edit script (insertions on both sides)', () => {
    const ev = (k: string, seq: number): TraceEvent => ({ kind: 'log', seq, time: seq, vp: null, granularity: 'event', phase: [], party: 'guest', level: 'info', text: k });
    const a = ['A', 'B', 'C', 'D', 'E'].map(ev);
    const b = ['A', 'X', 'C', 'D', 'Y', 'E'].map(ev);
    const rows = alignRuns(a, b);
    const text = rows.map((r) => `${r.a ? (r.a as { text: string }).text : '-'}${r.b ? (r.b as { text: string }).text : '-'}`);
    assert.deepStrictEqual(text.filter((t) => t[0] === t[1]), ['AA', 'CC', 'DD', 'EE']);
    assert.strictEqual(rows.length, 7);
  });
});

describe('timeline exporters', () => {
  it('writes a Mermaid sequenceDiagram with one arrow per message', () => {
    const m = toMermaid(small, { title: 'connect; #1' });
    const lines = m.trim().split('\n');
    assert.strictEqual(lines[0], 'sequenceDiagram');
    assert.strictEqual(lines[1], '  title connect#59; #35;1');
    assert.strictEqual(lines.filter((l) => /^ {2}participant [GPHV] as /.test(l)).length, 4);
    const arrows = lines.filter((l) => /^ {2}[GPHV](->>|-->>|-x)[GPHV]: /.test(l));
    assert.strictEqual(arrows.length, small.filter((e) => e.kind === 'message').length);
    for (const l of lines.slice(1)) assert.ok(!/;(?<!#\d+;)/.test(l.replace(/#\d+;/g, '')), `no raw ';' in ${l}`);
    assert.ok(lines.some((l) => /Note over G,V: FAULT delay-open-result/.test(l)));
    assert.strictEqual(mermaidText('a;b#c\nd'), 'a#59;b#35;c d');
    const capped = toMermaid(small, { maxLines: 3 });
    assert.match(capped, /%% \d+ more events left out/);
  });

  it('renders a well-formed SVG of the visible range', () => {
    const colors = Object.fromEntries(['confidential', 'visible', 'alarm', 'register', 'phase', 'muted', 'interrupt', 'packet', 'ok', 'fg', 'bg', 'border', 'laneAlt', 'cursor', 'onlyA', 'onlyB'].map((k) => [k, '#123456'])) as Palette;
    const layout = buildLanes(2, ['run']);
    const v = fitAll(small.length, 1200, 300);
    const svg = renderSvg(small.map((e) => ({ col: e.seq, run: 0 as const, event: e })), layout, v, small.length, colors, { title: 'a <b> & "c"', cursor: 3 });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>$/);
    assert.ok(svg.includes('a &lt;b&gt; &amp; &quot;c&quot;'));
    // Balanced tags (no parser in Node; count opening and closing g elements).
    assert.strictEqual((svg.match(/<g[ >]/g) ?? []).length, (svg.match(/<\/g>/g) ?? []).length);
    assert.strictEqual(xmlEscape(`<'&">`), '&lt;&apos;&amp;&quot;&gt;');
  });

  it('recognises protocol messages by type', () => {
    assert.ok(isWebviewToHost({ type: 'ready' }));
    assert.ok(!isWebviewToHost({ type: 'window' }));
    assert.ok(isHostToWebview({ type: 'window' }));
    assert.ok(!isHostToWebview(null));
  });
});
