/* global URLSearchParams */
// Opens the bundled timeline webview in Chromium (from npm @sparticuz/chromium, see scripts/vscode-host.mjs; playwright-core) inside a harness page
// that stands in for VS Code: same CSP as the panel (default-src 'none', nonce'd scripts), theme
// variables, a stubbed acquireVsCodeApi and a stub host serving a fixture trace. Files are served
// from an intercepted origin, so nothing touches the network.
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureChromium, CHROMIUM_ARGS } from '../../scripts/vscode-host.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ORIGIN = 'https://harness.test';
const NONCE = 'dGVzdC1ub25jZS0xMjM0NTY=';

let bundled = false;
export async function buildHarness() {
  if (bundled) return;
  if (!existsSync(join(root, 'dist/webview/timeline.js'))) throw new Error('dist/webview/timeline.js is missing: run npm run build first');
  mkdirSync(join(root, 'out/webview-harness'), { recursive: true });
  await esbuild.build({
    entryPoints: [join(root, 'test/webview/harness.ts')], outfile: join(root, 'out/webview-harness/harness.js'),
    bundle: true, format: 'iife', platform: 'browser', target: 'es2022', logLevel: 'warning',
  });
  bundled = true;
}

// The page is the panel's own (src/shared/timelineHtml.ts), with the harness's stand-in for
// VS Code and an inline script (which the CSP must block) added to its head.
let timelineHtml;
async function page(query) {
  if (!timelineHtml) {
    const out = join(root, 'out/webview-harness/timelineHtml.mjs');
    await esbuild.build({ entryPoints: [join(root, 'src/shared/timelineHtml.ts')], outfile: out, bundle: true, format: 'esm', platform: 'node', logLevel: 'warning' });
    ({ timelineHtml } = await import(pathToFileURL(out).href));
  }
  return timelineHtml({
    cspSource: ORIGIN,
    nonce: NONCE,
    scriptUri: '/dist/webview/timeline.js',
    styleUris: ['/harness-theme.css', '/dist/webview/codicon.css', '/media/timeline.css'],
    extraHead: `<script nonce="${NONCE}" src="/harness.js?${query}"></script>\n<script>window.__inlineRan = true;</script>`,
    bodyClass: 'vscode-dark',
  });
}

const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.html': 'text/html' };

export async function launch() {
  return chromium.launch({ executablePath: await ensureChromium(), args: CHROMIUM_ARGS });
}

/** A new page showing the harness. query: n (events), vp, pos, autostart, delay. */
export async function openHarness(browser, query = {}, viewport = { width: 1280, height: 640 }) {
  await buildHarness();
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const p = await context.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  p.on('console', (m) => { if (m.type() === 'error' && !/Content Security Policy|Refused to execute/.test(m.text())) errors.push(m.text()); });
  await context.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/' || url.pathname === '/index.html') {
      return route.fulfill({ status: 200, contentType: 'text/html', body: await page(url.searchParams.toString()) });
    }
    const file = url.pathname === '/harness.js' ? join(root, 'out/webview-harness/harness.js')
      : url.pathname === '/harness-theme.css' ? join(root, 'test/webview/harness-theme.css')
      : join(root, url.pathname.replace(/^\/+/, ''));
    if (!file.startsWith(root) || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    const ext = file.slice(file.lastIndexOf('.'));
    return route.fulfill({ status: 200, contentType: TYPES[ext] ?? 'application/octet-stream', body: readFileSync(file) });
  });
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  await p.goto(`${ORIGIN}/?${qs}`);
  return { page: p, context, errors, url: `${ORIGIN}/?${qs}` };
}

export const LAYOUT = { GUTTER_W: 136, RULER_H: 20, PHASE_H: 18, LANE_H: 46 };

/** The real engine (bundled for Node) to produce traces of the example scenarios. */
export async function realEngine() {
  const out = join(root, 'out/webview-harness/realTraces.cjs');
  await esbuild.build({ entryPoints: [join(root, 'test/webview/realTraces.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'es2022', logLevel: 'warning' });
  const { createRequire } = await import('node:module');
  const mod = createRequire(import.meta.url)(out);
  return { runExample: (name, design) => mod.runExample(join(root, 'examples', name), design), openLogFile: (rel) => mod.openLogFile(join(root, rel)) };
}
