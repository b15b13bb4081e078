// createSession / runScenario: the engine entry points. A session owns a live World (model/world.ts, which
// appends events lazily as the stepper advances), the trace, and a projection of the trace into
// SimulationState with periodic snapshots for exact, cheap stepping backwards.
//
// setValue/inject record an edit at the current position; the run is regenerated from scratch
// (deterministic, same seed) up to that position, the edit is applied at that action boundary,
// and events after it are produced anew.
import type { Expectation, ScenarioConfig, StopPoint } from '../model/config';
import type { ExpectationEvent, Granularity, TraceEvent } from '../trace/events';
import type { Trace } from '../trace/buffer';
import { queryTrace, type TraceQuery } from '../trace/store';
import { DEFAULT_MAX_EVENTS, type EventPredicate, type SessionOptions, type SimulationSession, type SimulationState, type StopInfo } from './api';
import { World, eventMatchesStop, LANE_DELAYS, type PageRec, type SimEdit } from '../model/world';
import { Scheduler } from './scheduler';
import { versionString } from '../protocol/constants';
import { applyEvent, cloneState, initialState, publicState, type ProjectionState } from './projection';
import { yieldToEventLoop } from '../util/yield';

export { defaultConfig, defaultDevices } from './defaults';
export { FAULT_CATALOGUE } from './faults';

export interface ExpectationResult {
  ok: boolean;
  text: string;
  detail?: string;
  source?: Expectation['source'];
}

export interface RunResult {
  /** The whole trace (compact: read with at(i), iterate, filter...). */
  events: Trace;
  /** Set when the run stopped at the events budget: the trace is cut short, expectations were not evaluated. */
  budget?: string;
  state: SimulationState;
  expectationResults: ExpectationResult[];
}

/** Runs a scenario to its end (sync). */
export function runScenario(config: ScenarioConfig, opts: SessionOptions = {}): RunResult {
  const s = createSession(config, opts) as Session;
  const stop = s.runToEnd();
  const r: RunResult = { events: s.events(), state: s.inspect(), expectationResults: s.expectationResults() };
  if (stop.reason === 'budget') r.budget = stop.description;
  return r;
}

/** Creates a stepping session (nothing has run yet: position -1). */
export function createSession(config: ScenarioConfig, opts: SessionOptions = {}): SimulationSession & Session {
  return new Session(config, opts);
}

const MAX_REGEN_GUARD = 50_000_000;
/** runAsync: work per slice before yielding (ms), and how often the clock is read (events). */
const SLICE_BUDGET_MS = 20;
const SLICE_STEP = 2048;

export class Session implements SimulationSession {
  readonly config: ScenarioConfig;
  private sim: World;
  /** The clock the model runs on (engine/scheduler.ts). */
  private clock: Scheduler;
  private pos = -1;
  private edits: { at: number; edit: SimEdit }[] = [];
  private finalized = false;
  private results: ExpectationResult[] = [];
  // projection cache
  private proj: ProjectionState;
  private snapshots = new Map<number, ProjectionState>();
  private snapshotInterval: number;
  private lastSnap = -1;
  private listeners = new Set<(events: Trace, from: number) => void>();
  private readonly maxEvents: number;
  /** The run stopped at the events budget, before its end. */
  budgetExceeded = false;

  constructor(config: ScenarioConfig, private opts: SessionOptions = {}) {
    const cfg: ScenarioConfig = { ...config, platform: { ...config.platform } };
    if (opts.seed !== undefined) cfg.seed = opts.seed;
    if (opts.design !== undefined) cfg.platform.design = opts.design;
    this.config = cfg;
    this.clock = new Scheduler(LANE_DELAYS);
    this.sim = new World(cfg, this.clock, { compactTrace: opts.compactTrace });
    this.snapshotInterval = opts.snapshotInterval ?? 1024;
    this.maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
    this.proj = initialState(cfg);
    this.snapshots.set(-1, cloneState(this.proj));
  }

  // ------------------------------------------------------------------ running the model

  /** Makes sure event index n exists (or the run is over). */
  private ensure(n: number): boolean {
    const ev = this.sim.events;
    while (ev.length <= n) {
      if (ev.length >= this.maxEvents && !this.clock.finished) { this.budgetExceeded = true; return false; }
      if (!this.clock.step()) {
        if (!this.finalized) this.finalize();
        if (ev.length <= n) return false;
      }
    }
    return true;
  }

  private finalize(): void {
    this.finalized = true;
    const before = Math.min(this.notified, this.sim.events.length);
    this.sim.finalChecks();
    this.results = evaluateExpectations(this.config, this.sim);
    for (const r of this.results) {
      const e: Partial<ExpectationEvent> = { kind: 'expectation', ok: r.ok, text: r.text, vp: null, granularity: 'event' };
      if (r.detail !== undefined) e.detail = r.detail;
      if (r.source) e.source = r.source;
      this.sim.emit(e as ExpectationEvent);
    }
    this.notify(before);
  }

  private notified = 0;

  private notify(from: number): void {
    this.notified = this.sim.events.length;
    for (const l of this.listeners) l(this.sim.events, from);
  }

  /** Tells subscribers about events produced since the last notification. */
  private flush(): void {
    if (this.listeners.size > 0 && this.sim.events.length > this.notified) this.notify(this.notified);
  }

  /** Subscribe to newly produced events (called with the whole trace and the first new index). */
  subscribe(fn: (events: Trace, from: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  events(): Trace {
    return this.sim.events;
  }

  query(q: TraceQuery): TraceEvent[] {
    return queryTrace(this.sim.events, q);
  }

  position(): number {
    return this.pos;
  }

  done(): boolean {
    return this.finalized && this.pos >= this.sim.events.length - 1;
  }

  expectationResults(): ExpectationResult[] {
    return this.results;
  }

  // ------------------------------------------------------------------ stepping

  private stop(reason: StopInfo['reason'], description?: string): StopInfo {
    this.flush();
    const ev = this.pos >= 0 ? this.sim.events.at(this.pos)! : undefined;
    const s: StopInfo = { reason };
    if (ev) s.event = ev;
    if (description) s.description = description;
    return s;
  }

  step(granularity: Granularity): StopInfo {
    for (;;) {
      if (!this.ensure(this.pos + 1)) return this.stop('end');
      this.pos++;
      const e = this.sim.events.at(this.pos)!;
      if (granularity === 'substep' || e.granularity === 'event') return this.stop('step');
    }
  }

  stepOut(): StopInfo {
    const cur = this.pos >= 0 ? this.sim.events.at(this.pos)! : undefined;
    const depth = cur ? cur.phase.length : 0;
    if (depth === 0) return this.runToEnd();
    const name = cur!.phase[depth - 1];
    return this.runUntil((e) => e.kind === 'phase' && e.action === 'end' && e.name === name && e.phase.length === depth);
  }

  stepBack(granularity: Granularity): StopInfo {
    let p = this.pos - 1;
    while (p >= 0 && granularity === 'event' && this.sim.events.at(p)!.granularity !== 'event') p--;
    this.pos = Math.max(-1, p);
    return this.stop(this.pos < 0 ? 'entry' : 'step');
  }

  runUntil(pred: EventPredicate, maxEvents = Number.POSITIVE_INFINITY): StopInfo {
    let n = 0;
    for (;;) {
      if (!this.ensure(this.pos + 1)) return this.budgetExceeded ? this.stop('end', this.budgetMessage()) : this.stop('end');
      this.pos++;
      if (pred(this.sim.events.at(this.pos)!)) return this.stop('predicate');
      if (++n >= maxEvents) {
        // A budgeted run is a slice of a longer one (the debugger's Continue): project the slice
        // now, so the stop at its end does not replay everything the run passed in one go.
        this.projectTo(this.pos);
        return this.stop('budget');
      }
    }
  }

  reverseUntil(pred: EventPredicate): StopInfo {
    for (let p = this.pos - 1; p >= 0; p--) {
      if (pred(this.sim.events.at(p)!)) { this.pos = p; return this.stop('predicate'); }
    }
    this.pos = -1;
    return this.stop('entry');
  }

  /** Runs to a scenario stop point (config.stops) by label. */
  runToStop(label: string): StopInfo {
    const stop = this.config.stops.find((x) => x.label === label);
    if (!stop) return this.stop('exception', `no stop point "${label}"`);
    const r = this.runUntil((e) => matchesStop(stop, e, (x) => this.sim.deviceOfEvent(x)));
    return r.reason === 'predicate' ? { ...r, reason: 'breakpoint', description: label } : r;
  }

  /** The stop at the events budget (the run is cut short; expectations are not evaluated). */
  private budgetStop(): StopInfo {
    this.budgetExceeded = true;
    this.pos = this.sim.events.length - 1;
    this.flush();
    return this.stop('budget', this.budgetMessage());
  }

  private budgetMessage(): string {
    return `the run exceeded the events budget of ${this.maxEvents} events (raise it with --max-events)`;
  }

  runToEnd(): StopInfo {
    const ev = this.sim.events;
    while (ev.length < this.maxEvents && this.clock.step()) { /* keep going */ }
    if (!this.clock.finished) return this.budgetStop();
    if (!this.finalized) this.finalize();
    this.pos = this.sim.events.length - 1;
    return this.stop('end');
  }

  /**
   * Runs to the end in slices of at most `sliceEvents` events and about SLICE_BUDGET_MS of work,
   * yielding to the event loop between slices. Resolves with the stop info; rejects nothing: an
   * aborted run stops with reason 'pause'.
   */
  async runAsync(sliceEvents = 50_000, signal?: AbortSignal, onProgress?: (position: number) => void): Promise<StopInfo> {
    for (;;) {
      if (signal?.aborted) return this.stop('pause', 'cancelled');
      const t0 = performance.now();
      if (!this.clock.finished && this.sim.events.length >= this.maxEvents) return this.budgetStop();
      const target = Math.min(this.maxEvents, this.sim.events.length + sliceEvents);
      // Events cost very different amounts (an offer is encoded, posted, decoded and checked; a
      // packet is a few numbers), so the slice also ends on time, checked every SLICE_STEP events.
      do {
        const until = Math.min(target, this.sim.events.length + SLICE_STEP);
        while (this.sim.events.length < until && this.clock.step()) { /* keep going */ }
        // Project as we go: the views' first inspect() after a long run then has nothing left
        // to replay (a whole 1M-packet run replays in about a second, too long for one turn).
        this.projectTo(this.sim.events.length - 1);
      } while (this.sim.events.length < target && !this.clock.finished && performance.now() - t0 < SLICE_BUDGET_MS);
      const more = !this.clock.finished;
      this.pos = this.sim.events.length - 1;
      this.flush();
      onProgress?.(this.pos);
      if (!more) { if (!this.finalized) this.finalize(); this.pos = this.sim.events.length - 1; return this.stop('end'); }
      await yieldToEventLoop();
    }
  }

  goTo(position: number): StopInfo {
    if (position < -1) position = -1;
    if (position >= this.sim.events.length) this.ensure(position);
    this.pos = Math.min(position, this.sim.events.length - 1);
    return this.stop(this.pos < 0 ? 'entry' : 'step');
  }

  // ------------------------------------------------------------------ state

  /** Projection at the current position (snapshot + replay). */
  private projectTo(pos: number): ProjectionState {
    if (this.proj.position > pos) {
      let best = -1;
      for (const k of this.snapshots.keys()) if (k <= pos && k > best) best = k;
      this.proj = cloneState(this.snapshots.get(best)!);
    }
    const ev = this.sim.events;
    const iv = this.snapshotInterval;
    for (let i = this.proj.position + 1; i <= pos; i++) {
      applyEvent(this.proj, ev.at(i)!, this.config);
      // Adaptive interval: at least `iv` events apart and at most ~128 snapshots per run, so
      // replay after a restore stays bounded (position/128 events: a few ms at 1M events) and
      // memory stays bounded (each snapshot copies the channel and page tables).
      if (i - this.lastSnap >= Math.max(iv, i >> 7)) {
        this.snapshots.set(i, cloneState(this.proj));
        this.lastSnap = i;
      }
    }
    return this.proj;
  }

  inspect(): SimulationState {
    const s = this.projectTo(this.pos);
    return publicState(s, this.done());
  }

  /** Snapshot of the projection at the current position (for benchmarks / tools). */
  snapshot(): ProjectionState {
    return cloneState(this.projectTo(this.pos));
  }

  /** Restores a snapshot taken with snapshot() (moves the position there). */
  restore(snap: ProjectionState): void {
    this.proj = cloneState(snap);
    this.pos = snap.position;
  }

  // ------------------------------------------------------------------ edits

  private regenerate(extra: SimEdit): string | null {
    const at = this.pos;
    this.edits = this.edits.filter((e) => e.at <= at);
    const clock = new Scheduler(LANE_DELAYS);
    const sim = new World(this.config, clock, { compactTrace: this.opts.compactTrace });
    let err: string | null = null;
    const all = [...this.edits, { at, edit: extra }];
    for (let k = 0; k < all.length; k++) {
      const { at: p, edit } = all[k];
      let guard = 0;
      while (sim.events.length <= p && clock.step()) { if (++guard > MAX_REGEN_GUARD) break; }
      const r = sim.applyEdit(edit);
      if (k === all.length - 1) err = r;
    }
    if (err) return err;
    this.edits = all;
    this.sim = sim;
    this.clock = clock;
    this.finalized = false;
    this.results = [];
    // The projection and snapshots after the position are stale.
    for (const k of [...this.snapshots.keys()]) if (k > at) this.snapshots.delete(k);
    this.lastSnap = Math.max(-1, ...[...this.snapshots.keys()]);
    if (this.proj.position > at) {
      let best = -1;
      for (const k of this.snapshots.keys()) if (k <= at && k > best) best = k;
      this.proj = cloneState(this.snapshots.get(best)!);
    }
    this.notify(at + 1);
    return null;
  }

  /**
   * Paths: "offer.<device>.chn_flags" / "offer.relid.<n>.chn_flags" / "pending.chn_flags" (the next
   * offer the guest has not read yet) / "channel.<relid>.chnFlags" (same, by relid).
   */
  setValue(path: string, value: string | number | boolean): { ok: true } | { ok: false; error: string } {
    const v = typeof value === 'string' ? Number(value) : Number(value);
    if (!Number.isFinite(v)) return { ok: false, error: `value ${String(value)} is not a number` };
    let edit: SimEdit | null = null;
    let m: RegExpExecArray | null;
    if ((m = /^offer\.relid\.(\d+)\.chn_flags$/.exec(path))) edit = { kind: 'offer-flags', relid: Number(m[1]), value: v };
    else if ((m = /^channel\.(\d+)\.(chnFlags|chn_flags)$/.exec(path))) edit = { kind: 'offer-flags', relid: Number(m[1]), value: v };
    else if ((m = /^offer\.([^.]+)\.chn_flags$/.exec(path))) edit = { kind: 'offer-flags', device: m[1], value: v };
    else if (path === 'pending.chn_flags') edit = { kind: 'offer-flags', value: v };
    if (!edit) return { ok: false, error: `unknown path ${path}; supported: offer.<device>.chn_flags, offer.relid.<n>.chn_flags, channel.<relid>.chnFlags, pending.chn_flags` };
    const err = this.regenerate(edit);
    return err ? { ok: false, error: err } : { ok: true };
  }

  inject(fault: { kind: string; relid?: number; params?: Record<string, string | number | boolean> }): { ok: true } | { ok: false; error: string } {
    if (fault.kind !== 'rescind') return { ok: false, error: `inject supports "rescind" (got ${fault.kind})` };
    const device = fault.params?.device !== undefined ? String(fault.params.device) : undefined;
    const edit: SimEdit = { kind: 'rescind' };
    if (fault.relid !== undefined) edit.relid = fault.relid;
    if (device !== undefined) edit.device = device;
    const err = this.regenerate(edit);
    return err ? { ok: false, error: err } : { ok: true };
  }
}

/**
 * Whether an event reaches a scenario stop point. Every part the stop gives must match: a message
 * of that type (inside that phase, about that device), else a phase of that name begins ("open"
 * matches "open storvsc (relid 1)"; for that device if given), else the device's channel appears.
 * `deviceOf` names the device an event concerns (Session passes the simulator's resolver).
 */
export function matchesStop(stop: StopPoint, e: TraceEvent, deviceOf?: (e: TraceEvent) => string | undefined): boolean {
  return eventMatchesStop(stop, e, deviceOf);
}

// ---------------------------------------------------------------------------------- expectations

/**
 * The pages a page expectation names. Engine ids are used as they are ("relid1.ring",
 * "vp0.para.simp"); the scenario form "DEVICE.KIND" (`page ring(disk0) ...` gives "disk0.ring")
 * names KIND of every guest channel of that device: the primary and its subchannels
 * ("relid1.ring", "relid3.ring"...). Otherwise a page whose id ends with the text.
 */
function resolvePages(cfg: ScenarioConfig, sim: World, id: string): PageRec[] {
  const exact = sim.pages.get(id);
  if (exact) return [exact];
  const dot = id.indexOf('.');
  if (dot > 0) {
    const dev = id.slice(0, dot);
    const kind = id.slice(dot + 1);
    if (cfg.devices.some((d) => d.name === dev)) {
      const out: PageRec[] = [];
      const chans = sim.guest.channelOrder.filter((c) => c.device === dev).sort((a, b) => a.subIndex - b.subIndex);
      for (const c of chans) {
        const p = sim.pages.get(`relid${c.relid}.${kind}`);
        if (p && !out.includes(p)) out.push(p);
      }
      return out;
    }
  }
  const p = [...sim.pages.values()].find((q) => q.id.endsWith(id) || q.purpose.includes(id));
  return p ? [p] : [];
}

/**
 * The feature flags of the last VERSION_RESPONSE with version_supported != 0 the guest received:
 * VersionResponse2's supported_features (u32 at byte 16, openvmm §1.6); 0 for the 16-byte form
 * (below 6.0, or a server without feature flags). Read from the bytes on the wire.
 */
function acceptedFeatures(sim: World): number | undefined {
  let out: number | undefined;
  for (const e of sim.events) {
    if (e.kind !== 'message' || e.to !== 'guest' || e.msgtype !== 'CHANNELMSG_VERSION_RESPONSE' || e.status !== 'HV_STATUS_SUCCESS') continue;
    if (e.hex.length < 18 || e.hex.slice(16, 18) === '00') continue;
    out = e.hex.length >= 40 ? Number.parseInt(e.hex.slice(38, 40) + e.hex.slice(36, 38) + e.hex.slice(34, 36) + e.hex.slice(32, 34), 16) >>> 0 : 0;
  }
  return out;
}

function evaluateExpectations(cfg: ScenarioConfig, sim: World): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  const g = sim.guest;
  for (const x of cfg.expectations) {
    let ok = false;
    let text = '';
    let detail: string | undefined;
    switch (x.kind) {
      case 'offer': {
        const ch = g.channelOrder.filter((c) => c.device === x.device).pop();
        const accepted = !!ch && ch.state !== 'rejected';
        ok = !!ch && (x.outcome === 'accepted') === accepted;
        if (ok && x.confidentialRing !== undefined) ok = ch!.coRing === x.confidentialRing;
        if (ok && x.confidentialExternal !== undefined) ok = ch!.coExternal === x.confidentialExternal;
        text = `offer ${x.device} ${x.outcome}${x.confidentialRing !== undefined ? ` confidential ring ${x.confidentialRing}` : ''}`;
        detail = ch ? `state ${ch.state}, chn_flags 0x${ch.chnFlags.toString(16)}${ch.rejectReason ? ', ' + ch.rejectReason : ''}` : 'never offered';
        break;
      }
      case 'fallback':
        ok = g.fallback === x.taken; text = `fallback ${x.taken ? 'taken' : 'not taken'}`; detail = `fallback ${g.fallback}`; break;
      case 'confidential':
        ok = g.confidential === x.value; text = `connection confidential = ${x.value}`; detail = `confidential ${g.confidential}, connection ${g.conn}`; break;
      case 'version':
        ok = g.version === x.version; text = `version ${versionString(x.version)}`; detail = g.version === null ? 'not connected' : `negotiated ${versionString(g.version)}`; break;
      case 'log': {
        // A guest or a paravisor line (docs/scenario-language.md): the guest's kernel log and
        // OpenHCL's own log are both what a user reads.
        const has = sim.events.some((e) => e.kind === 'log' && (e.party === 'guest' || e.party === 'paravisor') && e.text.includes(x.text));
        ok = has === x.present; text = `log ${x.present ? '' : 'not '}"${x.text}"`; detail = has ? 'present' : 'absent'; break;
      }
      case 'page': {
        const ps = resolvePages(cfg, sim, x.page);
        text = `page ${x.page} ${x.visibility}`;
        ok = ps.length > 0 && ps.every((p) => p.visibility === x.visibility);
        if (ps.length === 0) detail = 'no such page';
        else if (ps.length === 1 && ps[0].id === x.page) detail = `${ps[0].visibility} (${ps[0].reason})`;
        else detail = ps.map((p) => `${p.id}: ${p.visibility} (${p.reason})`).join('; ');
        break;
      }
      case 'message': {
        const has = sim.events.some((e) => e.kind === 'message' && e.msgtype === x.msgtype && (x.synic === undefined || e.synic === x.synic) && (x.from === undefined || e.from === x.from) && (x.to === undefined || e.to === x.to)
          && (x.device === undefined || sim.deviceOfEvent(e) === x.device));
        ok = has === x.present; text = `message ${x.msgtype}${x.synic ? ' on ' + x.synic + ' SynIC' : ''}${x.device ? ' device ' + x.device : ''} ${x.present ? 'present' : 'absent'}`; detail = has ? 'seen' : 'not seen'; break;
      }
      case 'monitor': {
        const ch = g.channelOrder.filter((c) => c.device === x.device && c.subIndex === 0).pop();
        const got = ch?.monitorId ?? null;
        ok = !!ch && ch.state !== 'rejected' && got === x.monitorId;
        text = `offer ${x.device} monitor ${x.monitorId === null ? 'none' : x.monitorId}`;
        detail = ch ? `monitorid ${got === null ? 'none (monitor_allocated 0)' : got}` : 'never offered';
        break;
      }
      case 'features': {
        const got = acceptedFeatures(sim);
        ok = got === x.flags;
        text = `features 0x${x.flags.toString(16)}`;
        detail = got === undefined ? 'no VERSION_RESPONSE accepted' : `granted 0x${got.toString(16)}`;
        break;
      }
      case 'channel-state': {
        const ch = g.channelOrder.filter((c) => c.device === x.device).pop();
        ok = !!ch && ch.state === x.state; text = `channel ${x.device} ${x.state}`; detail = ch ? ch.state : 'no channel'; break;
      }
      case 'invariants':
        ok = (sim.brokenInvariants.size === 0) === x.hold; text = `invariants ${x.hold ? 'hold' : 'broken'}`; detail = [...sim.brokenInvariants].join(', ') || 'none broken'; break;
    }
    const r: ExpectationResult = { ok, text };
    if (detail !== undefined) r.detail = detail;
    if (x.source) r.source = x.source;
    out.push(r);
  }
  return out;
}
