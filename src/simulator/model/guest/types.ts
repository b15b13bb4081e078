// The Linux guest's types (drivers/hv: struct vmbus_channel, the connection states) and the ports
// it reaches the world through: the hypervisor's MSRs and hypercalls (HypervisorPort), the CPUID
// leaf the paravisor answers, and the scenario's driver configuration for an offered device.
import type { AccessPath, Party, StateObject, SynicId, Visibility } from '../../trace/events';
import type { DeviceConfig, ScenarioConfig, SourceRef } from '../config';
import type { Clock } from '../ports';
import type { Json, StateExtra, Tracer } from '../tracer';
import type { Memory } from '../memory';
import type { Platform } from '../platform';
import type { FaultInjector } from '../faults/injector';
import type { PostContext } from '../hypervisor/hypervisor';
import type { SlotItem, SynicRegister } from '../hypervisor/synic';

/** Linux's vmbus_connection.conn_state, as the trace names it. */
export type GuestConnState = 'disconnected' | 'connecting' | 'connected' | 'failed' | 'unloaded';

/** A guest channel's life (vmbus_channel + the driver's view), as the trace names it. */
export type GuestChannelState = 'offered' | 'rejected' | 'opening' | 'open' | 'closed' | 'rescinded' | 'released';

export type GuestGpadlState = 'creating' | 'created' | 'failed' | 'tearing-down' | 'torn-down';

/** One ring of a channel: the ring-buffer indices the data path moves (bytes). */
export interface Ring {
  size: number; // data bytes
  in: number;
  out: number;
  mask: number;
  pss: number;
  packets: number;
}

export interface GuestGpadl {
  handle: number;
  kind: 'ring' | 'buffer';
  pages: number;
  gpa: number;
  visibility: Visibility;
  state: GuestGpadlState;
  pageId: string;
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
  state: GuestChannelState;
  coRing: boolean;
  coExternal: boolean;
  rescinded: boolean;
  offerHex: string;
  hostedBy: 'paravisor' | 'host';
  relayed: boolean;
  originalChnFlags?: number;
  ringGpadl?: number;
  gpadls: GuestGpadl[];
  outRing?: Ring;
  inRing?: Ring;
  sent: number;
  target: number;
  blocked?: boolean;
  rejectReason?: string;
  source?: SourceRef;
  /** VP the channel's interrupts go to (OPENCHANNEL target_vp; Linux init_vp_index). */
  targetVp?: number;
  /** Ring sizes the driver chose itself (hv_sock's hvs_open_connection), each with its control page; else the device's. */
  ringBytes?: { send: number; recv: number };
}

/** The hypervisor as the guest reaches it: SynIC MSRs, HvPostMessage, HvSignalEvent, its SIM/SIEF pages. */
export interface HypervisorPort {
  readonly vpCount: number;
  hasParavisorSynic(vp: number): boolean;
  reg(vp: number, owner: SynicId, reg: Exclude<SynicRegister, 'EOM'>): number;
  access(vp: number, owner: SynicId, reg: SynicRegister, op: 'read' | 'write', value: number, path: AccessPath): void;
  /** With a paravisor on a CVM: the page OpenHCL supplies for the hypervisor SynIC's SIMP/SIEFP (read back by the guest). */
  supplySynicPage(vp: number, reg: 'SIMP' | 'SIEFP', gpa: number): void;
  postMessage(bytes: Uint8Array, connId: number, path: AccessPath, ctx: PostContext, source?: SourceRef): string;
  signalEvent(target: Party, connectionId: number): void;
  /**
   * A guest store to its monitor page (plain memory): nobody sees it unless the page is protected
   * against VTL0 writes (OpenHCL handling MNF), then the hypervisor delivers the intercept to VTL2.
   */
  writeMonitorPage(gpa: number, bytes: Uint8Array): void;
  hasEvents(vp: number, owner: SynicId): boolean;
  hasMessage(vp: number, owner: SynicId): boolean;
  takeEvents(vp: number, owner: SynicId): number[] | Float64Array;
  takeMessage(vp: number, owner: SynicId): { item: SlotItem; pending: boolean; queued: number } | null;
  /** The host's (or paravisor's) end of a channel signals the guest (data path). */
  signalGuest(vp: number, paravisorHosted: boolean, relid: number, device: string): void;
}

/** What the scenario says about an offered device: the driver's configuration and the trace's labels. */
export interface OfferedDevice {
  /** The scenario device (ring sizes, packets, buffers, whether the driver opens it). */
  dev: DeviceConfig;
  /** Trace labels: who hosts the channel, whether OpenHCL relays it, the flags before the relay stripped them. */
  hostedBy: 'paravisor' | 'host';
  relayed: boolean;
  originalFlags: number;
}

export interface GuestPorts {
  /** CPUID 0x40000082 EAX as the guest reads it (the paravisor's intercept answers when there is one). */
  cpuidVsEax(): number;
  /** The scenario device behind an offer (matched by relid and instance GUID), if any. */
  offeredDevice(relid: number, instance: string): OfferedDevice | undefined;
  /** All offers are in (CHANNELMSG_ALLOFFERS_DELIVERED handled). */
  allOffersDelivered(): void;
  /** The driver's data phase is over: the scenario's scripted steps run. */
  dataDone(): void;
  /** The guest released a relid (RELID_RELEASED sent). */
  relidReleased(relid: number): void;
}

/** A response the guest waits for (a msginfo on vmbus_connection.chn_msg_list). */
export interface GuestWaiter {
  msgtype: number;
  match: (j: Json) => boolean;
  resolve: (j: Json) => void;
  relid?: number;
  cancel?: () => void;
}

/** The guest's shared state and services, as its channel operations and data path use them (LinuxGuest implements it). */
export interface GuestCore {
  readonly cfg: ScenarioConfig;
  readonly platform: Platform;
  readonly clock: Clock;
  readonly tracer: Tracer;
  readonly memory: Memory;
  readonly faults: FaultInjector;
  readonly hv: HypervisorPort;
  readonly ports: GuestPorts;
  conn: GuestConnState;
  version: number | null;
  unloaded: boolean;
  nextGpadl: number;
  /** The GPA of monitor page 2 (child→parent) as the last INITIATE_CONTACT gave it (vmbus_connection.monitor_pages[1]). */
  monitorPage2Gpa: number | null;
  waiters: GuestWaiter[];
  readonly channels: Map<number, GuestChannel>;
  readonly channelOrder: GuestChannel[];
  readonly openQueue: GuestChannel[];
  readonly connId: number;
  log(level: 'info' | 'warn' | 'err' | 'debug', text: string, source?: SourceRef): void;
  state(object: StateObject, from: string, to: string, extra?: StateExtra): void;
  /** A channel's state changes: the trace records from (the channel's own state) → to. */
  transition(ch: GuestChannel, to: GuestChannelState, extra?: StateExtra): void;
  wait(msgtype: number, match: (j: Json) => boolean, resolve: (j: Json) => void, relid?: number, cancel?: () => void): void;
  post(json: Json, connId: number, done?: (status: string) => void, source?: SourceRef): void;
}
