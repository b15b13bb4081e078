// Full-picture tests of the three CVM configurations: the COMPLETE guest (and relay) message flow,
// EVERY register write with its access path, and the WHOLE exposure table. Expected values are
// derived from shared/reference/linux-vmbus.md ("linux §x") and openvmm-vmbus.md ("openvmm §x"),
// not from the engine's output.
//
// Common facts used by all three scenarios:
// - defaultConfig() has vpCount 1, so "every register write" is vp0's SynIC setup plus the EOMs.
// - Both default devices have 0x20000 + 0x20000 ring bytes = 64 pages → GPADL_HEADER with 26 PFNs
//   + GPADL_BODY with 28 + GPADL_BODY with 10 (linux §1.3: (240-20-8)/8 = 26, (240-16)/8 = 28).
//   netvsc's one 16-page receive buffer fits in a GPADL_HEADER alone.
// - Per channel: ring GPADL → GPADL_CREATED → OPENCHANNEL → OPENCHANNEL_RESULT (linux §1.4 item 4), then
//   the driver's HV_GPADL_BUFFER GPADLs (linux §5.7). Channels open in offer order: the reference does
//   not fix the order of concurrent driver probes, so that part follows the engine.
// - EOM: written only when msg_pending is set after the slot was emptied (linux §4.6, openvmm §4.5).
//   Request/response traffic never queues; the offer burst (OFFER × N + ALLOFFERS_DELIVERED, sent
//   back to back, openvmm §2.5) queues N messages behind the first → N EOMs.
// - Pages (linux §5.5, §2.3, §5.7, coco.rst list in §5.8): monitor pages are always decrypted; the
//   < 5.0 interrupt page is never decrypted; no page is freed. (That vmbus_connect allocates the
//   interrupt page even when 6.0 is negotiated is Linux's vmbus_connect; the reference only says
//   what it is used for (linux §2.3), so its presence in the table follows the engine.)
import * as assert from 'node:assert/strict';
import { BUF_GPADL, NETVSC, RING_GPADL, STORVSC, cfg, exposure, guestFlow, linuxFlow, noParavisor, regWrites, relayFlow, run } from './helpers';
import type { RegisterEvent } from '../../../src/simulator/trace/events';
import type { RunResult } from '../../../src/simulator/engine/session';


function sint2Writes(r: RunResult): { synic: string; vector: unknown; masked: unknown; proxy: unknown }[] {
  return r.events
    .filter((e): e is RegisterEvent => e.kind === 'register' && e.op === 'write' && e.register === 'SINT2')
    .map((e) => ({ synic: e.synic, vector: e.fields.vector, masked: e.fields.masked, proxy: e.fields.proxy }));
}

/** The VPs that had a SynIC register written (vpCount is 1 in defaultConfig). */
function vpsWritten(r: RunResult): (number | null)[] {
  return [...new Set(r.events.filter((e): e is RegisterEvent => e.kind === 'register' && e.op === 'write').map((e) => e.vp))];
}

function hostReadable(r: RunResult): string[] {
  return r.state.pages.filter((p) => p.readableBy.includes('host')).map((p) => p.page).sort();
}

describe('full flow: confidential TDX guest with OpenHCL (paravisor storvsc 0x2 + relayed netvsc)', () => {
  const r = run(cfg((c) => { c.platform.isolation = 'tdx'; }));
  const ev = r.events;

  it('talks to the paravisor VMBus server only, every reply on the paravisor SynIC', () => {
    // openvmm §3.5: with a trusted connection all control-plane messages land in the paravisor
    // SIMP. Relids 1 (storvsc) and 2 (netvsc) are the OpenHCL server's (linux §5.8); opened in order.
    assert.deepEqual(guestFlow(ev), linuxFlow('paravisor', 'paravisor', 2, [STORVSC, NETVSC]));
  });

  it('the relay connects to the host, gets the one host offer and forwards only the relayed channel', () => {
    // openvmm §3.4: the relay is a VMBus client of the host on VTL2 SINT 7 (the hypervisor SynIC);
    // it sees only host offers (nic0) and forwards GPADLs/open of relayed channels (same 26/28 split).
    assert.deepEqual(relayFlow(ev), [
      'paravisor>host - INITIATE_CONTACT',
      'host>paravisor hypervisor VERSION_RESPONSE',
      'paravisor>host - REQUESTOFFERS',
      'host>paravisor hypervisor OFFERCHANNEL',
      'host>paravisor hypervisor ALLOFFERS_DELIVERED',
      // OpenHCL does not handle MNF here (it hosts no NIC: worker.rs enable_mnf default), so the
      // guest's monitor pages go to the host (vmbus_relay handle_modify → vmbus_client modify).
      'paravisor>host - MODIFY_CONNECTION',
      'host>paravisor hypervisor MODIFY_CONNECTION_RESPONSE',
      ...RING_GPADL.map((t) => `paravisor>host - ${t}`),
      'host>paravisor hypervisor GPADL_CREATED',
      'paravisor>host - OPENCHANNEL',
      'host>paravisor hypervisor OPENCHANNEL_RESULT',
      ...BUF_GPADL.map((t) => `paravisor>host - ${t}`),
      'host>paravisor hypervisor GPADL_CREATED',
    ]);
  });

  it('writes the paravisor SynIC by trapped MSRs, the hypervisor SynIC by tdcall, EOMs to the paravisor', () => {
    assert.deepEqual(regWrites(ev), [
      // linux §5.5 step 1: hv_para_synic_enable_regs (native MSR access the paravisor traps, §5.4)
      'paravisor SIMP trapped',
      'paravisor SIEFP trapped',
      // step 2: hv_hyp_synic_enable_regs via hv_ivm_msr_write = tdcall on TDX (linux §5.4)
      'hypervisor SIMP tdcall',
      'hypervisor SIEFP tdcall',
      'hypervisor SINT2 tdcall',
      'paravisor SINT2 trapped', // hv_set_non_nested_msr mirrors SINTx to the paravisor (linux §5.4)
      // step 3: confidential → SCONTROL on the paravisor only (linux §5.5)
      'paravisor SCONTROL trapped',
      // offer burst OFFER, OFFER, ALLOFFERS: two EOMs, to the paravisor when confidential (linux §4.6)
      'paravisor EOM trapped',
      'paravisor EOM trapped',
    ]);
    // SINT2 = {vector 0xf3, unmasked}; the paravisor mirror has proxy clear (linux §4.2, §5.4).
    assert.deepEqual(sint2Writes(r), [
      { synic: 'hypervisor', vector: 0xf3, masked: false, proxy: false },
      { synic: 'paravisor', vector: 0xf3, masked: false, proxy: false },
    ]);
    assert.deepEqual(vpsWritten(r), [0]);
  });

  it('keeps the SynIC, post msg and storvsc ring pages private; exposes only hypervisor SynIC, monitor and netvsc pages', () => {
    assert.deepEqual(exposure(ev), {
      'vp0.post-msg': 'encrypted', // paravisor && TDX: allocated, decrypted only if not confidential (linux §5.5)
      'vp0.para.simp': 'encrypted', // paravisor SynIC pages allocated encrypted (linux §5.5)
      'vp0.para.siefp': 'encrypted',
      'vp0.hyp.simp': 'host-visible', // supplied by the paravisor, above vTOM (linux §5.5 "Mask out vTOM bit")
      'vp0.hyp.siefp': 'host-visible',
      'monitor.1': 'host-visible', // always set_memory_decrypted (linux §2.3)
      'monitor.2': 'host-visible',
      'int-page': 'encrypted', // never decrypted (not in coco.rst's decrypted list, linux §5.8)
      'relid1.ring': 'encrypted', // storvsc chn_flags 0x2, confidential 6.0 connection (linux §5.7)
      'relid2.ring': 'host-visible', // relayed offer: confidential flags stripped (openvmm §3.4)
      'relid2.buf0': 'host-visible', // no 0x4: HV_GPADL_BUFFER decrypted (linux §5.7)
    });
    assert.deepEqual(hostReadable(r), ['monitor.1', 'monitor.2', 'relid2.buf0', 'relid2.ring', 'vp0.hyp.siefp', 'vp0.hyp.simp']);
    for (const p of r.state.pages.filter((x) => x.visibility === 'encrypted')) assert.deepEqual(p.readableBy, ['guest', 'paravisor'], p.page);
    assert.ok(r.state.pages.every((p) => !p.freed));
    assert.deepEqual(r.state.brokenInvariants, []);
  });
});

describe('full flow: merged CPUID design with the bit clear (SNP, paravisor without Confidential VMBus)', () => {
  const r = run(cfg((c) => { c.platform.paravisor = { present: true, confidentialVmbus: false, versions: [] }; }));
  const ev = r.events;

  it('talks to the host directly on the hypervisor SynIC; the paravisor-hosted storvsc is never offered', () => {
    // No VMBus server in the paravisor (openvmm §3.2: bit 3 only with the relay), so the host is
    // the guest's server; it offers nic0 only, as relid 1 (openvmm §1.7: lowest free id, 1-based).
    assert.deepEqual(guestFlow(ev), linuxFlow('host', 'hypervisor', 1, [NETVSC]));
  });

  it('has no relay traffic at all', () => {
    assert.deepEqual(relayFlow(ev), []);
  });

  it('programs the hypervisor SynIC through the GHCB, mirrors SINT2 to the paravisor with proxy set, EOMs to the hypervisor', () => {
    assert.deepEqual(regWrites(ev), [
      // linux §5.5: not confidential → no paravisor SIMP/SIEFP; hypervisor SynIC via the GHCB (§5.4)
      'hypervisor SIMP ghcb',
      'hypervisor SIEFP ghcb',
      'hypervisor SINT2 ghcb',
      'paravisor SINT2 trapped', // mirror with proxy = !is_confidential = 1 (linux §5.4)
      'hypervisor SCONTROL ghcb', // hv_hyp_synic_enable_interrupts (linux §5.5 step 3)
      // OFFER + ALLOFFERS: one EOM, hv_set_msr → GHCB (linux §4.6, §5.4)
      'hypervisor EOM ghcb',
    ]);
    assert.deepEqual(sint2Writes(r), [
      { synic: 'hypervisor', vector: 0xf3, masked: false, proxy: false },
      { synic: 'paravisor', vector: 0xf3, masked: false, proxy: true },
    ]);
    assert.deepEqual(vpsWritten(r), [0]);
  });

  it('exposes the hypervisor SynIC pages, monitor pages and the netvsc ring and buffer; nothing else is allocated', () => {
    assert.deepEqual(exposure(ev), {
      // SNP: no post msg page (TDX only), no paravisor SynIC pages (not confidential), no shared
      // hypercall input page (paravisor present) — linux §5.5, §5.8.
      'vp0.hyp.simp': 'host-visible', // supplied by the paravisor (linux §5.5)
      'vp0.hyp.siefp': 'host-visible',
      'monitor.1': 'host-visible', // linux §2.3
      'monitor.2': 'host-visible',
      'int-page': 'encrypted',
      'relid1.ring': 'host-visible', // chn_flags 0 → decrypted (linux §5.7)
      'relid1.buf0': 'host-visible',
    });
    assert.deepEqual(hostReadable(r), ['monitor.1', 'monitor.2', 'relid1.buf0', 'relid1.ring', 'vp0.hyp.siefp', 'vp0.hyp.simp']);
    assert.ok(r.state.pages.every((p) => !p.freed));
    assert.deepEqual(r.state.brokenInvariants, []);
  });
});

describe('full flow: CVM without a paravisor (fully enlightened SNP, every device on the host)', () => {
  const r = run(cfg((c) => noParavisor(c)));
  const ev = r.events;

  it('talks to the host on the hypervisor SynIC, both channels offered and opened', () => {
    assert.deepEqual(guestFlow(ev), linuxFlow('host', 'hypervisor', 2, [STORVSC, NETVSC]));
  });

  it('has no relay traffic at all', () => {
    assert.deepEqual(relayFlow(ev), []);
  });

  it('programs only the hypervisor SynIC, by plain MSR writes, EOMs included', () => {
    // linux §5.4: hv_set_non_nested_msr uses hv_ivm_msr_write only when paravisor_present; no
    // paravisor mirror of SINT2. Order: SIMP, SIEFP, SINT2, SCONTROL (linux §5.5).
    assert.deepEqual(regWrites(ev), [
      'hypervisor SIMP msr',
      'hypervisor SIEFP msr',
      'hypervisor SINT2 msr',
      'hypervisor SCONTROL msr',
      // OFFER, OFFER, ALLOFFERS: two EOMs (linux §4.6)
      'hypervisor EOM msr',
      'hypervisor EOM msr',
    ]);
    assert.deepEqual(sint2Writes(r), [{ synic: 'hypervisor', vector: 0xf3, masked: false, proxy: false }]);
    assert.deepEqual(vpsWritten(r), [0]);
  });

  it('decrypts its own hypercall input and SynIC pages and both rings; only the interrupt page stays private', () => {
    assert.deepEqual(exposure(ev), {
      // coco.rst (linux §5.8): "Per-cpu hypercall input and output pages (unless running with a
      // paravisor)". The engine models the input page only: a non-root guest has no output page
      // (hv_output_page_exists() is root/L1VH only) — the reference itself is silent on that.
      'vp0.hypercall-input': 'host-visible',
      'vp0.hyp.simp': 'host-visible', // allocated by hv_synic_alloc, decrypted for CoCo-no-paravisor (linux §5.5)
      'vp0.hyp.siefp': 'host-visible',
      'monitor.1': 'host-visible', // linux §2.3
      'monitor.2': 'host-visible',
      'int-page': 'encrypted',
      'relid1.ring': 'host-visible', // chn_flags 0 (linux §5.7)
      'relid2.ring': 'host-visible',
      'relid2.buf0': 'host-visible',
    });
    assert.deepEqual(hostReadable(r), [
      'monitor.1', 'monitor.2', 'relid1.ring', 'relid2.buf0', 'relid2.ring', 'vp0.hyp.siefp', 'vp0.hyp.simp', 'vp0.hypercall-input',
    ]);
    assert.deepEqual(r.state.pages.find((p) => p.page === 'int-page')!.readableBy, ['guest']);
    assert.ok(r.state.pages.every((p) => p.owner === 'guest' && !p.freed));
    assert.deepEqual(r.state.brokenInvariants, []);
  });
});
