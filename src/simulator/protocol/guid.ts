// GUIDs in Linux guid_t wire order (first three groups little-endian, last two as written) and the
// 20 VMBus device classes Linux knows (include/linux/hyperv.h, vmbus_devs[], lsvmbus).
import { HEX_BYTE } from './hex';

const GUID_RE = /^\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/;

/** Lower-case canonical form (no braces), or undefined if `text` is not a GUID. */
export function canonicalGuid(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  const m = GUID_RE.exec(text.trim());
  if (!m) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}`.toLowerCase();
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
/** Character positions of the 16 bytes in "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", in guid_t wire order. */
const WIRE_POS = [6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34];

/** Writes the GUID in guid_t order into `out` at `offset`. Returns false if `text` is not a GUID. */
export function writeGuid(text: string, out: Uint8Array, offset: number): boolean {
  if (typeof text !== 'string') return false;
  let t = text;
  if (t.length !== 36) {
    t = t.trim();
    if (t.length === 38 && t[0] === '{' && t[37] === '}') t = t.slice(1, 37);
    if (t.length !== 36) return false;
  }
  if (t.charCodeAt(8) !== 45 || t.charCodeAt(13) !== 45 || t.charCodeAt(18) !== 45 || t.charCodeAt(23) !== 45) return false;
  for (let i = 0; i < 16; i++) {
    const p = WIRE_POS[i];
    const hi = hexNibble(t.charCodeAt(p)), lo = hexNibble(t.charCodeAt(p + 1));
    if (hi < 0 || lo < 0) return false;
    out[offset + i] = (hi << 4) | lo;
  }
  return true;
}

/** The 16 wire bytes of a GUID string. Throws on a malformed GUID (use canonicalGuid to check first). */
export function guidToBytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  if (!writeGuid(text, out, 0)) throw new Error(`not a GUID: ${String(text)}`);
  return out;
}

function formatGuid(bytes: Uint8Array, o: number): string {
  const H = HEX_BYTE;
  return H[bytes[o + 3]] + H[bytes[o + 2]] + H[bytes[o + 1]] + H[bytes[o]] + '-' +
    H[bytes[o + 5]] + H[bytes[o + 4]] + '-' +
    H[bytes[o + 7]] + H[bytes[o + 6]] + '-' +
    H[bytes[o + 8]] + H[bytes[o + 9]] + '-' +
    H[bytes[o + 10]] + H[bytes[o + 11]] + H[bytes[o + 12]] + H[bytes[o + 13]] + H[bytes[o + 14]] + H[bytes[o + 15]];
}

// GUIDs repeat a lot (20 device classes; the same offers decoded again by every view), and
// formatting one costs far more than reading it, so a small direct-mapped cache keyed by the
// 16 raw bytes sits in front of formatGuid. A hit compares all 16 bytes, so it is exact.
const CACHE_SLOTS = 1024;
const cacheKeys = new Int32Array(CACHE_SLOTS * 4);
const cacheVals: (string | undefined)[] = new Array(CACHE_SLOTS).fill(undefined);

/** Reads a guid_t at `offset` and returns the lower-case canonical string (like Linux %pUl). */
export function guidFromBytes(bytes: Uint8Array, offset = 0): string {
  const o = offset;
  const a = bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24);
  const b = bytes[o + 4] | (bytes[o + 5] << 8) | (bytes[o + 6] << 16) | (bytes[o + 7] << 24);
  const c = bytes[o + 8] | (bytes[o + 9] << 8) | (bytes[o + 10] << 16) | (bytes[o + 11] << 24);
  const d = bytes[o + 12] | (bytes[o + 13] << 8) | (bytes[o + 14] << 16) | (bytes[o + 15] << 24);
  let h = Math.imul(a ^ (b >>> 7), 0x9e3779b1) ^ Math.imul(c ^ (d >>> 11), 0x85ebca6b);
  h = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
  const k = h * 4;
  const cached = cacheVals[h];
  if (cached !== undefined && cacheKeys[k] === a && cacheKeys[k + 1] === b && cacheKeys[k + 2] === c && cacheKeys[k + 3] === d) return cached;
  const s = formatGuid(bytes, o);
  cacheKeys[k] = a; cacheKeys[k + 1] = b; cacheKeys[k + 2] = c; cacheKeys[k + 3] = d;
  cacheVals[h] = s;
  return s;
}

export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

export interface DeviceClass {
  /** Lower-case canonical class GUID (offer if_type). */
  guid: string;
  /** Short name (the Linux driver or service name where there is one). Unique. */
  name: string;
  /** Other accepted names (classByName). */
  aliases: readonly string[];
  /** lsvmbus description text. */
  description: string;
  /** Kernel GUID macro. */
  macro: string;
  /** Linux enum vmbus_device_type value (HV_UNKNOWN = 16 for the unsupported ones). */
  devType: number;
  /** vmbus_devs[].allowed_in_isolated: offers of this class are accepted in an isolated (CoCo) VM. */
  allowedInIsolated: boolean;
  /** vmbus_devs[].perf_device. */
  perfDevice: boolean;
  /** In vmbus_unsupported_devs[] (AVMA1, AVMA2, RDV, IMC). */
  unsupported: boolean;
}

function dc(guid: string, name: string, aliases: string[], description: string, macro: string, devType: number, allowedInIsolated: boolean, perfDevice: boolean, unsupported = false): DeviceClass {
  return { guid, name, aliases, description, macro, devType, allowedInIsolated, perfDevice, unsupported };
}

/** The 20 device classes. */
export const DEVICE_CLASSES: readonly DeviceClass[] = [
  dc('32412632-86cb-44a2-9b5c-50d1417354f5', 'ide', ['storvsc_ide', 'hv_ide'], 'Synthetic IDE Controller', 'HV_IDE_GUID', 0, false, true),
  dc('ba6163d9-04a1-4d29-b605-72e2ffb1dc7f', 'storvsc', ['scsi', 'hv_scsi', 'hv_storvsc'], 'Synthetic SCSI Controller', 'HV_SCSI_GUID', 1, true, true),
  dc('2f9bcc4a-0069-4af3-b76b-6fd0be528cda', 'synthfc', ['fc', 'hv_fc'], 'Synthetic fiber channel adapter', 'HV_SYNTHFC_GUID', 2, false, true),
  dc('f8615163-df3e-46c5-913f-f2d2f965ed0e', 'netvsc', ['nic', 'hv_netvsc', 'hv_nic'], 'Synthetic network adapter', 'HV_NIC_GUID', 3, true, true),
  dc('8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501', 'nd', ['rdma', 'hv_nd'], 'Synthetic RDMA adapter', 'HV_ND_GUID', 4, false, true),
  dc('44c4f61d-4444-4400-9d52-802e27ede19f', 'hv_pci', ['pcie', 'pci', 'vpci'], 'PCI Express pass-through', 'HV_PCIE_GUID', 5, true, false),
  dc('da0a7802-e377-4aac-8e77-0558eb1073f8', 'synthvid', ['fb', 'hyperv_fb', 'hyperv_drm'], 'Synthetic framebuffer adapter', 'HV_SYNTHVID_GUID', 6, false, false),
  dc('f912ad6d-2b17-48ea-bd65-f927a61c7684', 'hyperv_keyboard', ['kbd', 'keyboard'], 'Synthetic keyboard', 'HV_KBD_GUID', 7, false, false),
  dc('cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a', 'hid_hyperv', ['mouse'], 'Synthetic mouse', 'HV_MOUSE_GUID', 8, false, false),
  dc('a9a0f4e7-5a45-4d96-b827-8a841e8c03e6', 'kvp', ['hv_kvp', 'data_exchange'], '[Data Exchange]', 'HV_KVP_GUID', 9, false, false),
  dc('9527e630-d0ae-497b-adce-e80ab0175caf', 'timesync', ['ts', 'hv_ts', 'time_sync'], '[Time Synchronization]', 'HV_TS_GUID', 10, true, false),
  dc('57164f39-9115-4e78-ab55-382f3bd5422d', 'heartbeat', ['hb', 'hv_hb'], '[Heartbeat]', 'HV_HEART_BEAT_GUID', 11, true, false),
  dc('0e0b6031-5213-4934-818b-38d90ced39db', 'shutdown', ['hv_shutdown'], '[Operating system shutdown]', 'HV_SHUTDOWN_GUID', 12, true, false),
  dc('34d14be3-dee4-41c8-9ae7-6b174977c192', 'fcopy', ['hv_fcopy', 'guest_services'], '[Guest services]', 'HV_FCOPY_GUID', 13, false, false),
  dc('35fa2e29-ea23-4236-96ae-3a6ebacba440', 'vss', ['backup', 'hv_vss'], '[Backup (volume checkpoint)]', 'HV_VSS_GUID', 14, false, false),
  dc('525074dc-8985-46e2-8057-a307dc18a502', 'hv_balloon', ['dm', 'dynamic_memory', 'balloon'], '[Dynamic Memory]', 'HV_DM_GUID', 15, false, false),
  dc('f8e65716-3cb3-4a06-9a60-1889c5cccab5', 'avma1', [], '[Reserved system device]', 'HV_AVMA1_GUID', 16, false, false, true),
  dc('3375baf4-9e15-4b30-b765-67acb10d607b', 'avma2', [], '[Reserved system device]', 'HV_AVMA2_GUID', 16, false, false, true),
  dc('276aacf4-ac15-426c-98dd-7521ad3f01fe', 'rdv', [], '[Reserved system device]', 'HV_RDV_GUID', 16, false, false, true),
  dc('c376c1c3-d276-48d2-90a9-c04748072c60', 'imc', [], 'Unknown', 'HV_IMC_GUID', 16, false, false, true),
];

const BY_GUID = new Map(DEVICE_CLASSES.map((d) => [d.guid, d]));
const BY_NAME = new Map<string, DeviceClass>();
for (const d of DEVICE_CLASSES) {
  BY_NAME.set(d.name, d);
  for (const a of d.aliases) BY_NAME.set(a, d);
}

/** Looks a class up by name or alias (case-insensitive). hv_sock offers have no fixed class. */
export function classByName(name: string): DeviceClass | undefined {
  return typeof name === 'string' ? BY_NAME.get(name.trim().toLowerCase()) : undefined;
}
/** Looks a class up by GUID (any case, braces allowed). */
export function classByGuid(guid: string): DeviceClass | undefined {
  const g = canonicalGuid(guid);
  return g ? BY_GUID.get(g) : undefined;
}

// lsvmbus (tools/hv/lsvmbus) prints a description instead of the class GUID when run without -v.
// 'Unknown' is what it prints for any class missing from its table (IMC among them), so it names
// no class; '[Reserved system device]' is shared by AVMA1, AVMA2 and RDV.
const BY_DESCRIPTION = new Map<string, DeviceClass[]>();
for (const d of DEVICE_CLASSES) {
  if (d.description === 'Unknown') continue;
  const key = d.description.toLowerCase();
  const list = BY_DESCRIPTION.get(key) ?? [];
  list.push(d);
  BY_DESCRIPTION.set(key, list);
}

/** Every class whose lsvmbus description is `text` (case-insensitive, brackets required as lsvmbus prints them). */
export function classesByDescription(text: string): readonly DeviceClass[] {
  return typeof text === 'string' ? BY_DESCRIPTION.get(text.trim().toLowerCase()) ?? [] : [];
}
