// Scenario-level tests of the engine. Expected values are typed from the references
// (shared/reference/linux-vmbus.md, openvmm-vmbus.md), not produced by the engine.
import * as assert from 'node:assert/strict';
import {
  ALL_VERSIONS, V4_0, V5_3, V6_0, cfg, exposure, firstMsg, guestFlow, logs, messages, noParavisor, phasesBegun, regWrites, relayFlow, run,
} from './helpers';
import type { CpuidEvent, MessageEvent, RegisterEvent } from '../../../src/simulator/trace/events';

const CONF_OPEN_FLOW = [
  'guest>paravisor - INITIATE_CONTACT',
  'paravisor>guest paravisor VERSION_RESPONSE',
  'guest>paravisor - REQUESTOFFERS',
  'paravisor>guest paravisor OFFERCHANNEL',
  'paravisor>guest paravisor OFFERCHANNEL',
  'paravisor>guest paravisor ALLOFFERS_DELIVERED',
  // storvsc: 64-page ring = GPADL_HEADER (26 PFNs) + 2 × GPADL_BODY (28 + 10)
  'guest>paravisor - GPADL_HEADER',
  'guest>paravisor - GPADL_BODY',
  'guest>paravisor - GPADL_BODY',
  'paravisor>guest paravisor GPADL_CREATED',
  'guest>paravisor - OPENCHANNEL',
  'paravisor>guest paravisor OPENCHANNEL_RESULT',
  // netvsc (relayed): ring, open, then one 16-page receive buffer GPADL
  'guest>paravisor - GPADL_HEADER',
  'guest>paravisor - GPADL_BODY',
  'guest>paravisor - GPADL_BODY',
  'paravisor>guest paravisor GPADL_CREATED',
  'guest>paravisor - OPENCHANNEL',
  'paravisor>guest paravisor OPENCHANNEL_RESULT',
  'guest>paravisor - GPADL_HEADER',
  'paravisor>guest paravisor GPADL_CREATED',
];

const RELAY_FLOW = [
  'paravisor>host - INITIATE_CONTACT',
  'host>paravisor hypervisor VERSION_RESPONSE',
  'paravisor>host - REQUESTOFFERS',
  'host>paravisor hypervisor OFFERCHANNEL',
  'host>paravisor hypervisor ALLOFFERS_DELIVERED',
  // The guest's InitiateContact: OpenHCL, not handling MNF (no NIC of its own), hands its monitor
  // pages to the relay, which sends them to the host (vmbus_relay handle_modify).
  'paravisor>host - MODIFY_CONNECTION',
  'host>paravisor hypervisor MODIFY_CONNECTION_RESPONSE',
  'paravisor>host - GPADL_HEADER',
  'paravisor>host - GPADL_BODY',
  'paravisor>host - GPADL_BODY',
  'host>paravisor hypervisor GPADL_CREATED',
  'paravisor>host - OPENCHANNEL',
  'host>paravisor hypervisor OPENCHANNEL_RESULT',
  'paravisor>host - GPADL_HEADER',
  'host>paravisor hypervisor GPADL_CREATED',
];

describe('engine: confidential SNP with OpenHCL (paravisor storvsc 0x2 + relayed netvsc)', () => {
  const r = run(cfg());
  const ev = r.events;

  it('exchanges the Linux control-plane sequence with the paravisor, all on the paravisor SynIC', () => {
    assert.deepEqual(guestFlow(ev), CONF_OPEN_FLOW);
  });

  it('InitiateContact: 6.0 first, connection id 4, msg_sint 2, feature_flags 0x10, trapped (trusted)', () => {
    const ic = firstMsg(ev, 'CHANNELMSG_INITIATE_CONTACT', (m) => m.from === 'guest');
    assert.equal(ic.connectionId, 4);
    assert.equal(ic.path, 'trapped');
    assert.equal(ic.trusted, true);
    assert.equal(ic.confidential, true);
    assert.equal(ic.decoded.vmbus_version_requested, V6_0);
    assert.equal(ic.decoded.msg_sint, 2);
    assert.equal(ic.decoded.msg_vtl, 0);
    assert.equal(ic.decoded.feature_flags, 0x10);
    // Header: msgtype 14 (0x0e) little-endian, 40 bytes.
    assert.equal(ic.hex.length, 80);
    assert.ok(ic.hex.startsWith('0e000000'));
    const vr = firstMsg(ev, 'CHANNELMSG_VERSION_RESPONSE', (m) => m.to === 'guest');
    assert.equal(vr.decoded.version_supported, 1);
    assert.equal(vr.decoded.msg_conn_id, 1); // OpenHCL VTL0 server: child connection id 1
  });

  it('later messages use msg_conn_id 1; GPADL handles start at 0xE1E10', () => {
    const ro = firstMsg(ev, 'CHANNELMSG_REQUESTOFFERS', (m) => m.from === 'guest');
    assert.equal(ro.connectionId, 1);
    const hdrs = messages(ev).filter((m) => m.msgtype === 'CHANNELMSG_GPADL_HEADER' && m.from === 'guest').map((m) => m.decoded.gpadl);
    assert.deepEqual(hdrs, [0xe1e10, 0xe1e11, 0xe1e12]);
    const first = messages(ev).find((m) => m.msgtype === 'CHANNELMSG_GPADL_HEADER')!;
    const range = (first.decoded.range as { pfn_array: unknown[] }[])[0];
    assert.equal(range.pfn_array.length, 26);
    const bodies = messages(ev).filter((m) => m.msgtype === 'CHANNELMSG_GPADL_BODY' && m.from === 'guest' && m.decoded.gpadl === 0xe1e10);
    assert.deepEqual(bodies.map((b) => (b.decoded.pfn as unknown[]).length), [28, 10]);
    assert.deepEqual(bodies.map((b) => b.decoded.msgnumber), [0, 0]); // Linux never sets msgnumber
  });

  it('offers: storvsc keeps 0x2 (paravisor-hosted), relayed netvsc has no confidential flags; relids by class order; connection ids 0x2000|relid', () => {
    const offers = messages(ev).filter((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'guest');
    assert.equal(offers.length, 2);
    const [sto, nic] = offers.map((o) => o.decoded as { child_relid: number; connection_id: number; monitorid: number; monitor_allocated: number; is_dedicated_interrupt: number; offer: { chn_flags: number; if_type: string } });
    assert.equal(sto.offer.if_type, 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f');
    assert.equal(sto.child_relid, 1);
    assert.equal(sto.offer.chn_flags, 0x2);
    assert.equal(sto.connection_id, 0x2001);
    assert.equal(nic.offer.if_type, 'f8615163-df3e-46c5-913f-f2d2f965ed0e');
    assert.equal(nic.child_relid, 2);
    assert.equal(nic.offer.chn_flags, 0x0);
    assert.equal(nic.connection_id, 0x2002);
    // OpenHCL does not handle MNF (worker.rs: enable_mnf defaults to whether it has a NIC), so it
    // keeps the guest's monitor pages (not require_server_allocated_mnf) and the relayed netvsc keeps
    // the host's monitor id (MnfUsage::Relayed; the default device's monitor 1); is_dedicated always 1.
    assert.equal(nic.monitorid, 1);
    assert.equal(nic.monitor_allocated, 1);
    assert.equal(nic.is_dedicated_interrupt, 1);
  });

  it('the relay connects to the host on 0x800074 (VTL2 SINT 7) and forwards GPADL/open of the relayed channel', () => {
    assert.deepEqual(relayFlow(ev), RELAY_FLOW);
    const ic = firstMsg(ev, 'CHANNELMSG_INITIATE_CONTACT', (m) => m.from === 'paravisor');
    assert.equal(ic.connectionId, 0x800074);
    assert.equal(ic.decoded.feature_flags, 0x2f);
    const offer = firstMsg(ev, 'CHANNELMSG_OFFERCHANNEL', (m) => m.to === 'paravisor');
    assert.equal(offer.sint, 7);
    assert.equal(offer.vtl, 2);
  });

  it('register access paths: paravisor SynIC trapped, hypervisor SynIC through the GHCB, proxy bit clear', () => {
    const w = regWrites(ev);
    assert.deepEqual(w.slice(0, 7), [
      'paravisor SIMP trapped',
      'paravisor SIEFP trapped',
      'hypervisor SIMP ghcb',
      'hypervisor SIEFP ghcb',
      'hypervisor SINT2 ghcb',
      'paravisor SINT2 trapped',
      'paravisor SCONTROL trapped',
    ]);
    const sint = ev.filter((e): e is RegisterEvent => e.kind === 'register' && e.register === 'SINT2' && e.op === 'write');
    assert.equal(sint[0].fields.vector, 0xf3);
    assert.equal(sint[0].fields.masked, false);
    assert.equal(sint[1].synic, 'paravisor');
    assert.equal(sint[1].fields.proxy, false);
    const eoms = w.filter((x) => x.includes(' EOM '));
    assert.ok(eoms.length >= 2, 'offers queue behind each other: EOM redelivery');
    assert.ok(eoms.every((x) => x === 'paravisor EOM trapped'));
  });

  it('exposure table: paravisor SynIC pages and the storvsc ring encrypted; hypervisor SynIC, monitor pages and the relayed ring host-visible', () => {
    const x = exposure(ev);
    assert.equal(x['vp0.para.simp'], 'encrypted');
    assert.equal(x['vp0.para.siefp'], 'encrypted');
    assert.equal(x['vp0.hyp.simp'], 'host-visible');
    assert.equal(x['vp0.hyp.siefp'], 'host-visible');
    assert.equal(x['monitor.1'], 'host-visible');
    assert.equal(x['monitor.2'], 'host-visible');
    assert.equal(x['relid1.ring'], 'encrypted');
    assert.equal(x['relid2.ring'], 'host-visible');
    assert.equal(x['relid2.buf0'], 'host-visible');
    const ring1 = r.state.pages.find((p) => p.page === 'relid1.ring')!;
    assert.deepEqual(ring1.readableBy, ['guest', 'paravisor']);
    const ring2 = r.state.pages.find((p) => p.page === 'relid2.ring')!;
    assert.ok(ring2.readableBy.includes('host'));
  });

  it('logs and state', () => {
    assert.deepEqual(logs(ev), ['hv_vmbus: Establishing connection to the confidential VMBus', 'hv_vmbus: Vmbus version:6.0']);
    assert.equal(r.state.guest.confidential, true);
    assert.equal(r.state.guest.version, V6_0);
    assert.equal(r.state.guest.featureFlags, 0x10);
    assert.equal(r.state.paravisor.grantedFeatures & 0x10, 0x10);
    assert.deepEqual(r.state.channels.map((c) => [c.relid, c.device, c.state, c.confidentialRing, c.hostedBy, c.relayed]), [
      [1, 'disk0', 'open', true, 'paravisor', false],
      [2, 'nic0', 'open', false, 'host', true],
    ]);
    assert.deepEqual(r.state.brokenInvariants, []);
  });

  it('phases read naturally', () => {
    const p = phasesBegun(ev);
    for (const name of ['relay-connect', 'discovery', 'synic-setup vp0', 'connect', 'version 6.0', 'offers', 'open storvsc (relid 1)', 'gpadl 0xe1e10', 'open netvsc (relid 2)', 'data']) {
      assert.ok(p.includes(name), `phase ${name}`);
    }
  });

  it('data packets use real ring arithmetic: in-band 16 + 48 + 8 = 72 bytes, write index advances', () => {
    const pk = ev.filter((e) => e.kind === 'packet' && e.relid === 1);
    assert.equal(pk.length, 8);
    const out = pk.filter((e) => e.kind === 'packet' && e.ring === 'outbound');
    assert.deepEqual(out.map((e) => e.kind === 'packet' && e.writeIndex), [72, 144, 216, 288]);
    assert.ok(out.every((e) => e.kind === 'packet' && e.confidential));
  });
});

describe('engine: confidential TDX with OpenHCL', () => {
  const r = run(cfg((c) => { c.platform.isolation = 'tdx'; }));
  const ev = r.events;
  it('same message sequence', () => {
    assert.deepEqual(guestFlow(ev), CONF_OPEN_FLOW);
  });
  it('hypervisor SynIC through tdcall, paravisor trapped', () => {
    assert.deepEqual(regWrites(ev).slice(0, 7), [
      'paravisor SIMP trapped', 'paravisor SIEFP trapped', 'hypervisor SIMP tdcall', 'hypervisor SIEFP tdcall', 'hypervisor SINT2 tdcall',
      'paravisor SINT2 trapped', 'paravisor SCONTROL trapped',
    ]);
  });
  it('TDX with a paravisor allocates the post msg page, kept encrypted when confidential', () => {
    assert.equal(exposure(ev)['vp0.post-msg'], 'encrypted');
    assert.equal(exposure(ev)['relid1.ring'], 'encrypted');
    assert.equal(exposure(ev)['relid2.ring'], 'host-visible');
  });
});

describe('engine: probe-and-fallback (historical design) with a paravisor without Confidential VMBus', () => {
  const r = run(cfg((c) => {
    c.platform.design = 'probe';
    c.platform.paravisor = { present: true, confidentialVmbus: false, versions: [] };
  }));
  const ev = r.events;

  it('probes the paravisor SynIC: encrypted SIMP by direct MSR write, SINT2 without proxy, paravisor SCONTROL', () => {
    assert.deepEqual(regWrites(ev).slice(0, 7), [
      'paravisor SIMP trapped', 'paravisor SIEFP trapped', 'hypervisor SIMP ghcb', 'hypervisor SIEFP ghcb', 'hypervisor SINT2 ghcb',
      'paravisor SINT2 trapped', 'paravisor SCONTROL trapped',
    ]);
  });

  it('every direct InitiateContact fails (no VMBus server in the paravisor), the ladder runs out, then falls back', () => {
    const ics = messages(ev).filter((m) => m.msgtype === 'CHANNELMSG_INITIATE_CONTACT');
    const failed = ics.filter((m) => m.status === 'HV_STATUS_INVALID_CONNECTION_ID');
    assert.deepEqual(failed.map((m) => m.decoded.vmbus_version_requested), ALL_VERSIONS);
    assert.ok(failed.every((m) => m.path === 'trapped'));
    assert.deepEqual(failed.map((m) => m.connectionId), [4, 4, 4, 4, 4, 1, 1, 1, 1]);
    const ok = ics.filter((m) => m.status === 'HV_STATUS_SUCCESS');
    assert.equal(ok[0].path, 'ghcb');
    assert.equal(ok[0].to, 'host');
    assert.equal(ok[0].decoded.feature_flags, 0); // not confidential any more
    assert.deepEqual(logs(ev), [
      'hv_vmbus: Unable to connect to host',
      'hv_vmbus: VMBus is confidential: 0',
      'hv_vmbus: Vmbus version:6.0',
    ]);
  });

  it('fallback reconfigures: proxy flag on the paravisor SINT2, hypervisor SCONTROL via GHCB, EOM to the hypervisor', () => {
    const sints = ev.filter((e): e is RegisterEvent => e.kind === 'register' && e.op === 'write' && e.synic === 'paravisor' && e.register === 'SINT2');
    // setup (confidential attempt, proxy 0) → hv_synic_cleanup's masked SINT2 write, mirrored to the
    // paravisor by hv_set_msr with the proxy bit still 0 (linux §5.4, §5.5) → re-setup with proxy 1.
    assert.deepEqual(sints.map((s) => s.fields.proxy), [false, false, true]);
    assert.deepEqual(sints.map((s) => s.fields.masked), [false, true, false]);
    const w = regWrites(ev);
    const fb = w.lastIndexOf('paravisor SINT2 trapped');
    assert.equal(w[fb + 1], 'hypervisor SCONTROL ghcb');
    assert.ok(w.filter((x) => x.includes('EOM')).every((x) => x === 'hypervisor EOM ghcb'));
    assert.equal(r.state.guest.fallbackTaken, true);
    assert.equal(r.state.guest.confidential, false);
  });

  it('after the fallback the host serves VTL0 directly on the hypervisor SynIC; the paravisor device is not offered', () => {
    const toGuest = messages(ev).filter((m) => m.to === 'guest');
    assert.ok(toGuest.every((m) => m.synic === 'hypervisor' && m.from === 'host'));
    assert.deepEqual(r.state.channels.map((c) => [c.device, c.chnFlags, c.state]), [['nic0', 0, 'open']]);
    assert.equal(exposure(ev)['relid1.ring'], 'host-visible');
    assert.equal(exposure(ev)['vp0.para.simp'], 'encrypted');
    assert.ok(r.state.pages.find((p) => p.page === 'vp0.para.simp')!.freed);
  });

  it('phases are comparable with the CPUID design (same names after the fallback)', () => {
    const cpuid = run(cfg((c) => { c.platform.paravisor = { present: true, confidentialVmbus: false, versions: [] }; }));
    const a = phasesBegun(ev);
    const b = phasesBegun(cpuid.events);
    const tail = a.slice(a.indexOf('fallback') + 1);
    assert.deepEqual(tail, b.slice(b.indexOf('synic-setup vp0')));
    assert.ok(a.includes('fallback'));
    assert.ok(!b.includes('fallback'));
  });
});

describe('engine: merged CPUID design with the bit clear (paravisor without Confidential VMBus)', () => {
  const r = run(cfg((c) => { c.platform.paravisor = { present: true, confidentialVmbus: false, versions: [] }; }));
  const ev = r.events;
  it('reads CPUID 0x40000082 once: EAX bit 3 clear, no fallback, never touches the paravisor SIMP', () => {
    const cpuid = ev.filter((e): e is CpuidEvent => e.kind === 'cpuid');
    assert.equal(cpuid.length, 1);
    assert.equal(cpuid[0].fields.confidential_vmbus_available, false);
    assert.equal(Number(cpuid[0].eax) & 0x8, 0);
    const w = regWrites(ev);
    assert.ok(!w.includes('paravisor SIMP trapped'));
    assert.deepEqual(w.slice(0, 6), ['hypervisor SIMP ghcb', 'hypervisor SIEFP ghcb', 'hypervisor SINT2 ghcb', 'paravisor SINT2 trapped', 'hypervisor SCONTROL ghcb', 'hypervisor EOM ghcb']);
    assert.equal(r.state.guest.fallbackTaken, false);
    assert.ok(!logs(ev).some((l) => l.includes('confidential')));
  });
  it('InitiateContact through the GHCB on connection 4 with feature_flags 0', () => {
    const ic = firstMsg(ev, 'CHANNELMSG_INITIATE_CONTACT');
    assert.equal(ic.path, 'ghcb');
    assert.equal(ic.connectionId, 4);
    assert.equal(ic.decoded.feature_flags, 0);
    assert.equal(ic.status, 'HV_STATUS_SUCCESS');
  });
});

describe('engine: CVM without a paravisor (fully enlightened SNP)', () => {
  const r = run(cfg((c) => noParavisor(c)));
  const ev = r.events;
  it('the guest programs the hypervisor SynIC only, with pages it decrypts itself', () => {
    // linux §5.4: hv_set_non_nested_msr uses the GHCB only when paravisor_present; without a
    // paravisor the SynIC MSRs are plain rdmsr/wrmsr.
    assert.deepEqual(regWrites(ev).slice(0, 4), ['hypervisor SIMP msr', 'hypervisor SIEFP msr', 'hypervisor SINT2 msr', 'hypervisor SCONTROL msr']);
    const simp = r.state.pages.find((p) => p.page === 'vp0.hyp.simp')!;
    assert.equal(simp.owner, 'guest');
    assert.equal(simp.visibility, 'host-visible');
    assert.ok(!r.state.pages.some((p) => p.page.includes('para')));
  });
  it('host offers, both rings decrypted; connection not confidential', () => {
    assert.deepEqual(r.state.channels.map((c) => [c.relid, c.className, c.state, c.chnFlags]), [[1, 'storvsc', 'open', 0], [2, 'netvsc', 'open', 0]]);
    assert.equal(exposure(ev)['relid1.ring'], 'host-visible');
    assert.equal(exposure(ev)['relid2.ring'], 'host-visible');
    assert.equal(r.state.guest.confidential, false);
    assert.ok(messages(ev).filter((m) => m.to === 'guest').every((m) => m.synic === 'hypervisor'));
  });
  it('the host (guest monitor pages accepted) sends the netvsc monitor id', () => {
    const nic = messages(ev).find((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.decoded.child_relid === 2)!;
    assert.equal(nic.decoded.monitor_allocated, 1);
    assert.equal(nic.decoded.monitorid, 1);
  });
});

describe('engine: non-isolated VM at 5.3', () => {
  const r = run(cfg((c) => { noParavisor(c, 'none'); c.platform.guestMaxVersion = V5_3; }));
  const ev = r.events;
  it('plain MSRs and hypercalls, 5.3 on connection 4 without feature flags', () => {
    assert.deepEqual(regWrites(ev).slice(0, 4), ['hypervisor SIMP msr', 'hypervisor SIEFP msr', 'hypervisor SINT2 msr', 'hypervisor SCONTROL msr']);
    const ic = firstMsg(ev, 'CHANNELMSG_INITIATE_CONTACT');
    assert.equal(ic.decoded.vmbus_version_requested, V5_3);
    assert.equal(ic.connectionId, 4);
    assert.equal(ic.path, 'hypercall');
    assert.equal(ic.decoded.feature_flags, 0);
    assert.deepEqual(logs(ev), ['hv_vmbus: Vmbus version:5.3']);
  });
  it('all memory host-accessible', () => {
    assert.ok(r.state.pages.every((p) => p.visibility === 'host-visible'));
  });
  it('an isolated VM refuses a host that only offers 4.0', () => {
    const r2 = run(cfg((c) => { noParavisor(c); c.platform.hostVersions = [V4_0, 0x00030000]; }));
    const ics = messages(r2.events).filter((m) => m.msgtype === 'CHANNELMSG_INITIATE_CONTACT');
    assert.deepEqual(ics.map((m) => m.decoded.vmbus_version_requested), [0x60000, 0x50003, 0x50002, 0x50001, 0x50000, 0x40001, 0x40000]);
    assert.deepEqual(ics.map((m) => m.connectionId), [4, 4, 4, 4, 4, 1, 1]);
    assert.deepEqual(logs(r2.events), [
      'hv_vmbus: Invalid VMBus version 4.0 (expected >= 5.2) from the host supporting isolation',
      'hv_vmbus: Unable to connect to host',
    ]);
    assert.equal(r2.state.guest.connectionState, 'failed');
  });
  it('a monitored channel signals through monitor page 2, not HvSignalEvent', () => {
    // Monitor id 33: trigger_group[1] (33 / 32), bit 1; pending of group 1 at offset 8 + 8 * 1.
    const rm = run(cfg((c) => { noParavisor(c, 'none'); c.devices[0].monitorId = 33; c.devices[0].packets = 6; }));
    const relid = rm.state.channels.find((x) => x.device === 'disk0')!.relid;
    const triggers = rm.events.filter((e) => e.kind === 'state' && e.object === 'monitor-trigger' && e.relid === relid);
    // One trigger right after each guest write that made the outbound ring non-empty.
    const signaled = rm.events.filter((e) => e.kind === 'packet' && e.relid === relid && e.ring === 'outbound' && e.signaled);
    assert.ok(signaled.length >= 1);
    assert.deepEqual(triggers.map((t) => t.seq), signaled.map((p) => p.seq + 1));
    for (const t of triggers) {
      assert.ok(t.kind === 'state');
      assert.deepEqual([t.party, t.relid, t.from, t.to, t.granularity], ['guest', relid, 'idle', 'pending', 'substep']);
      assert.deepEqual(t.detail, { monitorId: 33, group: 1, bit: 1, page: 'monitor.2', offset: '0x10', sendIntPageBit: relid });
    }
    const offer = toGuestOffer(rm, relid);
    assert.deepEqual([offer.decoded.monitorid, offer.decoded.monitor_allocated], [33, 1]);
    const signals = rm.events.filter((e) => e.kind === 'hypercall' && e.name === 'HvSignalEvent' && e.connectionId === offer.decoded.connection_id);
    assert.deepEqual(signals, []);
    // The page it writes is host-visible.
    assert.equal(rm.state.pages.find((p) => p.page === 'monitor.2')!.visibility, 'host-visible');
  });
});

function toGuestOffer(r: ReturnType<typeof run>, relid: number): MessageEvent {
  return messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'guest' && m.decoded.child_relid === relid)!;
}

describe('engine: version gating', () => {
  it('the paravisor server limited to 5.3 refuses 6.0; the guest retries 5.3 and gets no confidential channels', () => {
    const r = run(cfg((c) => { c.platform.paravisor.versions = [V5_3, 0x50002, 0x50001, 0x50000]; }));
    const vrs = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_VERSION_RESPONSE' && m.to === 'guest');
    assert.deepEqual(vrs.map((m) => m.decoded.version_supported), [0, 1]);
    const ics = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_INITIATE_CONTACT' && m.from === 'guest');
    assert.deepEqual(ics.map((m) => [m.decoded.vmbus_version_requested, m.decoded.feature_flags]), [[V6_0, 0x10], [V5_3, 0]]);
    // OpenVMM send_offer clears 0x2/0x4 without confidential_channels; Linux then decrypts the ring.
    const off = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'guest')!;
    assert.equal((off.decoded.offer as { chn_flags: number }).chn_flags, 0);
    assert.equal(exposure(r.events)['relid1.ring'], 'host-visible');
    assert.equal(r.state.guest.version, V5_3);
  });
  it('a host without 6.0 cannot back the relay: "host must support required feature flags", and OpenHCL does not start the VM', () => {
    const r = run(cfg((c) => { c.platform.hostVersions = [V5_3, 0x50002]; }));
    const rel = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_INITIATE_CONTACT' && m.from === 'paravisor');
    assert.deepEqual(rel.map((m) => m.decoded.vmbus_version_requested), [V6_0, V5_3]); // Copper, then Iron
    assert.ok(logs(r.events, 'paravisor').some((l) => l.startsWith('host must support required feature flags')));
    // openvmm §1.3: the failure is fatal to the VM; VTL0 never boots.
    assert.ok(logs(r.events, 'paravisor').includes('failed to start VM'));
    assert.deepEqual(r.state.channels, []);
  });
});

describe('engine: rescind', () => {
  it('rescind during open: no OPENCHANNEL_RESULT; ring GPADL torn down, relid released', () => {
    const r = run(cfg((c) => { noParavisor(c); c.faults = [{ kind: 'rescind-during-open', trigger: { device: 'disk0' }, params: {} }]; }));
    const flow = guestFlow(r.events).filter((l) => !l.includes('BODY'));
    const i = flow.indexOf('guest>host - OPENCHANNEL');
    assert.deepEqual(flow.slice(i, i + 5), [
      'guest>host - OPENCHANNEL',
      'host>guest hypervisor RESCIND_CHANNELOFFER',
      'guest>host - GPADL_TEARDOWN',
      'host>guest hypervisor GPADL_TORNDOWN',
      'guest>host - RELID_RELEASED',
    ]);
    const ch = r.state.channels.find((c) => c.device === 'disk0')!;
    assert.equal(ch.state, 'released');
    assert.ok(r.events.some((e) => e.kind === 'fault' && e.fault === 'rescind-during-open'));
  });
  it('rescind of an open channel: CLOSECHANNEL, teardown (buffers first), RELID_RELEASED', () => {
    const r = run(cfg((c) => { noParavisor(c); c.steps = [{ kind: 'rescind', device: 'nic0' }, { kind: 'unload' }]; }));
    const flow = guestFlow(r.events);
    const i = flow.indexOf('host>guest hypervisor RESCIND_CHANNELOFFER');
    assert.deepEqual(flow.slice(i), [
      'host>guest hypervisor RESCIND_CHANNELOFFER',
      'guest>host - CLOSECHANNEL',
      'guest>host - GPADL_TEARDOWN',
      'host>guest hypervisor GPADL_TORNDOWN',
      'guest>host - GPADL_TEARDOWN',
      'host>guest hypervisor GPADL_TORNDOWN',
      'guest>host - RELID_RELEASED',
      'guest>host - UNLOAD',
      'host>guest hypervisor UNLOAD_RESPONSE',
    ]);
    const tds = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_GPADL_TEARDOWN').map((m) => m.decoded.gpadl);
    assert.deepEqual(tds, [0xe1e12, 0xe1e11]);
    assert.equal(r.state.guest.connectionState, 'unloaded');
  });
  it('rescind of a relayed channel goes host → relay → paravisor server → guest', () => {
    const r = run(cfg((c) => { c.steps = [{ kind: 'rescind', device: 'nic0' }]; }));
    const all = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_RESCIND_CHANNELOFFER').map((m) => `${m.from}>${m.to} ${m.decoded.child_relid}`);
    assert.deepEqual(all, ['host>paravisor 1', 'paravisor>guest 2']);
    const rel = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_RELID_RELEASED').map((m) => `${m.from}>${m.to} ${m.decoded.child_relid}`);
    assert.deepEqual(rel, ['guest>paravisor 2', 'paravisor>host 1']);
  });
});

describe('engine: busy message slot and EOM redelivery', () => {
  it('non-confidential: the VERSION_RESPONSE waits behind a timer message; EOM to the hypervisor redelivers it', () => {
    const r = run(cfg((c) => { noParavisor(c); c.faults = [{ kind: 'busy-slot', trigger: { msgtype: 'CHANNELMSG_VERSION_RESPONSE' }, params: {} }]; }));
    const ev = r.events;
    const vr = ev.findIndex((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_VERSION_RESPONSE');
    const eom = ev.findIndex((e) => e.kind === 'register' && e.register === 'EOM');
    const queued = ev.findIndex((e) => e.kind === 'state' && e.object === 'slot' && (e.detail as { pending?: boolean } | undefined)?.pending === true);
    assert.ok(queued >= 0 && queued < eom && eom < vr, 'queued (msg_pending) → EOM → redelivery');
    const e = ev.at(eom)! as RegisterEvent;
    assert.equal(e.synic, 'hypervisor');
    // No paravisor: vmbus_signal_eom → hv_set_msr(EOM) is a plain wrmsr (linux §4.6, §5.4).
    assert.equal(e.path, 'msr');
    assert.equal(r.state.guest.version, V6_0);
  });
  it('confidential: the EOM goes to the paravisor', () => {
    const r = run(cfg((c) => { c.faults = [{ kind: 'busy-slot', trigger: { msgtype: 'CHANNELMSG_VERSION_RESPONSE' }, params: {} }]; }));
    const eom = r.events.find((e): e is RegisterEvent => e.kind === 'register' && e.register === 'EOM')!;
    assert.equal(eom.synic, 'paravisor');
    assert.equal(eom.path, 'trapped');
    assert.deepEqual(r.state.brokenInvariants, []);
  });
});

describe('engine: subchannels and scripted stop points', () => {
  it('subchannels are offered after the primary opens (same class + instance, sub_channel_index 1..n) and opened', () => {
    const r = run(cfg((c) => { c.devices[0].subchannels = 2; c.devices[1].subchannels = 1; }));
    const offers = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'guest')
      .map((m) => [m.decoded.child_relid, (m.decoded.offer as { sub_channel_index: number }).sub_channel_index]);
    assert.deepEqual(offers, [[1, 0], [2, 0], [3, 1], [4, 2], [5, 1]]);
    const prim = r.state.channels.find((c) => c.relid === 1)!;
    assert.deepEqual(prim.subchannels, [3, 4]);
    assert.ok(r.state.channels.every((c) => c.state === 'open'));
    // relids stay unique across paravisor-hosted and relayed channels
    const ids = r.state.channels.map((c) => c.relid);
    assert.equal(new Set(ids).size, ids.length);
  });
  it('a rescind step with an "after" stop point fires when the point is reached', () => {
    const r = run(cfg((c) => { noParavisor(c); c.steps = [{ kind: 'rescind', device: 'nic0', after: { label: 'open', msgtype: 'CHANNELMSG_OPENCHANNEL' } }]; }));
    const flow = guestFlow(r.events).filter((l) => !l.includes('BODY'));
    const i = flow.indexOf('guest>host - OPENCHANNEL');
    assert.equal(flow[i + 1], 'host>guest hypervisor RESCIND_CHANNELOFFER');
  });
});

describe('engine: ring buffers under pressure', () => {
  it('a full ring blocks the writer (pending_send_sz) until the reader signals; indices wrap modulo the data size', () => {
    const r = run(cfg((c) => c.devices.forEach((d) => { d.packets = 2000; d.sendRingBytes = 0x2000; d.recvRingBytes = 0x2000; })));
    const pk = r.events.filter((e) => e.kind === 'packet');
    assert.equal(pk.length, 4000);
    // data area = 0x2000 - 4096 = 4096 bytes; 72-byte packets: the index wraps
    assert.ok(pk.every((e) => e.kind === 'packet' && e.writeIndex < 4096 && e.writeIndex % 8 === 0));
    assert.ok(pk.some((e, i) => i > 0 && e.kind === 'packet' && e.writeIndex < 72));
    assert.ok(r.events.some((e) => e.kind === 'phase' && e.name === 'data' && e.action === 'end' && e.outcome === 'ok'));
  });
  it('lost interrupts leave the event flag set until another interrupt makes the guest scan', () => {
    const r = run(cfg((c) => { c.faults = [{ kind: 'lost-interrupt', trigger: { device: 'disk0' }, params: {} }]; }));
    const lost = r.events.filter((e) => e.kind === 'interrupt' && !e.delivered);
    assert.ok(lost.length > 0);
    assert.ok(r.events.some((e) => e.kind === 'fault' && e.fault === 'lost-interrupt' && !e.hostile));
  });
});
