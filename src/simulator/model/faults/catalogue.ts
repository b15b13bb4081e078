// The fault catalogue: every fault a scenario can switch on (faults { ... } in a .vmbus file).
// The scenario language uses the ids for completion and validation; the engine applies them.
// Plain data; no engine internals here so the language server can import it cheaply.

export interface FaultParamDoc {
  name: string;
  type: 'number' | 'string' | 'boolean';
  description: string;
  default?: string | number | boolean;
}

export interface FaultCatalogueEntry {
  id: string;
  description: string;
  /** A behaviour of a hostile (malicious or broken) host, as opposed to an environmental fault. */
  hostile: boolean;
  /** Which trigger fields make sense (msgtype, nth, phase, relid, device). */
  triggers: ('msgtype' | 'nth' | 'phase' | 'relid' | 'device')[];
  params: FaultParamDoc[];
  /** What the Linux guest does about it (shown in hovers and in the FaultEvent). */
  guestReaction: string;
}

const MSG: FaultCatalogueEntry['triggers'] = ['msgtype', 'nth', 'phase', 'relid', 'device'];
const DEV: FaultCatalogueEntry['triggers'] = ['device', 'relid', 'nth'];

export const FAULT_CATALOGUE: readonly FaultCatalogueEntry[] = [
  // ---- environmental / message faults -------------------------------------------------------
  {
    id: 'drop', hostile: false, triggers: MSG, params: [],
    description: 'Drop a channel message in flight (it never reaches its receiver).',
    guestReaction: 'Linux waits for the response that never comes (wait_for_completion); the run ends with the request pending.',
  },
  {
    id: 'delay', hostile: false, triggers: MSG,
    params: [{ name: 'us', type: 'number', description: 'Extra latency in microseconds.', default: 1000 }],
    description: 'Delay a channel message by the given number of microseconds.',
    guestReaction: 'None beyond the delay; later messages may overtake it.',
  },
  {
    id: 'duplicate', hostile: false, triggers: MSG, params: [],
    description: 'Deliver a channel message twice.',
    guestReaction: 'Responses without a waiter are ignored; a duplicate offer is refused by vmbus_process_offer.',
  },
  {
    id: 'corrupt', hostile: false, triggers: MSG,
    params: [
      { name: 'field', type: 'string', description: 'JSON field (Linux name, dotted for nested: offer.chn_flags) to overwrite.' },
      { name: 'value', type: 'string', description: 'New value (number or "0x.." string).' },
      { name: 'offset', type: 'number', description: 'Alternatively: byte offset in the channel message to XOR.' },
      { name: 'xor', type: 'number', description: 'XOR mask for the byte at offset.', default: 0xff },
    ],
    description: 'Corrupt one field (or one byte) of a channel message.',
    guestReaction: 'Whatever Linux does with the corrupted value (checks, log lines, or silent acceptance).',
  },
  {
    id: 'host-rejects-version', hostile: false, triggers: ['nth'],
    params: [{ name: 'version', type: 'string', description: 'Version to refuse, e.g. "6.0" or "0x60000"; all when omitted.' }],
    description: 'The host (or the paravisor relay\'s host) answers VERSION_RESPONSE with version_supported = 0.',
    guestReaction: 'Linux tries the next version of its ladder (-ECONNREFUSED), or logs "Unable to connect to host" when none is left.',
  },
  {
    id: 'gpadl-fails', hostile: false, triggers: DEV,
    params: [{ name: 'status', type: 'number', description: 'creation_status to return.', default: 0xc0000001 }],
    description: 'GPADL_CREATED comes back with a non-zero creation_status.',
    guestReaction: 'hv_vmbus: Failed to establish GPADL: err = 0x<status>; the open fails (-EDQUOT).',
  },
  {
    id: 'open-fails', hostile: false, triggers: DEV,
    params: [{ name: 'status', type: 'number', description: 'OPENCHANNEL_RESULT status.', default: 0x8000ffff }],
    description: 'OPENCHANNEL_RESULT comes back with a non-zero status.',
    guestReaction: 'Linux returns -EAGAIN from vmbus_open and tears the ring GPADL down.',
  },
  {
    id: 'busy-slot', hostile: false, triggers: MSG,
    params: [{ name: 'count', type: 'number', description: 'How many messages to hold back behind the busy slot.', default: 1 }],
    description: 'SINT2 message slot is occupied (a stimer message) when a channel message arrives: it is queued and msg_pending is set.',
    guestReaction: 'Linux empties the slot, sees msg_pending and writes EOM; the SynIC then redelivers the queued message.',
  },
  {
    id: 'lost-interrupt', hostile: false, triggers: ['relid', 'device', 'nth', 'phase'],
    params: [],
    description: 'An event-flag interrupt is not delivered (the flag is set, no interrupt is raised).',
    guestReaction: 'The flag stays set until the next interrupt makes the guest scan the event page.',
  },
  {
    id: 'rescind-during-open', hostile: false, triggers: DEV, params: [],
    description: 'The host rescinds the channel right after OPENCHANNEL arrives, before answering it.',
    guestReaction: 'vmbus_onoffer_rescind completes the waiting open; __vmbus_open fails with -ENODEV, tears down the ring GPADL and the relid is released.',
  },
  {
    id: 'post-fails', hostile: false, triggers: MSG,
    params: [{ name: 'status', type: 'string', description: 'HV_STATUS name or number (INSUFFICIENT_BUFFERS retries).', default: 'HV_STATUS_INSUFFICIENT_BUFFERS' }],
    description: 'HvPostMessage of the guest returns a failure status.',
    guestReaction: 'INSUFFICIENT_MEMORY/BUFFERS: retried with backoff; others: "hv_vmbus: hv_post_msg() failed; error code:<n>".',
  },
  // ---- hostile host catalogue --------------------------------------------------------------
  {
    id: 'host-offer-co-external-without-ring', hostile: true, triggers: DEV, params: [],
    description: 'Offer with chn_flags 0x4 (confidential external memory) but without 0x2 (confidential ring).',
    guestReaction: 'hv_vmbus: Invalid offer relid=<n>: the ring buffer isn\'t encrypted (offer dropped, no RELID_RELEASED).',
  },
  {
    id: 'host-offer-confidential-flags', hostile: true, triggers: DEV,
    params: [{ name: 'flags', type: 'number', description: 'Confidential bits to set.', default: 0x2 }],
    description: 'Offer carries confidential flags (0x2/0x6) on a connection that is not confidential (or < 6.0).',
    guestReaction: 'hv_vmbus: Invalid offer relid=<n>: no support for confidential VMBus (offer dropped).',
  },
  {
    id: 'host-offer-disallowed-class', hostile: true, triggers: DEV,
    params: [{ name: 'class', type: 'string', description: 'Class GUID or Linux name to offer instead.', default: 'synthvid' }],
    description: 'Offer of a device class not allowed in isolated VMs (e.g. framebuffer, keyboard, KVP).',
    guestReaction: 'hv_vmbus: Invalid offer <n> from the host supporting isolation (offer dropped).',
  },
  {
    id: 'host-offer-duplicate-relid', hostile: true, triggers: DEV, params: [],
    description: 'Two offers carry the same child_relid.',
    guestReaction: 'Linux does not check: the second channel replaces the first in the relid map (invariant "relids unique" breaks).',
  },
  {
    id: 'host-offer-relid-out-of-range', hostile: true, triggers: DEV,
    params: [{ name: 'relid', type: 'number', description: 'child_relid to use (>= 2048 = MAX_CHANNEL_RELIDS).', default: 4096 }],
    description: 'Offer with a child_relid outside the event-flag range (>= MAX_CHANNEL_RELIDS = 2048) or 0.',
    guestReaction: 'The channel cannot be mapped (WARN in vmbus_channel_map_relid); the offer is not usable.',
  },
  {
    id: 'host-offer-duplicate-instance', hostile: true, triggers: DEV, params: [],
    description: 'The same primary offer (class + instance) is sent twice with different relids.',
    guestReaction: 'vmbus_process_offer finds the primary and, sub_channel_index being 0, frees the new channel (WARN_ON_ONCE).',
  },
  {
    id: 'host-oversized-payload', hostile: true, triggers: MSG,
    params: [{ name: 'size', type: 'number', description: 'payload_size to claim.', default: 248 }],
    description: 'A host message (by default the first OFFERCHANNEL) claims an hv_message payload_size over 240 bytes.',
    guestReaction: 'WARN_ONCE "payload size is too large (<n>)" (once per boot), then EOM; no handler runs, the message is lost.',
  },
  {
    id: 'host-short-payload', hostile: true, triggers: MSG,
    params: [{ name: 'size', type: 'number', description: 'Bytes to keep of the channel message.', default: 12 }],
    description: 'A host message (by default the first OFFERCHANNEL) cut short of its type\'s minimum (e.g. 12 of OFFERCHANNEL\'s 196 bytes).',
    guestReaction: 'WARN_ONCE "message too short: msgtype=<t> len=<n>" (once per boot), then EOM; no handler runs, the message is lost.',
  },
  {
    id: 'host-unknown-msgtype', hostile: true, triggers: MSG,
    params: [{ name: 'msgtype', type: 'number', description: 'Type number to send (>= CHANNELMSG_COUNT = 25 is unknown to Linux).', default: 25 }],
    description: 'Right after a host message (by default ALLOFFERS_DELIVERED) the host sends a type Linux does not know (e.g. MODIFY_CONNECTION = 25).',
    guestReaction: 'WARN_ONCE "unknown msgtype=<n>" (once per boot), then EOM; message dropped. Through OpenHCL its vmbus_client drops it and the guest sees nothing.',
  },
  {
    id: 'host-unhandled-msgtype', hostile: true, triggers: MSG,
    params: [{ name: 'msgtype', type: 'number', description: 'A known type without a Linux handler (23 TL_CONNECT_RESULT, 18..20).', default: 23 }],
    description: 'Right after a host message (by default ALLOFFERS_DELIVERED) the host sends a valid type that has no handler in Linux (CHANNELMSG_TL_CONNECT_RESULT).',
    guestReaction: 'Silently dropped (no handler).',
  },
  {
    id: 'host-unsolicited-version-response', hostile: true, triggers: MSG, params: [],
    description: 'VERSION_RESPONSE when no INITIATE_CONTACT is outstanding (after a host message, by default ALLOFFERS_DELIVERED).',
    guestReaction: 'No waiter matches; ignored.',
  },
  {
    id: 'host-unsolicited-open-result', hostile: true, triggers: MSG,
    params: [{ name: 'status', type: 'number', description: 'Status in the forged result.', default: 0 }],
    description: 'OPENCHANNEL_RESULT the guest never asked for, right after a host message (by default ALLOFFERS_DELIVERED; with device/relid, the first message about that channel, e.g. its offer).',
    guestReaction: 'No waiting request matches (child_relid, openid); ignored.',
  },
  {
    id: 'host-unsolicited-gpadl-created', hostile: true, triggers: MSG, params: [],
    description: 'GPADL_CREATED for a GPADL handle the guest never sent, right after a host message (by default ALLOFFERS_DELIVERED).',
    guestReaction: 'No waiting request matches (child_relid, gpadl); ignored.',
  },
  {
    id: 'host-unsolicited-gpadl-torndown', hostile: true, triggers: MSG, params: [],
    description: 'GPADL_TORNDOWN for a GPADL that is not being torn down, right after a host message (by default ALLOFFERS_DELIVERED).',
    guestReaction: 'No waiting request matches the gpadl; ignored.',
  },
  {
    id: 'host-rescind-unknown-relid', hostile: true, triggers: MSG,
    params: [{ name: 'relid', type: 'number', description: 'child_relid to rescind.', default: 99 }],
    description: 'RESCIND_CHANNELOFFER for a relid that was never offered, right after a host message (by default ALLOFFERS_DELIVERED).',
    guestReaction: 'relid2channel finds nothing; the rescind is ignored.',
  },
  {
    id: 'host-bad-msg-conn-id', hostile: true, triggers: ['nth'],
    params: [{ name: 'conn', type: 'number', description: 'msg_conn_id returned in VERSION_RESPONSE.', default: 0x77 }],
    description: 'VERSION_RESPONSE accepts but returns a msg_conn_id no port listens on (every accepting response to the guest, or the nth).',
    guestReaction: 'Later posts fail with HV_STATUS_INVALID_CONNECTION_ID; "hv_vmbus: Unable to request offers - <err>".',
  },
  {
    id: 'host-ignores-unload', hostile: true, triggers: [], params: [],
    description: 'The host never answers CHANNELMSG_UNLOAD.',
    guestReaction: '"hv_vmbus: Waiting for VMBus UNLOAD to complete" every 5 s, then "hv_vmbus: Continuing even though VMBus UNLOAD did not complete" after 100 s.',
  },
  {
    id: 'host-offer-to-relay-with-confidential-flags', hostile: true, triggers: DEV, params: [],
    description: 'The host sets confidential flags on an offer to the paravisor relay.',
    guestReaction: 'None: OpenHCL strips both confidential flags before re-offering (the guest sees a normal channel).',
  },
  {
    id: 'host-forged-untrusted-message', hostile: true, triggers: [],
    params: [{ name: 'msgtype', type: 'string', description: 'Message to forge through the host-visible (GHCB/tdcall) path.', default: 'CHANNELMSG_REQUESTOFFERS' }],
    description: 'Once the guest has its offers, the host forges a guest message through the untrusted path of a trusted connection.',
    guestReaction: 'None: the OpenHCL server drops it (UntrustedMessage).',
  },
  {
    id: 'host-monitor-id-out-of-range', hostile: true, triggers: DEV,
    params: [{ name: 'monitorid', type: 'number', description: 'monitorid to offer (>= 128 is outside the monitor page).', default: 200 }],
    description: 'Offer with monitor_allocated = 1 and a monitorid beyond the 128 trigger bits.',
    guestReaction: 'Linux does not check; monitor_grp = id/32 indexes past trigger_group[4] (invariant "monitor id in range" breaks).',
  },
];

export function faultById(id: string): FaultCatalogueEntry | undefined {
  return FAULT_CATALOGUE.find((f) => f.id === id);
}

/** Ids of the hostile-host behaviours. */
export const HOSTILE_FAULT_IDS: readonly string[] = FAULT_CATALOGUE.filter((f) => f.hostile).map((f) => f.id);
