// Model constants. Where a reference marks a fact UNCONFIRMED, the reading chosen is one named
// constant here so it is easy to change.
import type { AccessPath } from '../trace/events';
import type { Isolation } from './config';

/** x86 HYPERVISOR_CALLBACK_VECTOR, the vector Linux programs into SINT2. */
export const VMBUS_VECTOR = 0xf3;

/** SINT register bits (Linux hv_synic_sint / OpenVMM HvSynicSint). */
export const SINT_MASKED = 0x10000;
export const SINT_AUTO_EOI = 0x20000;
export const SINT_PROXY = 0x100000;

export const MSR = {
  SCONTROL: 0x40000080,
  SIEFP: 0x40000082,
  SIMP: 0x40000083,
  EOM: 0x40000084,
  SINT0: 0x40000090,
  SINT2: 0x40000092,
} as const;

export const HVCALL_POST_MESSAGE = 0x005c;
export const HVCALL_SIGNAL_EVENT = 0x005d;

export const HV_STATUS: Record<string, number> = {
  HV_STATUS_SUCCESS: 0x0,
  HV_STATUS_INVALID_PARAMETER: 0x5,
  HV_STATUS_ACCESS_DENIED: 0x6,
  HV_STATUS_OPERATION_DENIED: 0x8,
  HV_STATUS_INSUFFICIENT_MEMORY: 0xb,
  HV_STATUS_INVALID_CONNECTION_ID: 0x12,
  HV_STATUS_INSUFFICIENT_BUFFERS: 0x13,
  HV_STATUS_INVALID_SYNIC_STATE: 0x18,
  HV_STATUS_OBJECT_IN_USE: 0x19,
  HV_STATUS_TIMEOUT: 0x78,
};

/**
 * How a CVM guest WITHOUT a paravisor reaches the hypervisor, named by the Linux code path it takes.
 * - SynIC MSRs: linux §5.4 (CONFIRMED): hv_set_non_nested_msr uses hv_ivm_msr_write (GHCB/tdcall)
 *   only when paravisor_present; otherwise a plain rdmsr/wrmsr → 'msr' (the CPU may turn it into
 *   #VC/#VE, but the guest code issues an ordinary MSR access).
 * - Hypercalls: UNCONFIRMED by the references (they cover only the with-paravisor paths, §5.6). We
 *   read Linux's hv_do_hypercall: a fully enlightened TDX guest calls hv_tdx_hypercall → 'tdcall';
 *   a fully enlightened SNP guest issues vmmcall itself → 'hypercall' (the GHCB path is the
 *   paravisor case, trace/events.ts AccessPath).
 */
export function noParavisorPath(iso: Isolation, kind: 'msr' | 'hypercall'): AccessPath {
  if (kind === 'msr') return 'msr';
  return iso === 'tdx' ? NO_PARAVISOR_TDX_HYPERCALL_PATH : 'hypercall';
}

/** UNCONFIRMED (see noParavisorPath): the path of a hypercall from a TDX guest without a paravisor. */
export const NO_PARAVISOR_TDX_HYPERCALL_PATH: AccessPath = 'tdcall';

/**
 * UNCONFIRMED (linux §5.6, §9): what OpenHCL does with a guest's HvSignalEvent for a channel it
 * hosts itself. Linux's vmbus_set_event is unchanged by the Confidential series and still goes
 * through the GHCB/tdcall to the hypervisor; we read it as reaching the paravisor (openvmm §3.3:
 * the untrusted GHCB/TDCALL dispatchers accept HvSignalEvent) rather than the host.
 */
export const PARAVISOR_CHANNEL_SIGNAL_TARGET = 'paravisor' as const;

/** The host-visible ("isolated") mechanism of a CVM with a paravisor: GHCB on SNP, tdcall on TDX. */
export function isolatedPath(iso: Isolation): AccessPath {
  return iso === 'tdx' ? 'tdcall' : 'ghcb';
}

/**
 * UNCONFIRMED: what a paravisor WITHOUT Confidential VMBus support (legacy HCL, no VMBus server in
 * VTL2) answers to a guest's direct (trapped) HvPostMessage in the historical probe design. We take
 * HV_STATUS_INVALID_CONNECTION_ID (no port behind connection 4), which makes Linux's
 * vmbus_negotiate_version return -EINVAL for every version, so vmbus_connect fails and the v4
 * fallback runs.
 */
export const LEGACY_PARAVISOR_DIRECT_POST_STATUS = 'HV_STATUS_INVALID_CONNECTION_ID';

/**
 * UNCONFIRMED: vTOM boundary (ms_hyperv.shared_gpa_boundary) used to form host-visible GPAs the
 * paravisor supplies. 2^46 is a typical value; only its presence matters to the model.
 */
export const SHARED_GPA_BOUNDARY = 2 ** 46;

/**
 * The VTL whose guest the simulated servers serve: OpenHCL's server is built with the defaults
 * (vtl = Vtl0, openvmm §3.5); we read the host's server the same way. An INITIATE_CONTACT naming
 * another VTL (msg_vtl, on the multiclient port from 5.1) is for another server.
 */
export const SERVER_VTL = 0;

/** OpenVMM VMBUS_MESSAGE_REDIRECT_CONNECTION_ID = get_child_message_connection_id(0, 7, Vtl2) (openvmm §1.7). */
export const VMBUS_MESSAGE_REDIRECT_CONNECTION_ID = 0x800074;

/**
 * UNCONFIRMED (openvmm §3.2 lists the bits, not when OpenHCL sets them): the CPUID 0x40000082 EAX
 * bits other than CONFIDENTIAL_VMBUS_AVAILABLE (0x8) that an OpenHCL paravisor with a VMBus server
 * reports. We read EXTENDED_IOAPIC_RTE (0x4) as set; Linux only uses it for msi_ext_dest_id.
 */
export const VS_CPUID_EAX_OTHER_BITS_OPENHCL = 0x4;

/** OpenVMM relay requirement: the host connection must grant these (vmbus_relay/src/lib.rs). */
export const RELAY_REQUIRED_FEATURES = 0x01 | 0x02 | 0x04;
/** OpenVMM server SUPPORTED_FEATURE_FLAGS (without confidential_channels / gpa_pinning). */
export const SERVER_SUPPORTED_FEATURES = 0x6f;
/**
 * What the simulated servers grant of it: only features whose behaviour they have. pause_resume
 * (0x20: no party sends PAUSE) is left out; server_specified_monitor_pages (0x40) stays only when
 * the server allocated monitor pages for the connection (VersionResponse3), as OpenVMM grants it;
 * modify_connection (0x04) is MODIFY_CONNECTION / _RESPONSE.
 */
export const SIMULATED_SERVER_FEATURES = SERVER_SUPPORTED_FEATURES & ~0x20;
/**
 * READING (the references stop here: openvmm §6 "not traced end to end"): the host offers a
 * channel's monitor id to OpenHCL's vmbus_client although it connected without monitor pages, so
 * the relay re-offers it as MnfUsage::Relayed and forwards the guest's pages with
 * MODIFY_CONNECTION. OpenVMM's relay is written for such a host (vmbus_relay handle_offer keeps
 * monitor_allocated offers, handle_modify forwards the pages); OpenVMM's own server would send the
 * id only to a connection that has pages (send_offer).
 */
export const HOST_MONITOR_IDS_TO_RELAY = true;
/** OpenVMM LOCAL_FEATURE_FLAGS (client_id | confidential_channels | gpa_pinning). */
export const RELAY_LOCAL_FEATURES = 0x98;
/** Feature flags the OpenHCL vmbus_client requests from the host. */
export const OPENHCL_CLIENT_FEATURES = 0x2f;
/** OpenHCL max version policy when not hardware isolated: Copper with flags 0x87. */
export const OPENHCL_NON_ISOLATED_MAX_FLAGS = 0x87;

export const STATUS_UNSUCCESSFUL = 0x8000ffff;

/**
 * hv_sock (Hyper-V sockets). The server refuses a TL_CONNECT_REQUEST nobody listens on with
 * TlConnectResult(STATUS_CONNECTION_REFUSED), only from Win10Rs3_0 = 4.1 (OpenVMM vmbus_core
 * protocol.rs STATUS_CONNECTION_REFUSED; channels.rs send_tl_connect_result; test_hvsock{,_rs3,_rs5}).
 */
export const STATUS_CONNECTION_REFUSED = 0xc0000236;
export const TL_CONNECT_RESULT_MIN_VERSION = 0x40001;
/** TL_CONNECT_REQUEST parses from Win10 = 4.0 (OpenVMM protocol.rs); Linux's hvs_init needs the same (VERSION_WIN10, else -ENODEV). */
export const TL_CONNECT_MIN_VERSION = 0x40000;
/**
 * OpenVMM vmbus_server lib.rs MAX_CONCURRENT_HVSOCK_REQUESTS: with this many hvsock connect
 * requests handed to the hvsock handler and not answered yet, the server reads no further guest
 * message (they wait, in order) until an answer arrives (handle_tl_connect_result).
 */
export const MAX_CONCURRENT_HVSOCK_REQUESTS = 16;
/** Linux af_vsock.c VSOCK_DEFAULT_CONNECT_TIMEOUT (2 * HZ): a connect() nobody answers fails with -ETIMEDOUT. */
export const VSOCK_CONNECT_TIMEOUT_NS = 2_000_000_000;
/**
 * Our reading: the guest's first auto-bound vsock port. Linux picks it at random above
 * LAST_RESERVED_PORT (1023) (af_vsock.c __vsock_bind_connectible), then counts up; the simulator
 * starts at 1024 so a trace does not depend on a random draw.
 */
export const VSOCK_FIRST_LOCAL_PORT = 1024;
/**
 * OpenVMM HvsockUserDefinedParameters as the server offers a guest-initiated connection (hvsock.rs
 * relay_guest_connect_to_host: is_connect false): pipe_type BYTE (0) in pipe_mode, then
 * user_def[0] is_for_guest_accept 0, [1] is_for_guest_container 0, [2..6] version RS5 (1, unaligned
 * u32), silo id zero. Linux reads user_def[0] as conn_from_host (hvs_open_connection).
 */
export const HVSOCK_CONNECT_OFFER_USER_DEF = '000001000000';

/** OpenVMM MonitorId::INVALID. */
export const MONITOR_ID_INVALID = 0xff;

/** Timing (ns). Deterministic; chosen so the timeline reads naturally. */
export const T = {
  msr: 200,
  isolatedAccess: 1_500,
  trapped: 2_500,
  hypercall: 1_000,
  deliver: 2_000,
  isr: 1_000,
  guestWork: 3_000,
  serverWork: 5_000,
  hostWork: 20_000,
  deviceWork: 15_000,
  packetGap: 200,
  drain: 2_000,
  guestBoot: 1_000_000,
} as const;

/** In-band payload bytes of the simulated data packets (round8 applied by the ring writer). */
export const PACKET_PAYLOAD = 48;
