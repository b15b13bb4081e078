// The VMBus server (OpenVMM vmbus_server channels.rs): one class, instantiated for OpenHCL's
// paravisor server (VTL2, serving VTL0) and for the host's. It is driven only by the bytes that
// reach its port (receive) and by its devices (revoke); it answers through ServerPorts. Channels it
// relays (the paravisor's re-offers of host channels) go to a RelayBackend, as OpenVMM's server
// hands open / close / GPADL requests to the relay through its Notifier.
import type { DeviceConfig, FaultConfig, SourceRef } from '../config';
import type { Clock } from '../ports';
import type { Json, Tracer } from '../tracer';
import type { FaultInjector } from '../faults/injector';
import { decodeChannelMessage, encodeMessage, pagesSpanned } from '../../protocol/codec';
import { LAYOUT_BY_NAME, type ChannelMessageOf } from '../../protocol/layouts';
import { hexNum } from '../../protocol/hex';
import { parseVersion, versionString } from '../../protocol/constants';
import {
  HOST_MONITOR_IDS_TO_RELAY, MONITOR_ID_INVALID, SIMULATED_SERVER_FEATURES, SERVER_VTL, RELAY_LOCAL_FEATURES, STATUS_UNSUCCESSFUL, T, VMBUS_MESSAGE_REDIRECT_CONNECTION_ID,
  HVSOCK_CONNECT_OFFER_USER_DEF, MAX_CONCURRENT_HVSOCK_REQUESTS, STATUS_CONNECTION_REFUSED, TL_CONNECT_MIN_VERSION, TL_CONNECT_RESULT_MIN_VERSION,
} from '../constants';
import { hostileOffer, mutateOffer } from '../faults/hostile';
import { offerFlagsSent } from '../../protocol/offer';
import { channelFor, newConn, type ServerChannel, type ServerChannelState, type ServerClient, type ServerConn } from './types';
import type { HvsockRequest, MonitorPageGpas, OpenSignal, RelayBackend, ServerOptions, ServerPorts } from './ports';

/** OpenChannel2 with its header (protocol.rs: OpenChannel 140 + connection_id, event_flag, flags). */
const OPEN_CHANNEL2_SIZE = LAYOUT_BY_NAME.get('CHANNELMSG_OPENCHANNEL')!.forms[1].size;
/** protocol.rs ConnectionState::FAILED_UNKNOWN_FAILURE. */
const CONNECTION_FAILED_UNKNOWN_FAILURE = 2;

export class VmbusServer {
  readonly party: 'paravisor' | 'host';
  private readonly versions: number[];
  private readonly maxFlags: number;
  private readonly requireServerMnf: boolean;
  readonly handlesMnf: boolean;
  /** Server answers VERSION_RESPONSE with this msg_conn_id for >= 5.0 (a VTL0 server: 1). */
  private readonly childConnId = 1;
  private conn_: ServerConn = newConn();
  private client_: ServerClient | null = null;
  private readonly channels_: ServerChannel[] = [];
  /** Channels whose monitor id is registered with the SynIC's monitor page (open with monitor_info). */
  private readonly monitorPorts = new Map<ServerChannel, number>();
  private readonly pendingGpadl = new Map<number, { relid: number; header: Json; bodies: Json[]; valid: boolean }>();
  private backend: RelayBackend | null = null;
  /** hv_sock services this server's devices listen on (offered per connect, not at boot). */
  private readonly listeners: DeviceConfig[] = [];

  constructor(
    opts: ServerOptions,
    private readonly clock: Clock,
    private readonly tracer: Tracer,
    private readonly faults: FaultInjector,
    private readonly ports: ServerPorts,
  ) {
    this.party = opts.party;
    this.versions = opts.versions;
    this.maxFlags = opts.maxFlags;
    this.requireServerMnf = opts.requireServerMnf;
    this.handlesMnf = opts.handlesMnf ?? true;
  }

  /** The relay that serves this server's relayed channels (the paravisor's server only). */
  attachRelay(backend: RelayBackend): void {
    this.backend = backend;
  }

  get conn(): Readonly<ServerConn> {
    return this.conn_;
  }

  get client(): ServerClient | null {
    return this.client_;
  }

  /** The server's channels (read-only: views, scripted steps, tests). */
  get channels(): readonly ServerChannel[] {
    return this.channels_;
  }

  /** A device this server hosts (offered once the client asks for offers). */
  addDevice(c: ServerChannel): void {
    // OpenVMM ServerTask::handle_offer: a server not handling MNF disables it for its own channels.
    if (!this.handlesMnf) c.monitorId = undefined;
    this.channels_.push(c);
  }

  /** An hv_sock device listening for the guest's connects (`hvsock connect`). */
  addHvsockListener(d: DeviceConfig): void {
    this.listeners.push(d);
  }

  channelById(relid: number): ServerChannel | undefined {
    return this.channels_.find((c) => c.id === relid);
  }

  /** A channel's state changes: the trace records from (the channel's own state) → to. */
  private transition(c: ServerChannel, to: ServerChannelState): void {
    const from = c.state;
    c.state = to;
    // The channel's event port (and its monitor registration) lives from the open request until
    // the channel is closed, fails to open or goes away (lib.rs open_channel / ChannelOpenState).
    if ((to === 'Closed' || to === 'Revoked' || to === 'ClientReleased') && this.monitorPorts.has(c)) {
      this.ports.registerMonitor?.(this.monitorPorts.get(c)!, null);
      this.monitorPorts.delete(c);
    }
    this.tracer.state(this.party, 'channel', from, to, { relid: c.id });
  }

  private isRelayed(c: ServerChannel): boolean {
    return c.relayed && this.backend !== null;
  }

  private log(text: string): void {
    this.tracer.log(this.party, 'warn', text);
  }

  /** Encodes and sends a message to the client. */
  send(json: Json, source?: SourceRef): void {
    const name = String(json.msgtype);
    let bytes: Uint8Array;
    const r = encodeMessage(json);
    if (r.ok) {
      bytes = r.bytes;
    } else {
      // OpenVMM-only forms (VersionResponse2) fall back to the Linux form.
      const j = { ...json };
      delete j.supported_features;
      bytes = encodeOrThrow(j);
    }
    this.ports.send(this.client_, bytes, name, json.child_relid as number | undefined, source);
  }

  // ---------------------------------------------------------------------------- the message port

  /** hvsock connect requests handed to the hvsock handler and not answered yet (lib.rs hvsock_requests). */
  private hvsockRequests = 0;
  /** Guest messages not read yet because MAX_CONCURRENT_HVSOCK_REQUESTS are outstanding, in order. */
  private readonly unread: [ServerClient, Uint8Array, boolean, boolean][] = [];

  /**
   * A message reaches the server's port. The server task reads the next guest message only while
   * fewer than MAX_CONCURRENT_HVSOCK_REQUESTS hvsock requests are outstanding (lib.rs ServerTask
   * run); until then it waits, and later ones wait behind it.
   */
  receive(client: ServerClient, bytes: Uint8Array, trusted: boolean, multiclient: boolean): void {
    if (this.unread.length > 0 || this.hvsockRequests >= MAX_CONCURRENT_HVSOCK_REQUESTS) {
      this.unread.push([client, bytes, trusted, multiclient]);
      this.tracer.log(this.party, 'debug', `${this.hvsockRequests} hvsock requests outstanding: guest message not read yet (${this.unread.length} waiting)`);
      return;
    }
    this.handleMessage(client, bytes, trusted, multiclient);
  }

  /** openvmm §2.1: parse, gate by connection state, check trust, dispatch. */
  private handleMessage(client: ServerClient, bytes: Uint8Array, trusted: boolean, multiclient: boolean): void {
    const dec = decodeChannelMessage(bytes, { allowOpenVmm: true });
    if (!dec.ok) { this.log(`synic message error: ParseError (${dec.error.message})`); return; }
    const j = dec.value;
    const name = j.msgtype;
    const c = this.conn_;
    // Parse gating: while not Connected only INITIATE_CONTACT / VERSION_RESPONSE / CLOSE_RESERVED parse.
    if (c.state !== 'Connected' && name !== 'CHANNELMSG_INITIATE_CONTACT' && name !== 'CHANNELMSG_VERSION_RESPONSE' && name !== 'CHANNELMSG_19') {
      this.log(`synic message error: InvalidMessageType(${name})`);
      return;
    }
    // Trust check: a trusted connection rejects untrusted messages.
    // openvmm §2.1: after parsing, every message, InitiateContact included, is checked, so a
    // host-visible (GHCB/tdcall) InitiateContact cannot reset a trusted connection.
    if ((c.state === 'Connected' || c.state === 'Connecting') && c.trusted && !trusted) {
      this.log(`synic message error: UntrustedMessage (${name})`);
      return;
    }
    // protocol.rs vmbus_messages!: with Copper and guest_specified_signal_parameters or
    // channel_interrupt_redirection, OPEN_CHANNEL parses only as the whole 148-byte OpenChannel2
    // (156 with the header); shorter is MessageTooSmall, with no fallback to OpenChannel.
    if (name === 'CHANNELMSG_OPENCHANNEL' && c.version >= 0x60000 && (c.features & 0x3) !== 0 && bytes.length < OPEN_CHANNEL2_SIZE) {
      this.log(`synic message error: ParseError(MessageTooSmall(OPEN_CHANNEL)): ${bytes.length} bytes, OpenChannel2 needs ${OPEN_CHANNEL2_SIZE}`);
      return;
    }
    // Switching on j.msgtype narrows j to that message's type (ChannelMessageOf, from the layout table).
    switch (j.msgtype) {
      case 'CHANNELMSG_INITIATE_CONTACT': this.initiateContact(client, j, trusted, multiclient); break;
      case 'CHANNELMSG_REQUESTOFFERS': this.requestOffers(); break;
      case 'CHANNELMSG_GPADL_HEADER': this.gpadlHeader(j); break;
      case 'CHANNELMSG_GPADL_BODY': this.gpadlBody(j); break;
      case 'CHANNELMSG_OPENCHANNEL': this.open(j); break;
      case 'CHANNELMSG_CLOSECHANNEL': this.close(j); break;
      case 'CHANNELMSG_GPADL_TEARDOWN': this.teardown(j); break;
      case 'CHANNELMSG_RELID_RELEASED': this.release(j); break;
      case 'CHANNELMSG_UNLOAD': this.unload(); break;
      case 'CHANNELMSG_MODIFYCHANNEL': this.modifyChannel(j); break;
      case 'CHANNELMSG_TL_CONNECT_REQUEST': this.tlConnect(j, bytes.length); break;
      case 'CHANNELMSG_MODIFY_CONNECTION': this.modifyConnection(j); break;
      default:
        this.log(`synic message error: InvalidMessageType(${name})`);
    }
  }

  // ---------------------------------------------------------------------------- connection

  private initiateContact(client: ServerClient, j: Json, trusted: boolean, multiclient: boolean): void {
    const v = Number(j.vmbus_version_requested);
    // The multi-client fields count only on the multiclient port (connection id 4): msg_sint from
    // 5.0, msg_vtl from 5.1 (openvmm §2.1 InitiateContact handling, step 1).
    const sint = multiclient && v >= 0x50000 ? Number(j.msg_sint ?? 2) : 2;
    const vtl = multiclient && v >= 0x50001 ? Number(j.msg_vtl ?? 0) : 0;
    const requested = v >= 0x60000 ? Number(j.feature_flags ?? 0) : 0;
    if (vtl !== SERVER_VTL) {
      // For another VTL's server: forward_unhandled, no response from this one
      // (test_version_negotiation_multiclient_vtl). Nothing is linked to it here.
      this.log(`InitiateContact for VTL ${vtl}: forward_unhandled, nowhere to forward (no response)`);
      return;
    }
    this.client_ = client;
    const unsupported = () => this.send({ msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 0, connection_state: 0, msg_conn_id: 0 });
    if (sint !== 2) {
      // The refusal goes to the SINT the request named, on its target VP; the state does not
      // change (test_version_negotiation_multiclient_sint).
      this.ports.sendToSint(this.client_, encodeOrThrow({ msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 0, connection_state: 0, msg_conn_id: 0 }), Number(j.target_vcpu ?? 0), sint);
      return;
    }
    // request_disconnect(Reconnect): a connected server resets (no UnloadComplete). As for Unload,
    // every channel is client-released: a relayed open channel is closed at the host and its
    // GPADLs torn down there (Action::Close / TeardownGpadl → vmbus_relay handle_close_channel /
    // handle_gpadl_teardown); notify_disconnect then resets the relay's monitor pages
    // (MODIFY_CONNECTION with none to the host), and the new InitiateContact is handled once that
    // completes (complete_disconnect → do_next_action).
    if (this.conn_.state === 'Connected' && this.backend) {
      this.disconnect(() => {
        this.conn_ = newConn();
        this.initiateContact(client, j, trusted, multiclient);
      }, true);
      return;
    }
    if (this.conn_.state === 'Connected') this.resetChannels();
    // nth: the nth INITIATE_CONTACT (of the given version) the host receives.
    const hostRejects = this.party === 'host' ? this.faults.find('host-rejects-version', (f) => (f.params.version === undefined || parseVersion(String(f.params.version)) === v) && (f.trigger.nth === undefined || f.trigger.nth === this.faults.countUse(f))) : undefined;
    if (!this.versions.includes(v) || hostRejects) {
      if (hostRejects) this.faults.event(hostRejects, 'host-rejects-version', `host refuses version ${versionString(v)}`);
      this.conn_ = newConn();
      unsupported();
      return;
    }
    // Version gating through the relay: a guest asking above what the relay negotiated -> Unsupported.
    const upstream = this.backend?.hostConnection();
    if (upstream && upstream.ok && v > upstream.version) {
      this.log(`relay: guest version ${versionString(v)} is newer than the host connection (${versionString(upstream.version)}): Unsupported`);
      this.conn_ = newConn();
      unsupported();
      return;
    }
    // Grant a feature only where its behaviour exists (SIMULATED_SERVER_FEATURES); confidential
    // channels to a trusted client of OpenHCL; never gpa_pinning (no simulated server has pinning
    // support: test_version_negotiation_gpa_pinning_requires_server_support).
    let flags = SIMULATED_SERVER_FEATURES | (trusted && this.party === 'paravisor' ? 0x10 : 0);
    flags &= this.maxFlags;
    flags &= requested;
    if (v < 0x60000) flags = 0;
    // Monitor pages (channels.rs initiate_contact, lib.rs set_monitor_page): a server that must use
    // its own pages ignores the guest's; one handling MNF allocates pages for a guest asking for
    // server_specified_monitor_pages; one that does not handle MNF hands the guest's to the relay.
    const p1 = BigInt(String(j.monitor_page1 ?? '0'));
    const p2 = BigInt(String(j.monitor_page2 ?? '0'));
    const guestPages: MonitorPageGpas | null = p1 !== 0n && p2 !== 0n ? { parentToChild: Number(p1), childToParent: Number(p2) } : null;
    const serverPages = this.handlesMnf && (flags & 0x40) !== 0 ? this.ports.allocateMonitorPages?.() ?? null : null;
    const pages = serverPages ?? (this.requireServerMnf ? null : guestPages);
    if (this.requireServerMnf && guestPages && !serverPages) this.log('guest-supplied monitor pages not supported; MNF will be disabled');
    const connected = (hostFeatures: number | undefined) => {
      // complete_initiate_contact: flags &= relay flags | LOCAL_FEATURE_FLAGS; then
      // server_specified_monitor_pages is set exactly when the server allocated the pages.
      if (hostFeatures !== undefined) flags &= hostFeatures | RELAY_LOCAL_FEATURES;
      flags = serverPages && v >= 0x60000 ? flags | 0x40 : flags & ~0x40;
      this.completeInitiateContact(client, j, v, flags, trusted, pages, serverPages);
    };
    if (upstream && !this.handlesMnf) {
      // notify_relay: the relay forwards the guest's pages (or none) to the host and answers with
      // the host's status (vmbus_relay handle_modify); the guest waits in Connecting.
      this.conn_ = { ...newConn(), state: 'Connecting', version: v, trusted };
      this.backend!.modifyConnection(guestPages, (state) => {
        if (this.conn_.state !== 'Connecting') return;
        if (state !== 0) {
          this.log(`initiate contact failed because relay request failed (connection_state ${state})`);
          this.conn_ = newConn();
          this.send({ msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 1, connection_state: state, msg_conn_id: 0 });
          return;
        }
        connected(upstream.ok ? upstream.features : 0);
      });
      return;
    }
    connected(upstream ? (upstream.ok ? upstream.features : 0) : undefined);
  }

  private completeInitiateContact(client: ServerClient, j: Json, v: number, flags: number, trusted: boolean, pages: MonitorPageGpas | null, serverPages: MonitorPageGpas | null): void {
    this.conn_ = { state: 'Connected', version: v, features: flags, trusted, offersSent: false, monitorPages: pages !== null, serverAllocatedMonitorPages: serverPages !== null };
    // set_monitor_page: a server handling MNF has its SynIC watch the child→parent page (SynicPorts
    // set_monitor_page passes mp.child_to_parent).
    if (this.handlesMnf) this.ports.setMonitorPage?.(pages ? pages.childToParent : null);
    if (client === 'guest') this.ports.retargetMessages(Number(j.target_vcpu ?? 0));
    this.tracer.state(this.party, 'connection', 'Disconnected', 'Connected', { detail: { version: v, features: flags, trusted, client }, granularity: 'substep' });
    // nth: the nth accepting VERSION_RESPONSE to the guest.
    const hostileConn = this.party === 'host' && client === 'guest' ? this.faults.find('host-bad-msg-conn-id', (f) => f.trigger.nth === undefined || f.trigger.nth === this.faults.countUse(f)) : undefined;
    // selected_version_or_connection_id (openvmm §2.1 step 9): the child connection id from 5.0 —
    // 1 for a VTL0 server, VMBUS_MESSAGE_REDIRECT_CONNECTION_ID for the host's redirect server that
    // OpenHCL's vmbus_client reaches — else the version.
    let connId = v >= 0x50000 ? (client === 'relay' ? VMBUS_MESSAGE_REDIRECT_CONNECTION_ID : this.childConnId) : v;
    if (hostileConn && client === 'guest') { connId = Number(hostileConn.params.conn ?? 0x77); this.faults.event(hostileConn, 'host-bad-msg-conn-id', `VERSION_RESPONSE with msg_conn_id ${hexNum(connId)}`); }
    const resp: Json = { msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 1, connection_state: 0, msg_conn_id: connId };
    if (v >= 0x60000) resp.supported_features = flags;
    // VersionResponse3 (40 bytes) carries the pages the server allocated (send_version_response).
    if (serverPages) Object.assign(resp, { padding2: 0, monitor_page1: hexNum(serverPages.parentToChild), monitor_page2: hexNum(serverPages.childToParent) });
    this.send(resp);
  }

  private resetChannels(): void {
    // An in-progress GPADL is dropped on reset, so its id can be used again (test_gpadl_in_progress_reset).
    this.pendingGpadl.clear();
    for (const c of this.channels_) {
      if (c.state !== 'Revoked') { c.state = 'ClientReleased'; c.id = 0; c.gpadls.clear(); }
    }
  }

  private sortedChannels(): ServerChannel[] {
    // OpenVMM: key (interface_id, offer_order or u64::MAX, instance_id); only relayed offers carry an
    // offer_order (the host's channel id), the server's own devices sort after them.
    const ord = (c: ServerChannel): number => (c.relayed ? c.offerOrder : Number.MAX_SAFE_INTEGER);
    return [...this.channels_].sort((a, b) => (a.classGuid < b.classGuid ? -1 : a.classGuid > b.classGuid ? 1 : ord(a) - ord(b) || (a.instanceGuid < b.instanceGuid ? -1 : a.instanceGuid > b.instanceGuid ? 1 : 0)));
  }

  // ---------------------------------------------------------------------------- offers

  private requestOffers(): void {
    if (this.conn_.offersSent) { this.log('synic message error: OffersAlreadySent'); return; }
    this.conn_.offersSent = true;
    const used = new Set(this.channels_.filter((c) => c.id).map((c) => c.id));
    let nextId = 1;
    for (const c of this.sortedChannels()) {
      if (c.state !== 'ClientReleased') continue;
      while (used.has(nextId)) nextId++;
      c.id = nextId++;
      used.add(c.id);
      c.state = 'Closed';
      this.sendOffer(c);
    }
    this.send({ msgtype: 'CHANNELMSG_ALLOFFERS_DELIVERED' });
  }

  /** A channel offered after the offers were sent (hot add): the lowest free id, offered at once. */
  private hotAdd(c: ServerChannel): void {
    const used = new Set(this.channels_.map((x) => x.id));
    let id = 1;
    while (used.has(id)) id++;
    c.id = id;
    c.state = 'Closed';
    this.sendOffer(c);
  }

  private sendOffer(c: ServerChannel): void {
    // send_offer's masking, the one rule the scenario checker asks too (protocol/offer.ts).
    const flags = offerFlagsSent(c.flags, this.conn_.features);
    let monitorId = MONITOR_ID_INVALID;
    let monAlloc = 0;
    // send_offer: the monitor id only when the connection has monitor pages; our reading for the
    // host: it offers its monitor ids to OpenHCL's relay, which connects without pages
    // (HOST_MONITOR_IDS_TO_RELAY).
    const pagesOrRelay = this.conn_.monitorPages || (this.party === 'host' && this.client_ === 'relay' && HOST_MONITOR_IDS_TO_RELAY);
    if (c.monitorId !== undefined && pagesOrRelay) { monitorId = c.monitorId; monAlloc = 1; }
    const dev = c.dev;
    const hostile: FaultConfig | null = this.party === 'host' ? hostileOffer(this.faults, this.channels_, this.client_, c) : null;
    const offer = { flags, relid: c.id, monitorId, monAlloc, classGuid: c.classGuid };
    if (hostile) mutateOffer(this.faults, hostile, offer, this.channels_, c);
    if (offer.relid !== c.id) c.id = offer.relid;
    const relid = offer.relid;
    const body: Json = { if_type: offer.classGuid, if_instance: c.instanceGuid, chn_flags: offer.flags, mmio_megabytes: dev.mmioMegabytes, sub_channel_index: c.subIndex };
    // An hv_sock connection's offer carries OpenVMM's HvsockUserDefinedParameters in u.pipe.
    if (c.hvsockOffer) { body.pipe_mode = 0; body.user_def = HVSOCK_CONNECT_OFFER_USER_DEF; }
    const json: Json = {
      msgtype: 'CHANNELMSG_OFFERCHANNEL',
      offer: body,
      child_relid: relid, monitorid: offer.monitorId, monitor_allocated: offer.monAlloc, is_dedicated_interrupt: 1,
      connection_id: (relid | 0x2000) >>> 0,
    };
    this.send(json, dev.source);
    this.ports.offered(c);
    if (hostile?.kind === 'host-offer-duplicate-instance') {
      const j2 = { ...json, child_relid: relid + 100, connection_id: (relid + 100) | 0x2000 };
      this.send(j2, dev.source);
    }
  }

  /**
   * Subchannels: the VSP offers them once the primary is open (Linux drivers ask for them with a
   * device-specific packet; we model the request as implicit). Same class + instance,
   * sub_channel_index 1..n, new relids; hot-added (sent immediately, offers_sent is set).
   */
  private offerSubchannels(primary: ServerChannel): void {
    if (primary.subIndex !== 0 || primary.subsOffered || primary.dev.subchannels <= 0) return;
    primary.subsOffered = true;
    for (let i = 1; i <= primary.dev.subchannels; i++) {
      // Each channel gets its own monitor id (OpenVMM: lowest free of 128), never the primary's.
      let monitorId: number | undefined;
      if (primary.monitorId !== undefined) {
        const usedMon = new Set(this.channels_.map((x) => x.monitorId).filter((m): m is number => m !== undefined));
        monitorId = 0;
        while (usedMon.has(monitorId)) monitorId++;
        if (monitorId >= 128) monitorId = undefined;
      }
      const base = channelFor(primary.dev, primary.dev.instanceGuid || this.ports.newGuid());
      const sc: ServerChannel = { ...base, instanceGuid: primary.instanceGuid, subIndex: i, offerOrder: primary.offerOrder, flags: primary.flags, originalFlags: primary.originalFlags, monitorId };
      sc.key = `${primary.key}#${i}`;
      this.channels_.push(sc);
      if (this.conn_.state === 'Connected' && this.conn_.offersSent) this.hotAdd(sc);
    }
  }

  // ---------------------------------------------------------------------------- hv_sock

  /**
   * TL_CONNECT_REQUEST (OpenVMM channels.rs handle_tl_connect_request): parses from Win10 (4.0);
   * from Win10Rs5 (5.2) a payload of 48 bytes or more is TlConnectRequest2 with a silo id, a
   * shorter one the 40-byte form (Linux's). The server notifies its hvsock handler: OpenHCL's
   * server the relay (which asks the host), the host's server its listening devices
   * (hvsock.rs relay_guest_connect_to_host): a listener offers a new channel with
   * if_type = service, if_instance = the guest's endpoint; nobody listening is a failure.
   */
  private tlConnect(j: ChannelMessageOf<'CHANNELMSG_TL_CONNECT_REQUEST'>, size: number): void {
    const v = this.conn_.version;
    if (v < TL_CONNECT_MIN_VERSION) { this.log('synic message error: InvalidMessageType(CHANNELMSG_TL_CONNECT_REQUEST)'); return; }
    const silo = v >= 0x50002 && size >= 56 ? String((j as Json).silo_id ?? ZERO_GUID) : ZERO_GUID;
    const req: HvsockRequest = { endpoint: String(j.guest_endpoint_id), service: String(j.host_service_id), silo };
    // notify_hvsock: one more request outstanding until its answer (handle_tl_connect_result).
    this.hvsockRequests++;
    if (this.backend) { this.backend.hvsockConnect(req, (ok) => this.hvsockResult(req, ok)); return; }
    const dev = this.listeners.find((d) => d.classGuid === req.service);
    this.clock.schedule(T.deviceWork, () => {
      if (!dev) { this.hvsockResult(req, false); return; }
      const c = channelFor(dev, req.endpoint);
      c.key = `${dev.name}@${req.endpoint}`;
      c.hvsockOffer = true;
      this.channels_.push(c);
      this.tracer.state(this.party, 'channel', 'none', 'ClientReleased', { detail: { device: dev.name, hvsock: { service: req.service, endpoint: req.endpoint } } });
      if (this.conn_.state === 'Connected' && this.conn_.offersSent) this.hotAdd(c);
      this.hvsockResult(req, true);
    });
  }

  /**
   * The hvsock handler's answer (channels.rs send_tl_connect_result): success sends nothing (the
   * offer is the answer); a failure sends TlConnectResult(STATUS_CONNECTION_REFUSED) only from
   * Win10Rs3_0 (4.1) (test_hvsock{,_rs3,_rs5}).
   */
  private hvsockResult(req: HvsockRequest, success: boolean): void {
    this.hvsockRequests = Math.max(0, this.hvsockRequests - 1);
    if (!success) {
      if (this.conn_.state !== 'Connected' || this.conn_.version < TL_CONNECT_RESULT_MIN_VERSION) {
        this.log(`hvsock connect to ${req.service} refused: no TlConnectResult below 4.1`);
      } else {
        this.send({ msgtype: 'CHANNELMSG_TL_CONNECT_RESULT', guest_endpoint_id: req.endpoint, host_service_id: req.service, status: STATUS_CONNECTION_REFUSED });
      }
    }
    // Below the limit again: the waiting guest messages are read, in order, while it lasts.
    while (this.unread.length > 0 && this.hvsockRequests < MAX_CONCURRENT_HVSOCK_REQUESTS) this.handleMessage(...this.unread.shift()!);
  }

  /** The relay re-offers a host channel (confidential flags already stripped by the relay). */
  addRelayedChannel(rc: ServerChannel, detail: Json): void {
    // MnfUsage (vmbus_relay handle_offer, vmbus_server handle_offer): a host monitor id is Relayed
    // (kept: the host watches the guest's monitor pages); a server handling MNF itself makes it
    // Enabled and assigns its own id (the lowest free of 128).
    let mnf = 'disabled';
    if (rc.monitorId !== undefined) {
      if (this.handlesMnf) {
        const used = new Set(this.channels_.map((x) => x.monitorId).filter((m): m is number => m !== undefined));
        let id = 0;
        while (used.has(id)) id++;
        rc.monitorId = id < 128 ? id : undefined;
        mnf = rc.monitorId === undefined ? 'disabled' : 'paravisor';
      } else {
        mnf = 'relayed';
      }
    }
    this.channels_.push(rc);
    this.tracer.state(this.party, 'channel', 'none', 'ClientReleased', { detail: { ...detail, mnf, ...(rc.monitorId !== undefined ? { monitorId: rc.monitorId } : {}) } });
    if (this.conn_.state === 'Connected' && this.conn_.offersSent) this.hotAdd(rc);
  }

  // ---------------------------------------------------------------------------- GPADLs

  /**
   * GPADL_HEADER (OpenVMM channels.rs, openvmm §2.3): range_buflen / 8 is the capacity in u64s of
   * the whole range buffer (range headers + PFNs); the header's data fills it first, GPADL_BODY
   * messages append the rest. When the buffer is full the ranges are validated: they must describe
   * exactly the pages the buffer holds, else GpadlCreated(STATUS_UNSUCCESSFUL).
   */
  private gpadlHeader(j: Json): void {
    const relid = Number(j.child_relid);
    const gpadl = Number(j.gpadl);
    const c = this.channelById(relid);
    const ranges = (j.range as { byte_count: number; byte_offset: number; pfn_array: unknown[] }[]) ?? [];
    const capacity = Math.floor(Number(j.range_buflen ?? 0) / 8);
    const inHeader = ranges.reduce((n, r) => n + 1 + r.pfn_array.length, 0);
    const dupInProgress = this.pendingGpadl.has(gpadl);
    if (!c || c.state === 'ClientReleased' || c.state === 'ClosingClientRelease' || c.gpadls.has(gpadl) || dupInProgress) {
      if (dupInProgress) this.log('synic message error: DuplicateGpadlId');
      this.send({ msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: relid, gpadl, creation_status: STATUS_UNSUCCESSFUL });
      return;
    }
    const remaining = capacity - Math.min(inHeader, capacity);
    // Range validity is known from the header's range descriptors: rangecount range headers plus
    // ceil((offset + len) / 4096) PFNs each must fill the buffer exactly.
    const expected = ranges.reduce((n, r) => n + 1 + pagesSpanned(Number(r.byte_count), Number(r.byte_offset)), 0) + Math.max(0, Number(j.rangecount ?? ranges.length) - ranges.length);
    const valid = capacity > 0 && expected === capacity && ranges.every((r) => Number(r.byte_count) !== 0 && Number(r.byte_offset) <= 0xfff);
    c.gpadls.set(gpadl, { state: remaining === 0 ? 'Offered' : 'InProgress', pages: remaining });
    if (remaining === 0) {
      if (!valid) { this.gpadlInvalid(c, gpadl); return; }
      this.tracer.state(this.party, 'gpadl', 'none', 'Offered', { relid, gpadl });
      this.gpadlComplete(c, gpadl, j);
    } else {
      this.tracer.state(this.party, 'gpadl', 'none', 'InProgress', { relid, gpadl });
      this.pendingGpadl.set(gpadl, { relid, header: j, bodies: [], valid });
    }
  }

  /** An invalid GPA range: the GPADL is dropped and the guest told (the id may be reused). */
  private gpadlInvalid(c: ServerChannel, gpadl: number): void {
    c.gpadls.delete(gpadl);
    this.log('synic message error: InvalidGpaRange');
    this.tracer.state(this.party, 'gpadl', 'none', 'removed', { relid: c.id, gpadl });
    this.send({ msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: c.id, gpadl, creation_status: STATUS_UNSUCCESSFUL });
  }

  private gpadlBody(j: Json): void {
    const gpadl = Number(j.gpadl);
    const p = this.pendingGpadl.get(gpadl);
    if (!p) { this.log('synic message error: UnknownGpadlId'); return; }
    const c = this.channelById(p.relid);
    const g = c?.gpadls.get(gpadl);
    if (!c || !g) { this.pendingGpadl.delete(gpadl); return; }
    p.bodies.push(j);
    // The effective length is min(data, remaining capacity) (openvmm §2.3 UEFI note).
    g.pages -= Math.min((j.pfn as unknown[]).length, g.pages);
    if (g.pages <= 0) {
      this.pendingGpadl.delete(gpadl);
      if (!p.valid) { this.gpadlInvalid(c, gpadl); return; }
      g.state = 'Offered';
      this.tracer.state(this.party, 'gpadl', 'InProgress', 'Offered', { relid: p.relid, gpadl });
      this.gpadlComplete(c, gpadl, p.header, p.bodies);
    }
  }

  /** GPADL fully received: the device (or, for a relayed channel, the host through the relay) accepts it. */
  private gpadlComplete(c: ServerChannel, gpadl: number, header: Json, bodies: Json[] = []): void {
    if (c.state === 'Revoked') {
      c.gpadls.get(gpadl)!.state = 'Accepted';
      this.send({ msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: c.id, gpadl, creation_status: 0 });
      return;
    }
    if (this.isRelayed(c)) { this.backend!.gpadl(c, gpadl, header, bodies); return; }
    const f = this.channelFault('gpadl-fails', c);
    this.clock.schedule(T.deviceWork, () => {
      const g = c.gpadls.get(gpadl);
      if (!g) return;
      let status = 0;
      if (f) { status = Number(f.params.status ?? 0xc0000001); this.faults.event(f, 'gpadl-fails', `GPADL ${hexNum(gpadl)} of ${c.dev.name} fails with ${hexNum(status)}`); }
      if (status === 0) { g.state = 'Accepted'; this.tracer.state(this.party, 'gpadl', 'Offered', 'Accepted', { relid: c.id, gpadl }); }
      else { c.gpadls.delete(gpadl); this.tracer.state(this.party, 'gpadl', 'Offered', 'removed', { relid: c.id, gpadl }); }
      this.send({ msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: c.id, gpadl, creation_status: status }, c.dev.source);
    });
  }

  /**
   * The first fault of `kind` whose channel triggers match channel `c`: `device`, `relid` (the
   * relid this server gave it) and `nth` (the nth time the others matched).
   */
  private channelFault(kind: string, c: ServerChannel): FaultConfig | undefined {
    return this.faults.find(kind, (f) => (f.trigger.device === undefined || f.trigger.device === c.dev.name)
      && (f.trigger.relid === undefined || f.trigger.relid === c.id)
      && (f.trigger.nth === undefined || f.trigger.nth === this.faults.countUse(f)));
  }

  /** The relay's host answered GPADL_CREATED for a relayed channel. */
  relayedGpadlCreated(c: ServerChannel, gpadl: number, status: number): void {
    const g = c.gpadls.get(gpadl);
    if (g) { if (status === 0) g.state = 'Accepted'; else c.gpadls.delete(gpadl); }
    this.send({ msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: c.id, gpadl, creation_status: status });
  }

  private teardown(j: ChannelMessageOf<'CHANNELMSG_GPADL_TEARDOWN'>): void {
    const c = this.channelById(Number(j.child_relid));
    const gpadl = Number(j.gpadl);
    const g = c?.gpadls.get(gpadl);
    if (!c || !g || g.state !== 'Accepted') { this.log('synic message error: InvalidGpadlState'); return; }
    const torndown = () => { c.gpadls.delete(gpadl); this.send({ msgtype: 'CHANNELMSG_GPADL_TORNDOWN', gpadl }); };
    if (c.state === 'Revoked') { torndown(); return; }
    g.state = 'TearingDown';
    if (this.isRelayed(c)) { this.backend!.teardownGpadl(c, gpadl, torndown); return; }
    this.clock.schedule(T.deviceWork, torndown);
  }

  // ---------------------------------------------------------------------------- open / close

  private open(j: ChannelMessageOf<'CHANNELMSG_OPENCHANNEL'>): void {
    const relid = Number(j.child_relid);
    const c = this.channelById(relid);
    if (!c) { this.log('synic message error: UnknownChannelId'); return; }
    if (c.state === 'Revoked') return; // silently ignored
    if (c.state === 'Closing') {
      // openvmm §2.2: there is no close-complete message to the guest, so a reopen while the device
      // is still closing is remembered (ClosingReopen) and run when the close completes.
      c.reopen = j;
      this.transition(c, 'ClosingReopen');
      return;
    }
    if (c.state !== 'Closed') { this.log(`synic message error: ChannelAlreadyOpen (relid ${relid})`); return; }
    c.openId = Number(j.openid);
    const feats = this.conn_.features;
    const signal: OpenSignal = (feats & 0x1) !== 0
      ? { connectionId: Number(j.connection_id ?? 0), eventFlag: Number(j.event_flag ?? 0), flags: 0 }
      : { connectionId: (c.id | 0x2000) >>> 0, eventFlag: c.id & 0xffff, flags: 0 };
    if ((feats & 0x2) !== 0) signal.flags = Number(j.flags ?? 0);
    c.signal = signal;
    this.transition(c, 'Opening');
    // open_channel: add_event_port(connection_id, ..., monitor_info); monitor_info is there when the
    // channel was offered with a monitor id (the connection has monitor pages) and this server
    // handles MNF (a relayed id under MnfUsage::Relayed stays the host's business).
    if (this.handlesMnf && this.conn_.monitorPages && c.monitorId !== undefined && this.ports.registerMonitor) {
      this.ports.registerMonitor(c.monitorId, signal.connectionId);
      this.monitorPorts.set(c, c.monitorId);
    }
    const rdo = c.pendingRescindDuringOpen ? undefined : this.channelFault('rescind-during-open', c);
    if (rdo && !c.pendingRescindDuringOpen) {
      c.pendingRescindDuringOpen = true;
      this.faults.event(rdo, 'rescind-during-open', `${c.dev.name} rescinded while OPENCHANNEL is pending`);
      if (this.isRelayed(c)) this.backend!.revokeFromHost(c);
      else this.revoke(c, rdo.source);
      return;
    }
    if (this.isRelayed(c)) { this.backend!.open(c, j, signal); return; }
    const f = this.channelFault('open-fails', c);
    this.clock.schedule(T.deviceWork, () => {
      if (c.state !== 'Opening') return;
      let status = 0;
      if (f) { status = Number(f.params.status ?? STATUS_UNSUCCESSFUL); this.faults.event(f, 'open-fails', `open of ${c.dev.name} fails with ${hexNum(status)}`); }
      this.transition(c, status === 0 ? 'Open' : 'Closed');
      this.send({ msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', child_relid: relid, openid: c.openId ?? relid, status }, c.dev.source);
      if (status === 0) this.offerSubchannels(c);
    });
  }

  /**
   * MODIFY_CHANNEL (openvmm §2.2, from 4.1): target_vp 0xFFFFFFFF, an unknown channel or one not
   * Open is an error; every answer, errors included, is a ModifyChannelResponse, sent only from
   * Iron (5.3). A relayed channel's modify goes to the host.
   */
  private modifyChannel(j: ChannelMessageOf<'CHANNELMSG_MODIFYCHANNEL'>): void {
    const v = this.conn_.version;
    if (v < 0x40001) { this.log('synic message error: InvalidMessageType(CHANNELMSG_MODIFYCHANNEL)'); return; }
    const relid = Number(j.child_relid);
    const vp = Number(j.target_vp);
    const c = this.channelById(relid);
    const respond = (status: number) => { if (v >= 0x50003) this.send({ msgtype: 'CHANNELMSG_MODIFYCHANNEL_RESPONSE', child_relid: relid, status }); };
    const err = vp === 0xffffffff ? 'InvalidTargetVp' : !c ? 'UnknownChannelId' : c.state !== 'Open' ? 'InvalidChannelState' : undefined;
    if (err || !c) { this.log(`synic message error: ${err}`); respond(STATUS_UNSUCCESSFUL); return; }
    const retargeted = (status: number) => {
      if (status === 0) this.tracer.state(this.party, 'channel-vp', 'modifying', `vp ${vp}`, { relid, detail: { targetVp: vp } });
      respond(status);
    };
    if (this.isRelayed(c)) { this.backend!.modify(c, vp, retargeted); return; }
    this.clock.schedule(T.deviceWork, () => retargeted(0));
  }

  /**
   * MODIFY_CONNECTION (channels.rs modify_connection, from Copper with modify_connection): new
   * monitor pages for the connection. Without the feature it does not parse
   * (test_modify_connection_unsupported). Refused with FAILED_UNKNOWN_FAILURE: server-allocated
   * pages, one page zero and the other not, or (lib.rs set_monitor_page) an open channel using MNF.
   * Else the pages are the connection's and, with no relay behind this server, the answer is
   * SUCCESSFUL (the stand-in relay's Modified(SUCCESSFUL)).
   */
  private modifyConnection(j: ChannelMessageOf<'CHANNELMSG_MODIFY_CONNECTION'>): void {
    const c = this.conn_;
    if (c.version < 0x60000 || (c.features & 0x4) === 0) { this.log('synic message error: ParseError(InvalidMessageType(MODIFY_CONNECTION))'); return; }
    const p2c = BigInt(String(j.monitor_page1));
    const c2p = BigInt(String(j.monitor_page2));
    const respond = (connection_state: number) => this.send({ msgtype: 'CHANNELMSG_MODIFY_CONNECTION_RESPONSE', connection_state });
    if (c.modifying) {
      // A second MODIFY_CONNECTION while one is in flight: "Duplicate ModifyConnection request";
      // handle_modify_connection answers it FAILED_UNKNOWN_FAILURE at once through
      // complete_modify_connection, which clears `modifying`, and the pages stay the first's.
      // The first one's completion then finds no modify in flight, where OpenVMM panics
      // ("ModifyConnection response while not modifying"); our reading: it is dropped with an
      // error log (docs/readings.md).
      c.modifying = false;
      this.log('modifying connection failed: Duplicate ModifyConnection request');
      respond(CONNECTION_FAILED_UNKNOWN_FAILURE);
      return;
    }
    const err = c.serverAllocatedMonitorPages ? 'Cannot modify server-allocated monitor pages'
      : (p2c === 0n) !== (c2p === 0n) ? 'Guest must specify either both or no monitor pages'
        : c.monitorPages && this.channels_.some((x) => x.state === 'Open' && x.monitorId !== undefined) ? 'attempt to change monitor page while open channels using mnf'
          : undefined;
    if (err) { this.log(`modifying connection failed: ${err}`); respond(CONNECTION_FAILED_UNKNOWN_FAILURE); return; }
    c.monitorPages = c2p !== 0n;
    this.tracer.log(this.party, 'info', c.monitorPages ? `modify connection: monitor pages ${hexNum(p2c)} (parent→child), ${hexNum(c2p)} (child→parent)` : 'modify connection: no monitor pages');
    c.modifying = true;
    this.clock.schedule(T.deviceWork, () => {
      if (this.conn_ === c && !c.modifying) { this.tracer.log(this.party, 'err', 'ModifyConnection response while not modifying: dropped (OpenVMM panics here)'); return; }
      c.modifying = false;
      respond(0);
    });
  }

  /**
   * A signal on a connection id this server registered (SynicPortMap::handle_signal_event), here
   * from OpenHCL's monitor page (signal_mnf): the event port of the channel opened with that
   * connection id. OpenHCL's own device is signalled in VTL2; a relayed channel's port is the
   * relay's guest_to_host_interrupt, which signals the host. Returns the channel, if any.
   */
  monitorSignal(s: { monitorId: number; group: number; bit: number; connectionId: number }): ServerChannel | undefined {
    const c = [...this.monitorPorts.keys()].find((x) => x.signal?.connectionId === s.connectionId && (x.state === 'Open' || x.state === 'Opening'));
    if (!c) { this.tracer.log(this.party, 'warn', `failed to signal mnf: no event port for connection id ${hexNum(s.connectionId)}`); return undefined; }
    const relayed = this.isRelayed(c);
    this.tracer.state(this.party, 'monitor-trigger', 'pending', relayed ? 'relayed' : 'signalled', {
      relid: c.id,
      detail: { monitorId: s.monitorId, group: s.group, bit: s.bit, connectionId: hexNum(s.connectionId), device: c.dev.name, ...(relayed ? { relayed: true, hostRelid: c.hostRelid ?? null } : {}) },
    });
    if (relayed) this.backend!.signalHost(c);
    return c;
  }

  /** The relay's host answered OPENCHANNEL_RESULT for a relayed channel. */
  relayedOpenResult(c: ServerChannel, status: number): void {
    if (c.state !== 'Opening') return;
    this.transition(c, status === 0 ? 'Open' : 'Closed');
    this.send({ msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', child_relid: c.id, openid: c.openId ?? c.id, status });
  }

  private close(j: ChannelMessageOf<'CHANNELMSG_CLOSECHANNEL'>): void {
    const c = this.channelById(Number(j.child_relid));
    if (!c) { this.log('synic message error: UnknownChannelId'); return; }
    if (c.state === 'Revoked') return;
    if (c.state !== 'Open') { this.log('synic message error: ChannelNotOpen'); return; }
    this.transition(c, 'Closing');
    if (this.isRelayed(c)) this.backend!.close(c);
    this.clock.schedule(T.deviceWork, () => this.closeComplete(c));
  }

  /** The device finished closing (OpenVMM close_complete). */
  private closeComplete(c: ServerChannel): void {
    if (c.state === 'Closing') {
      this.transition(c, 'Closed');
    } else if (c.state === 'ClosingReopen') {
      this.transition(c, 'Closed');
      const j = c.reopen!;
      c.reopen = undefined;
      this.open(j);
    } else if (c.state === 'ClosingClientRelease') {
      this.transition(c, 'ClientReleased');
      c.id = 0;
    }
  }

  private release(j: ChannelMessageOf<'CHANNELMSG_RELID_RELEASED'>): void {
    const c = this.channelById(Number(j.child_relid));
    if (!c) { this.log('synic message error: UnknownChannelId'); return; }
    if (c.state === 'Opening' || c.state === 'Open' || c.state === 'ClosingReopen') { this.log('synic message error: InvalidChannelState'); return; }
    const from = c.state;
    if (c.state === 'Closing') {
      // Released while the device is still closing: ClientReleased once the close completes.
      this.transition(c, 'ClosingClientRelease');
      return;
    }
    if (c.state === 'Revoked') {
      this.channels_.splice(this.channels_.indexOf(c), 1);
      this.tracer.state(this.party, 'channel', from, 'deleted', { relid: c.id });
      if (this.isRelayed(c)) this.backend!.released(c);
    } else {
      this.transition(c, 'ClientReleased');
      c.id = 0;
    }
  }

  private unload(): void {
    const hostIgnores = this.party === 'host' && this.faults.find('host-ignores-unload');
    if (hostIgnores) { this.faults.event(hostIgnores, 'host-ignores-unload', 'host does not answer CHANNELMSG_UNLOAD'); return; }
    this.disconnect(() => this.clock.schedule(T.deviceWork, () => this.send({ msgtype: 'CHANNELMSG_UNLOAD_RESPONSE' })), false);
  }

  /**
   * request_disconnect (Unload or Reconnect): open channels are closed first, then `next` (openvmm
   * §2.1: every channel is client-released; its accepted GPADLs are torn down and its device
   * closes, and check_disconnected waits for them). For a relayed channel the device is the host:
   * the relay forwards the close and the GPADL teardowns and waits for the host's GPADL_TORNDOWN.
   * notify_disconnect: once everything is reset the server tells the relay (monitor pages Reset);
   * a server that does not handle MNF has the relay clear the host's pages first (MODIFY_CONNECTION
   * with none), and `next` waits for the host's answer (complete_disconnect). `disconnecting`: the
   * connection stays Disconnecting until then (a reconnect's new InitiateContact waits).
   */
  private disconnect(next: () => void, disconnecting: boolean): void {
    let waiting = 0;
    const done = this.backend && !this.handlesMnf ? () => this.backend!.modifyConnection(null, next) : next;
    if (this.handlesMnf) this.ports.setMonitorPage?.(null);
    // client_release_channel: a channel's accepted GPADLs get TeardownGpadl first, then an open
    // channel gets Close, on the same channel request queue; the relay forwards both in that order
    // (handle_gpadl_teardown does not wait for the host's GpadlTorndown, "the channel is still open").
    for (const c of this.channels_) {
      const relay = this.isRelayed(c) && c.hostRelid !== undefined;
      if (relay) {
        for (const [gpadl, g] of c.gpadls) {
          if (g.state !== 'Accepted') continue;
          waiting++;
          this.backend!.teardownGpadl(c, gpadl, () => { if (--waiting === 0) done(); });
        }
      }
      if (c.state === 'Open' || c.state === 'Opening') {
        if (relay && c.state === 'Open') this.backend!.close(c);
        this.transition(c, 'Closed');
      }
    }
    this.conn_ = disconnecting ? { ...newConn(), state: 'Disconnecting' } : newConn();
    this.resetChannels();
    if (!disconnecting) this.tracer.state(this.party, 'connection', 'Connected', 'Disconnected', {});
    if (waiting === 0) done();
  }

  // ---------------------------------------------------------------------------- device side

  /** Device revoke (OpenVMM): GPADL cleanup, then RescindChannelOffer. */
  revoke(c: ServerChannel, source?: SourceRef): void {
    if (c.subIndex === 0) {
      // A device revoking its primary revokes its subchannels first: the guest gets every
      // subchannel's rescind before the primary's (test_revoke_subchannels_before_primary).
      const subs = this.channels_.filter((x) => x !== c && x.subIndex > 0 && x.dev === c.dev && x.instanceGuid === c.instanceGuid && x.state !== 'Revoked');
      for (const sc of subs) this.revoke(sc, source);
    }
    if (c.state === 'ClientReleased' || c.state === 'ClosingClientRelease') { this.channels_.splice(this.channels_.indexOf(c), 1); return; }
    this.transition(c, 'Revoked');
    for (const [id, g] of c.gpadls) {
      if (g.state === 'Offered') { c.gpadls.delete(id); this.send({ msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: c.id, gpadl: id, creation_status: STATUS_UNSUCCESSFUL }); }
      if (g.state === 'TearingDown') { c.gpadls.delete(id); this.send({ msgtype: 'CHANNELMSG_GPADL_TORNDOWN', gpadl: id }); }
    }
    this.send({ msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: c.id }, source);
  }

  /** An edit (debugger setValue) of an offer not sent yet. */
  setUnsentOfferFlags(c: ServerChannel, flags: number): boolean {
    if (c.state !== 'ClientReleased') return false;
    c.flags = flags;
    c.originalFlags = flags;
    return true;
  }
}

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

export function encodeOrThrow(json: Json): Uint8Array {
  const r = encodeMessage(json);
  if (!r.ok) throw new Error(`protocol encode failed for ${String(json.msgtype)}: ${r.error.message}`);
  return r.bytes;
}
