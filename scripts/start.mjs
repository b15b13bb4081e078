#!/usr/bin/env node
// `npm start`: builds the VSIX, installs it into the VS Code server that the integration tests use
// (set up on first use in .vscode-test/, see scripts/vscode-host.mjs), opens examples/ in it and
// prints the URL to open in a browser, and how long it took to get there (the first start includes
// the set-up, later ones reuse the cache). Listens on 127.0.0.1 only. Ctrl-C stops it.
//
//   PORT=8080 npm start      fixed port (default: a free one)
//   VMBUS_START_FOLDER=path  folder to open (default: examples/)
// Settings and state of this instance persist in .vscode-test/start/.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ROOT, CACHE, log, ensureHost, buildVsix, installVsixIntoServer, startServer, freePort, onCleanup,
  serverVsCodeVersion, extensionId, setSignalExitCode,
} from './vscode-host.mjs';

setSignalExitCode(0); // Ctrl-C is the normal way to stop
const t0 = Date.now();

const home = join(CACHE, 'start');
const folder = resolve(process.env.VMBUS_START_FOLDER || join(ROOT, 'examples'));

try {
  mkdirSync(home, { recursive: true });
  if (!existsSync(folder)) mkdirSync(folder, { recursive: true });
  await ensureHost();
  const vsix = await buildVsix(join(home, 'vsix'));
  const extensionsDir = join(home, 'extensions');
  const serverDataDir = join(home, 'server-data');
  // Start from a clean extensions folder, so exactly this build is installed.
  rmSync(extensionsDir, { recursive: true, force: true });
  const installed = await installVsixIntoServer(vsix, extensionsDir, serverDataDir);
  log(`installed ${extensionId()} into ${installed}`);
  const port = process.env.PORT ? Number(process.env.PORT) : await freePort();
  const server = await startServer({
    port, serverDataDir, extensionsDir,
    onOutput: (line) => { if (process.env.VMBUS_START_VERBOSE) console.log(`[server] ${line}`); },
  });
  let stopping = false;
  onCleanup(async () => { stopping = true; await server.stop(); log('stopped'); });
  const url = `${server.url}/?folder=${encodeURIComponent(folder)}`;
  console.log('');
  console.log(`  VS Code ${serverVsCodeVersion()} with VMBus Lab is running. Open in a browser:`);
  console.log('');
  console.log(`    ${url}`);
  console.log('');
  console.log(`  (listening on 127.0.0.1 only; press Ctrl-C to stop; ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  server.child.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`the VS Code server stopped (${signal ?? `exit ${code}`})`);
    process.exit(1);
  });
} catch (e) {
  console.error(`[start] ${e?.stack ?? e}`);
  process.exit(2);
}
