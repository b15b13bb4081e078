// docs/scenario-language.md ("Limits and budgets") lists the limits table of
// src/simulator/scenario/limits.ts: every setting with its range, every numeric fault parameter
// with its range. This keeps the two in step.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAULT_PARAM_RULES, SETTING_LIMITS } from '../../../src/simulator/scenario/limits';

const ROOT = path.resolve(__dirname, '../../../..');
const DOC = fs.readFileSync(path.join(ROOT, 'docs/scenario-language.md'), 'utf8');
const fmt = (n: number) => (n === 0xffffffff ? '0xffffffff' : String(n));

describe('security: the limits table is documented', () => {
  for (const [key, l] of Object.entries(SETTING_LIMITS)) {
    it(`${key}: ${l.min}..${l.max}`, () => {
      const row = DOC.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
      assert.ok(row, `no row for ${key}`);
      assert.ok(row.includes(`${fmt(l.min)}..${fmt(l.max)}`), `${row} lacks ${fmt(l.min)}..${fmt(l.max)}`);
    });
  }
  for (const [id, params] of Object.entries(FAULT_PARAM_RULES)) {
    for (const [name, rule] of Object.entries(params)) {
      if (rule.kind === 'text') continue;
      it(`fault ${id} ${name}=`, () => {
        const row = DOC.split('\n').find((line) => line.startsWith('| `') && line.includes(`${id} ${name}=`));
        assert.ok(row, `no row for ${id} ${name}=`);
        if (rule.kind === 'int' || rule.kind === 'int-or-hex') assert.ok(row.includes(`${fmt(rule.min)}..${fmt(rule.max)}`), `${row} lacks ${fmt(rule.min)}..${fmt(rule.max)}`);
      });
    }
  }
});
