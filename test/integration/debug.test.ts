// Debug suite: a real vmbus debug session in a real VS Code, on the fallback fixture
// (test/fixtures/debug/fallback.vmbus): the default exception filter stops on the fallback, a
// function breakpoint stops on VERSION_RESPONSE, variables and the console are read through the
// API, step back returns to the previous event, and the SessionHub follows the stopped position.
// Expected values come from the Linux reference: SINT2 vector 0xf3, the paravisor SINT2 proxy bit
// set after the fallback, msgtype 15 = CHANNELMSG_VERSION_RESPONSE.
import * as assert from './assert';
import * as vscode from 'vscode';
import { waitFor } from './wait';
import { programOf } from './env';

const EXTENSION_ID = 'vmbus-lab.vmbus-lab';

/** test/fixtures/debug/NAME, beside the workspace folder, on the workspace's file system. */
function fixture(name: string): vscode.Uri {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri;
  assert.ok(ws, 'the test workspace is open');
  return vscode.Uri.joinPath(ws, '..', 'debug', name);
}

const baseName = (p: string): string => p.split(/[\\/]/).pop() ?? '';

interface Stop {
  reason: string;
  threadId: number;
  description?: string;
}

/** Collects the adapter's 'stopped' events (a tracker sees the DAP traffic of the session). */
class StopWatcher implements vscode.Disposable {
  private stops: Stop[] = [];
  private waiters: ((s: Stop) => void)[] = [];
  private readonly reg: vscode.Disposable;
  terminated = false;

  constructor() {
    this.reg = vscode.debug.registerDebugAdapterTrackerFactory('vmbus', {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (m: { type: string; event?: string; body?: Stop }) => {
          if (m.type === 'event' && m.event === 'stopped' && m.body) {
            const w = this.waiters.shift();
            if (w) w(m.body);
            else this.stops.push(m.body);
          }
          if (m.type === 'event' && m.event === 'terminated') this.terminated = true;
        },
      }),
    });
  }

  next(timeoutMs = 20_000): Promise<Stop> {
    const s = this.stops.shift();
    if (s) return Promise.resolve(s);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no 'stopped' event within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  }

  dispose(): void {
    this.reg.dispose();
  }
}


async function topFrame(s: vscode.DebugSession, threadId: number): Promise<{ id: number; name: string; line: number; source?: { path?: string } }> {
  const st = await s.customRequest('stackTrace', { threadId, startFrame: 0, levels: 20 });
  return st.stackFrames[0];
}

async function scopeVars(s: vscode.DebugSession, frameId: number, scope: string): Promise<Map<string, { value: string; variablesReference: number }>> {
  const sc = await s.customRequest('scopes', { frameId });
  const ref = sc.scopes.find((x: { name: string }) => x.name === scope).variablesReference;
  const vars = await s.customRequest('variables', { variablesReference: ref });
  return new Map(vars.variables.map((v: { name: string; value: string; variablesReference: number }) => [v.name, v]));
}

describe('debug: vmbus debug sessions in VS Code', function () {
  this.timeout(60_000);
  let watcher: StopWatcher;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    watcher = new StopWatcher();
  });

  after(async () => {
    await vscode.debug.stopDebugging();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    watcher?.dispose();
  });

  it('contributes the vmbus debugger and gutter breakpoints for .vmbus files', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const dbg = (ext.packageJSON.contributes.debuggers ?? []).find((d: { type: string }) => d.type === 'vmbus');
    assert.ok(dbg, 'a vmbus debugger is contributed');
    // VS Code adds its own common attributes (debugServer, preLaunchTask, ...) to the schema it keeps.
    const props = Object.keys(dbg.configurationAttributes.launch.properties);
    for (const p of ['program', 'seed', 'design', 'stopOnEntry', 'granularity']) assert.ok(props.includes(p), `launch attribute ${p}`);
    assert.ok((ext.packageJSON.contributes.breakpoints ?? []).some((b: { language: string }) => b.language === 'vmbus'));
  });

  it('stops on the fallback, then at a function breakpoint; variables, console, step back and the hub follow', async () => {
    const program = programOf(fixture('fallback.vmbus'));
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('CHANNELMSG_VERSION_RESPONSE')]);
    const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], {
      type: 'vmbus',
      request: 'launch',
      name: 'fallback (integration test)',
      program,
      stopOnEntry: false,
    });
    assert.ok(started, 'the debug session started');
    await waitFor('an active vmbus debug session', () => vscode.debug.activeDebugSession?.type === 'vmbus');
    const session = vscode.debug.activeDebugSession!;

    // 1. The "Fallback taken" exception filter is on by default.
    const first = await watcher.next();
    assert.strictEqual(first.reason, 'exception');
    let top = await topFrame(session, first.threadId);
    assert.match(top.name, /end connect \(fallback\)/);
    assert.strictEqual(baseName(top.source?.path ?? ''), 'fallback.vmbus');
    assert.strictEqual(top.line, 16, 'shown at `confidential_vmbus no`');
    const info = await session.customRequest('exceptionInfo', { threadId: first.threadId });
    assert.strictEqual(info.exceptionId, 'fallback');

    // 2. Continue to the function breakpoint.
    await session.customRequest('continue', { threadId: first.threadId });
    const bp = await watcher.next();
    assert.strictEqual(bp.reason, 'function breakpoint');
    top = await topFrame(session, bp.threadId);
    assert.match(top.name, /CHANNELMSG_VERSION_RESPONSE host → guest/);
    const msg = await scopeVars(session, top.id, 'Current message');
    assert.strictEqual(msg.get('msgtype')?.value, 'CHANNELMSG_VERSION_RESPONSE (15)');
    const sint = await session.customRequest('evaluate', { expression: 'sint2 vp0 para', context: 'repl', frameId: top.id });
    assert.match(sint.result, /vector=0xf3/);
    assert.match(sint.result, /proxy=true/);
    const pos = (await session.customRequest('vmbus.position')).position as number;

    // 3. The sidebar trees and the timeline follow the stopped position through the SessionHub.
    const api = vscode.extensions.getExtension(EXTENSION_ID)!.exports as { hub: { active?: { session: { position(): number }; driver: string } } };
    assert.strictEqual(api.hub.active?.driver, 'debug');
    assert.strictEqual(api.hub.active?.session.position(), pos);

    // 4. Step back: one protocol event earlier, and the hub follows.
    await session.customRequest('stepBack', { threadId: bp.threadId });
    const back = await watcher.next();
    assert.strictEqual(back.reason, 'step');
    const posBack = (await session.customRequest('vmbus.position')).position as number;
    assert.ok(posBack < pos, `stepped back from #${pos} to #${posBack}`);
    assert.strictEqual(api.hub.active?.session.position(), posBack);
    top = await topFrame(session, back.threadId);
    assert.doesNotMatch(top.name, /VERSION_RESPONSE host → guest/);

    // 5. Forward again lands on the same event as before.
    await session.customRequest('next', { threadId: back.threadId });
    const again = await watcher.next();
    assert.strictEqual((await session.customRequest('vmbus.position')).position, pos);
    assert.match((await topFrame(session, again.threadId)).name, /CHANNELMSG_VERSION_RESPONSE host → guest/);

    await vscode.debug.stopDebugging(session);
    await waitFor('the session to end', () => vscode.debug.activeDebugSession === undefined);
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);

    // 6. After the debug session, its simulation stays on show for the views, driven by the sidebar.
    await waitFor('the hub to hand the simulation to the sidebar', () => api.hub.active?.driver === 'sidebar');
    assert.strictEqual(api.hub.active?.session.position(), pos, 'the views keep the last stopped position');
  });

  it('F5 on the active .vmbus editor works without a launch.json', async () => {
    const doc = await vscode.workspace.openTextDocument(fixture('fallback.vmbus'));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.debug.start');
    await waitFor('an active vmbus debug session', () => vscode.debug.activeDebugSession?.type === 'vmbus');
    const session = vscode.debug.activeDebugSession!;
    assert.strictEqual(session.configuration.program, doc.uri.fsPath);
    const entry = await watcher.next();
    assert.strictEqual(entry.reason, 'entry', 'the resolved configuration stops on entry');
    assert.strictEqual((await topFrame(session, entry.threadId)).line, 4, 'at the scenario line');
    // VS Code focuses the frame of the entry stop (not just the thread), so the Variables view
    // shows the scopes from the first moment.
    const focused = await waitFor('a focused stack frame', () => vscode.debug.activeStackItem, (x) => x instanceof vscode.DebugStackFrame);
    assert.ok(focused instanceof vscode.DebugStackFrame);
    assert.strictEqual(focused.threadId, entry.threadId);
    await vscode.debug.stopDebugging(session);
    await waitFor('the session to end', () => vscode.debug.activeDebugSession === undefined);
  });

  it('"Debug Scenario" on the active .vmbus editor works without a launch.json', async () => {
    const doc = await vscode.workspace.openTextDocument(fixture('two-devices.vmbus'));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('vmbus.debugScenario');
    await waitFor('an active vmbus debug session', () => vscode.debug.activeDebugSession?.type === 'vmbus');
    const session = vscode.debug.activeDebugSession!;
    const entry = await watcher.next();
    assert.strictEqual(entry.reason, 'entry');
    const top = await topFrame(session, entry.threadId);
    assert.strictEqual(baseName(top.source?.path ?? ''), 'two-devices.vmbus');
    const threads = await session.customRequest('threads');
    assert.deepStrictEqual(
      threads.threads.map((t: { name: string }) => t.name),
      ['Guest VP 0', 'Guest VP 1', 'Paravisor (OpenHCL)', 'Hypervisor', 'Host'],
    );
    await vscode.debug.stopDebugging(session);
    await waitFor('the session to end', () => vscode.debug.activeDebugSession === undefined);
  });
});
