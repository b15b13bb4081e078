// Fuzz: 10,000 mutations of the examples and grammar fixtures. Every one must parse without an
// exception, every diagnostic must carry a well-formed range inside the file, a file without a
// config must have an error, and the formatter must stay idempotent.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatScenario, parseScenario } from '../../../src/simulator/scenario/index';
import { completeAt, hoverAt, foldingRanges, definitionAt } from '../../../src/simulator/scenario/services';
import { ROOT, exampleFiles } from './helpers';

/** xorshift32: deterministic, so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

const SNIPPETS = [
  '{', '}', '"', "'", '(', ')', '=', ',', '#', '\n', '\r\n', '\t', ' ', '@', '\\', '\u00e9', '\u{1F600}', '\0',
  'device', 'platform', 'expect', 'faults', 'fault', 'run', 'include "x.vmbus"', 'include "../../etc"', 'scenario',
  'storvsc', 'hv_sock', 'confidential_ring_buffer', 'CHANNELMSG_OFFERCHANNEL', 'ring(relid', '6.0', '0x', '0xffffffffff',
  '99999999999999999999', '64k', 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f', '{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}',
  'no', 'not', 'with', 'after', 'stop x at', 'nth 0', 'relid 4096', 'key=', '=value', 'seed -1',
];

function mutate(src: string, r: () => number): string {
  let s = src;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const pos = Math.floor(r() * (s.length + 1));
    const op = Math.floor(r() * 7);
    if (op === 0) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(r() * 20));
    else if (op === 1) s = s.slice(0, pos) + SNIPPETS[Math.floor(r() * SNIPPETS.length)] + s.slice(pos);
    else if (op === 2) s = s.slice(0, pos) + String.fromCharCode(Math.floor(r() * 0x3000)) + s.slice(pos);
    else if (op === 3) {
      const lines = s.split('\n');
      const i = Math.floor(r() * lines.length);
      lines.splice(Math.floor(r() * lines.length), 0, lines[i]);
      s = lines.join('\n');
    } else if (op === 4) {
      const lines = s.split('\n');
      const i = Math.floor(r() * lines.length);
      const j = Math.floor(r() * lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      s = lines.join('\n');
    } else if (op === 5) s = s.slice(0, pos);
    else s = s.slice(0, pos) + s.slice(Math.floor(r() * s.length));
  }
  return s;
}

describe('scenario fuzz', function () {
  this.timeout(120000);

  it('10,000 mutated files: diagnostics with valid ranges, never an exception', () => {
    const seeds = [
      ...exampleFiles(),
      ...fs.readdirSync(path.join(ROOT, 'test/grammar')).filter((f) => f.endsWith('.vmbus')).map((f) => path.join(ROOT, 'test/grammar', f)),
    ].map((f) => fs.readFileSync(f, 'utf8'));
    const shared = fs.readFileSync(path.join(ROOT, 'examples/shared/openhcl-snp.vmbus'), 'utf8');
    const r = rng(0x5eed);
    let withErrors = 0;
    for (let i = 0; i < 10000; i++) {
      const text = mutate(seeds[i % seeds.length], r);
      const lineCount = text.split(/\r\n|\r|\n/).length;
      let res;
      try {
        res = parseScenario(text, '/ws/f.vmbus', {
          readFile: (p) => (p === '/ws/shared/openhcl-snp.vmbus' ? shared : p === '/ws/x.vmbus' ? text : undefined),
          workspaceRoot: '/ws',
        });
      } catch (e) {
        assert.fail(`case ${i} threw ${(e as Error).stack}\n--- input ---\n${text}`);
      }
      for (const d of res.diagnostics) {
        const g = d.range;
        const ok = ['error', 'warning', 'info'].includes(d.severity) && typeof d.message === 'string' && d.message.length > 0 &&
          Number.isInteger(g.line) && Number.isInteger(g.column) && Number.isInteger(g.endLine) && Number.isInteger(g.endColumn) &&
          g.line >= 0 && g.column >= 0 && (g.endLine > g.line || (g.endLine === g.line && g.endColumn >= g.column)) &&
          (d.file !== '/ws/f.vmbus' || g.endLine < lineCount);
        assert.ok(ok, `case ${i}: bad diagnostic ${JSON.stringify(d)}\n--- input ---\n${text}`);
      }
      if (!res.config) {
        assert.ok(res.diagnostics.some((d) => d.severity === 'error'), `case ${i}: no config but no error`);
        withErrors++;
      }
      if (i % 10 === 0) {
        const f = formatScenario(text);
        assert.equal(formatScenario(f), f, `case ${i}: formatter not idempotent`);
        const line = Math.floor(r() * lineCount);
        const ch = Math.floor(r() * 40);
        completeAt(text, line, ch);
        hoverAt(res.ast, line, ch);
        definitionAt(res.ast, line, ch);
        foldingRanges(res.ast);
      }
    }
    assert.ok(withErrors > 1000, `the mutations should break many files (${withErrors})`);
  });
});
