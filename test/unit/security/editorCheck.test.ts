// Issue 11: the editor's as-you-type check never blocks the extension host beyond a frame. It
// parses within EDITOR_CHECK_BUDGET (64 KiB, 4,000 lines in all files; sized by
// bench/scenario/parse-size.ts); a scenario over that but within the Run budget (256 KiB) gets one
// info naming the budget instead of errors, and is not parsed at all (no statements counted);
// over the Run budget it keeps its "too large" error. Times are measured in the bench, not here.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkForEditor, overCheckBudget, EDITOR_BUDGET, EDITOR_CHECK_BUDGET, loadScenarioFiles, parseScenario } from '../../../src/simulator/scenario/index';

const ROOT = path.resolve(__dirname, '../../../..');
const PLAIN = fs.readFileSync(path.join(ROOT, 'examples/plain-vm.vmbus'), 'utf8');
const HEAD = 'scenario "big"\nplatform {\n  isolation snp\n}\n';

describe('security: the editor check fits in a frame', () => {
  it('the budgets are the documented ones: 64 KiB and 4,000 lines to check, 256 KiB to run', () => {
    assert.equal(EDITOR_CHECK_BUDGET.maxFileBytes, 65536);
    assert.equal(EDITOR_CHECK_BUDGET.maxTotalBytes, 65536);
    assert.equal(EDITOR_CHECK_BUDGET.maxStatements, 4000);
    assert.equal(EDITOR_BUDGET.maxFileBytes, 262144);
  });

  it('docs "Limits and budgets" states the check budget', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/scenario-language.md'), 'utf8');
    const row = doc.split('\n').find((l) => l.startsWith("| the editor's check as you type |"));
    assert.ok(row, 'no row for the editor check');
    assert.ok(row.includes(`${EDITOR_CHECK_BUDGET.maxFileBytes / 1024} KiB and ${EDITOR_CHECK_BUDGET.maxStatements.toLocaleString('en-US')} lines`), row);
  });

  it('a scenario within the budget is checked in full, as parseScenario does', () => {
    const r = checkForEditor(PLAIN, '/w/plain.vmbus');
    assert.ok(r.config);
    assert.deepEqual(r.diagnostics, parseScenario(PLAIN, '/w/plain.vmbus').diagnostics);
    const bad = checkForEditor(HEAD + 'devic d storvsc\n', '/w/bad.vmbus');
    assert.match(bad.diagnostics.map((d) => d.message).join('\n'), /unknown statement 'devic'/);
  });

  const skipped: [string, string][] = [
    ['70,000 bytes (over 64 KiB)', HEAD + '# ' + 'c'.repeat(70000) + '\n'],
    ['4,001 lines of statements', HEAD + 'x\n'.repeat(4001)],
    ['4,001 lines of comments', HEAD + '# c\n'.repeat(4001)],
  ];
  for (const [name, text] of skipped) {
    it(`${name}: one info naming the budget, not parsed, no errors`, () => {
      const r = checkForEditor(text, '/w/big.vmbus');
      assert.equal(r.diagnostics.length, 1);
      const [d] = r.diagnostics;
      assert.equal(d.severity, 'info');
      assert.equal(d.code, 'budget.editor-check');
      assert.equal(d.file, '/w/big.vmbus');
      assert.match(d.message, /^not checked as you type: .*over the editor's check budget of 65536 bytes and 4000 lines.*Run Scenario, Debug Scenario and `vmbus-lab run` check it in full/);
      assert.equal(r.stats.statements, 0, 'not lexed');
      assert.equal(r.config, undefined);
    });
  }

  it('over the Run budget (256 KiB): the "too large" error with that limit, unread', () => {
    const r = checkForEditor('x'.repeat(300000), '/w/huge.vmbus');
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0].severity, 'error');
    assert.match(r.diagnostics[0].message, /scenario file too large \(300000 bytes; the limit is 262144 bytes\): not parsed/);
    assert.equal(r.stats.statements, 0);
  });

  it('an include over the check budget (bytes or lines) turns the check into the info', async () => {
    for (const inc of ['# ' + 'c'.repeat(70000) + '\n', 'platform {\n' + '  # c\n'.repeat(4001) + '}\n']) {
      const entry = HEAD + 'include "part.vmbus"\n';
      // The reader the editor uses for the check refuses what overCheckBudget names.
      const reader = { read: async () => { const p = overCheckBudget(inc); return p ? { ok: false as const, reason: p } : { ok: true as const, text: inc }; } };
      const files = await loadScenarioFiles('/w/main.vmbus', entry, reader, { workspaceRoot: '/w', budget: EDITOR_CHECK_BUDGET });
      const r = checkForEditor(entry, '/w/main.vmbus', { files, workspaceRoot: '/w' });
      assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.code]), [['info', 'budget.editor-check']]);
    }
  });

  it('includes that together exceed 64 KiB: the info, not an error', async () => {
    const part = '# ' + 'c'.repeat(40000) + '\n';
    const entry = HEAD + 'include "a.vmbus"\ninclude "b.vmbus"\n';
    const files = await loadScenarioFiles('/w/main.vmbus', entry, { read: async () => ({ ok: true, text: part }) }, { workspaceRoot: '/w', budget: EDITOR_CHECK_BUDGET });
    const r = checkForEditor(entry, '/w/main.vmbus', { files, workspaceRoot: '/w' });
    assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.code]), [['info', 'budget.editor-check']]);
    assert.match(r.diagnostics[0].message, /and its includes/);
  });

  it('overCheckBudget counts lines without lexing: 4,000 pass, 4,001 do not', () => {
    assert.equal(overCheckBudget('x\n'.repeat(3999)), undefined);
    assert.match(overCheckBudget('x\n'.repeat(4000)) ?? '', /over 4000 lines/);
    assert.match(overCheckBudget('y'.repeat(65537)) ?? '', /65537 bytes; the editor checks at most 65536/);
    assert.equal(overCheckBudget('y'.repeat(65536)), undefined);
  });
});
