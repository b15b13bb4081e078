// Breakpoints over the trace: line breakpoints in .vmbus files (with conditions, hit counts and
// log messages), function breakpoints by message type (or phase / register name), and exception
// filters for the things that go wrong in a Confidential VMBus bring-up.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ScenarioConfig, SourceRef, TraceEvent } from '../../simulator';
import { compileCondition, compileHitCondition, formatLogMessage, type Condition, type HitCondition } from './conditions';
import { normalizePath } from '../../simulator';

export interface ExceptionHit {
  filter: string;
  label: string;
  description: string;
}

export const EXCEPTION_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
  {
    filter: 'fallback',
    label: 'Fallback taken',
    description: 'Stop when the guest gives up on the paravisor SynIC and falls back to the hypervisor SynIC (probe design).',
    default: true,
  },
  { filter: 'offer-rejected', label: 'Offer rejected', description: 'Stop when the guest rejects a channel offer (e.g. "the ring buffer isn\'t encrypted").', default: true },
  {
    filter: 'protocol-violation',
    label: 'Protocol violation',
    description: 'Stop on malformed or unexpected channel messages, failed posts and error log lines.',
    default: false,
  },
  { filter: 'hostile-host', label: 'Hostile host behaviour detected', description: 'Stop when a hostile-host fault strikes.', default: true },
  { filter: 'invariant', label: 'Invariant broken', description: 'Stop when a model invariant stops holding.', default: true },
  { filter: 'expectation', label: 'Expectation failed', description: "Stop when one of the scenario's expectations fails.", default: true },
];

const FILTER_LABEL = new Map(EXCEPTION_FILTERS.map((f) => [f.filter, f.label]));

const GUEST_ERROR_TEXT = /unknown msgtype|message too short|payload size is too large|hv_post_msg\(\) failed|Invalid VMBus version|Unable to connect/i;

/** Every exception filter an event matches, with the reason in words. */
export function classifyException(e: TraceEvent): ExceptionHit[] {
  const hits: ExceptionHit[] = [];
  const add = (filter: string, description: string) => hits.push({ filter, label: FILTER_LABEL.get(filter) ?? filter, description });
  switch (e.kind) {
    case 'phase':
      // The phase that gave up (e.g. connect) reports the fallback; the redo phase named "fallback" does not.
      if (e.action === 'end' && e.outcome === 'fallback' && e.name !== 'fallback') {
        add('fallback', `${e.name} ended in a fallback${e.detail ? `: ${e.detail}` : ''}`);
      }
      break;
    case 'state':
      if (e.object === 'channel' && e.to === 'rejected') {
        add('offer-rejected', `offer relid ${e.relid ?? '?'} rejected (${e.from} → ${e.to})`);
      }
      if (e.object === 'connection' && /fallback/i.test(e.to)) add('fallback', `connection ${e.from} → ${e.to}`);
      break;
    case 'message': {
      const err = (e.decoded as Record<string, unknown> | undefined)?.error;
      if (err) add('protocol-violation', `${e.msgtype}: ${String(err)}`);
      else if (e.msgtype.startsWith('UNKNOWN')) add('protocol-violation', `unknown message type ${e.msgtypeValue}`);
      // An InitiateContact refused with HV_STATUS_INVALID_CONNECTION_ID is how a version (or the
      // paravisor probe) is declined; Linux just tries the next one. Other failed posts are violations.
      else if (e.status && e.status !== 'HV_STATUS_SUCCESS' && !(e.msgtype === 'CHANNELMSG_INITIATE_CONTACT' && e.status === 'HV_STATUS_INVALID_CONNECTION_ID')) {
        add('protocol-violation', `${e.msgtype} post failed: ${e.status}`);
      }
      break;
    }
    case 'hypercall':
      if (e.status && e.status !== 'HV_STATUS_SUCCESS' && e.status !== 'HV_STATUS_INVALID_CONNECTION_ID' && e.name === 'HvPostMessage') {
        add('protocol-violation', `${e.name} returned ${e.status}`);
      }
      break;
    case 'log':
      if (e.party === 'guest' && (e.level === 'err' || GUEST_ERROR_TEXT.test(e.text))) {
        if (/Invalid offer relid/.test(e.text)) break; // reported as offer-rejected by the state change
        add('protocol-violation', e.text);
      }
      break;
    case 'fault':
      if (e.hostile) add('hostile-host', `${e.fault}: ${e.description}`);
      break;
    case 'invariant':
      add('invariant', `${e.name}: ${e.description}`);
      break;
    case 'expectation':
      if (!e.ok) add('expectation', `expect ${e.text} failed${e.detail ? `: ${e.detail}` : ''}`);
      break;
  }
  return hits;
}

interface BpCommon {
  id: number;
  condition?: Condition;
  hit?: HitCondition;
  logMessage?: string;
  hits: number;
}

interface LineBp extends BpCommon {
  file: string;
  /** 0-based line, after moving it to the start of the scenario element it falls in. */
  line: number;
}

interface FunctionBp extends BpCommon {
  name: string;
}

export type StopHit =
  | { kind: 'breakpoint'; ids: number[]; description: string }
  | { kind: 'stop'; label: string; description: string; source?: SourceRef }
  | { kind: 'function'; ids: number[]; description: string }
  | { kind: 'exception'; exception: ExceptionHit };

// Paths from the client and from the scenario compare after normalising; Windows paths (a drive
// letter) compare case-insensitively, as their file system does.
function normPath(p: string): string {
  const r = normalizePath(p);
  return /^[A-Za-z]:/.test(r) ? r.toLowerCase() : r;
}

/** Every SourceRef the scenario carries: the places a breakpoint can bind to. */
export function scenarioRefs(config: ScenarioConfig): SourceRef[] {
  const refs: SourceRef[] = [];
  const push = (r: SourceRef | undefined) => {
    if (r) refs.push(r);
  };
  config.devices.forEach((d) => push(d.source));
  config.faults.forEach((f) => push(f.source));
  config.expectations.forEach((x) => push(x.source));
  config.stops.forEach((s) => push(s.source));
  config.steps.forEach((s) => {
    push(s.source);
    if (s.kind === 'rescind' || s.kind === 'reset') push(s.after?.source);
  });
  for (const r of Object.values(config.sections ?? {})) push(r);
  return refs;
}

export class BreakpointManager {
  private nextId = 1;
  private readonly lines = new Map<string, LineBp[]>();
  private functions: FunctionBp[] = [];
  private filters = new Set(EXCEPTION_FILTERS.filter((f) => f.default).map((f) => f.filter));
  private config: ScenarioConfig | undefined;
  /** Requested breakpoints per file, kept so they can be re-bound once the scenario is known. */
  private readonly requested = new Map<string, DebugProtocol.SourceBreakpoint[]>();

  constructor(private readonly log: (text: string) => void) {}

  setConfig(config: ScenarioConfig): void {
    this.config = config;
  }

  setExceptionFilters(filters: string[]): void {
    this.filters = new Set(filters);
  }

  get exceptionFilters(): ReadonlySet<string> {
    return this.filters;
  }

  /** Replace the line breakpoints of one file (lines 0-based in and out). Returns the DAP answer for each. */
  setLineBreakpoints(file: string, bps: DebugProtocol.SourceBreakpoint[]): DebugProtocol.Breakpoint[] {
    const key = normPath(file);
    this.requested.set(key, bps);
    const previous = this.lines.get(key) ?? [];
    const out: DebugProtocol.Breakpoint[] = [];
    const bound: LineBp[] = [];
    for (const b of bps) {
      const line0 = b.line;
      const old = previous.find((p) => p.line === this.bindLine(key, line0).line && !bound.includes(p));
      const bp: LineBp = { id: old?.id ?? this.nextId++, file: key, line: line0, hits: old?.hits ?? 0 };
      const res: DebugProtocol.Breakpoint = { id: bp.id, verified: true, line: b.line };
      try {
        if (b.condition && b.condition.trim()) bp.condition = compileCondition(b.condition);
        if (b.hitCondition && b.hitCondition.trim()) bp.hit = compileHitCondition(b.hitCondition);
      } catch (err) {
        res.verified = false;
        res.message = `Condition error: ${(err as Error).message}`;
        out.push(res);
        continue;
      }
      if (b.logMessage) bp.logMessage = b.logMessage;
      const binding = this.bindLine(key, line0);
      bp.line = binding.line;
      res.line = binding.line;
      if (!binding.ok) {
        res.verified = false;
        res.message = this.config ? 'No scenario element (device, fault, expectation, step or section) on this line.' : 'Waiting for the scenario to load.';
      }
      bound.push(bp);
      out.push(res);
    }
    this.lines.set(key, bound);
    return out;
  }

  /** Re-bind all requested breakpoints (after the scenario has been parsed). */
  rebind(): { file: string; breakpoints: DebugProtocol.Breakpoint[] }[] {
    const out: { file: string; breakpoints: DebugProtocol.Breakpoint[] }[] = [];
    for (const [file, bps] of this.requested) out.push({ file, breakpoints: this.setLineBreakpoints(file, bps) });
    return out;
  }

  /** Move a line to the start of the innermost scenario element containing it. */
  private bindLine(file: string, line: number): { ok: boolean; line: number } {
    if (!this.config) return { ok: false, line };
    let best: SourceRef | undefined;
    for (const r of scenarioRefs(this.config)) {
      if (normPath(r.file) !== file) continue;
      if (r.line <= line && line <= r.endLine) {
        if (!best || r.endLine - r.line < best.endLine - best.line) best = r;
      }
    }
    if (!best) return { ok: false, line };
    // A section header binds to itself; a line inside a section but outside any element stays unbound.
    const isSection = Object.values(this.config.sections ?? {}).some((s) => s === best);
    if (isSection && best.line !== line) return { ok: false, line };
    return { ok: true, line: best.line };
  }

  setFunctionBreakpoints(bps: DebugProtocol.FunctionBreakpoint[]): DebugProtocol.Breakpoint[] {
    const out: DebugProtocol.Breakpoint[] = [];
    const list: FunctionBp[] = [];
    for (const b of bps) {
      const fb: FunctionBp = { id: this.nextId++, name: b.name.trim(), hits: 0 };
      const res: DebugProtocol.Breakpoint = { id: fb.id, verified: true };
      try {
        if (b.condition && b.condition.trim()) fb.condition = compileCondition(b.condition);
        if (b.hitCondition && b.hitCondition.trim()) fb.hit = compileHitCondition(b.hitCondition);
      } catch (err) {
        res.verified = false;
        res.message = `Condition error: ${(err as Error).message}`;
        out.push(res);
        continue;
      }
      if (!/^[A-Za-z_][A-Za-z0-9_. -]*$/.test(fb.name)) {
        res.verified = false;
        res.message = 'Use a message type (CHANNELMSG_OFFERCHANNEL or OFFERCHANNEL), a register (SINT2) or a phase name.';
      }
      list.push(fb);
      out.push(res);
    }
    this.functions = list;
    return out;
  }

  get hasAny(): boolean {
    return this.functions.length > 0 || [...this.lines.values()].some((l) => l.length > 0) || this.filters.size > 0;
  }

  resetHits(): void {
    for (const l of this.lines.values()) for (const b of l) b.hits = 0;
    for (const b of this.functions) b.hits = 0;
  }

  /**
   * Check one event visited by a run. `prevLine` is the scenario line of the previous protocol
   * event in trace order, so a line breakpoint fires when the run arrives at its line, not on every
   * event that line produces in a row. `countHits` is false when running backward.
   */
  check(e: TraceEvent, prevLine: { file: string; line: number } | undefined, countHits: boolean): StopHit | undefined {
    // Exceptions first: they are the most specific reason to stop.
    for (const x of classifyException(e)) if (this.filters.has(x.filter)) return { kind: 'exception', exception: x };

    const stop = this.checkScenarioStops(e, prevLine);
    if (stop) return stop;

    if (e.granularity === 'event' && e.source) {
      const file = normPath(e.source.file);
      const list = this.lines.get(file);
      if (list && list.length) {
        const same = prevLine && prevLine.line === e.source.line && normPath(prevLine.file) === file;
        if (!same) {
          const ids: number[] = [];
          for (const b of list) if (b.line === e.source.line && this.fire(b, e, countHits)) ids.push(b.id);
          if (ids.length) return { kind: 'breakpoint', ids, description: `line ${e.source.line + 1}` };
        }
      }
    }
    if (this.functions.length) {
      const ids: number[] = [];
      let what = '';
      for (const b of this.functions) {
        if (matchesFunction(b.name, e) && this.fire(b, e, countHits)) {
          ids.push(b.id);
          what = b.name;
        }
      }
      if (ids.length) return { kind: 'function', ids, description: what };
    }
    return undefined;
  }

  /** The scenario's own stop points (run { stop <label> at ... }) act as breakpoints. */
  private checkScenarioStops(e: TraceEvent, prevLine: { file: string; line: number } | undefined): StopHit | undefined {
    const stops = this.config?.stops ?? [];
    for (const st of stops) {
      const dev = st.device ? this.config!.devices.find((d) => d.name === st.device) : undefined;
      const onDevice = (x: TraceEvent) => !!dev?.source && !!x.source && x.source.line === dev.source.line && normPath(x.source.file) === normPath(dev.source.file);
      let hit = false;
      let what = '';
      if (st.msgtype) {
        hit = e.kind === 'message' && matchesFunction(st.msgtype, e) && (!st.phase || e.phase.some((p) => phaseMatches(p, st.phase!))) && (!dev || onDevice(e));
        what = `${st.msgtype}${st.phase ? ` in ${st.phase}` : ''}${dev ? ` for ${dev.name}` : ''}`;
      } else if (st.phase) {
        hit = e.kind === 'phase' && e.action === 'begin' && phaseMatches(e.name, st.phase) && (!dev || onDevice(e) || e.name.includes(dev.name));
        what = `phase ${e.kind === 'phase' ? e.name : st.phase} begins`;
      } else if (dev) {
        const same = prevLine && dev.source && prevLine.line === dev.source.line && normPath(prevLine.file) === normPath(dev.source.file);
        hit = e.granularity === 'event' && onDevice(e) && !same;
        what = `${dev.name} appears`;
      }
      if (hit) return { kind: 'stop', label: st.label, description: `stop "${st.label}": ${what}`, source: st.source };
    }
    return undefined;
  }

  private fire(b: BpCommon, e: TraceEvent, countHits: boolean): boolean {
    try {
      if (b.condition && !b.condition.test(e)) return false;
    } catch {
      return false;
    }
    if (countHits) b.hits++;
    if (b.hit && !b.hit.test(b.hits)) return false;
    if (b.logMessage) {
      this.log(formatLogMessage(b.logMessage, e));
      return false;
    }
    return true;
  }
}

function phaseMatches(name: string, wanted: string): boolean {
  const n = name.toLowerCase();
  const w = wanted.toLowerCase();
  return n === w || n.startsWith(w + ' ');
}

/** A function breakpoint names a message type, a register or a phase. */
export function matchesFunction(name: string, e: TraceEvent): boolean {
  const n = name.toUpperCase();
  const bare = n.replace(/^CHANNELMSG_/, '');
  switch (e.kind) {
    case 'message':
      return e.msgtype.toUpperCase() === n || e.msgtype.toUpperCase().replace(/^CHANNELMSG_/, '') === bare;
    case 'register':
      return e.register.toUpperCase() === n;
    case 'cpuid':
      return n === 'CPUID' || n === `CPUID.${e.leaf.slice(2).toUpperCase()}`;
    case 'hypercall':
      return e.name.toUpperCase() === n;
    case 'phase':
      return e.action === 'begin' && e.name.toUpperCase() === n;
    default:
      return false;
  }
}
