// How the trace maps onto the debugger's threads and call stacks.
// Threads: one per virtual processor (the guest's VPs), plus the paravisor, the hypervisor and the
// host as their own threads. Stack frames: the current event on top, then the phase nesting from
// the innermost phase out (e.g. InitiateContact ← version 6.0 ← connect), each mapped to the
// scenario line that caused it.
import { type ScenarioConfig, type SourceRef, type Party, type TraceEvent, hexNum as hex, type Trace } from '../../simulator';

export const PARAVISOR_THREAD = 1001;
export const HYPERVISOR_THREAD = 1002;
export const HOST_THREAD = 1003;

export interface ThreadInfo {
  id: number;
  name: string;
}

export function vpThread(vp: number): number {
  return vp + 1;
}

export function listThreads(config: ScenarioConfig): ThreadInfo[] {
  const out: ThreadInfo[] = [];
  const vps = Math.max(1, config.platform.vpCount);
  for (let vp = 0; vp < vps; vp++) out.push({ id: vpThread(vp), name: `Guest VP ${vp}` });
  if (config.platform.paravisor.present) out.push({ id: PARAVISOR_THREAD, name: 'Paravisor (OpenHCL)' });
  out.push({ id: HYPERVISOR_THREAD, name: 'Hypervisor' });
  out.push({ id: HOST_THREAD, name: 'Host' });
  return out;
}

function partyThread(p: Party | undefined): number | undefined {
  switch (p) {
    case 'guest':
      return vpThread(0);
    case 'paravisor':
      return PARAVISOR_THREAD;
    case 'hypervisor':
      return HYPERVISOR_THREAD;
    case 'host':
      return HOST_THREAD;
    default:
      return undefined;
  }
}

/** Which party acted in this event. */
export function actorOf(e: TraceEvent): Party | undefined {
  switch (e.kind) {
    case 'message':
    case 'packet':
      return e.from;
    case 'register':
    case 'cpuid':
    case 'hypercall':
      return e.by;
    case 'page':
      return e.owner;
    case 'log':
    case 'state':
      return e.party;
    case 'interrupt':
      return (e.signaledBy ?? e.synic) === 'paravisor' ? 'paravisor' : 'hypervisor';
    case 'fault':
      return 'host';
    default:
      return undefined;
  }
}

/**
 * The thread an event runs on. Guest-side work on a VP belongs to that VP; work of the other
 * parties goes to their own threads, even when it names the VP it targets.
 */
export function threadOf(e: TraceEvent, config: ScenarioConfig): number {
  const actor = actorOf(e);
  if (actor && actor !== 'guest') {
    const t = partyThread(actor);
    if (t === PARAVISOR_THREAD && !config.platform.paravisor.present) return HOST_THREAD;
    if (t !== undefined) return t;
  }
  if (e.vp !== null && e.vp !== undefined && e.vp >= 0) return vpThread(Math.min(e.vp, Math.max(1, config.platform.vpCount) - 1));
  return vpThread(0);
}


/** One line naming what the event did, as the top stack frame shows it. */
export function describeEvent(e: TraceEvent): string {
  switch (e.kind) {
    case 'message': {
      const relid = e.relid !== undefined ? ` relid ${e.relid}` : '';
      const fault = e.fault ? ` [fault: ${e.fault}]` : '';
      return `${e.msgtype} ${e.from} → ${e.to}${relid}${fault}`;
    }
    case 'register':
      return `${e.op === 'write' ? 'wrmsr' : 'rdmsr'} ${e.synic} ${e.register} ${e.op === 'write' ? '←' : '='} ${e.value} (${e.path})`;
    case 'cpuid':
      return `cpuid ${e.leaf}.${e.subleaf} = eax ${e.eax} ebx ${e.ebx} ecx ${e.ecx} edx ${e.edx} (${e.answeredBy}, ${e.path})`;
    case 'hypercall':
      return `${e.name} ${e.by} → ${e.target} (${e.path}) = ${e.status}`;
    case 'page':
      return `${e.action} ${e.page} ${e.visibility}`;
    case 'log':
      return e.text;
    case 'phase':
      return `${e.action === 'begin' ? 'begin' : 'end'} ${e.name}${e.outcome ? ` (${e.outcome})` : ''}`;
    case 'state':
      return `${e.party} ${e.object}${e.relid !== undefined ? ` relid ${e.relid}` : ''}${e.gpadl !== undefined ? ` gpadl ${hex(e.gpadl)}` : ''}: ${e.from} → ${e.to}`;
    case 'packet':
      return `packet ${e.packetType} relid ${e.relid} ${e.from} → ${e.to} (${e.ring}, ${e.bytes} bytes)`;
    case 'interrupt':
      return `SINT${e.sint} on the ${e.signaledBy ?? e.synic} SynIC via ${e.via}${e.signaledBy ? ` (flag in the ${e.synic} SynIC's page)` : ''}${e.relid !== undefined ? ` relid ${e.relid}` : ''}${e.delivered ? '' : ' (not delivered)'}`;
    case 'fault':
      return `fault ${e.fault}: ${e.description}`;
    case 'invariant':
      return `invariant broken: ${e.name}`;
    case 'expectation':
      return `expect ${e.text}: ${e.ok ? 'ok' : 'FAILED'}`;
  }
}

type SectionName = keyof NonNullable<ScenarioConfig['sections']>;

/** The scenario section a phase name most plausibly comes from. */
export function sectionForPhase(name: string): SectionName[] {
  const n = name.toLowerCase();
  if (/fault|hostile|inject/.test(n)) return ['faults', 'host', 'devices'];
  if (/expect|check|verify/.test(n)) return ['expect', 'run'];
  if (/offer|open|gpadl|data|packet|channel|rescind|close|device|ring|relid/.test(n)) return ['devices', 'host'];
  if (/unload|run|step|script/.test(n)) return ['run', 'platform'];
  if (/paravisor|relay|probe|fallback|confidential/.test(n)) return ['paravisor', 'platform'];
  if (/connect|negotiat|version|contact/.test(n)) return ['host', 'paravisor', 'platform'];
  return ['platform', 'paravisor'];
}

export function sectionRef(config: ScenarioConfig, phaseName: string): SourceRef | undefined {
  const sections = config.sections ?? {};
  for (const s of sectionForPhase(phaseName)) {
    const r = sections[s];
    if (r) return r;
  }
  return undefined;
}

/** The scenario's first line: the fallback location for anything that names no line. */
export function firstLine(config: ScenarioConfig, program: string): SourceRef {
  if (config.source) return { ...config.source, endLine: config.source.line, endColumn: config.source.column };
  return { file: config.file ?? program, line: 0, column: 0, endLine: 0, endColumn: 0 };
}

export interface FrameInfo {
  id: number;
  threadId: number;
  name: string;
  source: SourceRef;
  /** The trace index the frame belongs to (the event on top, or the begin of the phase). */
  seq: number;
  /** 'event' for the top frame, 'phase' for the enclosing phases, 'idle' when the thread has not run. */
  kind: 'event' | 'phase' | 'idle';
}

/** Which setting line of the scenario explains a phase (keyword looked up inside a section). */
const PHASE_SETTINGS: { test: RegExp; where: [SectionName, string][] }[] = [
  { test: /^discovery/, where: [['platform', 'design'], ['paravisor', 'confidential_vmbus']] },
  { test: /^fallback/, where: [['paravisor', 'confidential_vmbus'], ['platform', 'design']] },
  { test: /^relay/, where: [['paravisor', 'present']] },
  { test: /^version\b/, where: [['platform', 'max_version'], ['host', 'versions']] },
  { test: /^connect/, where: [['host', 'versions'], ['platform', 'max_version']] },
];

/**
 * Maps events and phases to scenario lines: the event's own SourceRef; else the device its relid
 * belongs to; else the setting or section its phase comes from; else the scenario's first line.
 */
export class LineResolver {
  private readonly lines: string[];
  /** Device per relid, keyed "g:<relid>" on the guest side and "h:<relid>" between paravisor relay and host. */
  private relidDevice = new Map<string, string>();
  private scanned = 0;
  private scannedTrace: Trace | undefined;

  constructor(
    private readonly config: ScenarioConfig,
    text: string,
    private readonly program: string,
  ) {
    this.lines = text.split(/\r?\n/);
  }

  get first(): SourceRef {
    return firstLine(this.config, this.program);
  }

  private deviceRef(name: string): SourceRef | undefined {
    return this.config.devices.find((d) => d.name === name)?.source;
  }

  /** Learn relid → device from the offers in the trace (incrementally). */
  private index(events: Trace): void {
    if (this.scannedTrace !== events || this.scanned > events.length) {
      this.scannedTrace = events;
      this.scanned = 0;
      this.relidDevice.clear();
    }
    const kindAt = events.kindAt?.bind(events);
    for (; this.scanned < events.length; this.scanned++) {
      if (kindAt && kindAt(this.scanned) !== 'message') continue; // offers are messages
      const e = events.at(this.scanned)!;
      if (e.kind !== 'message' || e.relid === undefined) continue;
      const key = this.keyOf(e);
      if (key === undefined || (this.relidDevice.has(key) && e.msgtype !== 'CHANNELMSG_OFFERCHANNEL')) continue;
      const offer = (e.decoded as { offer?: { if_instance?: string } } | undefined)?.offer;
      if (offer?.if_instance) {
        const d = this.config.devices.find((x) => x.instanceGuid.toLowerCase() === String(offer.if_instance).toLowerCase());
        if (d) {
          this.relidDevice.set(key, d.name);
          continue;
        }
      }
      if (e.source) {
        const d = this.config.devices.find((x) => x.source && x.source.line === e.source!.line && x.source.file === e.source!.file);
        if (d) this.relidDevice.set(key, d.name);
      }
    }
  }

  /** Relids are per connection: the guest's (with the paravisor or host) and the relay's (paravisor ↔ host). */
  private keyOf(e: TraceEvent): string | undefined {
    const relay = this.config.platform.paravisor.present;
    switch (e.kind) {
      case 'message':
      case 'packet':
        if (e.relid === undefined) return undefined;
        return relay && e.from !== 'guest' && e.to !== 'guest' ? `h:${e.relid}` : `g:${e.relid}`;
      case 'state':
        if (e.relid === undefined) return undefined;
        return relay && e.party === 'host' ? `h:${e.relid}` : `g:${e.relid}`;
      case 'interrupt':
        return e.relid === undefined ? undefined : `g:${e.relid}`;
      default:
        return undefined;
    }
  }

  /** The line of an event by itself (its SourceRef, or the device of its relid). */
  forEvent(e: TraceEvent, events: Trace): SourceRef | undefined {
    if (e.source) return e.source;
    // A phase that ended in a fallback points at what made it fall back.
    if (e.kind === 'phase' && e.outcome === 'fallback') {
      const r = this.forPhase('fallback', events);
      if (r) return r;
    }
    const key = this.keyOf(e);
    if (key !== undefined) {
      this.index(events);
      const dev = this.relidDevice.get(key);
      if (dev) return this.deviceRef(dev);
    }
    return undefined;
  }

  /** The line a phase comes from (without its begin event's own SourceRef). */
  forPhase(name: string, events: Trace): SourceRef | undefined {
    const relid = /relid (\d+)/.exec(name);
    if (relid) {
      this.index(events);
      const dev = this.relidDevice.get(`g:${relid[1]}`);
      if (dev) return this.deviceRef(dev);
    }
    for (const d of this.config.devices) {
      if (d.source && new RegExp(`\\b${d.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(name)) return d.source;
    }
    const low = name.toLowerCase();
    for (const rule of PHASE_SETTINGS) {
      if (!rule.test.test(low)) continue;
      for (const [section, keyword] of rule.where) {
        const r = this.settingLine(section, keyword);
        if (r) return r;
      }
    }
    if (/^offers?\b/.test(low) && this.config.devices[0]?.source && !this.config.sections?.devices) return this.config.devices[0].source;
    return sectionRef(this.config, name);
  }

  /** The line of `keyword ...` inside a section, if written there. */
  settingLine(section: SectionName, keyword: string): SourceRef | undefined {
    const sec = this.config.sections?.[section];
    if (!sec || sec.file !== this.program) return undefined;
    for (let l = sec.line; l <= sec.endLine && l < this.lines.length; l++) {
      const m = new RegExp(`^(\\s*)${keyword}\\b`).exec(this.lines[l]);
      if (m) {
        const col = m[1].length;
        return { file: sec.file, line: l, column: col, endLine: l, endColumn: this.lines[l].trimEnd().length };
      }
    }
    return undefined;
  }
}

/**
 * Build the stack of one thread at a position. `events` is the executed trace; only indices
 * 0..position are looked at.
 */
export function buildStack(
  events: Trace,
  position: number,
  threadId: number,
  config: ScenarioConfig,
  lines: LineResolver,
  nextFrameId: () => number,
  topOverride?: SourceRef,
): FrameInfo[] {
  const first = lines.first;
  let top: TraceEvent | undefined;
  for (let i = Math.min(position, events.length - 1); i >= 0; i--) {
    if (threadOf(events.at(i)!, config) === threadId) {
      top = events.at(i)!;
      break;
    }
  }
  if (!top) {
    const name = position < 0 ? 'not started' : 'idle';
    return [{ id: nextFrameId(), threadId, name, source: first, seq: -1, kind: 'idle' }];
  }
  const frames: FrameInfo[] = [];
  const phases = top.phase;
  // Where each enclosing phase began (its begin event), searched backward from the top event.
  const begins = findPhaseBegins(events, top.seq, phases);
  const phaseRefs: (SourceRef | undefined)[] = phases.map((p, i) => begins[i]?.source ?? lines.forPhase(p, events));
  // The innermost known line: what the top event inherits when it names none itself.
  let inherited: SourceRef | undefined;
  for (let i = phases.length - 1; i >= 0 && !inherited; i--) inherited = phaseRefs[i];
  const current = top.seq === position;
  frames.push({
    id: nextFrameId(),
    threadId,
    name: (current ? '' : '(waiting) ') + `#${top.seq} ` + describeEvent(top),
    source: (current ? topOverride : undefined) ?? lines.forEvent(top, events) ?? inherited ?? first,
    seq: top.seq,
    kind: 'event',
  });
  for (let i = phases.length - 1; i >= 0; i--) {
    let ref = phaseRefs[i];
    for (let j = i - 1; j >= 0 && !ref; j--) ref = phaseRefs[j];
    frames.push({ id: nextFrameId(), threadId, name: phases[i], source: ref ?? first, seq: begins[i]?.seq ?? top.seq, kind: 'phase' });
  }
  return frames;
}

/** For each phase in `phases` (outermost first), the begin event that opened it, if found. */
export function findPhaseBegins(events: Trace, from: number, phases: string[]): (TraceEvent | undefined)[] {
  const out: (TraceEvent | undefined)[] = phases.map(() => undefined);
  let remaining = phases.length;
  // A compact trace tells the kind unread: deep in a data phase the begin lies a million packets back.
  const kindAt = events.kindAt?.bind(events);
  for (let i = Math.min(from, events.length - 1); i >= 0 && remaining > 0; i--) {
    if (kindAt && kindAt(i) !== 'phase') continue;
    const e = events.at(i)!;
    if (e.kind !== 'phase' || e.action !== 'begin') continue;
    // A begin event's own phase list may or may not include the phase it opens; accept both.
    const depth = e.phase.length > 0 && e.phase[e.phase.length - 1] === e.name ? e.phase.length - 1 : e.phase.length;
    if (depth < phases.length && phases[depth] === e.name && !out[depth]) {
      // Only accept it if the outer phases match, so a repeated phase name in a sibling does not count.
      let same = true;
      for (let k = 0; k < depth; k++) if (e.phase[k] !== phases[k]) same = false;
      if (same) {
        out[depth] = e;
        remaining--;
      }
    }
  }
  return out;
}
