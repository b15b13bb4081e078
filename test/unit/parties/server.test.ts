// The VMBus server (model/server) driven alone by raw channel messages through a fake port, the
// way OpenVMM's vmbus_server channels/tests.rs drives its Server through a TestEnv. Expected
// values come from that test file and from /work/shared/reference/openvmm-vmbus.md (§2.1–2.3).
import * as assert from 'node:assert/strict';
import { VmbusServer } from '../../../src/simulator/model/server/server';
import type { ServerPorts } from '../../../src/simulator/model/server/ports';
import { channelFor, type ServerClient } from '../../../src/simulator/model/server/types';
import { defaultDevices } from '../../../src/simulator/engine/defaults';
import type { DeviceConfig, FaultConfig } from '../../../src/simulator/model/config';
import type { Json } from '../../../src/simulator/model/tracer';
import { bytes, decoded, env, type Env } from './harness';

const WIN10 = 0x40000; // Version::Win10 (4.0)
const WIN10_RS3_1 = 0x50000; // Version::Win10Rs3_1 (5.0): child connection id from here on
const WIN10_RS5 = 0x50002; // 5.2
const COPPER = 0x60000; // Version::Copper (6.0): VersionResponse2 with supported_features
const STATUS_UNSUCCESSFUL = 0x8000ffff;

interface Harness extends Env {
  server: VmbusServer;
  /** Messages the server sent its client, decoded, oldest first; take() empties the list. */
  take(): Json[];
  retargets: number[];
  /** Messages sent to an explicit SINT (MessageTarget::Custom): vp, sint, message. */
  custom: { vp: number; sint: number; msg: Json }[];
  post(json: Json, opts?: { trusted?: boolean; multiclient?: boolean; client?: ServerClient }): void;
}

function harness(opts: { party?: 'paravisor' | 'host'; maxFlags?: number; devices?: DeviceConfig[]; faults?: FaultConfig[] } = {}): Harness {
  const e = env(opts.faults ?? []);
  let sent: Json[] = [];
  const retargets: number[] = [];
  const custom: { vp: number; sint: number; msg: Json }[] = [];
  const ports: ServerPorts = {
    send: (_client, b) => { sent.push(decoded(b)); },
    sendToSint: (_client, b, vp, sint) => { custom.push({ vp, sint, msg: decoded(b) }); },
    retargetMessages: (vp) => { retargets.push(vp); },
    offered: () => undefined,
    newGuid: () => '00000000-0000-4000-8000-000000000000',
  };
  const server = new VmbusServer({ party: opts.party ?? 'host', versions: [COPPER, 0x50003, WIN10_RS5, 0x50001, WIN10_RS3_1, 0x40001, WIN10, 0x30000, 0x20004], maxFlags: opts.maxFlags ?? (opts.party === 'paravisor' ? 0xffffffff : 0x6f), requireServerMnf: false }, e.clock, e.tracer, e.faults, ports);
  for (const d of opts.devices ?? [{ ...defaultDevices()[0], monitorId: undefined }]) server.addDevice(channelFor(d, d.instanceGuid));
  return {
    ...e, server, retargets, custom,
    take: () => { const s = sent; sent = []; return s; },
    post: (json, o = {}) => server.receive(o.client ?? 'guest', bytes(json), o.trusted ?? false, o.multiclient ?? false),
  };
}

function contact(version: number, extra: Json = {}): Json {
  return { msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: version, target_vcpu: 0, monitor_page1: 0, monitor_page2: 0, ...(version >= WIN10_RS3_1 ? { msg_sint: 2, msg_vtl: 0, feature_flags: 0 } : { interrupt_page: 0 }), ...extra };
}

/** Connected at `version` with the offers sent; returns the offer of the first channel. */
function connected(h: Harness, version = WIN10_RS5): Json {
  h.post(contact(version));
  h.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' });
  const out = h.take();
  assert.deepEqual(out.map((m) => m.msgtype), ['CHANNELMSG_VERSION_RESPONSE', 'CHANNELMSG_OFFERCHANNEL', 'CHANNELMSG_ALLOFFERS_DELIVERED']);
  return out[1];
}

function gpadlHeader(relid: number, gpadl: number, pages: number, buflen = 8 + 8 * pages): Json {
  const pfns = Array.from({ length: Math.min(pages, 26) }, (_, i) => 0x1000 + i);
  return { msgtype: 'CHANNELMSG_GPADL_HEADER', child_relid: relid, gpadl, range_buflen: buflen, rangecount: 1, range: [{ byte_count: pages * 4096, byte_offset: 0, pfn_array: pfns }] };
}

function openMsg(relid: number): Json {
  return { msgtype: 'CHANNELMSG_OPENCHANNEL', child_relid: relid, openid: relid, ringbuffer_gpadlhandle: 1, target_vp: 3, downstream_ringbuffer_pageoffset: 2 };
}

describe('parties: VMBus server driven alone (OpenVMM channels/tests.rs)', () => {
  describe('version negotiation', () => {
    it('an unknown version is refused: version_supported 0, selected 0, still Disconnected (test_version_negotiation_not_supported)', () => {
      const h = harness();
      h.post(contact(0xffffffff));
      const [r] = h.take();
      assert.equal(r.msgtype, 'CHANNELMSG_VERSION_RESPONSE');
      assert.equal(r.version_supported, 0);
      assert.equal(r.msg_conn_id, 0);
      assert.equal(h.server.conn.state, 'Disconnected');
      assert.deepEqual(h.retargets, []);
    });

    it('Win10 (4.0) is accepted with the version as selected_version_or_connection_id and no features (test_version_negotiation_success)', () => {
      const h = harness();
      h.post(contact(WIN10));
      const [r] = h.take();
      assert.deepEqual([r.version_supported, r.msg_conn_id, r.supported_features], [1, WIN10, undefined]);
      assert.equal(h.server.conn.state, 'Connected');
      assert.equal(h.server.conn.version, WIN10);
      assert.deepEqual(h.retargets, [0]);
    });

    it('from 5.0 the answer carries the child connection id 1', () => {
      const h = harness();
      h.post(contact(WIN10_RS3_1));
      assert.equal(h.take()[0].msg_conn_id, 1);
    });

    it('on the multiclient port a SINT other than 2 is refused on that SINT; on the plain port it is ignored (test_version_negotiation_multiclient_sint)', () => {
      const h = harness();
      h.post(contact(WIN10_RS3_1, { msg_sint: 3 }), { multiclient: true });
      assert.deepEqual(h.take(), []);
      assert.deepEqual(h.custom.map((c) => [c.vp, c.sint, c.msg.msgtype, c.msg.version_supported]), [[0, 3, 'CHANNELMSG_VERSION_RESPONSE', 0]]);
      assert.equal(h.server.conn.state, 'Disconnected');
      h.post(contact(WIN10_RS3_1, { msg_sint: 3 }), { multiclient: false });
      assert.equal(h.take()[0].version_supported, 1);
      assert.equal(h.server.conn.state, 'Connected');
    });

    it('Copper (6.0) echoes the supported subset of the requested feature flags (test_version_negotiation_feature_flags)', () => {
      const cases: [number, number][] = [
        [0, 0],
        [0x1, 0x1], // guest_specified_signal_parameters
        [(0x1 | 0xf0000000) >>> 0, 0x1], // unknown bits dropped, the supported ones reported
        [0x8, 0x8], // client_id
      ];
      for (const [requested, expected] of cases) {
        const h = harness();
        h.post(contact(COPPER, { feature_flags: requested }));
        const [r] = h.take();
        assert.equal(r.version_supported, 1);
        assert.equal(r.supported_features, expected, `requested ${requested.toString(16)}`);
        assert.equal(h.server.conn.features, expected);
      }
    });

    it('gpa_pinning is not granted by a server without pinning support (test_version_negotiation_gpa_pinning_requires_server_support, first half)', () => {
      // The model's servers (OpenHCL's and the host's) have no GPA pinning support, whatever the
      // platform's feature mask allows; OpenVMM's second half (a server with support) has no counterpart.
      const h = harness({ maxFlags: 0xffffffff });
      h.post(contact(COPPER, { feature_flags: 0x80 }));
      assert.equal(h.take()[0].supported_features, 0);
    });

    it('a trusted connection ignores an untrusted InitiateContact (openvmm §2.1: the trust check follows parsing)', () => {
      const h = harness({ party: 'paravisor' });
      h.post(contact(COPPER, { feature_flags: 0x10 }), { trusted: true });
      assert.equal(h.take()[0].supported_features, 0x10);
      h.post(contact(WIN10), { trusted: false });
      assert.deepEqual(h.take(), []);
      assert.equal(h.server.conn.version, COPPER);
      assert.ok(h.logs().includes('synic message error: UntrustedMessage (CHANNELMSG_INITIATE_CONTACT)'));
    });

    it('before Connected only InitiateContact parses', () => {
      const h = harness();
      h.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' });
      assert.deepEqual(h.take(), []);
      assert.deepEqual(h.logs(), ['synic message error: InvalidMessageType(CHANNELMSG_REQUESTOFFERS)']);
    });
  });

  describe('offers', () => {
    it('REQUESTOFFERS: channel id 1, connection id 0x2001, dedicated interrupt, monitor id 0xff, then AllOffersDelivered (test_channel_lifetime)', () => {
      const h = harness();
      const offer = connected(h);
      assert.equal(offer.child_relid, 1);
      assert.equal(offer.connection_id, 0x2001);
      assert.equal(offer.is_dedicated_interrupt, 1);
      assert.equal(offer.monitorid, 0xff);
      assert.equal(offer.monitor_allocated, 0);
      h.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' });
      assert.deepEqual(h.take(), []);
      assert.ok(h.logs().includes('synic message error: OffersAlreadySent'));
    });

    it('the confidential flags 0x2/0x4 are masked unless the connection has confidential_channels (send_offer)', () => {
      const dev: DeviceConfig = { ...defaultDevices()[0], chnFlags: 0x0006, monitorId: undefined };
      const untrusted = harness({ party: 'paravisor', devices: [dev] });
      untrusted.post(contact(COPPER, { feature_flags: 0x10 }), { trusted: false });
      untrusted.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' });
      assert.equal((untrusted.take()[1].offer as Json).chn_flags, 0);
      const trusted = harness({ party: 'paravisor', devices: [dev] });
      trusted.post(contact(COPPER, { feature_flags: 0x10 }), { trusted: true });
      trusted.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' }, { trusted: true });
      assert.equal((trusted.take()[1].offer as Json).chn_flags, 0x6);
    });
  });

  describe('GPADL, open, close, reopen', () => {
    it('GPADL_HEADER whose range fills range_buflen exactly → GPADL_CREATED status 0 once the device accepts it', () => {
      const h = harness();
      connected(h);
      h.post(gpadlHeader(1, 0xe1e10, 4));
      assert.deepEqual(h.take(), [], 'the device answers later');
      h.run();
      assert.deepEqual(h.take(), [{ msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: 1, gpadl: 0xe1e10, creation_status: 0 }]);
      assert.deepEqual(h.states('host', 'gpadl'), ['none>Offered', 'Offered>Accepted']);
    });

    it('a GPADL split over GPADL_BODY messages completes when the buffer is full', () => {
      const h = harness();
      connected(h);
      h.post(gpadlHeader(1, 7, 40)); // 26 PFNs in the header, 14 to come
      assert.deepEqual(h.states('host', 'gpadl'), ['none>InProgress']);
      h.post({ msgtype: 'CHANNELMSG_GPADL_BODY', msgnumber: 0, gpadl: 7, pfn: Array.from({ length: 14 }, (_, i) => 0x2000 + i) });
      h.run();
      assert.equal(h.take()[0].creation_status, 0);
      assert.deepEqual(h.states('host', 'gpadl'), ['none>InProgress', 'InProgress>Offered', 'Offered>Accepted']);
    });

    it('a range that does not fill range_buflen is an InvalidGpaRange: GPADL_CREATED STATUS_UNSUCCESSFUL', () => {
      const h = harness();
      connected(h);
      h.post(gpadlHeader(1, 9, 4, 8 + 8 * 5)); // claims 5 PFNs' room, describes 4 pages
      h.post({ msgtype: 'CHANNELMSG_GPADL_BODY', msgnumber: 0, gpadl: 9, pfn: [0x3000] });
      assert.deepEqual(h.take(), [{ msgtype: 'CHANNELMSG_GPADL_CREATED', child_relid: 1, gpadl: 9, creation_status: STATUS_UNSUCCESSFUL }]);
      assert.ok(h.logs().includes('synic message error: InvalidGpaRange'));
    });

    it('open → OPENCHANNEL_RESULT status 0 with the guest\'s openid; close; a second close is ChannelNotOpen', () => {
      const h = harness();
      connected(h);
      h.post(openMsg(1));
      h.run();
      assert.deepEqual(h.take(), [{ msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', child_relid: 1, openid: 1, status: 0 }]);
      h.post({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: 1 });
      h.run();
      h.post({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: 1 });
      assert.deepEqual(h.states('host', 'channel'), ['Closed>Opening', 'Opening>Open', 'Open>Closing', 'Closing>Closed']);
      assert.ok(h.logs().includes('synic message error: ChannelNotOpen'));
      h.post(openMsg(1));
      h.run();
      assert.equal(h.take().at(-1)!.status, 0, 'reopened after the close completed');
    });

    it('OPEN while the device is still closing waits (ClosingReopen) and opens when the close completes (openvmm §2.2)', () => {
      const h = harness();
      connected(h);
      h.post(openMsg(1));
      h.run();
      h.take();
      h.post({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: 1 });
      h.post(openMsg(1));
      assert.equal(h.server.channels[0].state, 'ClosingReopen');
      h.run();
      assert.deepEqual(h.take().map((m) => [m.msgtype, m.status]), [['CHANNELMSG_OPENCHANNEL_RESULT', 0]]);
      assert.equal(h.server.channels[0].state, 'Open');
    });
  });

  describe('revoke in every state', () => {
    it('Closed (offered, not open): RESCIND_CHANNELOFFER; RELID_RELEASED then deletes the channel', () => {
      const h = harness();
      connected(h);
      h.server.revoke(h.server.channels[0]);
      assert.deepEqual(h.take(), [{ msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: 1 }]);
      h.post({ msgtype: 'CHANNELMSG_RELID_RELEASED', child_relid: 1 });
      assert.equal(h.server.channels.length, 0);
      assert.deepEqual(h.states('host', 'channel'), ['Closed>Revoked', 'Revoked>deleted']);
    });

    it('ClientReleased (never offered): removed with no message to the guest', () => {
      const h = harness();
      h.server.revoke(h.server.channels[0]);
      assert.deepEqual(h.take(), []);
      assert.equal(h.server.channels.length, 0);
    });

    it('a GPADL still Offered when the channel is revoked fails (STATUS_UNSUCCESSFUL) before the rescind', () => {
      const h = harness();
      connected(h);
      h.post(gpadlHeader(1, 5, 4));
      h.server.revoke(h.server.channels[0]);
      assert.deepEqual(h.take().map((m) => [m.msgtype, m.creation_status]), [['CHANNELMSG_GPADL_CREATED', STATUS_UNSUCCESSFUL], ['CHANNELMSG_RESCIND_CHANNELOFFER', undefined]]);
    });

    it('Open: rescinded; the accepted GPADL is still torn down on request; OPEN of a revoked channel is ignored', () => {
      const h = harness();
      connected(h);
      h.post(gpadlHeader(1, 5, 4));
      h.run();
      h.post(openMsg(1));
      h.run();
      h.take();
      h.server.revoke(h.server.channels[0]);
      assert.deepEqual(h.take(), [{ msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: 1 }]);
      h.post({ msgtype: 'CHANNELMSG_GPADL_TEARDOWN', child_relid: 1, gpadl: 5 });
      assert.deepEqual(h.take(), [{ msgtype: 'CHANNELMSG_GPADL_TORNDOWN', gpadl: 5 }]);
      h.post(openMsg(1));
      h.run();
      assert.deepEqual(h.take(), []);
    });

    it('while Opening: the device result never comes; the rescind does', () => {
      const h = harness();
      connected(h);
      h.post(openMsg(1));
      h.server.revoke(h.server.channels[0]);
      h.run();
      assert.deepEqual(h.take().map((m) => m.msgtype), ['CHANNELMSG_RESCIND_CHANNELOFFER']);
    });
  });

  describe('unload', () => {
    it('UNLOAD closes open channels, resets the connection and answers UNLOAD_RESPONSE after the devices', () => {
      const h = harness();
      connected(h);
      h.post(openMsg(1));
      h.run();
      h.take();
      h.post({ msgtype: 'CHANNELMSG_UNLOAD' });
      assert.equal(h.server.conn.state, 'Disconnected');
      assert.deepEqual([h.server.channels[0].state, h.server.channels[0].id], ['ClientReleased', 0]);
      assert.deepEqual(h.take(), []);
      h.run();
      assert.deepEqual(h.take(), [{ msgtype: 'CHANNELMSG_UNLOAD_RESPONSE' }]);
      // A new connection gets the offers again.
      connected(h);
    });
  });
});
