// The data path of open channels: ring-buffer packets both ways with real index arithmetic, the
// writer's signal rule and pending_send_sz flow control (Linux ring_buffer.c, OpenVMM ring.rs).
// The rings are guest memory both ends write; the host's (or paravisor's) end signals the guest
// through the hypervisor (event flag + SINT), the guest's end with HvSignalEvent or the monitor page.
import type { Runner } from '../ports';
import type { GuestChannel, GuestCore, Ring } from './types';
import { hexNum } from '../../protocol/hex';
import { PACKET_PAYLOAD, PARAVISOR_CHANNEL_SIGNAL_TARGET, T } from '../constants';

const round8 = (n: number): number => (n + 7) & ~7;

export class DataPath {
  private started = false;
  private pumpsActive = 0;
  private packetPhase: string[] = [];
  private readonly pumpRunner: Runner<GuestChannel> = { run: (c) => this.pump(c) };
  private readonly drainOutRunner: Runner<GuestChannel> = { run: (c) => this.drain(c, c.outRing!) };
  private readonly drainInRunner: Runner<GuestChannel> = { run: (c) => this.drain(c, c.inRing!) };

  constructor(private readonly g: GuestCore) {}

  /** Every open channel with packets to exchange starts pumping; the scripted steps follow when all are done. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const g = this.g;
    const open = g.channelOrder.filter((c) => c.state === 'open' && c.target > 0);
    if (open.length === 0) { g.clock.schedule(T.guestWork, () => g.ports.dataDone()); return; }
    g.tracer.beginPhase('data');
    this.packetPhase = g.tracer.phaseArr;
    this.pumpsActive = open.length;
    open.forEach((c, i) => g.clock.schedule(i * 13, () => this.pump(c)));
  }

  /**
   * One data packet: even packets guest→host on the outbound ring, odd host→guest on the inbound
   * ring. Real index arithmetic: in-band packet = 16 + round8(payload) + 8 bytes; free space per
   * OpenVMM/Linux; the writer signals only when the ring was empty and interrupt_mask is 0.
   */
  private pump(c: GuestChannel): void {
    if (c.state !== 'open' || c.sent >= c.target) { this.pumpDone(c); return; }
    const guestSends = (c.sent & 1) === 0;
    const ring = guestSends ? c.outRing! : c.inRing!;
    const len = 16 + round8(PACKET_PAYLOAD) + 8;
    const free = ring.out > ring.in ? ring.out - ring.in - 8 : ring.size - (ring.in - ring.out) - 8;
    if (free < len) {
      // Ring full: set pending_send_sz and wait for the reader's signal (no polling).
      ring.pss = len;
      c.blocked = true;
      return;
    }
    const oldIn = ring.in;
    ring.in = (ring.in + len) % ring.size;
    ring.packets++;
    const signal = ring.mask === 0 && ring.out === oldIn;
    const g = this.g;
    g.tracer.events.pushPacket(g.clock.now, this.packetPhase, c.relid, c.hostedBy, guestSends, len, c.sent, ring.in, signal, c.coRing && g.platform.cvm);
    c.sent++;
    if (signal) {
      if (guestSends) this.guestSignal(c);
      else this.hostSignalGuest(c);
      g.clock.scheduleRun(T.drain, guestSends ? this.drainOutRunner : this.drainInRunner, c);
    }
    g.clock.scheduleRun(T.packetGap, this.pumpRunner, c);
  }

  /**
   * The reader consumes everything available. If the writer is waiting (pending_send_sz) and the
   * free space crosses it, the reader signals the writer (OpenVMM commit_read / Linux
   * hv_pkt_iter_close), which resumes writing.
   */
  private drain(c: GuestChannel, ring: Ring): void {
    const before = ring.out > ring.in ? ring.out - ring.in - 8 : ring.size - (ring.in - ring.out) - 8;
    ring.out = ring.in;
    const after = ring.size - 8;
    const pss = ring.pss & ~7;
    if (pss && before < pss && after >= pss) {
      ring.pss = 0;
      if (ring === c.inRing) this.guestSignal(c); // the guest read the inbound ring: tell the host
      else this.hostSignalGuest(c); // the host read the outbound ring: interrupt the guest
      if (c.blocked) {
        c.blocked = false;
        this.g.clock.scheduleRun(T.packetGap, this.pumpRunner, c);
      }
    }
  }

  private pumpDone(c: GuestChannel): void {
    if (c.sent === -1) return;
    this.pumpsActive--;
    if (this.pumpsActive === 0) {
      this.g.tracer.endPhase('data', 'ok');
      this.g.clock.schedule(T.guestWork, () => this.g.ports.dataDone());
    }
  }

  /** vmbus_setevent: monitor page bit when monitor_allocated, else HvSignalEvent. */
  private guestSignal(c: GuestChannel): void {
    if (c.monitorId !== undefined) {
      // monitor_allocated (and not low latency): no hypercall. The guest sets the relid's bit in
      // send_int_page and the channel's bit in monitor page 2's trigger_group[id / 32].pending
      // (offset 8 + 8 * group), which the host polls. Monitor pages are always decrypted: the
      // host learns which channel signalled, and when.
      const group = c.monitorId >> 5;
      this.g.state('monitor-trigger', 'idle', 'pending', {
        relid: c.relid, vp: 0,
        detail: { monitorId: c.monitorId, group, bit: c.monitorId & 31, page: 'monitor.2', offset: hexNum(8 + 8 * group), sendIntPageBit: c.relid },
      });
      // sync_set_bit is a locked bts on the unsigned long at trigger_group[group]: the 8-byte
      // store {pending with the bit, armed 0} (the page reads back zeros where OpenHCL emulates it).
      if (this.g.monitorPage2Gpa !== null) {
        const store = new Uint8Array(8);
        new DataView(store.buffer).setUint32(0, (1 << (c.monitorId & 31)) >>> 0, true);
        this.g.hv.writeMonitorPage(this.g.monitorPage2Gpa + 8 + 8 * group, store);
      }
      return;
    }
    this.g.hv.signalEvent(c.hostedBy === 'paravisor' ? PARAVISOR_CHANNEL_SIGNAL_TARGET : 'host', c.connectionId);
  }

  /** The host's (or paravisor's) end signals the guest: event flag on the channel's target VP, then SINT. */
  private hostSignalGuest(c: GuestChannel): void {
    this.g.hv.signalGuest(c.targetVp ?? 0, c.hostedBy === 'paravisor', c.relid, c.device);
  }

  /** The channel callback after its event flag was seen (the guest reads the inbound ring). */
  channelCallback(relid: number): void {
    const c = this.g.channels.get(relid);
    if (!c || !c.inRing) return;
    this.drain(c, c.inRing);
  }
}
