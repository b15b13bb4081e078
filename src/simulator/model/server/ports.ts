// The VMBus server's ports: what it needs from the world (ServerPorts), what it hands a relayed
// channel's requests to (RelayBackend, OpenHCL's relay), and the plain data that crosses them. Kept
// apart from server.ts so the relay and the tests see the contract, not the state machine.
import type { SourceRef } from '../config';
import type { Json } from '../tracer';
import type { ServerChannel, ServerClient } from './types';

/** What a server needs from the world. */
export interface ServerPorts {
  /** Sends a channel message to the connected client (the guest through the SynIC, or the relay). */
  send(client: ServerClient | null, bytes: Uint8Array, name: string, relid: number | undefined, source?: SourceRef): void;
  /**
   * A message to a custom target (a VP and SINT the request named, not the connection's port):
   * never queued; dropped if that SINT cannot take it (openvmm §2.5).
   */
  sendToSint(client: ServerClient | null, bytes: Uint8Array, vp: number, sint: number): void;
  /** INITIATE_CONTACT from the guest accepted: its message port moves to target_vcpu. */
  retargetMessages(targetVcpu: number): void;
  /** An offer went out (scripted steps waiting for the device's offer). */
  offered(c: ServerChannel): void;
  /** A fresh instance GUID (drawn from the scenario seed) for a device that has none. */
  newGuid(): string;
  /**
   * Monitor pages this server allocates for a client that asked for server_specified_monitor_pages
   * (OpenVMM MonitorSupport::allocate_monitor_page): parent→child and child→parent GPAs, or none
   * when the server's SynIC cannot (then the feature is not granted).
   */
  allocateMonitorPages?(): { parentToChild: number; childToParent: number } | null;
  /**
   * A server handling MNF with a SynIC that watches monitor pages (OpenHCL: lib.rs set_monitor_page
   * → SynicMonitor::set_monitor_page with the child→parent page): the page in use, or none.
   */
  setMonitorPage?(gpa: number | null): void;
  /**
   * add_event_port with monitor_info (register_monitor): an opening channel's monitor id signals
   * the channel's connection id; null drops the registration (the event port goes away).
   */
  registerMonitor?(monitorId: number, connectionId: number | null): void;
}

/** A guest's hv_sock connect request as a server hands it on (OpenVMM vmbus_core HvsockConnectRequest). */
export interface HvsockRequest {
  endpoint: string;
  service: string;
  /** TlConnectRequest2's silo id (zero in the 40-byte form). */
  silo: string;
}

/** The monitor pages a connection uses (OpenVMM MonitorPageGpaInfo). */
export interface MonitorPageGpas { parentToChild: number; childToParent: number }

/** The relay as the paravisor's server sees it: where relayed channels' requests go (OpenHCL). */
export interface RelayBackend {
  /** The relay's own connection to the host (version gating and feature masking). */
  hostConnection(): { ok: boolean; version: number; features: number };
  /**
   * The guest's monitor pages changed (InitiateContact, or none at disconnect), for a server that
   * does not handle MNF itself (OpenVMM ModifyRelayRequest monitor_page Set / Reset): the relay
   * forwards them to the host with MODIFY_CONNECTION; `done` gets the host's connection_state.
   */
  modifyConnection(pages: MonitorPageGpas | null, done: (connectionState: number) => void): void;
  /**
   * The guest signalled a relayed channel (its event port, here through OpenHCL's monitor page):
   * the relay's guest_to_host_interrupt signals the host (vmbus_client signal_event).
   */
  signalHost(c: ServerChannel): void;
  gpadl(c: ServerChannel, gpadl: number, header: Json, bodies: Json[]): void;
  /** OPEN_CHANNEL of a relayed channel, with the signal parameters this server chose (OpenParams). */
  open(c: ServerChannel, j: Json, signal: OpenSignal): void;
  close(c: ServerChannel): void;
  teardownGpadl(c: ServerChannel, gpadl: number, done: () => void): void;
  /** MODIFYCHANNEL of a relayed channel, forwarded to the host; `done` gets the host's status. */
  modify(c: ServerChannel, targetVp: number, done: (status: number) => void): void;
  released(c: ServerChannel): void;
  /** The host revokes the channel (a device fault on a relayed channel). */
  revokeFromHost(c: ServerChannel): void;
  /**
   * A guest's TL_CONNECT_REQUEST (OpenHCL's server notifies the relay, which asks the host with
   * vmbus_client connect_hvsock); `done` gets whether the host offered the channel.
   */
  hvsockConnect(req: HvsockRequest, done: (success: boolean) => void): void;
}

/**
 * OpenVMM OpenParams' signal parameters (channels.rs OpenParams::from_request): the guest's
 * event_flag / connection_id when guest_specified_signal_parameters (0x1) was negotiated, else
 * event_flag = the channel id and connection_id = the one offered; the OpenChannelFlags only with
 * channel_interrupt_redirection (0x2).
 */
export interface OpenSignal { connectionId: number; eventFlag: number; flags: number }

export interface ServerOptions {
  party: 'paravisor' | 'host';
  versions: number[];
  maxFlags: number;
  /** OpenHCL on a CVM requires server-allocated monitor pages (guest pages ignored). */
  requireServerMnf: boolean;
  /**
   * The server handles MNF itself (OpenVMM VmbusServerBuilder::enable_mnf; OpenHCL's
   * OPENHCL_VMBUS_ENABLE_MNF). Not: its own devices' monitor ids are disabled and the guest's
   * monitor pages go to the relay. Default true (OpenVMM's host server enables it).
   */
  handlesMnf?: boolean;
}
