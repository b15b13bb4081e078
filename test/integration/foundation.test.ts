// Foundation suite: the extension installed from the VSIX activates through its contributions
// (opening a .vmbus file), registers its commands, language and VMBus view container.
// It runs first (index.ts orders it), so it can also check that nothing activated the extension
// before a contribution asked for it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { waitFor } from './wait';

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

  it('is the copy installed from the VSIX, not the source tree', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    const extPath = fs.realpathSync(ext.extensionPath);
    const extensionsDir = process.env.VMBUS_TEST_EXTENSIONS_DIR;
    assert.ok(extensionsDir, 'VMBUS_TEST_EXTENSIONS_DIR is set by test/runIntegration.mjs');
    const dir = fs.realpathSync(extensionsDir);
    assert.ok(extPath.startsWith(dir + path.sep), `${extPath} lies inside the fresh extensions folder ${dir}`);
    // The VSIX is an allow-list: bundles, no sources, no node_modules.
    assert.ok(fs.existsSync(path.join(extPath, 'dist', 'extension.js')), 'dist/extension.js is packaged');
    assert.ok(!fs.existsSync(path.join(extPath, 'src')), 'src/ is not packaged');
    assert.ok(!fs.existsSync(path.join(extPath, 'node_modules')), 'node_modules/ is not packaged');
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

  it('has every file its manifest references in the installed copy', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const pathLike = /^(\.\/)?[\w.-]+(\/[\w.-]+)*\.(json|svg|png|jpe?g|gif|md|js|css|ttf|woff2?|tmLanguage|plist)$/;
    const refs = new Set<string>();
    const walk = (v: unknown): void => {
      if (typeof v === 'string') { if (pathLike.test(v)) refs.add(v.replace(/^\.\//, '')); }
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk([ext.packageJSON.icon, ext.packageJSON.main, ext.packageJSON.contributes]);
    const missing = [...refs].filter((p) => !fs.existsSync(path.join(ext.extensionPath, p)));
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
