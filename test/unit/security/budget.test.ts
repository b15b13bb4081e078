// Issue 11, item 6: the events budget. A run whose every value is in range can still be huge;
// every way of running a session (to the end, to a predicate, in slices) stops at the budget with
// a message naming it and the flag that raises it, instead of running on.
import * as assert from 'node:assert/strict';
import { createSession, defaultConfig, runScenario } from '../../../src/simulator/index';

function big() {
  const c = defaultConfig();
  for (const d of c.devices) { d.packets = 100_000; d.subchannels = 8; }
  return c;
}

describe('security: the events budget', function () {
  this.timeout(60000);
  const MESSAGE = 'the run exceeded the events budget of 2000 events (raise it with --max-events)';

  it('runToEnd stops at the budget: no expectation results, the trace cut at the budget', () => {
    const s = createSession(big(), { maxEvents: 2000 });
    const stop = s.runToEnd();
    assert.equal(stop.reason, 'budget');
    assert.equal(stop.description, MESSAGE);
    assert.ok(s.events().length >= 2000 && s.events().length < 2100, `${s.events().length} events`);
    assert.deepEqual(s.expectationResults(), []);
  });

  it('runScenario reports the budget', () => {
    const r = runScenario(big(), { maxEvents: 2000 });
    assert.equal(r.budget, MESSAGE);
  });

  it('runUntil and runAsync stop at the budget too', async () => {
    const s = createSession(big(), { maxEvents: 2000 });
    const u = s.runUntil(() => false);
    assert.equal(u.reason, 'end');
    assert.equal(u.description, MESSAGE);
    const a = await createSession(big(), { maxEvents: 2000 }).runAsync(500);
    assert.equal(a.reason, 'budget');
    assert.equal(a.description, MESSAGE);
  });

  it('a run within the budget is untouched (same trace as without one)', () => {
    const c = defaultConfig();
    const a = runScenario(c);
    const b = runScenario(c, { maxEvents: a.events.length + 1 });
    assert.equal(b.budget, undefined);
    assert.equal(b.events.length, a.events.length);
  });
});
