// The editor re-checks on every (debounced) change: a 10,000-line scenario must parse and check
// well under the 50 ms budget. The bench (bench/scenario) prints the numbers; this guards it.
import * as assert from 'node:assert/strict';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { bigScenario } from '../../../bench/scenario/generate';

describe('scenario performance', function () {
  this.timeout(30000);
  it('re-checks a 10,000-line file in under 50 ms (best of 15; the bench reports the median)', () => {
    const text = bigScenario(10000);
    assert.ok(text.split('\n').length >= 10000);
    for (let i = 0; i < 5; i++) parseScenario(text, '/ws/big.vmbus');
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = process.hrtime.bigint();
      const r = parseScenario(text, '/ws/big.vmbus');
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      assert.equal(r.diagnostics.filter((d) => d.severity === 'error').length, 0);
    }
    times.sort((a, b) => a - b);
    // The best run is what the code costs; the others measure the machine's load (CI runners
    // share cores). bench/scenario prints min/median/p90.
    assert.ok(times[0] < 50, `best ${times[0].toFixed(1)} ms, median ${times[7].toFixed(1)} ms`);
  });
});
