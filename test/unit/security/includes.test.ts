// Issue 11, items 1 and 5: include fan-out is linear (each file parsed once), budgets bound what a
// scenario can make the front end read, and a huge block does not overflow the parser's stack.
import * as assert from 'node:assert/strict';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { loadScenarioFiles, type ScenarioFileReader } from '../../../src/simulator/scenario/files';

/** Files that each include the next one ten times: 10^levels parses if includes were re-parsed. */
function fanOut(levels: number, width: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < levels; i++) {
    const next = i + 1 < levels ? Array.from({ length: width }, () => `include "f${i + 1}.vmbus"`).join('\n') + '\n' : '';
    files[`/ws/f${i}.vmbus`] = `${next}# level ${i}\n`;
  }
  files[`/ws/f${levels - 1}.vmbus`] = 'seed 5\n';
  return files;
}

function memReader(files: Record<string, string>, reads: string[]): ScenarioFileReader {
  return {
    async read(p) {
      reads.push(p);
      return p in files ? { ok: true, text: files[p] } : { ok: false, reason: 'not found' };
    },
  };
}

describe('security: include fan-out and budgets', () => {
  it('nine files including the next ten times each (10^8 parses before): every file is read once and parsed once', async () => {
    const files = fanOut(8, 10);
    const entry = 'scenario "fan"\n' + Array.from({ length: 10 }, () => 'include "f0.vmbus"').join('\n') + '\n';
    const reads: string[] = [];
    const loaded = await loadScenarioFiles('/ws/main.vmbus', entry, memReader(files, reads), { workspaceRoot: '/ws' });
    assert.equal(reads.length, 8);
    assert.equal(new Set(reads).size, 8);
    assert.equal(loaded.reads, 8);
    const r = parseScenario(entry, '/ws/main.vmbus', { files: loaded, workspaceRoot: '/ws' });
    // The entry plus the eight distinct files it reaches.
    assert.equal(r.stats.files, 9);
    assert.equal(r.config?.seed, 5);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  });

  it('the synchronous reader path is linear too (a file included again is not parsed again)', () => {
    const files = fanOut(8, 10);
    let reads = 0;
    const r = parseScenario('include "f0.vmbus"\ninclude "f0.vmbus"\n', '/ws/main.vmbus', {
      readFile: (p) => { reads++; return files[p]; },
      workspaceRoot: '/ws',
    });
    assert.equal(reads, 8);
    assert.equal(r.stats.files, 9);
  });

  it('a diamond include merges the shared file once (no duplicate device)', () => {
    const r = parseScenario('include "a.vmbus"\ninclude "b.vmbus"\n', '/ws/t.vmbus', {
      readFile: (p) => ({ '/ws/a.vmbus': 'include "d.vmbus"\n', '/ws/b.vmbus': 'include "d.vmbus"\n', '/ws/d.vmbus': 'device disk0 storvsc\n' } as Record<string, string>)[p],
      workspaceRoot: '/ws',
    });
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.equal(r.config?.devices.length, 1);
  });

  it('more files than the budget allows: an error on the include line naming the budget', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) files[`/ws/g${i}.vmbus`] = i < 9 ? `include "g${i + 1}.vmbus"\n` : 'seed 1\n';
    const entry = 'include "g0.vmbus"\n';
    const reads: string[] = [];
    const loaded = await loadScenarioFiles('/ws/main.vmbus', entry, memReader(files, reads), { workspaceRoot: '/ws', budget: { maxFiles: 4 } });
    assert.equal(reads.length, 3);
    const r = parseScenario(entry, '/ws/main.vmbus', { files: loaded, workspaceRoot: '/ws', budget: { maxFiles: 4 } });
    const err = r.diagnostics.find((d) => d.code === 'include.unreadable' || d.code === 'budget.files');
    assert.ok(err, JSON.stringify(r.diagnostics));
    assert.match(err.message, /more than 4 files/);
    assert.equal(err.file, '/ws/g2.vmbus');
    assert.equal(r.config, undefined);
  });

  it('a file over the size budget is not lexed: one "too large" error', () => {
    const text = 'seed 1\n'.repeat(200_000); // 1.4 MB
    const r = parseScenario(text, '/ws/big.vmbus');
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.range.line]), [['budget.size', 0]]);
    assert.match(r.diagnostics[0].message, /too large \(1400000 bytes; the limit is 1048576 bytes\)/);
    assert.ok(r.ast.tree.tokens.length <= 1, 'the text was lexed');
  });

  it('the statement budget stops a file with too many statements', () => {
    const r = parseScenario('seed 1\n'.repeat(50), '/ws/s.vmbus', { budget: { maxStatements: 10 } });
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['budget.statements']);
    assert.equal(r.config, undefined);
  });

  it('an included file the reader refuses is an error carrying the reader\'s reason', async () => {
    const entry = 'include "evil.vmbus"\nseed 2\n';
    const reader: ScenarioFileReader = { read: async () => ({ ok: false, reason: 'it leads outside the workspace' }) };
    const loaded = await loadScenarioFiles('/ws/t.vmbus', entry, reader, { workspaceRoot: '/ws' });
    const r = parseScenario(entry, '/ws/t.vmbus', { files: loaded, workspaceRoot: '/ws' });
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.range.line, d.range.column, d.message]), [
      ['include.unreadable', 0, 8, "cannot include 'evil.vmbus': it leads outside the workspace"],
    ]);
  });

  it('an empty file (or one with only comments) is an error: no statements', () => {
    for (const text of ['', '# just a comment\n\n']) {
      const r = parseScenario(text, '/ws/e.vmbus');
      assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.code]), [['error', 'scenario.empty']]);
      assert.equal(r.config, undefined);
    }
  });

  it('a block of 125,000 items (1.25 MB) parses without a stack overflow', () => {
    const items = '  fallback\n'.repeat(125_000);
    const text = `scenario "big"\nexpect {\n${items}}\n`;
    const r = parseScenario(text, '/ws/big.vmbus', { budget: { maxFileBytes: 4 << 20, maxTotalBytes: 4 << 20 } });
    assert.equal(r.config?.expectations.length, 125_000);
    const section = r.ast.symbols.find((s) => s.name === 'expect');
    assert.equal(section?.children.length, 125_000);
  });
});
