// Foundation suite: the extension installed from the VSIX activates through its contributions
// (opening a .vmbus file), registers its commands, language and VMBus view container.
// It runs first (index.ts orders it), so it can also check that nothing activated the extension
// before a contribution asked for it.
import * as assert from './assert';
import * as vscode from 'vscode';
import { waitFor } from './wait';
import { exists, hostKind, testEnv } from './env';

const EXTENSION_ID = 'vmbus-lab.vmbus-lab';


function fixtureUri(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, 'foundation.vmbus');
}

describe('foundation', () => {
  it('runs inside a real VS Code', () => {
    console.log(`    vscode.version = ${vscode.version}`);
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
  });

  it('runs in the extension host this run is for (web: a web worker, no Node)', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    if (hostKind() === 'web') {
      // The web worker extension host has no `process`; a Node API in the bundle fails here.
      assert.strictEqual(typeof process, 'undefined', 'no Node.js in the web worker extension host');
      assert.strictEqual(vscode.env.uiKind, vscode.UIKind.Web);
      assert.strictEqual(ext.packageJSON.main, undefined, 'the web-only variant has no `main`, so VS Code runs its `browser` entry');
      assert.strictEqual(ext.packageJSON.browser, './dist/web/extension.js');
    } else {
      assert.strictEqual(typeof process?.versions?.node, 'string', 'the Node extension host');
      // The VSIX carries both entries; the Node host runs `main`.
      assert.strictEqual(ext.packageJSON.main, './dist/extension.js');
      assert.strictEqual(ext.packageJSON.browser, './dist/web/extension.js');
    }
  });

  it('is the copy installed from the VSIX, not the source tree', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    const extensionsDir = testEnv('VMBUS_TEST_EXTENSIONS_DIR');
    assert.ok(extensionsDir, 'VMBUS_TEST_EXTENSIONS_DIR is set by test/runIntegration.mjs');
    // (the runner passes the folder with symbolic links resolved, as VS Code reports it)
    assert.ok(ext.extensionUri.path.startsWith(extensionsDir.replace(/\/+$/, '') + '/'), `${ext.extensionUri.path} lies inside the fresh extensions folder ${extensionsDir}`);
    // The VSIX is an allow-list: both bundles, no sources, no node_modules.
    const inExt = (...p: string[]) => exists(vscode.Uri.joinPath(ext.extensionUri, ...p));
    assert.ok(await inExt('dist', 'extension.js'), 'dist/extension.js is packaged');
    assert.ok(await inExt('dist', 'web', 'extension.js'), 'dist/web/extension.js is packaged');
    assert.ok(!(await inExt('src')), 'src/ is not packaged');
    assert.ok(!(await inExt('node_modules')), 'node_modules/ is not packaged');
    assert.strictEqual(ext.packageJSON.name, 'vmbus-lab');
  });

  it('is not active before a contribution asks for it', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.strictEqual(ext.isActive, false, 'nothing activated the extension at start-up (no "*" / onStartupFinished)');
  });

  it('knows the vmbus language and activates when a .vmbus file is opened', async () => {
    const languages = await vscode.languages.getLanguages();
    assert.ok(languages.includes('vmbus'), `'vmbus' is among ${languages.length} known languages`);
    const doc = await vscode.workspace.openTextDocument(fixtureUri());
    await vscode.window.showTextDocument(doc);
    assert.strictEqual(doc.languageId, 'vmbus');
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await waitFor('the extension to activate (onLanguage:vmbus)', () => ext.isActive);
    assert.ok(ext.isActive);
    // activate() returns its API; if it threw part-way (e.g. a command registered twice), VS Code
    // still reports the extension active, but without exports.
    assert.ok(ext.exports, 'activate() completed without throwing (it returned its API)');
  });

  it('has every file its manifest references in the installed copy', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const pathLike = /^(\.\/)?[\w.-]+(\/[\w.-]+)*\.(json|svg|png|jpe?g|gif|md|js|css|ttf|woff2?|tmLanguage|plist)$/;
    const refs = new Set<string>();
    const walk = (v: unknown): void => {
      if (typeof v === 'string') { if (pathLike.test(v)) refs.add(v.replace(/^\.\//, '')); }
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk([ext.packageJSON.icon, ext.packageJSON.main, ext.packageJSON.browser, ext.packageJSON.contributes]);
    const missing: string[] = [];
    for (const p of refs) if (!(await exists(vscode.Uri.joinPath(ext.extensionUri, p)))) missing.push(p);
    assert.deepStrictEqual(missing, [], `the VSIX lacks files its manifest references (of ${refs.size}); see .vscodeignore`);
  });

  it('registers every command it contributes', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed: string[] = (ext.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
    for (const id of ['vmbus.openExample', 'vmbus.runScenario', 'vmbus.showTimeline']) {
      assert.ok(contributed.includes(id), `${id} is contributed`);
    }
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepStrictEqual(missing, [], 'every contributed command has a handler after activation');
  });

  it('opens the VMBus view container and its views', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const views: string[] = (ext.packageJSON.contributes?.views?.vmbus ?? []).map((v: { id: string }) => v.id);
    assert.ok(views.includes('vmbus.negotiation'), 'vmbus.negotiation is contributed to the vmbus container');
    const all = new Set(await vscode.commands.getCommands(false));
    assert.ok(all.has('workbench.view.extension.vmbus'), 'the workbench registered the VMBus container');
    for (const id of views) assert.ok(all.has(`${id}.focus`), `the workbench registered view ${id}`);
    await vscode.commands.executeCommand('workbench.view.extension.vmbus');
    await vscode.commands.executeCommand('vmbus.negotiation.focus');
    // The runner also checks the rendered sidebar (VMBus title, Negotiation pane) in the browser.
  });
});
