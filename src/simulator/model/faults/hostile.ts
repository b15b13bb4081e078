// Hostile-host behaviours (the catalogue's `hostile` faults) the host's VMBus server applies to
// what it sends: forged offer fields, and unsolicited or malformed messages after the offers.
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
    if (f.trigger.device === undefined && channels.filter((x) => x.id > 0)[0] !== c && channels[0] !== c) continue;
    if (f.kind === 'host-offer-to-relay-with-confidential-flags' && client !== 'relay') continue;
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

/** Hostile behaviours that are unsolicited messages (sent after the offers, straight into the guest's SynIC). */
export function hostileAfterOffers(
  faults: FaultInjector, channels: readonly ServerChannel[], clock: Clock,
  ports: { injectToGuest(bytes: Uint8Array, fault: string, payloadSize?: number): void },
): void {
  for (const f of faults.faults) {
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
      case 'host-unsolicited-open-result': json = { msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', child_relid: channels[0]?.id ?? 1, openid: channels[0]?.id ?? 1, status: Number(f.params.status ?? 0) }; break;
      case 'host-unsolicited-gpadl-created': json = { msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: channels[0]?.id ?? 1, gpadl: 0xdead, creation_status: 0 }; break;
      case 'host-unsolicited-gpadl-torndown': json = { msgtype: 'CHANNELMSG_GPADL_TORNDOWN', gpadl: 0xbeef }; break;
      case 'host-rescind-unknown-relid': json = { msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: Number(f.params.relid ?? 99) }; break;
      case 'host-oversized-payload': json = { msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: channels[0]?.id ?? 1 }; payloadSize = Number(f.params.size ?? 248); break;
      case 'host-short-payload': {
        const c = channels[0];
        const full = encode({ msgtype: 'CHANNELMSG_OFFERCHANNEL', offer: { if_type: c?.classGuid ?? 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f', if_instance: c?.instanceGuid ?? '00000000-0000-0000-0000-000000000001' }, child_relid: 77, connection_id: 0x2000 | 77 });
        bytes = full.slice(0, Number(f.params.size ?? 12));
        break;
      }
      default: break;
    }
    if (!json && !bytes) continue;
    const b = bytes ?? encode(json!);
    faults.event(f, f.kind, entry.description);
    const ps = payloadSize;
    clock.schedule(T.deliver * 2, () => ports.injectToGuest(b, f.kind, ps));
  }
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
