// The editor re-checks a 10,000-line scenario on every (debounced) change. How long that takes is
// measured by bench/scenario (npm run bench:scenario), never asserted here; this test checks that
// such a file is handled completely: every device, fault and expectation makes it into the config.
import * as assert from 'node:assert/strict';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { bigScenario } from '../../../bench/scenario/generate';

describe('large scenario files', function () {
  this.timeout(60000);
  it('parses a 10,000-line file without losing a declaration', () => {
    const text = bigScenario(10000);
    assert.ok(text.split('\n').length >= 10000);
    // The generator writes one "device devN CLASS {" line per device; count them independently.
    const declared = text.split('\n').filter((l) => /^device dev\d+ /.test(l)).length;
    const r = parseScenario(text, '/ws/big.vmbus');
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.ok(r.config);
    assert.equal(r.config.devices.length, declared);
    assert.equal(r.config.faults.length, declared);
    assert.equal(r.config.stops.length, declared);
    assert.equal(r.config.expectations.length, 2 * declared);
  });
});
