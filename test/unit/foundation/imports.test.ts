// scripts/check-imports.mjs (run by `npm run lint`): no import cycles, model/ never imports
// engine/, extension/ and cli/ import the simulator only through src/simulator/index.ts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '../../../..');
const SCRIPT = path.join(ROOT, 'scripts/check-imports.mjs');

function check(root?: string): { status: number | null; out: string } {
  const env = { ...process.env };
  if (root) env.VMBUS_CHECK_IMPORTS_ROOT = root; else delete env.VMBUS_CHECK_IMPORTS_ROOT;
  const r = spawnSync(process.execPath, [SCRIPT], { env, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-imports-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

describe('foundation: import rules (scripts/check-imports.mjs)', () => {
  it('the repository holds them', () => {
    const r = check();
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /no import cycles, layering holds/);
  });

  it('reports a cycle through a type-only import, model → engine, and a deep import from the CLI', () => {
    const dir = tree({
      'src/simulator/index.ts': "export { a } from './model/a';\n",
      'src/simulator/model/a.ts': "import { b } from '../engine/b';\nexport const a = b;\n",
      'src/simulator/engine/b.ts': 'export const b = 1;\n',
      'src/simulator/model/guest/x.ts': "import type { Y } from './y';\nexport interface X { y?: Y }\n",
      'src/simulator/model/guest/y.ts': "import type { X } from './x';\nexport interface Y { x?: X }\n",
      'src/cli/main.ts': "import { a } from '../simulator/model/a';\nimport { a as ok } from '../simulator';\nexport const m = a + ok;\n",
    });
    try {
      const r = check(dir);
      assert.equal(r.status, 1);
      const lines = r.out.trim().split('\n');
      assert.ok(lines.includes('import cycle: src/simulator/model/guest/x.ts <-> src/simulator/model/guest/y.ts'), r.out);
      assert.ok(lines.includes('src/simulator/model/a.ts imports src/simulator/engine/b.ts: model/ must not import engine/'), r.out);
      assert.ok(lines.includes('src/cli/main.ts imports src/simulator/model/a.ts: extension/ and cli/ import the simulator through src/simulator/index.ts'), r.out);
      assert.equal(lines.filter((l) => l.includes('src/cli/main.ts')).length, 1, 'the import through index.ts is fine');
      assert.match(lines[lines.length - 1], /^check-imports: 3 problem\(s\) in 6 files$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
