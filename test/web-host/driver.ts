// The web test driver: a web-only extension (package.json with `browser`, no `main`) that
// test/runIntegration.mjs bundles together with the integration suites and installs beside the
// web-only VMBus Lab VSIX variant. In the web worker extension host it
//   - serves the virtual workspace: scheme vmbusvfs, a read-only mirror of test/fixtures/ on the
//     VS Code server (a workspace that is neither file: nor vscode-remote:, as github.dev's is not);
//   - runs the suites with mocha's browser build once the workbench has started, and reports
//     through files on the server (vscode.workspace.fs on VMBUS_TEST_REPORT_DIR, a vscode-remote
//     URI): `started` on activation, `report.txt` (the spec reporter's lines, rewritten as they come)
//     and `done` (the number of failures) at the end. The page's console does not see a web worker's.
// Values from the runner come in VMBUS_WEB_TEST_ENV (esbuild define), read through ../integration/env.
import * as vscode from 'vscode';
import { testEnv } from '../integration/env';

interface BrowserMocha {
  setup(opts: { ui: string; reporter: unknown; timeout: number; color?: boolean; grep?: string }): void;
  run(done: (failures: number) => void): void;
  suite: { emit(event: string, ...args: unknown[]): void };
}

/** The suites, `require`d by the bundle's entry (test/runIntegration.mjs writes it) once mocha is set up. */
let loadSuites: () => void = () => undefined;
export function setSuiteLoader(load: () => void): void { loadSuites = load; }

/** mocha's browser build, set up with both interfaces (describe/it and suite/test, as index.ts offers) on globalThis. */
function setupMocha(): BrowserMocha {
  // The browser build puts Mocha and mocha on `global` if there is one, else on self.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('mocha/mocha.js');
  type Holder = { mocha?: BrowserMocha; Mocha?: { interfaces: { tdd(suite: unknown): void } }; global?: Holder };
  const g = globalThis as unknown as Holder;
  const holder = g.mocha ? g : g.global?.mocha ? g.global : undefined;
  if (!holder?.mocha || !holder.Mocha) throw new Error('mocha/mocha.js did not define mocha');
  const mocha = holder.mocha;
  holder.Mocha.interfaces.tdd(mocha.suite); // suite/test; setup() below binds describe/it as well
  mocha.setup({ ui: 'bdd', reporter: SpecLikeReporter, timeout: 30_000, color: false, ...(testEnv('VMBUS_IT_GREP') ? { grep: testEnv('VMBUS_IT_GREP') } : {}) });
  mocha.suite.emit('pre-require', globalThis, null, mocha); // the globals on this worker's globalThis
  return mocha;
}

export const VFS_SCHEME = 'vmbusvfs';

/** vmbusvfs://fixtures/<path> ↔ <server root URI>/<path>, for paths under the mirrored folder only. */
class MirrorFileSystem implements vscode.FileSystemProvider {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;

  constructor(private readonly server: vscode.Uri, private readonly root: string) {}

  private target(uri: vscode.Uri): vscode.Uri {
    const inside = uri.path === this.root || uri.path.startsWith(this.root.replace(/\/$/, '') + '/');
    if (!inside) throw vscode.FileSystemError.FileNotFound(uri);
    return this.server.with({ path: uri.path });
  }

  private async call<T>(uri: vscode.Uri, f: (u: vscode.Uri) => Thenable<T>): Promise<T> {
    try {
      return await f(this.target(uri));
    } catch (e) {
      if (e instanceof vscode.FileSystemError) throw vscode.FileSystemError.FileNotFound(uri);
      throw e;
    }
  }

  watch(): vscode.Disposable { return new vscode.Disposable(() => undefined); }
  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const s = await this.call(uri, (u) => vscode.workspace.fs.stat(u));
    return { ...s, permissions: vscode.FilePermission.Readonly };
  }
  readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> { return this.call(uri, (u) => vscode.workspace.fs.readDirectory(u)); }
  readFile(uri: vscode.Uri): Promise<Uint8Array> { return this.call(uri, (u) => vscode.workspace.fs.readFile(u)); }
  createDirectory(uri: vscode.Uri): never { throw vscode.FileSystemError.NoPermissions(uri); }
  writeFile(uri: vscode.Uri): never { throw vscode.FileSystemError.NoPermissions(uri); }
  delete(uri: vscode.Uri): never { throw vscode.FileSystemError.NoPermissions(uri); }
  rename(uri: vscode.Uri): never { throw vscode.FileSystemError.NoPermissions(uri); }
}

let started = false;
const reportLines: string[] = [];

function reportDir(): vscode.Uri | undefined {
  const d = testEnv('VMBUS_TEST_REPORT_DIR');
  return d ? vscode.Uri.parse(d) : undefined;
}

async function writeReport(name: string, text: string): Promise<void> {
  const dir = reportDir();
  if (!dir) return;
  try { await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(dir, name), new TextEncoder().encode(text)); } catch (e) { console.error(`[vmbus-web-it] cannot write ${name}: ${e}`); }
}

// report.txt, rewritten a few times a second while the suites run.
let flushTimer: ReturnType<typeof setTimeout> | undefined;
function report(line: string): void {
  reportLines.push(line);
  flushTimer ??= setTimeout(() => { flushTimer = undefined; void writeReport('report.txt', reportLines.join('\n') + '\n'); }, 300);
}

interface MochaTest { title: string; duration?: number; fullTitle(): string }
interface MochaRunner { on(event: string, f: (...a: never[]) => void): void }

/** The spec reporter's layout, written to report() (the worker's console is not the page's). */
class SpecLikeReporter {
  constructor(runner: MochaRunner) {
    let depth = 0;
    let passes = 0;
    let pending = 0;
    const failures: { test: MochaTest; err: Error }[] = [];
    const pad = () => '  '.repeat(depth);
    runner.on('suite', (s: { title: string }) => { if (s.title) report(`${pad()}${s.title}`); depth++; });
    runner.on('suite end', () => { depth--; });
    runner.on('pass', (t: MochaTest) => { passes++; report(`${pad()}✔ ${t.title}${t.duration && t.duration > 75 ? ` (${t.duration}ms)` : ''}`); });
    runner.on('pending', (t: MochaTest) => { pending++; report(`${pad()}- ${t.title}`); });
    runner.on('fail', (t: MochaTest, err: Error) => { failures.push({ test: t, err }); report(`${pad()}${failures.length}) ${t.title}`); });
    runner.on('end', () => {
      report('');
      report(`  ${passes} passing`);
      if (pending) report(`  ${pending} pending`);
      if (failures.length) report(`  ${failures.length} failing`);
      failures.forEach(({ test, err }, i) => report(`\n  ${i + 1}) ${test.fullTitle()}:\n     ${err?.stack ?? err}`));
    });
  }
}

export function activate(context: vscode.ExtensionContext): void {
  const server = testEnv('VMBUS_TEST_SERVER_ROOT');
  const mirrored = testEnv('VMBUS_TEST_VFS_ROOT');
  if (server && mirrored) {
    context.subscriptions.push(vscode.workspace.registerFileSystemProvider(VFS_SCHEME, new MirrorFileSystem(vscode.Uri.parse(server), mirrored), { isCaseSensitive: true, isReadonly: true }));
  }
  if (started) return;
  started = true;
  void writeReport('started', `${vscode.env.uiKind} ${typeof process}\n`);
  // Activated by onFileSystem before the workbench has restored: let it settle first.
  setTimeout(() => void runSuites(), 1000);
}

async function runSuites(): Promise<void> {
  report(`[vmbus-web-it] VS Code ${vscode.version} (uiKind ${vscode.env.uiKind}), workspace ${vscode.workspace.workspaceFolders?.[0]?.uri.toString()}, typeof process: ${typeof process}`);
  let failures = -1;
  try {
    const mocha = setupMocha();
    loadSuites();
    failures = await new Promise<number>((resolve) => mocha.run(resolve));
  } catch (e) {
    report(`[vmbus-web-it] the suites could not run: ${(e as Error)?.stack ?? e}`);
  }
  // Leave the VMBus sidebar open for the runner's screenshot, as index.ts does in the Node host.
  for (const command of ['workbench.view.extension.vmbus', 'workbench.action.closeAuxiliaryBar']) {
    await vscode.commands.executeCommand(command).then(undefined, () => undefined);
  }
  await writeReport('report.txt', reportLines.join('\n') + '\n');
  await writeReport('done', `${failures}\n`);
}

export function deactivate(): void {
  // nothing to release
}
