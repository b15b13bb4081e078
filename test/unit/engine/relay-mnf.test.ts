// Faithfulness, round two (issue 13), items 3, 6 (modify_connection, server_specified_monitor_pages)
// and 7: OpenHCL's relay and the monitor pages. Expected values come from OpenVMM's sources, named
// in each test: vm/devices/vmbus/vmbus_core/src/protocol.rs (layouts), vmbus_client/src/lib.rs
// (handle_open_channel, handle_modify), vmbus_relay/src/lib.rs (handle_offer, handle_modify),
// vmbus_server/src/channels.rs (+ its tests) and lib.rs (handle_offer, set_monitor_page),
// openhcl/underhill_core/src/worker.rs (enable_mnf), the coco.rst quote in
// /work/shared/reference/openvmm-vmbus.md §3.1 — never from the engine's output.
import * as assert from 'node:assert/strict';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { runScenario, type RunResult } from '../../../src/simulator/engine/session';
import type { HypercallEvent, InterruptEvent, MessageEvent, RegisterEvent, StateEvent } from '../../../src/simulator/trace/events';
import { VmbusServer } from '../../../src/simulator/model/server/server';
import type { ServerPorts } from '../../../src/simulator/model/server/ports';
import { channelFor } from '../../../src/simulator/model/server/types';
import { defaultDevices } from '../../../src/simulator/engine/defaults';
import type { Json } from '../../../src/simulator/model/tracer';
import { ParavisorMonitorPage, type MonitorSignal } from '../../../src/simulator/model/paravisor/monitor';
import { bytes, decoded, env } from '../parties/harness';

function runText(text: string): RunResult {
  const p = parseScenario(text, '/ws/t.vmbus', { readFile: () => undefined, workspaceRoot: '/ws' });
  assert.deepEqual(p.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return runScenario(p.config!);
}

const msgs = (evs: RunResult['events']): MessageEvent[] => evs.filter((e): e is MessageEvent => e.kind === 'message');
const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!.map((x) => parseInt(x, 16)));
const u32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);

/** SNP with OpenHCL: a disk OpenHCL hosts, a NIC the host offers (relayed). */
function snp(paravisorExtra = '', nicMonitor = 'monitor 2'): string {
  return `platform {\n  isolation snp\n  vps 2\n}\nparavisor {\n  confidential_vmbus yes\n${paravisorExtra}}\n`
    + 'device disk0 storvsc {\n  hosted_by paravisor\n  flags confidential_ring_buffer\n  monitor 1\n}\n'
    + `device nic0 netvsc {\n  hosted_by host\n  ${nicMonitor}\n  packets 4\n}\n`;
}

describe('issue 13 item 3: relayed channels on a confidential connection', () => {
  const r = runText(snp());
  const ms = msgs(r.events);
  const guestOfferNic = ms.find((m) => m.to === 'guest' && m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && (m.decoded.offer as Json).if_type === 'f8615163-df3e-46c5-913f-f2d2f965ed0e')!;
  const relid = Number(guestOfferNic.decoded.child_relid);

  it('the guest opens with the 148-byte Linux OPENCHANNEL; the relay opens the host channel with the 156-byte OpenChannel2 (protocol.rs: OpenChannel 140 + connection_id u32 @140, event_flag u16 @144, flags u16 @146, after the 8-byte header)', () => {
    const guestOpen = ms.find((m) => m.from === 'guest' && m.msgtype === 'CHANNELMSG_OPENCHANNEL' && m.decoded.child_relid === relid)!;
    assert.equal(guestOpen.hex.length / 2, 8 + 140);
    const hostOpen = ms.find((m) => m.from === 'paravisor' && m.to === 'host' && m.msgtype === 'CHANNELMSG_OPENCHANNEL')!;
    const b = hexBytes(hostOpen.hex);
    assert.equal(b.length, 8 + 148);
    assert.equal(u32(b, 0), 5); // OPEN_CHANNEL
    const g = hexBytes(guestOpen.hex);
    // vmbus_client handle_open_channel: open_id 0; the guest's ring GPADL, target VP, offset.
    assert.equal(u32(b, 8 + 4), 0);
    assert.deepEqual([u32(b, 8 + 8), u32(b, 8 + 12), u32(b, 8 + 16)], [u32(g, 8 + 8), u32(g, 8 + 12), u32(g, 8 + 16)]);
    // OpenParams without guest_specified_signal_parameters from Linux (channels.rs): event_flag =
    // the channel id OpenHCL gave the guest, connection_id = the one it offered (0x2000 | id for
    // VTL0 SINT 2, openvmm §3.5); relay flags 0 (redirect_interrupt only for the pre-Win8 interrupt page).
    assert.equal(u32(b, 8 + 140), Number(guestOfferNic.decoded.connection_id));
    assert.equal(u32(b, 8 + 140), 0x2000 | relid);
    assert.equal(u16(b, 8 + 144), relid);
    assert.equal(u16(b, 8 + 146), 0);
    assert.deepEqual([hostOpen.decoded.connection_id, hostOpen.decoded.event_flag, hostOpen.decoded.flags], [0x2000 | relid, relid, 0]);
  });

  it('a relayed channel\'s interrupt: the flag is in the hypervisor SynIC\'s SIEF page, the paravisor SynIC signals (coco.rst: "Interrupts are always signaled by the paravisor SynIC, but the guest must check ... on both SynICs")', () => {
    const irqs = r.events.filter((e): e is InterruptEvent => e.kind === 'interrupt' && e.via === 'event' && e.relid === relid);
    assert.ok(irqs.length > 0);
    for (const e of irqs) assert.deepEqual([e.synic, e.signaledBy, e.delivered], ['hypervisor', 'paravisor', true]);
    // The guest enabled only the paravisor SynIC's SCONTROL (linux §5: hv_para_synic_enable_interrupts).
    const scontrol = r.events.filter((e): e is RegisterEvent => e.kind === 'register' && e.register === 'SCONTROL' && e.op === 'write');
    assert.deepEqual(scontrol.map((e) => e.synic), ['paravisor', 'paravisor']);
    // The guest scans the hypervisor SynIC's page for that flag.
    const scans = r.events.filter((e): e is StateEvent => e.kind === 'state' && e.object === 'event-flags' && e.from === String(relid));
    assert.ok(scans.length > 0 && scans.every((e) => e.synic === 'hypervisor'));
  });

  it('a channel OpenHCL hosts signals from and on the paravisor SynIC alone (no signaledBy)', () => {
    const disk = ms.find((m) => m.to === 'guest' && m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.decoded.child_relid !== relid)!;
    const irqs = r.events.filter((e): e is InterruptEvent => e.kind === 'interrupt' && e.via === 'event' && e.relid === disk.decoded.child_relid);
    assert.ok(irqs.length > 0);
    for (const e of irqs) assert.deepEqual([e.synic, e.signaledBy], ['paravisor', undefined]);
  });
});

// ------------------------------------------------------------------------------------------------
// The server alone (channels/tests.rs TestEnv in spirit).

const COPPER = 0x60000;

function server(opts: { party: 'paravisor' | 'host'; requireServerMnf?: boolean; handlesMnf?: boolean; pages?: { parentToChild: number; childToParent: number } }) {
  const e = env();
  let sent: Uint8Array[] = [];
  const ports: ServerPorts = {
    send: (_c, b) => { sent.push(b); },
    sendToSint: () => undefined,
    retargetMessages: () => undefined,
    offered: () => undefined,
    newGuid: () => '00000000-0000-4000-8000-000000000000',
    allocateMonitorPages: () => opts.pages ?? null,
  };
  const s = new VmbusServer({ party: opts.party, versions: [COPPER, 0x50003], maxFlags: 0xffffffff, requireServerMnf: opts.requireServerMnf ?? false, handlesMnf: opts.handlesMnf }, e.clock, e.tracer, e.faults, ports);
  s.addDevice(channelFor({ ...defaultDevices()[0], monitorId: 5 }, '11111111-2222-4333-8444-555555555555'));
  return {
    ...e, s,
    post: (json: Json, trusted = false) => { s.receive('guest', bytes(json), trusted, false); e.run(); },
    take: () => { const x = sent; sent = []; return x; },
  };
}

function contact(features: number, p1 = 0, p2 = 0): Json {
  return { msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: COPPER, target_vcpu: 0, msg_sint: 2, msg_vtl: 0, feature_flags: features, monitor_page1: p1, monitor_page2: p2 };
}

describe('issue 13 item 3: the host parses OPEN_CHANNEL as OpenChannel2 once signal parameters are negotiated', () => {
  it('Copper + guest_specified_signal_parameters: a 148-byte OPENCHANNEL is MessageTooSmall and dropped, the 156-byte one opens (protocol.rs vmbus_messages!: OpenChannel2 first, no fallback)', () => {
    const h = server({ party: 'host' });
    h.post(contact(0x1));
    h.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' });
    h.take();
    const open = { msgtype: 'CHANNELMSG_OPENCHANNEL', child_relid: 1, openid: 0, ringbuffer_gpadlhandle: 1, target_vp: 0, downstream_ringbuffer_pageoffset: 2 };
    h.post(open);
    assert.deepEqual(h.take(), []);
    assert.ok(h.logs().some((l) => l.includes('MessageTooSmall(OPEN_CHANNEL)')));
    h.post({ ...open, connection_id: 0x2005, event_flag: 5, flags: 0 });
    const [r] = h.take().map(decoded);
    assert.deepEqual([r.msgtype, r.status], ['CHANNELMSG_OPENCHANNEL_RESULT', 0]);
    assert.deepEqual(h.s.channels[0].signal, { connectionId: 0x2005, eventFlag: 5, flags: 0 });
  });
});

describe('issue 13 item 6: modify_connection is MODIFY_CONNECTION / _RESPONSE', () => {
  it('MODIFY_CONNECTION (type 25, 8 + 16 bytes) → MODIFY_CONNECTION_RESPONSE (type 26, 8 + 1 bytes) SUCCESSFUL; the pages are the connection\'s (test_modify_connection)', () => {
    const h = server({ party: 'host' });
    h.post(contact(0x4));
    const [vr] = h.take().map(decoded);
    assert.equal(vr.supported_features, 0x4);
    const m = bytes({ msgtype: 'CHANNELMSG_MODIFY_CONNECTION', monitor_page1: 5, monitor_page2: 6 });
    assert.deepEqual([u32(m, 0), m.length], [25, 24]);
    h.post({ msgtype: 'CHANNELMSG_MODIFY_CONNECTION', monitor_page1: 5, monitor_page2: 6 });
    const [resp] = h.take();
    assert.deepEqual([u32(resp, 0), resp.length, resp[8]], [26, 9, 0]);
    assert.equal(h.s.conn.monitorPages, true);
    // Offers now carry the channel's monitor id (send_offer: only with monitor pages).
    h.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' });
    const offer = decoded(h.take()[0]);
    assert.deepEqual([offer.monitorid, offer.monitor_allocated], [5, 1]);
  });

  it('without modify_connection negotiated it does not parse and nothing is answered (test_modify_connection_unsupported)', () => {
    const h = server({ party: 'host' });
    h.post(contact(0));
    h.take();
    h.post({ msgtype: 'CHANNELMSG_MODIFY_CONNECTION', monitor_page1: 5, monitor_page2: 6 });
    assert.deepEqual(h.take(), []);
    assert.ok(h.logs().some((l) => l.includes('InvalidMessageType(MODIFY_CONNECTION)')));
  });

  it('one page zero and the other not → FAILED_UNKNOWN_FAILURE (2) (channels.rs modify_connection: "either both or no monitor pages")', () => {
    const h = server({ party: 'host' });
    h.post(contact(0x4));
    h.take();
    h.post({ msgtype: 'CHANNELMSG_MODIFY_CONNECTION', monitor_page1: 0, monitor_page2: 6 });
    assert.deepEqual(h.take().map((b) => [u32(b, 0), b[8]]), [[26, 2]]);
  });

  it('a second MODIFY_CONNECTION while the first is in flight → FAILED_UNKNOWN_FAILURE (2) at once, the pages stay the first\'s, and the first gets no answer (channels.rs modify_connection: "Duplicate ModifyConnection request" → handle_modify_connection → complete_modify_connection clears modifying; the first\'s completion is OpenVMM\'s panic "ModifyConnection response while not modifying", dropped here)', () => {
    const h = server({ party: 'host' });
    h.post(contact(0x4));
    h.take();
    h.s.receive('guest', bytes({ msgtype: 'CHANNELMSG_MODIFY_CONNECTION', monitor_page1: 5, monitor_page2: 6 }), false, false);
    h.s.receive('guest', bytes({ msgtype: 'CHANNELMSG_MODIFY_CONNECTION', monitor_page1: 0, monitor_page2: 0 }), false, false);
    h.run();
    assert.deepEqual(h.take().map((b) => [u32(b, 0), b.length, b[8]]), [[26, 9, 2]]);
    assert.equal(h.s.conn.monitorPages, true);
    assert.ok(h.logs().some((l) => l.includes('Duplicate ModifyConnection request')));
    // No modify is in flight any more: the next one is answered SUCCESSFUL (0).
    h.post({ msgtype: 'CHANNELMSG_MODIFY_CONNECTION', monitor_page1: 0, monitor_page2: 0 });
    assert.deepEqual(h.take().map((b) => [u32(b, 0), b[8]]), [[26, 0]]);
    assert.equal(h.s.conn.monitorPages, false);
  });
});

describe('issue 13 item 6: server_specified_monitor_pages is VersionResponse3 with the server\'s pages', () => {
  const PAGES = { parentToChild: 0x456f000, childToParent: 0x654f000 };

  it('a guest asking for 0x40 gets the 40-byte VersionResponse3: supported_features with 0x40, parent_to_child @24, child_to_parent @32; its own pages are ignored (test_server_monitor_page)', () => {
    const h = server({ party: 'paravisor', requireServerMnf: true, handlesMnf: true, pages: PAGES });
    h.post(contact(0x50, 0x321f000, 0x123f000), true);
    const [b] = h.take();
    assert.equal(b.length, 40);
    assert.equal(u32(b, 0), 15);
    assert.equal(u32(b, 16), 0x50); // confidential_channels (trusted) | server_specified_monitor_pages
    assert.deepEqual([u32(b, 24), u32(b, 28), u32(b, 32), u32(b, 36)], [0x456f000, 0, 0x654f000, 0]);
    // The connection uses the server's pages, so offers carry monitor ids; they cannot be modified.
    h.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' }, true);
    assert.equal(decoded(h.take()[0]).monitor_allocated, 1);
  });

  it('a guest not asking for it (Linux asks only 0x10) gets the 20-byte VersionResponse2 without 0x40, and no monitor ids: require_server_allocated_mnf ignores its pages', () => {
    const h = server({ party: 'paravisor', requireServerMnf: true, handlesMnf: true, pages: PAGES });
    h.post(contact(0x10, 0x321f000, 0x123f000), true);
    const [b] = h.take();
    assert.equal(b.length, 20);
    assert.equal(u32(b, 16), 0x10);
    h.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' }, true);
    const offer = decoded(h.take()[0]);
    assert.deepEqual([offer.monitorid, offer.monitor_allocated], [0xff, 0]);
    assert.ok(h.logs().includes('guest-supplied monitor pages not supported; MNF will be disabled'));
  });

  it('a server that allocates no pages never grants 0x40 (the flag is set only with server pages: complete_initiate_contact)', () => {
    const h = server({ party: 'host' });
    h.post(contact(0x44));
    assert.equal(decoded(h.take()[0]).supported_features, 0x4);
  });
});

describe('issue 13 item 7: monitor pages through the relay', () => {
  it('OpenHCL not handling MNF (its default without a NIC of its own): the guest\'s pages go to the host in MODIFY_CONNECTION before it is answered, and the relayed NIC keeps the host\'s monitor id (vmbus_relay handle_modify, MnfUsage::Relayed)', () => {
    const r = runText(snp());
    const ms = msgs(r.events);
    const ic = ms.find((m) => m.from === 'guest' && m.msgtype === 'CHANNELMSG_INITIATE_CONTACT')!;
    const mc = ms.findIndex((m) => m.from === 'paravisor' && m.to === 'host' && m.msgtype === 'CHANNELMSG_MODIFY_CONNECTION');
    assert.ok(mc >= 0);
    assert.deepEqual([ms[mc].decoded.monitor_page1, ms[mc].decoded.monitor_page2], [ic.decoded.monitor_page1, ic.decoded.monitor_page2]);
    const answered = ms.findIndex((m) => m.from === 'host' && m.msgtype === 'CHANNELMSG_MODIFY_CONNECTION_RESPONSE');
    const vr = ms.findIndex((m) => m.to === 'guest' && m.msgtype === 'CHANNELMSG_VERSION_RESPONSE');
    assert.ok(mc < answered && answered < vr);
    const offers = ms.filter((m) => m.to === 'guest' && m.msgtype === 'CHANNELMSG_OFFERCHANNEL').map((m) => [(m.decoded.offer as Json).if_type, m.decoded.monitorid, m.decoded.monitor_allocated]);
    assert.deepEqual(offers, [
      ['ba6163d9-04a1-4d29-b605-72e2ffb1dc7f', 0xff, 0], // OpenHCL's own disk: MNF disabled (lib.rs handle_offer)
      ['f8615163-df3e-46c5-913f-f2d2f965ed0e', 2, 1], // the host's NIC: the host's monitor id
    ]);
    // The guest signals the relayed NIC through the monitor page, not HvSignalEvent.
    assert.ok(r.events.some((e) => e.kind === 'state' && e.object === 'monitor-trigger' && (e.detail as Json).monitorId === 2));
  });

  it('a guest reconnecting while connected (reset, a kdump kernel): the host\'s pages are reset (MODIFY_CONNECTION {0, 0}) before the new INITIATE_CONTACT\'s pages are sent (channels.rs request_disconnect(Reconnect) → notify_disconnect, then initiate_contact)', () => {
    const r = runText(`${snp('', 'monitor 2')}run {\n  reset\n}\n`);
    const ms = msgs(r.events);
    const ics = ms.filter((m) => m.from === 'guest' && m.msgtype === 'CHANNELMSG_INITIATE_CONTACT');
    assert.equal(ics.length, 2);
    const mcs = ms.filter((m) => m.from === 'paravisor' && m.to === 'host' && m.msgtype === 'CHANNELMSG_MODIFY_CONNECTION').map((m) => [m.decoded.monitor_page1, m.decoded.monitor_page2]);
    const pages = [ics[0].decoded.monitor_page1, ics[0].decoded.monitor_page2];
    assert.deepEqual(mcs, [pages, ['0x0', '0x0'], [ics[1].decoded.monitor_page1, ics[1].decoded.monitor_page2]]);
    assert.equal(r.state.guest.connectionState, 'connected');
  });

  it('a guest reconnecting while the relayed NIC is open (reset): before the new VERSION_RESPONSE the paravisor sends the host GPADL_TEARDOWN for each of its GPADLs, then CLOSECHANNEL for it, waits for every GPADL_TORNDOWN, then MODIFY_CONNECTION {0, 0}, as Unload does (channels.rs request_disconnect(Reconnect) → client_release_channel: Action::TeardownGpadl, Action::Close; vmbus_relay handle_close_channel / handle_gpadl_teardown; check_disconnected → notify_disconnect)', () => {
    const r = runText(`${snp('', 'monitor 2')}run {\n  reset\n}\n`);
    const ms = msgs(r.events);
    const ic2 = ms.map((m, i) => [m, i] as const).filter(([m]) => m.from === 'guest' && m.msgtype === 'CHANNELMSG_INITIATE_CONTACT')[1][1];
    const vr2 = ms.findIndex((m, i) => i > ic2 && m.to === 'guest' && m.msgtype === 'CHANNELMSG_VERSION_RESPONSE');
    assert.ok(vr2 > ic2);
    const before = ms.slice(0, ic2);
    const toHost = (m: MessageEvent) => m.from === 'paravisor' && m.to === 'host';
    // The NIC was open at the host before the reset, with the GPADLs the relay created there.
    const hostRelid = Number(before.find((m) => toHost(m) && m.msgtype === 'CHANNELMSG_OPENCHANNEL')!.decoded.child_relid);
    const created = before.filter((m) => m.from === 'host' && m.msgtype === 'CHANNELMSG_GPADL_CREATED' && Number(m.decoded.creation_status) === 0).map((m) => Number(m.decoded.gpadl));
    const tornBefore = before.filter((m) => m.from === 'host' && m.msgtype === 'CHANNELMSG_GPADL_TORNDOWN').map((m) => Number(m.decoded.gpadl));
    const live = created.filter((g) => !tornBefore.includes(g)).sort();
    assert.ok(live.length > 0);
    assert.equal(before.filter((m) => toHost(m) && m.msgtype === 'CHANNELMSG_CLOSECHANNEL').length, 0);
    const between = ms.slice(ic2, vr2);
    assert.deepEqual(between.filter((m) => toHost(m) && m.msgtype === 'CHANNELMSG_CLOSECHANNEL').map((m) => Number(m.decoded.child_relid)), [hostRelid]);
    assert.deepEqual(between.filter((m) => toHost(m) && m.msgtype === 'CHANNELMSG_GPADL_TEARDOWN').map((m) => [Number(m.decoded.child_relid), Number(m.decoded.gpadl)]).sort(), live.map((g) => [hostRelid, g]));
    assert.deepEqual(between.filter((m) => m.from === 'host' && m.msgtype === 'CHANNELMSG_GPADL_TORNDOWN').map((m) => Number(m.decoded.gpadl)).sort(), live);
    // client_release_channel: TeardownGpadl for each accepted GPADL, then Close.
    const toHostTypes = between.filter(toHost).map((m) => m.msgtype);
    assert.deepEqual(toHostTypes.slice(0, live.length + 1), [...live.map(() => 'CHANNELMSG_GPADL_TEARDOWN'), 'CHANNELMSG_CLOSECHANNEL']);
    // The pages are reset only once every GPADL is torn down (check_disconnected), and no UNLOAD_RESPONSE (test_reinitiate_contact).
    const lastTorn = between.map((m) => m.from === 'host' && m.msgtype === 'CHANNELMSG_GPADL_TORNDOWN').lastIndexOf(true);
    const reset = between.findIndex((m) => toHost(m) && m.msgtype === 'CHANNELMSG_MODIFY_CONNECTION');
    assert.ok(lastTorn < reset);
    assert.deepEqual([between[reset].decoded.monitor_page1, between[reset].decoded.monitor_page2], ['0x0', '0x0']);
    assert.equal(ms.filter((m) => m.msgtype === 'CHANNELMSG_UNLOAD_RESPONSE').length, 0);
    assert.equal(r.state.guest.connectionState, 'connected');
  });

  it('mnf yes on SNP: OpenHCL must allocate the pages, Linux does not ask for them, so no channel has MNF and nothing goes to the host (require_server_allocated_mnf; vmbus_relay.rs: CVM MNF "once MNF support in CVMs is added")', () => {
    const r = runText(snp('  mnf yes\n'));
    const ms = msgs(r.events);
    assert.equal(ms.filter((m) => m.msgtype === 'CHANNELMSG_MODIFY_CONNECTION').length, 0);
    const offers = ms.filter((m) => m.to === 'guest' && m.msgtype === 'CHANNELMSG_OFFERCHANNEL').map((m) => m.decoded.monitor_allocated);
    assert.deepEqual(offers, [0, 0]);
  });

  it('mnf yes without hardware isolation: OpenHCL keeps the guest\'s pages, its own NIC keeps its monitor id and the relayed one gets an id of OpenHCL\'s (the lowest free); no MODIFY_CONNECTION (validate_mnf_usage_in_guest; lib.rs handle_offer Relayed → Enabled, set_monitor_page)', () => {
    const r = runText('platform {\n  isolation none\n}\nparavisor {\n  confidential_vmbus yes\n  mnf yes\n}\n'
      + 'device nic0 netvsc {\n  hosted_by paravisor\n  monitor 3\n}\ndevice nic1 netvsc {\n  hosted_by host\n  monitor 7\n}\n');
    const ms = msgs(r.events);
    assert.equal(ms.filter((m) => m.msgtype === 'CHANNELMSG_MODIFY_CONNECTION').length, 0);
    const hostOffer = ms.find((m) => m.from === 'host' && m.msgtype === 'CHANNELMSG_OFFERCHANNEL')!;
    assert.deepEqual([hostOffer.decoded.monitorid, hostOffer.decoded.monitor_allocated], [7, 1]);
    const offers = ms.filter((m) => m.to === 'guest' && m.msgtype === 'CHANNELMSG_OFFERCHANNEL').map((m) => [m.decoded.monitorid, m.decoded.monitor_allocated]);
    assert.deepEqual(offers.sort(), [[0, 1], [3, 1]]);
    const relayed = r.events.find((e): e is StateEvent => e.kind === 'state' && e.party === 'paravisor' && e.object === 'channel' && (e.detail as Json | undefined)?.relayed === true)!;
    assert.deepEqual([(relayed.detail as Json).mnf, (relayed.detail as Json).monitorId], ['paravisor', 0]);
  });

  it('the language: paravisor { mnf yes | no } reaches the configuration; absent, it is left to OpenHCL\'s default', () => {
    const parse = (t: string) => parseScenario(t, '/ws/t.vmbus', { readFile: () => undefined, workspaceRoot: '/ws' });
    assert.equal(parse('paravisor {\n  mnf no\n}\n').config!.platform.paravisor.mnf, false);
    assert.equal(parse('paravisor {\n  mnf yes\n}\n').config!.platform.paravisor.mnf, true);
    assert.equal(parse('paravisor {\n  present yes\n}\n').config!.platform.paravisor.mnf, undefined);
    const bad = parse('paravisor {\n  mnf maybe\n}\n');
    assert.ok(bad.diagnostics.some((d) => d.severity === 'error'));
  });
});

// ------------------------------------------------------------------------------------------------
// OpenHCL handling MNF itself: the guest's monitor-page stores reach it as intercepts (OpenVMM
// vmcore/src/monitor.rs MonitorPage::check_write, virt_mshv_vtl set_monitor_page: the page is made
// read-only to VTL0; processor/mod.rs signal_mnf → handle_signal_event), and a relayed channel's
// event port is vmbus_client's guest_to_host_interrupt: signal_event(channel.connection_id, 0), the
// connection id its OpenChannel2 gave the host (vmbus_client lib.rs handle_open_channel,
// use_vtl2_connection_id false → open_data.connection_id).

describe('issue 13 item 7: OpenHCL picks up the guest\'s monitor-page triggers (mnf yes)', () => {
  it('check_write as monitor.rs test_write: 5→42, 7→47, 9→49, 127→500; outside the page nothing; group 0 bit 5 → [42]; bits 5, 6, 7 and group 3 bit 31 → [42, 47, 500] (6 unknown); a u32 at trigger_group → [49]', () => {
    const e = env();
    const got: MonitorSignal[] = [];
    const m = new ParavisorMonitorPage(e.tracer, (s) => got.push(s));
    m.setGpa(0x1000);
    m.register(5, 42); m.register(7, 47); m.register(9, 49); m.register(127, 500);
    // HvMonitorPageSmall: trigger_state u32, reserved u32, trigger_group[4] {pending u32, armed u32}.
    const page = new Uint8Array(40);
    const setPending = (group: number, v: number) => new DataView(page.buffer).setUint32(8 + 8 * group, v >>> 0, true);
    setPending(0, 1 << 5);
    assert.equal(m.intercept(0x2000, page), false);
    assert.equal(m.intercept(0x1000 - 1, page), false);
    assert.equal(m.intercept(0x1000, page), true);
    assert.deepEqual(got.map((s) => s.connectionId), [42]);
    got.length = 0;
    setPending(0, (1 << 5) | (1 << 6) | (1 << 7));
    setPending(3, 1 << 31);
    assert.equal(m.intercept(0x1000, page), true);
    assert.deepEqual(got.map((s) => [s.monitorId, s.group, s.bit, s.connectionId]), [[5, 0, 5, 42], [7, 0, 7, 47], [127, 3, 31, 500]]);
    assert.ok(e.logs().includes('monitor write for unknown id 6'));
    got.length = 0;
    const pending = new Uint8Array(4);
    new DataView(pending.buffer).setUint32(0, 1 << 9, true);
    assert.equal(m.intercept(0x1000 + 8, pending), true);
    assert.deepEqual(got.map((s) => s.connectionId), [49]);
    // Unregistered (the channel's event port dropped): the bit is an unknown id again.
    got.length = 0;
    m.unregister(9);
    m.intercept(0x1000 + 8, pending);
    assert.deepEqual(got, []);
  });

  const r = runText('platform {\n  isolation none\n}\nparavisor {\n  confidential_vmbus yes\n  mnf yes\n}\n'
    + 'device nic0 netvsc {\n  hosted_by paravisor\n  monitor 33\n  packets 2\n}\ndevice nic1 netvsc {\n  hosted_by host\n  monitor 7\n  packets 2\n}\n');
  const ms = msgs(r.events);
  const guestOffers = ms.filter((m) => m.to === 'guest' && m.msgtype === 'CHANNELMSG_OFFERCHANNEL');
  const relayedOffer = guestOffers.find((m) => Number(m.decoded.monitorid) !== 33)!;
  const relid = Number(relayedOffer.decoded.child_relid);
  const ownRelid = Number(guestOffers.find((m) => Number(m.decoded.monitorid) === 33)!.decoded.child_relid);
  const triggers = r.events.filter((e): e is StateEvent => e.kind === 'state' && e.object === 'monitor-trigger');
  const pvSignals = r.events.filter((e): e is HypercallEvent => e.kind === 'hypercall' && e.name === 'HvSignalEvent' && e.by === 'paravisor');

  it('a relayed channel (OpenHCL\'s monitor id 0: group 0 = 0 / 32, bit 0 = 0 % 32, pending at offset 8): the guest\'s store, OpenHCL\'s pickup naming the id and the channel, then HvSignalEvent to the host on the OpenChannel2 connection id (0x2000 | relid)', () => {
    assert.equal(Number(relayedOffer.decoded.monitorid), 0);
    const hostOpen = ms.find((m) => m.from === 'paravisor' && m.to === 'host' && m.msgtype === 'CHANNELMSG_OPENCHANNEL')!;
    const connId = Number(hostOpen.decoded.connection_id);
    assert.equal(connId, 0x2000 | relid);
    const i = triggers.findIndex((e) => e.party === 'guest' && e.relid === relid);
    assert.ok(i >= 0);
    assert.deepEqual([(triggers[i].detail as Json).group, (triggers[i].detail as Json).bit, (triggers[i].detail as Json).offset], [0, 0, '0x8']);
    const pick = triggers[i + 1];
    assert.deepEqual([pick.party, pick.relid, pick.from, pick.to], ['paravisor', relid, 'pending', 'relayed']);
    const d = pick.detail as Json;
    assert.deepEqual([d.monitorId, d.group, d.bit, Number(d.connectionId), d.relayed], [0, 0, 0, connId, true]);
    assert.equal(d.hostRelid, Number(ms.find((m) => m.from === 'host' && m.msgtype === 'CHANNELMSG_OFFERCHANNEL')!.decoded.child_relid));
    const sig = pvSignals.find((e) => e.seq > pick.seq)!;
    assert.deepEqual([sig.target, sig.connectionId, sig.code], ['host', connId, 0x5d]);
    // Every pickup of the relayed channel is one signal to the host; the guest made no hypercall for it.
    const picks = triggers.filter((e) => e.party === 'paravisor' && e.to === 'relayed');
    assert.equal(pvSignals.length, picks.length);
    assert.equal(picks.length, triggers.filter((e) => e.party === 'guest' && e.relid === relid).length);
  });

  it('OpenHCL\'s own channel (monitor 33: group 1 = 33 / 32, bit 1 = 33 % 32, pending at offset 8 + 8 = 0x10): picked up and signalled in VTL2, nothing goes to the host', () => {
    const g = triggers.find((e) => e.party === 'guest' && e.relid === ownRelid)!;
    assert.deepEqual([(g.detail as Json).group, (g.detail as Json).bit, (g.detail as Json).offset], [1, 1, '0x10']);
    const pick = triggers[triggers.indexOf(g) + 1];
    assert.deepEqual([pick.party, pick.relid, pick.to, (pick.detail as Json).monitorId, Number((pick.detail as Json).connectionId)], ['paravisor', ownRelid, 'signalled', 33, 0x2000 | ownRelid]);
    assert.ok(pvSignals.every((e) => e.connectionId !== (0x2000 | ownRelid)));
  });

  it('mnf no: the guest\'s pages are the host\'s (MODIFY_CONNECTION), so OpenHCL intercepts nothing and sends no signal (lib.rs set_monitor_page only with mnf_support)', () => {
    const r2 = runText(snp());
    assert.ok(r2.events.some((e) => e.kind === 'state' && e.object === 'monitor-trigger' && e.party === 'guest'));
    assert.equal(r2.events.filter((e) => e.kind === 'state' && e.object === 'monitor-trigger' && e.party === 'paravisor').length, 0);
    assert.equal(r2.events.filter((e) => e.kind === 'hypercall' && e.name === 'HvSignalEvent' && (e as HypercallEvent).by === 'paravisor').length, 0);
  });
});
