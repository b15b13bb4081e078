// The VMBus server's TL_CONNECT_REQUEST handling, driven alone by raw messages the way OpenVMM's
// vmbus_server channels/tests.rs test_hvsock_helper does (test_hvsock, test_hvsock_rs3,
// test_hvsock_rs5 with and without force_small_message). Expected values: OpenVMM vmbus_core
// protocol.rs (TL_CONNECT_REQUEST from Win10 = 4.0, TlConnectRequest2 with check_size from
// Win10Rs5 = 5.2, TL_CONNECT_REQUEST_RESULT from Win10Rs3_0 = 4.1, STATUS_CONNECTION_REFUSED
// 0xc0000236), channels.rs handle_tl_connect_request / send_tl_connect_result, hvsock.rs
// relay_guest_connect_to_host (interface id = service, instance id = endpoint; flags
// enumerate_device_interface | tlnpi_provider | named_pipe_mode; is_connect false).
import * as assert from 'node:assert/strict';
import { VmbusServer } from '../../../src/simulator/model/server/server';
import type { HvsockRequest, RelayBackend, ServerPorts } from '../../../src/simulator/model/server/ports';
import { defaultDevices } from '../../../src/simulator/engine/defaults';
import type { DeviceConfig } from '../../../src/simulator/model/config';
import type { Json } from '../../../src/simulator/model/tracer';
import { bytes, decoded, env, type Env } from './harness';

const SERVICE = '00001234-facb-11e6-bd58-64006a7986d3';
const ENDPOINT = '00000400-facb-11e6-bd58-64006a7986d3';
const SILO = '5a5a5a5a-1111-4222-8333-444444444444';
const REFUSED = 0xc0000236;

interface H extends Env { server: VmbusServer; take(): Json[]; post(json: Json): void; requests: HvsockRequest[]; answers: ((ok: boolean) => void)[]; answer?: (ok: boolean) => void }

function harness(party: 'host' | 'paravisor', listeners: DeviceConfig[] = []): H {
  const e = env();
  let sent: Json[] = [];
  const ports: ServerPorts = {
    send: (_c, b) => { sent.push(decoded(b)); }, sendToSint: () => undefined, retargetMessages: () => undefined, offered: () => undefined,
    newGuid: () => '00000000-0000-4000-8000-000000000000',
  };
  const server = new VmbusServer({ party, versions: [0x60000, 0x50003, 0x50002, 0x50001, 0x50000, 0x40001, 0x40000, 0x30000], maxFlags: 0x6f, requireServerMnf: false }, e.clock, e.tracer, e.faults, ports);
  for (const d of listeners) server.addHvsockListener(d);
  const h: H = {
    ...e, server, requests: [], answers: [],
    take: () => { e.run(); const s = sent; sent = []; return s; },
    post: (json) => server.receive('guest', bytes(json), false, false),
  };
  if (party === 'paravisor') {
    const backend: RelayBackend = {
      hostConnection: () => ({ ok: true, version: 0x60000, features: 0x6f }),
      gpadl: () => undefined, open: () => undefined, close: () => undefined, teardownGpadl: () => undefined, modify: () => undefined,
      released: () => undefined, revokeFromHost: () => undefined, modifyConnection: (_pages, done) => done(0), signalHost: () => undefined,
      hvsockConnect: (req, done) => { h.requests.push(req); h.answers.push(done); h.answer = done; },
    };
    server.attachRelay(backend);
  }
  return h;
}

function connect(h: H, version: number): void {
  h.post({ msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: version, target_vcpu: 0, monitor_page1: 0, monitor_page2: 0, ...(version >= 0x50000 ? { msg_sint: 2, msg_vtl: 0, feature_flags: 0 } : { interrupt_page: 0 }) });
  h.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' });
  h.take();
}

const small = { msgtype: 'CHANNELMSG_TL_CONNECT_REQUEST', guest_endpoint_id: ENDPOINT, host_service_id: SERVICE };
const big = { ...small, silo_id: SILO };

describe('parties: the server and TL_CONNECT_REQUEST (OpenVMM test_hvsock*)', () => {
  it('the two forms on the wire: 40 bytes (Linux, TlConnectRequest) and 56 (TlConnectRequest2, silo_id @40)', () => {
    assert.equal(bytes(small).length, 40);
    assert.equal(bytes(big).length, 56);
  });

  it('Win10 (4.0): a refused connect sends nothing (test_hvsock: no TlConnectResult before Win10Rs3_0)', () => {
    const h = harness('host');
    connect(h, 0x40000);
    h.post(small);
    assert.deepEqual(h.take(), []);
  });

  it('Win10Rs3_0 (4.1): a refused connect sends TlConnectResult{endpoint, service, STATUS_CONNECTION_REFUSED} (test_hvsock_rs3)', () => {
    const h = harness('host');
    connect(h, 0x40001);
    h.post(small);
    const out = h.take();
    assert.deepEqual(out.map((m) => [m.msgtype, m.guest_endpoint_id, m.host_service_id, m.status]), [['CHANNELMSG_TL_CONNECT_RESULT', ENDPOINT, SERVICE, REFUSED]]);
  });

  it('Win10Rs5 (5.2): both the 56-byte and the 40-byte form parse (test_hvsock_rs5, force_small_message)', () => {
    for (const m of [big, small]) {
      const h = harness('host');
      connect(h, 0x50002);
      h.post(m);
      assert.deepEqual(h.take().map((x) => x.msgtype), ['CHANNELMSG_TL_CONNECT_RESULT']);
    }
  });

  it('below Win10 the type does not parse: InvalidMessageType, nothing sent', () => {
    const h = harness('host');
    connect(h, 0x30000);
    h.post(small);
    assert.deepEqual(h.take(), []);
    assert.ok(h.logs().includes('synic message error: InvalidMessageType(CHANNELMSG_TL_CONNECT_REQUEST)'));
  });

  it('a listening service: a new channel is offered (hot add, lowest free id) with if_type = service, if_instance = endpoint, flags 0x2011, and no result message', () => {
    const sock: DeviceConfig = { ...defaultDevices()[0], name: 'sock0', className: 'hv_sock', classGuid: SERVICE, chnFlags: 0x2011, monitorId: undefined, hvsockListen: true };
    const h = harness('host', [sock]);
    connect(h, 0x50003);
    h.post(small);
    const out = h.take();
    assert.deepEqual(out.map((m) => m.msgtype), ['CHANNELMSG_OFFERCHANNEL']);
    const o = out[0].offer as Json;
    assert.deepEqual([o.if_type, o.if_instance, o.chn_flags, o.pipe_mode, out[0].child_relid], [SERVICE, ENDPOINT, 0x2011, 0, 1]);
    // HvsockUserDefinedParameters after pipe_type: is_for_guest_accept 0, is_for_guest_container 0, version RS5 = 1.
    assert.equal(String(o.user_def).padEnd(12, '0').slice(0, 12), '000001000000');
  });

  it("OpenHCL's server hands the request to the relay (notify_hvsock): the silo id only from Win10Rs5 with the long form; the relay's failure becomes TlConnectResult, its success nothing", () => {
    const h = harness('paravisor');
    connect(h, 0x50002);
    h.post(big);
    assert.deepEqual(h.requests, [{ endpoint: ENDPOINT, service: SERVICE, silo: SILO }]);
    h.answer!(false);
    assert.deepEqual(h.take().map((m) => [m.msgtype, m.status]), [['CHANNELMSG_TL_CONNECT_RESULT', REFUSED]]);
    h.post(small);
    h.answer!(true);
    assert.deepEqual(h.take(), []);
    const h50 = harness('paravisor');
    connect(h50, 0x50000);
    h50.post(big);
    assert.equal(h50.requests[0].silo, '00000000-0000-0000-0000-000000000000', 'before 5.2 the message parses as TlConnectRequest');
  });

  it('at most 16 hvsock requests outstanding: the 17th TL_CONNECT_REQUEST and the messages after it are not read until an answer arrives, then in order (vmbus_server lib.rs MAX_CONCURRENT_HVSOCK_REQUESTS = 16, ServerTask::run "not too many hvsock requests outstanding", handle_tl_connect_result)', () => {
    const h = harness('paravisor');
    connect(h, 0x60000);
    const ep = (i: number) => `00000${(0x400 + i).toString(16)}-facb-11e6-bd58-64006a7986d3`;
    for (let i = 0; i < 16; i++) h.post({ ...small, guest_endpoint_id: ep(i) });
    assert.equal(h.requests.length, 16);
    h.post({ ...small, guest_endpoint_id: ep(16) });
    h.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' }); // already sent: OffersAlreadySent once it is read
    h.run();
    assert.equal(h.requests.length, 16);
    assert.ok(!h.logs().some((l) => l.includes('OffersAlreadySent')));
    // The first answer (refused) goes out, then the 17th request is read (16 outstanding again),
    // so the REQUESTOFFERS behind it still waits.
    h.answers[0](false);
    assert.deepEqual(h.take().map((m) => [m.msgtype, m.guest_endpoint_id, m.status]), [['CHANNELMSG_TL_CONNECT_RESULT', ep(0), REFUSED]]);
    assert.deepEqual(h.requests.map((r) => r.endpoint), Array.from({ length: 17 }, (_, i) => ep(i)));
    assert.ok(!h.logs().some((l) => l.includes('OffersAlreadySent')));
    h.answers[1](false);
    h.take();
    assert.ok(h.logs().some((l) => l.includes('OffersAlreadySent')));
  });

  it('15 outstanding: the next message is read at once (the limit is 16, MAX_CONCURRENT_HVSOCK_REQUESTS)', () => {
    const h = harness('paravisor');
    connect(h, 0x60000);
    for (let i = 0; i < 15; i++) h.post({ ...small, guest_endpoint_id: `00000${(0x400 + i).toString(16)}-facb-11e6-bd58-64006a7986d3` });
    h.post(small);
    assert.equal(h.requests.length, 16);
  });
});
