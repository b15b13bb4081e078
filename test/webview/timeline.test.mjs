/* global describe, it, before, after, DOMParser, DataTransfer, DragEvent, File */
// The bundled timeline webview (dist/webview/timeline.js) in Debian Chromium, inside a harness page
// with the panel's CSP and a stub host serving a fixture trace. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { launch, openHarness, realEngine, LAYOUT } from './browser.mjs';
import { checkMermaidSequence } from './mermaidGrammar.mjs';

const SHOTS = 'test-results';
mkdirSync(SHOTS, { recursive: true });

/** Lane centres for a VM with 2 VPs: guest vp0, guest vp1, paravisor, hypervisor, host. */
const laneY = (i) => LAYOUT.RULER_H + LAYOUT.PHASE_H + i * LAYOUT.LANE_H + LAYOUT.LANE_H / 2;
const LANE = { vp0: 0, vp1: 1, paravisor: 2, hypervisor: 3, host: 4 };

async function painted(page) {
  await page.waitForSelector('body[data-painted="true"]', { timeout: 10000 });
  await page.waitForFunction(() => window.__timelineStats.view !== null);
}

async function view(page) {
  return page.evaluate(() => window.__timelineStats.view);
}

function colX(v, col) {
  return LAYOUT.GUTTER_W + (col + 0.5 - v.start) * v.pxPerCol;
}

async function canvasBox(page) {
  return page.locator('#tl-canvas').boundingBox();
}

async function posted(page, type) {
  return page.evaluate((t) => window.__harness.posted.filter((m) => m.type === t), type);
}

async function lastSelect(page) {
  return page.waitForFunction(() => {
    const s = window.__harness.posted.filter((m) => m.type === 'select');
    return s.length ? s[s.length - 1] : null;
  }).then((h) => h.jsonValue());
}

describe('timeline webview (Chromium)', function () {
  this.timeout(60000);
  let browser;

  before(async () => { browser = await launch(); });
  after(async () => { await browser?.close(); });

  it('draws the fixture trace: lanes, arrows, marks and the stepper cursor', async () => {
    const { page, errors, context } = await openHarness(browser, { n: 0, vp: 2, pos: 20 });
    await painted(page);
    const stats = await page.evaluate(() => ({ drawn: window.__timelineStats.lastDrawnItems, total: window.__harness.events.length }));
    assert.equal(stats.drawn, stats.total, 'every event of the small trace is drawn');
    // Count non-background pixels in the plot area: arrows and marks are there.
    const inked = await page.evaluate(() => {
      const c = document.getElementById('tl-canvas');
      const d = c.getContext('2d').getImageData(140, 40, c.width - 140, 220).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 0x1f) + Math.abs(d[i + 1] - 0x1f) + Math.abs(d[i + 2] - 0x1f) > 60) n++;
      return n;
    });
    assert.ok(inked > 2000, `plot has ink (${inked} pixels)`);
    assert.match(await page.textContent('#tl-status'), /48 events .* stepper at #20/);
    await page.screenshot({ path: `${SHOTS}/webview-timeline.png` });
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('click on an arrow selects it: posts select, shows the decoded form', async () => {
    const { page, context } = await openHarness(browser, { n: 0, vp: 2 });
    await painted(page);
    const target = await page.evaluate(() => window.__harness.events.find((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_INITIATE_CONTACT'));
    const v = await view(page);
    const box = await canvasBox(page);
    await page.mouse.click(box.x + colX(v, target.seq), box.y + (laneY(LANE.vp0) + laneY(LANE.paravisor)) / 2);
    const sel = await lastSelect(page);
    assert.equal(sel.seq, target.seq);
    assert.equal(sel.run, 0);
    assert.match(await page.textContent('#tl-details'), /CHANNELMSG_INITIATE_CONTACT/);
    assert.match(await page.textContent('#tl-details'), /vmbus_version_requested/);
    assert.match(await page.getAttribute('#tl-canvas', 'aria-label'), /INITIATE_CONTACT/);
    // Enter asks the host to open the decoded form.
    await page.keyboard.press('Enter');
    await page.waitForFunction((seq) => window.__harness.posted.some((m) => m.type === 'openDecoded' && m.seq === seq), target.seq);
    await page.screenshot({ path: `${SHOTS}/webview-selected.png` });
    await context.close();
  });

  it('keyboard moves the selection: next, previous, next of the same type', async () => {
    const { page, context } = await openHarness(browser, { n: 0, vp: 2 });
    await painted(page);
    await page.focus('#tl-canvas');
    await page.keyboard.press('ArrowRight');
    assert.equal((await lastSelect(page)).seq, 0);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal((await lastSelect(page)).seq, 2);
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => window.__harness.posted.filter((m) => m.type === 'select').pop().seq === 1);
    // Shift+Right: the next event of the same kind (register writes are at 1, 2, 4, 5 for 2 VPs).
    const evs = await page.evaluate(() => window.__harness.events.map((e) => e.kind));
    const nextSame = evs.findIndex((k, i) => i > 1 && k === evs[1]);
    await page.keyboard.press('Shift+ArrowRight');
    await page.waitForFunction((s) => window.__harness.posted.filter((m) => m.type === 'select').pop().seq === s, nextSame);
    // n on a message goes to the next message of the same msgtype, across the window edge via seek.
    const firstOffer = await page.evaluate(() => window.__harness.events.find((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL').seq);
    const secondOffer = await page.evaluate((f) => window.__harness.events.find((e) => e.seq > f && e.kind === 'message' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL').seq, firstOffer);
    while ((await lastSelect(page)).seq < firstOffer) await page.keyboard.press('ArrowRight');
    assert.equal((await lastSelect(page)).seq, firstOffer);
    await page.keyboard.press('n');
    await page.waitForFunction((s) => window.__harness.posted.filter((m) => m.type === 'select').pop().seq === s, secondOffer);
    assert.ok((await posted(page, 'seek')).length > 0, 'same-type navigation asks the host (seek)');
    await context.close();
  });

  it('zooms and pans with wheel, drag and keys', async () => {
    const { page, context } = await openHarness(browser, { n: 2000, vp: 2 });
    await painted(page);
    const v0 = await view(page);
    const box = await canvasBox(page);
    await page.mouse.move(box.x + 600, box.y + 100);
    await page.mouse.wheel(0, -600);
    await page.waitForFunction((p) => window.__timelineStats.view.pxPerCol > p * 2, v0.pxPerCol);
    const v1 = await view(page);
    await page.mouse.move(box.x + 600, box.y + 100);
    await page.mouse.down();
    await page.mouse.move(box.x + 400, box.y + 100, { steps: 5 });
    await page.mouse.up();
    const v2 = await view(page);
    assert.ok(v2.start > v1.start, `drag left pans right (${v1.start} → ${v2.start})`);
    await page.focus('#tl-canvas');
    await page.keyboard.press('d');
    await page.waitForFunction((s) => window.__timelineStats.view.start > s, v2.start);
    await page.waitForFunction((s) => window.__timelineStats.view.start > s, v2.start);
    const v3 = await view(page);
    await page.keyboard.press('-');
    await page.waitForFunction((p) => window.__timelineStats.view.pxPerCol < p, v3.pxPerCol);
    await page.keyboard.press('f');
    await page.waitForFunction((p) => Math.abs(window.__timelineStats.view.pxPerCol - p) < 1e-9, v0.pxPerCol);
    await context.close();
  });

  it('filters: relid and msgtype hide other events, a party toggle hides its lane', async () => {
    const { page, context } = await openHarness(browser, { n: 0, vp: 2 });
    await painted(page);
    const all = await page.evaluate(() => window.__timelineStats.lastDrawnItems);
    await page.fill('#tl-relid', '5');
    await page.press('#tl-relid', 'Enter');
    await page.waitForFunction((a) => window.__timelineStats.lastDrawnItems < a, all);
    const req = (await posted(page, 'requestWindow')).pop();
    assert.equal(req.filter.relid, 5);
    const relid5 = await page.evaluate(() => window.__harness.events.filter((e) => e.relid === 5).length);
    await page.waitForFunction((n) => window.__timelineStats.lastDrawnItems === n, relid5);
    // The list view shows the same, one row per event, each labelled.
    await page.click('#tl-list-toggle');
    const rows = await page.locator('#tl-list [role=option]').allTextContents();
    assert.equal(rows.length, relid5);
    for (const r of rows) assert.match(r, /relid=5|relid 5|channel 5/);
    await page.fill('#tl-relid', '');
    await page.press('#tl-relid', 'Enter');
    await page.fill('#tl-msgtype', 'OFFERCHANNEL');
    await page.press('#tl-msgtype', 'Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('#tl-list [role=option]')].filter((r) => /^#\d+ message /.test(r.textContent)).every((r) => /OFFERCHANNEL/.test(r.textContent)));
    await page.fill('#tl-msgtype', '');
    await page.press('#tl-msgtype', 'Enter');
    await page.uncheck('#tl-party-host');
    await page.waitForFunction(() => ![...document.querySelectorAll('#tl-list [role=option]')].some((r) => / host to host|on host/.test(r.textContent)));
    const canvasH = await page.evaluate(() => document.getElementById('tl-canvas').getBoundingClientRect().height);
    assert.ok(canvasH < LAYOUT.RULER_H + LAYOUT.PHASE_H + 5 * LAYOUT.LANE_H, 'the host lane is gone');
    await page.screenshot({ path: `${SHOTS}/webview-filtered.png` });
    await context.close();
  });

  it('follows the host: cursor moves the stepper line, reveal selects without echoing a select', async () => {
    const { page, context } = await openHarness(browser, { n: 2000, vp: 2, pos: 5 });
    await painted(page);
    await page.evaluate(() => window.__harness.send({ type: 'cursor', position: 1500, total: 2000 }));
    await page.waitForFunction(() => /stepper at #1500/.test(document.getElementById('tl-status').textContent));
    const v = await view(page);
    assert.ok(colX(v, 1500) > LAYOUT.GUTTER_W && colX(v, 1500) < v.width, 'the view follows the stepper');
    await page.evaluate(() => window.__harness.send({ type: 'reveal', seq: 1234 }));
    await page.waitForFunction(() => /seq1234kind/.test(document.getElementById('tl-details').textContent));
    assert.equal((await posted(page, 'select')).filter((m) => m.seq === 1234).length, 0, 'no select echoed back');
    await context.close();
  });

  it('search jumps to the next match', async () => {
    const { page, context } = await openHarness(browser, { n: 0, vp: 2 });
    await painted(page);
    await page.fill('#tl-search', 'gpadl_created');
    await page.press('#tl-search', 'Enter');
    const want = await page.evaluate(() => window.__harness.events.find((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_GPADL_CREATED').seq);
    assert.equal((await lastSelect(page)).seq, want);
    await context.close();
  });

  it('exports a valid Mermaid sequence diagram, an SVG of the visible range and JSON', async () => {
    const { page, context } = await openHarness(browser, { n: 0, vp: 2 });
    await painted(page);
    await page.click('#tl-export-mermaid');
    await page.waitForFunction(() => window.__harness.exports.some((e) => e.format === 'mermaid'));
    const mermaid = await page.evaluate(() => window.__harness.exports.find((e) => e.format === 'mermaid').content);
    const check = checkMermaidSequence(mermaid);
    assert.deepEqual(check.problems, []);
    assert.equal(check.participants, 4);
    const msgs = await page.evaluate(() => window.__harness.events.filter((e) => e.kind === 'message').length);
    assert.equal(check.arrows, msgs, 'one arrow per message');
    assert.match(mermaid, /G->>P: INITIATE_CONTACT \[trapped, paravisor SynIC\] \(seq \d+\)/);
    assert.match(mermaid, /P-->>V: .*GPADL_HEADER.*\[ghcb, hypervisor SynIC, host-visible\]/);

    await page.click('#tl-export-svg');
    await page.waitForFunction(() => window.__harness.exports.some((e) => e.format === 'svg'));
    const svgCheck = await page.evaluate(() => {
      const svg = window.__harness.exports.find((e) => e.format === 'svg').content;
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        root: doc.documentElement.nodeName,
        lines: doc.querySelectorAll('line').length,
        titles: [...doc.querySelectorAll('g > title')].map((t) => t.textContent),
        width: doc.documentElement.getAttribute('width'),
      };
    });
    assert.equal(svgCheck.error, null);
    assert.equal(svgCheck.root, 'svg');
    assert.ok(svgCheck.lines > 20);
    assert.ok(svgCheck.titles.some((t) => /INITIATE_CONTACT/.test(t)), 'events carry titles');
    const sent = (await posted(page, 'export')).find((m) => m.format === 'svg');
    assert.equal(sent.from, 0);

    await page.click('#tl-export-json');
    await page.waitForFunction(() => window.__harness.exports.some((e) => e.format === 'json'));
    const json = JSON.parse(await page.evaluate(() => window.__harness.exports.find((e) => e.format === 'json').content));
    assert.equal(json.length, await page.evaluate(() => window.__harness.events.length));
    await context.close();
  });

  it('in a narrow panel (beside an editor) the details go under the lanes, not beside them', async () => {
    const { page, context, errors } = await openHarness(browser, { n: 0, vp: 2 }, { width: 420, height: 700 });
    await painted(page);
    const canvas = await canvasBox(page);
    assert.ok(canvas.width >= 380, `the lanes keep the width of the page (${canvas.width}px of 420)`);
    // Select an arrow: its decoded form shows below the plot.
    const target = await page.evaluate(() => window.__harness.events.find((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_INITIATE_CONTACT'));
    const v = await view(page);
    await page.mouse.click(canvas.x + colX(v, target.seq), canvas.y + (laneY(LANE.vp0) + laneY(LANE.paravisor)) / 2);
    assert.equal((await lastSelect(page)).seq, target.seq);
    await page.waitForFunction(() => /INITIATE_CONTACT/.test(document.getElementById('tl-details').textContent ?? ''));
    const details = await page.locator('#tl-details').boundingBox();
    const main = await page.locator('.tl-main').boundingBox();
    assert.ok(details.y >= main.y + main.height - 1, `details (y=${details.y}) under the lanes (bottom ${main.y + main.height})`);
    assert.ok(details.width >= 380, `details as wide as the page (${details.width}px)`);
    assert.ok(details.y + details.height <= 700 + 1, 'details fit in the page');
    // All five lanes stay in view above the details.
    const hostLaneBottom = canvas.y + LAYOUT.RULER_H + LAYOUT.PHASE_H + 5 * LAYOUT.LANE_H;
    assert.ok(hostLaneBottom <= details.y + 1, `host lane (bottom ${hostLaneBottom}) above the details (y=${details.y})`);
    await page.screenshot({ path: `${SHOTS}/webview-timeline-narrow.png` });
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('CSP blocks inline script; the nonce\'d bundle runs', async () => {
    const { page, context } = await openHarness(browser, { n: 0, vp: 2 });
    await painted(page);
    assert.equal(await page.evaluate(() => window.__inlineRan), undefined);
    const v = await page.evaluate(() => window.__harness.violations);
    assert.ok(v.some((x) => /script-src/.test(x)), `violation reported: ${v.join('; ')}`);
    // Codicons load as a font from the allowed origin.
    const font = await page.evaluate(async () => { await document.fonts.ready; return [...document.fonts].some((f) => f.family.includes('codicon') && f.status === 'loaded'); });
    assert.ok(font, 'codicon font loaded under font-src');
    await context.close();
  });

  it('restores the view after the page is reloaded (getState/setState)', async () => {
    const { page, context } = await openHarness(browser, { n: 2000, vp: 2 });
    await painted(page);
    await page.focus('#tl-canvas');
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await page.keyboard.press('d');
    await page.keyboard.press('ArrowRight');
    await lastSelect(page);
    await page.waitForTimeout(250);
    const before = await view(page);
    const saved = await page.evaluate(() => window.__harness.state());
    assert.equal(saved.version, 1);
    await page.reload();
    await painted(page);
    const after = await view(page);
    assert.ok(Math.abs(after.start - before.start) < 1e-6 && Math.abs(after.pxPerCol - before.pxPerCol) < 1e-9, 'same viewport');
    assert.match(await page.textContent('#tl-details'), /seq/);
    await context.close();
  });

  it('offers an accessible list view with focusable, labelled rows', async () => {
    const { page, context } = await openHarness(browser, { n: 0, vp: 2 });
    await painted(page);
    await page.focus('#tl-canvas');
    await page.waitForFunction(() => document.activeElement?.id === 'tl-canvas');
    await page.keyboard.press('l');
    // The list fills from a window answered asynchronously: wait for it, then check what it holds.
    await page.waitForFunction(() => document.querySelector('#tl-list-toggle')?.getAttribute('aria-pressed') === 'true', null, { timeout: 5000 })
      .catch(() => undefined);
    assert.equal(await page.getAttribute('#tl-list-toggle', 'aria-pressed'), 'true');
    await page.waitForFunction(() => document.querySelectorAll('#tl-list [role=option]').length >= 48, null, { timeout: 5000 })
      .catch(() => undefined);
    const n = await page.locator('#tl-list [role=option]').count();
    assert.equal(n, 48);
    await page.locator('#tl-list [role=option]').nth(3).click();
    assert.equal((await lastSelect(page)).seq, 3);
    await page.focus('#tl-row-0-3');
    await page.keyboard.press('ArrowDown');
    // The selection moves asynchronously (a seek answered by the host), then the list re-renders.
    await page.waitForFunction(() => document.activeElement?.id === 'tl-row-0-4'
      && document.getElementById('tl-row-0-4')?.getAttribute('aria-selected') === 'true', null, { timeout: 5000 })
      .catch(() => undefined);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'tl-row-0-4');
    assert.equal(await page.getAttribute('#tl-row-0-4', 'aria-selected'), 'true');
    for (const id of ['#tl-prev', '#tl-next', '#tl-zoom-in', '#tl-export-svg']) assert.ok(await page.getAttribute(id, 'aria-label'));
    assert.equal(await page.getAttribute('#tl-canvas', 'tabindex'), '0');
    await page.screenshot({ path: `${SHOTS}/webview-list.png` });
    await context.close();
  });

  it('serves a 100,000-event trace in windows, never whole', async () => {
    const { page, context } = await openHarness(browser, { n: 100000, vp: 2 });
    await painted(page);
    const w = await page.evaluate(() => ({ req: window.__harness.posted.filter((m) => m.type === 'requestWindow'), stats: window.__timelineStats.lastDrawnItems }));
    for (const r of w.req) assert.ok(r.maxItems < 20000 && r.maxItems > 0);
    assert.ok(w.stats > 100 && w.stats < 10000, `drawn ${w.stats}`);
    assert.match(await page.textContent('#tl-status'), /100000 events .* per column/);
    await page.screenshot({ path: `${SHOTS}/webview-100k.png` });
    await context.close();
  });

  it('compare mode: two runs aligned, differences marked, X jumps to the next one', async () => {
    const { page, context } = await openHarness(browser, { autostart: 0 });
    await page.evaluate(() => window.__harness.openCompare(0));
    await painted(page);
    assert.match(await page.textContent('.tl-title'), /Compare: probe \+ fallback design ↔ CPUID design/);
    assert.match(await page.textContent('#tl-status'), /differences/);
    await page.focus('#tl-canvas');
    await page.keyboard.press('x');
    const sel = await lastSelect(page);
    const isDiff = await page.evaluate((c) => window.__harness.posted.filter((m) => m.type === 'requestWindow').length > 0 && c >= 0, sel.col);
    assert.ok(isDiff);
    assert.match(await page.textContent('#tl-details'), /only here/);
    await page.screenshot({ path: `${SHOTS}/webview-compare.png` });
    await context.close();
  });

  it('shows a real engine trace (fallback-probe.vmbus) and its probe ↔ cpuid comparison', async () => {
    const engine = await realEngine();
    const probe = engine.runExample('fallback-probe.vmbus', 'probe');
    const cpuid = engine.runExample('fallback-probe.vmbus', 'cpuid');
    const { page, errors, context } = await openHarness(browser, { autostart: 0 }, { width: 1600, height: 800 });
    await page.evaluate(({ t }) => window.__harness.openTrace(t.events, t.vpCount, `${t.name} (probe design)`, Math.floor(t.events.length / 2)), { t: probe });
    await painted(page);
    assert.equal(await page.evaluate(() => window.__timelineStats.lastDrawnItems), probe.events.length);
    // Zoom so labels show, on the first message.
    const first = probe.events.find((e) => e.kind === 'message');
    await page.focus('#tl-canvas');
    for (let i = 0; i < 4; i++) await page.keyboard.press('+');
    await page.keyboard.press('ArrowRight');
    while ((await lastSelect(page)).seq < first.seq) await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${SHOTS}/webview-real-probe.png` });
    await page.evaluate(({ a, b }) => window.__harness.openCompareTraces(a.events, b.events, ['probe + fallback', 'CPUID'], a.vpCount, 'fallback-probe.vmbus: probe ↔ cpuid'), { a: probe, b: cpuid });
    await page.waitForFunction(() => /Compare/.test(document.querySelector('.tl-title').textContent));
    await painted(page);
    await page.screenshot({ path: `${SHOTS}/webview-real-compare.png` });
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('lays a log out on its real time axis: CPU lanes, cut gaps, click by time; toggles to sequence', async () => {
    const engine = await realEngine();
    // Hand-written trace-cmd text (trace-cmd-report(1) layout): bursts at 1.2030 s, 1.4100 s (on CPU 1) and 1.5200 s.
    const log = engine.openLogFile('test/fixtures/logtrace/netvsc-open.trace');
    const { page, errors, context } = await openHarness(browser, { autostart: 0 });
    await page.evaluate(({ t }) => window.__harness.openLogTrace(t.events, t.name), { t: log });
    await painted(page);
    assert.equal(await page.locator('#tl-axis').isVisible(), true);
    assert.equal(await page.inputValue('#tl-axis'), 'time');
    // 206.7 ms and 109.85 ms idle gaps: cut (the median gap is 50 µs, so anything over 1 ms is).
    assert.match(await page.textContent('#tl-status'), /14 events · time axis: 2 gaps over 1\.0 ms cut/);
    const reqs = await posted(page, 'requestWindow');
    assert.equal(reqs[reqs.length - 1].axis, 'time');
    assert.equal(await page.evaluate(() => window.__timelineStats.lastDrawnItems), log.events.length);
    // Line 12 (seq 8, GPADL_HEADER on [001] at 1.410000): axis position 299 µs + a 250 µs break = 549 µs.
    // Lanes: cpu0, cpu1, paravisor, hypervisor, host.
    const v = await view(page);
    const box = await canvasBox(page);
    await page.mouse.click(box.x + LAYOUT.GUTTER_W + (549 + 0.5 - v.start) * v.pxPerCol, box.y + (laneY(1) + laneY(4)) / 2);
    const sel = await lastSelect(page);
    assert.equal(sel.seq, 8);
    assert.match(await page.textContent('#tl-details'), /time1\.410000 s/);
    assert.match(await page.textContent('#tl-details'), /cpu1/);
    // A trace-cmd record names neither the path, the SynIC, the connection id nor the encryption:
    // unknown, not the placeholder values a simulated message would carry.
    for (const field of ['path', 'SynIC', 'confidential', 'connection id']) {
      assert.match(await page.textContent('#tl-details'), new RegExp(`${field}unknown \\(not in the log\\)`));
    }
    await page.screenshot({ path: `${SHOTS}/webview-log-time.png` });
    // Sequence layout: the same event is at its column.
    await page.selectOption('#tl-axis', 'sequence');
    await page.waitForFunction(() => window.__harness.posted.filter((m) => m.type === 'requestWindow').pop()?.axis === undefined);
    await painted(page);
    const v2 = await view(page);
    await page.mouse.click(box.x + colX(v2, 4), box.y + (laneY(0) + laneY(4)) / 2);
    assert.equal((await lastSelect(page)).seq, 4);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('a reveal into a thinned stretch of a log\'s time axis zooms in until the event is drawn, and selects it', async () => {
    // 3,000 vmbus_on_msg_dpc records 1 µs apart on two CPUs (trace-cmd-report(1) layout): at the
    // fitted zoom the window is thinned, so the revealed records are not all drawn at first.
    const lines = ['cpus=2'];
    for (let i = 0; i < 3000; i++) lines.push(`          <idle>-0     [00${i % 2}]     ${(1 + i * 1e-6).toFixed(6)}: vmbus_on_msg_dpc:     msgtype=${i % 2 ? 1 : 15}`);
    mkdirSync('out/webview-harness', { recursive: true });
    writeFileSync('out/webview-harness/dense.trace', lines.join('\n') + '\n');
    const engine = await realEngine();
    const log = engine.openLogFile('out/webview-harness/dense.trace');
    const { page, errors, context } = await openHarness(browser, { autostart: 0 });
    await page.evaluate(({ t }) => window.__harness.openLogTrace(t.events, t.name), { t: log });
    await painted(page);
    for (const seq of [1501, 2002, 2999]) {
      await page.evaluate((s) => window.__harness.revealLogEvent(s), seq);
      await page.waitForFunction((s) => new RegExp(`seq${s}kind`).test(document.getElementById('tl-details').textContent), seq, { timeout: 15_000 });
    }
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('a dmesg (real, dmesg-1) shows its records on a "cpu ?" lane and says the CPU is not in the log', async () => {
    const engine = await realEngine();
    const log = engine.openLogFile('test/fixtures/real/dmesg-1.txt');
    const { page, errors, context } = await openHarness(browser, { autostart: 0 });
    await page.evaluate(({ t }) => window.__harness.openLogTrace(t.events, t.name), { t: log });
    await painted(page);
    assert.match(await page.textContent('#tl-status'), /the log names no CPU \(cpu \?\)/);
    await page.focus('#tl-canvas');
    await page.keyboard.press('ArrowRight');
    assert.equal((await lastSelect(page)).seq, 0);
    // Line 2 of the sample: `[    0.900032] hv_vmbus: Vmbus version:5.2`.
    assert.match(await page.textContent('#tl-details'), /time0\.900032 s/);
    assert.match(await page.textContent('#tl-details'), /cpuunknown \(not in the log\)/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('a file dropped on the panel (Shift held in VS Code) is sent to the host as a log to open', async () => {
    const { page, context } = await openHarness(browser, { n: 0, vp: 2 });
    await painted(page);
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['[    0.900032] hv_vmbus: Vmbus version:5.2\n'], 'dropped-dmesg.txt', { type: 'text/plain' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'openLog'));
    const [m] = await posted(page, 'openLog');
    assert.deepEqual(m.source, { name: 'dropped-dmesg.txt', text: '[    0.900032] hv_vmbus: Vmbus version:5.2\n' });
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.setData('text/uri-list', 'file:///logs/boot.trace');
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.waitForFunction(() => window.__harness.posted.filter((x) => x.type === 'openLog').length === 2);
    assert.deepEqual((await posted(page, 'openLog'))[1].source, { uri: 'file:///logs/boot.trace' });
    await context.close();
  });

  it('re-reads theme colours when the theme changes', async () => {
    const { page, context } = await openHarness(browser, { n: 0, vp: 2 });
    await painted(page);
    const px = () => page.evaluate(() => [...document.getElementById('tl-canvas').getContext('2d').getImageData(600, 1, 1, 1).data].slice(0, 3));
    assert.deepEqual(await px(), [0x1f, 0x1f, 0x1f]);
    await page.evaluate(() => { document.documentElement.style.setProperty('--vscode-editor-background', '#ffffff'); document.body.className = 'vscode-light'; });
    await page.waitForFunction(() => document.getElementById('tl-canvas').getContext('2d').getImageData(600, 1, 1, 1).data[0] === 255);
    await context.close();
  });
});
