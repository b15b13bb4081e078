// The debugger's edits of a run in progress (setValue on a pending offer, inject a rescind): they
// change bytes still in flight or a device's offer before it is sent, the way a tampering host would.
import type { VmbusServer } from './server/server';
import type { FaultInjector } from './faults/injector';
import type { SlotItem } from './hypervisor/synic';
import type { Json } from './tracer';
import { decodeMessage } from '../protocol/codec';
import { fieldOf, LAYOUT_BY_NAME, readField, writeField } from '../protocol/layouts';
import { hexNum } from '../protocol/hex';

export interface SimEdit {
  kind: 'offer-flags' | 'rescind' | 'field';
  device?: string;
  relid?: number;
  value?: number;
  path?: string;
}

/** What an edit reaches: messages in flight, the servers' unsent offers, the devices (world.ts). */
export interface EditTarget {
  readonly hypervisor: { queuedMessages(): SlotItem[] };
  readonly pv: VmbusServer | null;
  readonly host: VmbusServer;
  readonly faults: FaultInjector;
  readonly guest: { readonly channels: ReadonlyMap<number, unknown> };
  readonly steps: { rescind(device: string | number): void };
  deviceOfServerRelid(relid: number | undefined): string | undefined;
}

// Where an in-flight offer keeps the fields an edit reads and patches, from the layout table.
const OFFER = 'CHANNELMSG_OFFERCHANNEL';
const OFFER_SIZE = LAYOUT_BY_NAME.get(OFFER)!.size;
const OFFER_RELID = fieldOf(OFFER, 'child_relid');
const OFFER_FLAGS = fieldOf(OFFER, 'offer.chn_flags');

export function applyEdit(w: EditTarget, e: SimEdit): string | null {
  if (e.kind === 'offer-flags') {
    const v = Number(e.value) & 0xffff;
    // 1. An offer waiting in a SynIC slot or queue (not yet read by the guest).
    for (const it of w.hypervisor.queuedMessages()) {
      if (it.msgtype !== OFFER || it.bytes.length < OFFER_SIZE) continue;
      const relid = readField(it.bytes, OFFER_RELID);
      const dec = decodeMessage(it.bytes);
      const inst = dec.ok ? String((dec.value.offer as Json).if_instance) : '';
      const s = w.pv ?? w.host;
      const dev = (s.channels.find((x) => x.id === relid && x.instanceGuid === inst) ?? s.channels.find((x) => x.instanceGuid === inst))?.dev.name;
      if ((e.relid !== undefined && e.relid === relid) || (e.device !== undefined && e.device === dev) || (e.relid === undefined && e.device === undefined)) {
        const b = it.bytes.slice();
        writeField(b, OFFER_FLAGS, v);
        it.bytes = b;
        w.faults.event(null, 'set-value', `offer relid ${relid}: chn_flags set to ${hexNum(v)} before the guest reads it`);
        return null;
      }
    }
    // 2. A server offer not sent yet.
    for (const s of [w.pv, w.host]) {
      if (!s) continue;
      const c = s.channels.find((x) => (e.device !== undefined && x.dev.name === e.device) || (e.relid !== undefined && x.id === e.relid && x.id !== 0));
      if (c && s.setUnsentOfferFlags(c, v)) return null;
    }
    return 'no offer waiting to be read matches (the guest has read it already?)';
  }
  if (e.kind === 'rescind') {
    const relid = e.relid;
    if (relid === undefined && e.device === undefined) return 'inject rescind needs relid';
    const key = relid ?? e.device!;
    const gch = typeof key === 'number' ? w.guest.channels.get(key) : undefined;
    if (typeof key === 'number' && !gch && !w.deviceOfServerRelid(key)) return `no channel with relid ${key}`;
    w.faults.event(null, 'inject-rescind', `rescind injected for ${typeof key === 'number' ? 'relid ' + key : key}`);
    w.steps.rescind(key);
    return null;
  }
  return `unsupported edit ${e.kind}`;
}
