// Test harness: runs the VMBus debug adapter in this process behind a socket server and drives it
// with @vscode/debugadapter-testsupport's DebugClient (the same DAP traffic VS Code sends).
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { VmbusDebugSession, type DebugHost } from '../../../src/extension/debug/adapter';
import { nodeDebugHost } from '../../../src/node/debugHost';

export const ROOT = path.resolve(__dirname, '../../../..');
export const FIXTURES = path.join(ROOT, 'test/fixtures/debug');
export const fixture = (name: string): string => path.join(FIXTURES, name);

export interface Harness {
  dc: DebugClient;
  adapters: VmbusDebugSession[];
  moves: number;
  stop(): Promise<void>;
}

export async function startAdapter(extra: Partial<DebugHost> = {}): Promise<Harness> {
  const adapters: VmbusDebugSession[] = [];
  const h: Partial<Harness> = { adapters, moves: 0 };
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const session = new VmbusDebugSession({
      ...nodeDebugHost,
      readFile: (f) => fs.promises.readFile(f, 'utf8'),
      sessionMoved: () => {
        h.moves = (h.moves ?? 0) + 1;
      },
      ...extra,
    });
    session.setRunAsServer(true);
    session.start(socket, socket);
    adapters.push(session);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  const dc = new DebugClient('node', 'unused', 'vmbus');
  await dc.start(port);
  h.dc = dc;
  h.stop = async () => {
    try {
      await dc.stop();
    } catch {
      // already gone
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return h as Harness;
}

export interface LaunchOptions {
  program: string;
  stopOnEntry?: boolean;
  exceptionFilters?: string[];
  functionBreakpoints?: DebugProtocol.FunctionBreakpoint[];
  lineBreakpoints?: DebugProtocol.SourceBreakpoint[];
  [key: string]: unknown;
}

/** initialize → breakpoints → configurationDone → launch, and the first stop. */
export async function launch(dc: DebugClient, opts: LaunchOptions): Promise<DebugProtocol.StoppedEvent> {
  const { exceptionFilters, functionBreakpoints, lineBreakpoints, ...args } = opts;
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  const configured = dc.waitForEvent('initialized').then(async () => {
    if (lineBreakpoints) await dc.setBreakpointsRequest({ source: { path: opts.program }, breakpoints: lineBreakpoints });
    if (functionBreakpoints) await dc.setFunctionBreakpointsRequest({ breakpoints: functionBreakpoints });
    await dc.setExceptionBreakpointsRequest({ filters: exceptionFilters ?? [] });
    await dc.configurationDoneRequest();
  });
  await Promise.all([configured, dc.launch(args)]);
  return stopped;
}

/** Send a request and wait for the stop it causes. */
export async function stopAfter(dc: DebugClient, req: () => Promise<unknown>, timeoutMs = 10000): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await req();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no 'stopped' event within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([stopped, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function topFrame(dc: DebugClient, threadId: number): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId });
  return st.body.stackFrames[0];
}

export async function frames(dc: DebugClient, threadId: number): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId })).body.stackFrames;
}

/** Variables of one scope as name → variable, at the top frame of the stopped thread. */
export async function scope(dc: DebugClient, threadId: number, name: string): Promise<Map<string, DebugProtocol.Variable>> {
  const f = await topFrame(dc, threadId);
  const scopes = await dc.scopesRequest({ frameId: f.id });
  const s = scopes.body.scopes.find((x) => x.name === name);
  if (!s) throw new Error(`no scope ${name}; have ${scopes.body.scopes.map((x) => x.name).join(', ')}`);
  return children(dc, s.variablesReference);
}

export async function children(dc: DebugClient, ref: number): Promise<Map<string, DebugProtocol.Variable>> {
  const vars = await dc.variablesRequest({ variablesReference: ref });
  return new Map(vars.body.variables.map((v) => [v.name, v]));
}

/** Walk a path of names from a scope: ['VP 0', 'SINTs', 'SINT2'] etc. */
export async function walk(dc: DebugClient, threadId: number, scopeName: string, names: string[]): Promise<Map<string, DebugProtocol.Variable>> {
  let m = await scope(dc, threadId, scopeName);
  for (const n of names) {
    const v = m.get(n);
    if (!v) throw new Error(`no variable ${n} in ${scopeName}/${names.join('/')}; have ${[...m.keys()].join(', ')}`);
    m = await children(dc, v.variablesReference);
  }
  return m;
}

/** Everything visible in all scopes (two levels deep), for exact state comparisons. */
export async function snapshot(dc: DebugClient, threadId: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const f = await topFrame(dc, threadId);
  out['#frame'] = `${f.name} @${f.line}`;
  const scopes = await dc.scopesRequest({ frameId: f.id });
  for (const s of scopes.body.scopes) {
    const top = await children(dc, s.variablesReference);
    for (const [k, v] of top) {
      out[`${s.name}/${k}`] = v.value;
      if (v.variablesReference) {
        for (const [k2, v2] of await children(dc, v.variablesReference)) out[`${s.name}/${k}/${k2}`] = v2.value;
      }
    }
  }
  return out;
}

export async function evaluate(dc: DebugClient, expression: string, frameId?: number): Promise<DebugProtocol.EvaluateResponse> {
  return dc.evaluateRequest({ expression, context: 'repl', frameId });
}
