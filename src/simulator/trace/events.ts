// The trace is the contract: every view (debug adapter, trees, timeline, CLI, exporters) reads
// these events and nothing else of the engine's internals. Plain JSON-able data only.
import type { SourceRef } from '../model/config';

export type Party = 'guest' | 'paravisor' | 'hypervisor' | 'host';
export type SynicId = 'hypervisor' | 'paravisor';

/**
 * How a register access or hypercall reached its target.
 * - 'msr': plain rdmsr/wrmsr to the hypervisor (no isolation, or no paravisor)
 * - 'hypercall': plain vmcall/vmmcall (hv_do_hypercall)
 * - 'ghcb': through the GHCB page to the hypervisor (SNP with a paravisor)
 * - 'tdcall': through tdcall to the hypervisor (TDX with a paravisor)
 * - 'trapped': a direct MSR write or hypercall intercepted by the paravisor (Confidential VMBus)
 * - 'internal': inside one party (paravisor server bookkeeping, host VSP), no architectural access
 */
export type AccessPath = 'msr' | 'hypercall' | 'ghcb' | 'tdcall' | 'trapped' | 'internal';

export type Visibility = 'encrypted' | 'host-visible';

/** 'event' = a protocol event (step over); 'substep' = register-level detail (step into). */
export type Granularity = 'event' | 'substep';

interface Base {
  /** Index in the trace, from 0, dense. */
  seq: number;
  /** Simulated time in nanoseconds. */
  time: number;
  /** Virtual processor, or null when not tied to one. */
  vp: number | null;
  granularity: Granularity;
  /** Phase nesting at this event, outermost first, e.g. ["connect", "version 6.0", "InitiateContact"]. */
  phase: string[];
  /** The scenario line that caused it (device declaration, fault, step), if any. */
  source?: SourceRef;
  /** Set on events read from a real log instead of simulated (src/simulator/logtrace). */
  log?: LogOrigin;
}

/**
 * Where a log-read event came from. The event's other fields hold what the log line says; the
 * fields it does not say are listed in `unknown` and hold placeholders that views show as unknown.
 */
export interface LogOrigin {
  /** 1-based line of the log file. */
  line: number;
  /** Record name: the hv_trace.h event (vmbus_onoffer ...) or the importer's name for a dmesg line. */
  name: string;
  /** The fields the log line gives, as read (Linux names). */
  fields: Record<string, string | number>;
  /** Names of this event's fields the log does not give (placeholders, never facts). */
  unknown: string[];
}

export interface MessageEvent extends Base {
  kind: 'message';
  from: Party;
  to: Party;
  /** SynIC the message was delivered to (receiver side); null for posts that did not reach one. */
  synic: SynicId | null;
  path: AccessPath;
  connectionId: number;
  /** CHANNELMSG_* name, or "UNKNOWN(n)". */
  msgtype: string;
  msgtypeValue: number;
  /** The channel message bytes (header + body), lower-case hex. */
  hex: string;
  /** The JSON form (Linux field names) from the protocol decoder, or an error. */
  decoded: Record<string, unknown>;
  /** Whether the payload traveled only through encrypted memory. */
  confidential: boolean;
  relid?: number;
  /** HV_STATUS name of the post (HV_STATUS_SUCCESS, HV_STATUS_INVALID_CONNECTION_ID...). */
  status: string;
  /** Set when a fault altered or produced this message. */
  fault?: string;
  /** SINT the message was delivered to / posted for (2 for VTL0 VMBus, 7 for the paravisor relay). Additive (engine). */
  sint?: number;
  /** VTL of the receiver (0 guest, 2 paravisor). Additive (engine). */
  vtl?: number;
  /** Whether the paravisor saw it as trusted (direct vmcall on a CVM). Additive (engine). */
  trusted?: boolean;
  /**
   * hv_message payload_size when it differs from the bytes carried (a host claiming more than it
   * sent, e.g. over 240). Absent: the size is hex.length / 2. Additive (engine).
   */
  payloadSize?: number;
}

export interface RegisterEvent extends Base {
  kind: 'register';
  op: 'read' | 'write';
  /** Whose SynIC (or other register owner) this is. */
  synic: SynicId;
  /** SCONTROL, SIMP, SIEFP, SINT2, EOM, ... */
  register: string;
  msr: number;
  /** u64 value, "0x..." hex. */
  value: string;
  /** Decoded fields (enabled, base_gpa, vector, masked, auto_eoi, proxy ...). */
  fields: Record<string, number | boolean | string>;
  path: AccessPath;
  by: Party;
}

/**
 * A CPUID instruction: leaf (EAX in), subleaf (ECX in) and the four registers out. Not an MSR:
 * CPUID 0x40000082 (the virtualization-stack leaf) is answered by the paravisor's intercept when
 * there is one (`path` 'trapped'), else by the hypervisor.
 */
export interface CpuidEvent extends Base {
  kind: 'cpuid';
  /** "0x40000082" */
  leaf: string;
  subleaf: string;
  eax: string;
  ebx: string;
  ecx: string;
  edx: string;
  /** Named bits of the leaf that matter here (confidential_vmbus_available, extended_ioapic_rte). */
  fields: Record<string, number | boolean | string>;
  /** Who answers the instruction: the paravisor (intercept) or the hypervisor. */
  answeredBy: Party;
  path: AccessPath;
  by: Party;
}

export interface HypercallEvent extends Base {
  kind: 'hypercall';
  name: 'HvPostMessage' | 'HvSignalEvent' | string;
  code: number;
  path: AccessPath;
  by: Party;
  target: Party;
  status: string;
  connectionId?: number;
}

export interface PageEvent extends Base {
  kind: 'page';
  /** Stable id, e.g. "vp0.para.simp", "relid5.ring", "relid5.gpadl.0xe1e11". */
  page: string;
  gpa: string;
  count: number;
  purpose: string;
  visibility: Visibility;
  /** Why it has that visibility (the rule that decided it). */
  reason: string;
  action: 'allocate' | 'set-visibility' | 'free';
  owner: Party;
}

export interface LogEvent extends Base {
  kind: 'log';
  party: Party;
  level: 'info' | 'warn' | 'err' | 'debug';
  /** Exactly as the party would print it, e.g. "hv_vmbus: Vmbus version:6.0". */
  text: string;
}

export interface PhaseEvent extends Base {
  kind: 'phase';
  action: 'begin' | 'end';
  name: string;
  outcome?: 'ok' | 'failed' | 'skipped' | 'fallback';
  detail?: string;
}

/** The objects a state event is about: a name outside this list is a compile error where events are made or matched. */
export type StateObject = 'connection' | 'channel' | 'channel-vp' | 'gpadl' | 'slot' | 'event-flags' | 'relay' | 'vmbus-mode' | 'monitor-trigger' | 'vm';

export interface StateEvent extends Base {
  kind: 'state';
  party: Party;
  /**
   * "connection", "channel", "gpadl", "slot" (party = the SynIC's emulator when filled, the guest
   * when read), "event-flags", "relay", "vmbus-mode" (guest discovery: undecided → confidential /
   * not confidential / probe confidential), "monitor-trigger" (a monitored channel's signal: the
   * guest set its pending bit in monitor page 2, idle → pending; detail names group, bit, offset;
   * OpenHCL handling MNF picks it up, party paravisor, pending → relayed | signalled).
   */
  object: StateObject;
  relid?: number;
  gpadl?: number;
  from: string;
  to: string;
  /** SynIC, for object "slot" / "event-flags". Additive (engine). */
  synic?: SynicId;
  /** Extra fields the state projection needs (channel attributes, slot occupancy...). Additive (engine). */
  detail?: Record<string, unknown>;
}

export interface PacketEvent extends Base {
  kind: 'packet';
  relid: number;
  from: Party;
  to: Party;
  ring: 'outbound' | 'inbound';
  packetType: string;
  bytes: number;
  transactionId: string;
  writeIndex: number;
  signaled: boolean;
  confidential: boolean;
}

export interface InterruptEvent extends Base {
  kind: 'interrupt';
  /** The SynIC whose page holds it: the SIEF page with the event flag, or the SIM slot. */
  synic: SynicId;
  /**
   * The SynIC that raises the interrupt, when not `synic`: on a Confidential VMBus connection the
   * paravisor SynIC signals for a flag the host set in the hypervisor SynIC's SIEF page (coco.rst:
   * "Interrupts are always signaled by the paravisor SynIC, but the guest must check for messages
   * and for channel interrupts on both SynICs").
   */
  signaledBy?: SynicId;
  sint: number;
  /** 'message' = SIM slot, 'event' = SIEF flag. */
  via: 'message' | 'event';
  relid?: number;
  delivered: boolean;
  detail?: string;
}

export interface FaultEvent extends Base {
  kind: 'fault';
  fault: string;
  description: string;
  hostile: boolean;
}

export interface InvariantEvent extends Base {
  kind: 'invariant';
  name: string;
  description: string;
}

export interface ExpectationEvent extends Base {
  kind: 'expectation';
  ok: boolean;
  text: string;
  detail?: string;
}

export type TraceEvent =
  | MessageEvent
  | RegisterEvent
  | CpuidEvent
  | HypercallEvent
  | PageEvent
  | LogEvent
  | PhaseEvent
  | StateEvent
  | PacketEvent
  | InterruptEvent
  | FaultEvent
  | InvariantEvent
  | ExpectationEvent;

export type TraceEventKind = TraceEvent['kind'];
