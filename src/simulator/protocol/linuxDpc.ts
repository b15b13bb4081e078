// What Linux's vmbus_on_msg_dpc (drivers/hv/vmbus_drv.c, linux-vmbus.md §1.1/§1.2) does with a
// message in the SINT2 slot, before any handler runs. One description, used by the engine (which
// warns and drops), the trace-cmd exporter (which then shows only vmbus_on_msg_dpc) and the
// readable trace.
import { LINUX_CHANNELMSG_COUNT } from './constants';

/** HV_MESSAGE_PAYLOAD_BYTE_COUNT. */
export const HV_MESSAGE_PAYLOAD_BYTE_COUNT = 240;

/** channel_message_table[]: handler, VMHT_BLOCKING (0) / VMHT_NON_BLOCKING (1), min_payload_len (§1.2). */
export interface LinuxHandler { handler: string; blocking: boolean; minPayload: number }

export const LINUX_HANDLERS: Readonly<Record<number, LinuxHandler>> = {
  1: { handler: 'vmbus_onoffer', blocking: true, minPayload: 196 },
  2: { handler: 'vmbus_onoffer_rescind', blocking: true, minPayload: 12 },
  4: { handler: 'vmbus_onoffers_delivered', blocking: false, minPayload: 0 },
  6: { handler: 'vmbus_onopen_result', blocking: false, minPayload: 20 },
  10: { handler: 'vmbus_ongpadl_created', blocking: false, minPayload: 20 },
  12: { handler: 'vmbus_ongpadl_torndown', blocking: false, minPayload: 12 },
  15: { handler: 'vmbus_onversion_response', blocking: false, minPayload: 16 },
  17: { handler: 'vmbus_unload_response', blocking: false, minPayload: 0 },
  24: { handler: 'vmbus_onmodifychannel_response', blocking: false, minPayload: 16 },
};

/**
 * The verdict of vmbus_on_msg_dpc's checks, in its order: msgtype < CHANNELMSG_COUNT (WARN_ONCE
 * "unknown msgtype=%d"), payload_size <= 240 (WARN_ONCE "payload size is too large (%d)"), a
 * handler exists (else silently dropped), payload_size >= min_payload_len (WARN_ONCE "message too
 * short: msgtype=%d len=%d"). Each WARN_ONCE is its own call site, so each prints once per boot
 * (`warnKey` names the site). A dropped message goes straight to msg_handled: EOM, no handler.
 */
export type LinuxDpcVerdict =
  | { handled: true; handler: LinuxHandler }
  | { handled: false; reason: 'unknown-msgtype' | 'payload-too-large' | 'no-handler' | 'too-short'; warnKey?: 'unknown' | 'size' | 'short'; warning?: string };

export function linuxMsgDpc(msgtype: number, payloadSize: number): LinuxDpcVerdict {
  if (msgtype >= LINUX_CHANNELMSG_COUNT) return { handled: false, reason: 'unknown-msgtype', warnKey: 'unknown', warning: `unknown msgtype=${msgtype}` };
  if (payloadSize > HV_MESSAGE_PAYLOAD_BYTE_COUNT) return { handled: false, reason: 'payload-too-large', warnKey: 'size', warning: `payload size is too large (${payloadSize})` };
  const h = LINUX_HANDLERS[msgtype];
  if (!h) return { handled: false, reason: 'no-handler' };
  if (payloadSize < h.minPayload) return { handled: false, reason: 'too-short', warnKey: 'short', warning: `message too short: msgtype=${msgtype} len=${payloadSize}` };
  return { handled: true, handler: h };
}

/** The little-endian u32 msgtype at the start of a channel message (0 when shorter than 4 bytes). */
export function msgtypeOf(bytes: Uint8Array): number {
  return bytes.length >= 4 ? (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0 : 0;
}
