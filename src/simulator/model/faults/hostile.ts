// Hostile-host behaviours (the catalogue's `hostile` faults) the host's VMBus server applies to
// what it sends: forged offer fields, cut or oversized messages, and unsolicited messages.
// The guest sees only the resulting bytes, as it would from a malicious host.
import type { FaultConfig } from '../config';
import type { Clock } from '../ports';
import type { Json } from '../tracer';
import type { FaultInjector } from './injector';
import type { ServerChannel, ServerClient } from '../server/types';
import type { Tracer } from '../tracer';
import type { Platform } from '../platform';
import { isolatedPath } from '../constants';
import { encodeMessage } from '../../protocol/codec';
import { faultById } from './catalogue';
import { msgtypeOf } from '../tracer';
import { messageTypeName } from '../../protocol/constants';
import { T } from '../constants';

/** Class GUIDs a hostile host offers by short name (host-offer-disallowed-class). */
const DISALLOWED_CLASSES: Record<string, string> = {
  synthvid: 'da0a7802-e377-4aac-8e77-0558eb1073f8',
  kbd: 'f912ad6d-2b17-48ea-bd65-f927a61c7684',
  kvp: 'a9a0f4e7-5a45-4d96-b827-8a841e8c03e6',
};

function encode(json: Json): Uint8Array {
  const r = encodeMessage(json);
  if (!r.ok) throw new Error(`protocol encode failed for ${String(json.msgtype)}: ${r.error.message}`);
  return r.bytes;
}

/** The hostile offer fault that applies to this host channel's offer, if any. */
export function hostileOffer(faults: FaultInjector, channels: readonly ServerChannel[], client: ServerClient | null, c: ServerChannel): FaultConfig | null {
  for (const f of faults.faults) {
    if (!f.kind.startsWith('host-offer') && f.kind !== 'host-monitor-id-out-of-range') continue;
    if (f.trigger.device !== undefined && f.trigger.device !== c.dev.name) continue;
    if (f.trigger.relid !== undefined && f.trigger.relid !== c.id) continue;
    // Neither device nor relid: the first channel the host offers.
    if (f.trigger.device === undefined && f.trigger.relid === undefined && channels.filter((x) => x.id > 0)[0] !== c && channels[0] !== c) continue;
    if (f.kind === 'host-offer-to-relay-with-confidential-flags' && client !== 'relay') continue;
    // nth: the nth offer the other triggers match.
    if (f.trigger.nth !== undefined && f.trigger.nth !== faults.countUse(f)) continue;
    return f;
  }
  return null;
}

/** The offer fields a hostile host forges. */
export interface OfferFields {
  flags: number;
  relid: number;
  monitorId: number;
  monAlloc: number;
  classGuid: string;
}

/** Applies a hostile offer fault to the fields about to be sent, and records the fault. */
export function mutateOffer(faults: FaultInjector, hostile: FaultConfig, o: OfferFields, channels: readonly ServerChannel[], c: ServerChannel): void {
  if (hostile.kind === 'host-offer-co-external-without-ring') o.flags = (o.flags | 0x4) & ~0x2;
  else if (hostile.kind === 'host-offer-confidential-flags' || hostile.kind === 'host-offer-to-relay-with-confidential-flags') o.flags |= Number(hostile.params.flags ?? 0x2);
  else if (hostile.kind === 'host-offer-disallowed-class') {
    const p = String(hostile.params.class ?? 'synthvid');
    o.classGuid = /^[0-9a-f-]{36}$/i.test(p) ? p.toLowerCase() : (DISALLOWED_CLASSES[p] ?? DISALLOWED_CLASSES.synthvid);
  } else if (hostile.kind === 'host-offer-relid-out-of-range') o.relid = Number(hostile.params.relid ?? 4096);
  else if (hostile.kind === 'host-offer-duplicate-relid') {
    const other = channels.find((x) => x !== c && x.id > 0);
    if (other) o.relid = other.id;
  } else if (hostile.kind === 'host-monitor-id-out-of-range') { o.monitorId = Number(hostile.params.monitorid ?? 200); o.monAlloc = 1; }
  faults.event(hostile, hostile.kind, `${faultById(hostile.kind)?.description ?? hostile.kind} (device ${c.dev.name})`);
}

/**
 * The host message a hostile message fault strikes when the scenario names none (no on, at, relid
 * or device): cutting faults cut the first offer; injecting ones follow ALLOFFERS_DELIVERED.
 */
const HOSTILE_DEFAULT_ON: Readonly<Record<string, string>> = {
  'host-oversized-payload': 'CHANNELMSG_OFFERCHANNEL',
  'host-short-payload': 'CHANNELMSG_OFFERCHANNEL',
  'host-unknown-msgtype': 'CHANNELMSG_ALLOFFERS_DELIVERED',
  'host-unhandled-msgtype': 'CHANNELMSG_ALLOFFERS_DELIVERED',
  'host-unsolicited-version-response': 'CHANNELMSG_ALLOFFERS_DELIVERED',
  'host-unsolicited-open-result': 'CHANNELMSG_ALLOFFERS_DELIVERED',
  'host-unsolicited-gpadl-created': 'CHANNELMSG_ALLOFFERS_DELIVERED',
  'host-unsolicited-gpadl-torndown': 'CHANNELMSG_ALLOFFERS_DELIVERED',
  'host-rescind-unknown-relid': 'CHANNELMSG_ALLOFFERS_DELIVERED',
};

/** What the hostile message faults make of one host message: its bytes, a claimed size, messages after it. */
export interface HostileSend {
  bytes: Uint8Array;
  payloadSize?: number;
  fault?: string;
  extra: { bytes: Uint8Array; fault: string }[];
}

/**
 * Hostile-host message faults, applied where the host sends: each strikes once, on the first host
 * message that matches all its triggers (`nth` picks an occurrence). Cutting faults alter that
 * message (oversized: its hv_message payload_size; short: its bytes); injecting faults send a
 * message of their own right after it. Without on/at/relid/device the message is their default
 * (HOSTILE_DEFAULT_ON).
 */
export function hostileOnHostSend(
  faults: FaultInjector, inPhase: (phase: string) => boolean, channels: readonly ServerChannel[],
  name: string, relid: number | undefined, nth: number, device: string | undefined, bytes: Uint8Array,
): HostileSend {
  const out: HostileSend = { bytes, extra: [] };
  for (const f of faults.faults) {
    const dflt = HOSTILE_DEFAULT_ON[f.kind];
    if (dflt === undefined) continue;
    const tr = f.trigger;
    const msgtype = tr.msgtype ?? (tr.relid === undefined && tr.device === undefined && tr.phase === undefined ? dflt : undefined);
    if (msgtype !== undefined && msgtype !== name) continue;
    if (tr.relid !== undefined && tr.relid !== relid) continue;
    if (tr.device !== undefined && tr.device !== device) continue;
    if (tr.phase !== undefined && !inPhase(tr.phase)) continue;
    if (tr.nth !== undefined && tr.nth !== nth) continue;
    if (faults.uses(f) > 0) continue;
    faults.countUse(f);
    const ch = (relid !== undefined ? channels.find((c) => c.id === relid) : undefined) ?? channels.find((c) => c.id > 0) ?? channels[0];
    const chId = ch?.id || 1;
    let inject: Json | Uint8Array | null = null;
    switch (f.kind) {
      case 'host-oversized-payload':
        out.payloadSize = Number(f.params.size ?? 248);
        out.fault = f.kind;
        faults.event(f, f.kind, `${name} claims payload_size ${out.payloadSize} (over 240)`);
        continue;
      case 'host-short-payload': {
        const n = Math.max(0, Math.min(out.bytes.length, Number(f.params.size ?? 12)));
        out.bytes = out.bytes.slice(0, n);
        out.payloadSize = n;
        out.fault = f.kind;
        faults.event(f, f.kind, `${name} cut to ${n} bytes`);
        continue;
      }
      case 'host-unknown-msgtype': case 'host-unhandled-msgtype': {
        const t = Number(f.params.msgtype ?? (f.kind === 'host-unknown-msgtype' ? 25 : 23));
        const b = new Uint8Array(t === 25 ? 24 : 8);
        b[0] = t & 0xff; b[1] = (t >> 8) & 0xff; b[2] = (t >> 16) & 0xff; b[3] = (t >>> 24) & 0xff;
        inject = b;
        break;
      }
      case 'host-unsolicited-version-response': inject = { msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 1, connection_state: 0, msg_conn_id: 1 }; break;
      case 'host-unsolicited-open-result': inject = { msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', child_relid: chId, openid: chId, status: Number(f.params.status ?? 0) }; break;
      case 'host-unsolicited-gpadl-created': inject = { msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: chId, gpadl: 0xdead, creation_status: 0 }; break;
      case 'host-unsolicited-gpadl-torndown': inject = { msgtype: 'CHANNELMSG_GPADL_TORNDOWN', gpadl: 0xbeef }; break;
      case 'host-rescind-unknown-relid': inject = { msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: Number(f.params.relid ?? 99) }; break;
      default: break;
    }
    if (inject === null) continue;
    const ib = inject instanceof Uint8Array ? inject : encode(inject);
    const it = msgtypeOf(ib);
    faults.event(f, f.kind, `the host sends ${messageTypeName(it) ?? `msgtype ${it}`}${it >= 25 ? ` (${it})` : ''} right after ${name}`);
    out.extra.push({ bytes: ib, fault: f.kind });
  }
  return out;
}

/**
 * host-forged-untrusted-message: once the offers are in, the host injects a guest message through
 * the GHCB/tdcall path (the untrusted route to the paravisor's server), as if the guest posted it.
 */
export function forgeUntrustedMessage(
  faults: FaultInjector, tracer: Tracer, clock: Clock, platform: Platform, connId: number,
  pv: { receive(client: 'guest', bytes: Uint8Array, trusted: boolean, multiclient: boolean): void } | null,
): void {
  const f = faults.find('host-forged-untrusted-message');
  if (!f || faults.uses(f) > 0) return;
  faults.countUse(f);
  const name = String(f.params.msgtype ?? 'CHANNELMSG_REQUESTOFFERS');
  if (!pv) {
    faults.event(f, 'host-forged-untrusted-message', 'no paravisor server: the host is the VMBus server, nothing to forge against');
    return;
  }
  const bytes = encode({ msgtype: name });
  const path = isolatedPath(platform.iso);
  faults.event(f, 'host-forged-untrusted-message', `host forges ${name} through the ${path} path`);
  tracer.message('host', 'paravisor', null, path, connId, bytes, 'HV_STATUS_SUCCESS', undefined, 'host-forged-untrusted-message', 2, false);
  clock.schedule(T.serverWork, () => pv.receive('guest', bytes, false, false));
}
