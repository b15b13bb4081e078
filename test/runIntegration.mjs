#!/usr/bin/env node
// Integration test runner: builds the VSIX, installs it into a fresh extensions folder and runs the
// mocha suites of out/test/integration (module out/test/integration/index.js, exporting run())
// inside a real VS Code extension host, against that installed copy. Then it runs the same suites a
// second time in the browser (web worker) extension host of the same VS Code server, as VS Code for
// the Web does: on a folder (vscode-remote://) and on a virtual workspace (a read-only file system
// of another scheme), against a web-only variant of the VSIX (`browser`, no `main`), so a Node API
// in the extension fails a test there.
//
//   VMBUS_IT_HOSTS=node,web,virtual   which runs (default: all three; web and virtual share a server)
//   VMBUS_IT_WEB_SUITES=foundation     only the foundation suite in the web worker hosts (a quick check
//                                      that the web-only VSIX activates in a worker without Node); by
//                                      default every suite runs in all three hosts.
//
//   VSCODE_EXECUTABLE=/path/to/code   → desktop VS Code through @vscode/test-electron
//   (unset)                           → the VS Code server from npm code-server, driven by the
//                                       Chromium of npm @sparticuz/chromium with playwright-core
//                                       (set up on first use in .vscode-test/, see scripts/vscode-host.mjs)
//
// Other knobs: VMBUS_IT_TIMEOUT_MS (time limit of one host's test run, default 20 min),
// VMBUS_IT_TOTAL_TIMEOUT_MS (everything incl. first-time host set-up, default 45 min), VMBUS_IT_GREP (passed to mocha's grep), VMBUS_IT_KEEP=1 (keep the
// per-run folder .vscode-test/runs/<id>), VMBUS_IT_SHOTS=DIR (web hosts: a screenshot every 5 s into DIR), CHROMIUM_PATH.
// Exit code: 0 all passed, 1 a test failed, 2 the host could not be set up or started / timed out.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { format } from 'node:util';
import {
  ROOT, CACHE, log, ensureHost, buildVsix, installVsixIntoServer, startServer, freePort, remoteUri, readManifest, NODE24, SERVER_MAIN,
  launchChromium, ensureChromium, onCleanup, runCleanups, pruneRuns, run, serverVsCodeVersion, findInstalled, extensionId, stopping,
} from '../scripts/vscode-host.mjs';

const TEST_TIMEOUT_MS = Number(process.env.VMBUS_IT_TIMEOUT_MS || 20 * 60_000);
const WORKSPACE = join(ROOT, 'test', 'fixtures', 'workspace');
const TESTS_MODULE = join(ROOT, 'out', 'test', 'integration', 'index.js');
const RESULTS = join(ROOT, 'test-results');
const RUNS = join(CACHE, 'runs');

class HostError extends Error {}
const SCREENSHOT_MARKER = '[vmbus-it] ready-for-screenshot';

const WORKBENCH_NOISE = new RegExp('^(' + [
  '\\[AgentHost', '\\[ChatModelSelection\\]', '\\[AccountPolicyGate\\]', '\\[reconnection-grace-time\\]', '\\[Service Worker\\]',
  'Resolving connection token', 'Resolved connection token', 'Creating a socket', 'Updating additional builtin extensions cache',
  'Canceled: Canceled', 'Creation of workbench contribution', 'Timed out waiting for authentication provider',
  'Error: Timed out waiting for authentication provider', '\\[Extension Host\\] \\[vscode-host\\]',
].join('|') + ')');

async function main() {
  const t0 = Date.now();
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  const runDir = join(RUNS, runId);
  mkdirSync(runDir, { recursive: true });
  pruneRuns(RUNS);
  if (!process.env.VMBUS_IT_KEEP) onCleanup(async () => rmSync(runDir, { recursive: true, force: true }));
  mkdirSync(RESULTS, { recursive: true });

  log('compiling tests (tsc -p tsconfig.test.json) …');
  // tsc emits even when it reports type errors; those are `npm run typecheck`'s business, so a
  // failing compile only stops the run when it produced no test module.
  await run('npm', ['run', '--silent', 'compile-tests'], { quiet: true, timeoutMs: 300_000 }).catch((e) => {
    log(`warning: compile-tests reported errors (see npm run typecheck):\n${e.message.split('\n').slice(1, 6).join('\n')}`);
  });
  if (!existsSync(TESTS_MODULE)) throw new HostError(`no test module at ${TESTS_MODULE}`);

  const vsix = await buildVsix(join(runDir, 'vsix')).catch((e) => { throw new HostError(e.message); });
  const extensionsDir = join(runDir, 'extensions');
  const testEnv = {
    VMBUS_TEST_EXTENSIONS_DIR: extensionsDir,
    VMBUS_TEST_RESULTS_DIR: RESULTS,
    VMBUS_TEST_WORKSPACE: WORKSPACE,
    VMBUS_TEST_SCREENSHOT_DONE: join(runDir, 'screenshot-done'),
    ...(process.env.VMBUS_IT_GREP ? { VMBUS_IT_GREP: process.env.VMBUS_IT_GREP } : {}),
  };

  const hosts = new Set((process.env.VMBUS_IT_HOSTS || 'node,web,virtual').split(',').map((h) => h.trim()));
  const codes = [];
  if (hosts.has('node')) {
    let code;
    if (process.env.VSCODE_EXECUTABLE) {
      delete testEnv.VMBUS_TEST_SCREENSHOT_DONE; // no browser to take one
      code = await runDesktop({ vsix, extensionsDir, runDir, testEnv });
    } else code = await runServer({ vsix, extensionsDir, runDir, testEnv });
    log(`Node extension host: ${code === 0 ? 'passed' : `FAILED (exit ${code})`}`);
    codes.push(code);
  }
  const webModes = ['web', 'virtual'].filter((h) => hosts.has(h));
  if (webModes.length) {
    for (const [mode, code] of await runWeb({ runDir, modes: webModes })) {
      log(`web worker extension host (${mode === 'web' ? 'folder' : 'virtual workspace'}): ${code === 0 ? 'passed' : `FAILED (exit ${code})`}`);
      codes.push(code);
    }
  }
  const code = codes.includes(2) ? 2 : codes.some((c) => c !== 0) ? 1 : 0;
  log(`integration tests ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return code;
}

// ---------------------------------------------------------------------------------------------
// The web worker extension host

const VSCE = join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
const DRIVER_ID = 'vmbus-lab-tests.web-driver';

/**
 * The web-only variant of the VSIX: the same files (`vsce ls`), with `main` (and the CLI's `bin`)
 * dropped from package.json, so VS Code runs the `browser` entry in the web worker extension host.
 */
async function buildWebOnlyVsix(outDir) {
  const stage = join(outDir, 'web-variant');
  rmSync(stage, { recursive: true, force: true });
  const files = (await run(process.execPath, [VSCE, 'ls', '--no-dependencies'], { quiet: true, timeoutMs: 120_000 }))
    .split('\n').map((l) => l.trim()).filter((l) => l && existsSync(join(ROOT, l)));
  for (const f of files) { mkdirSync(dirname(join(stage, f)), { recursive: true }); copyFileSync(join(ROOT, f), join(stage, f)); }
  const m = readManifest();
  if (!m.browser) throw new HostError('package.json has no `browser` entry');
  delete m.main; delete m.bin; delete m.scripts; delete m.devDependencies;
  writeFileSync(join(stage, 'package.json'), JSON.stringify(m, null, 2));
  const vsix = join(outDir, `${m.name}-web-only-${m.version}.vsix`);
  await run(process.execPath, [VSCE, 'package', '--no-dependencies', '--out', vsix], { cwd: stage, quiet: true, timeoutMs: 300_000 });
  log(`web-only VSIX variant (no \`main\`): ${vsix}`);
  return vsix;
}

/** The test driver extension (test/web-host/driver.ts + the suites, one browser bundle) as a VSIX. */
async function buildDriverVsix(outDir, env) {
  const stage = join(outDir, 'web-driver');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'dist'), { recursive: true });
  const suites = readdirSync(join(ROOT, 'test', 'integration')).filter((f) => f.endsWith('.test.ts'))
    .sort((a, b) => Number(a !== 'foundation.test.ts') - Number(b !== 'foundation.test.ts') || a.localeCompare(b)); // as index.ts
  const entry = [
    "import { setSuiteLoader } from './test/web-host/driver';",
    "export { activate, deactivate } from './test/web-host/driver';",
    // required (not imported) so they register after the driver has set mocha up
    `setSuiteLoader(() => { ${suites.map((f) => `require('./test/integration/${f.replace(/\.ts$/, '')}');`).join(' ')} });`,
  ].join('\n');
  const esbuild = await import('esbuild');
  await esbuild.build({
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'web-tests-entry.ts', loader: 'ts' },
    outfile: join(stage, 'dist', 'driver.js'), bundle: true, platform: 'browser', format: 'cjs', target: 'es2022',
    external: ['vscode'], define: { VMBUS_WEB_TEST_ENV: JSON.stringify(env) }, logLevel: 'warning',
  }).catch((e) => { throw new HostError(`bundling the web test driver failed: ${e.message}`); });
  const [publisher, name] = DRIVER_ID.split('.');
  writeFileSync(join(stage, 'package.json'), JSON.stringify({
    name, publisher, version: '0.0.1', displayName: 'VMBus Lab web test driver', description: 'Runs the VMBus Lab integration suites in the web worker extension host.',
    license: 'MIT', repository: readManifest().repository, engines: readManifest().engines, browser: './dist/driver.js',
    activationEvents: ['onStartupFinished', 'onFileSystem:vmbusvfs'],
    capabilities: { untrustedWorkspaces: { supported: true }, virtualWorkspaces: true },
  }, null, 2));
  writeFileSync(join(stage, 'README.md'), '# VMBus Lab web test driver\n\nBuilt and installed by test/runIntegration.mjs for one test run.\n');
  copyFileSync(join(ROOT, 'LICENSE'), join(stage, 'LICENSE'));
  const vsix = join(outDir, 'web-driver.vsix');
  await run(process.execPath, [VSCE, 'package', '--no-dependencies', '--out', vsix], { cwd: stage, quiet: true, timeoutMs: 300_000 });
  return vsix;
}

/** Runs the suites in the web worker extension host, once per mode, on one server. Returns [[mode, code]]. */
async function runWeb({ runDir, modes }) {
  await ensureChromium().catch((e) => { throw new HostError(e.message); });
  await ensureHost().catch((e) => { throw new HostError(`could not set up the VS Code server: ${e.message}`); });
  const dir = join(runDir, 'web');
  const extensionsDir = join(dir, 'extensions');
  const serverDataDir = join(dir, 'server-data');
  mkdirSync(extensionsDir, { recursive: true });
  const port = await freePort();
  const env = {
    VMBUS_TEST_HOST: 'web',
    VMBUS_TEST_EXTENSIONS_DIR: realpathSync(extensionsDir),
    VMBUS_TEST_RESULTS_DIR: remoteUri(port, RESULTS),
    VMBUS_TEST_SERVER_ROOT: remoteUri(port, ''),
    VMBUS_TEST_VFS_ROOT: join(ROOT, 'test', 'fixtures'),
    VMBUS_TEST_REPORT_DIR: remoteUri(port, join(dir, 'report')),
    ...(process.env.VMBUS_IT_GREP ? { VMBUS_IT_GREP: process.env.VMBUS_IT_GREP }
      : process.env.VMBUS_IT_WEB_SUITES === 'foundation' ? { VMBUS_IT_GREP: 'foundation ' } : {}),
  };
  log(`web worker extension host: ${env.VMBUS_IT_GREP ? `suites matching ${env.VMBUS_IT_GREP}` : 'every suite'}`);
  const webVsix = await buildWebOnlyVsix(dir).catch((e) => { throw new HostError(`web-only VSIX: ${e.message}`); });
  const driverVsix = await buildDriverVsix(dir, env);
  for (const v of [webVsix, driverVsix]) {
    await run(NODE24, [SERVER_MAIN, '--install-extension', v, '--force', '--extensions-dir', extensionsDir,
      '--server-data-dir', serverDataDir, '--accept-server-license-terms'], { quiet: true, timeoutMs: 120_000 })
      .catch((e) => { throw new HostError(`--install-extension ${v} failed: ${e.message}`); });
  }
  log(`installed the web-only ${extensionId()} and ${DRIVER_ID} into ${extensionsDir}`);
  const serverLog = [];
  const server = await startServer({
    port, serverDataDir, extensionsDir,
    onOutput: (line) => { serverLog.push(line); if (process.env.VMBUS_IT_VERBOSE) console.log(`[server] ${line}`); },
  }).catch((e) => { throw new HostError(e.message); });
  onCleanup(() => server.stop());
  log(`VS Code server on ${server.url} (pid ${server.child.pid}) for the web worker extension host`);
  const browser = await launchChromium().catch((e) => { throw new HostError(`could not launch Chromium: ${e.message}`); });
  onCleanup(() => browser.close());

  const results = [];
  for (const mode of modes) {
    const folder = mode === 'web' ? WORKSPACE : `vmbusvfs://fixtures${WORKSPACE}`;
    // Fresh browser-side state; the clipboard permissions a user grants when VS Code for the Web
    // asks (Copy as hex / JSON and the clipboard reads of the tests need them).
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    // The driver reports through files on the server (the page's console does not see the web
    // worker's): report/started, report/report.txt (mocha's spec lines, printed here as they grow), report/done.
    const reportDir = join(dir, 'report');
    rmSync(reportDir, { recursive: true, force: true });
    mkdirSync(reportDir, { recursive: true });
    let printed = 0;
    const printReport = () => {
      let lines = [];
      try { lines = readFileSync(join(reportDir, 'report.txt'), 'utf8').split('\n'); lines.pop(); } catch { /* not yet */ }
      for (; printed < lines.length; printed++) if (!lines[printed].startsWith('[vmbus-web-it] done')) console.log(lines[printed]);
    };
    let poll;
    let shots = 0;
    let dontSaves = 0;
    const done = new Promise((r) => {
      poll = setInterval(() => {
        printReport();
        // VMBUS_IT_SHOTS=DIR: a screenshot every 5 s, named by how many report lines were printed then.
        // Desktop VS Code refuses save confirmations while extension tests run (it answers "Don't
        // Save"); the served workbench has no such test mode, so the runner answers them the same way.
        void page.locator('.monaco-dialog-box').filter({ hasText: 'Do you want to save the changes' })
          .getByRole('button', { name: "Don't Save" }).click({ timeout: 200 }).then(() => { dontSaves++; }, () => undefined);
        if (process.env.VMBUS_IT_SHOTS && ++shots % 10 === 0) void page.screenshot({ path: join(process.env.VMBUS_IT_SHOTS, `${mode}-${String(shots / 10).padStart(4, '0')}-line${printed}.png`) }).catch(() => undefined);
        try { r(Number(readFileSync(join(reportDir, 'done'), 'utf8'))); } catch { /* not yet */ }
      }, 500);
    });
    if (process.env.VMBUS_IT_VERBOSE) page.on('console', (msg) => console.log(`[page] ${msg.text()}`));
    page.on('pageerror', (e) => { if (process.env.VMBUS_IT_VERBOSE) console.error(`[page] ${e.message}`); });
    const payload = [['skipWelcome', 'true']];
    const url = `${server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    log(`web worker extension host on ${mode === 'web' ? `the folder ${remoteUri(port, WORKSPACE)}` : `the virtual workspace ${folder}`} (limit ${TEST_TIMEOUT_MS / 1000} s) …`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 }).catch((e) => { throw new HostError(`could not load the workbench: ${e.message}`); });
    let timer;
    const timedOut = new Promise((r) => { timer = setTimeout(() => r('timeout'), TEST_TIMEOUT_MS); });
    const outcome = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    clearInterval(poll);
    printReport();
    if (dontSaves) log(`answered "Don't Save" to ${dontSaves} save confirmation(s) (as desktop VS Code does in extension tests)`);
    const sawDriver = existsSync(join(reportDir, 'started'));
    if (stopping()) await new Promise(() => {});
    const sidebar = await openVmbusSidebar(page).catch(() => ({ title: '', hasNegotiation: false }));
    const shot = join(RESULTS, `integration-workbench-${mode}.png`);
    await page.screenshot({ path: shot }).catch(() => undefined);
    log(`screenshot: ${shot} (sidebar: "${sidebar.title}", Negotiation view ${sidebar.hasNegotiation ? 'shown' : 'NOT shown'})`);
    await context.close();
    if (outcome === 'timeout') {
      console.error(serverLog.slice(-40).join('\n'));
      if (!sawDriver) console.error('[runIntegration] the web test driver never reported: did the web worker extension host start it?');
      results.push([mode, 2]);
    } else if (outcome === 0 && !(/vmbus/i.test(sidebar.title) && sidebar.hasNegotiation)) {
      console.error('[runIntegration] the workbench does not show the VMBus sidebar with its Negotiation view');
      results.push([mode, 1]);
    } else results.push([mode, outcome === 0 ? 0 : 1]);
  }
  await server.stop();
  return results;
}

async function runServer({ vsix, extensionsDir, runDir, testEnv }) {
  const tSetup = Date.now();
  // The browser first: a missing Debian library stops the run before the long server set-up.
  await ensureChromium().catch((e) => { throw new HostError(e.message); });
  await ensureHost().catch((e) => { throw new HostError(`could not set up the VS Code server: ${e.message}`); });
  log(`host ready (${((Date.now() - tSetup) / 1000).toFixed(1)} s); VS Code ${serverVsCodeVersion()}`);

  const serverDataDir = join(runDir, 'server-data');
  const installed = await installVsixIntoServer(vsix, extensionsDir, serverDataDir).catch((e) => { throw new HostError(`--install-extension failed: ${e.message}`); });
  log(`installed ${extensionId()} into ${installed}`);

  const port = await freePort();
  const serverLog = [];
  const server = await startServer({
    port, serverDataDir, extensionsDir, env: testEnv,
    onOutput: (line) => { serverLog.push(line); if (process.env.VMBUS_IT_VERBOSE) console.log(`[server] ${line}`); },
  }).catch((e) => { throw new HostError(e.message); });
  onCleanup(() => server.stop());
  log(`VS Code server on ${server.url} (pid ${server.child.pid})`);
  let serverExited = false;
  server.child.once('exit', () => { serverExited = true; });

  const browser = await launchChromium().catch((e) => { throw new HostError(`could not launch Chromium: ${e.message}`); });
  onCleanup(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

  let settle;
  const exited = new Promise((r) => { settle = r; });
  // The screenshot is taken while the extension host still runs: index.ts logs SCREENSHOT_MARKER
  // once the tests are done and the VMBus sidebar is open, then waits for screenshot-done.
  const shot = join(RESULTS, 'integration-workbench.png');
  let sidebar = null;
  const takeScreenshot = async () => {
    try {
      sidebar = await openVmbusSidebar(page);
      await page.screenshot({ path: shot });
      log(`screenshot: ${shot} (sidebar: "${sidebar.title}", Negotiation view ${sidebar.hasNegotiation ? 'shown' : 'NOT shown'})`);
    } catch (e) { log(`no screenshot: ${e.message}`); sidebar ??= { title: '', hasNegotiation: false }; }
  };
  // Console output of the extension host (mocha's reporter) and of the workbench both arrive here;
  // the workbench's own chatter is dropped unless VMBUS_IT_VERBOSE=1.
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = format(...(Array.isArray(args) ? args : [args]));
    if (text.includes(SCREENSHOT_MARKER)) {
      void takeScreenshot().finally(() => { try { writeFileSync(testEnv.VMBUS_TEST_SCREENSHOT_DONE, 'done\n'); } catch { /* run dir gone */ } });
      return;
    }
    if (!process.env.VMBUS_IT_VERBOSE && WORKBENCH_NOISE.test(text)) return;
    if (type === 'error') console.error(text); else console.log(text);
  });
  await page.exposeFunction('codeAutomationExit', (c) => settle(Number(c)));
  page.on('pageerror', (e) => { if (process.env.VMBUS_IT_VERBOSE) console.error(`[page] ${e.message}`); });

  const payload = [
    ['extensionDevelopmentPath', remoteUri(port, installed)],
    ['extensionTestsPath', remoteUri(port, TESTS_MODULE)],
    ['skipWelcome', 'true'],
  ];
  const url = `${server.url}/?folder=${encodeURIComponent(WORKSPACE)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  log(`opening the workbench in Chromium; running the tests (limit ${TEST_TIMEOUT_MS / 1000} s) …`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 }).catch((e) => { throw new HostError(`could not load the workbench: ${e.message}`); });

  let timer;
  const timedOut = new Promise((r) => { timer = setTimeout(() => r('timeout'), TEST_TIMEOUT_MS); });
  const serverDied = new Promise((r) => server.child.once('exit', () => r('server-exit')));
  const outcome = await Promise.race([exited, timedOut, serverDied]);
  clearTimeout(timer);
  if (stopping()) await new Promise(() => {}); // SIGINT/SIGTERM: the signal handler cleans up and exits

  // Fallback when the test module did not ask for the screenshot (e.g. it crashed early).
  if (!sidebar && !serverExited) await takeScreenshot();
  sidebar ??= { title: '', hasNegotiation: false };

  printExtHostErrors(serverDataDir);

  if (outcome === 'timeout') {
    console.error(serverLog.slice(-40).join('\n'));
    throw new HostError(`the tests did not finish within ${TEST_TIMEOUT_MS / 1000} s`);
  }
  if (outcome === 'server-exit') {
    console.error(serverLog.slice(-40).join('\n'));
    throw new HostError('the VS Code server exited while the tests were running');
  }
  if (outcome === 0 && !(/vmbus/i.test(sidebar.title) && sidebar.hasNegotiation)) {
    console.error('[runIntegration] the workbench does not show the VMBus sidebar with its Negotiation view');
    return 1;
  }
  return outcome === 0 ? 0 : 1;
}

/**
 * Prints the [error] entries of the extension host's log (e.g. "Activating extension … failed",
 * with the error), which otherwise only show up in VS Code's Output panel.
 */
function printExtHostErrors(serverDataDir) {
  const logsDir = join(serverDataDir, 'data', 'logs');
  const found = [];
  const visit = (dir) => {
    for (const e of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
      const p = join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (/^(remote)?exthost\.log$/i.test(e.name)) found.push(p);
    }
  };
  visit(logsDir);
  const entries = [];
  for (const file of found) {
    let current = null;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(line)) {
        current = /\[error\]/.test(line) ? [line] : null;
        if (current) entries.push(current);
      } else if (current && line.trim()) current.push(line);
    }
  }
  if (entries.length) {
    console.error(`[runIntegration] errors in the extension host log (${found.map((f) => f.slice(serverDataDir.length + 1)).join(', ')}):`);
    for (const e of entries.slice(0, 20)) console.error(e.slice(0, 12).join('\n'));
  }
}

/**
 * Makes sure the VMBus view container is showing (clicks its activity-bar entry if it is not) and
 * reports what the sidebar shows: { title, hasNegotiation }.
 */
async function openVmbusSidebar(page) {
  const sidebar = page.locator('.part.sidebar');
  const title = async () => (await sidebar.locator('.composite.title').first().textContent({ timeout: 3000 }).catch(() => '')) ?? '';
  if (!/vmbus/i.test(await title())) {
    const item = page.locator('.part.activitybar [aria-label^="VMBus"], .part.activitybar [aria-label*="VMBus"]').first();
    if (await item.count()) await item.click({ timeout: 5000 }).catch(() => {});
  }
  await page.waitForTimeout(1500);
  const text = (await sidebar.textContent({ timeout: 3000 }).catch(() => '')) ?? '';
  return { title: (await title()).trim(), hasNegotiation: /negotiation/i.test(text) };
}

async function runDesktop({ vsix, extensionsDir, runDir, testEnv }) {
  const exe = process.env.VSCODE_EXECUTABLE;
  log(`using desktop VS Code ${exe} through @vscode/test-electron (no screenshot in this mode)`);
  const te = await import('@vscode/test-electron');
  const [cli, ...cliArgs] = te.resolveCliArgsFromVSCodeExecutablePath(exe, { reuseMachineInstall: true });
  const userDataDir = join(runDir, 'user-data');
  await run(cli, [...cliArgs, '--install-extension', vsix, '--force', `--extensions-dir=${extensionsDir}`, `--user-data-dir=${userDataDir}`], { quiet: true, timeoutMs: 120_000 })
    .catch((e) => { throw new HostError(`--install-extension failed: ${e.message}`); });
  const installed = findInstalled(extensionsDir);
  log(`installed ${extensionId()} into ${installed}`);
  let timer;
  const limit = new Promise((_, rej) => { timer = setTimeout(() => rej(new HostError(`the tests did not finish within ${TEST_TIMEOUT_MS / 1000} s`)), TEST_TIMEOUT_MS); });
  try {
    const code = await Promise.race([te.runTests({
      vscodeExecutablePath: exe,
      extensionDevelopmentPath: installed,
      extensionTestsPath: TESTS_MODULE,
      extensionTestsEnv: testEnv,
      launchArgs: [WORKSPACE, `--extensions-dir=${extensionsDir}`, `--user-data-dir=${userDataDir}`, '--disable-workspace-trust'],
      reuseMachineInstall: true, // our own fresh --extensions-dir/--user-data-dir above
    }).then(() => 0, (e) => { console.error(String(e?.message ?? e)); return 1; }), limit]);
    return code;
  } finally { clearTimeout(timer); }
}

// Hard limit on the whole run, host set-up included (first-time set-up is a few minutes).
const TOTAL_TIMEOUT_MS = Number(process.env.VMBUS_IT_TOTAL_TIMEOUT_MS || 45 * 60_000);
setTimeout(() => {
  console.error(`[runIntegration] overall time limit of ${TOTAL_TIMEOUT_MS / 1000} s reached; stopping`);
  runCleanups().finally(() => process.exit(2));
}, TOTAL_TIMEOUT_MS).unref();

let exitCode = 2;
try {
  exitCode = await main();
} catch (e) {
  if (stopping()) await new Promise(() => {}); // the signal handler exits
  console.error(`[runIntegration] ${e instanceof HostError ? 'host error' : 'error'}: ${e?.stack ?? e}`);
  exitCode = 2;
} finally {
  await runCleanups();
}
process.exit(exitCode);
