// Entry point of the integration tests: VS Code loads this module inside its extension host
// (extensionTestsPath) and calls run(). It runs every out/test/integration/**/*.test.js with mocha.
//
// Interface: mocha's BDD globals (describe/it/before/after…, as in the unit tests) AND the TDD
// globals (suite/test/suiteSetup/setup…) are both defined; use either. Tests run inside the real
// extension host with the real `vscode` API, against the extension installed from the VSIX.
// Environment set by test/runIntegration.mjs: VMBUS_TEST_EXTENSIONS_DIR (the fresh extensions folder),
// VMBUS_TEST_WORKSPACE (the opened folder, test/fixtures/workspace), VMBUS_IT_GREP (optional filter),
// VMBUS_TEST_SCREENSHOT_DONE (file the runner writes once it has taken its screenshot).
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(p));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) found.push(p);
  }
  return found.sort();
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  Mocha.interfaces.tdd(mocha.suite); // suite()/test() as well as describe()/it()
  if (process.env.VMBUS_IT_GREP) mocha.grep(process.env.VMBUS_IT_GREP);
  // foundation.test.js first: it checks that nothing activated the extension before it opens a .vmbus file.
  const files = findTests(__dirname).sort((a, b) => Number(!a.endsWith('foundation.test.js')) - Number(!b.endsWith('foundation.test.js')) || a.localeCompare(b));
  for (const file of files) mocha.addFile(file);

  console.log(`VS Code ${vscode.version} (${vscode.env.appName}, uiKind ${vscode.env.uiKind}), Node ${process.version}`);
  const failures = await new Promise<number>((resolve, reject) => {
    try {
      mocha.run((n) => resolve(n));
    } catch (e) {
      reject(e);
    }
  });

  // Leave the VMBus sidebar open (and the chat side bar closed) for the runner's screenshot.
  for (const command of ['workbench.view.extension.vmbus', 'workbench.action.closeAuxiliaryBar']) {
    try {
      await vscode.commands.executeCommand(command);
    } catch {
      // not essential
    }
  }
  // Ask the runner (test/runIntegration.mjs) for its screenshot while this extension host still
  // runs (after run() settles the host shuts down and the views lose their providers).
  const done = process.env.VMBUS_TEST_SCREENSHOT_DONE;
  if (done) {
    console.log('[vmbus-it] ready-for-screenshot');
    const deadline = Date.now() + 20_000;
    while (!fs.existsSync(done) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }
  if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
}
