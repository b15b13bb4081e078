// The Linux guest's channel operations (channel.c, channel_mgmt.c): opening a channel (ring GPADL,
// OPENCHANNEL, the driver's extra buffer GPADLs), GPADL establishment and teardown, rescind
// handling and relid release, close and unload. The state lives in LinuxGuest (guest.ts).
import type { SourceRef } from '../config';
import type { Json } from '../tracer';
import type { Visibility } from '../../trace/events';
import type { GuestChannel, GuestCore } from './types';
import type { DataPath } from './datapath';
import { hexNum } from '../../protocol/hex';
import { T, TL_CONNECT_MIN_VERSION, VSOCK_CONNECT_TIMEOUT_NS, VSOCK_FIRST_LOCAL_PORT } from '../constants';
import { HVSOCK_SRV_ID_TEMPLATE_TAIL } from '../../protocol/constants';
import { GPADL_BODY_MAX_PFNS, GPADL_HEADER_MAX_PFNS } from '../../protocol/layouts';


/** net/vmw_vsock/hyperv_transport.c RINGBUFFER_HVS_SND_SIZE / RINGBUFFER_HVS_RCV_SIZE: HV_HYP_PAGE_SIZE * 6. */
const HVS_RING_PAGES = 6;

export class GuestChannels {
  /** A scripted step waiting for the open it started (reopen): runs instead of the next queued open. */
  private afterOpen: (() => void) | null = null;
  /** A scripted step waiting for the opens after a new connection (connect, reset) to finish. */
  private afterOpens: (() => void) | null = null;

  /** hv_sock sockets in TCP_SYN_SENT, by local vsock port: each waits for its channel offer. */
  private readonly hvsockPending = new Map<number, { phase: string; done: () => void }>();
  private nextVsockPort = VSOCK_FIRST_LOCAL_PORT;

  constructor(private readonly g: GuestCore, private readonly data: DataPath) {}

  // ---------------------------------------------------------------------------- open (vmbus_open)

  openNext(): void {
    const g = this.g;
    const ch = g.openQueue.shift();
    if (!ch) {
      // Subchannel offers follow a primary's open by a few µs: give them time to arrive.
      g.clock.schedule(T.hostWork * 3, () => {
        if (g.openQueue.length > 0) this.openNext();
        else if (this.afterOpens) { const f = this.afterOpens; this.afterOpens = null; f(); }
        else this.data.start();
      });
      return;
    }
    if (ch.rescinded || ch.state !== 'offered') { this.openNext(); return; }
    this.openOne(ch);
  }

  /** After an open completes or fails: the step that asked for it, or the next queued open. */
  private continueAfterOpen(): void {
    const f = this.afterOpen;
    this.afterOpen = null;
    this.g.clock.schedule(T.guestWork, f ?? (() => this.openNext()));
  }

  /** The opens after a (re)connection finish: then `done` runs instead of the data phase. */
  whenOpensDone(done: () => void): void {
    this.afterOpens = done;
  }

  /** vmbus_open of one channel: ring pages, ring GPADL, OPENCHANNEL, then the driver's buffers. */
  private openOne(ch: GuestChannel): void {
    const g = this.g;
    g.tracer.beginPhase(`open ${ch.className ?? ch.device} (relid ${ch.relid})`, 0, ch.source);
    g.transition(ch, 'opening', { detail: { state: 'opening' }, source: ch.source });
    const dev = ch.dev;
    const sendBytes = ch.ringBytes?.send ?? dev?.sendRingBytes ?? 0x10000;
    const recvBytes = ch.ringBytes?.recv ?? dev?.recvRingBytes ?? 0x10000;
    const pages = (sendBytes + recvBytes) / 4096;
    // Ring visibility: decrypted unless co_ring_buffer (per-channel truth table, P7/13).
    const vis = this.ringVisibility(ch, 'ring');
    const pageId = `relid${ch.relid}.ring`;
    g.memory.page(pageId, pages, `ring buffer of ${ch.device} (relid ${ch.relid})`, 'guest', vis.visibility, vis.reason, undefined, ch.source);
    this.checkExposure(ch, 'ring', vis.visibility);
    this.gpadl(ch, 'ring', pageId, pages, (ok, handle) => {
      if (!ok) { this.openFailed(ch, ch.rescinded ? 'rescind' : 'gpadl'); return; }
      ch.ringGpadl = handle;
      this.openChannel(ch, handle, sendBytes / 4096);
    });
  }

  private ringVisibility(ch: GuestChannel, kind: 'ring' | 'buffer'): { visibility: Visibility; reason: string } {
    if (!this.g.platform.cvm) return this.g.platform.defaultVisibility(true);
    const enc = kind === 'ring' ? ch.coRing : ch.coExternal;
    if (enc) return { visibility: 'encrypted', reason: kind === 'ring' ? 'co_ring_buffer (chn_flags 0x2): ring stays encrypted' : 'co_external_memory (chn_flags 0x4): GPADL stays encrypted' };
    return { visibility: 'host-visible', reason: kind === 'ring' ? 'no 0x2: gpadl->decrypted, set_memory_decrypted' : 'no 0x4: HV_GPADL_BUFFER decrypted, set_memory_decrypted' };
  }

  private checkExposure(ch: GuestChannel, kind: 'ring' | 'buffer', vis: Visibility): void {
    if (!this.g.platform.cvm) return;
    const enc = kind === 'ring' ? ch.coRing : ch.coExternal;
    if (enc && vis !== 'encrypted') this.g.tracer.invariant('confidential-ring-private', `relid ${ch.relid}: confidential ${kind} is host-visible`, ch.source);
    if (!enc && vis !== 'host-visible') this.g.tracer.invariant('shared-ring-visible', `relid ${ch.relid}: non-confidential ${kind} on a CVM is not host-visible`, ch.source);
  }

  /** __vmbus_establish_gpadl: GPADL_HEADER (+ BODY...) → wait GPADL_CREATED. */
  private gpadl(ch: GuestChannel, kind: 'ring' | 'buffer', pageId: string, pages: number, done: (ok: boolean, handle: number) => void): void {
    const g = this.g;
    const handle = g.nextGpadl++;
    g.tracer.beginPhase(`gpadl ${hexNum(handle)}`, 0, ch.source);
    const rec = g.memory.get(pageId)!;
    const pfn0 = Math.floor(rec.gpa / 4096);
    const pfns: number[] = [];
    for (let i = 0; i < pages; i++) pfns.push(pfn0 + i);
    const gp = { handle, kind, pages, gpa: rec.gpa, visibility: rec.visibility, state: 'creating' as const, pageId };
    const gpadl: GuestChannel['gpadls'][number] = gp;
    ch.gpadls.push(gpadl);
    g.state('gpadl', 'none', 'creating', { relid: ch.relid, gpadl: handle, vp: 0, detail: { handle, kind, pages, gpa: hexNum(rec.gpa), visibility: rec.visibility } });
    // create_gpadl_header: the header carries up to 26 PFNs ((240 - 20 - 8) / 8), each body up to
    // 28 ((240 - 16) / 8). range_buflen describes the WHOLE range (sizeof(gpa_range) + 8 * pagecount,
    // linux §1.3), not just the PFNs in this message: the server sizes its buffer from it.
    const first = pfns.slice(0, GPADL_HEADER_MAX_PFNS);
    const rangeBuflen = 8 + 8 * pages;
    const connId = g.connId;
    const failed = (why: string) => {
      gpadl.state = 'failed';
      g.state('gpadl', 'creating', 'failed', { relid: ch.relid, gpadl: handle, vp: 0, detail: { handle, state: 'failed' } });
      if (rec.visibility === 'host-visible' && g.platform.cvm) g.memory.setVisibility(pageId, 'encrypted', 'GPADL failed: set_memory_encrypted');
      g.tracer.endPhase(`gpadl ${hexNum(handle)}`, 'failed', why);
      done(false, handle);
    };
    g.wait(10, (j) => Number(j.child_relid) === ch.relid && Number(j.gpadl) === handle, (j) => {
      const st = Number(j.creation_status);
      if (st !== 0) {
        g.log('err', `hv_vmbus: Failed to establish GPADL: err = ${hexNum(st)}`, ch.source);
        failed(hexNum(st));
        return;
      }
      gpadl.state = 'created';
      g.state('gpadl', 'creating', 'created', { relid: ch.relid, gpadl: handle, vp: 0, detail: { handle, state: 'created' } });
      g.tracer.endPhase(`gpadl ${hexNum(handle)}`, 'ok');
      done(true, handle);
    }, ch.relid, () => failed('rescinded (-ENODEV)'));
    g.post({ msgtype: 'CHANNELMSG_GPADL_HEADER', child_relid: ch.relid, gpadl: handle, range_buflen: rangeBuflen, rangecount: 1, range: [{ byte_count: pages * 4096, byte_offset: 0, pfn_array: first }] }, connId, undefined, ch.source);
    for (let i = GPADL_HEADER_MAX_PFNS; i < pfns.length; i += GPADL_BODY_MAX_PFNS) {
      g.post({ msgtype: 'CHANNELMSG_GPADL_BODY', msgnumber: 0, gpadl: handle, pfn: pfns.slice(i, i + GPADL_BODY_MAX_PFNS) }, connId, undefined, ch.source);
    }
  }

  private openChannel(ch: GuestChannel, handle: number, sendPages: number): void {
    const g = this.g;
    g.wait(6, (j) => Number(j.child_relid) === ch.relid && Number(j.openid) === ch.relid, (j) => {
      if (ch.rescinded) { this.openFailed(ch, 'rescind'); return; }
      if (Number(j.status) !== 0) { this.openFailed(ch, 'status'); return; }
      const dev = ch.dev;
      ch.outRing = { size: (ch.ringBytes?.send ?? dev?.sendRingBytes ?? 0x10000) - 4096, in: 0, out: 0, mask: 0, pss: 0, packets: 0 };
      ch.inRing = { size: (ch.ringBytes?.recv ?? dev?.recvRingBytes ?? 0x10000) - 4096, in: 0, out: 0, mask: 0, pss: 0, packets: 0 };
      g.transition(ch, 'open', { detail: { state: 'open' }, source: ch.source });
      this.buffers(ch, 0, () => {
        g.tracer.endPhase(`open ${ch.className ?? ch.device} (relid ${ch.relid})`, 'ok');
        this.continueAfterOpen();
      });
    }, ch.relid, () => this.openFailed(ch, 'rescind'));
    g.post({
      msgtype: 'CHANNELMSG_OPENCHANNEL', child_relid: ch.relid, openid: ch.relid, ringbuffer_gpadlhandle: handle, target_vp: ch.targetVp ?? 0,
      downstream_ringbuffer_pageoffset: sendPages,
    }, g.connId, undefined, ch.source);
  }

  /** Extra HV_GPADL_BUFFER GPADLs the driver sets up after open (netvsc receive/send buffers...). */
  private buffers(ch: GuestChannel, i: number, done: () => void): void {
    const list = ch.dev?.bufferGpadlPages ?? [];
    if (i >= list.length || ch.rescinded) { done(); return; }
    const pages = list[i];
    const vis = this.ringVisibility(ch, 'buffer');
    const pageId = `relid${ch.relid}.buf${i}`;
    this.g.memory.page(pageId, pages, `buffer ${i} of ${ch.device} (relid ${ch.relid})`, 'guest', vis.visibility, vis.reason, undefined, ch.source);
    this.checkExposure(ch, 'buffer', vis.visibility);
    this.gpadl(ch, 'buffer', pageId, pages, () => this.buffers(ch, i + 1, done));
  }

  private openFailed(ch: GuestChannel, why: 'gpadl' | 'status' | 'rescind'): void {
    const g = this.g;
    const phase = `open ${ch.className ?? ch.device} (relid ${ch.relid})`;
    const next = () => {
      g.tracer.endPhase(phase, 'failed', why);
      this.continueAfterOpen();
    };
    if (why === 'gpadl') {
      g.transition(ch, 'offered', { detail: { state: 'offered', rejectReason: 'GPADL failed (-EDQUOT)' } });
      g.memory.free(`relid${ch.relid}.ring`, 'ring freed after GPADL failure');
      next();
      return;
    }
    // Open failed (-EAGAIN) or rescinded (-ENODEV): tear the ring GPADL down (error_clean_ring).
    const to = why === 'rescind' ? 'rescinded' : 'offered';
    // A rescind has already moved the channel to 'rescinded' (onRescind).
    if (ch.state !== to) g.transition(ch, to, { detail: { state: to, rejectReason: why === 'rescind' ? 'rescinded during open (-ENODEV)' : 'OPENCHANNEL_RESULT status != 0 (-EAGAIN)' } });
    this.teardownGpadls(ch, () => {
      if (why === 'rescind') {
        g.memory.free(`relid${ch.relid}.ring`, 'ring freed after the open failed (-ENODEV)');
        this.releaseRelid(ch);
      }
      next();
    });
  }

  // ---------------------------------------------------------------------------- rescind

  /** vmbus_onoffer_rescind. */
  onRescind(relid: number): void {
    const g = this.g;
    const ch = g.channels.get(relid);
    if (!ch || ch.rescinded) return; // relid2channel finds nothing: ignored
    ch.rescinded = true;
    const wasOpening = ch.state === 'opening';
    const prev = ch.state;
    const detail = wasOpening ? { state: 'rescinded', rejectReason: 'rescinded during open (-ENODEV)' } : { state: 'rescinded' };
    g.transition(ch, 'rescinded', { detail, source: ch.source });
    // vmbus_rescind_cleanup: requests waiting on this channel (GPADL_CREATED, OPENCHANNEL_RESULT)
    // complete at once; __vmbus_establish_gpadl / __vmbus_open then see channel->rescind (-ENODEV).
    const cancelled = g.waiters.filter((x) => x.relid === relid && x.cancel !== undefined);
    if (cancelled.length > 0) {
      g.waiters = g.waiters.filter((x) => !cancelled.includes(x));
      for (const w of cancelled) g.clock.schedule(T.guestWork, w.cancel!);
    }
    if (wasOpening) return; // the open path fails and releases the relid
    // Device removal: vmbus_close (if open) then hv_process_channel_removal → RELID_RELEASED.
    g.clock.schedule(T.guestWork, () => {
      if (prev === 'open') {
        g.post({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: relid }, g.connId);
        this.teardownGpadls(ch, () => this.releaseRelid(ch));
      } else {
        this.releaseRelid(ch);
      }
    });
  }

  private releaseRelid(ch: GuestChannel): void {
    const g = this.g;
    g.post({ msgtype: 'CHANNELMSG_RELID_RELEASED', child_relid: ch.relid }, g.connId);
    g.transition(ch, 'released', { detail: { state: 'released' } });
    g.ports.relidReleased(ch.relid);
  }

  /** vmbus_teardown_gpadl for every live GPADL (buffers first, the ring last). */
  private teardownGpadls(ch: GuestChannel, done: () => void): void {
    const g = this.g;
    const live = ch.gpadls.filter((x) => x.state === 'created');
    const ordered = [...live.filter((x) => x.kind === 'buffer').reverse(), ...live.filter((x) => x.kind === 'ring')];
    const next = (i: number) => {
      if (i >= ordered.length) { done(); return; }
      const gp = ordered[i];
      gp.state = 'tearing-down';
      g.state('gpadl', 'created', 'tearing-down', { relid: ch.relid, gpadl: gp.handle, vp: 0, detail: { handle: gp.handle, state: 'tearing-down' } });
      g.wait(12, (j) => Number(j.gpadl) === gp.handle, () => {
        gp.state = 'torn-down';
        g.state('gpadl', 'tearing-down', 'torn-down', { relid: ch.relid, gpadl: gp.handle, vp: 0, detail: { handle: gp.handle, state: 'torn-down' } });
        if (gp.visibility === 'host-visible' && g.platform.cvm) g.memory.setVisibility(gp.pageId, 'encrypted', 'GPADL teardown: set_memory_encrypted (gpadl->decrypted)');
        g.memory.free(gp.pageId, 'GPADL torn down');
        next(i + 1);
      });
      g.post({ msgtype: 'CHANNELMSG_GPADL_TEARDOWN', child_relid: ch.relid, gpadl: gp.handle }, g.connId);
    };
    next(0);
  }

  // ---------------------------------------------------------------------------- close and unload (scripted steps)

  /** The driver closes its channel (vmbus_close). */
  close(device: string, source: SourceRef | undefined, done: () => void): void {
    const g = this.g;
    const ch = g.unloaded ? undefined : g.channelOrder.find((c) => c.device === device && c.state === 'open');
    g.tracer.beginPhase(`close ${ch ? (ch.className ?? ch.device) + ` (relid ${ch.relid})` : device}`, 0, source);
    const phase = g.tracer.currentPhase;
    if (!ch) { g.tracer.endPhase(phase, 'skipped'); done(); return; }
    g.transition(ch, 'closed', { detail: { state: 'closed' }, source });
    g.post({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: ch.relid }, g.connId, undefined, source);
    this.teardownGpadls(ch, () => { g.tracer.endPhase(phase, 'ok'); done(); });
  }

  /** The driver opens a channel it closed again (vmbus_open: a new ring GPADL, OPENCHANNEL). */
  reopen(device: string, source: SourceRef | undefined, done: () => void): void {
    const g = this.g;
    const ch = g.unloaded ? undefined : g.channelOrder.find((c) => c.device === device && c.state === 'closed');
    if (!ch) {
      g.tracer.beginPhase(`reopen ${device}`, 0, source);
      g.tracer.endPhase(`reopen ${device}`, 'skipped', 'no closed channel');
      done();
      return;
    }
    ch.state = 'offered';
    g.state('channel', 'closed', 'offered', { relid: ch.relid, vp: 0, granularity: 'event', detail: { state: 'offered' }, source });
    this.afterOpen = done;
    this.openOne(ch);
  }

  /**
   * vmbus_send_modifychannel: binds an open channel to another VP (CHANNELMSG_MODIFYCHANNEL, from
   * 4.1). From 5.3 Linux waits for MODIFYCHANNEL_RESPONSE and keeps the old VP if its status is not
   * 0 (-EAGAIN); below 5.3 there is no answer (linux §1.3).
   */
  modify(device: string, vp: number, source: SourceRef | undefined, done: () => void): void {
    const g = this.g;
    const ch = g.unloaded ? undefined : g.channelOrder.find((c) => c.device === device && c.state === 'open' && c.subIndex === 0);
    const phase = `modify ${ch ? (ch.className ?? ch.device) + ` (relid ${ch.relid})` : device} vp ${vp}`;
    g.tracer.beginPhase(phase, 0, source);
    if (!ch) { g.tracer.endPhase(phase, 'skipped', 'no open channel'); done(); return; }
    const v = g.version ?? 0;
    if (v < 0x40001) { g.tracer.endPhase(phase, 'skipped', 'MODIFYCHANNEL needs 4.1'); done(); return; }
    const old = ch.targetVp ?? 0;
    const retarget = () => {
      ch.targetVp = vp;
      g.state('channel-vp', `vp ${old}`, `vp ${vp}`, { relid: ch.relid, vp: 0, granularity: 'event', detail: { targetVp: vp }, source });
    };
    if (v >= 0x50003) {
      g.wait(24, (j) => Number(j.child_relid) === ch.relid, (j) => {
        if (Number(j.status) === 0) { retarget(); g.tracer.endPhase(phase, 'ok'); }
        else g.tracer.endPhase(phase, 'failed', `status ${hexNum(Number(j.status))} (-EAGAIN)`);
        done();
      }, ch.relid);
      g.post({ msgtype: 'CHANNELMSG_MODIFYCHANNEL', child_relid: ch.relid, target_vp: vp }, g.connId, undefined, source);
      return;
    }
    g.post({ msgtype: 'CHANNELMSG_MODIFYCHANNEL', child_relid: ch.relid, target_vp: vp }, g.connId, undefined, source);
    retarget();
    g.tracer.endPhase(phase, 'ok', 'no response below 5.3');
    done();
  }

  // ---------------------------------------------------------------------------- hv_sock connect

  /**
   * A vsock connect() to a host service (net/vmw_vsock/hyperv_transport.c hvs_connect →
   * vmbus_send_tl_connect_request): the 40-byte CHANNELMSG_TL_CONNECT_REQUEST with the guest's
   * endpoint id (<local port>-facb-11e6-bd58-64006a7986d3) and the service id. The socket then
   * waits in TCP_SYN_SENT for the host's offer of the connection's channel, at most
   * VSOCK_DEFAULT_CONNECT_TIMEOUT (2 s, then -ETIMEDOUT); a refusal (TL_CONNECT_RESULT) has no
   * handler in Linux, so it ends the same way. Below 4.0 hv_sock never registered (hvs_init:
   * -ENODEV), so connect() fails with -ENODEV and nothing is sent.
   */
  hvsockConnect(label: string, service: string, source: SourceRef | undefined, done: () => void): void {
    const g = this.g;
    const phase = `hvsock connect ${label}`;
    g.tracer.beginPhase(phase, 0, source);
    if (g.unloaded || g.conn !== 'connected') { g.tracer.endPhase(phase, 'skipped', 'not connected'); done(); return; }
    if ((g.version ?? 0) < TL_CONNECT_MIN_VERSION) {
      g.tracer.endPhase(phase, 'failed', 'hv_sock is not loaded below VMBus 4.0 (hvs_init: -ENODEV): connect() fails with -ENODEV');
      done();
      return;
    }
    const port = this.nextVsockPort++;
    const endpoint = port.toString(16).padStart(8, '0') + HVSOCK_SRV_ID_TEMPLATE_TAIL;
    let settled = false;
    const settle = (outcome: 'ok' | 'failed', detail: string) => {
      if (settled) return;
      settled = true;
      this.hvsockPending.delete(port);
      g.tracer.endPhase(phase, outcome, detail);
      done();
    };
    this.hvsockPending.set(port, { phase, done: () => settle('ok', 'connected (TCP_ESTABLISHED)') });
    g.post({ msgtype: 'CHANNELMSG_TL_CONNECT_REQUEST', guest_endpoint_id: endpoint, host_service_id: service }, g.connId, (st) => {
      if (st !== 'HV_STATUS_SUCCESS') settle('failed', `vmbus_send_tl_connect_request failed (${st})`);
    }, source);
    g.clock.schedule(VSOCK_CONNECT_TIMEOUT_NS, () => settle('failed', 'no channel offered in 2 s (VSOCK_DEFAULT_CONNECT_TIMEOUT): -ETIMEDOUT'));
  }

  /**
   * An hv_sock offer (hvs_probe → hvs_open_connection): if_type must be a vsock service id
   * (is_valid_srv_id); user_def[0] is conn_from_host; for a guest-initiated connection the socket
   * is found by the port in if_instance and must be in TCP_SYN_SENT; then vmbus_open. Returns false
   * for an offer no pending connect is waiting for (left to the usual driver handling).
   */
  hvsockOffer(ch: GuestChannel, offer: Json): boolean {
    const instance = String(offer.if_instance);
    const p = this.hvsockPending.get(parseInt(instance.slice(0, 8), 16));
    if (!p) return false;
    const connFromHost = parseInt(String(offer.user_def ?? '').slice(0, 2) || '0', 16) !== 0;
    if (!String(offer.if_type).endsWith(HVSOCK_SRV_ID_TEMPLATE_TAIL) || connFromHost) return true; // hvs_open_connection returns: never opened
    // Ring sizes (hvs_open_connection): below 5.0 RINGBUFFER_HVS_{SND,RCV}_SIZE, six 4K pages each
    // with the control page; from 5.0 VMBUS_RING_SIZE(default socket buffer = six pages), i.e. one
    // control page more. The sizes do not come from the scenario's device.
    const bytes = (this.g.version ?? 0) < 0x50000 ? HVS_RING_PAGES * 4096 : (HVS_RING_PAGES + 1) * 4096;
    ch.ringBytes = { send: bytes, recv: bytes };
    this.afterOpen = () => { if (ch.state === 'open') p.done(); };
    this.openOne(ch);
    return true;
  }

  /** vmbus_initiate_unload: CHANNELMSG_UNLOAD, then wait for UNLOAD_RESPONSE (logging while it does not come). */
  unload(source?: SourceRef, done?: () => void): void {
    const g = this.g;
    g.tracer.beginPhase('unload', 0, source);
    if (g.unloaded || g.conn !== 'connected') { g.tracer.endPhase('unload', 'skipped', 'not connected'); done?.(); return; }
    if ((g.version ?? 0) < 0x30000) { g.tracer.endPhase('unload', 'skipped', 'version < 3.0'); done?.(); return; }
    // Model shortcut: the 5 s waits are scheduled only when the host is configured to ignore
    // UNLOAD, so an answered unload leaves no timers behind (Linux polls either way).
    const hostIgnores = g.faults.find('host-ignores-unload');
    g.wait(17, () => true, () => {
      g.conn = 'unloaded';
      g.unloaded = true;
      g.state('connection', 'connected', 'unloaded', { vp: 0, granularity: 'event' });
      g.tracer.endPhase('unload', 'ok');
      done?.();
    });
    g.post({ msgtype: 'CHANNELMSG_UNLOAD' }, g.connId, undefined, source);
    if (hostIgnores) {
      for (let s = 5; s <= 100; s += 5) {
        g.clock.schedule(s * 1e9, () => {
          if (g.unloaded) return;
          if (s < 100) g.log('err', 'hv_vmbus: Waiting for VMBus UNLOAD to complete');
          else {
            g.log('err', 'hv_vmbus: Continuing even though VMBus UNLOAD did not complete');
            g.tracer.endPhase('unload', 'failed', 'no UNLOAD_RESPONSE');
          }
        });
      }
    }
  }
}
