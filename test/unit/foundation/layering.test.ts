// Layering and manifest guards (plain Node, no VS Code):
// - src/simulator, src/cli and src/webview never import the VS Code API (the simulator also runs
//   in the CLI, in plain-Node tests and, for trace types, in the webview). ESLint's
//   no-restricted-imports rule says the same; this test also catches require()/import() forms.
// - the manifest activates only through contributions and supports untrusted workspaces.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'vmbus-lab') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no vmbus-lab package.json above ${__dirname}`);
    dir = up;
  }
}

const ROOT = repoRoot();
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
// import … from 'vscode' | import 'vscode' | export … from 'vscode' | require('vscode') | import('vscode')
const VSCODE_IMPORT = /(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*|\bimport\s*\(\s*)(['"`])vscode\1/;

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('foundation: layering', () => {
  it('the pattern recognises every form of importing vscode', () => {
    for (const s of ["import * as vscode from 'vscode';", 'import { window } from "vscode";', "import 'vscode';",
      "const v = require('vscode');", "await import('vscode')", "export { Uri } from 'vscode';", 'import type { Uri } from "vscode";']) {
      assert.ok(VSCODE_IMPORT.test(s), s);
    }
    for (const s of ["import * as x from 'vscode-languageserver';", "import { a } from './vscode';", "const s = 'vscode';"]) {
      assert.ok(!VSCODE_IMPORT.test(s), s);
    }
  });

  for (const layer of ['src/simulator', 'src/cli', 'src/node', 'src/webview']) {
    it(`${layer} never imports vscode`, () => {
      const offenders = sourceFiles(path.join(ROOT, layer))
        .filter((f) => VSCODE_IMPORT.test(stripComments(fs.readFileSync(f, 'utf8'))))
        .map((f) => path.relative(ROOT, f));
      assert.deepStrictEqual(offenders, [], `${layer} must not use the VS Code API`);
    });
  }
});

describe('foundation: manifest', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

  it('activates only through contributions (no "*")', () => {
    const events: string[] = manifest.activationEvents ?? [];
    assert.ok(!events.includes('*'), `activationEvents: ${JSON.stringify(events)}`);
  });

  it('supports untrusted workspaces', () => {
    assert.strictEqual(manifest.capabilities?.untrustedWorkspaces?.supported, true);
  });

  it('targets VS Code ^1.90.0 with @types/vscode pinned to 1.90.0', () => {
    assert.strictEqual(manifest.engines?.vscode, '^1.90.0');
    assert.strictEqual(manifest.devDependencies?.['@types/vscode'], '1.90.0');
  });

  it('ships a bundle and has no runtime dependencies', () => {
    assert.strictEqual(manifest.main, './dist/extension.js');
    assert.deepStrictEqual(Object.keys(manifest.dependencies ?? {}), []);
  });

  it('contributes the VMBus activity-bar container and the vmbus language', () => {
    const containers: { id: string }[] = manifest.contributes?.viewsContainers?.activitybar ?? [];
    assert.ok(containers.some((c) => c.id === 'vmbus'));
    const langs: { id: string; extensions?: string[] }[] = manifest.contributes?.languages ?? [];
    assert.ok(langs.some((l) => l.id === 'vmbus' && l.extensions?.includes('.vmbus')));
  });

  it('.vscodeignore is an allow-list', () => {
    const lines = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    assert.strictEqual(lines[0], '**', 'first rule excludes everything');
    assert.ok(lines.slice(1).every((l) => l.startsWith('!')), 'later rules only re-include');
  });

  it('README.md has no relative links (vsce refuses them without a repository it can resolve)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    // Markdown links and images whose target is neither absolute (scheme:) nor an in-page anchor.
    const relative = [...readme.matchAll(/!?\[[^\]]*\]\(([^)\s]+)[^)]*\)/g)]
      .map((m) => m[1])
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'));
    assert.deepStrictEqual(relative, []);
  });
});
