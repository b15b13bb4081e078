// One build script for every bundle: the extension for the Node extension host (`main`, CJS,
// vscode external), the same extension for the web worker extension host of VS Code for the Web
// (`browser`: platform browser, so importing a Node module fails this build), the CLI (Node,
// executable) and the webview (browser IIFE). Minified; source maps are written beside the
// bundles for debugging but never packaged (.vscodeignore lists only the .js files).
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const watch = process.argv.includes('--watch');
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const common = { bundle: true, minify: true, sourcemap: true, logLevel: 'info', target: 'es2022', legalComments: 'none' };

// @vscode/debugadapter (the inline debug adapter) loads events, url, fs, path and net at start-up;
// in the web bundle, and only for that package, they resolve to src/web/debugAdapterShims.ts.
const SHIMS = resolve('src/web/debugAdapterShims.ts');
const debugAdapterShims = {
  name: 'debugadapter-web-shims',
  setup(build) {
    build.onResolve({ filter: /^(events|url|fs|path|net)$/ }, (args) =>
      /[\\/]node_modules[\\/]@vscode[\\/]debugadapter[\\/]/.test(args.importer) ? { path: args.path, namespace: 'web-shim' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'web-shim' }, (args) => ({
      resolveDir: process.cwd(),
      loader: 'js',
      contents: args.path === 'events' ? `const s = require(${JSON.stringify(SHIMS)}); module.exports = s.EventEmitter; module.exports.EventEmitter = s.EventEmitter;`
        : args.path === 'url' ? `module.exports = { URL: require(${JSON.stringify(SHIMS)}).URL };`
        : `module.exports = require(${JSON.stringify(SHIMS)}).unavailable(${JSON.stringify(args.path)});`,
    }));
  },
};

const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'] },
  {
    ...common, entryPoints: ['src/web/extension.ts'], outfile: 'dist/web/extension.js', platform: 'browser', format: 'cjs', external: ['vscode'],
    mainFields: ['browser', 'module', 'main'], plugins: [debugAdapterShims],
  },
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
