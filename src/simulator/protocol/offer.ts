// Linux's acceptance checks for an offer (vmbus_onoffer): the isolated-VM class check
// (vmbus_is_valid_offer) and the Confidential VMBus flag checks. The log strings are Linux's
// pr_err texts without the "hv_vmbus: " prefix (LINUX_LOG_PREFIX).
import { ChnFlags, FeatureFlags, Version } from './constants';
import { classByGuid } from './guid';

export const LINUX_LOG_PREFIX = 'hv_vmbus: ';

export interface OfferCheckContext {
  /** hv_is_isolation_supported(): an SNP/TDX (CoCo) guest. */
  isolated: boolean;
  /** vmbus_is_confidential(): the connection is the Confidential VMBus. */
  confidential: boolean;
  /** Negotiated vmbus_proto_version (u32). */
  version: number;
}

export type OfferCheckResult = { ok: true; coRing: boolean; coExternal: boolean } | { ok: false; log: string; reason: 'isolation' | 'ring-not-encrypted' | 'no-confidential-support' };

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim())) return Number(v.trim());
  return 0;
}

/**
 * `offer` is the JSON form of a CHANNELMSG_OFFERCHANNEL ({offer: {if_type, chn_flags, ...}, child_relid, ...}).
 * A bare offer object ({if_type, chn_flags, ...} plus child_relid) is accepted too.
 */
export function checkOffer(offer: Record<string, unknown>, ctx: OfferCheckContext): OfferCheckResult {
  const inner = (typeof offer.offer === 'object' && offer.offer !== null ? offer.offer : offer) as Record<string, unknown>;
  // Linux prints the u32 with %d
  const relid = num(offer.child_relid ?? inner.child_relid) | 0;
  const chnFlags = num(inner.chn_flags) & 0xffff;
  const ifType = typeof inner.if_type === 'string' ? inner.if_type : '';

  // vmbus_is_valid_offer(): only in an isolated VM; hv_sock offers always pass; known classes
  // pass if allowed_in_isolated; anything else (incl. unknown classes) is refused.
  if (ctx.isolated && (chnFlags & ChnFlags.TLNPI_PROVIDER_OFFER) === 0) {
    const cls = classByGuid(ifType);
    if (!cls || !cls.allowedInIsolated) {
      return { ok: false, log: `Invalid offer ${relid} from the host supporting isolation`, reason: 'isolation' };
    }
  }
  const coRing = (chnFlags & ChnFlags.CONFIDENTIAL_RING_BUFFER) !== 0;
  const coExternal = (chnFlags & ChnFlags.CONFIDENTIAL_EXTERNAL_MEMORY) !== 0;
  if (!coRing && coExternal) {
    return { ok: false, log: `Invalid offer relid=${relid}: the ring buffer isn't encrypted`, reason: 'ring-not-encrypted' };
  }
  if (coRing || coExternal) {
    if ((ctx.version >>> 0) < Version.VERSION_WIN10_V6_0 || !ctx.confidential) {
      return { ok: false, log: `Invalid offer relid=${relid}: no support for confidential VMBus`, reason: 'no-confidential-support' };
    }
  }
  return { ok: true, coRing, coExternal };
}

/**
 * The chn_flags a VMBus server puts on the wire for an offer (OpenVMM MessageSender::send_offer,
 * openvmm-vmbus.md §1.4 "Masking when the offer is sent"): without a negotiated
 * confidential_channels (0x10) the confidential ring / external memory bits (0x2, 0x4) are
 * cleared; without gpa_pinning (0x80) require_pinned_external_memory (0x8) is. The engine's
 * servers and the scenario checker both ask this one function.
 */
export function offerFlagsSent(chnFlags: number, negotiatedFeatures: number): number {
  let f = chnFlags & 0xffff;
  if ((negotiatedFeatures & FeatureFlags.CONFIDENTIAL_CHANNELS) === 0) f &= ~(ChnFlags.CONFIDENTIAL_RING_BUFFER | ChnFlags.CONFIDENTIAL_EXTERNAL_MEMORY);
  if ((negotiatedFeatures & FeatureFlags.GPA_PINNING) === 0) f &= ~ChnFlags.REQUIRE_PINNED_EXTERNAL_MEMORY;
  return f;
}

/** What OpenHCL's relay re-offers of a host offer: both confidential flags stripped (vmbus_relay, openvmm §1.4). */
export function relayOfferFlags(hostChnFlags: number): number {
  return hostChnFlags & ~(ChnFlags.CONFIDENTIAL_RING_BUFFER | ChnFlags.CONFIDENTIAL_EXTERNAL_MEMORY) & 0xffff;
}
