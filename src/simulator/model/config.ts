// What a scenario asks the engine to simulate. The scenario language (src/simulator/scenario)
// produces this; the engine (src/simulator/engine) consumes it. Plain data only, so it can be
// serialised, diffed and sent to the webview.

/** A place in a scenario file, 0-based like VS Code's Position. */
export interface SourceRef {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export type Isolation = 'none' | 'vbs' | 'snp' | 'tdx';

/**
 * How the guest discovers Confidential VMBus.
 * - 'probe': the original proposal (series v1–v4): try the paravisor SynIC, fall back on failure.
 * - 'cpuid': the merged design (v5+, Linux 6.18+): CPUID 0x40000082 EAX bit 3 decides once.
 */
export type DiscoveryDesign = 'probe' | 'cpuid';

export interface PlatformConfig {
  isolation: Isolation;
  vpCount: number;
  paravisor: {
    present: boolean;
    /** The paravisor can host a Confidential VMBus (OpenHCL with the feature; sets the CPUID bit). */
    confidentialVmbus: boolean;
    /** Versions the paravisor's own server accepts (u32, VMBUS_MAKE_VERSION). Empty = all it knows. */
    versions: number[];
    /**
     * OpenHCL handles MNF itself (OPENHCL_VMBUS_ENABLE_MNF; `paravisor { mnf yes }`). Undefined =
     * OpenHCL's default: yes when it hosts a network device (worker.rs: !controllers.mana.is_empty()).
     */
    mnf?: boolean;
  };
  design: DiscoveryDesign;
  /** Highest version the guest tries first (u32), e.g. 0x00060000 for 6.0. */
  guestMaxVersion: number;
  /** Versions the host's VMBus server accepts (u32). */
  hostVersions: number[];
  /** Feature flags the host grants (OpenVMM FeatureFlags bits). */
  hostFeatureFlags: number;
  /** Whether the hypervisor recommends auto-EOI (hv_recommend_using_aeoi). */
  autoEoi: boolean;
}

export type DeviceHost = 'host' | 'paravisor';

export interface DeviceConfig {
  /** The name the scenario gives it (unique within the scenario), e.g. "disk0". */
  name: string;
  /** Canonical lower-case class GUID (if_type). */
  classGuid: string;
  /** Linux short name of the class if known (storvsc, netvsc, hv_sock, ...). */
  className?: string;
  /** Canonical lower-case instance GUID (if_instance); generated from the seed when omitted. */
  instanceGuid: string;
  host: DeviceHost;
  /** Offer chn_flags as sent on the wire (u16). */
  chnFlags: number;
  /** Monitor id, or undefined for no monitor (monitor_allocated = 0). */
  monitorId?: number;
  subchannels: number;
  /** Ring sizes in bytes (each including the 4 KiB control page). */
  sendRingBytes: number;
  recvRingBytes: number;
  /** Extra (HV_GPADL_BUFFER) GPADLs the driver sets up after open, in pages; empty = none. */
  bufferGpadlPages: number[];
  /** Data packets to exchange after open (each direction alternates guest → host → ...). */
  packets: number;
  mmioMegabytes: number;
  /** Whether the guest driver opens the channel at all. */
  open: boolean;
  /**
   * hv_sock only: a host service the guest connects to (`hvsock connect`). Its channel is not
   * offered at boot; the host offers one per TL_CONNECT_REQUEST, with the guest's endpoint id as
   * if_instance (OpenVMM hvsock.rs relay_guest_connect_to_host).
   */
  hvsockListen?: boolean;
  source?: SourceRef;
}

/** When a fault strikes. All given fields must match. */
export interface FaultTrigger {
  /** CHANNELMSG_* name. */
  msgtype?: string;
  /** 1-based occurrence of the matching message; undefined = every match. */
  nth?: number;
  /** Phase name, e.g. "connect", "offers", "open". */
  phase?: string;
  relid?: number;
  /** Device name from the scenario. */
  device?: string;
}

export interface FaultConfig {
  /** An id from the engine's fault catalogue, e.g. "drop", "host-offer-co-external-without-ring". */
  kind: string;
  trigger: FaultTrigger;
  /** Fault-specific parameters (field name for "corrupt", status for "open-fails", delay in µs ...). */
  params: Record<string, string | number | boolean>;
  source?: SourceRef;
}

export type Expectation =
  | { kind: 'offer'; device: string; outcome: 'accepted' | 'rejected'; confidentialRing?: boolean; confidentialExternal?: boolean; source?: SourceRef }
  | { kind: 'fallback'; taken: boolean; source?: SourceRef }
  | { kind: 'confidential'; value: boolean; source?: SourceRef }
  | { kind: 'version'; version: number; source?: SourceRef }
  | { kind: 'log'; text: string; present: boolean; source?: SourceRef }
  | { kind: 'page'; page: string; visibility: 'encrypted' | 'host-visible'; source?: SourceRef }
  | { kind: 'message'; msgtype: string; synic?: 'hypervisor' | 'paravisor'; from?: string; to?: string; device?: string; present: boolean; source?: SourceRef }
  /** The monitor id the guest's offer of DEVICE carries (null: monitor_allocated = 0). */
  | { kind: 'monitor'; device: string; monitorId: number | null; source?: SourceRef }
  /** The feature flags granted in the VERSION_RESPONSE the guest accepted (0 below 6.0). */
  | { kind: 'features'; flags: number; source?: SourceRef }
  | { kind: 'channel-state'; device: string; state: string; source?: SourceRef }
  | { kind: 'invariants'; hold: boolean; source?: SourceRef };

/** A named point the stepper can run to ("run until offers"). */
export interface StopPoint {
  label: string;
  /** Stop when an event of this phase begins, or this message type is seen, or this device's relid appears. */
  phase?: string;
  msgtype?: string;
  device?: string;
  source?: SourceRef;
}

/** Scripted actions at points in the run (beyond the automatic driver behaviour). */
export type ScriptStep =
  | { kind: 'rescind'; device: string; after?: StopPoint; source?: SourceRef }
  | { kind: 'close'; device: string; source?: SourceRef }
  | { kind: 'unload'; source?: SourceRef }
  /** The guest opens a channel it closed (vmbus_open again: a new ring GPADL, OPENCHANNEL). */
  | { kind: 'reopen'; device: string; source?: SourceRef }
  /** After an unload, the guest connects again (a kexec'd kernel: vmbus_connect from the top). */
  | { kind: 'connect'; source?: SourceRef }
  /** The guest retargets a channel to VP `vp` (vmbus_send_modifychannel, CHANNELMSG_MODIFYCHANNEL). */
  | { kind: 'modify'; device: string; vp: number; source?: SourceRef }
  /**
   * hv_sock connect (vmbus_send_tl_connect_request): to DEVICE's service (the host answers by
   * offering DEVICE's channel), or to a service GUID nothing listens on (TL_CONNECT_RESULT refused).
   */
  | { kind: 'hvsock-connect'; device?: string; service?: string; source?: SourceRef }
  /**
   * The guest starts over without unloading (a kdump kernel): INITIATE_CONTACT while connected, as
   * soon as the point is reached (e.g. in the middle of a GPADL), then the usual connect.
   */
  | { kind: 'reset'; after?: StopPoint; source?: SourceRef };

export interface ScenarioConfig {
  name: string;
  file?: string;
  seed: number;
  platform: PlatformConfig;
  devices: DeviceConfig[];
  faults: FaultConfig[];
  expectations: Expectation[];
  stops: StopPoint[];
  steps: ScriptStep[];
  /** Where each top-level section starts, for mapping engine phases back to lines. */
  sections?: Partial<Record<'platform' | 'paravisor' | 'host' | 'devices' | 'faults' | 'expect' | 'run', SourceRef>>;
  source?: SourceRef;
}

/**
 * Whether OpenHCL handles MNF itself: the scenario's `paravisor { mnf }`, else OpenHCL's default
 * (worker.rs: enable_mnf = vmbus_enable_mnf.unwrap_or(!controllers.mana.is_empty())): on when it
 * hosts a network device, which here is a paravisor-hosted netvsc.
 */
export function paravisorHandlesMnf(cfg: Pick<ScenarioConfig, 'platform' | 'devices'>): boolean {
  return cfg.platform.paravisor.mnf ?? cfg.devices.some((d) => d.host === 'paravisor' && d.className === 'netvsc');
}
