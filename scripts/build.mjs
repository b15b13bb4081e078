// One build script for every bundle: the extension host (Node, CJS, vscode external), the CLI
// (Node, executable) and the webview (browser IIFE). Minified; source maps are written beside the
// bundles for debugging but never packaged (.vscodeignore lists only the .js files).
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const common = { bundle: true, minify: true, sourcemap: true, logLevel: 'info', target: 'es2022', legalComments: 'none' };

const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', banner: { js: '#!/usr/bin/env node' }, define: { __VMBUS_LAB_VERSION__: JSON.stringify(version) } },
  // The debug adapter on its own (DAP over stdin/stdout, or --server=PORT), for other DAP clients and tests.
  { ...common, entryPoints: ['src/extension/debug/debugAdapterMain.ts'], outfile: 'dist/debugAdapter.js', platform: 'node', format: 'cjs' },
];
if (existsSync('src/webview/timeline/main.ts')) {
  builds.push({ ...common, entryPoints: ['src/webview/timeline/main.ts'], outfile: 'dist/webview/timeline.js', platform: 'browser', format: 'iife' });
}

mkdirSync('dist', { recursive: true });
// The timeline webview loads codicons from dist/webview (its only local resource root besides media/).
if (existsSync('src/webview/timeline/main.ts')) {
  mkdirSync('dist/webview', { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/webview/${f}`);
}
if (watch) {
  for (const b of builds) { const ctx = await esbuild.context(b); await ctx.watch(); }
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync('dist/cli.js', 0o755);
}
