// Full-flow tests of the engine for three non-confidential / degraded setups. Each scenario is
// asserted as a whole: every guest message and the SynIC it arrived on, every relay message, every
// register write with its access path, and the complete exposure table. The expected values are
// typed from the references (shared/reference/linux-vmbus.md = "linux §", openvmm-vmbus.md =
// "openvmm §") and the documented rules in src/simulator/model/{simulator,constants}.ts, not
// copied from the engine's output.
//
// Rules used throughout (derived once here, cited per item below):
// - Ladder: 6.0, 5.3, 5.2, 5.1, 5.0, 4.1, 4.0, 3.0, 2.4, skipping versions above max_version
//   (linux §2.2). InitiateContact goes to connection 4 from 5.0, to 1 below; later messages use
//   msg_conn_id from the VersionResponse (linux §2.3), which an OpenVMM-style VTL0 server sets to 1
//   (openvmm §2.1 step 9, §3.5).
// - GPADL split: the header carries at most 26 PFNs, each body at most 28 (linux §1.3). The default
//   rings are 0x20000 + 0x20000 bytes = 64 pages → header 26 + bodies 28 + 10; netvsc's extra
//   16-page receive buffer fits in the header alone (defaults.ts).
// - Offer order: OpenVMM sorts by interface id (openvmm §2.2 REQUEST_OFFERS), so storvsc
//   (ba6163d9-…) gets relid 1 before netvsc (f8615163-…).
// - EOM: a server sends all offers and then ALLOFFERS_DELIVERED in one go (openvmm §2.2), so all
//   but the first queue behind the busy SINT2 slot with msg_pending set (openvmm §4.5, TLFS);
//   Linux writes EOM after emptying a slot whose msg_pending is set (linux §4.6). A burst of n
//   messages therefore costs n − 1 EOM writes; single responses (VERSION_RESPONSE, GPADL_CREATED,
//   OPENCHANNEL_RESULT) cost none.
import * as assert from 'node:assert/strict';
import {
  ALL_VERSIONS, NETVSC, STORVSC, V5_3, V6_0, cfg, exposure, guestFlow, linuxFlow, logs, messages, noParavisor, regWrites, relayFlow, run,
} from './helpers';
import type { RegisterEvent } from '../../../src/simulator/trace/events';
import type { Trace } from '../../../src/simulator/trace/buffer';
import type { RunResult } from '../../../src/simulator/engine/session';

// ------------------------------------------------------------------------------------------ helpers

function ver(v: number): string {
  return `${v >>> 16}.${v & 0xffff}`;
}

/** Every guest post: type, version (+ feature flags from 5.0) for InitiateContact, path, connection id, status. */
function guestPosts(events: Trace): string[] {
  return messages(events)
    .filter((m) => m.from === 'guest')
    .map((m) => {
      const t = m.msgtype.replace('CHANNELMSG_', '');
      const v = Number(m.decoded.vmbus_version_requested);
      const what = t === 'INITIATE_CONTACT' ? `${t} ${ver(v)}${v >= 0x50000 ? ` ff=0x${Number(m.decoded.feature_flags).toString(16)}` : ''}` : t;
      return `${what} ${m.path} conn=${m.connectionId} ${m.status.replace('HV_STATUS_', '')}`;
    });
}

/** PFNs per guest GPADL message: "HEADER 0xe1e10 26", "BODY 0xe1e10 28"... */
function gpadlPfns(events: Trace): string[] {
  return messages(events)
    .filter((m) => m.from === 'guest' && (m.msgtype === 'CHANNELMSG_GPADL_HEADER' || m.msgtype === 'CHANNELMSG_GPADL_BODY'))
    .map((m) => {
      const n = m.msgtype === 'CHANNELMSG_GPADL_HEADER'
        ? (m.decoded.range as { pfn_array: unknown[] }[])[0].pfn_array.length
        : (m.decoded.pfn as unknown[]).length;
      return `${m.msgtype.replace('CHANNELMSG_GPADL_', '')} 0x${Number(m.decoded.gpadl).toString(16)} ${n}`;
    });
}

/** Every register write with its VP and the fields that matter (enable bits, SINT2 mask/proxy). */
function regWriteValues(events: Trace): string[] {
  return events
    .filter((e): e is RegisterEvent => e.kind === 'register' && e.op === 'write')
    .map((e) => {
      const f = e.fields;
      const b = (x: unknown) => (x ? 1 : 0);
      const head = `vp${String(e.vp)} ${e.synic} ${e.register}`;
      switch (e.register) {
        case 'SIMP': case 'SIEFP': return `${head} enabled=${b(f.enabled)}`;
        case 'SCONTROL': return `${head} enable=${b(f.enable)}`;
        case 'SINT2': return `${head} vector=0x${Number(f.vector).toString(16)} masked=${b(f.masked)} proxy=${b(f.proxy)}`;
        default: return head;
      }
    });
}

function freedPages(r: RunResult): Record<string, boolean> {
  return Object.fromEntries(r.state.pages.map((p) => [p.page, p.freed]));
}

// ------------------------------------------------------------------------------------------ platform

describe('full flows (plain): platform', () => {
  it('the default platform has one VP, so every SynIC register write below is on vp0', () => {
    // defaults.ts: vpCount 1. Linux runs hv_synic_init per online CPU (linux §5.5); with one
    // CPU there is only vp0's SynIC to program.
    assert.equal(cfg().platform.vpCount, 1);
  });
});

// ------------------------------------------------------------------------------------------ 1

describe('full flow: non-isolated VM at 5.3 without a paravisor', () => {
  const r = run(cfg((c) => { noParavisor(c, 'none'); c.platform.guestMaxVersion = V5_3; }));
  const ev = r.events;

  it('exchanges the whole control-plane sequence with the host, every reply on the hypervisor SynIC', () => {
    // max_version 5.3: 6.0 is skipped, 5.3 is the first and only try (linux §2.2); the host accepts
    // it. Sorted by interface id: storvsc relid 1, netvsc relid 2 (openvmm §2.2). storvsc: the ring;
    // netvsc: the ring, then its 16-page receive buffer.
    assert.deepEqual(guestFlow(ev), linuxFlow('host', 'hypervisor', 2, [STORVSC, NETVSC]));
    // No paravisor: nothing travels between VMBus servers.
    assert.deepEqual(relayFlow(ev), []);
  });

  it('posts by plain hypercall: InitiateContact 5.3 on connection 4 without feature flags, the rest on msg_conn_id 1', () => {
    // Non-isolated: hv_do_hypercall (linux §4.5, §5.6 "else"). 5.3 ≥ 5.0 → connection 4, msg_sint 2;
    // feature_flags only for a confidential ≥ 6.0 connection, else 0 (linux §2.3).
    assert.deepEqual(guestPosts(ev), [
      'INITIATE_CONTACT 5.3 ff=0x0 hypercall conn=4 SUCCESS',
      'REQUESTOFFERS hypercall conn=1 SUCCESS',
      'GPADL_HEADER hypercall conn=1 SUCCESS',
      'GPADL_BODY hypercall conn=1 SUCCESS',
      'GPADL_BODY hypercall conn=1 SUCCESS',
      'OPENCHANNEL hypercall conn=1 SUCCESS',
      'GPADL_HEADER hypercall conn=1 SUCCESS',
      'GPADL_BODY hypercall conn=1 SUCCESS',
      'GPADL_BODY hypercall conn=1 SUCCESS',
      'OPENCHANNEL hypercall conn=1 SUCCESS',
      'GPADL_HEADER hypercall conn=1 SUCCESS',
    ]);
    // Handles from 0xE1E10 upwards (linux §1.3).
    assert.deepEqual(gpadlPfns(ev), [
      'HEADER 0xe1e10 26', 'BODY 0xe1e10 28', 'BODY 0xe1e10 10',
      'HEADER 0xe1e11 26', 'BODY 0xe1e11 28', 'BODY 0xe1e11 10',
      'HEADER 0xe1e12 16',
    ]);
    assert.deepEqual(logs(ev), ['hv_vmbus: Vmbus version:5.3']);
  });

  it('writes only the hypervisor SynIC, by plain wrmsr: setup, then one EOM per queued offer message', () => {
    // linux §5.5 (not confidential, no paravisor): hypervisor SIMP, SIEFP (guest-allocated pages),
    // SINT2, then hypervisor SCONTROL. linux §5.4: no paravisor → plain rdmsr/wrmsr ('msr').
    // EOMs: 2 offers + ALLOFFERS_DELIVERED in one burst → 2 EOM writes, to the hypervisor (linux §4.6).
    assert.deepEqual(regWrites(ev), [
      'hypervisor SIMP msr',
      'hypervisor SIEFP msr',
      'hypervisor SINT2 msr',
      'hypervisor SCONTROL msr',
      'hypervisor EOM msr',
      'hypervisor EOM msr',
    ]);
    // SINT2 = {vector 0xf3, masked 0, auto_eoi per hv_recommend_using_aeoi (false here)} (linux §4.2);
    // no paravisor, so no proxy bit anywhere.
    assert.deepEqual(regWriteValues(ev), [
      'vp0 hypervisor SIMP enabled=1',
      'vp0 hypervisor SIEFP enabled=1',
      'vp0 hypervisor SINT2 vector=0xf3 masked=0 proxy=0',
      'vp0 hypervisor SCONTROL enable=1',
      'vp0 hypervisor EOM',
      'vp0 hypervisor EOM',
    ]);
  });

  it('exposure table: every page host-visible (no hardware isolation), none freed', () => {
    // No isolation: nothing is encrypted, so every page the guest allocates is host-accessible.
    // Pages: the guest's own hypervisor SIM/SIEF pages (hv_synic_alloc without a paravisor, linux
    // §5.5), the two monitor pages and the interrupt page vmbus_connect allocates (linux §2.3; the
    // int page is allocated whatever the version — engine's documented choice, the reference only
    // says it is used below 5.0), the two rings and netvsc's buffer.
    assert.deepEqual(exposure(ev), {
      'vp0.hyp.simp': 'host-visible',
      'vp0.hyp.siefp': 'host-visible',
      'monitor.1': 'host-visible',
      'monitor.2': 'host-visible',
      'int-page': 'host-visible',
      'relid1.ring': 'host-visible',
      'relid2.ring': 'host-visible',
      'relid2.buf0': 'host-visible',
    });
    assert.deepEqual(freedPages(r), {
      'vp0.hyp.simp': false, 'vp0.hyp.siefp': false, 'monitor.1': false, 'monitor.2': false, 'int-page': false,
      'relid1.ring': false, 'relid2.ring': false, 'relid2.buf0': false,
    });
  });

  it('ends connected at 5.3 with both host channels open', () => {
    assert.equal(r.state.guest.version, V5_3);
    assert.equal(r.state.guest.confidential, false);
    assert.deepEqual(r.state.channels.map((c) => [c.relid, c.device, c.state, c.chnFlags]), [[1, 'disk0', 'open', 0], [2, 'nic0', 'open', 0]]);
    assert.deepEqual(r.state.brokenInvariants, []);
  });
});

// ------------------------------------------------------------------------------------------ 2

describe('full flow: probe-and-fallback with a paravisor that cannot do Confidential VMBus (SNP)', () => {
  const r = run(cfg((c) => {
    c.platform.design = 'probe';
    c.platform.paravisor = { present: true, confidentialVmbus: false, versions: [] };
  }));
  const ev = r.events;

  it('tries every version directly at the paravisor, then redoes the connection with the host on the hypervisor SynIC', () => {
    assert.deepEqual(guestFlow(ev), [
      // The confidential attempt: HvPostMessage trapped by the paravisor (linux §5.3 v1/v2 doc:
      // "Send messages to the paravisor by calling HvPostMessage directly"). The legacy paravisor
      // has no VMBus server, so every post fails (constants.ts LEGACY_PARAVISOR_DIRECT_POST_STATUS,
      // UNCONFIRMED) and no reply arrives; the whole ladder is walked (linux §1.4.1, §2.2).
      ...ALL_VERSIONS.map(() => 'guest>paravisor - INITIATE_CONTACT'),
      // Fallback: the host serves VTL0 directly; replies land in the hypervisor SIM page. Only the
      // host's netvsc exists (the paravisor-hosted storvsc has no server to offer it): relid 1.
      ...linuxFlow('host', 'hypervisor', 1, [NETVSC]),
    ]);
    assert.deepEqual(relayFlow(ev), []); // no VMBus server in VTL2, so no relay either
  });

  it('failed probes are trapped posts rejected with INVALID_CONNECTION_ID; after the fallback posts go through the GHCB', () => {
    const failed = (v: number, conn: number, ff: string) => `INITIATE_CONTACT ${ver(v)}${ff} trapped conn=${conn} INVALID_CONNECTION_ID`;
    assert.deepEqual(guestPosts(ev), [
      // 6.0 carries 0x10 while the attempt is confidential (linux §2.3; v4 is silent on 6.0 —
      // engine's choice: is_confidential is true during the attempt, linux §5.3).
      failed(0x60000, 4, ' ff=0x10'),
      failed(0x50003, 4, ' ff=0x0'),
      failed(0x50002, 4, ' ff=0x0'),
      failed(0x50001, 4, ' ff=0x0'),
      failed(0x50000, 4, ' ff=0x0'),
      // Below 5.0: connection 1 and the interrupt page instead of msg_sint/feature_flags (linux §2.3).
      failed(0x40001, 1, ''),
      failed(0x40000, 1, ''),
      failed(0x30000, 1, ''),
      failed(0x20004, 1, ''),
      // Not confidential with a paravisor on SNP: hv_ghcb_hypercall (linux §5.6); 6.0 first again,
      // feature_flags 0 now; msg_conn_id 1 afterwards.
      'INITIATE_CONTACT 6.0 ff=0x0 ghcb conn=4 SUCCESS',
      'REQUESTOFFERS ghcb conn=1 SUCCESS',
      'GPADL_HEADER ghcb conn=1 SUCCESS',
      'GPADL_BODY ghcb conn=1 SUCCESS',
      'GPADL_BODY ghcb conn=1 SUCCESS',
      'OPENCHANNEL ghcb conn=1 SUCCESS',
      'GPADL_HEADER ghcb conn=1 SUCCESS',
    ]);
    // The failed probes create no GPADLs, so the first handle is still 0xE1E10 (linux §1.3).
    assert.deepEqual(gpadlPfns(ev), ['HEADER 0xe1e10 26', 'BODY 0xe1e10 28', 'BODY 0xe1e10 10', 'HEADER 0xe1e11 16']);
    // linux §1.4.1 "Unable to connect to host", then v4's pr_info (linux §5.3, §5.9), then the retry.
    assert.deepEqual(logs(ev), ['hv_vmbus: Unable to connect to host', 'hv_vmbus: VMBus is confidential: 0', 'hv_vmbus: Vmbus version:6.0']);
  });

  it('register writes: confidential setup, hv_synic_cleanup, non-confidential re-setup, then one EOM via the GHCB', () => {
    assert.deepEqual(regWrites(ev), [
      // hv_synic_init, confidential (linux §5.5, §5.3 v1/v2 doc):
      // 1. paravisor SIMP/SIEFP by direct (trapped) MSR writes;
      'paravisor SIMP trapped',
      'paravisor SIEFP trapped',
      // 2. hypervisor SIMP/SIEFP/SINT2 through the GHCB (hv_set_msr with a paravisor, linux §5.4),
      //    plus the SINT2 mirror to the paravisor (native wrmsr, trapped);
      'hypervisor SIMP ghcb',
      'hypervisor SIEFP ghcb',
      'hypervisor SINT2 ghcb',
      'paravisor SINT2 trapped',
      // 3. SCONTROL on the paravisor.
      'paravisor SCONTROL trapped',
      // hv_synic_cleanup (linux §5.5): hv_hyp_synic_disable_regs (SINT2 masked + its paravisor
      // mirror, SIMP/SIEFP disabled), no hypervisor SCONTROL because the attempt was confidential,
      // then hv_para_synic_disable_regs + hv_para_synic_disable_interrupts.
      'hypervisor SINT2 ghcb',
      'paravisor SINT2 trapped',
      'hypervisor SIMP ghcb',
      'hypervisor SIEFP ghcb',
      'paravisor SIMP trapped',
      'paravisor SIEFP trapped',
      'paravisor SCONTROL trapped',
      // hv_synic_init again, not confidential: no paravisor SIMP/SIEFP, SCONTROL on the hypervisor.
      'hypervisor SIMP ghcb',
      'hypervisor SIEFP ghcb',
      'hypervisor SINT2 ghcb',
      'paravisor SINT2 trapped',
      'hypervisor SCONTROL ghcb',
      // OFFERCHANNEL + ALLOFFERS_DELIVERED burst → 1 EOM; not confidential → hv_set_msr → GHCB (linux §4.6).
      'hypervisor EOM ghcb',
    ]);
    assert.deepEqual(regWriteValues(ev), [
      'vp0 paravisor SIMP enabled=1',
      'vp0 paravisor SIEFP enabled=1',
      'vp0 hypervisor SIMP enabled=1',
      'vp0 hypervisor SIEFP enabled=1',
      'vp0 hypervisor SINT2 vector=0xf3 masked=0 proxy=0',
      // proxy = hv_para_sint_proxy = !is_confidential → 0 during the attempt (linux §5.4).
      'vp0 paravisor SINT2 vector=0xf3 masked=0 proxy=0',
      'vp0 paravisor SCONTROL enable=1',
      // Teardown: "Teardown sets masked=1" (linux §4.2); the mirror still carries proxy 0.
      'vp0 hypervisor SINT2 vector=0xf3 masked=1 proxy=0',
      'vp0 paravisor SINT2 vector=0xf3 masked=1 proxy=0',
      'vp0 hypervisor SIMP enabled=0',
      'vp0 hypervisor SIEFP enabled=0',
      'vp0 paravisor SIMP enabled=0',
      'vp0 paravisor SIEFP enabled=0',
      'vp0 paravisor SCONTROL enable=0',
      'vp0 hypervisor SIMP enabled=1',
      'vp0 hypervisor SIEFP enabled=1',
      'vp0 hypervisor SINT2 vector=0xf3 masked=0 proxy=0',
      // "Set the proxy flag on SINT 2 for the paravisor" (linux §5.3 fallback).
      'vp0 paravisor SINT2 vector=0xf3 masked=0 proxy=1',
      'vp0 hypervisor SCONTROL enable=1',
      'vp0 hypervisor EOM',
    ]);
  });

  it('exposure table: paravisor SynIC pages encrypted and freed by the fallback; everything the host serves is host-visible', () => {
    assert.deepEqual(exposure(ev), {
      // hv_synic_alloc, confidential: paravisor SynIC pages allocated encrypted (linux §5.5);
      // hv_synic_free frees them before the retry (engine's documented choice, simulator.ts
      // guestSynicTeardown; the reference quotes no hv_synic_free for v4).
      'vp0.para.simp': 'encrypted',
      'vp0.para.siefp': 'encrypted',
      // With a paravisor, Linux keeps the GPA the paravisor supplies: shared pages (linux §5.5).
      'vp0.hyp.simp': 'host-visible',
      'vp0.hyp.siefp': 'host-visible',
      // Monitor pages are always decrypted (linux §2.3); the int page is not (engine's choice,
      // simulator.ts guestConnect "not decrypted by vmbus_connect").
      'monitor.1': 'host-visible',
      'monitor.2': 'host-visible',
      'int-page': 'encrypted',
      // netvsc: no 0x2/0x4 → ring and buffer decrypted (linux §5.7 truth table, row 0/0).
      'relid1.ring': 'host-visible',
      'relid1.buf0': 'host-visible',
    });
    // No post msg page: that is TDX only (linux §5.5). The monitor/int pages survive the failed
    // attempt — the reference is silent on vmbus_connect's cleanup; engine's choice (it reuses them).
    assert.deepEqual(freedPages(r), {
      'vp0.para.simp': true, 'vp0.para.siefp': true, 'vp0.hyp.simp': false, 'vp0.hyp.siefp': false,
      'monitor.1': false, 'monitor.2': false, 'int-page': false, 'relid1.ring': false, 'relid1.buf0': false,
    });
  });

  it('ends connected at 6.0, not confidential, with only the host netvsc open', () => {
    assert.equal(r.state.guest.version, V6_0);
    assert.equal(r.state.guest.confidential, false);
    assert.equal(r.state.guest.fallbackTaken, true);
    assert.deepEqual(r.state.channels.map((c) => [c.relid, c.device, c.state, c.chnFlags]), [[1, 'nic0', 'open', 0]]);
    assert.deepEqual(r.state.brokenInvariants, []);
  });
});

// ------------------------------------------------------------------------------------------ 3

describe('full flow: version gating through the relay — host offers only 5.3 and 5.2 (SNP, OpenHCL)', () => {
  const r = run(cfg((c) => { c.platform.hostVersions = [V5_3, 0x50002]; }));
  const ev = r.events;

  it('the relay tries Copper then Iron; Iron carries no feature flags, so the relay is not created and the VM does not start', () => {
    // openvmm §1.1: vmbus_client supports only [Copper, Iron], Copper first. The host refuses 6.0
    // (version_supported 0) and accepts 5.3; pre-Copper has no feature flags, so the relay
    // requirement 0x1|0x2|0x4 fails: "host must support required feature flags" (openvmm §1.3).
    assert.deepEqual(relayFlow(ev), [
      'paravisor>host - INITIATE_CONTACT',
      'host>paravisor hypervisor VERSION_RESPONSE',
      'paravisor>host - INITIATE_CONTACT',
      'host>paravisor hypervisor VERSION_RESPONSE',
    ]);
    const rel = messages(ev).filter((m) => m.from === 'paravisor' && m.to === 'host');
    assert.deepEqual(rel.map((m) => [m.decoded.vmbus_version_requested, m.connectionId]), [[V6_0, 0x800074], [V5_3, 0x800074]]);
    const vrs = messages(ev).filter((m) => m.from === 'host' && m.to === 'paravisor');
    assert.deepEqual(vrs.map((m) => m.decoded.version_supported), [0, 1]);
    assert.deepEqual(logs(ev, 'paravisor'), [
      'host must support required feature flags. Required: 0x7, actual: 0x0.',
      'failed to create host vmbus transport: host must support required feature flags',
      'failed to start VM',
    ]);
  });

  it('OpenHCL fails to start the VM: the guest never boots and sends nothing (openvmm §1.3: fatal to the VM, not to VMBus alone)', () => {
    // worker.rs: HostVmbusTransport::new(...).context("failed to create host vmbus transport")?
    // propagates out of VM start, "failed to start VM", complete_start_vtl0(Some(err)); VTL0 never runs.
    assert.deepEqual(guestFlow(ev), []);
    assert.ok(!ev.some((e) => e.kind === 'register' || (e.kind === 'phase' && e.name === 'discovery')));
    assert.deepEqual(r.state.channels, []);
    assert.equal(r.state.guest.version, null);
  });
});
