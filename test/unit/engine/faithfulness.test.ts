// Faithfulness, round two (issue 13): each numbered item, run as a kernel developer would write
// it. Expected values come from shared/reference/linux-vmbus.md, openvmm-vmbus.md and the OpenVMM
// tests they summarise (named in each test), never from the engine's output.
import * as assert from 'node:assert/strict';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { runScenario, type RunResult } from '../../../src/simulator/engine/session';
import { traceCmdRecords } from '../../../src/simulator/trace/traceCmd';
import type { MessageEvent, TraceEvent } from '../../../src/simulator/trace/events';
import { messages } from './helpers';
import { hexNum } from '../../../src/simulator/protocol/hex';

/** Parses a scenario text (no includes) and runs it. */
function runText(text: string): RunResult {
  const p = parseScenario(text, '/ws/t.vmbus', { readFile: () => undefined, workspaceRoot: '/ws' });
  const errs = p.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errs.map((d) => d.message), []);
  return runScenario(p.config!);
}

const SNP_OPENHCL = 'platform {\n  isolation snp\n}\nparavisor {\n  confidential_vmbus yes\n}\n';
const SNP_BARE = 'platform {\n  isolation snp\n}\nparavisor none\n';
const PLAIN_53 = 'platform {\n  isolation none\n  max_version 5.3\n}\nparavisor none\n';

function results(r: RunResult): [string, boolean][] {
  return r.expectationResults.map((x) => [x.text, x.ok]);
}

/** A message event as the engine emits it, for the exporter. */
function msgToGuest(hex: string, extra: Partial<MessageEvent> = {}): TraceEvent {
  const t = parseInt(hex.slice(6, 8) + hex.slice(4, 6) + hex.slice(2, 4) + hex.slice(0, 2), 16);
  return {
    kind: 'message', seq: 0, time: 1000, vp: 0, granularity: 'event', phase: [], from: 'host', to: 'guest', synic: 'hypervisor', path: 'hypercall',
    connectionId: 1, msgtype: `UNKNOWN(${t})`, msgtypeValue: t, hex, decoded: {}, confidential: false, status: 'HV_STATUS_SUCCESS', ...extra,
  } as MessageEvent;
}

describe('issue 13 item 1: messages Linux drops in vmbus_on_msg_dpc', () => {
  // linux §1.1 / §6: vmbus_on_msg_dpc traces every message, then WARN_ONCEs and drops an unknown
  // msgtype, a payload over 240, one under min_payload_len; only blocking handlers (OFFER,
  // RESCIND) reach vmbus_on_message.
  const names = (evs: TraceEvent[]) => traceCmdRecords(evs).map((r) => `${r.name} ${JSON.stringify(r.values)}`);

  it('trace-cmd: an unknown msgtype (25) shows only vmbus_on_msg_dpc', () => {
    assert.deepEqual(names([msgToGuest('1900000000000000')]), ['vmbus_on_msg_dpc {"msgtype":25}']);
  });

  it('trace-cmd: a RESCIND claiming payload_size 248 shows only vmbus_on_msg_dpc, no vmbus_onoffer_rescind', () => {
    const e = msgToGuest('020000000000000001000000', { msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', decoded: { child_relid: 1 }, payloadSize: 248 });
    assert.deepEqual(names([e]), ['vmbus_on_msg_dpc {"msgtype":2}']);
  });

  it('trace-cmd: a 12-byte OFFERCHANNEL (min 196) and a handler-less TL_CONNECT_RESULT (23) show only vmbus_on_msg_dpc', () => {
    const short = msgToGuest('010000000000000000000000', { msgtype: 'CHANNELMSG_OFFERCHANNEL', decoded: { offer: {} } });
    const tl = msgToGuest('17000000' + '00'.repeat(36), { msgtype: 'CHANNELMSG_TL_CONNECT_RESULT' });
    assert.deepEqual(names([short, tl]), ['vmbus_on_msg_dpc {"msgtype":1}', 'vmbus_on_msg_dpc {"msgtype":23}']);
  });

  it('trace-cmd: a whole RESCIND still reaches vmbus_on_message and vmbus_onoffer_rescind', () => {
    const e = msgToGuest('020000000000000001000000', { msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', decoded: { child_relid: 1 } });
    assert.deepEqual(names([e]), ['vmbus_on_msg_dpc {"msgtype":2}', 'vmbus_on_message {"msgtype":2}', 'vmbus_onoffer_rescind {"child_relid":1}']);
  });

  it('engine: WARN_ONCE once per boot, before the EOM of that message, and no handler runs', () => {
    // Two unknown types (25, 26) behind a busy slot, so msg_pending is set and the guest writes EOM.
    const r = runText(`${SNP_BARE}device disk0 storvsc\nfaults {\n  host-unknown-msgtype msgtype=25\n  host-unknown-msgtype msgtype=26\n  busy-slot on ALLOFFERS_DELIVERED\n}\n`);
    const warn = r.events.filter((e) => e.kind === 'log' && e.party === 'guest' && /unknown msgtype/.test(e.text)).map((e) => (e as { text: string }).text);
    assert.deepEqual(warn, ['unknown msgtype=25']);
    const read = r.events.findIndex((e) => e.kind === 'state' && e.object === 'slot' && e.party === 'guest' && e.from === 'CHANNELMSG_MODIFY_CONNECTION');
    assert.ok(read > 0);
    const after = r.events.slice(read + 1, read + 4).map((e) => (e.kind === 'log' ? 'warn' : e.kind === 'register' ? `${e.register} ${e.op}` : e.kind));
    assert.deepEqual(after.slice(0, 2), ['warn', 'EOM write']);
  });

  it('engine: a payload_size over 240 is recorded on the message and dropped with "payload size is too large (248)"', () => {
    const r = runText(`${SNP_BARE}device disk0 storvsc\nfault host-oversized-payload size=248\n`);
    const m = messages(r.events).find((x) => x.fault === 'host-oversized-payload')!;
    assert.equal(m.payloadSize, 248);
    assert.ok(r.events.some((e) => e.kind === 'log' && e.text === 'payload size is too large (248)'));
    assert.deepEqual(traceCmdRecords([m]).map((x) => x.name), ['vmbus_on_msg_dpc']);
  });

  it('an engine run with a host sending msgtype 25: trace-cmd has vmbus_on_msg_dpc msgtype=25 and nothing handles it', () => {
    const r = runText(`${SNP_BARE}device disk0 storvsc\nfault host-unknown-msgtype\n`);
    const recs = traceCmdRecords(r.events);
    const i = recs.findIndex((x) => x.name === 'vmbus_on_msg_dpc' && x.values.msgtype === 25);
    assert.ok(i >= 0);
    assert.notEqual(recs[i + 1]?.name, 'vmbus_on_message');
  });
});

describe('issue 13 item 11: one source decides what a host offer with confidential flags becomes', () => {
  it('no paravisor: the host server masks 0x2 (send_offer, openvmm §1.4), the guest opens the channel with a shared ring', () => {
    const r = runText(`${SNP_BARE}device disk0 storvsc {\n  flags confidential_ring_buffer\n}\nexpect {\n  offer disk0 accepted with shared ring\n  channel disk0 open\n}\n`);
    const offer = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'guest')!;
    assert.equal((offer.decoded.offer as { chn_flags: number }).chn_flags, 0);
    assert.deepEqual(results(r), [['offer disk0 accepted confidential ring false', true], ['channel disk0 open', true]]);
  });
});

describe('issue 13 item 12: expect log reads paravisor lines too', () => {
  it('the relay\'s "host must support required feature flags" (openvmm §1.3) satisfies expect log', () => {
    const r = runText(`${SNP_OPENHCL}host {\n  features none\n}\ndevice disk0 storvsc {\n  hosted_by paravisor\n}\nexpect {\n  log "host must support required feature flags"\n}\n`);
    assert.deepEqual(results(r), [['log "host must support required feature flags"', true]]);
  });
});

describe('issue 13: expectations on monitor ids, feature flags and a device\'s messages', () => {
  it('features: the confidential connection grants exactly what Linux asked, 0x10 (openvmm §1.3, linux §2.3)', () => {
    const r = runText(`${SNP_OPENHCL}device disk0 storvsc {\n  hosted_by paravisor\n}\nexpect {\n  features confidential_channels\n  features none\n}\n`);
    assert.deepEqual(results(r).map((x) => x[1]), [true, false]);
  });

  it('features: below 6.0 the VERSION_RESPONSE has no feature flags (linux §1.3)', () => {
    const r = runText(`${PLAIN_53}device disk0 storvsc\nexpect {\n  version 5.3\n  features none\n}\n`);
    assert.deepEqual(results(r).map((x) => x[1]), [true, true]);
  });

  it('monitor: the guest gave monitor pages, so the host sends the device\'s monitor id (test_mnf_channel)', () => {
    const r = runText(`${PLAIN_53}device nic0 netvsc {\n  monitor 3\n}\nexpect {\n  offer nic0 monitor 3\n  offer nic0 monitor none\n}\n`);
    assert.deepEqual(results(r).map((x) => x[1]), [true, false]);
  });

  it('monitor: OpenHCL on a CVM ignores guest monitor pages, so its own offers carry none (openvmm §3.5, require_server_allocated_mnf)', () => {
    const r = runText(`${SNP_OPENHCL}device disk0 storvsc {\n  hosted_by paravisor\n  monitor 3\n}\nexpect {\n  offer disk0 monitor none\n}\n`);
    assert.deepEqual(results(r).map((x) => x[1]), [true]);
  });

  it('message ... device D: about D\'s channel only', () => {
    const r = runText(`${PLAIN_53}device disk0 storvsc\ndevice nic0 netvsc {\n  open no\n}\nexpect {\n  message CHANNELMSG_OPENCHANNEL device disk0\n  message CHANNELMSG_OPENCHANNEL device nic0\n  no message CHANNELMSG_OPENCHANNEL device nic0\n}\n`);
    assert.deepEqual(results(r).map((x) => x[1]), [true, false, true]);
  });
});

describe('issue 13 item 8: a flags-0 paravisor offer on a confidential connection is legitimate', () => {
  it('offers keep their own flags (test_confidential_connection: 0 / 0x2 / 0x6): the 0 one is opened with a shared ring, no invariant breaks', () => {
    const r = runText(`${SNP_OPENHCL}device disk0 storvsc {\n  hosted_by paravisor\n  flags none\n}\ndevice disk1 storvsc {\n  hosted_by paravisor\n  flags confidential_ring_buffer\n}\ndevice disk2 storvsc {\n  hosted_by paravisor\n  flags confidential_ring_buffer confidential_external_memory\n}
expect {\n  confidential\n  offer disk0 accepted with shared ring\n  offer disk1 accepted with confidential ring and shared external\n  offer disk2 accepted with confidential ring and confidential external\n  invariants hold\n}\n`);
    assert.deepEqual(results(r).filter((x) => !x[1]), []);
    const flags = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'guest').map((m) => (m.decoded.offer as { chn_flags: number }).chn_flags);
    assert.deepEqual([...flags].sort(), [0, 2, 6]);
  });
});

describe('issue 13 item 4: revoking a device with sub-channels', () => {
  it('every sub-channel is rescinded before the primary (test_revoke_subchannels_before_primary), and Linux releases each relid', () => {
    const r = runText(`${SNP_BARE}device nic0 netvsc {\n  subchannels 2\n}\nrun {\n  rescind nic0\n}\n`);
    const offers = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'guest')
      .map((m) => [Number(m.decoded.child_relid), Number((m.decoded.offer as { sub_channel_index: number }).sub_channel_index)]);
    const primary = offers.find((o) => o[1] === 0)![0];
    const subs = offers.filter((o) => o[1] > 0).map((o) => o[0]);
    assert.equal(subs.length, 2);
    const rescinds = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_RESCIND_CHANNELOFFER' && m.to === 'guest').map((m) => Number(m.decoded.child_relid));
    assert.deepEqual(rescinds, [...subs, primary]);
    const released = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_RELID_RELEASED').map((m) => Number(m.decoded.child_relid));
    assert.deepEqual([...released].sort(), [...subs, primary].sort());
  });

  it('through the relay: the host rescinds the sub-channels first, and so does OpenHCL towards the guest', () => {
    const r = runText(`${SNP_OPENHCL}device nic0 netvsc {\n  subchannels 2\n}\nrun {\n  rescind nic0\n}\n`);
    const toGuest = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_RESCIND_CHANNELOFFER' && m.to === 'guest').map((m) => Number(m.decoded.child_relid));
    const subRelids = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'guest' && Number((m.decoded.offer as { sub_channel_index: number }).sub_channel_index) > 0).map((m) => Number(m.decoded.child_relid));
    assert.equal(toGuest.length, 3);
    assert.deepEqual(toGuest.slice(0, 2).sort(), [...subRelids].sort());
    const toRelay = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_RESCIND_CHANNELOFFER' && m.to === 'paravisor').map((m) => Number(m.decoded.child_relid));
    assert.equal(toRelay.length, 3);
    assert.equal(toRelay[2], 1, 'the host\'s primary (relid 1) goes last');
  });
});

describe('issue 13 item 5: the multi-client fields of INITIATE_CONTACT', () => {
  const conn = (r: RunResult) => r.events.filter((e) => e.kind === 'state' && e.object === 'connection' && e.party !== 'guest').map((e) => (e as { to: string }).to);

  it('msg_vtl 2 on the multiclient port: forwarded to another VTL\'s server, no response from this one (test_version_negotiation_multiclient_vtl)', () => {
    const r = runText(`${SNP_BARE}device disk0 storvsc\nfault corrupt on INITIATE_CONTACT nth 1 field=msg_vtl value=2\n`);
    assert.ok(!messages(r.events).some((m) => m.msgtype === 'CHANNELMSG_VERSION_RESPONSE'));
    assert.deepEqual(conn(r), []);
    assert.ok(r.events.some((e) => e.kind === 'log' && e.party === 'host' && /forward/.test(e.text)));
  });

  it('msg_sint 3: the refusal (version_supported 0) goes to SINT 3 of the target VP, which Linux never unmasked; no state change (test_version_negotiation_multiclient_sint)', () => {
    const r = runText(`${SNP_BARE}device disk0 storvsc\nfault corrupt on INITIATE_CONTACT nth 1 field=msg_sint value=3\n`);
    const vr = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_VERSION_RESPONSE');
    assert.equal(vr.length, 1);
    assert.equal(vr[0].sint, 3);
    assert.equal(vr[0].decoded.version_supported, 0);
    assert.equal(vr[0].status, 'HV_STATUS_INVALID_SYNIC_STATE');
    assert.deepEqual(conn(r), []);
    // Nothing reached the guest's SINT2 slot, so Linux is still waiting for its answer to 6.0.
    assert.equal(r.events.filter((e) => e.kind === 'message' && e.from === 'guest' && e.msgtype === 'CHANNELMSG_INITIATE_CONTACT').length, 1);
  });
});

describe('issue 13 item 2: a relay that cannot be created', () => {
  const HOST_NO_FEATURES = `${SNP_OPENHCL}host {\n  features client_id pause_resume\n}\ndevice disk0 storvsc {\n  hosted_by paravisor\n}\ndevice nic0 netvsc\n`;

  it('the checker says it, in OpenVMM\'s words', () => {
    const p = parseScenario(HOST_NO_FEATURES, '/ws/t.vmbus', { readFile: () => undefined, workspaceRoot: '/ws' });
    const d = p.diagnostics.filter((x) => x.code === 'combo.relay-fails');
    assert.equal(d.length, 1);
    assert.equal(d[0].severity, 'warning');
    assert.match(d[0].message, /host must support required feature flags/);
    assert.equal(d[0].range.line, 7, 'on the host features line');
  });

  it('a host granting 6.0 without 0x1|0x2|0x4: relay creation fails, OpenHCL does not start the VM, the guest never boots (openvmm §1.3)', () => {
    const r = runText(HOST_NO_FEATURES);
    const vr = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_VERSION_RESPONSE' && m.to === 'paravisor')!;
    assert.equal(vr.hex.length, 40, 'VersionResponse2 (20 bytes)');
    const p = r.events.filter((e) => e.kind === 'log' && e.party === 'paravisor').map((e) => (e as { text: string }).text);
    // The relay asks 0x2f (openvmm §1.3); of client_id | pause_resume the host grants client_id,
    // pause_resume having no behaviour in the simulated server (model/constants SIMULATED_SERVER_FEATURES).
    assert.equal(p[0], 'host must support required feature flags. Required: 0x7, actual: 0x8.');
    assert.ok(p.includes('failed to start VM'));
    assert.ok(!r.events.some((e) => e.kind === 'message' && (e.from === 'guest' || e.to === 'guest')), 'no guest traffic');
    assert.ok(!r.events.some((e) => e.kind === 'log' && e.party === 'guest'), 'no guest log');
  });

  it('at Iron (5.3) the relay client sends the 40-byte InitiateContact, without a client id', () => {
    const r = runText(`${SNP_OPENHCL}host {\n  versions 5.3\n}\ndevice nic0 netvsc\n`);
    const ics = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_INITIATE_CONTACT' && m.from === 'paravisor');
    assert.deepEqual(ics.map((m) => m.hex.length / 2), [56, 40]);
  });
});

describe('issue 13 item 10: hostile message faults honour their triggers', () => {
  it('host-short-payload on OFFERCHANNEL device nic0 cuts nic0\'s real offer to 12 bytes; no extra message (linux §1.1 min 196)', () => {
    const r = runText(`${SNP_BARE}device disk0 storvsc\ndevice nic0 netvsc\nfault host-short-payload on CHANNELMSG_OFFERCHANNEL device nic0 size=12\n`);
    const offers = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'guest');
    assert.deepEqual(offers.map((m) => m.hex.length / 2).sort(), [12, 196]);
    assert.ok(r.events.some((e) => e.kind === 'log' && e.text === 'message too short: msgtype=1 len=12'));
    assert.deepEqual(r.state.channels.map((c) => [c.device, c.state]), [['disk0', 'open']]);
  });

  it('host-oversized-payload on GPADL_CREATED nth 1: the first channel\'s GPADL answer is lost, its open never completes', () => {
    const r = runText(`${SNP_BARE}device disk0 storvsc\nfault host-oversized-payload on CHANNELMSG_GPADL_CREATED nth 1 size=248\n`);
    const gc = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_GPADL_CREATED');
    assert.deepEqual(gc.map((m) => m.payloadSize), [248]);
    assert.ok(r.events.some((e) => e.kind === 'log' && e.text === 'payload size is too large (248)'));
    assert.deepEqual(r.state.channels.map((c) => c.state), ['opening']);
  });

  it('host-unknown-msgtype at connect follows the first host message of that phase (VERSION_RESPONSE), not the offers', () => {
    const r = runText(`${SNP_BARE}device disk0 storvsc\nfault host-unknown-msgtype at connect\n`);
    const toGuest = messages(r.events).filter((m) => m.to === 'guest').map((m) => m.msgtypeValue);
    assert.deepEqual(toGuest.slice(0, 2), [15, 25]);
    assert.ok(r.events.some((e) => e.kind === 'log' && e.text === 'unknown msgtype=25'));
  });

  it('under a paravisor the unknown msgtype reaches OpenHCL\'s client, which says so and drops it; the guest sees nothing', () => {
    const r = runText(`${SNP_OPENHCL}device nic0 netvsc\nfault host-unknown-msgtype\n`);
    assert.ok(messages(r.events).some((m) => m.msgtypeValue === 25 && m.from === 'host' && m.to === 'paravisor'));
    assert.ok(!messages(r.events).some((m) => m.msgtypeValue === 25 && m.to === 'guest'));
    assert.ok(r.events.some((e) => e.kind === 'log' && e.party === 'paravisor' && /from the host dropped/.test(e.text)));
  });

  it('open-fails relid 2 fails only the channel with relid 2; gpadl-fails nth 2 only the second GPADL', () => {
    const r = runText(`${PLAIN_53}device disk0 storvsc\ndevice nic0 netvsc\nfault open-fails relid 2\n`);
    assert.deepEqual(r.state.channels.map((c) => [c.relid, c.state]), [[1, 'open'], [2, 'offered']]);
    const g = runText(`${PLAIN_53}device disk0 storvsc\ndevice nic0 netvsc\nfault gpadl-fails nth 2\n`);
    const created = messages(g.events).filter((m) => m.msgtype === 'CHANNELMSG_GPADL_CREATED').map((m) => m.decoded.creation_status);
    assert.deepEqual(created.slice(0, 2), [0, 0xc0000001]);
  });
});

describe('issue 13: steps that drive the guest — reopen and modify', () => {
  it('close then reopen: a new ring GPADL (next handle, linux §1.3), OPENCHANNEL again, the server opens it again (test_channel_lifetime)', () => {
    const r = runText(`${PLAIN_53}device disk0 storvsc {\n  packets 0\n}\nrun {\n  close disk0\n  reopen disk0\n}\nexpect {\n  channel disk0 open\n}\n`);
    const flow = messages(r.events).filter((m) => m.from === 'guest' && m.msgtype !== 'CHANNELMSG_GPADL_BODY').map((m) => `${m.msgtype.replace('CHANNELMSG_', '')}${m.decoded.gpadl !== undefined ? ' ' + hexNum(Number(m.decoded.gpadl)) : ''}`);
    assert.deepEqual(flow, [
      'INITIATE_CONTACT', 'REQUESTOFFERS', 'GPADL_HEADER 0xe1e10', 'OPENCHANNEL', // first open
      'CLOSECHANNEL', 'GPADL_TEARDOWN 0xe1e10', // close: CLOSECHANNEL, then the ring GPADL goes
      'GPADL_HEADER 0xe1e11', 'OPENCHANNEL', // reopen: the next handle
    ]);
    assert.equal(messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_OPENCHANNEL_RESULT' && Number(m.decoded.status) === 0).length, 2);
    assert.deepEqual(results(r), [['channel disk0 open', true]]);
  });

  it('modify at 5.3: MODIFYCHANNEL, then MODIFYCHANNEL_RESPONSE status 0 (Iron); the guest then binds the channel to the new VP', () => {
    const r = runText(`platform {\n  isolation none\n  max_version 5.3\n  vps 2\n}\nparavisor none\ndevice kvp0 kvp {\n  packets 4\n}\nrun {\n  modify kvp0 vp 1\n}\n`);
    const mc = messages(r.events).filter((m) => /MODIFYCHANNEL/.test(m.msgtype));
    assert.deepEqual(mc.map((m) => [m.msgtype, m.decoded.target_vp ?? m.decoded.status]), [['CHANNELMSG_MODIFYCHANNEL', 1], ['CHANNELMSG_MODIFYCHANNEL_RESPONSE', 0]]);
    const vp = r.events.filter((e) => e.kind === 'state' && e.party === 'guest' && e.object === 'channel-vp').map((e) => (e as { to: string }).to);
    assert.deepEqual(vp, ['vp 1']);
  });

  it('modify at 5.2: no response below Iron, Linux does not wait (linux §1.3)', () => {
    const r = runText(`platform {\n  isolation none\n  max_version 5.2\n  vps 2\n}\nparavisor none\ndevice kvp0 kvp\nrun {\n  modify kvp0 vp 1\n}\n`);
    assert.deepEqual(messages(r.events).filter((m) => /MODIFYCHANNEL/.test(m.msgtype)).map((m) => m.msgtype), ['CHANNELMSG_MODIFYCHANNEL']);
  });

  it('modify of a relayed channel: OpenHCL forwards it to the host and answers with the host\'s status', () => {
    const r = runText(`${SNP_OPENHCL}device nic0 netvsc\nrun {\n  modify nic0 vp 0\n}\n`);
    const m = messages(r.events).filter((x) => /MODIFYCHANNEL/.test(x.msgtype)).map((x) => `${x.from}>${x.to} ${x.msgtype.replace('CHANNELMSG_', '')}`);
    assert.deepEqual(m, ['guest>paravisor MODIFYCHANNEL', 'paravisor>host MODIFYCHANNEL', 'host>paravisor MODIFYCHANNEL_RESPONSE', 'paravisor>guest MODIFYCHANNEL_RESPONSE']);
  });
});

describe('issue 13: steps that drive the guest — unload then connect again, reset in the middle of a GPADL', () => {
  it('unload then connect (kexec): UNLOAD, UNLOAD_RESPONSE, then a whole new connection; the new kernel starts GPADL handles at 0xE1E10 again (linux §1.3)', () => {
    const r = runText(`${PLAIN_53}device disk0 storvsc {\n  packets 0\n}\nrun {\n  unload\n  connect\n}\nexpect {\n  channel disk0 open\n}\n`);
    const flow = messages(r.events).filter((m) => m.msgtype !== 'CHANNELMSG_GPADL_BODY').map((m) => `${m.from === 'guest' ? '>' : '<'}${m.msgtype.replace('CHANNELMSG_', '')}${m.from === 'guest' && m.decoded.gpadl !== undefined ? ' ' + hexNum(Number(m.decoded.gpadl)) : ''}`);
    const once = ['>INITIATE_CONTACT', '<VERSION_RESPONSE', '>REQUESTOFFERS', '<OFFERCHANNEL', '<ALLOFFERS_DELIVERED', '>GPADL_HEADER 0xe1e10', '<GPADL_CREATED', '>OPENCHANNEL', '<OPENCHANNEL_RESULT'];
    assert.deepEqual(flow, [...once, '>UNLOAD', '<UNLOAD_RESPONSE', ...once]);
    assert.deepEqual(results(r), [['channel disk0 open', true]]);
  });

  it('connect without a previous unload is skipped', () => {
    const r = runText(`${PLAIN_53}device disk0 storvsc {\n  packets 0\n}\nrun {\n  connect\n}\n`);
    assert.equal(messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_INITIATE_CONTACT').length, 1);
  });

  it('reset while a GPADL is in progress: the server drops it, so the new kernel\'s GPADL 0xE1E10 is accepted (test_gpadl_in_progress_reset, test_reinitiate_contact: no UNLOAD_RESPONSE)', () => {
    // The first GPADL_BODY is lost, so the server holds GPADL 0xe1e10 InProgress when the reset comes.
    const r = runText(`${PLAIN_53}device disk0 storvsc {\n  packets 0\n}\nfault drop on CHANNELMSG_GPADL_BODY nth 1\nrun {\n  reset after message CHANNELMSG_GPADL_HEADER\n}\nexpect {\n  channel disk0 open\n}\n`);
    const created = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_GPADL_CREATED').map((m) => [hexNum(Number(m.decoded.gpadl)), Number(m.decoded.creation_status)]);
    assert.deepEqual(created, [['0xe1e10', 0]]);
    assert.ok(!r.events.some((e) => e.kind === 'log' && /DuplicateGpadlId/.test(e.text)));
    assert.ok(!messages(r.events).some((m) => m.msgtype === 'CHANNELMSG_UNLOAD_RESPONSE'));
    assert.equal(messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_INITIATE_CONTACT').length, 2);
    assert.deepEqual(results(r), [['channel disk0 open', true]]);
  });
});

describe('issue 13 item 12: after a fallback the monitor pages are freed and allocated again', () => {
  it('probe design, paravisor without Confidential VMBus: monitor.1 is allocated, freed with the failed vmbus_connect, allocated again and decrypted for the retry', () => {
    const r = runText('platform {\n  isolation snp\n  design probe\n}\nparavisor {\n  confidential_vmbus no\n}\ndevice disk0 storvsc\nexpect {\n  fallback\n}\n');
    const m1 = r.events.filter((e) => e.kind === 'page' && e.page === 'monitor.1').map((e) => `${(e as { action: string }).action} ${(e as { visibility: string }).visibility}`);
    assert.deepEqual(m1, ['allocate host-visible', 'free host-visible', 'allocate host-visible']);
    assert.deepEqual(results(r), [['fallback taken', true]]);
  });
});

describe('issue 13 item 9: CPUID is its own kind of event', () => {
  it('the guest executes CPUID 0x40000082 (leaf, subleaf, four registers); OpenHCL\'s intercept answers EAX bit 3 (openvmm §3.2, linux §5.2); no MSR 0x40000082 access', () => {
    const r = runText(`${SNP_OPENHCL}device disk0 storvsc {\n  hosted_by paravisor\n}\n`);
    const c = r.events.filter((e) => e.kind === 'cpuid') as import('../../../src/simulator/trace/events').CpuidEvent[];
    assert.equal(c.length, 1);
    assert.deepEqual([c[0].leaf, c[0].subleaf, c[0].answeredBy, c[0].path], ['0x40000082', '0x0', 'paravisor', 'trapped']);
    assert.equal(Number(c[0].eax) & 0x8, 0x8);
    // 0x40000082 is HV_X64_MSR_SIEFP's number: no register event may carry it for CPUID.
    assert.ok(!r.events.some((e) => e.kind === 'register' && e.register.startsWith('CPUID')));
  });
});

describe('issue 13 item 6: a feature is granted only where its behaviour exists', () => {
  it('the relay asks 0x2f; the host grants 0x0f: no pause_resume (no party pauses), no server monitor pages (none allocated)', () => {
    const r = runText(`${SNP_OPENHCL}device nic0 netvsc\n`);
    const vr = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_VERSION_RESPONSE' && m.to === 'paravisor' && Number(m.decoded.version_supported) === 1)!;
    const granted = parseInt(vr.hex.slice(38, 40) + vr.hex.slice(36, 38) + vr.hex.slice(34, 36) + vr.hex.slice(32, 34), 16);
    assert.equal(granted, 0x0f);
  });

  it('a guest asking server_specified_monitor_pages or pause_resume gets neither (VersionResponse2, 20 bytes, no VersionResponse3)', () => {
    const r = runText(`${PLAIN_53.replace('max_version 5.3', 'max_version 6.0')}device disk0 storvsc\nfault corrupt on INITIATE_CONTACT nth 1 field=feature_flags value=0x61\nexpect {\n  features guest_specified_signal_parameters\n}\n`);
    const vr = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_VERSION_RESPONSE')!;
    assert.equal(vr.hex.length, 40);
    assert.deepEqual(results(r), [['features 0x1', true]]);
  });
});
