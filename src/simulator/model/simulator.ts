// The simulation world: guest (Linux, VTL0), paravisor (OpenHCL, VTL2: SynIC + VMBus server +
// relay), hypervisor SynICs and the host (VMBus server + VSPs). A deterministic discrete-event
// scheduler runs closures in (time, seq) order; each party appends TraceEvents.
//
// Every channel message that crosses a boundary is encoded by the protocol core and decoded by it
// on the receiving side (decodeMessage with Linux's checks for the guest, allowOpenVmm for servers).
import type { DeviceConfig, FaultConfig, ScenarioConfig, SourceRef, StopPoint } from './config';
import type { Clock, LaneDelays, Runner } from './ports';
import type {
  AccessPath, Granularity, MessageEvent, Party, SynicId, TraceEvent, Visibility,
} from '../trace/events';
import { TraceBuffer, decimal } from '../trace/buffer';
import { decodeMessage, encodeMessage, pagesSpanned } from '../protocol/codec';
import { hexNum, toHex } from '../protocol/hex';
import { classByGuid } from '../protocol/guid';
import { checkOffer, LINUX_LOG_PREFIX } from '../protocol/offer';
import { LINUX_VERSION_ORDER, OPENVMM_CLIENT_VERSION_ORDER, messageTypeName, parseVersion, versionString } from '../protocol/constants';
import { faultById } from './faults/catalogue';
import { prng } from '../util/prng';
import {
  HV_STATUS, HVCALL_POST_MESSAGE, HVCALL_SIGNAL_EVENT, LEGACY_PARAVISOR_DIRECT_POST_STATUS, MONITOR_ID_INVALID, MSR,
  OPENHCL_CLIENT_FEATURES, OPENHCL_NON_ISOLATED_MAX_FLAGS, PACKET_PAYLOAD, RELAY_LOCAL_FEATURES, RELAY_REQUIRED_FEATURES,
  SERVER_SUPPORTED_FEATURES, SHARED_GPA_BOUNDARY, SINT_AUTO_EOI, SINT_MASKED, SINT_PROXY, STATUS_UNSUCCESSFUL, T,
  VMBUS_MESSAGE_REDIRECT_CONNECTION_ID, VMBUS_VECTOR, VS_CPUID_EAX_OTHER_BITS_OPENHCL, PARAVISOR_CHANNEL_SIGNAL_TARGET, isolatedPath, noParavisorPath,
} from './constants';

// ------------------------------------------------------------------------------------------ types

type Json = Record<string, unknown>;
type Emit = Omit<TraceEvent, 'seq' | 'time' | 'phase' | 'granularity' | 'vp'> & { vp?: number | null; granularity?: Granularity; source?: SourceRef };

interface SlotItem { bytes: Uint8Array; msgtype: string; from: Party; payloadSize: number; fault?: string; source?: SourceRef }

export interface SynicState {
  owner: SynicId;
  vp: number;
  scontrol: number;
  simp: number;
  siefp: number;
  sint2: number;
  regPath: Record<string, AccessPath | null>;
  eomCount: number;
  slot: SlotItem | null;
  pending: boolean;
  queue: SlotItem[];
  /** Channel event flags set in this SynIC's SIEF page (relids). */
  flags: EventFlags;
}

export interface PageRec {
  id: string;
  gpa: number;
  count: number;
  purpose: string;
  owner: Party;
  visibility: Visibility;
  reason: string;
  freed: boolean;
}

interface Ring {
  size: number; // data bytes
  in: number;
  out: number;
  mask: number;
  pss: number;
  packets: number;
}

/** One channel from the guest's point of view (Linux struct vmbus_channel). */
export interface GuestChannel {
  relid: number;
  device: string;
  dev?: DeviceConfig;
  classGuid: string;
  className?: string;
  instanceGuid: string;
  chnFlags: number;
  connectionId: number;
  monitorId?: number;
  subIndex: number;
  state: string;
  coRing: boolean;
  coExternal: boolean;
  rescinded: boolean;
  offerHex: string;
  hostedBy: 'paravisor' | 'host';
  relayed: boolean;
  originalChnFlags?: number;
  ringGpadl?: number;
  gpadls: { handle: number; kind: 'ring' | 'buffer'; pages: number; gpa: number; visibility: Visibility; state: string; pageId: string }[];
  outRing?: Ring;
  inRing?: Ring;
  sent: number;
  target: number;
  blocked?: boolean;
  rejectReason?: string;
  source?: SourceRef;
  /** VP the channel's interrupts go to (OPENCHANNEL target_vp; Linux init_vp_index). */
  targetVp?: number;
}

/** A channel in a VMBus server (OpenVMM channels.rs ChannelState). */
interface ServerChannel {
  key: string;
  dev: DeviceConfig;
  id: number; // channel id (relid) once assigned, else 0
  state: string;
  flags: number;
  originalFlags: number;
  monitorId?: number;
  relayed: boolean;
  hostRelid?: number; // for relayed channels: the host's relid
  hostConnId?: number;
  offerOrder: number;
  instanceGuid: string;
  classGuid: string;
  openId?: number;
  /** 0 = primary; >0 = subchannel (offered after the primary opens). */
  subIndex: number;
  subsOffered?: boolean;
  gpadls: Map<number, { state: string; pages: number }>;
  pendingRescindDuringOpen?: boolean;
  /** OPEN_CHANNEL received while Closing (OpenVMM ClosingReopen): replayed once the close completes. */
  reopen?: Json;
}

interface ServerConn {
  state: 'Disconnected' | 'Connecting' | 'Connected' | 'Disconnecting';
  version: number;
  features: number;
  trusted: boolean;
  offersSent: boolean;
  monitorPages: boolean;
}

type ServerClient = 'guest' | 'relay';

/** A VMBus server: the paravisor's (OpenHCL) or the host's. Follows OpenVMM channels.rs. */
interface Server {
  party: 'paravisor' | 'host';
  versions: number[];
  maxFlags: number;
  conn: ServerConn;
  client: ServerClient | null;
  channels: ServerChannel[];
  nextOrder: number;
  /** OpenHCL on a CVM requires server-allocated monitor pages (guest pages ignored). */
  requireServerMnf: boolean;
  /** Server answers VERSION_RESPONSE with this msg_conn_id for >= 5.0. */
  childConnId: number;
}

export interface RunSummary {
  fallbackTaken: boolean;
}

export interface SimEdit {
  kind: 'offer-flags' | 'rescind' | 'field';
  device?: string;
  relid?: number;
  value?: number;
  path?: string;
}

const round8 = (n: number): number => (n + 7) & ~7;
/** Linux create_gpadl_header: PFNs in the GPADL_HEADER message ((240 - 20 - 8) / 8). */
const GPADL_HEADER_MAX_PFNS = 26;
/** PFNs per GPADL_BODY message ((240 - 16) / 8). */
const GPADL_BODY_MAX_PFNS = 28;
/** Shared, never mutated: event-flag StateEvent detail after a scan. */
const EMPTY_FLAGS: Json = Object.freeze({ sint: 2, bits: Object.freeze([]) as unknown as number[] }) as Json;

/**
 * The event flags set in a SynIC's SIEF page: a set of relids (u32). Marks indexed by relid and a
 * list of the set ones, so setting a flag hashes nothing and clearing keeps the storage (a Set
 * reallocates its table on clear() and rehashes while it refills, once per scan on the data path).
 */
class EventFlags {
  /** marks[relid] === 1 while the flag is set. */
  private marks: number[] = [];
  private list: number[] = [];
  /** Flags set. */
  size = 0;

  /** Sets a flag; false if it was set already. */
  add(relid: number): boolean {
    if (this.marks[relid] === 1) return false;
    this.marks[relid] = 1;
    this.list[this.size++] = relid;
    return true;
  }

  /**
   * The set flags in ascending order (what for_each_set_bit visits), and clears them all. More
   * than one come as a Float64Array: it sorts numerically without a comparator and holds any u32;
   * iteration and join(',') read as a number[] would.
   */
  takeSorted(): number[] | Float64Array {
    const n = this.size;
    const list = this.list;
    let bits: number[] | Float64Array;
    if (n === 1) {
      bits = [list[0]];
    } else {
      bits = new Float64Array(n);
      for (let i = 0; i < n; i++) bits[i] = list[i];
      bits.sort();
    }
    for (let i = 0; i < n; i++) this.marks[list[i]] = 0;
    this.size = 0;
    return bits;
  }
}

/** The fixed delays the data path schedules with (a clock may keep a FIFO lane for each). */
export const LANE_DELAYS: LaneDelays = [T.packetGap, T.drain, T.isr];

const LINUX_MIN_PAYLOAD: Record<number, number> = { 1: 196, 2: 12, 6: 20, 10: 20, 12: 12, 15: 16, 24: 16 };
/** msgtypes Linux has a handler for (channel_message_table). */
const LINUX_HANDLED = new Set([1, 2, 4, 6, 10, 12, 15, 17, 24]);

/** Whether a phase name is, or starts with, the wanted phase ("open" matches "open storvsc (relid 1)"). */
function phaseIs(name: string, wanted: string): boolean {
  return name === wanted || name.startsWith(wanted + ' ');
}

/**
 * Whether an event reaches a scenario stop point. Every part the stop gives must match:
 * - `at message M`: a message of type M (inside phase P if `at phase P` is given too, and about
 *   device D if `at device D` is given too);
 * - `at phase P` (no message): phase P begins (the device's own phase if D is given, e.g. its open);
 * - `at device D` alone: D's channel appears on the guest (its offer is accepted).
 * `deviceOf` names the device an event concerns; without it, device parts match on the event's
 * channel detail only.
 */
export function eventMatchesStop(stop: StopPoint, e: TraceEvent, deviceOf?: (e: TraceEvent) => string | undefined): boolean {
  const dev = stop.device;
  if (stop.msgtype !== undefined) {
    if (e.kind !== 'message' || e.msgtype !== stop.msgtype) return false;
    if (stop.phase !== undefined && !e.phase.some((p) => phaseIs(p, stop.phase!))) return false;
    return dev === undefined || (deviceOf !== undefined && deviceOf(e) === dev);
  }
  if (stop.phase !== undefined) {
    if (e.kind !== 'phase' || e.action !== 'begin' || !phaseIs(e.name, stop.phase)) return false;
    return dev === undefined || (deviceOf !== undefined && deviceOf(e) === dev);
  }
  if (dev !== undefined) {
    return e.kind === 'state' && e.party === 'guest' && e.object === 'channel' && e.from === 'none' && (e.detail as Json | undefined)?.device === dev;
  }
  return false;
}

// ------------------------------------------------------------------------------------- simulator

export class Simulator {
  readonly cfg: ScenarioConfig;
  /** The trace; the data path's events are stored compactly (trace/buffer.ts). */
  readonly events: TraceBuffer;
  private readonly clock: Clock;
  private phaseStack: string[] = [];
  private phaseArr: string[] = [];
  private rand: () => number;
  private nextPfn: number;
  private edits: SimEdit[] = [];

  // ---- platform
  readonly iso: ScenarioConfig['platform']['isolation'];
  readonly cvm: boolean;
  readonly isolated: boolean;
  readonly pvPresent: boolean;
  /** OpenHCL with a VMBus server + relay serves VTL0 (paravisor.confidentialVmbus). */
  readonly pvServer: boolean;
  readonly cpuidBit: boolean;

  // ---- SynICs
  readonly hypSynic: SynicState[] = [];
  readonly paraSynic: SynicState[] = [];
  readonly pages = new Map<string, PageRec>();

  // ---- guest (Linux)
  guest = {
    conn: 'disconnected',
    confidential: false,
    fallback: false,
    version: null as number | null,
    msgConnId: null as number | null,
    featureFlags: 0,
    ladderIndex: 0,
    logs: [] as string[],
    waiters: [] as { msgtype: number; match: (j: Json) => boolean; resolve: (j: Json) => void; relid?: number; cancel?: () => void }[],
    channels: new Map<number, GuestChannel>(),
    channelOrder: [] as GuestChannel[],
    nextGpadl: 0xe1e10,
    offersDone: false,
    isrScheduled: [] as boolean[],
    openQueue: [] as GuestChannel[],
    unloaded: false,
    warnOnce: new Set<string>(),
    attemptConfidential: false,
  };

  // ---- servers
  pv: Server | null = null;
  host: Server;
  relay = {
    state: 'none' as string,
    version: 0,
    features: 0,
    offers: new Map<number, Json>(),
    ok: false,
  };

  // ---- fault bookkeeping
  private faultCounts = new Map<FaultConfig, number>();
  private msgCounts = new Map<string, number>();
  readonly brokenInvariants = new Set<string>();
  private pumpsActive = 0;
  private dataStarted = false;
  private stepsStarted = false;
  private packetPhase: string[] = [];

  constructor(cfg: ScenarioConfig, clock: Clock, edits: SimEdit[] = [], opts: { compactTrace?: boolean } = {}) {
    this.cfg = cfg;
    this.clock = clock;
    this.events = new TraceBuffer(opts.compactTrace ?? true);
    this.edits = edits;
    const p = cfg.platform;
    this.iso = p.isolation;
    this.cvm = p.isolation === 'snp' || p.isolation === 'tdx';
    this.isolated = p.isolation !== 'none';
    this.pvPresent = p.paravisor.present;
    this.pvServer = p.paravisor.present && p.paravisor.confidentialVmbus;
    // OpenHCL sets CPUID 0x40000082 EAX bit 3 iff hardware isolated && with_vmbus_relay.
    this.cpuidBit = this.cvm && this.pvServer;
    this.rand = prng(cfg.seed);
    this.nextPfn = 0x10000 + Math.floor(this.rand() * 0x1000) * 0x10;
    for (let vp = 0; vp < Math.max(1, p.vpCount); vp++) {
      this.hypSynic.push(this.newSynic('hypervisor', vp));
      // OpenHCL emulates a VTL0 SynIC only on hardware-isolated VMs; elsewhere VTL0 uses the
      // hypervisor's SynIC directly (and Linux's paravisor_present is only set for CVMs).
      if (this.pvPresent && this.cvm) this.paraSynic.push(this.newSynic('paravisor', vp));
      this.guest.isrScheduled.push(false);
    }
    this.host = {
      party: 'host', versions: p.hostVersions.length ? p.hostVersions : [...LINUX_VERSION_ORDER], maxFlags: p.hostFeatureFlags,
      conn: this.newConn(), client: null, channels: [], nextOrder: 0, requireServerMnf: false, childConnId: 1,
    };
    if (this.pvServer) {
      this.pv = {
        party: 'paravisor', versions: p.paravisor.versions.length ? p.paravisor.versions : [...LINUX_VERSION_ORDER],
        maxFlags: this.cvm ? 0xffffffff : OPENHCL_NON_ISOLATED_MAX_FLAGS,
        conn: this.newConn(), client: null, channels: [], nextOrder: 0,
        requireServerMnf: this.cvm, childConnId: 1,
      };
    }
    for (const d of cfg.devices) {
      const ch = this.serverChannelFor(d);
      if (d.host === 'paravisor') {
        if (this.pv) this.pv.channels.push(ch);
      } else {
        this.host.channels.push(ch);
      }
    }
    for (const st of cfg.steps) if (st.kind === 'rescind' && st.after) this.afterSteps.push(st);
    this.deviceEventOf = (e) => this.deviceOfEvent(e);
    this.schedule(0, () => this.boot());
  }

  private unofferable(): DeviceConfig[] {
    return this.cfg.devices.filter((d) => d.host === 'paravisor' && !this.pv);
  }

  private newConn(): ServerConn {
    return { state: 'Disconnected', version: 0, features: 0, trusted: false, offersSent: false, monitorPages: false };
  }

  private newSynic(owner: SynicId, vp: number): SynicState {
    return {
      owner, vp, scontrol: owner === 'paravisor' ? 0 : 0, simp: 0, siefp: 0, sint2: SINT_MASKED,
      regPath: { SCONTROL: null, SIMP: null, SIEFP: null, SINT2: null, EOM: null },
      eomCount: 0, slot: null, pending: false, queue: [], flags: new EventFlags(),
    };
  }

  private serverChannelFor(d: DeviceConfig): ServerChannel {
    return {
      key: d.name, dev: d, id: 0, state: 'ClientReleased', flags: d.chnFlags, originalFlags: d.chnFlags, monitorId: d.monitorId,
      relayed: false, offerOrder: 0, instanceGuid: d.instanceGuid || this.genGuid(), classGuid: d.classGuid, gpadls: new Map(), subIndex: 0,
    };
  }

  private genGuid(): string {
    const h = (n: number) => Math.floor(this.rand() * 16 ** n).toString(16).padStart(n, '0');
    return `${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(6)}${h(6)}`;
  }

  // ------------------------------------------------------------------------------ scheduler

  schedule(delay: number, fn: () => void): void {
    this.clock.schedule(delay, fn);
  }

  private readonly pumpRunner: Runner<GuestChannel> = { run: (c) => this.pump(c) };
  private readonly drainOutRunner: Runner<GuestChannel> = { run: (c) => this.drain(c, c.outRing!) };
  private readonly drainInRunner: Runner<GuestChannel> = { run: (c) => this.drain(c, c.inRing!) };

  /** schedule(T.packetGap, () => this.pump(c)) without a closure (same time and sequence number). */
  private schedulePump(c: GuestChannel): void {
    this.clock.scheduleRun(T.packetGap, this.pumpRunner, c);
  }

  /** schedule(T.drain, () => this.drain(c, ring)) without a closure (same time and sequence number). */
  private scheduleDrain(c: GuestChannel, outbound: boolean): void {
    this.clock.scheduleRun(T.drain, outbound ? this.drainOutRunner : this.drainInRunner, c);
  }

  private get now(): number {
    return this.clock.now;
  }

  // ------------------------------------------------------------------------------ trace

  emit(e: Emit): TraceEvent {
    const ev = e as TraceEvent;
    ev.seq = this.events.length;
    ev.time = this.now;
    if (ev.vp === undefined) ev.vp = null;
    if (ev.granularity === undefined) ev.granularity = 'event';
    ev.phase = this.phaseArr;
    this.events.push(ev);
    if (this.afterSteps.length > 0) this.checkAfter(ev);
    return ev;
  }

  /** Scripted rescinds with an `after` stop point: armed until the point is reached. */
  private afterSteps: Extract<ScenarioConfig['steps'][number], { kind: 'rescind' }>[] = [];

  private readonly deviceEventOf: (e: TraceEvent) => string | undefined;

  private checkAfter(ev: TraceEvent): void {
    for (let i = 0; i < this.afterSteps.length; i++) {
      const st = this.afterSteps[i];
      if (!eventMatchesStop(st.after!, ev, this.deviceEventOf)) continue;
      this.afterSteps.splice(i, 1);
      i--;
      this.schedule(T.hostWork, () => this.scriptedRescind(st.device, st.source));
    }
  }

  /** Scripted rescinds waiting for their device to be offered (the stop came before the offer). */
  private rescindWhenOffered: { device: string; source?: SourceRef }[] = [];

  /**
   * A `rescind DEVICE after ...` step whose stop point was reached. When the device has not been
   * offered yet (e.g. `after phase offers`), the rescind follows its offer.
   */
  private scriptedRescind(device: string, source?: SourceRef): void {
    const offered = [this.pv, this.host].some((s) => s?.channels.some((c) => c.dev.name === device && c.id !== 0));
    const pending = [this.pv, this.host].some((s) => s?.channels.some((c) => c.dev.name === device && c.id === 0));
    if (!offered && pending) { this.rescindWhenOffered.push({ device, source }); return; }
    this.hostRescind(device, source);
  }

  /**
   * The scenario device an event concerns, if any: a message's channel (guest-side relids are the
   * guest's; paravisor↔host relids are the host's), a channel/GPADL state change, or an event whose
   * source is the device's declaration (the open phase of that device...).
   */
  deviceOfEvent(e: TraceEvent): string | undefined {
    if (e.kind === 'message') {
      const relid = e.relid ?? (typeof e.decoded?.child_relid === 'number' ? e.decoded.child_relid : undefined);
      if (relid !== undefined) {
        if (e.from === 'guest' || e.to === 'guest') {
          const c = this.guest.channels.get(relid);
          if (c) return c.device;
        } else {
          const server = e.from === 'host' || e.to === 'host' ? this.host : this.pv;
          const c = server?.channels.find((x) => x.id === relid) ?? server?.channels.find((x) => x.hostRelid === relid);
          if (c) return c.dev.name;
        }
      }
    } else if (e.kind === 'state') {
      const d = (e.detail as Json | undefined)?.device;
      if (typeof d === 'string') return d;
      if (e.party === 'guest' && e.relid !== undefined) return this.guest.channels.get(e.relid)?.device;
    } else if (e.kind === 'packet') {
      return this.guest.channels.get(e.relid)?.device;
    } else if (e.kind === 'phase') {
      // "open storvsc (relid 1)", "close netvsc (relid 2)": guest-side relids.
      const m = / \(relid (\d+)\)$/.exec(e.name);
      if (m) return this.guest.channels.get(Number(m[1]))?.device;
    }
    const src = e.source;
    if (src) {
      for (const d of this.cfg.devices) {
        if (d.source && d.source.line === src.line && d.source.file === src.file) return d.name;
      }
    }
    return undefined;
  }

  beginPhase(name: string, vp: number | null = null, source?: SourceRef): void {
    this.phaseStack.push(name);
    this.phaseArr = this.phaseStack.slice();
    this.emit({ kind: 'phase', action: 'begin', name, vp, source } as Emit);
  }

  endPhase(name: string, outcome: 'ok' | 'failed' | 'skipped' | 'fallback' = 'ok', detail?: string): void {
    const i = this.phaseStack.lastIndexOf(name);
    if (i < 0) return;
    // Close nested phases first.
    while (this.phaseStack.length > i + 1) this.endPhase(this.phaseStack[this.phaseStack.length - 1], 'ok');
    const e: Emit = { kind: 'phase', action: 'end', name, outcome } as Emit;
    if (detail !== undefined) (e as { detail?: string }).detail = detail;
    this.emit(e);
    this.phaseStack.pop();
    this.phaseArr = this.phaseStack.slice();
  }

  private inPhase(name: string): boolean {
    return this.phaseStack.includes(name);
  }

  log(party: Party, level: 'info' | 'warn' | 'err' | 'debug', text: string, source?: SourceRef): void {
    if (party === 'guest') this.guest.logs.push(text);
    this.emit({ kind: 'log', party, level, text, vp: party === 'guest' ? 0 : null, source } as Emit);
  }

  private state(party: Party, object: string, from: string, to: string, extra: { relid?: number; gpadl?: number; synic?: SynicId; detail?: Json; vp?: number; granularity?: Granularity; source?: SourceRef } = {}): void {
    const e: Json = { kind: 'state', party, object, from, to };
    if (extra.relid !== undefined) e.relid = extra.relid;
    if (extra.gpadl !== undefined) e.gpadl = extra.gpadl;
    if (extra.synic !== undefined) e.synic = extra.synic;
    if (extra.detail !== undefined) e.detail = extra.detail;
    if (extra.vp !== undefined) e.vp = extra.vp;
    if (extra.source !== undefined) e.source = extra.source;
    e.granularity = extra.granularity ?? 'substep';
    this.emit(e as Emit);
  }

  private invariant(name: string, description: string, source?: SourceRef): void {
    this.brokenInvariants.add(name);
    this.emit({ kind: 'invariant', name, description, source } as Emit);
  }

  private faultEvent(f: FaultConfig | null, id: string, description: string): void {
    const entry = faultById(id);
    this.emit({ kind: 'fault', fault: id, description, hostile: entry?.hostile ?? false, source: f?.source } as Emit);
  }

  // ------------------------------------------------------------------------------ pages / memory

  private allocPages(count: number): number {
    const pfn = this.nextPfn;
    this.nextPfn += count + 1; // leave a guard gap so ranges are recognisable
    return pfn * 4096;
  }

  private defaultVisibility(wantDecrypted: boolean): { visibility: Visibility; reason: string } {
    if (!this.cvm) {
      return { visibility: 'host-visible', reason: this.iso === 'vbs' ? 'VBS isolation: the Linux guest does not encrypt memory; the page is not hidden from the host' : 'no hardware isolation: all guest memory is host-accessible' };
    }
    return wantDecrypted
      ? { visibility: 'host-visible', reason: 'set_memory_decrypted' }
      : { visibility: 'encrypted', reason: 'private (encrypted) guest memory' };
  }

  page(id: string, count: number, purpose: string, owner: Party, visibility: Visibility, reason: string, gpa?: number, source?: SourceRef): PageRec {
    const g = gpa ?? this.allocPages(count);
    const rec: PageRec = { id, gpa: g, count, purpose, owner, visibility, reason, freed: false };
    this.pages.set(id, rec);
    this.emit({ kind: 'page', page: id, gpa: hexNum(g), count, purpose, visibility, reason, action: 'allocate', owner, granularity: 'substep', source } as Emit);
    return rec;
  }

  private setVisibility(id: string, visibility: Visibility, reason: string): void {
    const rec = this.pages.get(id);
    if (!rec) return;
    rec.visibility = visibility;
    rec.reason = reason;
    this.emit({ kind: 'page', page: id, gpa: hexNum(rec.gpa), count: rec.count, purpose: rec.purpose, visibility, reason, action: 'set-visibility', owner: rec.owner, granularity: 'substep' } as Emit);
  }

  private freePage(id: string, reason: string): void {
    const rec = this.pages.get(id);
    if (!rec || rec.freed) return;
    rec.freed = true;
    this.emit({ kind: 'page', page: id, gpa: hexNum(rec.gpa), count: rec.count, purpose: rec.purpose, visibility: rec.visibility, reason, action: 'free', owner: rec.owner, granularity: 'substep' } as Emit);
  }

  // ------------------------------------------------------------------------------ registers

  private hypRegPath(): AccessPath {
    if (!this.cvm) return 'msr';
    return this.pvPresent ? isolatedPath(this.iso) : noParavisorPath(this.iso, 'msr');
  }

  private guestPostPath(): AccessPath {
    if (!this.cvm) return 'hypercall';
    if (!this.pvPresent) return noParavisorPath(this.iso, 'hypercall');
    return this.guest.attemptConfidential ? 'trapped' : isolatedPath(this.iso);
  }

  private signalPath(): AccessPath {
    // vmbus_set_event is unchanged by the Confidential series: GHCB/tdcall when a paravisor is present.
    if (!this.cvm) return 'hypercall';
    if (!this.pvPresent) return noParavisorPath(this.iso, 'hypercall');
    return isolatedPath(this.iso);
  }

  private regFields(reg: string, v: number): Record<string, number | boolean | string> {
    switch (reg) {
      case 'SIMP': case 'SIEFP':
        return { enabled: (v % 2) === 1, base_gpa: hexNum(Math.floor(v / 4096) * 4096) };
      case 'SCONTROL':
        return { enable: (v & 1) === 1 };
      case 'SINT2':
        return { vector: v & 0xff, masked: (v & SINT_MASKED) !== 0, auto_eoi: (v & SINT_AUTO_EOI) !== 0, polling: (v & 0x40000) !== 0, proxy: (v & SINT_PROXY) !== 0 };
      default:
        return {};
    }
  }

  private regAccess(vp: number, synic: SynicState, reg: 'SCONTROL' | 'SIMP' | 'SIEFP' | 'SINT2' | 'EOM', op: 'read' | 'write', value: number, path: AccessPath): void {
    if (op === 'write') {
      if (reg === 'SCONTROL') synic.scontrol = value;
      else if (reg === 'SIMP') synic.simp = value;
      else if (reg === 'SIEFP') synic.siefp = value;
      else if (reg === 'SINT2') synic.sint2 = value;
      else if (reg === 'EOM') synic.eomCount++;
      synic.regPath[reg] = path;
    }
    const msr = reg === 'SINT2' ? MSR.SINT2 : MSR[reg];
    this.emit({ kind: 'register', op, synic: synic.owner, register: reg, msr, value: hexNum(value), fields: this.regFields(reg, value), path, by: 'guest', vp, granularity: 'substep' } as Emit);
  }

  // ------------------------------------------------------------------------------ boot / discovery

  private boot(): void {
    for (const d of this.unofferable()) {
      this.log(this.pvPresent ? 'paravisor' : 'host', 'warn',
        `device ${d.name}${d.className ? ' (' + d.className + ')' : ''} is paravisor-hosted but ${this.pvPresent ? 'the paravisor has no VMBus server (no Confidential VMBus support)' : 'there is no paravisor'}: not offered`, d.source);
    }
    if (this.pv) {
      this.beginPhase('relay-connect');
      this.relayConnect(0);
    }
    this.schedule(T.guestBoot, () => this.guestDiscovery());
  }

  private get design(): 'probe' | 'cpuid' {
    return this.cfg.platform.design;
  }

  private guestDiscovery(): void {
    this.beginPhase('discovery');
    if (this.design === 'cpuid') {
      // ms_hyperv_init_platform: cpuid_eax(0x40000082) & BIT(3). Answered by the paravisor's
      // intercept when there is one (the VS leaves are "handled through intercept processing").
      const eax = (this.cpuidBit ? 0x8 : 0) | (this.pvServer ? VS_CPUID_EAX_OTHER_BITS_OPENHCL : 0);
      this.emit({
        kind: 'register', op: 'read', synic: this.pvPresent ? 'paravisor' : 'hypervisor', register: 'CPUID.40000082.EAX', msr: 0x40000082,
        value: hexNum(eax), fields: { leaf: '0x40000082', confidential_vmbus_available: (eax & 8) !== 0, extended_ioapic_rte: (eax & 4) !== 0 },
        path: this.pvPresent ? 'trapped' : 'internal', by: 'guest', vp: 0, granularity: 'event',
      } as Emit);
      this.guest.attemptConfidential = (eax & 8) !== 0;
      this.guest.confidential = this.guest.attemptConfidential;
      if (this.guest.confidential) this.log('guest', 'info', 'hv_vmbus: Establishing connection to the confidential VMBus');
      // The discovery outcome (vmbus_bus_init's is_confidential), not a connection transition.
      this.state('guest', 'vmbus-mode', 'undecided', this.guest.confidential ? 'confidential' : 'not confidential', { detail: { confidential: this.guest.confidential, design: 'cpuid' }, vp: 0 });
      this.endPhase('discovery', 'ok', this.guest.confidential ? 'confidential' : 'not confidential');
    } else {
      // v4 (historical): try confidential when paravisor_present && (TDX || SNP), fall back on failure.
      this.guest.attemptConfidential = this.pvPresent && this.cvm;
      this.guest.confidential = this.guest.attemptConfidential;
      this.state('guest', 'vmbus-mode', 'undecided', this.guest.confidential ? 'probe confidential' : 'not confidential', { detail: { confidential: this.guest.confidential, design: 'probe' }, vp: 0 });
      this.endPhase('discovery', 'ok', this.guest.attemptConfidential ? 'probe the paravisor SynIC' : 'no paravisor on a CVM: not confidential');
    }
    this.schedule(T.guestWork, () => this.guestSynicSetup(0));
  }

  // ------------------------------------------------------------------------------ SynIC setup (hv_synic_alloc + hv_synic_init)

  private guestSynicSetup(vp: number): void {
    const conf = this.guest.confidential;
    const hyp = this.hypSynic[vp];
    const para = this.paraSynic[vp];
    const hp = this.hypRegPath();
    this.beginPhase(`synic-setup vp${vp}`, vp);
    // hv_common_cpu_init (per CPU, before VMBus): the hypercall input page is shared with the host
    // on a CVM without a paravisor (coco.rst: "Per-cpu hypercall input and output pages (unless
    // running with a paravisor)"); with a paravisor it stays private, so it is not a shared page.
    const hcallIn = this.pages.get(`vp${vp}.hypercall-input`);
    if (this.cvm && !this.pvPresent && (!hcallIn || hcallIn.freed)) {
      this.page(`vp${vp}.hypercall-input`, 1, 'hypercall input', 'guest', 'host-visible', 'hypercall input page: set_memory_decrypted (CoCo VM without paravisor)');
    }
    // hv_synic_alloc (per CPU).
    const postMsg = this.pages.get(`vp${vp}.post-msg`);
    if (this.pvPresent && this.iso === 'tdx' && (!postMsg || postMsg.freed)) {
      const v = conf ? { visibility: 'encrypted' as Visibility, reason: 'post msg page: kept encrypted (Confidential VMBus: posts trap to the paravisor)' } : { visibility: 'host-visible' as Visibility, reason: 'post msg page: set_memory_decrypted (tdcall hypercall input)' };
      this.page(`vp${vp}.post-msg`, 1, 'post msg', 'guest', v.visibility, v.reason);
    }
    if (conf && !this.pages.has(`vp${vp}.para.simp`) ) {
      this.page(`vp${vp}.para.simp`, 1, 'paravisor SynIC msg', 'guest', 'encrypted', 'paravisor SynIC page: allocated encrypted (decrypt = !vmbus_is_confidential())');
      this.page(`vp${vp}.para.siefp`, 1, 'paravisor SynIC event', 'guest', 'encrypted', 'paravisor SynIC page: allocated encrypted (decrypt = !vmbus_is_confidential())');
    }
    // 1. paravisor SIMP/SIEFP (confidential only), direct MSR access the paravisor traps.
    if (conf && para) {
      this.regAccess(vp, para, 'SIMP', 'read', para.simp, 'trapped');
      this.regAccess(vp, para, 'SIMP', 'write', this.pages.get(`vp${vp}.para.simp`)!.gpa + 1, 'trapped');
      this.regAccess(vp, para, 'SIEFP', 'read', para.siefp, 'trapped');
      this.regAccess(vp, para, 'SIEFP', 'write', this.pages.get(`vp${vp}.para.siefp`)!.gpa + 1, 'trapped');
    }
    // 2. hypervisor SIMP/SIEFP.
    for (const reg of ['SIMP', 'SIEFP'] as const) {
      const id = `vp${vp}.hyp.${reg.toLowerCase()}`;
      let rec = this.pages.get(id);
      if (this.pvPresent && this.cvm) {
        // The paravisor supplies a host-visible page; Linux keeps the GPA it reads and maps it.
        if (!rec || rec.freed) {
          const gpa = this.allocPages(1) + (this.cvm ? SHARED_GPA_BOUNDARY : 0);
          rec = this.page(id, 1, reg === 'SIMP' ? 'hypervisor SynIC msg' : 'hypervisor SynIC event', 'paravisor', this.cvm ? 'host-visible' : this.defaultVisibility(true).visibility,
            this.cvm ? 'supplied by the paravisor on SIMP/SIEFP read: shared (host-visible) page above vTOM' : this.defaultVisibility(true).reason, gpa);
        }
        const cur = rec.gpa;
        if (reg === 'SIMP') hyp.simp = cur; else hyp.siefp = cur;
        this.regAccess(vp, hyp, reg, 'read', cur, hp);
        this.regAccess(vp, hyp, reg, 'write', cur + 1, hp);
      } else {
        if (!rec || rec.freed) {
          const v = this.defaultVisibility(true);
          rec = this.page(id, 1, reg === 'SIMP' ? 'hypervisor SynIC msg' : 'hypervisor SynIC event', 'guest', v.visibility, this.cvm ? 'hypervisor SynIC page: set_memory_decrypted (CoCo VM without paravisor)' : v.reason);
        }
        this.regAccess(vp, hyp, reg, 'read', reg === 'SIMP' ? hyp.simp : hyp.siefp, hp);
        this.regAccess(vp, hyp, reg, 'write', rec.gpa + 1, hp);
      }
    }
    // SINT2: hypervisor, then (with a paravisor) the paravisor's mirror with the proxy bit.
    const sint = VMBUS_VECTOR | (this.cfg.platform.autoEoi ? SINT_AUTO_EOI : 0);
    this.regAccess(vp, hyp, 'SINT2', 'read', hyp.sint2, hp);
    this.regAccess(vp, hyp, 'SINT2', 'write', sint, hp);
    if (para) {
      const proxy = !conf;
      this.regAccess(vp, para, 'SINT2', 'write', sint | (proxy ? SINT_PROXY : 0), 'trapped');
    }
    // 3. SCONTROL on the paravisor (confidential) or on the hypervisor.
    if (conf && para) {
      this.regAccess(vp, para, 'SCONTROL', 'read', para.scontrol, 'trapped');
      this.regAccess(vp, para, 'SCONTROL', 'write', 1, 'trapped');
    } else {
      this.regAccess(vp, hyp, 'SCONTROL', 'read', hyp.scontrol, hp);
      this.regAccess(vp, hyp, 'SCONTROL', 'write', 1, hp);
    }
    this.endPhase(`synic-setup vp${vp}`);
    if (vp + 1 < this.hypSynic.length) this.schedule(T.guestWork, () => this.guestSynicSetup(vp + 1));
    else this.schedule(T.guestWork, () => this.guestConnect());
  }

  /** hv_synic_cleanup for the failed confidential attempt (probe design, v4). */
  private guestSynicTeardown(vp: number): void {
    const hyp = this.hypSynic[vp];
    const para = this.paraSynic[vp];
    const hp = this.hypRegPath();
    this.regAccess(vp, hyp, 'SINT2', 'write', hyp.sint2 | SINT_MASKED, hp);
    // hv_set_msr(SINT2) with a paravisor also writes the paravisor's mirror (linux §5.4), with
    // the proxy bit as hv_para_sint_proxy still says (!is_confidential of the failed attempt).
    if (para) this.regAccess(vp, para, 'SINT2', 'write', (hyp.sint2 & ~SINT_PROXY) | (this.guest.confidential ? 0 : SINT_PROXY), 'trapped');
    this.regAccess(vp, hyp, 'SIMP', 'write', hyp.simp - (hyp.simp % 2), hp);
    this.regAccess(vp, hyp, 'SIEFP', 'write', hyp.siefp - (hyp.siefp % 2), hp);
    if (para) {
      this.regAccess(vp, para, 'SIMP', 'write', para.simp - (para.simp % 2), 'trapped');
      this.regAccess(vp, para, 'SIEFP', 'write', para.siefp - (para.siefp % 2), 'trapped');
      this.regAccess(vp, para, 'SCONTROL', 'write', 0, 'trapped');
      // hv_synic_free frees every per-CPU page it allocated, the TDX post msg page too; the retry
      // allocates it again, decrypted this time (decrypt = !vmbus_is_confidential(), linux §5.5).
      this.freePage(`vp${vp}.post-msg`, 'hv_synic_free: post msg page freed (fallback)');
      this.freePage(`vp${vp}.para.simp`, 'hv_synic_free: paravisor SynIC page freed (fallback)');
      this.freePage(`vp${vp}.para.siefp`, 'hv_synic_free: paravisor SynIC page freed (fallback)');
    }
  }

  // ------------------------------------------------------------------------------ guest connect (vmbus_connect)

  private guestConnect(): void {
    this.beginPhase('connect');
    this.guest.conn = 'connecting';
    this.state('guest', 'connection', 'disconnected', 'connecting', { vp: 0, granularity: 'event', detail: { confidential: this.guest.confidential } });
    if (!this.pages.has('monitor.1') || this.pages.get('monitor.1')!.freed) {
      const v = this.defaultVisibility(true);
      const reason = this.cvm ? 'monitor pages are always set_memory_decrypted' : v.reason;
      this.page('monitor.1', 1, 'monitor page 1 (parent→child)', 'guest', v.visibility, reason);
      this.page('monitor.2', 1, 'monitor page 2 (child→parent)', 'guest', v.visibility, reason);
      this.page('int-page', 1, 'interrupt page (< 5.0 only)', 'guest', this.cvm ? 'encrypted' : v.visibility, this.cvm ? 'not decrypted by vmbus_connect' : v.reason);
    }
    this.guest.ladderIndex = 0;
    this.tryNextVersion();
  }

  private ladder(): number[] {
    return LINUX_VERSION_ORDER.filter((v) => v <= this.cfg.platform.guestMaxVersion);
  }

  private tryNextVersion(): void {
    const ladder = this.ladder();
    const i = this.guest.ladderIndex++;
    if (i >= ladder.length) {
      this.connectFailed();
      return;
    }
    const v = ladder[i];
    this.beginPhase(`version ${versionString(v)}`);
    const conf = this.guest.confidential;
    const json: Json = { msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: v, target_vcpu: 0 };
    const mon1 = this.pages.get('monitor.1')!.gpa + (this.cvm && this.pvPresent ? SHARED_GPA_BOUNDARY : 0);
    const mon2 = this.pages.get('monitor.2')!.gpa + (this.cvm && this.pvPresent ? SHARED_GPA_BOUNDARY : 0);
    let connId = 1;
    if (v >= 0x50000) {
      json.msg_sint = 2;
      json.msg_vtl = 0;
      json.feature_flags = conf && v >= 0x60000 ? 0x10 : 0;
      connId = 4;
    } else {
      json.interrupt_page = this.pages.get('int-page')!.gpa;
    }
    json.monitor_page1 = mon1;
    json.monitor_page2 = mon2;
    this.guestWait(15, () => true, (resp) => this.onVersionResponse(v, resp));
    this.guestPost(json, connId, (status) => {
      if (status !== 'HV_STATUS_SUCCESS') {
        // vmbus_post_msg: INVALID_CONNECTION_ID on INITIATE_CONTACT -> -EINVAL, try the next version.
        this.guest.waiters = this.guest.waiters.filter((w) => w.msgtype !== 15);
        this.endPhase(`version ${versionString(v)}`, 'failed', status);
        this.schedule(T.guestWork, () => this.tryNextVersion());
      }
    });
  }

  private onVersionResponse(v: number, resp: Json): void {
    if (Number(resp.version_supported) !== 0) {
      this.endPhase(`version ${versionString(v)}`, 'ok');
      if (this.isolated && v < 0x50002) {
        this.log('guest', 'err', `hv_vmbus: Invalid VMBus version ${versionString(v)} (expected >= 5.2) from the host supporting isolation`);
        this.connectFailed();
        return;
      }
      this.guest.version = v;
      this.guest.msgConnId = v >= 0x50000 ? Number(resp.msg_conn_id) : 1;
      this.guest.featureFlags = v >= 0x60000 && this.guest.confidential ? 0x10 : 0;
      this.guest.conn = 'connected';
      this.log('guest', 'info', `hv_vmbus: Vmbus version:${versionString(v)}`);
      if (this.design === 'probe' && this.guest.attemptConfidential) {
        this.log('guest', 'info', 'hv_vmbus: VMBus is confidential: 1');
        this.state('guest', 'vmbus-mode', 'probe confidential', 'confidential', { detail: { confidential: true, design: 'probe' }, vp: 0 });
      }
      this.state('guest', 'connection', 'connecting', 'connected', {
        vp: 0, granularity: 'event',
        detail: { version: v, msgConnId: this.guest.msgConnId, featureFlags: this.guest.featureFlags, confidential: this.guest.confidential, fallbackTaken: this.guest.fallback },
      });
      this.endPhase('connect', 'ok', `version ${versionString(v)}`);
      this.schedule(T.guestWork, () => this.guestRequestOffers());
    } else {
      this.endPhase(`version ${versionString(v)}`, 'failed', 'version_supported = 0');
      this.schedule(T.guestWork, () => this.tryNextVersion());
    }
  }

  private connectFailed(): void {
    this.log('guest', 'err', 'hv_vmbus: Unable to connect to host');
    if (this.design === 'probe' && this.guest.attemptConfidential && !this.guest.fallback) {
      this.log('guest', 'info', 'hv_vmbus: VMBus is confidential: 0');
      this.endPhase('connect', 'fallback', 'paravisor did not answer InitiateContact');
      this.beginPhase('fallback');
      this.guest.fallback = true;
      for (let vp = 0; vp < this.hypSynic.length; vp++) this.guestSynicTeardown(vp);
      this.guest.attemptConfidential = false;
      this.guest.confidential = false;
      this.state('guest', 'vmbus-mode', 'probe confidential', 'not confidential', { detail: { confidential: false, design: 'probe', fallbackTaken: true }, vp: 0 });
      this.guest.conn = 'disconnected';
      this.state('guest', 'connection', 'connecting', 'disconnected', { vp: 0, granularity: 'event', detail: { confidential: false, fallbackTaken: true } });
      this.endPhase('fallback', 'fallback', 'redo vmbus_alloc_synic_and_connect without confidential VMBus');
      this.schedule(T.guestWork, () => this.guestSynicSetup(0));
      return;
    }
    this.guest.conn = 'failed';
    this.state('guest', 'connection', 'connecting', 'failed', { vp: 0, granularity: 'event' });
    this.endPhase('connect', 'failed', 'no version accepted');
  }

  // ------------------------------------------------------------------------------ guest posting / waiting

  private guestWait(msgtype: number, match: (j: Json) => boolean, resolve: (j: Json) => void, relid?: number, cancel?: () => void): void {
    this.guest.waiters.push({ msgtype, match, resolve, relid, cancel });
  }

  private msgCount(name: string): number {
    const n = (this.msgCounts.get(name) ?? 0) + 1;
    this.msgCounts.set(name, n);
    return n;
  }

  /** Faults that match a message crossing a boundary. */
  private matchFaults(kinds: string[], name: string, relid: number | undefined, nth: number, device?: string): FaultConfig | null {
    for (const f of this.cfg.faults) {
      if (!kinds.includes(f.kind)) continue;
      const tr = f.trigger;
      if (tr.msgtype !== undefined && tr.msgtype !== name) continue;
      if (tr.relid !== undefined && tr.relid !== relid) continue;
      if (tr.phase !== undefined && !this.phaseStack.some((p) => p === tr.phase || p.startsWith(tr.phase + ' '))) continue;
      if (tr.device !== undefined && tr.device !== device) continue;
      if (tr.nth !== undefined && tr.nth !== nth) continue;
      const used = this.faultCounts.get(f) ?? 0;
      if (tr.nth === undefined && tr.msgtype === undefined && tr.relid === undefined && tr.device === undefined && used > 0 && f.kind !== 'delay') continue;
      this.faultCounts.set(f, used + 1);
      return f;
    }
    return null;
  }

  private deviceOfRelid(relid: number | undefined): string | undefined {
    if (relid === undefined) return undefined;
    return this.guest.channels.get(relid)?.device;
  }

  private encode(json: Json): Uint8Array {
    const r = encodeMessage(json);
    if (!r.ok) throw new Error(`protocol encode failed for ${String(json.msgtype)}: ${r.error.message}`);
    return r.bytes;
  }

  /**
   * HvPostMessage from the guest. Resolves the target by path and connection id the way the
   * hypervisor/paravisor would, applies message faults and emits the hypercall + message events.
   */
  private guestPost(json: Json, connId: number, done?: (status: string) => void, source?: SourceRef, attempt = 0): void {
    const name = String(json.msgtype);
    const bytes0 = this.encode(json);
    const path = this.guestPostPath();
    const relid = json.child_relid as number | undefined;
    const nth = this.msgCount('g:' + name);
    // Routing (see openvmm §3.5): trapped -> paravisor server (trusted on a CVM); isolated/plain
    // hypercall -> hypervisor: host ports (1, 4) when the host serves VTL0, otherwise the unknown
    // connection id is forwarded to VTL2 (OpenHCL server, untrusted).
    let target: 'paravisor' | 'host' | null = null;
    let status = 'HV_STATUS_SUCCESS';
    let trusted = false;
    const validIds = new Set([1, 4]);
    if (path === 'trapped') {
      if (this.pv && validIds.has(connId)) { target = 'paravisor'; trusted = this.cvm; }
      else status = this.pv ? 'HV_STATUS_INVALID_CONNECTION_ID' : LEGACY_PARAVISOR_DIRECT_POST_STATUS;
    } else if (this.pv) {
      if (validIds.has(connId)) { target = 'paravisor'; trusted = false; }
      else status = 'HV_STATUS_INVALID_CONNECTION_ID';
    } else if (validIds.has(connId)) {
      target = 'host';
    } else {
      status = 'HV_STATUS_INVALID_CONNECTION_ID';
    }
    const pf = this.matchFaults(['post-fails'], name, relid, nth, this.deviceOfRelid(relid));
    if (pf && status === 'HV_STATUS_SUCCESS') {
      const st = String(pf.params.status ?? 'HV_STATUS_INSUFFICIENT_BUFFERS');
      status = st.startsWith('HV_STATUS_') ? st : Object.keys(HV_STATUS).find((k) => HV_STATUS[k] === Number(st)) ?? 'HV_STATUS_INVALID_PARAMETER';
      this.faultEvent(pf, 'post-fails', `HvPostMessage(${name}) returns ${status}`);
    }
    const targetParty: Party = target ?? (path === 'trapped' ? 'paravisor' : 'hypervisor');
    this.emit({ kind: 'hypercall', name: 'HvPostMessage', code: HVCALL_POST_MESSAGE, path, by: 'guest', target: targetParty, status, connectionId: connId, vp: 0, granularity: 'substep', source } as Emit);
    this.emitMessage('guest', targetParty, null, path, connId, bytes0, status, relid, undefined, undefined, trusted, source);
    if (status !== 'HV_STATUS_SUCCESS') {
      if (status === 'HV_STATUS_INSUFFICIENT_BUFFERS' || status === 'HV_STATUS_INSUFFICIENT_MEMORY') {
        // vmbus_post_msg retries (-ENOBUFS) up to 100 times with a doubling 1 µs backoff.
        if (attempt < 100) {
          const backoff = Math.min(1000 << Math.min(attempt, 20), 1_000_000_000);
          this.schedule(backoff, () => this.guestPost(json, connId, done, source, attempt + 1));
          return;
        }
      } else if (name !== 'CHANNELMSG_INITIATE_CONTACT' && status !== 'HV_STATUS_INVALID_CONNECTION_ID') {
        this.log('guest', 'err', `hv_vmbus: hv_post_msg() failed; error code:${HV_STATUS[status] ?? 0}`);
      }
      done?.(status);
      return;
    }
    done?.(status);
    if (target) this.transmit('guest', target, bytes0, { trusted, connId, multiclient: connId === 4, name, relid, nth });
  }

  private emitMessage(from: Party, to: Party, synic: SynicId | null, path: AccessPath, connId: number, bytes: Uint8Array, status: string, relid?: number, fault?: string, sint?: number, trusted?: boolean, source?: SourceRef, vtl?: number): MessageEvent {
    const dec = decodeMessage(bytes, { allowOpenVmm: to !== 'guest' });
    const msgtypeValue = bytes.length >= 4 ? (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0 : 0;
    const msgtype = messageTypeName(msgtypeValue) ?? `UNKNOWN(${msgtypeValue})`;
    const decoded: Json = dec.ok ? dec.value : { error: dec.error.message, code: dec.error.code };
    if (dec.ok && dec.warnings.length) decoded._warnings = dec.warnings;
    const confidential = this.messageConfidential(from, to, path, synic);
    const e: Json = {
      kind: 'message', from, to, synic, path, connectionId: connId, msgtype, msgtypeValue, hex: toHex(bytes), decoded, confidential, status,
      vp: to === 'guest' || from === 'guest' ? 0 : null, granularity: 'event',
    };
    const r = relid ?? (dec.ok && typeof dec.value.child_relid === 'number' ? dec.value.child_relid : undefined);
    if (r !== undefined) e.relid = r;
    if (fault !== undefined) e.fault = fault;
    e.sint = sint ?? 2;
    e.vtl = vtl ?? (to === 'paravisor' && from === 'host' ? 2 : 0);
    if (trusted !== undefined) e.trusted = trusted;
    if (source) e.source = source;
    return this.emit(e as Emit) as MessageEvent;
  }

  /** Whether a message traveled only through encrypted memory. */
  private messageConfidential(from: Party, to: Party, path: AccessPath, synic: SynicId | null): boolean {
    if (!this.cvm) return false;
    if (from === 'guest') return path === 'trapped';
    if (to === 'guest') return synic === 'paravisor';
    return false; // paravisor <-> host goes through the hypervisor
  }

  /**
   * Carries a message from a sender to a receiver, applying drop/delay/duplicate/corrupt faults,
   * then hands it to the receiver's handler.
   */
  private transmit(from: Party, to: 'paravisor' | 'host' | 'guest' | 'relay', bytes: Uint8Array, ctx: { trusted: boolean; connId: number; multiclient: boolean; name: string; relid?: number; nth: number; synic?: SynicId }): void {
    const dev = this.deviceOfRelid(ctx.relid);
    const f = this.matchFaults(['drop', 'delay', 'duplicate', 'corrupt'], ctx.name, ctx.relid, ctx.nth, dev);
    let b = bytes;
    let delay = to === 'host' || from === 'host' ? T.hostWork : T.serverWork;
    let copies = 1;
    let faultId: string | undefined;
    if (f) {
      faultId = f.kind;
      if (f.kind === 'drop') {
        this.faultEvent(f, 'drop', `${ctx.name} ${from}→${to === 'relay' ? 'paravisor' : to} dropped`);
        return;
      }
      if (f.kind === 'delay') {
        const us = Number(f.params.us ?? 1000);
        delay += us * 1000;
        this.faultEvent(f, 'delay', `${ctx.name} delayed by ${us} µs`);
      } else if (f.kind === 'duplicate') {
        copies = 2;
        this.faultEvent(f, 'duplicate', `${ctx.name} delivered twice`);
      } else if (f.kind === 'corrupt') {
        b = this.corrupt(b, f);
        this.faultEvent(f, 'corrupt', `${ctx.name} corrupted (${f.params.field !== undefined ? String(f.params.field) + ' = ' + String(f.params.value) : 'byte ' + String(f.params.offset)})`);
      }
    }
    for (let i = 0; i < copies; i++) {
      const bb = b;
      this.schedule(delay + i * 1000, () => {
        if (to === 'paravisor') this.serverReceive(this.pv!, 'guest', bb, ctx.trusted, ctx.multiclient);
        else if (to === 'host') this.serverReceive(this.host, from === 'paravisor' ? 'relay' : 'guest', bb, false, ctx.multiclient);
        else if (to === 'relay') this.relayReceive(bb);
        else this.deliverToGuest(from, ctx.synic ?? 'hypervisor', bb, faultId);
      });
    }
  }

  private corrupt(bytes: Uint8Array, f: FaultConfig): Uint8Array {
    if (f.params.field !== undefined) {
      const dec = decodeMessage(bytes, { allowOpenVmm: true });
      if (dec.ok) {
        const j = JSON.parse(JSON.stringify(dec.value)) as Json;
        const path = String(f.params.field).split('.');
        let o: Json = j;
        for (let i = 0; i < path.length - 1; i++) o = (o[path[i]] ?? {}) as Json;
        const raw = f.params.value;
        o[path[path.length - 1]] = typeof raw === 'string' && /^0x/i.test(raw) ? Number(raw) : raw;
        delete j.trailing;
        const r = encodeMessage(j);
        if (r.ok) return r.bytes;
      }
      return bytes;
    }
    const out = bytes.slice();
    const off = Number(f.params.offset ?? 8);
    if (off < out.length) out[off] ^= Number(f.params.xor ?? 0xff);
    return out;
  }

  // ------------------------------------------------------------------------------ SynIC delivery to the guest

  /**
   * The VP channel messages to the guest go to: INITIATE_CONTACT target_vcpu as accepted by the
   * guest's server (OpenVMM retargets its message port); Linux always asks for VMBUS_CONNECT_CPU (0).
   */
  private msgVp = 0;

  /** Server → guest: which SynIC a server's message lands in. */
  private serverTargetSynic(server: Server): SynicId {
    if (server.party === 'host') return 'hypervisor';
    // OpenHCL: a proxied paravisor SINT2 sends messages to the untrusted (hypervisor) SynIC.
    const para = this.paraSynic[this.msgVp];
    if (!para || (para.sint2 & SINT_PROXY) !== 0) return 'hypervisor';
    return 'paravisor';
  }

  /** Server sends a channel message to its client (guest or relay). */
  private serverSend(server: Server, json: Json, source?: SourceRef): void {
    const name = String(json.msgtype);
    let bytes: Uint8Array;
    try {
      bytes = this.encode(json);
    } catch {
      // OpenVMM-only forms (VersionResponse2) fall back to the Linux form.
      const j = { ...json };
      delete j.supported_features;
      bytes = this.encode(j);
    }
    const relid = json.child_relid as number | undefined;
    if (server.client === 'relay') {
      const nth = this.msgCount('h:' + name);
      this.emitMessage('host', 'paravisor', 'hypervisor', 'hypercall', 0x800074, bytes, 'HV_STATUS_SUCCESS', relid, undefined, 7, undefined, source, 2);
      this.transmit('host', 'relay', bytes, { trusted: false, connId: 0x800074, multiclient: false, name, relid, nth });
      return;
    }
    const nth = this.msgCount((server.party === 'host' ? 'h:' : 'p:') + name);
    const synic = this.serverTargetSynic(server);
    this.schedule(T.deliver, () => this.postToGuestSynic(server.party, synic, bytes, name, relid, nth, source));
  }

  private postToGuestSynic(from: Party, synicId: SynicId, bytes: Uint8Array, name: string, relid: number | undefined, nth: number, source?: SourceRef): void {
    const dev = this.deviceOfRelid(relid) ?? this.deviceNameForRelidServer(relid);
    const f = this.matchFaults(['drop', 'delay', 'duplicate', 'corrupt', 'busy-slot'], name, relid, nth, dev);
    let b = bytes;
    let copies = 1;
    let faultId: string | undefined;
    let delay = 0;
    if (f) {
      faultId = f.kind;
      if (f.kind === 'drop') { this.faultEvent(f, 'drop', `${name} ${from}→guest dropped`); return; }
      if (f.kind === 'delay') { const us = Number(f.params.us ?? 1000); delay = us * 1000; this.faultEvent(f, 'delay', `${name} delayed by ${us} µs`); }
      if (f.kind === 'duplicate') { copies = 2; this.faultEvent(f, 'duplicate', `${name} delivered twice`); }
      if (f.kind === 'corrupt') { b = this.corrupt(b, f); this.faultEvent(f, 'corrupt', `${name} corrupted`); }
      if (f.kind === 'busy-slot') {
        const s = synicId === 'paravisor' ? this.paraSynic[this.msgVp] : this.hypSynic[this.msgVp];
        if (!s.slot) {
          // An stimer message occupies the slot (HVMSG_TIMER_EXPIRED).
          s.slot = { bytes: new Uint8Array(0), msgtype: 'HVMSG_TIMER_EXPIRED', from: 'hypervisor', payloadSize: 24 };
          this.faultEvent(f, 'busy-slot', `SINT2 slot of the ${synicId} SynIC busy (HVMSG_TIMER_EXPIRED) when ${name} arrives`);
          // Whoever emulates the SynIC fills its slot: the hypervisor, or OpenHCL for its own SynIC.
          this.state(s.owner, 'slot', 'empty', 'HVMSG_TIMER_EXPIRED', { synic: synicId, vp: s.vp, detail: { sint: 2, msgtype: 'HVMSG_TIMER_EXPIRED', pending: s.pending, queued: s.queue.length } });
          this.raiseSint(s, 'message');
        }
      }
    }
    for (let i = 0; i < copies; i++) {
      const bb = b;
      const fire = () => this.deliverToGuest(from, synicId, bb, faultId, undefined, source);
      if (delay || i) this.schedule(delay + i * 1000, fire); else fire();
    }
  }

  private deviceNameForRelidServer(relid: number | undefined): string | undefined {
    if (relid === undefined) return undefined;
    for (const s of [this.pv, this.host]) {
      if (!s) continue;
      const c = s.channels.find((x) => x.id === relid);
      if (c) return c.dev.name;
    }
    return undefined;
  }

  /** The message arrives at a SynIC: slot free → write + interrupt; busy → queue + msg_pending. */
  deliverToGuest(from: Party, synicId: SynicId, bytes: Uint8Array, fault?: string, payloadSize?: number, source?: SourceRef): void {
    const s = synicId === 'paravisor' ? this.paraSynic[this.msgVp] : this.hypSynic[this.msgVp];
    const msgtypeValue = bytes.length >= 4 ? (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0 : 0;
    const msgtype = messageTypeName(msgtypeValue) ?? `UNKNOWN(${msgtypeValue})`;
    const item: SlotItem = { bytes, msgtype, from, payloadSize: payloadSize ?? bytes.length, fault, source };
    if (!s || (s.simp % 2) === 0 || (s.sint2 & SINT_MASKED) !== 0) {
      // OpenVMM post_message: masked SINT or disabled SIM page -> InvalidSynicState; message dropped.
      this.emitMessage(from, 'guest', synicId, from === 'host' ? 'hypercall' : 'internal', this.guest.msgConnId ?? 4, bytes, 'HV_STATUS_INVALID_SYNIC_STATE', undefined, fault);
      this.log(from === 'host' ? 'host' : 'paravisor', 'warn', `post to the ${synicId} SynIC failed: HV_STATUS_INVALID_SYNIC_STATE (SIM page disabled or SINT2 masked)`);
      return;
    }
    if (s.slot) {
      // TLFS / OpenVMM check_sint_ready: the slot is busy, so the message stays queued and the
      // slot header's msg_pending is set (once). The state names the occupant and the queue depth.
      const before = s.queue.length;
      s.queue.push(item);
      const wasPending = s.pending;
      if (!s.pending) s.pending = true;
      const occ = (pending: boolean, n: number) => (pending ? `${s.slot!.msgtype} (msg_pending, ${n} queued)` : s.slot!.msgtype);
      this.state(s.owner, 'slot', occ(wasPending, before), occ(true, s.queue.length), { synic: synicId, vp: s.vp, detail: { sint: 2, msgtype: s.slot.msgtype, pending: true, queued: s.queue.length, waiting: msgtype } });
      return;
    }
    this.fillSlot(s, item);
  }

  private fillSlot(s: SynicState, item: SlotItem): void {
    s.slot = item;
    const path: AccessPath = item.from === 'host' ? 'hypercall' : (s.owner === 'hypervisor' ? (this.iso === 'tdx' ? 'internal' : 'hypercall') : 'internal');
    this.emitMessage(item.from, 'guest', s.owner, path, this.guest.msgConnId ?? 4, item.bytes, 'HV_STATUS_SUCCESS', undefined, item.fault, undefined, undefined, item.source);
    // The party that fills the slot is the one emulating that SynIC: the hypervisor for its own,
    // OpenHCL for the paravisor SynIC it emulates for VTL0 (openvmm §3.5).
    this.state(s.owner, 'slot', 'empty', item.msgtype, { synic: s.owner, vp: s.vp, detail: { sint: 2, msgtype: item.msgtype, pending: s.pending, queued: s.queue.length } });
    this.raiseSint(s, 'message');
  }

  private raiseSint(s: SynicState, via: 'message' | 'event', relid?: number, lost = false): void {
    // In confidential mode interrupts are signalled by the paravisor SynIC; a non-confidential
    // guest's hypervisor SynIC needs SCONTROL enabled.
    const enabled = this.guest.confidential ? (this.paraSynic[s.vp]?.scontrol ?? 0) & 1 : (this.hypSynic[s.vp].scontrol & 1) || (s.owner === 'paravisor' && (s.scontrol & 1));
    const delivered = !lost && enabled !== 0 && (s.sint2 & SINT_MASKED) === 0;
    if (relid !== undefined && !lost) {
      // Hot path (channel event flags): stored compactly; read back with the general form's keys.
      // Like packets and signals, it is never a stop point (eventMatchesStop), so checkAfter is skipped.
      this.events.pushInterrupt(this.now, this.phaseArr, s.owner, via, delivered, s.vp, relid);
    } else {
      const e: Json = { kind: 'interrupt', synic: s.owner, sint: 2, via, delivered, vp: s.vp, granularity: 'substep' };
      if (relid !== undefined) e.relid = relid;
      if (lost) e.detail = 'lost (fault)';
      this.emit(e as Emit);
    }
    if (delivered && !this.guest.isrScheduled[s.vp]) {
      this.guest.isrScheduled[s.vp] = true;
      this.schedule(T.isr, this.isrFn(s.vp));
    }
  }

  /** One vmbus_isr action per VP, made once (the data path raises it a lot). */
  private isrFns: (() => void)[] = [];

  private isrFn(vp: number): () => void {
    return this.isrFns[vp] ?? (this.isrFns[vp] = () => this.guestIsr(vp));
  }

  /** vmbus_isr: events first (hypervisor page, then paravisor page), then messages (same order). */
  private guestIsr(vp: number): void {
    this.guest.isrScheduled[vp] = false;
    const hyp = this.hypSynic[vp];
    const para = this.paraSynic[vp];
    if (hyp.flags.size > 0) this.scanEvents(hyp, vp);
    if (para && para.flags.size > 0) this.scanEvents(para, vp);
    if (hyp.slot) this.guestReadSlot(hyp);
    if (para && para.slot) this.guestReadSlot(para);
  }

  /** vmbus_chan_sched: for_each_set_bit + sync_test_and_clear_bit, then the channel callback. */
  private scanEvents(s: SynicState, vp: number): void {
    const bits = s.flags.takeSorted();
    this.state('guest', 'event-flags', bits.length === 1 ? decimal(bits[0]) : bits.join(','), '', { synic: s.owner, vp, detail: EMPTY_FLAGS });
    for (const relid of bits) this.guestChannelCallback(relid, s.owner);
  }

  /** vmbus_on_msg_dpc: copy the message out, empty the slot, EOM if msg_pending, then handle it. */
  private guestReadSlot(s: SynicState): void {
    const item = s.slot!;
    s.slot = null;
    const pending = s.pending;
    this.state('guest', 'slot', item.msgtype, 'empty', { synic: s.owner, vp: s.vp, detail: { sint: 2, msgtype: null, pending, queued: s.queue.length, read: item.msgtype } });
    if (item.msgtype === 'HVMSG_TIMER_EXPIRED') {
      // hv_stimer0_isr + EOM.
      this.guestEom(s, pending);
      return;
    }
    this.guestEom(s, pending);
    const bytes = item.bytes;
    this.schedule(T.guestWork, () => this.guestHandle(bytes, s.owner, item.payloadSize));
  }

  /** vmbus_signal_eom: EOM to the paravisor when the connection is confidential, else the hypervisor. */
  private guestEom(from: SynicState, pending: boolean): void {
    if (!pending) return;
    const conf = this.guest.confidential && !!this.paraSynic[from.vp];
    const target = conf ? this.paraSynic[from.vp] : this.hypSynic[from.vp];
    const path: AccessPath = conf ? 'trapped' : this.hypRegPath();
    this.regAccess(from.vp, target, 'EOM', 'write', 0, path);
    if (target !== from) {
      this.invariant('eom-to-right-synic', `EOM written to the ${target.owner} SynIC but msg_pending was set on the ${from.owner} SynIC: its queued message is not redelivered`);
    }
    this.synicEom(target);
  }

  /** The SynIC rescans its queue on EOM and redelivers into an empty slot. */
  private synicEom(s: SynicState): void {
    s.pending = false;
    if (s.slot || s.queue.length === 0) return;
    const next = s.queue.shift()!;
    if (s.queue.length > 0) s.pending = true;
    this.schedule(T.deliver / 4, () => {
      if (s.slot) { s.queue.unshift(next); s.pending = true; return; }
      this.fillSlot(s, next);
    });
  }

  // ------------------------------------------------------------------------------ guest message handling (Linux)

  private warnOnce(key: string, text: string): void {
    // WARN_ONCE prints only the first time (no pr_fmt prefix: it is not pr_*).
    if (this.guest.warnOnce.has(key)) return;
    this.guest.warnOnce.add(key);
    this.log('guest', 'warn', text);
  }

  private guestHandle(bytes: Uint8Array, synic: SynicId, payloadSize: number): void {
    // vmbus_on_msg_dpc checks, in order: msgtype < CHANNELMSG_COUNT, payload_size <= 240,
    // a handler exists, payload_size >= min_payload_len.
    const msgtype = bytes.length >= 4 ? (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0 : 0;
    if (msgtype >= 25) { this.warnOnce('unknown', `unknown msgtype=${msgtype}`); return; }
    if (payloadSize > 240) { this.warnOnce('size', `payload size is too large (${payloadSize})`); return; }
    if (!LINUX_HANDLED.has(msgtype)) return; // no handler: dropped
    const min = LINUX_MIN_PAYLOAD[msgtype] ?? 0;
    if (payloadSize < min) { this.warnOnce('short', `message too short: msgtype=${msgtype} len=${payloadSize}`); return; }
    const dec = decodeMessage(bytes);
    if (!dec.ok) return;
    const j = dec.value;
    if (msgtype === 1) { this.guestOnOffer(j, bytes, synic); return; }
    if (msgtype === 2) { this.guestOnRescind(Number(j.child_relid)); return; }
    if (msgtype === 4) { this.guestOnAllOffers(); return; }
    const w = this.guest.waiters.find((x) => x.msgtype === msgtype && x.match(j));
    if (!w) return; // response without a request: ignored (no matching msginfo)
    this.guest.waiters.splice(this.guest.waiters.indexOf(w), 1);
    w.resolve(j);
  }

  private guestRequestOffers(): void {
    this.beginPhase('offers');
    this.guestPost({ msgtype: 'CHANNELMSG_REQUESTOFFERS' }, this.guest.msgConnId ?? 1, (st) => {
      if (st !== 'HV_STATUS_SUCCESS') {
        const err = st === 'HV_STATUS_INVALID_CONNECTION_ID' ? -11 : -22;
        this.log('guest', 'err', `hv_vmbus: Unable to request offers - ${err}`);
        this.endPhase('offers', 'failed', st);
      }
    });
  }

  /** Perf channels placed so far (Linux init_vp_index spreads them over the CPUs). */
  private perfChannels = 0;

  /**
   * The VP a new channel's interrupts target (Linux init_vp_index): VMBUS_CONNECT_CPU (0) for
   * non-performance classes; performance classes (IDE, SCSI, FC, NIC, ND) round-robin over the
   * CPUs, starting at CPU 0 (one NUMA node; CPU n = VP n).
   */
  private initVpIndex(perf: boolean): number {
    const n = this.hypSynic.length;
    if (!perf || n <= 1) return 0;
    return this.perfChannels++ % n;
  }

  private guestOnOffer(j: Json, bytes: Uint8Array, synic: SynicId): void {
    const offer = j.offer as Json;
    const relid = Number(j.child_relid);
    const chn = Number(offer.chn_flags);
    const cls = String(offer.if_type);
    const dc = classByGuid(cls);
    const srv = this.findServerChannelByRelid(relid, String(offer.if_instance));
    const dev = srv?.dev;
    const gch: GuestChannel = {
      relid, device: dev?.name ?? `relid${relid}`, dev, classGuid: cls, className: dc?.name ?? dev?.className, instanceGuid: String(offer.if_instance),
      chnFlags: chn, connectionId: Number(j.connection_id), monitorId: Number(j.monitor_allocated) ? Number(j.monitorid) : undefined,
      subIndex: Number(offer.sub_channel_index), state: 'offered', coRing: false, coExternal: false, rescinded: false, offerHex: toHex(bytes),
      hostedBy: srv ? (srv.dev.host === 'paravisor' ? 'paravisor' : 'host') : 'host', relayed: srv?.relayed ?? false,
      originalChnFlags: srv?.originalFlags, gpadls: [], sent: 0, target: dev?.packets ?? 0, source: dev?.source,
    };
    const reject = (reason: string, text: string | null) => {
      gch.state = 'rejected';
      gch.rejectReason = reason;
      if (text) this.log('guest', 'err', text, dev?.source);
      if (!this.guest.channels.has(relid)) this.guest.channelOrder.push(gch);
      this.state('guest', 'channel', 'none', 'rejected', { relid, vp: 0, granularity: 'event', detail: this.channelDetail(gch), source: dev?.source });
    };
    // vmbus_onoffer's checks, in Linux's order (the protocol core's checkOffer holds them once):
    // vmbus_is_valid_offer (isolated VMs: allowed classes, hv_sock always), then 0x4 without 0x2,
    // then confidential flags without a confidential >= 6.0 connection.
    const hvsock = (chn & 0x2000) !== 0;
    const chk = checkOffer(j, { isolated: this.isolated, confidential: this.guest.confidential, version: this.guest.version ?? 0 });
    if (!chk.ok) {
      const why = chk.reason === 'isolation' ? 'class not allowed in an isolated VM' : chk.reason === 'ring-not-encrypted' ? '0x4 without 0x2' : 'confidential flags without Confidential VMBus';
      reject(why, LINUX_LOG_PREFIX + chk.log);
      return;
    }
    const coRing = chk.coRing;
    const coExt = chk.coExternal;
    if (relid === 0 || relid >= 2048) {
      // vmbus_channel_map_relid WARNs and cannot map the channel.
      this.warnOnce('relid', `WARNING: child_relid ${relid} >= MAX_CHANNEL_RELIDS (2048): channel not mapped`);
      reject('relid out of range', null);
      this.invariant('relid-in-range', `offer relid ${relid} is outside 1..2047`, dev?.source);
      return;
    }
    // vmbus_process_offer: an existing primary with the same class + instance -> duplicate, freed.
    for (const c of this.guest.channels.values()) {
      if (c.instanceGuid === gch.instanceGuid && c.classGuid === gch.classGuid && !c.rescinded && gch.subIndex === 0 && c.relid !== relid) {
        this.warnOnce('dupoffer', 'WARNING: vmbus_process_offer: duplicate primary offer freed (WARN_ON_ONCE)');
        reject('duplicate primary offer', null);
        return;
      }
    }
    if (this.guest.channels.has(relid) && !this.guest.channels.get(relid)!.rescinded) {
      this.invariant('relids-unique', `relid ${relid} offered twice: the second channel replaces the first in vmbus_connection.channels[]`, dev?.source);
    }
    if (dc === undefined && !hvsock) this.log('guest', 'info', `hv_vmbus: Unknown GUID: ${cls}`);
    if (Number(j.monitor_allocated) && Number(j.monitorid) >= 128) {
      this.invariant('monitor-id-in-range', `monitorid ${String(j.monitorid)} is beyond the 128 trigger bits of the monitor page`, dev?.source);
    }
    gch.coRing = coRing;
    gch.coExternal = coExt;
    gch.targetVp = this.initVpIndex(dc?.perfDevice === true);
    this.guest.channels.set(relid, gch);
    this.guest.channelOrder.push(gch);
    this.state('guest', 'channel', 'none', 'offered', { relid, vp: 0, granularity: 'event', detail: this.channelDetail(gch), source: dev?.source });
    // Invariant: every message is read from the SynIC it was delivered to (checked by construction);
    // a channel offered by the paravisor must arrive on the paravisor SynIC when confidential.
    void synic;
    if (dev?.open !== false && dc?.devType !== 16) this.guest.openQueue.push(gch);
  }

  private findServerChannelByRelid(relid: number, instance: string): ServerChannel | undefined {
    const srvs = this.pv ? [this.pv] : [this.host];
    for (const s of srvs) {
      const c = s.channels.find((x) => x.id === relid && x.instanceGuid === instance) ?? s.channels.find((x) => x.instanceGuid === instance);
      if (c) return c;
    }
    return undefined;
  }

  channelDetail(c: GuestChannel): Json {
    return {
      device: c.device, classGuid: c.classGuid, className: c.className, instanceGuid: c.instanceGuid, subchannelIndex: c.subIndex,
      hostedBy: c.hostedBy, relayed: c.relayed, chnFlags: c.chnFlags, originalChnFlags: c.originalChnFlags, connectionId: c.connectionId,
      monitorId: c.monitorId, confidentialRing: c.coRing, confidentialExternal: c.coExternal, offerHex: c.offerHex, rejectReason: c.rejectReason,
      state: c.state,
    };
  }

  private guestOnAllOffers(): void {
    this.guest.offersDone = true;
    this.hostileForge();
    this.endPhase('offers', 'ok');
    this.schedule(T.guestWork, () => this.guestOpenNext());
  }

  /** host-forged-untrusted-message: the host injects a guest message through the GHCB/tdcall path. */
  private hostileForge(): void {
    const f = this.cfg.faults.find((x) => x.kind === 'host-forged-untrusted-message');
    if (!f || (this.faultCounts.get(f) ?? 0) > 0) return;
    this.faultCounts.set(f, 1);
    const name = String(f.params.msgtype ?? 'CHANNELMSG_REQUESTOFFERS');
    if (!this.pv) {
      this.faultEvent(f, 'host-forged-untrusted-message', 'no paravisor server: the host is the VMBus server, nothing to forge against');
      return;
    }
    const bytes = this.encode({ msgtype: name });
    this.faultEvent(f, 'host-forged-untrusted-message', `host forges ${name} through the ${isolatedPath(this.iso)} path`);
    this.emitMessage('host', 'paravisor', null, isolatedPath(this.iso), this.guest.msgConnId ?? 1, bytes, 'HV_STATUS_SUCCESS', undefined, 'host-forged-untrusted-message', 2, false);
    this.schedule(T.serverWork, () => this.serverReceive(this.pv!, 'guest', bytes, false, false));
  }

  // ------------------------------------------------------------------------------ guest open (vmbus_open)

  private guestOpenNext(): void {
    const ch = this.guest.openQueue.shift();
    if (!ch) {
      // Subchannel offers follow a primary's open by a few µs: give them time to arrive.
      this.schedule(T.hostWork * 3, () => {
        if (this.guest.openQueue.length > 0) this.guestOpenNext();
        else this.startData();
      });
      return;
    }
    if (ch.rescinded || ch.state !== 'offered') { this.guestOpenNext(); return; }
    this.beginPhase(`open ${ch.className ?? ch.device} (relid ${ch.relid})`, 0, ch.source);
    ch.state = 'opening';
    this.state('guest', 'channel', 'offered', 'opening', { relid: ch.relid, vp: 0, granularity: 'event', detail: { state: 'opening' }, source: ch.source });
    const dev = ch.dev;
    const sendBytes = dev?.sendRingBytes ?? 0x10000;
    const recvBytes = dev?.recvRingBytes ?? 0x10000;
    const pages = (sendBytes + recvBytes) / 4096;
    // Ring visibility: decrypted unless co_ring_buffer (per-channel truth table, P7/13).
    const vis = this.ringVisibility(ch, 'ring');
    const pageId = `relid${ch.relid}.ring`;
    this.page(pageId, pages, `ring buffer of ${ch.device} (relid ${ch.relid})`, 'guest', vis.visibility, vis.reason, undefined, ch.source);
    this.checkExposure(ch, 'ring', vis.visibility);
    this.guestGpadl(ch, 'ring', pageId, pages, sendBytes / 4096, (ok, handle) => {
      if (!ok) { this.openFailed(ch, ch.rescinded ? 'rescind' : 'gpadl'); return; }
      ch.ringGpadl = handle;
      this.guestOpenChannel(ch, handle, sendBytes / 4096);
    });
  }

  private ringVisibility(ch: GuestChannel, kind: 'ring' | 'buffer'): { visibility: Visibility; reason: string } {
    if (!this.cvm) return this.defaultVisibility(true);
    const enc = kind === 'ring' ? ch.coRing : ch.coExternal;
    if (enc) return { visibility: 'encrypted', reason: kind === 'ring' ? 'co_ring_buffer (chn_flags 0x2): ring stays encrypted' : 'co_external_memory (chn_flags 0x4): GPADL stays encrypted' };
    return { visibility: 'host-visible', reason: kind === 'ring' ? 'no 0x2: gpadl->decrypted, set_memory_decrypted' : 'no 0x4: HV_GPADL_BUFFER decrypted, set_memory_decrypted' };
  }

  private checkExposure(ch: GuestChannel, kind: 'ring' | 'buffer', vis: Visibility): void {
    if (!this.cvm) return;
    const enc = kind === 'ring' ? ch.coRing : ch.coExternal;
    if (enc && vis !== 'encrypted') this.invariant('confidential-ring-private', `relid ${ch.relid}: confidential ${kind} is host-visible`, ch.source);
    if (!enc && vis !== 'host-visible') this.invariant('shared-ring-visible', `relid ${ch.relid}: non-confidential ${kind} on a CVM is not host-visible`, ch.source);
  }

  /** __vmbus_establish_gpadl: GPADL_HEADER (+ BODY...) → wait GPADL_CREATED. */
  private guestGpadl(ch: GuestChannel, kind: 'ring' | 'buffer', pageId: string, pages: number, sendPages: number, done: (ok: boolean, handle: number) => void): void {
    const handle = this.guest.nextGpadl++;
    this.beginPhase(`gpadl ${hexNum(handle)}`, 0, ch.source);
    const rec = this.pages.get(pageId)!;
    const pfn0 = Math.floor(rec.gpa / 4096);
    const pfns: number[] = [];
    for (let i = 0; i < pages; i++) pfns.push(pfn0 + i);
    const g = { handle, kind, pages, gpa: rec.gpa, visibility: rec.visibility, state: 'creating', pageId };
    ch.gpadls.push(g);
    this.state('guest', 'gpadl', 'none', 'creating', { relid: ch.relid, gpadl: handle, vp: 0, detail: { handle, kind, pages, gpa: hexNum(rec.gpa), visibility: rec.visibility } });
    // create_gpadl_header: the header carries up to 26 PFNs ((240 - 20 - 8) / 8), each body up to
    // 28 ((240 - 16) / 8). range_buflen describes the WHOLE range (sizeof(gpa_range) + 8 * pagecount,
    // linux §1.3), not just the PFNs in this message: the server sizes its buffer from it.
    const first = pfns.slice(0, GPADL_HEADER_MAX_PFNS);
    const rangeBuflen = 8 + 8 * pages;
    const connId = this.guest.msgConnId ?? 1;
    const failed = (why: string) => {
      g.state = 'failed';
      this.state('guest', 'gpadl', 'creating', 'failed', { relid: ch.relid, gpadl: handle, vp: 0, detail: { handle, state: 'failed' } });
      if (rec.visibility === 'host-visible' && this.cvm) this.setVisibility(pageId, 'encrypted', 'GPADL failed: set_memory_encrypted');
      this.endPhase(`gpadl ${hexNum(handle)}`, 'failed', why);
      done(false, handle);
    };
    this.guestWait(10, (j) => Number(j.child_relid) === ch.relid && Number(j.gpadl) === handle, (j) => {
      const st = Number(j.creation_status);
      if (st !== 0) {
        this.log('guest', 'err', `hv_vmbus: Failed to establish GPADL: err = ${hexNum(st)}`, ch.source);
        failed(hexNum(st));
        return;
      }
      g.state = 'created';
      this.state('guest', 'gpadl', 'creating', 'created', { relid: ch.relid, gpadl: handle, vp: 0, detail: { handle, state: 'created' } });
      this.endPhase(`gpadl ${hexNum(handle)}`, 'ok');
      done(true, handle);
    }, ch.relid, () => failed('rescinded (-ENODEV)'));
    void sendPages;
    this.guestPost({ msgtype: 'CHANNELMSG_GPADL_HEADER', child_relid: ch.relid, gpadl: handle, range_buflen: rangeBuflen, rangecount: 1, range: [{ byte_count: pages * 4096, byte_offset: 0, pfn_array: first }] }, connId, undefined, ch.source);
    for (let i = GPADL_HEADER_MAX_PFNS; i < pfns.length; i += GPADL_BODY_MAX_PFNS) {
      this.guestPost({ msgtype: 'CHANNELMSG_GPADL_BODY', msgnumber: 0, gpadl: handle, pfn: pfns.slice(i, i + GPADL_BODY_MAX_PFNS) }, connId, undefined, ch.source);
    }
  }

  private guestOpenChannel(ch: GuestChannel, handle: number, sendPages: number): void {
    const connId = this.guest.msgConnId ?? 1;
    this.guestWait(6, (j) => Number(j.child_relid) === ch.relid && Number(j.openid) === ch.relid, (j) => {
      if (ch.rescinded) { this.openFailed(ch, 'rescind'); return; }
      if (Number(j.status) !== 0) { this.openFailed(ch, 'status'); return; }
      ch.state = 'open';
      const dev = ch.dev;
      ch.outRing = { size: (dev?.sendRingBytes ?? 0x10000) - 4096, in: 0, out: 0, mask: 0, pss: 0, packets: 0 };
      ch.inRing = { size: (dev?.recvRingBytes ?? 0x10000) - 4096, in: 0, out: 0, mask: 0, pss: 0, packets: 0 };
      this.state('guest', 'channel', 'opening', 'open', { relid: ch.relid, vp: 0, granularity: 'event', detail: { state: 'open' }, source: ch.source });
      this.guestBuffers(ch, 0, () => {
        this.endPhase(`open ${ch.className ?? ch.device} (relid ${ch.relid})`, 'ok');
        this.schedule(T.guestWork, () => this.guestOpenNext());
      });
    }, ch.relid, () => this.openFailed(ch, 'rescind'));
    this.guestPost({
      msgtype: 'CHANNELMSG_OPENCHANNEL', child_relid: ch.relid, openid: ch.relid, ringbuffer_gpadlhandle: handle, target_vp: ch.targetVp ?? 0,
      downstream_ringbuffer_pageoffset: sendPages,
    }, connId, undefined, ch.source);
  }

  /** Extra HV_GPADL_BUFFER GPADLs the driver sets up after open (netvsc receive/send buffers...). */
  private guestBuffers(ch: GuestChannel, i: number, done: () => void): void {
    const list = ch.dev?.bufferGpadlPages ?? [];
    if (i >= list.length || ch.rescinded) { done(); return; }
    const pages = list[i];
    const vis = this.ringVisibility(ch, 'buffer');
    const pageId = `relid${ch.relid}.buf${i}`;
    this.page(pageId, pages, `buffer ${i} of ${ch.device} (relid ${ch.relid})`, 'guest', vis.visibility, vis.reason, undefined, ch.source);
    this.checkExposure(ch, 'buffer', vis.visibility);
    this.guestGpadl(ch, 'buffer', pageId, pages, 0, () => this.guestBuffers(ch, i + 1, done));
  }

  private openFailed(ch: GuestChannel, why: 'gpadl' | 'status' | 'rescind'): void {
    const phase = `open ${ch.className ?? ch.device} (relid ${ch.relid})`;
    const next = () => {
      this.endPhase(phase, 'failed', why);
      this.schedule(T.guestWork, () => this.guestOpenNext());
    };
    if (why === 'gpadl') {
      ch.state = 'offered';
      this.state('guest', 'channel', 'opening', 'offered', { relid: ch.relid, vp: 0, granularity: 'event', detail: { state: 'offered', rejectReason: 'GPADL failed (-EDQUOT)' } });
      this.freePage(`relid${ch.relid}.ring`, 'ring freed after GPADL failure');
      next();
      return;
    }
    // Open failed (-EAGAIN) or rescinded (-ENODEV): tear the ring GPADL down (error_clean_ring).
    const prevState = ch.state;
    ch.state = why === 'rescind' ? 'rescinded' : 'offered';
    // A rescind has already moved the channel to 'rescinded' (guestOnRescind).
    if (prevState !== ch.state) this.state('guest', 'channel', 'opening', ch.state, { relid: ch.relid, vp: 0, granularity: 'event', detail: { state: ch.state, rejectReason: why === 'rescind' ? 'rescinded during open (-ENODEV)' : 'OPENCHANNEL_RESULT status != 0 (-EAGAIN)' } });
    this.guestTeardownGpadls(ch, () => {
      if (why === 'rescind') {
        this.freePage(`relid${ch.relid}.ring`, 'ring freed after the open failed (-ENODEV)');
        this.guestReleaseRelid(ch);
      }
      next();
    });
  }

  // ------------------------------------------------------------------------------ data path (ring buffers)

  private startData(): void {
    if (this.dataStarted) return;
    this.dataStarted = true;
    const open = this.guest.channelOrder.filter((c) => c.state === 'open' && c.target > 0);
    if (open.length === 0) { this.schedule(T.guestWork, () => this.runSteps()); return; }
    this.beginPhase('data');
    this.packetPhase = this.phaseArr;
    this.pumpsActive = open.length;
    open.forEach((c, i) => this.schedule(i * 13, () => this.pump(c)));
  }

  /**
   * One data packet: even packets guest→host on the outbound ring, odd host→guest on the inbound
   * ring. Real index arithmetic: in-band packet = 16 + round8(payload) + 8 bytes; free space per
   * OpenVMM/Linux; the writer signals only when the ring was empty and interrupt_mask is 0.
   */
  private pump(c: GuestChannel): void {
    if (c.state !== 'open' || c.sent >= c.target) { this.pumpDone(c); return; }
    const guestSends = (c.sent & 1) === 0;
    const ring = guestSends ? c.outRing! : c.inRing!;
    const len = 16 + round8(PACKET_PAYLOAD) + 8;
    const free = ring.out > ring.in ? ring.out - ring.in - 8 : ring.size - (ring.in - ring.out) - 8;
    if (free < len) {
      // Ring full: set pending_send_sz and wait for the reader's signal (no polling).
      ring.pss = len;
      c.blocked = true;
      return;
    }
    const oldIn = ring.in;
    ring.in = (ring.in + len) % ring.size;
    ring.packets++;
    const signal = ring.mask === 0 && ring.out === oldIn;
    this.events.pushPacket(this.now, this.packetPhase, c.relid, c.hostedBy, guestSends, len, c.sent, ring.in, signal, c.coRing && this.cvm);
    c.sent++;
    if (signal) {
      if (guestSends) this.guestSignal(c);
      else this.hostSignalGuest(c);
      this.scheduleDrain(c, guestSends);
    }
    this.schedulePump(c);
  }

  /**
   * The reader consumes everything available. If the writer is waiting (pending_send_sz) and the
   * free space crosses it, the reader signals the writer (OpenVMM commit_read / Linux
   * hv_pkt_iter_close), which resumes writing.
   */
  private drain(c: GuestChannel, ring: Ring): void {
    const before = ring.out > ring.in ? ring.out - ring.in - 8 : ring.size - (ring.in - ring.out) - 8;
    ring.out = ring.in;
    const after = ring.size - 8;
    const pss = ring.pss & ~7;
    if (pss && before < pss && after >= pss) {
      ring.pss = 0;
      if (ring === c.inRing) this.guestSignal(c); // the guest read the inbound ring: tell the host
      else this.hostSignalGuest(c); // the host read the outbound ring: interrupt the guest
      if (c.blocked) {
        c.blocked = false;
        this.schedulePump(c);
      }
    }
  }

  private pumpDone(c: GuestChannel): void {
    if (c.sent === -1) return;
    c.sent = c.sent >= c.target ? c.sent : c.sent;
    this.pumpsActive--;
    if (this.pumpsActive === 0) {
      this.endPhase('data', 'ok');
      this.schedule(T.guestWork, () => this.runSteps());
    }
  }

  /** vmbus_setevent: monitor page bit when monitor_allocated, else HvSignalEvent. */
  private guestSignal(c: GuestChannel): void {
    if (c.monitorId !== undefined) {
      // monitor_allocated (and not low latency): no hypercall. The guest sets the relid's bit in
      // send_int_page and the channel's bit in monitor page 2's trigger_group[id / 32].pending
      // (offset 8 + 8 * group), which the host polls. Monitor pages are always decrypted: the
      // host learns which channel signalled, and when.
      const group = c.monitorId >> 5;
      this.state('guest', 'monitor-trigger', 'idle', 'pending', {
        relid: c.relid, vp: 0,
        detail: { monitorId: c.monitorId, group, bit: c.monitorId & 31, page: 'monitor.2', offset: hexNum(8 + 8 * group), sendIntPageBit: c.relid },
      });
      return;
    }
    const target: Party = c.hostedBy === 'paravisor' ? PARAVISOR_CHANNEL_SIGNAL_TARGET : 'host';
    this.events.pushSignal(this.now, this.phaseArr, this.signalPath(), HVCALL_SIGNAL_EVENT, target, c.connectionId, 0);
  }

  /** Host/paravisor → guest: set the channel's event flag in the SIEF page, then interrupt. */
  private hostSignalGuest(c: GuestChannel): void {
    // Paravisor-hosted channels signal the paravisor SynIC unless its SINT2 is proxied; relayed
    // and host channels signal the hypervisor SynIC ("check both SynICs").
    // The channel's target VP (OPENCHANNEL target_vp): its SynIC gets the flag and the interrupt.
    const vp = c.targetVp ?? 0;
    const para = this.paraSynic[vp];
    const usePara = c.hostedBy === 'paravisor' && para !== undefined && (para.sint2 & SINT_PROXY) === 0;
    const s = usePara ? para : this.hypSynic[vp];
    if (!s.flags.add(c.relid)) return;
    const lost = this.cfg.faults.length === 0 ? null : this.matchFaults(['lost-interrupt'], '', c.relid, 0, c.device);
    if (lost) this.faultEvent(lost, 'lost-interrupt', `interrupt for relid ${c.relid} lost`);
    this.raiseSint(s, 'event', c.relid, !!lost);
  }

  private guestChannelCallback(relid: number, _synic: SynicId): void {
    const c = this.guest.channels.get(relid);
    if (!c || !c.inRing) return;
    this.drain(c, c.inRing);
  }

  // ------------------------------------------------------------------------------ scripted steps

  private runSteps(): void {
    if (this.stepsStarted) return;
    this.stepsStarted = true;
    const steps = this.cfg.steps.filter((s) => s.kind !== 'rescind' || !s.after);
    const next = (i: number) => {
      if (i >= steps.length) return;
      const st = steps[i];
      const cont = () => this.schedule(T.guestWork, () => next(i + 1));
      if (st.kind === 'rescind') this.hostRescind(st.device, st.source, cont);
      else if (st.kind === 'close') this.guestClose(st.device, st.source, cont);
      else if (st.kind === 'unload') this.guestUnload(st.source, cont);
      else { this.log('guest', 'warn', `step ${st.kind}: not modelled yet`, st.source); cont(); }
    };
    next(0);
  }

  /** A device revokes its channel (host VSP or OpenHCL VSP). */
  hostRescind(device: string | number, source?: SourceRef, done?: () => void): void {
    const gch = typeof device === 'number' ? this.guest.channels.get(device) : this.guest.channelOrder.find((c) => c.device === device && c.state !== 'rejected');
    const relid = gch?.relid;
    this.beginPhase('rescind', 0, source);
    let srvCh: ServerChannel | undefined;
    let srv: Server | undefined;
    for (const s of [this.pv, this.host]) {
      if (!s) continue;
      const c = s.channels.find((x) => (typeof device === 'number' ? x.id === device : x.dev.name === device) && x.id !== 0);
      if (c) { srvCh = c; srv = s; break; }
    }
    if (!srvCh || !srv) {
      this.log(this.pv ? 'paravisor' : 'host', 'warn', `rescind: no offered channel ${String(device)}`);
      this.endPhase('rescind', 'skipped');
      done?.();
      return;
    }
    // A scripted step waits until the guest has released the relid (device removal finished).
    const waitRelease = !!done && relid !== undefined && !!gch && !gch.rescinded && gch.state !== 'released';
    if (waitRelease) this.guestReleaseWaiters.set(relid, () => { this.endPhase('rescind', 'ok'); done!(); });
    if (srvCh.relayed && this.pv) {
      // The host revokes towards the relay; OpenHCL revokes its re-offer.
      this.hostRevokeToRelay(srvCh, source);
    } else {
      this.serverRevoke(srv, srvCh, source);
    }
    if (!waitRelease) { this.endPhase('rescind', 'ok'); done?.(); }
  }

  private guestReleaseWaiters = new Map<number, () => void>();

  private guestOnRescind(relid: number): void {
    const ch = this.guest.channels.get(relid);
    if (!ch || ch.rescinded) return; // relid2channel finds nothing: ignored
    ch.rescinded = true;
    const wasOpening = ch.state === 'opening';
    const prev = ch.state;
    ch.state = 'rescinded';
    const detail: Json = wasOpening ? { state: 'rescinded', rejectReason: 'rescinded during open (-ENODEV)' } : { state: 'rescinded' };
    this.state('guest', 'channel', prev, 'rescinded', { relid, vp: 0, granularity: 'event', detail, source: ch.source });
    // vmbus_rescind_cleanup: requests waiting on this channel (GPADL_CREATED, OPENCHANNEL_RESULT)
    // complete at once; __vmbus_establish_gpadl / __vmbus_open then see channel->rescind (-ENODEV).
    const cancelled = this.guest.waiters.filter((x) => x.relid === relid && x.cancel !== undefined);
    if (cancelled.length > 0) {
      this.guest.waiters = this.guest.waiters.filter((x) => !cancelled.includes(x));
      for (const w of cancelled) this.schedule(T.guestWork, w.cancel!);
    }
    if (wasOpening) return; // the open path fails and releases the relid
    // Device removal: vmbus_close (if open) then hv_process_channel_removal → RELID_RELEASED.
    this.schedule(T.guestWork, () => {
      if (prev === 'open') {
        this.guestPost({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: relid }, this.guest.msgConnId ?? 1);
        this.guestTeardownGpadls(ch, () => this.guestReleaseRelid(ch));
      } else {
        this.guestReleaseRelid(ch);
      }
    });
  }

  private guestReleaseRelid(ch: GuestChannel): void {
    this.guestPost({ msgtype: 'CHANNELMSG_RELID_RELEASED', child_relid: ch.relid }, this.guest.msgConnId ?? 1);
    ch.state = 'released';
    this.state('guest', 'channel', 'rescinded', 'released', { relid: ch.relid, vp: 0, granularity: 'event', detail: { state: 'released' } });
    const w = this.guestReleaseWaiters.get(ch.relid);
    if (w) { this.guestReleaseWaiters.delete(ch.relid); this.schedule(T.serverWork * 2, w); }
  }

  /** vmbus_teardown_gpadl for every live GPADL (buffers first, the ring last). */
  private guestTeardownGpadls(ch: GuestChannel, done: () => void): void {
    const live = ch.gpadls.filter((g) => g.state === 'created');
    const ordered = [...live.filter((g) => g.kind === 'buffer').reverse(), ...live.filter((g) => g.kind === 'ring')];
    const next = (i: number) => {
      if (i >= ordered.length) { done(); return; }
      const g = ordered[i];
      g.state = 'tearing-down';
      this.state('guest', 'gpadl', 'created', 'tearing-down', { relid: ch.relid, gpadl: g.handle, vp: 0, detail: { handle: g.handle, state: 'tearing-down' } });
      this.guestWait(12, (j) => Number(j.gpadl) === g.handle, () => {
        g.state = 'torn-down';
        this.state('guest', 'gpadl', 'tearing-down', 'torn-down', { relid: ch.relid, gpadl: g.handle, vp: 0, detail: { handle: g.handle, state: 'torn-down' } });
        if (g.visibility === 'host-visible' && this.cvm) this.setVisibility(g.pageId, 'encrypted', 'GPADL teardown: set_memory_encrypted (gpadl->decrypted)');
        this.freePage(g.pageId, 'GPADL torn down');
        next(i + 1);
      });
      this.guestPost({ msgtype: 'CHANNELMSG_GPADL_TEARDOWN', child_relid: ch.relid, gpadl: g.handle }, this.guest.msgConnId ?? 1);
    };
    next(0);
  }

  private guestClose(device: string, source: SourceRef | undefined, done: () => void): void {
    const ch = this.guest.unloaded ? undefined : this.guest.channelOrder.find((c) => c.device === device && c.state === 'open');
    this.beginPhase(`close ${ch ? (ch.className ?? ch.device) + ` (relid ${ch.relid})` : device}`, 0, source);
    const phase = this.phaseStack[this.phaseStack.length - 1];
    if (!ch) { this.endPhase(phase, 'skipped'); done(); return; }
    ch.state = 'closed';
    this.state('guest', 'channel', 'open', 'closed', { relid: ch.relid, vp: 0, granularity: 'event', detail: { state: 'closed' }, source });
    this.guestPost({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: ch.relid }, this.guest.msgConnId ?? 1, undefined, source);
    this.guestTeardownGpadls(ch, () => { this.endPhase(phase, 'ok'); done(); });
  }

  private guestUnload(source?: SourceRef, done?: () => void): void {
    this.beginPhase('unload', 0, source);
    if (this.guest.unloaded || this.guest.conn !== 'connected') { this.endPhase('unload', 'skipped', 'not connected'); done?.(); return; }
    if ((this.guest.version ?? 0) < 0x30000) { this.endPhase('unload', 'skipped', 'version < 3.0'); done?.(); return; }
    const hostIgnores = this.cfg.faults.find((f) => f.kind === 'host-ignores-unload');
    this.guestWait(17, () => true, () => {
      this.guest.conn = 'unloaded';
      this.guest.unloaded = true;
      this.state('guest', 'connection', 'connected', 'unloaded', { vp: 0, granularity: 'event' });
      this.endPhase('unload', 'ok');
      done?.();
    });
    this.guestPost({ msgtype: 'CHANNELMSG_UNLOAD' }, this.guest.msgConnId ?? 1, undefined, source);
    if (hostIgnores) {
      for (let s = 5; s <= 100; s += 5) {
        this.schedule(s * 1e9, () => {
          if (this.guest.unloaded) return;
          if (s < 100) this.log('guest', 'err', 'hv_vmbus: Waiting for VMBus UNLOAD to complete');
          else {
            this.log('guest', 'err', 'hv_vmbus: Continuing even though VMBus UNLOAD did not complete');
            this.endPhase('unload', 'failed', 'no UNLOAD_RESPONSE');
          }
        });
      }
    }
  }

  // ------------------------------------------------------------------------------ VMBus server (OpenVMM channels.rs)

  private serverLog(server: Server, text: string): void {
    this.log(server.party, 'warn', text);
  }

  private serverReceive(server: Server, client: ServerClient, bytes: Uint8Array, trusted: boolean, multiclient: boolean): void {
    if (server.party === 'host' && this.relay.state !== 'none' && client === 'guest') {
      // Host ports 1/4 are not registered for VTL0 when OpenHCL redirects VMBus.
      return;
    }
    const dec = decodeMessage(bytes, { allowOpenVmm: true });
    if (!dec.ok) { this.serverLog(server, `synic message error: ParseError (${dec.error.message})`); return; }
    const j = dec.value;
    const name = String(j.msgtype);
    const c = server.conn;
    // Parse gating: while not Connected only INITIATE_CONTACT / VERSION_RESPONSE / CLOSE_RESERVED parse.
    if (c.state !== 'Connected' && name !== 'CHANNELMSG_INITIATE_CONTACT' && name !== 'CHANNELMSG_VERSION_RESPONSE' && name !== 'CHANNELMSG_19') {
      this.serverLog(server, `synic message error: InvalidMessageType(${name})`);
      return;
    }
    // Trust check: a trusted connection rejects untrusted messages.
    // openvmm §2.1: after parsing, every message, InitiateContact included, is checked, so a
    // host-visible (GHCB/tdcall) InitiateContact cannot reset a trusted connection.
    if ((c.state === 'Connected' || c.state === 'Connecting') && c.trusted && !trusted) {
      this.serverLog(server, `synic message error: UntrustedMessage (${name})`);
      return;
    }
    switch (name) {
      case 'CHANNELMSG_INITIATE_CONTACT': this.srvInitiateContact(server, client, j, trusted, multiclient); break;
      case 'CHANNELMSG_REQUESTOFFERS': this.srvRequestOffers(server); break;
      case 'CHANNELMSG_GPADL_HEADER': this.srvGpadlHeader(server, j); break;
      case 'CHANNELMSG_GPADL_BODY': this.srvGpadlBody(server, j); break;
      case 'CHANNELMSG_OPENCHANNEL': this.srvOpen(server, j); break;
      case 'CHANNELMSG_CLOSECHANNEL': this.srvClose(server, j); break;
      case 'CHANNELMSG_GPADL_TEARDOWN': this.srvTeardown(server, j); break;
      case 'CHANNELMSG_RELID_RELEASED': this.srvRelease(server, j); break;
      case 'CHANNELMSG_UNLOAD': this.srvUnload(server); break;
      default:
        this.serverLog(server, `synic message error: InvalidMessageType(${name})`);
    }
  }

  private srvInitiateContact(server: Server, client: ServerClient, j: Json, trusted: boolean, multiclient: boolean): void {
    const v = Number(j.vmbus_version_requested);
    const sint = multiclient && v >= 0x50000 ? Number(j.msg_sint ?? 2) : 2;
    const requested = v >= 0x60000 ? Number(j.feature_flags ?? 0) : 0;
    server.client = client;
    if (sint !== 2) {
      this.serverSend(server, { msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 0, connection_state: 0, msg_conn_id: 0 });
      return;
    }
    // request_disconnect(Reconnect): a connected server resets (no UnloadComplete).
    if (server.conn.state === 'Connected') this.srvResetChannels(server);
    const hostRejects = server.party === 'host' ? this.cfg.faults.find((f) => f.kind === 'host-rejects-version' && (f.params.version === undefined || parseVersion(String(f.params.version)) === v)) : undefined;
    if (!server.versions.includes(v) || hostRejects) {
      if (hostRejects) this.faultEvent(hostRejects, 'host-rejects-version', `host refuses version ${versionString(v)}`);
      server.conn = this.newConn();
      this.serverSend(server, { msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 0, connection_state: 0, msg_conn_id: 0 });
      return;
    }
    // Version gating through the relay: a guest asking above what the relay negotiated -> Unsupported.
    if (server.party === 'paravisor' && this.relay.ok && v > this.relay.version) {
      this.serverLog(server, `relay: guest version ${versionString(v)} is newer than the host connection (${versionString(this.relay.version)}): Unsupported`);
      server.conn = this.newConn();
      this.serverSend(server, { msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 0, connection_state: 0, msg_conn_id: 0 });
      return;
    }
    let flags = SERVER_SUPPORTED_FEATURES | (trusted && server.party === 'paravisor' ? 0x10 : 0);
    flags &= server.maxFlags;
    flags &= requested;
    if (server.party === 'paravisor') flags &= (this.relay.ok ? this.relay.features : 0) | RELAY_LOCAL_FEATURES;
    if (v < 0x60000) flags = 0;
    server.conn = { state: 'Connected', version: v, features: flags, trusted, offersSent: false, monitorPages: !server.requireServerMnf && (j.monitor_page1 !== '0x0') };
    if (client === 'guest') {
      const tv = Number(j.target_vcpu ?? 0);
      this.msgVp = Number.isInteger(tv) && tv >= 0 && tv < this.hypSynic.length ? tv : 0;
    }
    this.state(server.party, 'connection', 'Disconnected', 'Connected', { detail: { version: v, features: flags, trusted, client }, granularity: 'substep' });
    const hostileConn = server.party === 'host' ? this.cfg.faults.find((f) => f.kind === 'host-bad-msg-conn-id') : undefined;
    // selected_version_or_connection_id (openvmm §2.1 step 9): the child connection id from 5.0 —
    // 1 for a VTL0 server, VMBUS_MESSAGE_REDIRECT_CONNECTION_ID for the host's redirect server that
    // OpenHCL's vmbus_client reaches — else the version.
    let connId = v >= 0x50000 ? (client === 'relay' ? VMBUS_MESSAGE_REDIRECT_CONNECTION_ID : server.childConnId) : v;
    if (hostileConn && client === 'guest') { connId = Number(hostileConn.params.conn ?? 0x77); this.faultEvent(hostileConn, 'host-bad-msg-conn-id', `VERSION_RESPONSE with msg_conn_id ${hexNum(connId)}`); }
    const resp: Json = { msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 1, connection_state: 0, msg_conn_id: connId };
    if (v >= 0x60000) resp.supported_features = flags;
    this.serverSend(server, resp);
  }

  private srvResetChannels(server: Server): void {
    for (const c of server.channels) {
      if (c.state !== 'Revoked') { c.state = 'ClientReleased'; c.id = 0; c.gpadls.clear(); }
    }
  }

  private sortChannels(server: Server): ServerChannel[] {
    // OpenVMM: key (interface_id, offer_order or u64::MAX, instance_id); only relayed offers carry an
    // offer_order (the host's channel id), the server's own devices sort after them.
    const ord = (c: ServerChannel): number => (c.relayed ? c.offerOrder : Number.MAX_SAFE_INTEGER);
    return [...server.channels].sort((a, b) => (a.classGuid < b.classGuid ? -1 : a.classGuid > b.classGuid ? 1 : ord(a) - ord(b) || (a.instanceGuid < b.instanceGuid ? -1 : a.instanceGuid > b.instanceGuid ? 1 : 0)));
  }

  private srvRequestOffers(server: Server): void {
    if (server.conn.offersSent) { this.serverLog(server, 'synic message error: OffersAlreadySent'); return; }
    server.conn.offersSent = true;
    const used = new Set(server.channels.filter((c) => c.id).map((c) => c.id));
    let nextId = 1;
    for (const c of this.sortChannels(server)) {
      if (c.state !== 'ClientReleased') continue;
      while (used.has(nextId)) nextId++;
      c.id = nextId++;
      used.add(c.id);
      c.state = 'Closed';
      this.srvSendOffer(server, c);
    }
    this.serverSend(server, { msgtype: 'CHANNELMSG_ALLOFFERS_DELIVERED' });
    this.hostileAfterOffers(server);
  }

  private srvSendOffer(server: Server, c: ServerChannel): void {
    let flags = c.flags;
    // send_offer: mask confidential bits when the connection lacks confidential_channels; 0x8 without gpa_pinning.
    if (!(server.conn.features & 0x10)) flags &= ~0x6;
    if (!(server.conn.features & 0x80)) flags &= ~0x8;
    let relid = c.id;
    let monitorId = MONITOR_ID_INVALID;
    let monAlloc = 0;
    if (c.monitorId !== undefined && server.conn.monitorPages) { monitorId = c.monitorId; monAlloc = 1; }
    const dev = c.dev;
    const hostile = server.party === 'host' ? this.hostileOffer(c) : null;
    let cls = c.classGuid;
    if (hostile) {
      if (hostile.kind === 'host-offer-co-external-without-ring') flags = (flags | 0x4) & ~0x2;
      else if (hostile.kind === 'host-offer-confidential-flags' || hostile.kind === 'host-offer-to-relay-with-confidential-flags') flags |= Number(hostile.params.flags ?? 0x2);
      else if (hostile.kind === 'host-offer-disallowed-class') {
        const p = String(hostile.params.class ?? 'synthvid');
        cls = /^[0-9a-f-]{36}$/i.test(p) ? p.toLowerCase() : (({ synthvid: 'da0a7802-e377-4aac-8e77-0558eb1073f8', kbd: 'f912ad6d-2b17-48ea-bd65-f927a61c7684', kvp: 'a9a0f4e7-5a45-4d96-b827-8a841e8c03e6' } as Record<string, string>)[p] ?? 'da0a7802-e377-4aac-8e77-0558eb1073f8');
      } else if (hostile.kind === 'host-offer-relid-out-of-range') relid = Number(hostile.params.relid ?? 4096);
      else if (hostile.kind === 'host-offer-duplicate-relid') {
        const other = server.channels.find((x) => x !== c && x.id > 0);
        if (other) relid = other.id;
      } else if (hostile.kind === 'host-monitor-id-out-of-range') { monitorId = Number(hostile.params.monitorid ?? 200); monAlloc = 1; }
      this.faultEvent(hostile, hostile.kind, `${faultById(hostile.kind)?.description ?? hostile.kind} (device ${dev.name})`);
    }
    if (relid !== c.id) c.id = relid;
    const json: Json = {
      msgtype: 'CHANNELMSG_OFFERCHANNEL',
      offer: { if_type: cls, if_instance: c.instanceGuid, chn_flags: flags, mmio_megabytes: dev.mmioMegabytes, sub_channel_index: c.subIndex },
      child_relid: relid, monitorid: monitorId, monitor_allocated: monAlloc, is_dedicated_interrupt: 1,
      connection_id: (relid | 0x2000) >>> 0,
    };
    this.serverSend(server, json, dev.source);
    if (this.rescindWhenOffered.length > 0 && c.subIndex === 0) {
      for (let i = 0; i < this.rescindWhenOffered.length; i++) {
        const r = this.rescindWhenOffered[i];
        if (r.device !== dev.name) continue;
        this.rescindWhenOffered.splice(i--, 1);
        this.schedule(T.hostWork, () => this.hostRescind(r.device, r.source));
      }
    }
    if (hostile?.kind === 'host-offer-duplicate-instance') {
      const j2 = { ...json, child_relid: relid + 100, connection_id: (relid + 100) | 0x2000 };
      this.serverSend(server, j2, dev.source);
    }
  }

  private hostileOffer(c: ServerChannel): FaultConfig | null {
    for (const f of this.cfg.faults) {
      if (!f.kind.startsWith('host-offer') && f.kind !== 'host-monitor-id-out-of-range') continue;
      if (f.trigger.device !== undefined && f.trigger.device !== c.dev.name) continue;
      if (f.trigger.device === undefined && this.host.channels.filter((x) => x.id > 0)[0] !== c && this.host.channels[0] !== c) continue;
      if (f.kind === 'host-offer-to-relay-with-confidential-flags' && this.host.client !== 'relay') continue;
      return f;
    }
    return null;
  }

  /** Hostile behaviours that are unsolicited messages (sent after the offers). */
  private hostileAfterOffers(server: Server): void {
    if (server.party !== 'host' || server.client !== 'guest') return;
    for (const f of this.cfg.faults) {
      const entry = faultById(f.kind);
      if (!entry?.hostile) continue;
      let json: Json | null = null;
      let bytes: Uint8Array | null = null;
      let payloadSize: number | undefined;
      switch (f.kind) {
        case 'host-unknown-msgtype': case 'host-unhandled-msgtype': {
          const t = Number(f.params.msgtype ?? (f.kind === 'host-unknown-msgtype' ? 25 : 23));
          bytes = new Uint8Array(t === 25 ? 24 : 8);
          bytes[0] = t & 0xff; bytes[1] = (t >> 8) & 0xff;
          break;
        }
        case 'host-unsolicited-version-response': json = { msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 1, connection_state: 0, msg_conn_id: 1 }; break;
        case 'host-unsolicited-open-result': json = { msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', child_relid: server.channels[0]?.id ?? 1, openid: server.channels[0]?.id ?? 1, status: Number(f.params.status ?? 0) }; break;
        case 'host-unsolicited-gpadl-created': json = { msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: server.channels[0]?.id ?? 1, gpadl: 0xdead, creation_status: 0 }; break;
        case 'host-unsolicited-gpadl-torndown': json = { msgtype: 'CHANNELMSG_GPADL_TORNDOWN', gpadl: 0xbeef }; break;
        case 'host-rescind-unknown-relid': json = { msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: Number(f.params.relid ?? 99) }; break;
        case 'host-oversized-payload': json = { msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: server.channels[0]?.id ?? 1 }; payloadSize = Number(f.params.size ?? 248); break;
        case 'host-short-payload': {
          const c = server.channels[0];
          const full = this.encode({ msgtype: 'CHANNELMSG_OFFERCHANNEL', offer: { if_type: c?.classGuid ?? 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f', if_instance: c?.instanceGuid ?? '00000000-0000-0000-0000-000000000001' }, child_relid: 77, connection_id: 0x2000 | 77 });
          bytes = full.slice(0, Number(f.params.size ?? 12));
          break;
        }
        default: break;
      }
      if (!json && !bytes) continue;
      const b = bytes ?? this.encode(json!);
      this.faultEvent(f, f.kind, entry.description);
      const ps = payloadSize;
      this.schedule(T.deliver * 2, () => this.deliverToGuest('host', 'hypervisor', b, f.kind, ps));
    }
  }

  private srvChannel(server: Server, relid: number): ServerChannel | undefined {
    return server.channels.find((c) => c.id === relid);
  }

  /**
   * GPADL_HEADER (OpenVMM channels.rs, openvmm §2.3): range_buflen / 8 is the capacity in u64s of
   * the whole range buffer (range headers + PFNs); the header's data fills it first, GPADL_BODY
   * messages append the rest. When the buffer is full the ranges are validated: they must describe
   * exactly the pages the buffer holds, else GpadlCreated(STATUS_UNSUCCESSFUL).
   */
  private srvGpadlHeader(server: Server, j: Json): void {
    const relid = Number(j.child_relid);
    const gpadl = Number(j.gpadl);
    const c = this.srvChannel(server, relid);
    const ranges = (j.range as { byte_count: number; byte_offset: number; pfn_array: unknown[] }[]) ?? [];
    const capacity = Math.floor(Number(j.range_buflen ?? 0) / 8);
    const inHeader = ranges.reduce((n, r) => n + 1 + r.pfn_array.length, 0);
    const key = `${server.party}:${gpadl}`;
    const dupInProgress = this.pendingGpadl.has(key);
    if (!c || c.state === 'ClientReleased' || c.state === 'ClosingClientRelease' || c.gpadls.has(gpadl) || dupInProgress) {
      if (dupInProgress) this.serverLog(server, 'synic message error: DuplicateGpadlId');
      this.serverSend(server, { msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: relid, gpadl, creation_status: STATUS_UNSUCCESSFUL });
      return;
    }
    const remaining = capacity - Math.min(inHeader, capacity);
    // Range validity is known from the header's range descriptors: rangecount range headers plus
    // ceil((offset + len) / 4096) PFNs each must fill the buffer exactly.
    const expected = ranges.reduce((n, r) => n + 1 + pagesSpanned(Number(r.byte_count), Number(r.byte_offset)), 0) + Math.max(0, Number(j.rangecount ?? ranges.length) - ranges.length);
    const valid = capacity > 0 && expected === capacity && ranges.every((r) => Number(r.byte_count) !== 0 && Number(r.byte_offset) <= 0xfff);
    c.gpadls.set(gpadl, { state: remaining === 0 ? 'Offered' : 'InProgress', pages: remaining });
    if (remaining === 0) {
      if (!valid) { this.srvGpadlInvalid(server, c, gpadl); return; }
      this.state(server.party, 'gpadl', 'none', 'Offered', { relid, gpadl });
      this.srvGpadlComplete(server, c, gpadl, j);
    } else {
      this.state(server.party, 'gpadl', 'none', 'InProgress', { relid, gpadl });
      this.pendingGpadl.set(key, { relid, header: j, bodies: [], valid });
    }
  }

  /** An invalid GPA range: the GPADL is dropped and the guest told (the id may be reused). */
  private srvGpadlInvalid(server: Server, c: ServerChannel, gpadl: number): void {
    c.gpadls.delete(gpadl);
    this.serverLog(server, 'synic message error: InvalidGpaRange');
    this.state(server.party, 'gpadl', 'none', 'removed', { relid: c.id, gpadl });
    this.serverSend(server, { msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: c.id, gpadl, creation_status: STATUS_UNSUCCESSFUL });
  }

  private pendingGpadl = new Map<string, { relid: number; header: Json; bodies: Json[]; valid: boolean }>();

  private srvGpadlBody(server: Server, j: Json): void {
    const gpadl = Number(j.gpadl);
    const key = `${server.party}:${gpadl}`;
    const p = this.pendingGpadl.get(key);
    if (!p) { this.serverLog(server, 'synic message error: UnknownGpadlId'); return; }
    const c = this.srvChannel(server, p.relid);
    const g = c?.gpadls.get(gpadl);
    if (!c || !g) { this.pendingGpadl.delete(key); return; }
    p.bodies.push(j);
    // The effective length is min(data, remaining capacity) (openvmm §2.3 UEFI note).
    g.pages -= Math.min((j.pfn as unknown[]).length, g.pages);
    if (g.pages <= 0) {
      this.pendingGpadl.delete(key);
      if (!p.valid) { this.srvGpadlInvalid(server, c, gpadl); return; }
      g.state = 'Offered';
      this.state(server.party, 'gpadl', 'InProgress', 'Offered', { relid: p.relid, gpadl });
      this.srvGpadlComplete(server, c, gpadl, p.header, p.bodies);
    }
  }

  /** GPADL fully received: device (or the relay's host) accepts it. */
  private srvGpadlComplete(server: Server, c: ServerChannel, gpadl: number, header: Json, bodies: Json[] = []): void {
    if (c.state === 'Revoked') {
      c.gpadls.get(gpadl)!.state = 'Accepted';
      this.serverSend(server, { msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: c.id, gpadl, creation_status: 0 });
      return;
    }
    if (c.relayed && server.party === 'paravisor') {
      this.relayForwardGpadl(c, gpadl, header, bodies);
      return;
    }
    const f = this.cfg.faults.find((x) => x.kind === 'gpadl-fails' && (x.trigger.device === undefined || x.trigger.device === c.dev.name) && (x.trigger.nth === undefined || x.trigger.nth === this.countFault(x)));
    this.schedule(T.deviceWork, () => {
      const g = c.gpadls.get(gpadl);
      if (!g) return;
      let status = 0;
      if (f) { status = Number(f.params.status ?? 0xc0000001); this.faultEvent(f, 'gpadl-fails', `GPADL ${hexNum(gpadl)} of ${c.dev.name} fails with ${hexNum(status)}`); }
      if (status === 0) { g.state = 'Accepted'; this.state(server.party, 'gpadl', 'Offered', 'Accepted', { relid: c.id, gpadl }); }
      else { c.gpadls.delete(gpadl); this.state(server.party, 'gpadl', 'Offered', 'removed', { relid: c.id, gpadl }); }
      this.serverSend(server, { msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: c.id, gpadl, creation_status: status }, c.dev.source);
    });
  }

  private countFault(f: FaultConfig): number {
    const n = (this.faultCounts.get(f) ?? 0) + 1;
    this.faultCounts.set(f, n);
    return n;
  }

  private srvOpen(server: Server, j: Json): void {
    const relid = Number(j.child_relid);
    const c = this.srvChannel(server, relid);
    if (!c) { this.serverLog(server, 'synic message error: UnknownChannelId'); return; }
    if (c.state === 'Revoked') return; // silently ignored
    if (c.state === 'Closing') {
      // openvmm §2.2: there is no close-complete message to the guest, so a reopen while the device
      // is still closing is remembered (ClosingReopen) and run when the close completes.
      c.state = 'ClosingReopen';
      c.reopen = j;
      this.state(server.party, 'channel', 'Closing', 'ClosingReopen', { relid });
      return;
    }
    if (c.state !== 'Closed') { this.serverLog(server, `synic message error: ChannelAlreadyOpen (relid ${relid})`); return; }
    c.state = 'Opening';
    c.openId = Number(j.openid);
    this.state(server.party, 'channel', 'Closed', 'Opening', { relid });
    const rdo = this.cfg.faults.find((x) => x.kind === 'rescind-during-open' && (x.trigger.device === undefined || x.trigger.device === c.dev.name));
    if (rdo && !c.pendingRescindDuringOpen) {
      c.pendingRescindDuringOpen = true;
      this.faultEvent(rdo, 'rescind-during-open', `${c.dev.name} rescinded while OPENCHANNEL is pending`);
      if (c.relayed && server.party === 'paravisor') this.hostRevokeToRelay(c);
      else this.serverRevoke(server, c, rdo.source);
      return;
    }
    if (c.relayed && server.party === 'paravisor') { this.relayForwardOpen(c, j); return; }
    const f = this.cfg.faults.find((x) => x.kind === 'open-fails' && (x.trigger.device === undefined || x.trigger.device === c.dev.name));
    this.schedule(T.deviceWork, () => {
      if (c.state !== 'Opening') return;
      let status = 0;
      if (f) { status = Number(f.params.status ?? STATUS_UNSUCCESSFUL); this.faultEvent(f, 'open-fails', `open of ${c.dev.name} fails with ${hexNum(status)}`); }
      c.state = status === 0 ? 'Open' : 'Closed';
      this.state(server.party, 'channel', 'Opening', c.state, { relid });
      this.serverSend(server, { msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', child_relid: relid, openid: c.openId ?? relid, status }, c.dev.source);
      if (status === 0) this.offerSubchannels(server, c);
    });
  }

  /**
   * Subchannels: the VSP offers them once the primary is open (Linux drivers ask for them with a
   * device-specific packet; we model the request as implicit). Same class + instance,
   * sub_channel_index 1..n, new relids; hot-added (sent immediately, offers_sent is set).
   */
  private offerSubchannels(server: Server, primary: ServerChannel): void {
    if (primary.subIndex !== 0 || primary.subsOffered || primary.dev.subchannels <= 0) return;
    primary.subsOffered = true;
    for (let i = 1; i <= primary.dev.subchannels; i++) {
      // Each channel gets its own monitor id (OpenVMM: lowest free of 128), never the primary's.
      let monitorId: number | undefined;
      if (primary.monitorId !== undefined) {
        const usedMon = new Set(server.channels.map((x) => x.monitorId).filter((m): m is number => m !== undefined));
        monitorId = 0;
        while (usedMon.has(monitorId)) monitorId++;
        if (monitorId >= 128) monitorId = undefined;
      }
      const sc: ServerChannel = { ...this.serverChannelFor(primary.dev), instanceGuid: primary.instanceGuid, subIndex: i, offerOrder: primary.offerOrder, flags: primary.flags, originalFlags: primary.originalFlags, monitorId };
      sc.key = `${primary.key}#${i}`;
      server.channels.push(sc);
      if (server.conn.state === 'Connected' && server.conn.offersSent) {
        const used = new Set(server.channels.map((x) => x.id));
        let id = 1;
        while (used.has(id)) id++;
        sc.id = id;
        sc.state = 'Closed';
        this.srvSendOffer(server, sc);
      }
    }
  }

  private srvClose(server: Server, j: Json): void {
    const c = this.srvChannel(server, Number(j.child_relid));
    if (!c) { this.serverLog(server, 'synic message error: UnknownChannelId'); return; }
    if (c.state === 'Revoked') return;
    if (c.state !== 'Open') { this.serverLog(server, 'synic message error: ChannelNotOpen'); return; }
    c.state = 'Closing';
    this.state(server.party, 'channel', 'Open', 'Closing', { relid: c.id });
    if (c.relayed && server.party === 'paravisor') this.relaySend({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: c.hostRelid });
    this.schedule(T.deviceWork, () => this.srvCloseComplete(server, c));
  }

  /** The device finished closing (OpenVMM close_complete). */
  private srvCloseComplete(server: Server, c: ServerChannel): void {
    if (c.state === 'Closing') {
      c.state = 'Closed';
      this.state(server.party, 'channel', 'Closing', 'Closed', { relid: c.id });
    } else if (c.state === 'ClosingReopen') {
      c.state = 'Closed';
      this.state(server.party, 'channel', 'ClosingReopen', 'Closed', { relid: c.id });
      const j = c.reopen!;
      c.reopen = undefined;
      this.srvOpen(server, j);
    } else if (c.state === 'ClosingClientRelease') {
      c.state = 'ClientReleased';
      this.state(server.party, 'channel', 'ClosingClientRelease', 'ClientReleased', { relid: c.id });
      c.id = 0;
    }
  }

  private srvTeardown(server: Server, j: Json): void {
    const c = this.srvChannel(server, Number(j.child_relid));
    const gpadl = Number(j.gpadl);
    const g = c?.gpadls.get(gpadl);
    if (!c || !g || g.state !== 'Accepted') { this.serverLog(server, 'synic message error: InvalidGpadlState'); return; }
    if (c.state === 'Revoked') {
      c.gpadls.delete(gpadl);
      this.serverSend(server, { msgtype: 'CHANNELMSG_GPADL_TORNDOWN', gpadl });
      return;
    }
    g.state = 'TearingDown';
    if (c.relayed && server.party === 'paravisor') {
      this.relayWaiters.push({ msgtype: 12, match: (x) => Number(x.gpadl) === gpadl, run: () => { c.gpadls.delete(gpadl); this.serverSend(server, { msgtype: 'CHANNELMSG_GPADL_TORNDOWN', gpadl }); } });
      this.relaySend({ msgtype: 'CHANNELMSG_GPADL_TEARDOWN', child_relid: c.hostRelid, gpadl });
      return;
    }
    this.schedule(T.deviceWork, () => { c.gpadls.delete(gpadl); this.serverSend(server, { msgtype: 'CHANNELMSG_GPADL_TORNDOWN', gpadl }); });
  }

  private srvRelease(server: Server, j: Json): void {
    const c = this.srvChannel(server, Number(j.child_relid));
    if (!c) { this.serverLog(server, 'synic message error: UnknownChannelId'); return; }
    if (c.state === 'Opening' || c.state === 'Open' || c.state === 'ClosingReopen') { this.serverLog(server, 'synic message error: InvalidChannelState'); return; }
    const from = c.state;
    if (c.state === 'Closing') {
      // Released while the device is still closing: ClientReleased once the close completes.
      c.state = 'ClosingClientRelease';
      this.state(server.party, 'channel', from, 'ClosingClientRelease', { relid: c.id });
      return;
    }
    if (c.state === 'Revoked') {
      server.channels.splice(server.channels.indexOf(c), 1);
      this.state(server.party, 'channel', from, 'deleted', { relid: c.id });
      if (c.relayed && server.party === 'paravisor') this.relaySend({ msgtype: 'CHANNELMSG_RELID_RELEASED', child_relid: c.hostRelid });
    } else {
      c.state = 'ClientReleased';
      this.state(server.party, 'channel', from, 'ClientReleased', { relid: c.id });
      c.id = 0;
    }
  }

  private srvUnload(server: Server): void {
    const hostIgnores = server.party === 'host' && this.cfg.faults.find((f) => f.kind === 'host-ignores-unload');
    if (hostIgnores) { this.faultEvent(hostIgnores, 'host-ignores-unload', 'host does not answer CHANNELMSG_UNLOAD'); return; }
    // Unload closes open channels first, then UnloadComplete (openvmm §2.1 request_disconnect:
    // every channel is client-released; its device closes and its accepted GPADLs are torn down,
    // and check_disconnected waits for them). For a relayed channel the device is the host: the
    // relay forwards the close and the GPADL teardowns and waits for the host's GPADL_TORNDOWN.
    let waiting = 0;
    const done = () => this.schedule(T.deviceWork, () => this.serverSend(server, { msgtype: 'CHANNELMSG_UNLOAD_RESPONSE' }));
    for (const c of server.channels) {
      const relay = c.relayed && server.party === 'paravisor' && c.hostRelid !== undefined;
      if (c.state === 'Open' || c.state === 'Opening') {
        if (relay && c.state === 'Open') this.relaySend({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: c.hostRelid });
        this.state(server.party, 'channel', c.state, 'Closed', { relid: c.id });
        c.state = 'Closed';
      }
      if (!relay) continue;
      for (const [gpadl, g] of c.gpadls) {
        if (g.state !== 'Accepted') continue;
        waiting++;
        this.relayWaiters.push({ msgtype: 12, match: (x) => Number(x.gpadl) === gpadl, run: () => { if (--waiting === 0) done(); } });
        this.relaySend({ msgtype: 'CHANNELMSG_GPADL_TEARDOWN', child_relid: c.hostRelid, gpadl });
      }
    }
    server.conn = this.newConn();
    this.srvResetChannels(server);
    this.state(server.party, 'connection', 'Connected', 'Disconnected', {});
    if (waiting === 0) done();
  }

  /** Device revoke (OpenVMM): GPADL cleanup, then RescindChannelOffer. */
  private serverRevoke(server: Server, c: ServerChannel, source?: SourceRef): void {
    if (c.state === 'ClientReleased' || c.state === 'ClosingClientRelease') { server.channels.splice(server.channels.indexOf(c), 1); return; }
    const from = c.state;
    c.state = 'Revoked';
    this.state(server.party, 'channel', from, 'Revoked', { relid: c.id });
    for (const [id, g] of c.gpadls) {
      if (g.state === 'Offered') { c.gpadls.delete(id); this.serverSend(server, { msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: c.id, gpadl: id, creation_status: STATUS_UNSUCCESSFUL }); }
      if (g.state === 'TearingDown') { c.gpadls.delete(id); this.serverSend(server, { msgtype: 'CHANNELMSG_GPADL_TORNDOWN', gpadl: id }); }
    }
    this.serverSend(server, { msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: c.id }, source);
  }

  // ------------------------------------------------------------------------------ paravisor relay (OpenHCL vmbus_client → host)

  private relayWaiters: { msgtype: number; match: (j: Json) => boolean; run: (j: Json) => void }[] = [];

  private relaySend(json: Json): void {
    const bytes = this.encode(json);
    const name = String(json.msgtype);
    this.emit({ kind: 'hypercall', name: 'HvPostMessage', code: HVCALL_POST_MESSAGE, path: 'hypercall', by: 'paravisor', target: 'host', status: 'HV_STATUS_SUCCESS', connectionId: 0x800074, granularity: 'substep' } as Emit);
    this.emitMessage('paravisor', 'host', null, 'hypercall', 0x800074, bytes, 'HV_STATUS_SUCCESS', json.child_relid as number | undefined, undefined, 7, undefined, undefined, 0);
    this.transmit('paravisor', 'host', bytes, { trusted: false, connId: 0x800074, multiclient: true, name, relid: undefined, nth: this.msgCount('r:' + name) });
  }

  private relayConnect(i: number): void {
    const order = OPENVMM_CLIENT_VERSION_ORDER;
    if (i >= order.length) {
      this.relay.state = 'failed';
      this.log('paravisor', 'err', 'vmbus_client: no supported version offered by the host');
      this.endPhase('relay-connect', 'failed');
      return;
    }
    const v = order[i];
    this.relay.state = 'connecting';
    this.relayWaiters.push({
      msgtype: 15, match: () => true, run: (j) => {
        if (!Number(j.version_supported)) { this.relayConnect(i + 1); return; }
        const feats = Number(j.supported_features ?? 0);
        this.relay.version = v;
        this.relay.features = feats;
        if ((feats & RELAY_REQUIRED_FEATURES) !== RELAY_REQUIRED_FEATURES) {
          this.relay.state = 'failed';
          this.log('paravisor', 'err', 'host must support required feature flags');
          this.endPhase('relay-connect', 'failed', `host ${versionString(v)} features ${hexNum(feats)}`);
          return;
        }
        this.relay.ok = true;
        this.relay.state = 'connected';
        this.state('paravisor', 'relay', 'connecting', 'connected', { detail: { version: v, features: feats }, granularity: 'event' });
        this.relayWaiters.push({ msgtype: 4, match: () => true, run: () => { this.endPhase('relay-connect', 'ok', `host ${versionString(v)}`); } });
        this.relaySend({ msgtype: 'CHANNELMSG_REQUESTOFFERS' });
      },
    });
    // OpenHCL's client sends InitiateContact2 (client id); the Linux 40-byte form is what our codec
    // posts for the header fields; the client id is carried when the codec supports the larger form.
    this.relaySend({
      msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: v, target_vcpu: 0, msg_sint: 2, msg_vtl: 0,
      feature_flags: v >= 0x60000 ? OPENHCL_CLIENT_FEATURES : 0, monitor_page1: 0, monitor_page2: 0,
      client_id: 'ceb1cd55-6a3b-41c5-9473-4dd30624c3d8',
    });
  }

  private relayReceive(bytes: Uint8Array): void {
    const dec = decodeMessage(bytes, { allowOpenVmm: true });
    if (!dec.ok) { this.log('paravisor', 'warn', `relay: bad message from host: ${dec.error.message}`); return; }
    const j = dec.value;
    const t = bytes[0];
    if (t === 1) { this.relayOnOffer(j); return; }
    if (t === 2) { this.relayOnRescind(Number(j.child_relid)); return; }
    const w = this.relayWaiters.find((x) => x.msgtype === t && x.match(j));
    if (w) { this.relayWaiters.splice(this.relayWaiters.indexOf(w), 1); w.run(j); }
  }

  private relayOnOffer(j: Json): void {
    const offer = j.offer as Json;
    const hostRelid = Number(j.child_relid);
    const hc = this.host.channels.find((c) => c.id === hostRelid);
    if (!hc || !this.pv) return;
    const orig = Number(offer.chn_flags);
    // Relayed offers: confidential flags stripped; id + connection id chosen by the OpenHCL server.
    const rc: ServerChannel = {
      key: 'relay:' + hc.key, dev: hc.dev, id: 0, state: 'ClientReleased', flags: orig & ~0x6, originalFlags: orig,
      monitorId: Number(j.monitor_allocated) ? Number(j.monitorid) : undefined, relayed: true, hostRelid, hostConnId: Number(j.connection_id),
      offerOrder: hostRelid, instanceGuid: String(offer.if_instance), classGuid: String(offer.if_type), gpadls: new Map(),
      subIndex: Number(offer.sub_channel_index),
    };
    this.pv.channels.push(rc);
    this.state('paravisor', 'channel', 'none', 'ClientReleased', { detail: { device: hc.dev.name, hostRelid, relayed: true, strippedFlags: orig & 0x6 } });
    if (this.pv.conn.state === 'Connected' && this.pv.conn.offersSent) {
      const used = new Set(this.pv.channels.map((c) => c.id));
      let id = 1;
      while (used.has(id)) id++;
      rc.id = id;
      rc.state = 'Closed';
      this.srvSendOffer(this.pv, rc);
    }
  }

  private relayOnRescind(hostRelid: number): void {
    const rc = this.pv?.channels.find((c) => c.relayed && c.hostRelid === hostRelid);
    if (!rc || !this.pv) return;
    const source = this.relayRescindSource;
    this.relayRescindSource = undefined;
    this.serverRevoke(this.pv, rc, source);
  }

  /** The host revokes a channel it offered to the relay. */
  private hostRevokeToRelay(rc: ServerChannel, source?: SourceRef): void {
    const hc = this.host.channels.find((c) => c.id === rc.hostRelid);
    if (hc) { this.relayRescindSource = source; this.serverRevoke(this.host, hc, source); }
  }

  /** The scenario step behind a host rescind the relay is forwarding (its re-offer's rescind carries it too). */
  private relayRescindSource: SourceRef | undefined;

  private relayForwardGpadl(c: ServerChannel, gpadl: number, header: Json, bodies: Json[]): void {
    this.relayWaiters.push({
      msgtype: 10, match: (x) => Number(x.gpadl) === gpadl, run: (x) => {
        const st = Number(x.creation_status);
        const g = c.gpadls.get(gpadl);
        if (g) { if (st === 0) g.state = 'Accepted'; else c.gpadls.delete(gpadl); }
        this.serverSend(this.pv!, { msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: c.id, gpadl, creation_status: st });
      },
    });
    // Forwarded unchanged except the channel id: range_buflen still describes the whole range
    // (header + bodies), so the host sizes its buffer the same way.
    const h: Json = { ...header, child_relid: c.hostRelid };
    this.relaySend(h);
    for (const b of bodies) this.relaySend(b);
  }

  private relayForwardOpen(c: ServerChannel, j: Json): void {
    this.relayWaiters.push({
      msgtype: 6, match: (x) => Number(x.child_relid) === c.hostRelid, run: (x) => {
        const st = Number(x.status);
        if (c.state !== 'Opening') return;
        c.state = st === 0 ? 'Open' : 'Closed';
        this.state('paravisor', 'channel', 'Opening', c.state, { relid: c.id });
        this.serverSend(this.pv!, { msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', child_relid: c.id, openid: c.openId ?? c.id, status: st });
      },
    });
    this.relaySend({ ...j, child_relid: c.hostRelid, openid: c.hostRelid });
  }

  // ------------------------------------------------------------------------------ edits (setValue / inject)

  /** Applies an edit at the current point of the run. Returns an error text or null. */
  applyEdit(e: SimEdit): string | null {
    if (e.kind === 'offer-flags') {
      const v = Number(e.value) & 0xffff;
      // 1. An offer waiting in a SynIC slot or queue (not yet read by the guest).
      for (const s of [...this.hypSynic, ...this.paraSynic]) {
        const items = [s.slot, ...s.queue].filter((x): x is NonNullable<typeof x> => !!x);
        for (const it of items) {
          if (it.msgtype !== 'CHANNELMSG_OFFERCHANNEL' || it.bytes.length < 196) continue;
          const relid = it.bytes[184] | (it.bytes[185] << 8) | (it.bytes[186] << 16) | (it.bytes[187] << 24);
          const dec = decodeMessage(it.bytes);
          const inst = dec.ok ? String((dec.value.offer as Json).if_instance) : '';
          const dev = this.findServerChannelByRelid(relid, inst)?.dev.name;
          if ((e.relid !== undefined && e.relid === relid) || (e.device !== undefined && e.device === dev) || (e.relid === undefined && e.device === undefined)) {
            const b = it.bytes.slice();
            b[56] = v & 0xff; b[57] = (v >> 8) & 0xff;
            it.bytes = b;
            this.faultEvent(null, 'set-value', `offer relid ${relid}: chn_flags set to ${hexNum(v)} before the guest reads it`);
            return null;
          }
        }
      }
      // 2. A server offer not sent yet.
      for (const s of [this.pv, this.host]) {
        if (!s) continue;
        const c = s.channels.find((x) => (e.device !== undefined && x.dev.name === e.device) || (e.relid !== undefined && x.id === e.relid && x.id !== 0));
        if (c && c.state === 'ClientReleased') { c.flags = v; c.originalFlags = v; return null; }
      }
      return 'no offer waiting to be read matches (the guest has read it already?)';
    }
    if (e.kind === 'rescind') {
      const relid = e.relid;
      if (relid === undefined && e.device === undefined) return 'inject rescind needs relid';
      const key = relid ?? e.device!;
      const gch = typeof key === 'number' ? this.guest.channels.get(key) : undefined;
      if (typeof key === 'number' && !gch && !this.deviceNameForRelidServer(key)) return `no channel with relid ${key}`;
      this.faultEvent(null, 'inject-rescind', `rescind injected for ${typeof key === 'number' ? 'relid ' + key : key}`);
      this.hostRescind(key);
      return null;
    }
    return `unsupported edit ${e.kind}`;
  }

  /** Final checks after the run (exposure invariants over the whole page table). */
  finalChecks(): void {
    for (const st of this.afterSteps) {
      this.log(this.pv ? 'paravisor' : 'host', 'warn', `scripted rescind of ${st.device}: stop point "${st.after!.label}" was never reached`, st.source);
    }
    this.afterSteps = [];
    for (const r of this.rescindWhenOffered) this.log(this.pv ? 'paravisor' : 'host', 'warn', `scripted rescind of ${r.device}: the device was never offered`, r.source);
    this.rescindWhenOffered = [];
    for (const c of this.guest.channelOrder) {
      if (c.state === 'rejected') continue;
      if (c.hostedBy === 'paravisor' && this.guest.confidential && (this.pv?.conn.features ?? 0) & 0x10 && !(c.chnFlags & 0x2)) {
        this.invariant('paravisor-channel-confidential', `relid ${c.relid}: paravisor-hosted channel offered without 0x2 on a confidential connection`, c.source);
      }
    }
  }
}
