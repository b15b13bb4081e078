// OpenHCL's VMBus relay: a client of the host's VMBus server (vmbus_client, over the hypervisor's
// redirect connection id) and the feeder of the paravisor's own server, which re-offers the host's
// channels to VTL0 with the confidential flags stripped, and forwards their GPADLs, opens and
// closes to the host. It is the paravisor server's RelayBackend.
import type { DeviceConfig, SourceRef } from '../config';
import type { Clock } from '../ports';
import type { Emit, Json, Tracer } from '../tracer';
import type { FaultInjector, Wire } from '../faults/injector';
import type { VmbusServer } from '../server/server';
import type { HvsockRequest, MonitorPageGpas, OpenSignal, RelayBackend } from '../server/ports';
import type { ServerChannel } from '../server/types';
import { encodeOrThrow } from '../server/server';
import { decodeMessage } from '../../protocol/codec';
import { relayOfferFlags } from '../../protocol/offer';
import { hexNum } from '../../protocol/hex';
import { OPENVMM_CLIENT_VERSION_ORDER, messageTypeName, versionString } from '../../protocol/constants';
import { msgtypeOf } from '../tracer';
import { HVCALL_POST_MESSAGE, HVCALL_SIGNAL_EVENT, OPENHCL_CLIENT_FEATURES, RELAY_REQUIRED_FEATURES, VMBUS_MESSAGE_REDIRECT_CONNECTION_ID } from '../constants';

/** The relay's connection to the host, as the trace names its states. */
export type RelayState = 'none' | 'connecting' | 'connected' | 'failed';

/** OpenHCL vmbus_client's client id (InitiateContact2). */
const OPENHCL_CLIENT_ID = 'ceb1cd55-6a3b-41c5-9473-4dd30624c3d8';

export interface RelayPorts {
  /** A message the relay posted reaches the host server's port. */
  toHost(bytes: Uint8Array): void;
  /** The scenario device and record key behind a host channel id (names for the re-offer). */
  hostChannel(hostRelid: number): { dev: DeviceConfig; key: string } | undefined;
  /** The host's device revokes a channel it offered to the relay. */
  revokeOnHost(hostRelid: number, source?: SourceRef): void;
  /** The relay cannot be created: OpenHCL's VM start fails with this error. */
  startFailed(why: string): void;
}

interface Waiter { msgtype: number; match: (j: Json) => boolean; run: (j: Json) => void }

export class Relay implements RelayBackend {
  private state_: RelayState = 'none';
  private version = 0;
  private features = 0;
  private ok = false;
  private waiters: Waiter[] = [];
  /** Guest hv_sock connects sent to the host and not answered yet (vmbus_client hvsock.rs HvsockRequestTracker). */
  private hvsockPending: { req: HvsockRequest; done: (success: boolean) => void }[] = [];
  /**
   * vmbus_client's channel.connection_id per host channel id: the connection id its OpenChannel2
   * gave the host (open_data.connection_id, use_vtl2_connection_id false), 0 after close.
   */
  private readonly hostSignalIds = new Map<number, number>();
  /** The scenario step behind a host rescind the relay is forwarding (its re-offer's rescind carries it too). */
  private rescindSource: SourceRef | undefined;

  constructor(
    private readonly server: VmbusServer,
    private readonly clock: Clock,
    private readonly tracer: Tracer,
    private readonly faults: FaultInjector,
    private readonly wire: Wire,
    private readonly ports: RelayPorts,
  ) {
    void this.clock;
  }

  get state(): RelayState {
    return this.state_;
  }

  hostConnection(): { ok: boolean; version: number; features: number } {
    return { ok: this.ok, version: this.version, features: this.features };
  }

  /** The next host rescind is caused by this scenario step (the re-offer's rescind carries it too). */
  expectRescind(source: SourceRef | undefined): void {
    this.rescindSource = source;
  }

  // ---------------------------------------------------------------------------- to the host

  private send(json: Json): void {
    const bytes = encodeOrThrow(json);
    const name = String(json.msgtype);
    this.tracer.emit({ kind: 'hypercall', name: 'HvPostMessage', code: HVCALL_POST_MESSAGE, path: 'hypercall', by: 'paravisor', target: 'host', status: 'HV_STATUS_SUCCESS', connectionId: VMBUS_MESSAGE_REDIRECT_CONNECTION_ID, granularity: 'substep' } as Emit);
    this.tracer.message('paravisor', 'host', null, 'hypercall', VMBUS_MESSAGE_REDIRECT_CONNECTION_ID, bytes, 'HV_STATUS_SUCCESS', json.child_relid as number | undefined, undefined, 7, undefined, undefined, 0);
    this.wire.transmit('paravisor', 'host', bytes, { name, relid: undefined, nth: this.faults.msgCount('r:' + name) }, (b) => this.ports.toHost(b));
  }

  /** vmbus_client's version ladder towards the host (OpenVMM's client order), then RequestOffers. */
  connect(i = 0): void {
    const order = OPENVMM_CLIENT_VERSION_ORDER;
    if (i >= order.length) {
      this.state_ = 'failed';
      this.tracer.log('paravisor', 'err', 'vmbus_client: no supported version offered by the host');
      this.tracer.endPhase('relay-connect', 'failed');
      this.ports.startFailed('failed to connect to vmbus: no supported version offered by the host');
      return;
    }
    const v = order[i];
    this.state_ = 'connecting';
    this.waiters.push({
      msgtype: 15, match: () => true, run: (j) => {
        if (!Number(j.version_supported)) { this.connect(i + 1); return; }
        const feats = Number(j.supported_features ?? 0);
        this.version = v;
        this.features = feats;
        if ((feats & RELAY_REQUIRED_FEATURES) !== RELAY_REQUIRED_FEATURES) {
          this.state_ = 'failed';
          this.tracer.log('paravisor', 'err', `host must support required feature flags. Required: ${hexNum(RELAY_REQUIRED_FEATURES)}, actual: ${hexNum(feats)}.`);
          this.tracer.endPhase('relay-connect', 'failed', `host ${versionString(v)} features ${hexNum(feats)}`);
          this.ports.startFailed('failed to create host vmbus transport: host must support required feature flags');
          return;
        }
        this.ok = true;
        this.state_ = 'connected';
        this.tracer.state('paravisor', 'relay', 'connecting', 'connected', { detail: { version: v, features: feats }, granularity: 'event' });
        this.waiters.push({ msgtype: 4, match: () => true, run: () => { this.tracer.endPhase('relay-connect', 'ok', `host ${versionString(v)}`); } });
        this.send({ msgtype: 'CHANNELMSG_REQUESTOFFERS' });
      },
    });
    // OpenHCL's client sends InitiateContact2 (with its client id) from Copper, the 40-byte
    // InitiateContact below it (vmbus_client handle_initiate_contact); no monitor pages.
    const ic: Json = {
      msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: v, target_vcpu: 0, msg_sint: 2, msg_vtl: 0,
      feature_flags: v >= 0x60000 ? OPENHCL_CLIENT_FEATURES : 0, monitor_page1: 0, monitor_page2: 0,
    };
    if (v >= 0x60000) ic.client_id = OPENHCL_CLIENT_ID;
    this.send(ic);
  }

  // ---------------------------------------------------------------------------- from the host

  /**
   * A hostile host message reaching OpenHCL's vmbus_client instead of the guest: the client does
   * not expect it (an unknown or server-bound type, a cut or oversized one, a reply nobody waits
   * for), logs it and drops it; the guest sees nothing (our reading: the references do not say what
   * vmbus_client logs).
   */
  dropHostile(bytes: Uint8Array, payloadSize?: number): void {
    const t = msgtypeOf(bytes);
    const name = messageTypeName(t) ?? `UNKNOWN(${t})`;
    const why = payloadSize !== undefined && payloadSize > 240 ? `payload_size ${payloadSize} over 240`
      : bytes.length < 8 ? 'shorter than its header' : decodeMessage(bytes, { allowOpenVmm: true }).ok ? 'not a message the client expects' : 'does not parse';
    this.tracer.log('paravisor', 'warn', `vmbus_client: ${name} from the host dropped: ${why}`);
  }

  /** A message from the host's server reaches the relay (SINT7 of VTL2). */
  receive(bytes: Uint8Array): void {
    const dec = decodeMessage(bytes, { allowOpenVmm: true });
    if (!dec.ok) { this.tracer.log('paravisor', 'warn', `relay: bad message from host: ${dec.error.message}`); return; }
    const j = dec.value;
    const t = bytes[0];
    if (t === 1) { this.onOffer(j); return; }
    if (t === 2) { this.onRescind(Number(j.child_relid)); return; }
    if (t === 23) { this.onTlConnectResult(j); return; }
    const w = this.waiters.find((x) => x.msgtype === t && x.match(j));
    if (w) { this.waiters.splice(this.waiters.indexOf(w), 1); w.run(j); }
  }

  private onOffer(j: Json): void {
    const offer = j.offer as Json;
    const hostRelid = Number(j.child_relid);
    const hc = this.ports.hostChannel(hostRelid);
    if (!hc) return;
    const orig = Number(offer.chn_flags);
    const hvsock = this.matchHvsockOffer(offer);
    // Relayed offers: confidential flags stripped; id + connection id chosen by the OpenHCL server.
    const rc: ServerChannel = {
      key: 'relay:' + hc.key, dev: hc.dev, id: 0, state: 'ClientReleased', flags: relayOfferFlags(orig), originalFlags: orig,
      monitorId: Number(j.monitor_allocated) ? Number(j.monitorid) : undefined, relayed: true, hostRelid, hostConnId: Number(j.connection_id),
      offerOrder: hostRelid, instanceGuid: String(offer.if_instance), classGuid: String(offer.if_type), gpadls: new Map(),
      subIndex: Number(offer.sub_channel_index),
    };
    if (hvsock) rc.hvsockOffer = true;
    this.server.addRelayedChannel(rc, { device: hc.dev.name, hostRelid, relayed: true, strippedFlags: orig & 0x6 });
    // The re-offer is the answer: handle_hvsock_response reports success to OpenHCL's server.
    hvsock?.done(true);
  }

  /**
   * HvsockRequestTracker::check_offer: a tlnpi_provider offer that is not for a guest accept
   * (user_def[0] is_for_guest_accept 0) answers the pending request with interface id = service
   * and instance id = endpoint; the request is removed.
   */
  private matchHvsockOffer(offer: Json): { done: (success: boolean) => void } | undefined {
    if ((Number(offer.chn_flags) & 0x2000) === 0) return undefined;
    const accept = parseInt(String(offer.user_def ?? '').slice(0, 2) || '0', 16);
    if (accept !== 0) return undefined;
    const i = this.hvsockPending.findIndex((p) => p.req.service === offer.if_type && p.req.endpoint === offer.if_instance);
    if (i < 0) return undefined;
    return this.hvsockPending.splice(i, 1)[0];
  }

  /**
   * HvsockRequestTracker::check_result: a TL_CONNECT_RESULT with a failure status (negative as an
   * i32) for a pending request fails it; the relay reports the failure to OpenHCL's server.
   */
  private onTlConnectResult(j: Json): void {
    const status = Number(j.status ?? 0) | 0;
    if (status >= 0) { this.tracer.log('paravisor', 'warn', `vmbus_client: protocol violation: unexpected tl connect result success status ${status}`); return; }
    const i = this.hvsockPending.findIndex((p) => p.req.service === j.host_service_id && p.req.endpoint === j.guest_endpoint_id);
    if (i < 0) { this.tracer.log('paravisor', 'warn', 'vmbus_client: Result for unknown hvsock request'); return; }
    this.hvsockPending.splice(i, 1)[0].done(false);
  }

  private onRescind(hostRelid: number): void {
    const rc = this.server.channels.find((c) => c.relayed && c.hostRelid === hostRelid);
    if (!rc) return;
    const source = this.rescindSource;
    this.rescindSource = undefined;
    this.server.revoke(rc, source);
  }

  // ---------------------------------------------------------------------------- RelayBackend (requests of the paravisor's server)

  gpadl(c: ServerChannel, gpadl: number, header: Json, bodies: Json[]): void {
    this.waiters.push({
      msgtype: 10, match: (x) => Number(x.gpadl) === gpadl, run: (x) => this.server.relayedGpadlCreated(c, gpadl, Number(x.creation_status)),
    });
    // Forwarded unchanged except the channel id: range_buflen still describes the whole range
    // (header + bodies), so the host sizes its buffer the same way.
    const h: Json = { ...header, child_relid: c.hostRelid };
    this.send(h);
    for (const b of bodies) this.send(b);
  }

  /**
   * vmbus_client handle_open_channel: the host gets OpenChannel2 (the host connection has
   * guest_specified_signal_parameters, a relay requirement) with open_id 0, the guest's ring GPADL,
   * target VP, offset and user data, and the signal parameters OpenHCL's server chose: its own
   * connection id and event flag for the channel, so the guest signals the host and the host the
   * guest directly ("the paravisor stays out of the data plane"). flags: redirect_interrupt only for
   * a guest on the pre-Win8 interrupt page, which no Linux guest here uses.
   */
  open(c: ServerChannel, j: Json, signal: OpenSignal): void {
    this.waiters.push({
      msgtype: 6, match: (x) => Number(x.child_relid) === c.hostRelid, run: (x) => this.server.relayedOpenResult(c, Number(x.status)),
    });
    const redirect = (this.features & 0x3) !== 0;
    const msg: Json = {
      msgtype: 'CHANNELMSG_OPENCHANNEL', child_relid: c.hostRelid, openid: 0, ringbuffer_gpadlhandle: j.ringbuffer_gpadlhandle,
      target_vp: j.target_vp, downstream_ringbuffer_pageoffset: j.downstream_ringbuffer_pageoffset, userdata: j.userdata,
    };
    if (redirect) Object.assign(msg, { connection_id: signal.connectionId, event_flag: signal.eventFlag, flags: 0 });
    if (c.hostRelid !== undefined) this.hostSignalIds.set(c.hostRelid, signal.connectionId);
    this.send(msg);
  }

  /**
   * vmbus_client guest_to_host_interrupt: HvSignalEvent to the host on the channel's connection id
   * (the one sent in OpenChannel2), event flag 0; after close (connection id 0) nothing is sent
   * ("interrupt signal after close").
   */
  signalHost(c: ServerChannel): void {
    const connectionId = c.hostRelid !== undefined ? this.hostSignalIds.get(c.hostRelid) ?? 0 : 0;
    if (connectionId === 0) { this.tracer.log('paravisor', 'debug', 'vmbus_client: interrupt signal after close'); return; }
    this.tracer.emit({ kind: 'hypercall', name: 'HvSignalEvent', code: HVCALL_SIGNAL_EVENT, path: 'hypercall', by: 'paravisor', target: 'host', status: 'HV_STATUS_SUCCESS', connectionId, granularity: 'substep' } as Emit);
  }

  /**
   * vmbus_relay handle_modify → vmbus_client modify: the guest's monitor pages (or none) go to the
   * host as MODIFY_CONNECTION {parent_to_child, child_to_parent}, answered by
   * MODIFY_CONNECTION_RESPONSE's connection_state. A host connection without modify_connection
   * fails it at once ("ModifyConnection not supported": FAILED_UNKNOWN_FAILURE).
   */
  modifyConnection(pages: MonitorPageGpas | null, done: (connectionState: number) => void): void {
    if (!this.ok || (this.features & 0x4) === 0) {
      this.tracer.log('paravisor', 'warn', 'vmbus_client: ModifyConnection not supported');
      done(2);
      return;
    }
    this.waiters.push({ msgtype: 26, match: () => true, run: (x) => done(Number(x.connection_state)) });
    this.send({ msgtype: 'CHANNELMSG_MODIFY_CONNECTION', monitor_page1: hexNum(pages?.parentToChild ?? 0), monitor_page2: hexNum(pages?.childToParent ?? 0) });
  }

  close(c: ServerChannel): void {
    if (c.hostRelid !== undefined) this.hostSignalIds.delete(c.hostRelid);
    this.send({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: c.hostRelid });
  }

  teardownGpadl(c: ServerChannel, gpadl: number, done: () => void): void {
    this.waiters.push({ msgtype: 12, match: (x) => Number(x.gpadl) === gpadl, run: () => done() });
    this.send({ msgtype: 'CHANNELMSG_GPADL_TEARDOWN', child_relid: c.hostRelid, gpadl });
  }

  modify(c: ServerChannel, targetVp: number, done: (status: number) => void): void {
    this.waiters.push({ msgtype: 24, match: (x) => Number(x.child_relid) === c.hostRelid, run: (x) => done(Number(x.status)) });
    this.send({ msgtype: 'CHANNELMSG_MODIFYCHANNEL', child_relid: c.hostRelid, target_vp: targetVp });
  }

  released(c: ServerChannel): void {
    this.send({ msgtype: 'CHANNELMSG_RELID_RELEASED', child_relid: c.hostRelid });
  }

  /**
   * vmbus_relay handle_hvsock_request → vmbus_client connect_hvsock: the client sends the
   * TlConnectRequest2 form (56 bytes, with the silo id) whatever the guest sent, as it only speaks
   * versions that have it (vmbus_client lib.rs handle_tl_connect).
   */
  hvsockConnect(req: HvsockRequest, done: (success: boolean) => void): void {
    this.hvsockPending.push({ req, done });
    this.send({ msgtype: 'CHANNELMSG_TL_CONNECT_REQUEST', guest_endpoint_id: req.endpoint, host_service_id: req.service, silo_id: req.silo });
  }

  revokeFromHost(c: ServerChannel): void {
    if (c.hostRelid !== undefined) this.ports.revokeOnHost(c.hostRelid);
  }
}
