// The scenario language in a real VS Code: diagnostics, completion, hover, outline, go to
// definition, formatting, CodeLens and the Run Scenario command, against the installed VSIX.
import * as assert from './assert';
import * as vscode from 'vscode';
import { closeAllEditors, waitFor } from './wait';

const EXTENSION_ID = 'vmbus-lab.vmbus-lab';


function example(name: string): vscode.Uri {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, 'extension installed');
  return vscode.Uri.joinPath(ext.extensionUri, 'examples', name);
}

async function openText(content: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument({ language: 'vmbus', content });
  await vscode.window.showTextDocument(doc);
  return doc;
}

describe('scenario language', () => {
  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
  });

  it('a broken scenario shows the right diagnostic at the right range', async () => {
    const doc = await openText('scenario "broken"\nplatform {\n  isolation sev\n}\ndevice d1 storvscc\n');
    const diags = await waitFor('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(doc.uri);
      return d.length >= 2 ? d : undefined;
    });
    const iso = diags.find((d) => d.message.includes("unknown isolation 'sev'"));
    assert.ok(iso, diags.map((d) => d.message).join('\n'));
    assert.deepStrictEqual([iso.range.start.line, iso.range.start.character, iso.range.end.line, iso.range.end.character], [2, 12, 2, 15]);
    assert.strictEqual(iso.severity, vscode.DiagnosticSeverity.Error);
    const cls = diags.find((d) => d.message.includes("unknown device class 'storvscc'"));
    assert.ok(cls);
    assert.deepStrictEqual([cls.range.start.line, cls.range.start.character, cls.range.end.character], [4, 10, 18]);
    assert.match(cls.message, /did you mean 'storvsc'/);
  });

  it('updates diagnostics as the document is edited', async () => {
    const doc = await openText('platform {\n  isolation sev\n}\n');
    await waitFor('the first diagnostic', () => vscode.languages.getDiagnostics(doc.uri).length === 1);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(1, 12, 1, 15), 'snp');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('the diagnostic to clear', () => vscode.languages.getDiagnostics(doc.uri).length === 0);
  });

  it('warns about confidential external memory without the ring flag, in Linux words', async () => {
    const doc = await openText('platform {\n  isolation snp\n}\nparavisor {\n  confidential_vmbus yes\n}\ndevice d storvsc {\n  hosted_by paravisor\n  flags confidential_external_memory\n}\n');
    const d = await waitFor('the warning', () => vscode.languages.getDiagnostics(doc.uri)[0]);
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(d.message, /the ring buffer isn't encrypted/);
    assert.strictEqual(d.range.start.line, 8);
  });

  for (const name of ['confidential-snp-openhcl.vmbus', 'mixed-confidential.vmbus', 'fallback-probe.vmbus', 'hostile-host.vmbus']) {
    it(`opening examples/${name} shows no diagnostics`, async () => {
      const doc = await vscode.workspace.openTextDocument(example(name));
      await vscode.window.showTextDocument(doc);
      assert.strictEqual(doc.languageId, 'vmbus');
      // Give the (debounced) checker time to publish; a broken file gets its diagnostics well within this.
      await new Promise((r) => setTimeout(r, 800));
      assert.deepStrictEqual(vscode.languages.getDiagnostics(doc.uri).map((d) => d.message), []);
      const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
      assert.ok(symbols && symbols.some((s) => s.kind === vscode.SymbolKind.Class), 'the outline lists devices');
    });
  }

  it('completion offers device classes with their GUIDs', async () => {
    const doc = await openText('device disk0 \n');
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(0, 13));
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const c of ['storvsc', 'netvsc', 'hv_sock']) assert.ok(labels.includes(c), `${c} in ${labels.join(', ')}`);
    const storvsc = list.items.find((i) => i.label === 'storvsc')!;
    assert.match(String(storvsc.detail), /ba6163d9-04a1-4d29-b605-72e2ffb1dc7f/);
  });

  it('hover explains a flag with its value', async () => {
    const doc = await openText('device d storvsc {\n  flags confidential_ring_buffer\n}\n');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(1, 12));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))).join('\n');
    assert.match(text, /0x0002/);
  });

  it('shows the Run / Debug CodeLens above the scenario', async () => {
    const uri = example('confidential-snp-openhcl.vmbus');
    const doc = await vscode.workspace.openTextDocument(uri);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    const cmds = lenses.map((l) => l.command?.command);
    assert.ok(cmds.includes('vmbus.runScenario'), String(cmds));
    assert.ok(cmds.includes('vmbus.debugScenario'), String(cmds));
    const line = doc.getText().split('\n').findIndex((l) => l.startsWith('scenario '));
    assert.ok(lenses.every((l) => l.range.start.line === line));
  });

  it('goes to the included file', async () => {
    const doc = await vscode.workspace.openTextDocument(example('confidential-snp-openhcl.vmbus'));
    const line = doc.getText().split('\n').findIndex((l) => l.startsWith('include '));
    const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', doc.uri, new vscode.Position(line, 12));
    const target = defs.map((d) => ('uri' in d ? d.uri : d.targetUri))[0];
    assert.ok(target && target.path.endsWith('/examples/shared/openhcl-snp.vmbus'), String(target));
  });

  it('formats to the canonical layout', async () => {
    const doc = await openText('platform{\n      isolation    snp\n}\n');
    const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>('vscode.executeFormatDocumentProvider', doc.uri, { tabSize: 2, insertSpaces: true });
    assert.ok(edits.length > 0);
    // VS Code may split our one whole-document edit into minimal ones: apply them and compare.
    const we = new vscode.WorkspaceEdit();
    we.set(doc.uri, edits);
    assert.ok(await vscode.workspace.applyEdit(we));
    assert.strictEqual(doc.getText(), 'platform {\n  isolation snp\n}\n');
  });

  it('Run Scenario runs an example green and publishes the session', async () => {
    const result = await vscode.commands.executeCommand<{ ok: boolean; events: number; failed: number }>('vmbus.runScenario', example('plain-vm.vmbus'));
    assert.ok(result, 'the command returns its result');
    assert.strictEqual(result.ok, true);
    assert.ok(result.events > 10, `the run of the picked example has events: ${JSON.stringify(result)}`);
    const api = vscode.extensions.getExtension<{ hub: { active?: { driver: string } } }>(EXTENSION_ID)!.exports;
    assert.strictEqual(api.hub.active?.driver, 'run');
  });

  it('Run Scenario with no .vmbus editor open (the sidebar welcome button) asks which scenario, then runs it', async () => {
    await closeAllEditors();
    // (The Output panel the previous run showed stays open; in the web workbench its editor is one of
    // the visible text editors, so this waits for no .vmbus editor, which is what the command looks at.)
    await waitFor('no .vmbus editor', () => !vscode.window.visibleTextEditors.some((e) => e.document.languageId === 'vmbus'));
    let settled = false;
    const running = Promise.resolve(vscode.commands.executeCommand<{ ok: boolean; events: number } | undefined>('vmbus.runScenario'))
      .finally(() => { settled = true; });
    // A quick pick of the scenarios is open now: the workspace's own file comes first, then the
    // bundled examples. Move to the first example and accept it (as Down, Enter would).
    // (Down does nothing until the quick pick shows, so both are repeated until the run settles.)
    await waitFor('the picked scenario to run', async () => {
      if (!settled) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
      if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      return settled;
    });
    const result = await running;
    assert.ok(result, 'a scenario was picked and run (not just a message)');
    assert.ok(result.events > 10);
  });
});
