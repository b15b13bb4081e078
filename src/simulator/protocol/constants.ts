// Message types, protocol versions, feature flags, offer flags and connection ids.
// Values from Linux include/linux/hyperv.h (+ the Confidential VMBus series) and, where marked,
// from OpenVMM's vmbus_core protocol definitions.

/** CHANNELMSG_* (Linux enum vmbus_channel_message_type) plus the OpenVMM-only types 25..29. */
export const MessageType = {
  CHANNELMSG_INVALID: 0,
  CHANNELMSG_OFFERCHANNEL: 1,
  CHANNELMSG_RESCIND_CHANNELOFFER: 2,
  CHANNELMSG_REQUESTOFFERS: 3,
  CHANNELMSG_ALLOFFERS_DELIVERED: 4,
  CHANNELMSG_OPENCHANNEL: 5,
  CHANNELMSG_OPENCHANNEL_RESULT: 6,
  CHANNELMSG_CLOSECHANNEL: 7,
  CHANNELMSG_GPADL_HEADER: 8,
  CHANNELMSG_GPADL_BODY: 9,
  CHANNELMSG_GPADL_CREATED: 10,
  CHANNELMSG_GPADL_TEARDOWN: 11,
  CHANNELMSG_GPADL_TORNDOWN: 12,
  CHANNELMSG_RELID_RELEASED: 13,
  CHANNELMSG_INITIATE_CONTACT: 14,
  CHANNELMSG_VERSION_RESPONSE: 15,
  CHANNELMSG_UNLOAD: 16,
  CHANNELMSG_UNLOAD_RESPONSE: 17,
  CHANNELMSG_18: 18,
  CHANNELMSG_19: 19,
  CHANNELMSG_20: 20,
  CHANNELMSG_TL_CONNECT_REQUEST: 21,
  CHANNELMSG_MODIFYCHANNEL: 22,
  CHANNELMSG_TL_CONNECT_RESULT: 23,
  CHANNELMSG_MODIFYCHANNEL_RESPONSE: 24,
  /** OpenVMM only (Copper, feature modify_connection). Linux has no such value. */
  CHANNELMSG_MODIFY_CONNECTION: 25,
  /** OpenVMM only. */
  CHANNELMSG_MODIFY_CONNECTION_RESPONSE: 26,
  /** OpenVMM only (Copper, feature pause_resume). */
  CHANNELMSG_PAUSE: 27,
  /** OpenVMM only. */
  CHANNELMSG_PAUSE_RESPONSE: 28,
  /** OpenVMM only. */
  CHANNELMSG_RESUME: 29,
} as const;
export type MessageTypeName = keyof typeof MessageType;

/** Linux CHANNELMSG_COUNT: any msgtype >= this is "unknown msgtype" to a Linux guest. */
export const LINUX_CHANNELMSG_COUNT = 25;
export const OPENVMM_CHANNELMSG_COUNT = 30;

const MSG_NAMES: string[] = [];
for (const [k, v] of Object.entries(MessageType)) MSG_NAMES[v] = k;

/** The CHANNELMSG_* name, or undefined for a value outside 0..29. */
export function messageTypeName(n: number): string | undefined {
  return Number.isInteger(n) && n >= 0 && n < MSG_NAMES.length ? MSG_NAMES[n] : undefined;
}

// ---------------------------------------------------------------- versions

export function makeVersion(major: number, minor: number): number {
  return (((major & 0xffff) << 16) | (minor & 0xffff)) >>> 0;
}

export interface VersionInfo {
  /** Linux macro name. */
  name: string;
  major: number;
  minor: number;
  value: number;
  /** OpenVMM `enum Version` name. */
  openVmmName: string;
  host: string;
}

export const VERSIONS: readonly VersionInfo[] = [
  { name: 'VERSION_WS2008', major: 0, minor: 13, value: 0x0000000d, openVmmName: 'V1', host: 'Windows Server 2008' },
  { name: 'VERSION_WIN7', major: 1, minor: 1, value: 0x00010001, openVmmName: 'Win7', host: 'Windows 7, WS2008 R2' },
  { name: 'VERSION_WIN8', major: 2, minor: 4, value: 0x00020004, openVmmName: 'Win8', host: 'Windows 8, WS2012' },
  { name: 'VERSION_WIN8_1', major: 3, minor: 0, value: 0x00030000, openVmmName: 'Win8_1', host: 'Windows 8.1, WS2012 R2' },
  { name: 'VERSION_WIN10', major: 4, minor: 0, value: 0x00040000, openVmmName: 'Win10', host: 'Windows 10' },
  { name: 'VERSION_WIN10_V4_1', major: 4, minor: 1, value: 0x00040001, openVmmName: 'Win10Rs3_0', host: 'Windows 10 RS3' },
  { name: 'VERSION_WIN10_V5', major: 5, minor: 0, value: 0x00050000, openVmmName: 'Win10Rs3_1', host: 'Newer Windows 10' },
  { name: 'VERSION_WIN10_V5_1', major: 5, minor: 1, value: 0x00050001, openVmmName: 'Win10Rs4', host: 'Windows 10 RS4' },
  { name: 'VERSION_WIN10_V5_2', major: 5, minor: 2, value: 0x00050002, openVmmName: 'Win10Rs5', host: 'Windows Server 2019, RS5' },
  { name: 'VERSION_WIN10_V5_3', major: 5, minor: 3, value: 0x00050003, openVmmName: 'Iron', host: 'Windows Server 2022' },
  { name: 'VERSION_WIN10_V6_0', major: 6, minor: 0, value: 0x00060000, openVmmName: 'Copper', host: 'Confidential VMBus (protocol 6.0)' },
];

export const Version = {
  VERSION_WS2008: 0x0000000d,
  VERSION_WIN7: 0x00010001,
  VERSION_WIN8: 0x00020004,
  VERSION_WIN8_1: 0x00030000,
  VERSION_WIN10: 0x00040000,
  VERSION_WIN10_V4_1: 0x00040001,
  VERSION_WIN10_V5: 0x00050000,
  VERSION_WIN10_V5_1: 0x00050001,
  VERSION_WIN10_V5_2: 0x00050002,
  VERSION_WIN10_V5_3: 0x00050003,
  VERSION_WIN10_V6_0: 0x00060000,
} as const;

/** The order a current Linux guest tries versions in (vmbus_versions[], newest first). */
export const LINUX_VERSION_ORDER: readonly number[] = [
  0x00060000, 0x00050003, 0x00050002, 0x00050001, 0x00050000, 0x00040001, 0x00040000, 0x00030000, 0x00020004,
];
/** The order OpenHCL's vmbus_client tries when it connects to the host (Copper, then Iron). */
export const OPENVMM_CLIENT_VERSION_ORDER: readonly number[] = [0x00060000, 0x00050003];

const VERSION_BY_VALUE = new Map(VERSIONS.map((v) => [v.value, v]));

export function versionInfo(v: number): VersionInfo | undefined {
  return VERSION_BY_VALUE.get(v >>> 0);
}
/** "major.minor" of any u32 version value. */
/** A message type without its CHANNELMSG_ prefix, as timelines and diagrams label it. */
export function shortMsgtype(name: string): string {
  return name.startsWith('CHANNELMSG_') ? name.slice('CHANNELMSG_'.length) : name;
}

export function versionString(v: number): string {
  return `${(v >>> 16) & 0xffff}.${v & 0xffff}`;
}
/** The Linux macro name (VERSION_WIN10_V6_0) of a known version, else "major.minor". */
export function versionName(v: number): string {
  return VERSION_BY_VALUE.get(v >>> 0)?.name ?? versionString(v);
}
/** Accepts "6.0", "VERSION_WIN10_V6_0", "Copper", "0x60000" or "393216". */
export function parseVersion(text: string): number | undefined {
  const t = text.trim();
  const m = /^(\d+)\.(\d+)$/.exec(t);
  if (m) return makeVersion(Number(m[1]), Number(m[2]));
  const byName = VERSIONS.find((v) => v.name === t || v.openVmmName.toLowerCase() === t.toLowerCase());
  if (byName) return byName.value;
  if (/^0x[0-9a-f]+$/i.test(t) || /^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 0 && n <= 0xffffffff) return n;
  }
  return undefined;
}

// ---------------------------------------------------------------- feature flags (InitiateContact / VersionResponse2)

/** InitiateContact.feature_flags bits. Linux defines only CONFIDENTIAL_CHANNELS; the rest are OpenVMM's. */
export const FeatureFlags = {
  GUEST_SPECIFIED_SIGNAL_PARAMETERS: 0x01,
  CHANNEL_INTERRUPT_REDIRECTION: 0x02,
  MODIFY_CONNECTION: 0x04,
  CLIENT_ID: 0x08,
  /** Linux VMBUS_FEATURE_FLAG_CONFIDENTIAL_CHANNELS. */
  CONFIDENTIAL_CHANNELS: 0x10,
  PAUSE_RESUME: 0x20,
  SERVER_SPECIFIED_MONITOR_PAGES: 0x40,
  GPA_PINNING: 0x80,
} as const;
export const VMBUS_FEATURE_FLAG_CONFIDENTIAL_CHANNELS = 0x10;

function bitNames(table: Record<string, number>, n: number): string[] {
  const out: string[] = [];
  let rest = n >>> 0;
  for (const [k, v] of Object.entries(table)) {
    if ((rest & v) === v && v !== 0) { out.push(k); rest = (rest & ~v) >>> 0; }
  }
  for (let b = 0; b < 32 && rest; b++) {
    const bit = (1 << b) >>> 0;
    if (rest & bit) { out.push(`0x${bit.toString(16)}`); rest = (rest & ~bit) >>> 0; }
  }
  return out;
}
export function decodeFeatureFlags(n: number): string[] {
  return bitNames(FeatureFlags, n);
}

// ---------------------------------------------------------------- offer chn_flags

/** Offer chn_flags bits (u16 at message offset 56), names as after the Confidential VMBus series. */
export const ChnFlags = {
  ENUMERATE_DEVICE_INTERFACE: 0x0001,
  /** Before 6.0: SERVER_SUPPORTS_TRANSFER_PAGES. */
  CONFIDENTIAL_RING_BUFFER: 0x0002,
  /** Before 6.0: SERVER_SUPPORTS_GPADLS. */
  CONFIDENTIAL_EXTERNAL_MEMORY: 0x0004,
  /** OpenVMM only (gpa_pinning feature). */
  REQUIRE_PINNED_EXTERNAL_MEMORY: 0x0008,
  NAMED_PIPE_MODE: 0x0010,
  LOOPBACK_OFFER: 0x0100,
  PARENT_OFFER: 0x0200,
  REQUEST_MONITORED_NOTIFICATION: 0x0400,
  TLNPI_PROVIDER_OFFER: 0x2000,
} as const;

export interface ChnFlagInfo { bit: number; key: keyof typeof ChnFlags; linuxName: string | null; preV6LinuxName?: string; openVmmName: string | null }
export const CHN_FLAG_INFO: readonly ChnFlagInfo[] = [
  { bit: 0x0001, key: 'ENUMERATE_DEVICE_INTERFACE', linuxName: 'VMBUS_CHANNEL_ENUMERATE_DEVICE_INTERFACE', openVmmName: 'enumerate_device_interface' },
  { bit: 0x0002, key: 'CONFIDENTIAL_RING_BUFFER', linuxName: 'VMBUS_CHANNEL_CONFIDENTIAL_RING_BUFFER', preV6LinuxName: 'VMBUS_CHANNEL_SERVER_SUPPORTS_TRANSFER_PAGES', openVmmName: 'confidential_ring_buffer' },
  { bit: 0x0004, key: 'CONFIDENTIAL_EXTERNAL_MEMORY', linuxName: 'VMBUS_CHANNEL_CONFIDENTIAL_EXTERNAL_MEMORY', preV6LinuxName: 'VMBUS_CHANNEL_SERVER_SUPPORTS_GPADLS', openVmmName: 'confidential_external_memory' },
  { bit: 0x0008, key: 'REQUIRE_PINNED_EXTERNAL_MEMORY', linuxName: null, openVmmName: 'require_pinned_external_memory' },
  { bit: 0x0010, key: 'NAMED_PIPE_MODE', linuxName: 'VMBUS_CHANNEL_NAMED_PIPE_MODE', openVmmName: 'named_pipe_mode' },
  { bit: 0x0100, key: 'LOOPBACK_OFFER', linuxName: 'VMBUS_CHANNEL_LOOPBACK_OFFER', openVmmName: null },
  { bit: 0x0200, key: 'PARENT_OFFER', linuxName: 'VMBUS_CHANNEL_PARENT_OFFER', openVmmName: null },
  { bit: 0x0400, key: 'REQUEST_MONITORED_NOTIFICATION', linuxName: 'VMBUS_CHANNEL_REQUEST_MONITORED_NOTIFICATION', openVmmName: null },
  { bit: 0x2000, key: 'TLNPI_PROVIDER_OFFER', linuxName: 'VMBUS_CHANNEL_TLNPI_PROVIDER_OFFER', openVmmName: 'tlnpi_provider' },
];

/** Names (ChnFlags keys) of the set bits; unknown bits as "0x..". */
export function decodeChnFlags(n: number): string[] {
  return bitNames(ChnFlags, n & 0xffff);
}

export const VMBUS_PIPE_TYPE_BYTE = 0x0;
export const VMBUS_PIPE_TYPE_MESSAGE = 0x4;
export const MAX_USER_DEFINED_BYTES = 120;
export const MAX_PIPE_USER_DEFINED_BYTES = 116;

// ---------------------------------------------------------------- connection ids, SINT

export const VMBUS_MESSAGE_SINT = 2;

export const ConnectionId = {
  VMBUS_MESSAGE_CONNECTION_ID: 1,
  /** InitiateContact for version >= 5.0 goes here. */
  VMBUS_MESSAGE_CONNECTION_ID_4: 4,
  VMBUS_MESSAGE_PORT_ID: 1,
  VMBUS_EVENT_CONNECTION_ID: 2,
  VMBUS_EVENT_PORT_ID: 2,
  VMBUS_MONITOR_CONNECTION_ID: 3,
  VMBUS_MONITOR_PORT_ID: 3,
  /** OpenVMM: the port the host listens on with VTL2 redirect (= childMessageConnectionId(0, 7, 2)). */
  VMBUS_MESSAGE_REDIRECT_CONNECTION_ID: 0x800074,
} as const;

/** OpenVMM REDIRECT_SINT / REDIRECT_VTL. */
export const REDIRECT_SINT = 7;
export const REDIRECT_VTL = 2;

/** OpenVMM get_child_message_connection_id: 4 | vtl<<22 | vp<<8 | sint<<4. */
export function childMessageConnectionId(vp: number, sint: number, vtl: number): number {
  return (4 | (vtl << 22) | (vp << 8) | (sint << 4)) >>> 0;
}
/** OpenVMM get_child_event_port_id: 2 | vtl<<22 | channel_id<<8 | sint<<4. */
export function childEventPortId(channelId: number, sint: number, vtl: number): number {
  return (2 | (vtl << 22) | (channelId << 8) | (sint << 4)) >>> 0;
}
/** OpenVMM ConnectionId::new(channel_id, vtl, sint) = channel_id | sint<<12 | vtl<<16 (offer connection_id). */
export function channelConnectionId(channelId: number, vtl: number, sint: number = VMBUS_MESSAGE_SINT): number {
  return (channelId | (sint << 12) | (vtl << 16)) >>> 0;
}

/** VersionResponse connection_state values (OpenVMM names). */
export const ConnectionState = {
  SUCCESSFUL: 0,
  FAILED_LOW_RESOURCES: 1,
  FAILED_UNKNOWN_FAILURE: 2,
} as const;

/** Linux GPADL handle allocation starts here (next_gpadl_handle = 0xE1E10). */
export const LINUX_FIRST_GPADL_HANDLE = 0xe1e10;
export const MAX_CHANNEL_RELIDS = 2048;
export const INVALID_RELID = 0xffffffff;

/**
 * Linux hv_sock: the service ids it connects to and accepts are `<port>-facb-11e6-bd58-64006a7986d3`,
 * the vsock port in the first u32 (net/vmw_vsock/hyperv_transport.c srv_id_template, is_valid_srv_id).
 */
export const HVSOCK_SRV_ID_TEMPLATE_TAIL = '-facb-11e6-bd58-64006a7986d3';
