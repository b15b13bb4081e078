// hv_sock connect (issue 13, "Faithfulness, round two"): `run { hvsock connect ... }`.
// Expected values come from the sources, never from the engine's output:
//   Linux drivers/hv/channel.c vmbus_send_tl_connect_request (the 40-byte
//   vmbus_channel_tl_connect_request: header, guest_endpoint_id @8, host_service_id @24; linux §1.3),
//   net/vmw_vsock/hyperv_transport.c (srv_id_template <port>-facb-11e6-bd58-64006a7986d3, hvs_init
//   needs VERSION_WIN10 else -ENODEV, hvs_open_connection's ring sizes, user_def[0] = conn_from_host),
//   af_vsock.c VSOCK_DEFAULT_CONNECT_TIMEOUT (2 * HZ), channel_message_table (23 has no handler);
//   OpenVMM vmbus_core protocol.rs (TL_CONNECT_REQUEST from Win10, TlConnectRequest2 from Win10Rs5,
//   TlConnectResult {endpoint_id, service_id, status i32}, STATUS_CONNECTION_REFUSED 0xc0000236),
//   vmbus_server channels.rs handle_tl_connect_request / send_tl_connect_result and its
//   test_hvsock{,_rs3,_rs5}, hvsock.rs relay_guest_connect_to_host (the offer: interface id = service,
//   instance id = endpoint, HvSocket is_connect false → enumerate_device_interface | tlnpi_provider |
//   named_pipe_mode), vmbus_relay handle_hvsock_request and vmbus_client handle_tl_connect
//   (TlConnectRequest2) + hvsock.rs HvsockRequestTracker.
import * as assert from 'node:assert/strict';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { runScenario, type RunResult } from '../../../src/simulator/engine/session';
import type { MessageEvent, PhaseEvent } from '../../../src/simulator/trace/events';
import { linuxMsgDpc } from '../../../src/simulator/protocol/linuxDpc';
import { messages } from './helpers';

function runText(text: string): RunResult {
  const p = parseScenario(text, '/ws/t.vmbus', { readFile: () => undefined, workspaceRoot: '/ws' });
  assert.deepEqual(p.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return runScenario(p.config!);
}

const plain = (version: string) => `platform {\n  isolation none\n  max_version ${version}\n}\nparavisor none\n`;
const SNP_OPENHCL = 'platform {\n  isolation snp\n}\nparavisor {\n  confidential_vmbus yes\n}\n';
// A service GUID in Linux's form: port 0x1234 in the first u32.
const SERVICE = '00001234-facb-11e6-bd58-64006a7986d3';
const NOBODY = '00000457-facb-11e6-bd58-64006a7986d3';
const LISTENING = `device sock0 hv_sock {\n  service ${SERVICE}\n}\n`;

/** Little-endian bytes of a GUID string as Linux's guid_t / OpenVMM's Guid hold them. */
function guidBytes(g: string): string {
  const h = g.replace(/-/g, '');
  const le = (s: string) => s.match(/../g)!.reverse().join('');
  return le(h.slice(0, 8)) + le(h.slice(8, 12)) + le(h.slice(12, 16)) + h.slice(16);
}

function msgs(r: RunResult, type: string, from?: string, to?: string): MessageEvent[] {
  return messages(r.events).filter((m) => m.msgtype === `CHANNELMSG_${type}` && (from === undefined || m.from === from) && (to === undefined || m.to === to));
}

function connectPhase(r: RunResult): PhaseEvent {
  const p = r.events.find((e): e is PhaseEvent => e.kind === 'phase' && e.action === 'end' && e.name.startsWith('hvsock connect'));
  assert.ok(p, 'the connect phase ends');
  return p;
}

const u16At = (hex: string, off: number) => parseInt(hex.slice(off * 2 + 2, off * 2 + 4) + hex.slice(off * 2, off * 2 + 2), 16);
const u32At = (hex: string, off: number) => parseInt(hex.slice(off * 2, off * 2 + 8).match(/../g)!.reverse().join(''), 16);

describe('hv_sock connect: a service the host listens on', () => {
  const r = runText(`${plain('5.3')}${LISTENING}run {\n  hvsock connect sock0\n}\nexpect {\n  message TL_CONNECT_REQUEST device sock0\n  channel sock0 open\n}\n`);

  it('Linux vmbus_send_tl_connect_request: 40 bytes, msgtype 21, guest_endpoint_id @8 = <first port 1024>-facb-11e6-bd58-64006a7986d3, host_service_id @24', () => {
    const [m] = msgs(r, 'TL_CONNECT_REQUEST', 'guest');
    assert.equal(m.hex.length / 2, 40);
    assert.equal(u32At(m.hex, 0), 21);
    assert.equal(m.hex.slice(16, 48), guidBytes('00000400-facb-11e6-bd58-64006a7986d3'));
    assert.equal(m.hex.slice(48, 80), guidBytes(SERVICE));
  });

  it('the channel is not offered at boot: the first hv_sock offer follows the request (OpenVMM hvsock.rs offers per connect)', () => {
    const req = msgs(r, 'TL_CONNECT_REQUEST', 'guest')[0];
    const offers = msgs(r, 'OFFERCHANNEL', 'host', 'guest');
    assert.equal(offers.length, 1);
    assert.ok(offers[0].seq > req.seq);
  });

  it('the host offers it: if_type = service, if_instance = the endpoint, chn_flags 0x2011, pipe_mode 0 (BYTE), user_def[0] is_for_guest_accept 0, version RS5 (1)', () => {
    const [o] = msgs(r, 'OFFERCHANNEL', 'host', 'guest');
    assert.equal(o.hex.slice(16, 48), guidBytes(SERVICE));
    assert.equal(o.hex.slice(48, 80), guidBytes('00000400-facb-11e6-bd58-64006a7986d3'));
    assert.equal(u16At(o.hex, 56), 0x0001 | 0x0010 | 0x2000);
    assert.equal(u32At(o.hex, 60), 0);
    assert.equal(o.hex.slice(128, 140), '000001000000'); // user_def[0..6] at 64: accept 0, container 0, version u32 1
  });

  it('success sends no TL_CONNECT_RESULT (channels.rs send_tl_connect_result: only a failure is reported)', () => {
    assert.equal(msgs(r, 'TL_CONNECT_RESULT').length, 0);
  });

  it('hvs_open_connection opens it with 7-page rings at >= 5.0 (VMBUS_RING_SIZE(6 pages)): GPADL of 14 pages, OPENCHANNEL downstream offset 7', () => {
    const relid = msgs(r, 'OFFERCHANNEL', 'host', 'guest')[0].decoded.child_relid as number;
    const hdr = msgs(r, 'GPADL_HEADER', 'guest').find((m) => m.decoded.child_relid === relid)!;
    assert.equal((hdr.decoded.range as { byte_count: number }[])[0].byte_count, 14 * 4096);
    const open = msgs(r, 'OPENCHANNEL', 'guest').find((m) => m.decoded.child_relid === relid)!;
    assert.equal(open.decoded.downstream_ringbuffer_pageoffset, 7);
    assert.equal(msgs(r, 'OPENCHANNEL_RESULT', 'host', 'guest').find((m) => m.decoded.child_relid === relid)!.decoded.status, 0);
  });

  it('connect() returns once the channel is open (TCP_ESTABLISHED); the expectations name the device', () => {
    assert.equal(connectPhase(r).outcome, 'ok');
    assert.deepEqual(r.expectationResults.map((x) => x.ok), [true, true]);
  });

  it('below 5.0 the rings are RINGBUFFER_HVS_{SND,RCV}_SIZE, six pages each (hvs_open_connection): GPADL of 12 pages', () => {
    const r41 = runText(`${plain('4.1')}${LISTENING}run {\n  hvsock connect sock0\n}\n`);
    const relid = msgs(r41, 'OFFERCHANNEL', 'host', 'guest')[0].decoded.child_relid as number;
    const hdr = msgs(r41, 'GPADL_HEADER', 'guest').find((m) => m.decoded.child_relid === relid)!;
    assert.equal((hdr.decoded.range as { byte_count: number }[])[0].byte_count, 12 * 4096);
    assert.equal(connectPhase(r41).outcome, 'ok');
  });

  it('a listening device without a service GUID gets one Linux can reach: <port>-facb-11e6-bd58-64006a7986d3 (is_valid_srv_id)', () => {
    const p = parseScenario(`${plain('5.3')}device sock0 hv_sock\nrun {\n  hvsock connect sock0\n}\n`, '/ws/t.vmbus', { readFile: () => undefined, workspaceRoot: '/ws' });
    const d = p.config!.devices.find((x) => x.name === 'sock0')!;
    assert.match(d.classGuid, /^[0-9a-f]{8}-facb-11e6-bd58-64006a7986d3$/);
    assert.equal(d.hvsockListen, true);
  });
});

describe('hv_sock connect: a service nobody listens on', () => {
  const r = runText(`${plain('5.3')}${LISTENING}run {\n  hvsock connect service ${NOBODY}\n}\n`);

  it('the host answers TL_CONNECT_RESULT (23): 44 bytes, endpoint @8, service @24, status @40 = STATUS_CONNECTION_REFUSED 0xc0000236 (test_hvsock_rs3)', () => {
    const [m] = msgs(r, 'TL_CONNECT_RESULT', 'host', 'guest');
    assert.equal(m.hex.length / 2, 44);
    assert.equal(u32At(m.hex, 0), 23);
    assert.equal(m.hex.slice(16, 48), guidBytes('00000400-facb-11e6-bd58-64006a7986d3'));
    assert.equal(m.hex.slice(48, 80), guidBytes(NOBODY));
    assert.equal(u32At(m.hex, 40), 0xc0000236);
    const [req] = msgs(r, 'TL_CONNECT_REQUEST', 'guest');
    assert.equal(msgs(r, 'OFFERCHANNEL', 'host', 'guest').filter((o) => o.seq > req.seq).length, 0, 'no channel offered for it');
  });

  it('Linux has no handler for 23 (channel_message_table): dropped without a warning; connect() times out after 2 s with -ETIMEDOUT', () => {
    assert.deepEqual(linuxMsgDpc(23, 36), { handled: false, reason: 'no-handler' });
    const [req] = msgs(r, 'TL_CONNECT_REQUEST', 'guest');
    const end = connectPhase(r);
    assert.equal(end.outcome, 'failed');
    assert.match(String(end.detail), /-ETIMEDOUT/);
    assert.equal(end.time - req.time, 2_000_000_000);
    assert.ok(!r.events.some((e) => e.kind === 'log' && e.party === 'guest' && /msgtype=23/.test(e.text)));
  });

  it('at 4.0 (Win10) the refusal sends nothing; at 4.1 (Win10Rs3_0) it sends TL_CONNECT_RESULT (test_hvsock / test_hvsock_rs3)', () => {
    const r40 = runText(`${plain('4.0')}run {\n  hvsock connect service ${NOBODY}\n}\n`);
    assert.equal(msgs(r40, 'TL_CONNECT_REQUEST', 'guest').length, 1);
    assert.equal(msgs(r40, 'TL_CONNECT_RESULT').length, 0);
    assert.equal(connectPhase(r40).outcome, 'failed');
    const r41 = runText(`${plain('4.1')}run {\n  hvsock connect service ${NOBODY}\n}\n`);
    assert.equal(msgs(r41, 'TL_CONNECT_RESULT', 'host', 'guest').length, 1);
  });
});

describe('hv_sock connect to a service id Linux cannot use', () => {
  it('hvs_open_connection returns when if_type is not <port>-facb-11e6-bd58-64006a7986d3 (is_valid_srv_id): offered, never opened, -ETIMEDOUT', () => {
    const other = '5f34fae3-633d-4500-9b8b-3f613f3a9c88';
    const r = runText(`${plain('5.3')}device sock0 hv_sock {\n  service ${other}\n}\nrun {\n  hvsock connect sock0\n}\n`);
    const [o] = msgs(r, 'OFFERCHANNEL', 'host', 'guest');
    assert.equal(o.decoded.offer && (o.decoded.offer as { if_type: string }).if_type, other);
    assert.equal(msgs(r, 'OPENCHANNEL', 'guest').length, 0);
    assert.equal(r.state.channels.find((c) => c.device === 'sock0')!.state, 'offered');
    assert.match(String(connectPhase(r).detail), /-ETIMEDOUT/);
  });
});

describe('hv_sock connect below VMBus 4.0', () => {
  it('hvs_init returns -ENODEV below VERSION_WIN10: no transport, connect() fails with -ENODEV, nothing is sent', () => {
    const r = runText(`${plain('3.0')}${LISTENING}run {\n  hvsock connect sock0\n}\n`);
    assert.equal(messages(r.events).filter((m) => /TL_CONNECT/.test(m.msgtype)).length, 0);
    const end = connectPhase(r);
    assert.equal(end.outcome, 'failed');
    assert.match(String(end.detail), /-ENODEV/);
  });
});

describe('hv_sock connect under OpenHCL (the relay asks the host)', () => {
  const r = runText(`${SNP_OPENHCL}${LISTENING}run {\n  hvsock connect sock0\n  hvsock connect service ${NOBODY}\n}\n`);

  it('the guest posts the 40-byte request to OpenHCL; its vmbus_client sends the host TlConnectRequest2: 56 bytes, silo_id @40 zero', () => {
    const g = msgs(r, 'TL_CONNECT_REQUEST', 'guest', 'paravisor');
    const h = msgs(r, 'TL_CONNECT_REQUEST', 'paravisor', 'host');
    assert.deepEqual([g.length, h.length], [2, 2]);
    assert.equal(g[0].hex.length / 2, 40);
    assert.equal(h[0].hex.length / 2, 56);
    assert.equal(h[0].hex.slice(16, 80), g[0].hex.slice(16, 80), 'endpoint and service unchanged');
    assert.equal(h[0].hex.slice(80, 112), '00'.repeat(16));
  });

  it('the host offers the channel to the relay; OpenHCL re-offers it to the guest with the same ids and flags, and the guest opens it', () => {
    const [ho] = msgs(r, 'OFFERCHANNEL', 'host', 'paravisor');
    const [go] = msgs(r, 'OFFERCHANNEL', 'paravisor', 'guest');
    assert.equal(go.hex.slice(16, 80), ho.hex.slice(16, 80));
    assert.equal(go.hex.slice(16, 48), guidBytes(SERVICE));
    assert.equal(u16At(go.hex, 56), 0x2011);
    assert.ok(go.seq > ho.seq);
    const phases = r.events.filter((e): e is PhaseEvent => e.kind === 'phase' && e.action === 'end' && e.name.startsWith('hvsock connect'));
    assert.deepEqual(phases.map((p) => p.outcome), ['ok', 'failed']);
  });

  it('a refusal reaches the relay (HvsockRequestTracker::check_result) and OpenHCL sends the guest its own TL_CONNECT_RESULT(0xc0000236)', () => {
    const [hr] = msgs(r, 'TL_CONNECT_RESULT', 'host', 'paravisor');
    const [gr] = msgs(r, 'TL_CONNECT_RESULT', 'paravisor', 'guest');
    assert.ok(hr && gr && gr.seq > hr.seq);
    assert.equal(u32At(gr.hex, 40), 0xc0000236);
    assert.equal(gr.hex.slice(48, 80), guidBytes(NOBODY));
  });
});
