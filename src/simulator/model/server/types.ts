// The VMBus server's typed state (OpenVMM vmbus_server channels.rs): connection and channel
// states as unions, one record per offered channel.
import type { ChannelMessageOf } from '../../protocol/layouts';
import type { DeviceConfig, SourceRef } from '../config';

/** OpenVMM ConnectionState, as the trace names it. */
export type ServerConnectionState = 'Disconnected' | 'Connecting' | 'Connected' | 'Disconnecting';

/** OpenVMM ChannelState (channels.rs), as the trace names it. */
export type ServerChannelState =
  | 'ClientReleased' | 'Closed' | 'Opening' | 'Open' | 'Closing' | 'ClosingReopen' | 'ClosingClientRelease' | 'Revoked';

/** OpenVMM GpadlState. */
export type ServerGpadlState = 'InProgress' | 'Offered' | 'Accepted' | 'TearingDown';

/** Who the server's connection belongs to: the Linux guest, or OpenHCL's relay (the host's server only). */
export type ServerClient = 'guest' | 'relay';

export interface ServerConn {
  state: ServerConnectionState;
  version: number;
  features: number;
  trusted: boolean;
  offersSent: boolean;
  monitorPages: boolean;
  /** The monitor pages are the server's own (VersionResponse3); MODIFY_CONNECTION cannot change them. */
  serverAllocatedMonitorPages?: boolean;
  /** A MODIFY_CONNECTION is in flight (channels.rs ConnectionInfo.modifying). */
  modifying?: boolean;
}

/** A channel in a VMBus server (OpenVMM channels.rs Channel + ChannelState). */
export interface ServerChannel {
  key: string;
  dev: DeviceConfig;
  id: number; // channel id (relid) once assigned, else 0
  state: ServerChannelState;
  flags: number;
  originalFlags: number;
  monitorId?: number;
  relayed: boolean;
  hostRelid?: number; // for relayed channels: the host's relid
  hostConnId?: number;
  offerOrder: number;
  instanceGuid: string;
  classGuid: string;
  openId?: number;
  /** The signal parameters of the open (OpenParams: connection id, event flag, OpenChannelFlags). */
  signal?: { connectionId: number; eventFlag: number; flags: number };
  /** 0 = primary; >0 = subchannel (offered after the primary opens). */
  subIndex: number;
  subsOffered?: boolean;
  gpadls: Map<number, { state: ServerGpadlState; pages: number }>;
  pendingRescindDuringOpen?: boolean;
  /** An hv_sock connection's channel (offered for a TL_CONNECT_REQUEST): its offer carries the hvsock parameters. */
  hvsockOffer?: boolean;
  /** OPEN_CHANNEL received while Closing (OpenVMM ClosingReopen): replayed once the close completes. */
  reopen?: ChannelMessageOf<'CHANNELMSG_OPENCHANNEL'>;
  source?: SourceRef;
}

export function newConn(): ServerConn {
  return { state: 'Disconnected', version: 0, features: 0, trusted: false, offersSent: false, monitorPages: false };
}

/** A fresh channel record for a device (ClientReleased: not offered yet). */
export function channelFor(d: DeviceConfig, instanceGuid: string): ServerChannel {
  return {
    key: d.name, dev: d, id: 0, state: 'ClientReleased', flags: d.chnFlags, originalFlags: d.chnFlags, monitorId: d.monitorId,
    relayed: false, offerOrder: 0, instanceGuid, classGuid: d.classGuid, gpadls: new Map(), subIndex: 0,
  };
}
