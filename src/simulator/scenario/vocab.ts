// The words of the scenario language and what they mean. Protocol facts (values, classes,
// message types) come from src/simulator/protocol and the engine's fault catalogue; this file
// only adds the spellings the language accepts and one-line explanations for hover/completion.
import { ChnFlags, FeatureFlags, MessageType, VERSIONS, versionName } from '../protocol/constants';
import { DEVICE_CLASSES, classByName, classByGuid, type DeviceClass } from '../protocol/guid';
import { FAULT_CATALOGUE } from '../model/faults/catalogue';

export { versionName };

// ------------------------------------------------------------------ keywords

export interface KeywordDoc {
  /** Where it is valid: 'top', or the block it belongs in. */
  context: 'top' | 'platform' | 'paravisor' | 'host' | 'device' | 'faults' | 'expect' | 'run' | 'clause';
  syntax: string;
  doc: string;
}

export const KEYWORDS: Record<string, KeywordDoc[]> = {};
function kw(word: string, context: KeywordDoc['context'], syntax: string, doc: string): void {
  (KEYWORDS[word] ??= []).push({ context, syntax, doc });
}

kw('scenario', 'top', 'scenario "NAME"', 'Names the scenario. One per file; the Run/Debug CodeLens sits above it.');
kw('seed', 'top', 'seed N', 'Seed for everything the engine chooses (generated instance GUIDs, scheduling). Same seed, same trace.');
kw('include', 'top', 'include "PATH"', 'Reads another .vmbus file (path relative to this one, inside the workspace) as if its lines stood here. Later lines override it.');
kw('platform', 'top', 'platform { ... }', 'The VM: isolation, VPs, discovery design, the guest\'s max_version, auto-EOI.');
kw('paravisor', 'top', 'paravisor { ... } | paravisor none', 'The paravisor (OpenHCL in VTL2): whether it exists, whether it can host a Confidential VMBus, the versions its server accepts.');
kw('host', 'top', 'host { ... }', 'The Hyper-V host\'s VMBus server: the versions it accepts and the feature flags it grants.');
kw('device', 'top', 'device NAME CLASS { ... }', 'One VMBus device (a channel offer): CLASS is a Linux driver name (storvsc, netvsc, hv_sock ...) or a class GUID.');
kw('fault', 'top', 'fault KIND [on MSGTYPE] [nth N] [at PHASE] [relid N] [device NAME] [key=value ...]', 'A fault from the engine\'s catalogue and when it strikes.');
kw('faults', 'top', 'faults { ... }', 'A block of faults, one per line: KIND followed by its trigger.');
kw('expect', 'top', 'expect ... | expect { ... }', 'Something that must hold at the end of the run. The runner exits 1 when one fails.');
kw('run', 'top', 'run { ... }', 'Stop points for the stepper and scripted actions (rescind, close, reopen, modify, hvsock connect, unload, connect, reset).');
kw('stop', 'run', 'stop LABEL at phase P | message MSGTYPE | device NAME', 'A named point the stepper can run to ("run until offers").');
kw('rescind', 'run', 'rescind DEVICE [after LABEL | after phase P | after message MSGTYPE]', 'The offering server rescinds the device (CHANNELMSG_RESCIND_CHANNELOFFER), optionally once a point is reached.');
kw('close', 'run', 'close DEVICE', 'The guest driver closes the channel (CHANNELMSG_CLOSECHANNEL).');
kw('unload', 'run', 'unload', 'The guest unloads VMBus (CHANNELMSG_UNLOAD) at the end.');
kw('reopen', 'run', 'reopen DEVICE', 'The guest opens a channel it closed again (a new ring GPADL, CHANNELMSG_OPENCHANNEL).');
kw('connect', 'run', 'connect', 'After an unload, the guest connects again, as a kexec\'d kernel does (CHANNELMSG_INITIATE_CONTACT, offers, opens).');
kw('modify', 'run', 'modify DEVICE vp N', 'The guest binds the channel to VP N (vmbus_send_modifychannel: CHANNELMSG_MODIFYCHANNEL; from 5.3 the server answers MODIFYCHANNEL_RESPONSE).');
kw('hvsock', 'run', 'hvsock connect DEVICE | hvsock connect service GUID', 'A Hyper-V socket connect (vmbus_send_tl_connect_request): the host answers by offering DEVICE\'s channel, or refuses a service nothing listens on (CHANNELMSG_TL_CONNECT_RESULT, which Linux drops).');
kw('reset', 'run', 'reset [after LABEL | after phase P | after message MSGTYPE]', 'The guest starts over without unloading (a kdump kernel): CHANNELMSG_INITIATE_CONTACT while connected, e.g. in the middle of a GPADL.');

kw('isolation', 'platform', 'isolation none | vbs | snp | tdx', 'Hardware isolation of the guest: none, VBS (software), AMD SEV-SNP or Intel TDX.');
kw('vps', 'platform', 'vps N', 'Number of virtual processors (each has its own SynIC).');
kw('design', 'platform', 'design probe | cpuid', 'How the guest discovers Confidential VMBus: probe = the first proposal (try the paravisor SynIC, fall back); cpuid = the merged design (CPUID 0x40000082 EAX bit 3 decides, no fallback).');
kw('max_version', 'platform', 'max_version 6.0', 'The guest\'s max_version module parameter: the newest VMBus version it tries first.');
kw('auto_eoi', 'platform', 'auto_eoi yes | no', 'Whether the hypervisor recommends auto-EOI (hv_recommend_using_aeoi), so SINT2 is programmed with auto_eoi.');

kw('present', 'paravisor', 'present yes | no', 'Whether the VM runs a paravisor at all.');
kw('confidential_vmbus', 'paravisor', 'confidential_vmbus yes | no', 'The paravisor can host a Confidential VMBus (OpenHCL sets CPUID 0x40000082 EAX bit 3 on a hardware-isolated VM).');
kw('mnf', 'paravisor', 'mnf yes | no', 'OpenHCL handles MNF (monitored notifications) itself (OPENHCL_VMBUS_ENABLE_MNF): relayed channels get monitor ids of its own and the guest\'s monitor pages stay with it; on a hardware-isolated VM it then needs server-allocated monitor pages, which Linux does not ask for, so MNF is off. no: the relay forwards the guest\'s monitor pages to the host (MODIFY_CONNECTION) and relayed channels keep the host\'s monitor ids; its own channels get none. Default: yes when the paravisor hosts a netvsc (OpenHCL: when it has a MANA NIC).');
kw('versions', 'paravisor', 'versions 6.0 5.3 ...', 'VMBus versions this server accepts (exact match; the guest walks down its list).');
kw('versions', 'host', 'versions 6.0 5.3 ... | versions all', 'VMBus versions this server accepts (exact match; the guest walks down its list).');
kw('features', 'host', 'features NAME ... | features 0xHEX', 'Feature flags the host grants in the version response (OpenVMM FeatureFlags).');

kw('class', 'device', 'class NAME | GUID', 'The device class (offer if_type), if not given on the device line.');
kw('instance', 'device', 'instance GUID | auto', 'Instance GUID (offer if_instance). auto = derived from the seed and the device name.');
kw('service', 'device', 'service GUID', 'hv_sock only: the service GUID offered as if_type.');
kw('hosted_by', 'device', 'hosted_by host | paravisor', 'Who offers the device: the Hyper-V host (relayed through the paravisor when there is one) or the paravisor itself.');
kw('flags', 'device', 'flags NAME ... | flags 0xHEX', 'Offer chn_flags as sent on the wire.');
kw('monitor', 'device', 'monitor N | none', 'Monitor id (monitor_allocated = 1), or none.');
kw('subchannels', 'device', 'subchannels N', 'Number of sub-channels the device offers after the primary is opened.');
kw('ring', 'device', 'ring SIZE [SIZE]', 'Send and receive ring sizes (each including the 4 KiB control page), e.g. ring 64k or ring 64k 128k.');
kw('buffer_gpadl', 'device', 'buffer_gpadl PAGES ...', 'Extra HV_GPADL_BUFFER GPADLs the driver sets up after open, in pages.');
kw('packets', 'device', 'packets N', 'Data packets exchanged after open.');
kw('mmio', 'device', 'mmio N', 'MMIO space the offer asks for, in MiB.');
kw('open', 'device', 'open yes | no', 'Whether the guest driver opens the channel.');

kw('on', 'clause', 'on MSGTYPE | on paravisor|hypervisor synic', 'Which channel message type (or, in expect message, which SynIC).');
kw('nth', 'clause', 'nth N', 'Only the N-th matching message (1-based).');
kw('at', 'clause', 'at PHASE', 'Only during this phase (connect, offers, open ...).');
kw('relid', 'clause', 'relid N', 'Only for this channel relid (child_relid).');
kw('after', 'clause', 'after LABEL | phase P | message MSGTYPE', 'When the action happens.');

kw('offer', 'expect', 'offer DEVICE accepted|rejected [with confidential ring [and external]] | offer DEVICE monitor N|none', 'The guest accepted (or rejected) the device\'s offer, with the given ring and external-memory confidentiality; or the monitor id its offer carried (none: monitor_allocated = 0).');
kw('fallback', 'expect', 'fallback | no fallback', 'The guest fell back from the paravisor SynIC to the hypervisor SynIC (probe design).');
kw('confidential', 'expect', 'confidential | not confidential', 'The VMBus connection is (not) confidential: it runs through the paravisor SynIC.');
kw('version', 'expect', 'version 6.0', 'The negotiated VMBus version.');
kw('features', 'expect', 'features NAME ... | features 0xHEX | features none', 'The feature flags granted in the VERSION_RESPONSE the guest accepted (exactly these; 0 below 6.0).');
kw('log', 'expect', 'log "TEXT" | no log "TEXT"', 'A guest or paravisor log line contains TEXT.');
kw('page', 'expect', 'page ring(relid N) | "PAGE-ID" encrypted|host-visible', 'The visibility of a guest page at the end.');
kw('message', 'expect', 'message MSGTYPE [on paravisor|hypervisor synic] [from P] [to P] [device NAME]', 'A channel message was (not) delivered as described (device: about that device\'s channel).');
kw('channel', 'expect', 'channel DEVICE STATE', 'The guest-side state of the device\'s primary channel (offered, open, closed, rescinded, released, rejected).');
kw('invariants', 'expect', 'invariants hold | broken', 'The engine\'s safety invariants held (or at least one broke).');

export const TOP_KEYWORDS = ['scenario', 'seed', 'include', 'platform', 'paravisor', 'host', 'device', 'fault', 'faults', 'expect', 'run', 'stop', 'rescind', 'close', 'unload', 'reopen', 'connect', 'modify', 'hvsock', 'reset'];
export const SECTION_KEYWORDS: Record<string, string[]> = {
  platform: ['isolation', 'vps', 'design', 'max_version', 'auto_eoi'],
  paravisor: ['present', 'confidential_vmbus', 'versions', 'mnf'],
  host: ['versions', 'features'],
  device: ['class', 'instance', 'service', 'hosted_by', 'flags', 'monitor', 'subchannels', 'ring', 'buffer_gpadl', 'packets', 'mmio', 'open'],
  expect: ['offer', 'fallback', 'no', 'not', 'confidential', 'version', 'features', 'log', 'page', 'message', 'channel', 'invariants'],
  run: ['stop', 'rescind', 'close', 'unload', 'reopen', 'connect', 'modify', 'hvsock', 'reset'],
};
export const ISOLATIONS = ['none', 'vbs', 'snp', 'tdx'] as const;
export const DESIGNS = ['probe', 'cpuid'] as const;
export const PARTIES = ['guest', 'paravisor', 'hypervisor', 'host'] as const;
export const CHANNEL_STATES = ['offered', 'opening', 'open', 'closed', 'rescinded', 'released', 'rejected'];
export const BOOL_WORDS: Record<string, boolean> = { yes: true, no: false, true: true, false: false, on: true, off: false };

// ------------------------------------------------------------------ chn_flags

export interface FlagWord {
  /** Canonical spelling in the language (lower-case ChnFlags key). */
  name: string;
  value: number;
  linuxName?: string;
  doc: string;
}

const CHN_DOCS: Record<string, string> = {
  ENUMERATE_DEVICE_INTERFACE: 'The offer names a device interface the guest should enumerate.',
  CONFIDENTIAL_RING_BUFFER: 'Offered by the paravisor; the guest must keep the ring buffer in encrypted memory (was SERVER_SUPPORTS_TRANSFER_PAGES before 6.0).',
  CONFIDENTIAL_EXTERNAL_MEMORY: 'Offered by the paravisor; GPA-direct ranges and extra GPADLs must be encrypted too (was SERVER_SUPPORTS_GPADLS before 6.0). Needs the ring flag.',
  REQUIRE_PINNED_EXTERNAL_MEMORY: 'OpenVMM only: external memory must be pinned (needs the gpa_pinning feature).',
  NAMED_PIPE_MODE: 'The channel is a named pipe (user-defined data carries the pipe mode).',
  LOOPBACK_OFFER: 'Loopback offer.',
  PARENT_OFFER: 'Parent offer.',
  REQUEST_MONITORED_NOTIFICATION: 'The server asks for monitored notification.',
  TLNPI_PROVIDER_OFFER: 'An hv_sock (Hyper-V socket) offer: if_type is the service GUID.',
};

export const CHN_FLAG_WORDS: FlagWord[] = Object.entries(ChnFlags).map(([k, v]) => ({
  name: k.toLowerCase(),
  value: v,
  linuxName: `VMBUS_CHANNEL_${k}`,
  doc: CHN_DOCS[k] ?? '',
}));

const CHN_ALIASES: Record<string, string> = {
  confidential_ring: 'confidential_ring_buffer',
  confidential_external: 'confidential_external_memory',
  named_pipe: 'named_pipe_mode',
  tlnpi_provider: 'tlnpi_provider_offer',
  tlnpi: 'tlnpi_provider_offer',
  enumerate: 'enumerate_device_interface',
  monitored_notification: 'request_monitored_notification',
  pinned_external_memory: 'require_pinned_external_memory',
};

export function chnFlagByName(word: string): FlagWord | undefined {
  let w = word.toLowerCase();
  if (w.startsWith('vmbus_channel_')) w = w.slice('vmbus_channel_'.length);
  w = CHN_ALIASES[w] ?? w;
  return CHN_FLAG_WORDS.find((f) => f.name === w);
}

// ------------------------------------------------------------------ feature flags

const FEATURE_DOCS: Record<string, string> = {
  GUEST_SPECIFIED_SIGNAL_PARAMETERS: 'The guest picks the event flag and connection id in OpenChannel2.',
  CHANNEL_INTERRUPT_REDIRECTION: 'The redirect_interrupt open flag is supported.',
  MODIFY_CONNECTION: 'CHANNELMSG_MODIFY_CONNECTION is supported (OpenVMM).',
  CLIENT_ID: 'The client sends a GUID in InitiateContact.',
  CONFIDENTIAL_CHANNELS: 'VMBUS_FEATURE_FLAG_CONFIDENTIAL_CHANNELS: the confidential ring / external memory offer flags are supported (granted by the paravisor only).',
  PAUSE_RESUME: 'The server supports pause/resume.',
  SERVER_SPECIFIED_MONITOR_PAGES: 'The server supplies the monitor pages in the version response.',
  GPA_PINNING: 'The guest supports the require_pinned_external_memory offer flag.',
};

export const FEATURE_WORDS: FlagWord[] = Object.entries(FeatureFlags).map(([k, v]) => ({
  name: k.toLowerCase(),
  value: v,
  linuxName: k === 'CONFIDENTIAL_CHANNELS' ? 'VMBUS_FEATURE_FLAG_CONFIDENTIAL_CHANNELS' : undefined,
  doc: FEATURE_DOCS[k] ?? '',
}));

export function featureByName(word: string): FlagWord | undefined {
  let w = word.toLowerCase();
  if (w.startsWith('vmbus_feature_flag_')) w = w.slice('vmbus_feature_flag_'.length);
  return FEATURE_WORDS.find((f) => f.name === w);
}

/** The default host grant: what OpenVMM's server supports without confidential channels. */
export const DEFAULT_HOST_FEATURES =
  FeatureFlags.GUEST_SPECIFIED_SIGNAL_PARAMETERS | FeatureFlags.CHANNEL_INTERRUPT_REDIRECTION | FeatureFlags.MODIFY_CONNECTION |
  FeatureFlags.CLIENT_ID | FeatureFlags.PAUSE_RESUME | FeatureFlags.SERVER_SPECIFIED_MONITOR_PAGES;

// ------------------------------------------------------------------ message types

const MSG_DOCS: Record<string, string> = {
  CHANNELMSG_OFFERCHANNEL: 'Server → guest: offers a channel (class, instance, child_relid, chn_flags, monitor id).',
  CHANNELMSG_RESCIND_CHANNELOFFER: 'Server → guest: withdraws an offer.',
  CHANNELMSG_REQUESTOFFERS: 'Guest → server: send me your offers.',
  CHANNELMSG_ALLOFFERS_DELIVERED: 'Server → guest: the initial offers are all sent.',
  CHANNELMSG_OPENCHANNEL: 'Guest → server: open a channel on a ring GPADL.',
  CHANNELMSG_OPENCHANNEL_RESULT: 'Server → guest: the status of an open.',
  CHANNELMSG_CLOSECHANNEL: 'Guest → server: close a channel.',
  CHANNELMSG_GPADL_HEADER: 'Guest → server: describes a GPADL (first part of its PFN list).',
  CHANNELMSG_GPADL_BODY: 'Guest → server: more PFNs of a GPADL.',
  CHANNELMSG_GPADL_CREATED: 'Server → guest: a GPADL is established.',
  CHANNELMSG_GPADL_TEARDOWN: 'Guest → server: tear a GPADL down.',
  CHANNELMSG_GPADL_TORNDOWN: 'Server → guest: the GPADL is gone.',
  CHANNELMSG_RELID_RELEASED: 'Guest → server: the guest released a rescinded relid.',
  CHANNELMSG_INITIATE_CONTACT: 'Guest → server: connect at a version (with feature_flags from 6.0).',
  CHANNELMSG_VERSION_RESPONSE: 'Server → guest: version_supported, msg_conn_id (and feature flags from 6.0).',
  CHANNELMSG_UNLOAD: 'Guest → server: the guest is unloading VMBus.',
  CHANNELMSG_UNLOAD_RESPONSE: 'Server → guest: unload complete.',
  CHANNELMSG_TL_CONNECT_REQUEST: 'Guest → server: hv_sock connect request.',
  CHANNELMSG_MODIFYCHANNEL: 'Guest → server: retarget a channel to another VP.',
  CHANNELMSG_TL_CONNECT_RESULT: 'Server → guest: hv_sock connect result (no Linux handler).',
  CHANNELMSG_MODIFYCHANNEL_RESPONSE: 'Server → guest: the result of MODIFYCHANNEL.',
  CHANNELMSG_MODIFY_CONNECTION: 'OpenVMM only: change the connection\'s monitor pages.',
  CHANNELMSG_MODIFY_CONNECTION_RESPONSE: 'OpenVMM only: the result of MODIFY_CONNECTION.',
  CHANNELMSG_PAUSE: 'OpenVMM only: pause the server.',
  CHANNELMSG_PAUSE_RESPONSE: 'OpenVMM only: the server is paused.',
  CHANNELMSG_RESUME: 'OpenVMM only: resume the server.',
};

export interface MessageWord { name: string; value: number; doc: string }
export const MESSAGE_WORDS: MessageWord[] = Object.entries(MessageType).map(([k, v]) => ({ name: k, value: v, doc: MSG_DOCS[k] ?? 'Reserved/unused message type.' }));

/** Accepts CHANNELMSG_OFFERCHANNEL or OFFERCHANNEL (any case). */
export function messageByName(word: string): MessageWord | undefined {
  let w = word.toUpperCase();
  if (!w.startsWith('CHANNELMSG_')) w = 'CHANNELMSG_' + w;
  return MESSAGE_WORDS.find((m) => m.name === w);
}

// ------------------------------------------------------------------ versions

export function versionByName(word: string): number | undefined {
  const v = VERSIONS.find((x) => x.name === word.toUpperCase() || x.openVmmName.toLowerCase() === word.toLowerCase());
  return v?.value;
}
export const ALL_VERSIONS: number[] = VERSIONS.map((v) => v.value);
export function knownVersion(v: number): boolean {
  return VERSIONS.some((x) => x.value === v);
}
export { VERSIONS };

// ------------------------------------------------------------------ device classes

export const HV_SOCK = 'hv_sock';

export interface ClassWord { name: string; guid?: string; description: string; allowedInIsolated: boolean; cls?: DeviceClass }

export function classWords(): ClassWord[] {
  const out: ClassWord[] = DEVICE_CLASSES.map((c) => ({ name: c.name, guid: c.guid, description: c.description, allowedInIsolated: c.allowedInIsolated, cls: c }));
  out.push({ name: HV_SOCK, description: 'Hyper-V socket (hv_sock): the offer carries a service GUID as if_type and the TLNPI provider flag', allowedInIsolated: true });
  return out;
}

export function lookupClassName(word: string): ClassWord | undefined {
  if (word.toLowerCase() === HV_SOCK || word.toLowerCase() === 'hvsock' || word.toLowerCase() === 'vsock') return classWords().find((c) => c.name === HV_SOCK);
  const c = classByName(word);
  return c ? { name: c.name, guid: c.guid, description: c.description, allowedInIsolated: c.allowedInIsolated, cls: c } : undefined;
}
export function lookupClassGuid(guid: string): DeviceClass | undefined {
  return classByGuid(guid);
}

// ------------------------------------------------------------------ faults

export interface FaultWord { id: string; description: string; hostile: boolean; params: string[]; triggers?: string[]; guestReaction?: string; paramDocs: { name: string; description: string }[] }

let faultCache: FaultWord[] | undefined;
export function faultWords(): FaultWord[] {
  if (faultCache) return faultCache;
  const cat = FAULT_CATALOGUE as unknown as ReadonlyArray<{ id: string; description: string; hostile?: boolean; params?: unknown; triggers?: string[]; guestReaction?: string }>;
  faultCache = cat.map((f) => ({
    id: f.id,
    description: f.description,
    hostile: !!f.hostile,
    params: paramNames(f.params),
    triggers: Array.isArray(f.triggers) ? f.triggers : undefined,
    guestReaction: f.guestReaction,
    paramDocs: Array.isArray(f.params) ? (f.params as { name?: unknown; description?: unknown }[]).map((x) => ({ name: String(x.name), description: String(x.description ?? '') })) : [],
  }));
  return faultCache;
}
function paramNames(p: unknown): string[] {
  if (!p) return [];
  if (Array.isArray(p)) return p.map((x) => (typeof x === 'string' ? x : x && typeof x === 'object' && 'name' in x ? String((x as { name: unknown }).name) : String(x)));
  if (typeof p === 'object') return Object.keys(p as object);
  return [];
}
export function faultById(id: string): FaultWord | undefined {
  return faultWords().find((f) => f.id === id);
}
