// The VMBus debug adapter: a Debug Adapter Protocol session whose "program" is a .vmbus scenario
// and whose runtime is a simulator session. No VS Code API here, so it runs inline in the
// extension host (DebugAdapterInlineImplementation), as a stand-alone process
// (debugAdapterMain.ts), and inside plain-Node tests.
import {
  BreakpointEvent,
  ErrorDestination,
  Response,
  ExitedEvent,
  Handles,
  InitializedEvent,
  InvalidatedEvent,
  LoggingDebugSession,
  OutputEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  type SessionOptions, type SimulationSession, type SimulationState, type StopInfo, type ScenarioConfig, type SourceRef, type LogEvent, type TraceEvent, createSession, findLastOfKind, parseScenario, loadScenarioFiles, type ScenarioFileReader, yieldToEventLoop, openLog, hasContent,
} from '../../simulator';
import { BreakpointManager, EXCEPTION_FILTERS, classifyException, type ExceptionHit, type StopHit } from './breakpoints';
import { evaluateCommand } from './console';
import { readRegion, resolveMemory } from './memory';
import { LineResolver, buildStack, describeEvent, listThreads, threadOf, vpThread, type FrameInfo } from './threads';
import { SCOPES, parseEdit, scopeNodes, type ScopeName, type VarNode } from './variables';

export interface VmbusLaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** The .vmbus scenario file. */
  program: string;
  /** Override the scenario's seed. */
  seed?: number;
  /** Override the scenario's discovery design. */
  design?: 'probe' | 'cpuid';
  /** Stop before the first event. */
  stopOnEntry?: boolean;
  /** What step over (F10) moves by: a protocol event (default) or a register-level sub-step. */
  granularity?: 'event' | 'substep';
  /** `program` is a real log (trace-cmd / ftrace text or dmesg), stepped through with no engine. Default: any file not ending in .vmbus. */
  log?: boolean;
}

export interface LoadDiagnostic {
  severity: 'error' | 'warning' | 'info';
  message: string;
  range: { line: number; column: number; endLine: number; endColumn: number };
  file: string;
}

export interface LoadResult {
  config?: ScenarioConfig;
  diagnostics: LoadDiagnostic[];
}

/** What the adapter needs from where it runs (extension host, stand-alone process, test). */
export interface DebugHost {
  /** Read the scenario file. */
  readFile(file: string): Promise<string>;
  /**
   * The contained reader for the includes of `program` and the workspace root they must stay in.
   * Without it includes are not read (src/node/debugHost.ts has the Node one, for use outside VS Code).
   */
  includes?(program: string): { reader: ScenarioFileReader; root: string } | undefined;
  /** `program` as given → the name to read (default: as given; Node outside VS Code: resolved against the current directory). */
  resolveProgram?(program: string): string;
  /** Scenario text → config. Default: the scenario language's parser. */
  load?(text: string, file: string, opts: { seed?: number; design?: 'probe' | 'cpuid' }): LoadResult;
  /** Config → session. Default: the engine's createSession. */
  createSession?(config: ScenarioConfig, opts: SessionOptions): SimulationSession;
  /** The adapter has a session (publish it so the views follow). */
  sessionStarted?(session: SimulationSession, program: string, adapter: VmbusDebugSession): void;
  /** The adapter moved the session (step, run, step back, set value). */
  sessionMoved?(session: SimulationSession): void;
  /** The debug session is over. */
  sessionEnded?(session: SimulationSession): void;
  /** Events per slice of a continue (default 5000); between slices a pause request can get in. */
  runChunk?: number;
}

/** The last segment of a path or URI (no node:path: the adapter also runs in VS Code for the Web). */
function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

/** Why launch arguments are unusable, or undefined when they are fine (they come from a launch.json). */
export function launchArgumentsProblem(args: unknown): string | undefined {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return 'the launch arguments must be an object';
  const a = args as Record<string, unknown>;
  if (typeof a.program !== 'string' || a.program.trim() === '') return 'No scenario: set "program" to the path of a .vmbus file (a string).';
  if (a.seed !== undefined && !(typeof a.seed === 'number' && Number.isInteger(a.seed) && a.seed >= 0 && a.seed <= 0xffffffff)) return '"seed" must be a whole number from 0 to 4294967295.';
  if (a.design !== undefined && a.design !== 'probe' && a.design !== 'cpuid') return '"design" must be "probe" or "cpuid".';
  if (a.granularity !== undefined && a.granularity !== 'event' && a.granularity !== 'substep') return '"granularity" must be "event" or "substep".';
  for (const k of ['stopOnEntry', 'noDebug', 'log'] as const) if (a[k] !== undefined && typeof a[k] !== 'boolean') return `"${k}" must be true or false.`;
  return undefined;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Largest DAP message accepted (a launch configuration or a setBreakpoints is a few KiB). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const CONTENT_LENGTH = /Content-Length: *(\d+)/i;
const HEADER_END = new TextEncoder().encode('\r\n\r\n');
const utf8 = new TextDecoder('utf-8');

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Events per chunk of a continue: between chunks the adapter yields so pause can get in. */
const RUN_CHUNK = 5000;

type VarContainer = { kind: 'scope'; scope: ScopeName; path: string[] } | { kind: 'node'; node: VarNode };

interface LastStop {
  reason: string;
  description: string;
  exception?: ExceptionHit;
  event?: TraceEvent;
  /** The scenario line to show for the current event instead of the derived one (scenario stops). */
  source?: SourceRef;
}

function timestamp(ns: number): string {
  const us = Math.floor(ns / 1000);
  const sec = Math.floor(us / 1e6);
  const frac = us % 1e6;
  return `[${String(sec).padStart(5, ' ')}.${String(frac).padStart(6, '0')}] `;
}

export class VmbusDebugSession extends LoggingDebugSession {
  private session: SimulationSession | undefined;
  private config: ScenarioConfig | undefined;
  private program = '';
  private lines: LineResolver | undefined;
  private launchArgs: VmbusLaunchArguments | undefined;
  private readonly bps: BreakpointManager;
  private configurationDone!: Promise<void>;
  private resolveConfigurationDone!: () => void;
  private stateCache: SimulationState | undefined;
  private frames = new Map<number, FrameInfo>();
  private nextFrameId = 1;
  private vars = new Handles<VarContainer>();
  private lastReported = -2;
  /** Highest trace index whose log lines were already printed. */
  private printedUpTo = -1;
  private running = false;
  private pauseRequested = false;
  private lastStop: LastStop | undefined;
  private terminated = false;
  /** Values the user set on a message (trace index → field → value), shown over the bytes as delivered. */
  private readonly edits = new Map<number, Map<string, number>>();

  constructor(private readonly host: DebugHost) {
    super();
    // The protocol layer reports a frame it cannot parse as an 'error' event; without a listener
    // Node would end the process. Report it to the client and keep serving.
    this.on('error', (e: { body?: unknown }) => this.sendEvent(new OutputEvent(`vmbus debug adapter: ignored a malformed message (${String(e?.body ?? 'unreadable')})\n`, 'stderr')));
    // Our own framing (replacing the library's): it resynchronises on the next Content-Length
    // header after a frame whose length was wrong, bounds a frame's size, and never goes deaf.
    (this as unknown as { _handleData: (d: Uint8Array) => void })._handleData = (d: Uint8Array) => this.handleData(d);
    this.setDebuggerLinesStartAt1(false);
    this.setDebuggerColumnsStartAt1(false);
    this.bps = new BreakpointManager((text) => this.sendEvent(new OutputEvent(text + '\n', 'console')));
    this.resetConfigurationDone();
  }

  // Bytes as Uint8Array (Node's Buffer is one): the adapter also loads in VS Code for the Web.
  private raw: Uint8Array = new Uint8Array(0);
  private contentLength = -1;

  private handleData(data: Uint8Array): void {
    this.raw = concatBytes(this.raw, data);
    for (;;) {
      if (this.contentLength >= 0) {
        if (this.raw.length < this.contentLength) return;
        const body = utf8.decode(this.raw.subarray(0, this.contentLength));
        this.raw = this.raw.subarray(this.contentLength);
        this.contentLength = -1;
        this.handleFrame(body);
        continue;
      }
      const end = indexOfBytes(this.raw, HEADER_END);
      if (end < 0) {
        // No header in sight: keep a bounded tail (a header may be split across reads).
        if (this.raw.length > 65536) this.raw = this.raw.subarray(this.raw.length - 1024);
        return;
      }
      const header = utf8.decode(this.raw.subarray(0, end));
      this.raw = this.raw.subarray(end + HEADER_END.length);
      // The last Content-Length of the block: garbage left by a short frame may precede it.
      const all = [...header.matchAll(new RegExp(CONTENT_LENGTH.source, 'gi'))];
      const n = all.length ? Number(all[all.length - 1][1]) : NaN;
      if (!Number.isSafeInteger(n) || n > MAX_FRAME_BYTES) {
        this.sendEvent(new OutputEvent(`vmbus debug adapter: ignored a frame without a usable Content-Length\n`, 'stderr'));
        continue;
      }
      this.contentLength = n;
    }
  }

  private handleFrame(body: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(body);
    } catch {
      // A frame whose Content-Length was too long swallowed the next header: find it again.
      const at = body.search(CONTENT_LENGTH);
      this.sendEvent(new OutputEvent('vmbus debug adapter: ignored a message that is not JSON\n', 'stderr'));
      if (at > 0) { this.raw = concatBytes(new TextEncoder().encode(body.slice(at)), this.raw); }
      return;
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      this.sendEvent(new OutputEvent('vmbus debug adapter: ignored a message that is not a JSON object\n', 'stderr'));
      return;
    }
    try {
      this.handleMessage(msg as DebugProtocol.ProtocolMessage);
    } catch (e) {
      this.sendEvent(new OutputEvent(`vmbus debug adapter: could not handle a message: ${errorText(e)}\n`, 'stderr'));
    }
  }

  /** Every request gets an answer: a malformed one an error response, never a stack trace. */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    const r = request as unknown as Record<string, unknown>;
    if (typeof r.command !== 'string' || typeof r.seq !== 'number') {
      const response = new Response({ seq: typeof r.seq === 'number' ? r.seq : 0, command: typeof r.command === 'string' ? r.command : 'unknown', type: 'request' });
      this.sendErrorResponse(response, { id: 1010, format: 'malformed request: it needs a numeric "seq" and a "command" string' });
      return;
    }
    if (r.arguments === undefined) r.arguments = {};
    if (r.arguments === null || typeof r.arguments !== 'object' || Array.isArray(r.arguments)) {
      this.sendErrorResponse(new Response(request), { id: 1011, format: `malformed request '${request.command}': "arguments" must be an object` });
      return;
    }
    super.dispatchRequest(request);
  }

  /** The library answers a handler's exception with its stack; answer with its message only. */
  protected override sendErrorResponse(response: DebugProtocol.Response, codeOrMessage: number | DebugProtocol.Message, format?: string, variables?: Record<string, string>, dest?: ErrorDestination): void {
    if (typeof codeOrMessage === 'number' && format?.includes('{_stack}')) {
      const what = variables?._exception ?? 'unknown error';
      super.sendErrorResponse(response, { id: codeOrMessage, format: `'${response.command}' failed: ${what.replace(/[{}]/g, '')}` });
      return;
    }
    if (typeof codeOrMessage === 'number') super.sendErrorResponse(response, codeOrMessage, format, variables, dest);
    else super.sendErrorResponse(response, codeOrMessage);
  }

  private resetConfigurationDone(): void {
    this.configurationDone = new Promise((r) => (this.resolveConfigurationDone = r));
  }

  /** The simulator session being debugged (for the extension's views and for tests). */
  get simulation(): SimulationSession | undefined {
    return this.session;
  }

  // ------------------------------------------------------------------ lifecycle

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, _args: DebugProtocol.InitializeRequestArguments): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsSteppingGranularity: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS,
      supportsExceptionInfoRequest: true,
      supportsSetVariable: true,
      supportsReadMemoryRequest: true,
      supportsEvaluateForHovers: true,
      supportsTerminateRequest: true,
      supportsRestartRequest: true,
      supportsDelayedStackTraceLoading: true,
      supportsValueFormattingOptions: false,
      supportsCompletionsRequest: false,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.resolveConfigurationDone();
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: VmbusLaunchArguments): Promise<void> {
    try {
      await this.launch(response, args);
    } catch (e) {
      // Never an unhandled rejection (it would end the adapter) and never a stack in the answer.
      this.sendErrorResponse(response, { id: 1003, format: `The launch failed: ${errorText(e)}`, showUser: true });
    }
  }

  private async launch(response: DebugProtocol.LaunchResponse, args: VmbusLaunchArguments): Promise<void> {
    const bad = launchArgumentsProblem(args);
    if (bad) {
      this.sendErrorResponse(response, { id: 1001, format: bad, showUser: true });
      return;
    }
    this.launchArgs = args;
    const err = await this.load(args);
    if (err) {
      this.sendErrorResponse(response, { id: 1001, format: err, showUser: true });
      return;
    }
    // Breakpoints set before the scenario was parsed are bound now.
    this.rebindBreakpoints();
    // Wait (briefly) until the client has sent its breakpoints.
    await Promise.race([this.configurationDone, new Promise((r) => setTimeout(r, 1000))]);
    this.sendResponse(response);
    this.host.sessionStarted?.(this.session!, this.program, this);
    this.begin(args);
  }

  private begin(args: VmbusLaunchArguments): void {
    const session = this.session!;
    if (args.noDebug) {
      session.runToEnd();
      this.printLogs();
      this.host.sessionMoved?.(session);
      this.sendEvent(new OutputEvent(this.summary() + '\n', 'console'));
      this.finish();
      return;
    }
    if (args.stopOnEntry) {
      this.report({ reason: 'entry', description: 'Before the first event (nothing has happened yet)' });
    } else {
      void this.runForward();
    }
  }

  protected override async restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    try {
      await this.restart(response, args);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1003, format: `The restart failed: ${errorText(e)}`, showUser: true });
    }
  }

  private async restart(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    const launch = (args?.arguments as VmbusLaunchArguments | undefined) ?? this.launchArgs;
    const bad = launch ? launchArgumentsProblem(launch) : undefined;
    if (bad) {
      this.sendErrorResponse(response, { id: 1001, format: bad, showUser: true });
      return;
    }
    if (!launch) {
      this.sendErrorResponse(response, 1002, 'Nothing to restart.');
      return;
    }
    this.pauseRequested = true;
    this.launchArgs = launch;
    const err = await this.load(launch);
    if (err) {
      this.sendErrorResponse(response, { id: 1001, format: err, showUser: true });
      return;
    }
    this.rebindBreakpoints();
    this.bps.resetHits();
    this.sendResponse(response);
    this.host.sessionStarted?.(this.session!, this.program, this);
    this.begin(launch);
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.pauseRequested = true;
    if (this.session) this.host.sessionEnded?.(this.session);
    this.sendResponse(response);
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.pauseRequested = true;
    this.sendResponse(response);
    this.finish();
  }

  private finish(): void {
    if (this.terminated) return;
    this.terminated = true;
    const failed = this.session ? this.session.events().filter((e) => e.kind === 'expectation' && !e.ok).length : 0;
    this.sendEvent(new ExitedEvent(failed ? 1 : 0));
    this.sendEvent(new TerminatedEvent());
  }

  /** Parse the scenario and create the simulator session. Returns an error text, or undefined. */
  private async load(args: VmbusLaunchArguments): Promise<string | undefined> {
    if (!args.program) return 'No scenario: set "program" to a .vmbus file.';
    const program = this.host.resolveProgram ? this.host.resolveProgram(args.program) : args.program;
    let text: string;
    try {
      text = await this.host.readFile(program);
    } catch (e) {
      return `Cannot read ${program}: ${(e as Error).message}`;
    }
    if (args.log ?? !/\.vmbus$/i.test(program)) return this.loadLog(text, program);
    const opts = { seed: args.seed, design: args.design };
    let result: LoadResult;
    try {
      if (this.host.load) {
        result = this.host.load(text, program, opts);
      } else {
        // Includes are read once each, through the contained reader, before the parse.
        const inc = this.host.includes?.(program);
        const files = inc ? await loadScenarioFiles(program, text, inc.reader, { workspaceRoot: inc.root }) : undefined;
        result = parseScenario(text, program, { files, workspaceRoot: inc?.root, seed: args.seed, design: args.design });
      }
    } catch (e) {
      return `Cannot parse ${program}: ${(e as Error).message}`;
    }
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    for (const d of result.diagnostics) {
      if (d.severity === 'info') continue;
      this.sendEvent(new OutputEvent(`${d.file}:${d.range.line + 1}:${d.range.column + 1}: ${d.severity}: ${d.message}\n`, d.severity === 'error' ? 'stderr' : 'console'));
    }
    if (!result.config || errors.length) {
      const first = errors[0];
      const where = first ? `${baseName(first.file)}:${first.range.line + 1}: ${first.message}` : 'no configuration produced';
      return `The scenario has ${errors.length || 'unknown'} error(s); first: ${where}`;
    }
    const sessionOpts: SessionOptions = {};
    if (args.seed !== undefined) sessionOpts.seed = args.seed;
    if (args.design !== undefined) sessionOpts.design = args.design;
    try {
      this.session = this.host.createSession ? this.host.createSession(result.config, sessionOpts) : createSession(result.config, sessionOpts);
    } catch (e) {
      return `The simulator could not start: ${(e as Error).message}`;
    }
    this.config = result.config;
    this.program = program;
    this.lines = new LineResolver(result.config, text, program);
    this.bps.setConfig(result.config);
    this.printedUpTo = -1;
    this.lastReported = -2;
    this.terminated = false;
    this.invalidate();
    return undefined;
  }

  /** A real log as the session: its records are the events, stepping needs no engine (logtrace). */
  private loadLog(text: string, program: string): string | undefined {
    const opened = openLog(text, program);
    if (!hasContent(opened.imported)) return `${baseName(program)}: nothing in it is a VMBus log record (trace-cmd / ftrace of the hyperv:vmbus_* events, dmesg, lsvmbus ...)`;
    for (const d of opened.imported.diagnostics) {
      if (d.severity === 'info') continue;
      this.sendEvent(new OutputEvent(`${program}:${d.line}: ${d.severity}: ${d.message}\n`, 'console'));
    }
    this.session = opened.session;
    this.config = opened.session.config;
    this.program = program;
    this.lines = new LineResolver(opened.session.config, text, program);
    this.bps.setConfig(opened.session.config);
    this.printedUpTo = -1;
    this.lastReported = -2;
    this.terminated = false;
    this.invalidate();
    return undefined;
  }

  private rebindBreakpoints(): void {
    for (const { breakpoints } of this.bps.rebind()) {
      for (const b of breakpoints) {
        if (b.line !== undefined) b.line = this.convertDebuggerLineToClient(b.line);
        this.sendEvent(new BreakpointEvent('changed', b));
      }
    }
  }

  // ------------------------------------------------------------------ stops

  private invalidate(): void {
    this.stateCache = undefined;
    this.frames.clear();
    this.vars.reset();
  }

  private state(): SimulationState {
    if (!this.stateCache) this.stateCache = this.session!.inspect();
    return this.stateCache;
  }

  private currentEvent(): TraceEvent | undefined {
    const s = this.session;
    if (!s) return undefined;
    const p = s.position();
    return p >= 0 ? s.events().at(p)! : undefined;
  }

  /** Print the log lines of the events the run passed (forward only, each once). */
  private printLogs(): void {
    const s = this.session!;
    const pos = s.position();
    if (pos <= this.printedUpTo) return;
    const events = s.events();
    let out = '';
    let err = '';
    for (let i = this.printedUpTo + 1; i <= pos && i < events.length; i++) {
      const e = events.at(i)!;
      if (e.kind !== 'log') continue;
      const line = this.formatLog(e);
      if (e.level === 'err' || e.level === 'warn') {
        if (out) {
          this.sendEvent(new OutputEvent(out, 'stdout'));
          out = '';
        }
        err += line;
        this.sendEvent(new OutputEvent(err, 'stderr'));
        err = '';
      } else {
        out += line;
      }
    }
    if (out) this.sendEvent(new OutputEvent(out, 'stdout'));
    this.printedUpTo = pos;
  }

  private formatLog(e: LogEvent): string {
    if (e.party === 'guest') return timestamp(e.time) + e.text + '\n';
    return `${timestamp(e.time)}[${e.party}] ${e.text}\n`;
  }

  private stopThread(): number {
    const e = this.currentEvent();
    return e && this.config ? threadOf(e, this.config) : vpThread(0);
  }

  private report(stop: LastStop, hitIds?: number[], notifyViews = true): void {
    const s = this.session!;
    this.invalidate();
    this.printLogs();
    this.lastReported = s.position();
    this.lastStop = { ...stop, event: this.currentEvent() };
    const ev = new StoppedEvent(stop.reason, this.stopThread(), stop.exception ? stop.exception.description : undefined) as DebugProtocol.StoppedEvent;
    ev.body.description = stop.description;
    ev.body.allThreadsStopped = true;
    if (hitIds?.length) ev.body.hitBreakpointIds = hitIds;
    // VS Code first, then the views (they re-render from the session; not on the stop's critical path).
    this.sendEvent(ev);
    if (notifyViews) this.host.sessionMoved?.(s);
  }

  private reportInfo(info: StopInfo, fallbackReason: string): void {
    const s = this.session!;
    if (s.done()) {
      this.report({ reason: 'end', description: `${this.summary()} — step back to review, or continue to finish` });
      return;
    }
    const e = this.currentEvent();
    this.report({ reason: fallbackReason, description: e ? `#${e.seq} ${describeEvent(e)}` : (info.description ?? 'start') });
  }

  private reportHit(hit: StopHit): void {
    const e = this.currentEvent();
    const what = e ? `#${e.seq} ${describeEvent(e)}` : '';
    if (hit.kind === 'stop') {
      this.report({ reason: 'breakpoint', description: `${hit.description}: ${what}`, source: hit.source });
    } else if (hit.kind === 'exception') {
      this.report({ reason: 'exception', description: `${hit.exception.label}: ${hit.exception.description}`, exception: hit.exception });
    } else if (hit.kind === 'function') {
      this.report({ reason: 'function breakpoint', description: `${hit.description}: ${what}` }, hit.ids);
    } else {
      this.report({ reason: 'breakpoint', description: `Breakpoint at ${hit.description}: ${what}` }, hit.ids);
    }
  }

  private summary(): string {
    const s = this.session!;
    const events = s.events();
    let ok = 0;
    let failed = 0;
    for (const e of events) {
      if (e.kind !== 'expectation') continue;
      if (e.ok) ok++;
      else failed++;
    }
    const g = this.state().guest;
    return `Simulation complete: ${events.length} events; guest ${g.connectionState}${g.versionName ? ` at VMBus ${g.versionName}` : ''}, confidential=${g.confidential}, fallback=${g.fallbackTaken}; expectations ${ok} passed, ${failed} failed`;
  }

  /** The scenario line of the last protocol event before index i (trace order). */
  private prevLine(i: number): { file: string; line: number } | undefined {
    const events = this.session!.events();
    for (let j = i - 1; j >= 0; j--) {
      const e = events.at(j)!;
      if (e.granularity !== 'event') continue;
      return e.source ? { file: e.source.file, line: e.source.line } : undefined;
    }
    return undefined;
  }

  /** Continue: run until a breakpoint, an exception filter, the end, or pause. */
  private async runForward(): Promise<void> {
    const s = this.session!;
    if (s.done()) {
      this.finish();
      return;
    }
    this.running = true;
    this.pauseRequested = false;
    let hit: StopHit | undefined;
    const pred = (e: TraceEvent): boolean => {
      hit = this.bps.check(e, this.prevLine(e.seq), true);
      return hit !== undefined;
    };
    try {
      for (;;) {
        const info = s.runUntil(pred, this.host.runChunk ?? RUN_CHUNK);
        if (hit) return this.reportHit(hit);
        if (s.done() || info.reason === 'end') return this.reportInfo(info, 'end');
        if (info.reason !== 'budget') return this.reportInfo(info, info.reason === 'exception' ? 'exception' : 'step');
        this.printLogs();
        await yieldToEventLoop();
        if (this.pauseRequested) return this.reportInfo(info, 'pause');
      }
    } catch (e) {
      this.sendEvent(new OutputEvent(`simulator error: ${(e as Error).stack ?? e}\n`, 'stderr'));
      this.report({ reason: 'exception', description: `Simulator error: ${(e as Error).message}` });
    } finally {
      this.running = false;
    }
  }

  private runBackward(): void {
    const s = this.session!;
    let hit: StopHit | undefined;
    const pred = (e: TraceEvent): boolean => {
      hit = this.bps.check(e, this.prevLine(e.seq), false);
      return hit !== undefined;
    };
    const info = s.reverseUntil(pred);
    if (hit) return this.reportHit(hit);
    if (s.position() < 0) return this.report({ reason: 'entry', description: 'Back at the start (before the first event)' });
    this.reportInfo(info, 'step');
  }

  private guard(response: DebugProtocol.Response): boolean {
    if (!this.session) {
      this.sendErrorResponse(response, 1003, 'No simulation is loaded.');
      return false;
    }
    if (this.running) {
      this.sendErrorResponse(response, 1004, 'The simulation is running; pause first.');
      return false;
    }
    return true;
  }

  private stepGranularity(g: DebugProtocol.SteppingGranularity | undefined): 'event' | 'substep' {
    if (g === 'instruction') return 'substep';
    if (g === 'statement' || g === 'line') return 'event';
    return this.launchArgs?.granularity === 'substep' ? 'substep' : 'event';
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    if (!this.guard(response)) return;
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    void this.runForward();
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    if (!this.guard(response)) return;
    this.sendResponse(response);
    this.doStep(this.stepGranularity(args.granularity));
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    if (!this.guard(response)) return;
    this.sendResponse(response);
    this.doStep('substep');
  }

  private doStep(g: 'event' | 'substep'): void {
    const s = this.session!;
    if (s.done()) {
      this.finish();
      return;
    }
    const info = s.step(g);
    this.reportInfo(info, 'step');
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    if (!this.guard(response)) return;
    this.sendResponse(response);
    const s = this.session!;
    if (s.done()) {
      this.finish();
      return;
    }
    // Run to the end of the current phase (the enclosing one when standing on a phase's end),
    // stopping earlier at breakpoints and exceptions.
    const cur = this.currentEvent();
    let depth = cur ? cur.phase.length : 0;
    if (cur && cur.kind === 'phase' && cur.action === 'end') depth--;
    const name = cur && depth > 0 ? cur.phase[depth - 1] : undefined;
    let hit: StopHit | undefined;
    const info = s.runUntil((e) => {
      hit = this.bps.check(e, this.prevLine(e.seq), true);
      if (hit) return true;
      return name !== undefined && e.kind === 'phase' && e.action === 'end' && e.name === name && e.phase.length === depth;
    });
    if (hit) return this.reportHit(hit);
    this.reportInfo(info, 'step');
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    if (!this.guard(response)) return;
    this.sendResponse(response);
    const s = this.session!;
    const info = s.stepBack(args.granularity === 'instruction' ? 'substep' : this.stepGranularity(args.granularity));
    if (s.position() < 0) return this.report({ reason: 'entry', description: 'Back at the start (before the first event)' });
    this.reportInfo(info, 'step');
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    if (!this.guard(response)) return;
    this.sendResponse(response);
    this.runBackward();
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.pauseRequested = true;
    this.sendResponse(response);
    if (!this.running && this.session) this.report({ reason: 'pause', description: 'Paused' });
  }

  /**
   * Somebody else moved the session (the sidebar's Step buttons, a view's "go to event"): tell
   * VS Code where we are now, so its UI follows.
   */
  syncExternalMove(): void {
    const s = this.session;
    if (!s || this.running || this.terminated) return;
    if (s.position() === this.lastReported) return;
    const e = this.currentEvent();
    // The views already know (they moved it); only VS Code's UI needs telling.
    this.report({ reason: 'step', description: e ? `Moved from the VMBus view to #${e.seq} ${describeEvent(e)}` : 'Moved to the start' }, undefined, false);
  }

  // ------------------------------------------------------------------ breakpoints

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const file = args.source.path ?? '';
    const req = (args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }))).map((b) => ({ ...b, line: this.convertClientLineToDebugger(b.line) }));
    const res = this.bps.setLineBreakpoints(file, req);
    for (const b of res) if (b.line !== undefined) b.line = this.convertDebuggerLineToClient(b.line);
    response.body = { breakpoints: res };
    this.sendResponse(response);
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    response.body = { breakpoints: this.bps.setFunctionBreakpoints(args.breakpoints) };
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    const filters = [...(args.filters ?? []), ...(args.filterOptions ?? []).map((f) => f.filterId)];
    this.bps.setExceptionFilters(filters);
    response.body = { breakpoints: filters.map(() => ({ verified: true })) };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const stop = this.lastStop;
    const e = this.currentEvent();
    const x = stop?.exception ?? (e ? classifyException(e)[0] : undefined);
    if (!x) {
      // VS Code may ask after the run moved on from an exception stop; answer without an error.
      response.body = { exceptionId: 'none', description: 'Not stopped on an exception.', breakMode: 'never' };
      this.sendResponse(response);
      return;
    }
    response.body = {
      exceptionId: x.filter,
      description: x.description,
      breakMode: 'always',
      details: {
        message: x.description,
        typeName: x.label,
        stackTrace: e ? [`#${e.seq} ${describeEvent(e)}`, ...[...e.phase].reverse()].join('\n  in ') : undefined,
      },
    };
    this.sendResponse(response);
  }

  // ------------------------------------------------------------------ threads, stacks, scopes

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const threads = this.config ? listThreads(this.config) : [{ id: vpThread(0), name: 'Guest VP 0' }];
    response.body = { threads: threads.map((t) => new Thread(t.id, t.name)) };
    this.sendResponse(response);
  }

  private toSource(ref: SourceRef): Source {
    const file = ref.file || this.program;
    return new Source(baseName(file), this.convertDebuggerPathToClient(file));
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    if (!this.session || !this.config) {
      response.body = { stackFrames: [], totalFrames: 0 };
      this.sendResponse(response);
      return;
    }
    const override = this.lastStop && this.lastReported === this.session.position() ? this.lastStop.source : undefined;
    const all = buildStack(this.session.events(), this.session.position(), args.threadId, this.config, this.lines!, () => this.nextFrameId++, override);
    const started = this.session.position() >= 0;
    for (const f of all) this.frames.set(f.id, f);
    const start = args.startFrame ?? 0;
    const levels = args.levels && args.levels > 0 ? args.levels : all.length;
    const slice = all.slice(start, start + levels);
    response.body = {
      stackFrames: slice.map((f) => {
        const sf = new StackFrame(f.id, f.name, this.toSource(f.source), this.convertDebuggerLineToClient(f.source.line), this.convertDebuggerColumnToClient(f.source.column));
        const dsf = sf as DebugProtocol.StackFrame;
        // An idle thread's frame is 'subtle', except before the first event: then it is the stopped
        // thread's only frame, and VS Code does not focus a subtle top frame on an 'entry' stop
        // (the Variables view would stay empty).
        if (f.kind !== 'event') dsf.presentationHint = f.kind === 'idle' && started ? 'subtle' : 'normal';
        // No endLine/endColumn: VS Code turns a frame's range into an editor selection, so every
        // step would select the whole statement (a device block, say) and typing would replace it.
        return sf;
      }),
      totalFrames: all.length,
    };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, _args: DebugProtocol.ScopesArguments): void {
    if (!this.session) {
      response.body = { scopes: [] };
      this.sendResponse(response);
      return;
    }
    response.body = {
      scopes: SCOPES.map((name) => {
        const sc = new Scope(name, this.vars.create({ kind: 'scope', scope: name, path: [] }), false) as DebugProtocol.Scope;
        if (name === 'Channels' || name === 'Exposure') sc.presentationHint = undefined;
        if (name === 'Event' || name === 'Current message') sc.presentationHint = 'locals';
        return sc;
      }),
    };
    this.sendResponse(response);
  }

  private children(c: VarContainer): VarNode[] {
    if (c.kind === 'node') return c.node.children ? c.node.children() : [];
    let nodes = scopeNodes(c.scope, this.session!, this.state(), this.edits);
    for (const name of c.path) {
      const n = nodes.find((x) => x.name === name);
      if (!n || !n.children) return [];
      nodes = n.children();
    }
    return nodes;
  }

  private toVariable(parent: VarContainer, n: VarNode): DebugProtocol.Variable {
    let ref = 0;
    if (n.children) {
      ref = this.vars.create(parent.kind === 'scope' ? { kind: 'scope', scope: parent.scope, path: [...parent.path, n.name] } : { kind: 'node', node: n });
    }
    const v: DebugProtocol.Variable = { name: n.name, value: n.value, variablesReference: ref };
    if (n.type) v.type = n.type;
    if (n.memoryReference) v.memoryReference = n.memoryReference;
    if (n.evaluateName) v.evaluateName = n.evaluateName;
    if (!n.setPath) v.presentationHint = { attributes: ['readOnly'] };
    return v;
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const c = this.vars.get(args.variablesReference);
    if (!c || !this.session) {
      response.body = { variables: [] };
      this.sendResponse(response);
      return;
    }
    let nodes = this.children(c);
    if (args.start !== undefined || args.count !== undefined) {
      const start = args.start ?? 0;
      nodes = nodes.slice(start, args.count ? start + args.count : undefined);
    }
    response.body = { variables: nodes.map((n) => this.toVariable(c, n)) };
    this.sendResponse(response);
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    const c = this.vars.get(args.variablesReference);
    if (!c || !this.guard(response)) {
      if (!c) this.sendErrorResponse(response, 1006, 'Unknown variable container.');
      return;
    }
    const node = this.children(c).find((n) => n.name === args.name);
    if (!node || !node.setPath) {
      this.sendErrorResponse(response, 1007, `${args.name} is read-only here.`);
      return;
    }
    const parsed = parseEdit(args.value, node.setKind ?? 'string');
    if (!parsed.ok) {
      this.sendErrorResponse(response, 1008, parsed.error);
      return;
    }
    const r = this.session!.setValue(node.setPath, parsed.value);
    if (!r.ok) {
      this.sendErrorResponse(response, 1009, `Cannot set ${args.name}: ${r.error}`);
      return;
    }
    this.afterEdit();
    if (typeof parsed.value === 'number' && /^offer\.|^pending\./.test(node.setPath)) {
      const m = this.currentMessageSeq();
      if (m !== undefined) this.edits.set(m, new Map([...(this.edits.get(m) ?? []), [node.setPath.split('.').pop()!, parsed.value]]));
    }
    const again = this.children(c).find((n) => n.name === args.name);
    response.body = { value: again?.value ?? args.value };
    this.sendResponse(response);
  }

  private currentMessageSeq(): number | undefined {
    const s = this.session!;
    return findLastOfKind(s.events(), 'message', s.position())?.seq;
  }

  /** After a value change: the trace after this point was discarded and will be regenerated. */
  private afterEdit(): void {
    const pos = this.session!.position();
    for (const k of [...this.edits.keys()]) if (k > pos) this.edits.delete(k);
    this.invalidate();
    this.printedUpTo = Math.min(this.printedUpTo, this.session!.position());
    this.host.sessionMoved?.(this.session!);
    this.sendEvent(new InvalidatedEvent(['variables']));
  }

  // ------------------------------------------------------------------ evaluate, memory

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    if (!this.session) {
      this.sendErrorResponse(response, 1003, 'No simulation is loaded.');
      return;
    }
    let expr = args.expression;
    if (args.context === 'hover') {
      // Hovering a device name in the scenario shows its channel.
      const c = this.state().channels.find((x) => x.device === expr.trim());
      if (c) expr = `channel ${c.relid}`;
    }
    const res = evaluateCommand(expr, {
      session: this.session,
      state: () => this.state(),
      goTo: (seq) => {
        if (this.running) return 'The simulation is running; pause first.';
        const info = this.session!.goTo(seq);
        this.reportInfo(info, 'goto');
        const e = this.currentEvent();
        return e ? `at #${e.seq} ${describeEvent(e)}` : 'at the start';
      },
      setValue: (p, v) => {
        if (this.running) return 'The simulation is running; pause first.';
        const r = this.session!.setValue(p, v);
        if (!r.ok) return r.error;
        this.afterEdit();
        return undefined;
      },
      inject: (f) => {
        if (this.running) return 'The simulation is running; pause first.';
        const r = this.session!.inject(f);
        if (!r.ok) return r.error;
        this.afterEdit();
        return undefined;
      },
    });
    if (res.error && args.context !== 'repl') {
      this.sendErrorResponse(response, 1010, res.result);
      return;
    }
    response.body = {
      result: res.result,
      variablesReference: res.node?.children ? this.vars.create({ kind: 'node', node: res.node }) : 0,
    };
    this.sendResponse(response);
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    if (!this.session) {
      this.sendErrorResponse(response, 1003, 'No simulation is loaded.');
      return;
    }
    const region = resolveMemory(args.memoryReference, this.session, this.state());
    if (!region) {
      this.sendErrorResponse(response, 1011, `No memory behind '${args.memoryReference}' at this point.`);
      return;
    }
    response.body = readRegion(region, args.offset ?? 0, args.count);
    this.sendResponse(response);
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    switch (command) {
      case 'vmbus.position': {
        const s = this.session;
        response.body = { position: s?.position() ?? -1, done: s?.done() ?? false, event: this.currentEvent() };
        this.sendResponse(response);
        return;
      }
      case 'vmbus.state': {
        response.body = this.session ? this.state() : undefined;
        this.sendResponse(response);
        return;
      }
      case 'vmbus.goto': {
        if (!this.guard(response)) return;
        const seq = Number((args as { seq?: number } | undefined)?.seq ?? -1);
        this.sendResponse(response);
        const info = this.session!.goTo(seq);
        if (this.session!.position() < 0) this.report({ reason: 'entry', description: 'At the start' });
        else this.reportInfo(info, 'goto');
        return;
      }
      default:
        super.customRequest(command, response, args);
    }
  }
}
