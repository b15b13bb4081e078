// Golden traces: every run of cases.ts must print the same JSON lines, byte for byte, as the
// recorded file in test/fixtures/golden (gzip). They were recorded before the model was split
// into parties (issue 12) and pin its behaviour through the split.
// Re-record (only in a commit that changes behaviour on purpose, with its own test):
//   npm run compile-tests && VMBUS_RECORD_GOLDENS=1 npx mocha out/test/unit/golden/golden.test.js
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { GOLDEN_DIR, goldenCases } from './cases';

const RECORD = process.env.VMBUS_RECORD_GOLDENS === '1';

/** The first line where two traces differ, for a readable failure. */
function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}:\n  now:    ${(la[i] ?? '<none>').slice(0, 400)}\n  golden: ${(lb[i] ?? '<none>').slice(0, 400)}`;
  }
  return 'no line differs';
}

/**
 * Source refs carry the absolute path of the checkout that ran the scenario; the goldens were
 * recorded in another worktree. Compare them relative to the repository root.
 */
function checkoutRelative(trace: string): string {
  return trace.replace(/"file":"[^"]*?\/(examples|test\/fixtures)\//g, '"file":"<root>/$1/');
}

describe('golden traces (byte-identical JSON lines)', function () {
  this.timeout(120_000);
  const cases = goldenCases();

  it('covers the examples, the fixtures, both designs, the busy data path, every fault and the edits', () => {
    const names = cases.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, 'case names are unique');
    for (const want of ['examples-plain-vm.probe.seed1', 'examples-hostile-host.cpuid.seed7', 'test-fixtures-debug-two-devices.cpuid.seed1', 'busy-data-path.cpuid', 'fault-busy-slot', 'fault-host-short-payload-host', 'edits.probe']) {
      assert.ok(names.includes(want), want);
    }
    if (!RECORD) {
      const files = fs.readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.jsonl.gz')).map((f) => f.slice(0, -'.jsonl.gz'.length)).sort();
      assert.deepEqual(files, [...names].sort(), 'one golden file per case, none left over');
    }
  });

  for (const c of cases) {
    it(c.name, () => {
      let now = c.run();
      const file = path.join(GOLDEN_DIR, `${c.name}.jsonl.gz`);
      if (RECORD) {
        fs.mkdirSync(GOLDEN_DIR, { recursive: true });
        fs.writeFileSync(file, zlib.gzipSync(Buffer.from(now, 'utf8'), { level: 9 }));
        return;
      }
      const golden = checkoutRelative(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
      now = checkoutRelative(now);
      if (now !== golden) assert.fail(`${c.name}: trace differs from ${path.relative(process.cwd(), file)} at ${firstDifference(now, golden)}`);
    });
  }
});
