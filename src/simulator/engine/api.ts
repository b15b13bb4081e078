// The one API every consumer drives the simulator through: the debug adapter, the sidebar's
// stepping controls, the CLI runner and tests. The engine implements it (createSession in
// ./session.ts). Views read state via inspect() and events via the trace; they never reach into
// the engine's internals.
import type { ScenarioConfig, SourceRef } from '../model/config';
import type { AccessPath, Granularity, Party, SynicId, TraceEvent, Visibility } from '../trace/events';

export interface RegisterView {
  name: string;
  msr: number;
  value: string;
  fields: Record<string, number | boolean | string>;
  /** How it was last written, or null if never written. */
  path: AccessPath | null;
}

export interface SynicView {
  owner: SynicId;
  vp: number;
  scontrol: RegisterView;
  simp: RegisterView;
  siefp: RegisterView;
  sints: RegisterView[];
  eomCount: number;
  /** Per SINT: the message slot occupant (msgtype) or null, and msg_pending. */
  slots: { sint: number; msgtype: string | null; pending: boolean; queued: number }[];
  /** Per SINT: set event flag bits (relids / connection ids). */
  eventFlags: { sint: number; bits: number[] }[];
}

export interface GpadlView {
  handle: number;
  kind: 'ring' | 'buffer';
  pages: number;
  gpa: string;
  visibility: Visibility;
  state: string;
}

export interface ChannelView {
  relid: number;
  device: string;
  classGuid: string;
  className?: string;
  instanceGuid: string;
  subchannelIndex: number;
  /** Who hosts it: the paravisor itself, or the host through the paravisor's relay (or directly). */
  hostedBy: 'paravisor' | 'host';
  relayed: boolean;
  chnFlags: number;
  /** chn_flags as the host/paravisor sent it originally (before the relay stripped flags). */
  originalChnFlags?: number;
  connectionId: number;
  monitorId?: number;
  /** Guest-side state: offered, opening, open, closed, rescinded, released, rejected. */
  state: string;
  /** Server-side state (OpenVMM ChannelState name) where known. */
  serverState?: string;
  rejectReason?: string;
  confidentialRing: boolean;
  confidentialExternal: boolean;
  gpadls: GpadlView[];
  subchannels: number[];
  /** Hex of the OFFERCHANNEL message as the guest received it. */
  offerHex?: string;
  source?: SourceRef;
  /** Ring write indices and packet counts seen so far (from PacketEvents). Additive (engine). */
  rings?: { outbound: { writeIndex: number; packets: number }; inbound: { writeIndex: number; packets: number } };
}

export interface PageView {
  page: string;
  gpa: string;
  count: number;
  purpose: string;
  owner: Party;
  visibility: Visibility;
  reason: string;
  /** Who can read it: always the guest; the paravisor in a CVM; host + hypervisor when host-visible. */
  readableBy: Party[];
  freed: boolean;
}

export interface GuestView {
  /** disconnected, connecting, connected, unloaded, failed. */
  connectionState: string;
  version: number | null;
  versionName: string | null;
  confidential: boolean;
  fallbackTaken: boolean;
  msgConnectionId: number | null;
  featureFlags: number;
  logs: string[];
}

export interface ParavisorView {
  present: boolean;
  confidentialVmbus: boolean;
  connectionState: string;
  grantedFeatures: number;
  relayConnected: boolean;
}

export interface SimulationState {
  /** Index of the last executed trace event (-1 before the first). */
  position: number;
  done: boolean;
  time: number;
  phase: string[];
  guest: GuestView;
  paravisor: ParavisorView;
  synics: SynicView[];
  channels: ChannelView[];
  pages: PageView[];
  /** Names of invariants currently broken. */
  brokenInvariants: string[];
}

export interface StopInfo {
  /** Why the run stopped. */
  reason: 'step' | 'breakpoint' | 'end' | 'predicate' | 'exception' | 'pause' | 'entry' | 'budget';
  /** The event at the new position, if any. */
  event?: TraceEvent;
  description?: string;
}

export type EventPredicate = (e: TraceEvent) => boolean;

export interface SimulationSession {
  readonly config: ScenarioConfig;
  /** Events executed so far (grows as the run proceeds; truncated by edits after stepping back). */
  events(): readonly TraceEvent[];
  /** Index of the last executed event, -1 before the first. */
  position(): number;
  done(): boolean;
  /** Execute until the next event of at least this granularity ('event' skips substeps). */
  step(granularity: Granularity): StopInfo;
  /** Run until the current phase (at this position's depth) ends. */
  stepOut(): StopInfo;
  /** Move back to the previous event of this granularity (restores state exactly). */
  stepBack(granularity: Granularity): StopInfo;
  /** Run forward until pred matches an executed event, the end, or maxEvents. */
  runUntil(pred: EventPredicate, maxEvents?: number): StopInfo;
  /** Run backward until pred matches, or the start. */
  reverseUntil(pred: EventPredicate): StopInfo;
  runToEnd(): StopInfo;
  /**
   * Run to the end in slices of `sliceEvents`, yielding to the host between slices so a long run
   * never blocks it; `signal` cancels (the run stops with reason 'pause').
   */
  runAsync(sliceEvents?: number, signal?: AbortSignal, onProgress?: (position: number) => void): Promise<StopInfo>;
  /** Restore the exact state right after event `position` (-1 = initial state). */
  goTo(position: number): StopInfo;
  inspect(): SimulationState;
  /**
   * Change a value before the run continues (e.g. flip an offer flag). Paths are documented by
   * the engine ("channel.5.chnFlags", "pending.chn_flags", ...). Events after the position are
   * discarded and regenerated from the change.
   */
  setValue(path: string, value: string | number | boolean): { ok: true } | { ok: false; error: string };
  /** Inject a fault at the current position (e.g. rescind relid 5). */
  inject(fault: { kind: string; relid?: number; params?: Record<string, string | number | boolean> }): { ok: true } | { ok: false; error: string };
}

/** Options for creating a session. */
export interface SessionOptions {
  /** Override the scenario's seed. */
  seed?: number;
  /** Override the scenario's discovery design. */
  design?: 'probe' | 'cpuid';
  /** Take a snapshot every N events (step back cost vs memory). */
  snapshotInterval?: number;
}
