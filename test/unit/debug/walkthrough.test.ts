// The "done when" walk: step through examples/fallback-probe.vmbus as a new user would (F5 with
// stop on entry, then Step Over to the end), checking every stop shows a line of the scenario and
// that Step Back returns exactly the previous state (every variable of every scope, two levels deep).
// Lines are found by searching the example's text, not taken from the adapter.
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, evaluate, launch, snapshot, startAdapter, stopAfter, topFrame, type Harness } from './harness';

const EXAMPLE = path.join(ROOT, 'examples/fallback-probe.vmbus');

function lineOf(re: RegExp): number {
  const lines = fs.readFileSync(EXAMPLE, 'utf8').split(/\r?\n/);
  const i = lines.findIndex((l) => re.test(l));
  assert.ok(i >= 0, `the example has a line matching ${re}`);
  return i + 1;
}

describe('debug walkthrough: examples/fallback-probe.vmbus', function () {
  this.timeout(60000);
  let h: Harness;
  beforeEach(async () => {
    h = await startAdapter();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('continue stops first at the scenario\'s own stop point, then on the fallback', async () => {
    const ev = await launch(h.dc, { program: EXAMPLE, exceptionFilters: ['fallback'] });
    assert.equal(ev.body.reason, 'breakpoint');
    assert.match(ev.body.description ?? '', /stop "probe": phase connect begins/);
    const top = await topFrame(h.dc, ev.body.threadId!);
    assert.equal(top.line, lineOf(/^\s*stop probe at phase connect/));
    const fb = await stopAfter(h.dc, () => h.dc.continueRequest({ threadId: ev.body.threadId! }));
    assert.equal(fb.body.reason, 'exception');
    assert.equal((await topFrame(h.dc, fb.body.threadId!)).line, lineOf(/^\s*confidential_vmbus\s+no/));
  });

  it('step over from entry to the end: every stop has a scenario line; step back restores exactly the previous state', async () => {
    const total = fs.readFileSync(EXAMPLE, 'utf8').split(/\r?\n/).length;
    let ev = await launch(h.dc, { program: EXAMPLE, stopOnEntry: true, exceptionFilters: [] });
    assert.equal(ev.body.reason, 'entry');
    let prev = await snapshot(h.dc, ev.body.threadId!);
    const seen = new Set<number>();
    const names: string[] = [];
    for (let i = 0; i < 500; i++) {
      ev = await stopAfter(h.dc, () => h.dc.nextRequest({ threadId: ev.body.threadId! }));
      const top = await topFrame(h.dc, ev.body.threadId!);
      assert.equal(top.source?.path, EXAMPLE);
      assert.ok(top.line >= 1 && top.line <= total, `line ${top.line} is in the file`);
      seen.add(top.line);
      names.push(`${top.name} @${top.line}`);
      const now = await snapshot(h.dc, ev.body.threadId!);
      // Step back, compare with the state before this step, step forward again.
      const back = await stopAfter(h.dc, () => h.dc.stepBackRequest({ threadId: ev.body.threadId! }));
      assert.deepEqual(await snapshot(h.dc, back.body.threadId!), prev, `step back from ${top.name}`);
      ev = await stopAfter(h.dc, () => h.dc.nextRequest({ threadId: back.body.threadId! }));
      assert.deepEqual(await snapshot(h.dc, ev.body.threadId!), now, `step forward again to ${top.name}`);
      prev = now;
      if (ev.body.reason === 'end') break;
    }
    assert.equal(ev.body.reason, 'end', 'reached the end of the run');
    // The walk visits the platform (discovery: `design probe`), the paravisor (fallback:
    // `confidential_vmbus no`), the version ladder (`max_version 6.0`) and the expectations.
    for (const re of [/^\s*design\s+probe/, /^\s*confidential_vmbus\s+no/, /^\s*max_version/, /^\s*fallback\s*$/]) {
      assert.ok(seen.has(lineOf(re)), `a stop shows line ${lineOf(re)} (${re}); stops:\n${names.join('\n')}`);
    }
    // The final state: fallen back, connected to the host without confidentiality.
    const g = await evaluate(h.dc, 'guest');
    assert.match(g.body.result, /^connected, version VERSION_WIN10_V6_0, confidential=false, fallback=true$/);
  });
});
