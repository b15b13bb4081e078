// Trace audit against the references (shared/reference/linux-vmbus.md, openvmm-vmbus.md). Every
// expected value below is typed from the reference text, not taken from an engine run.
import * as assert from 'node:assert/strict';
import type { MessageEvent, RegisterEvent, StateEvent } from '../../../src/simulator/trace/events';
import { STORVSC_CLASS } from '../../../src/simulator/engine/defaults';
import { LANE_DELAYS, World } from '../../../src/simulator/model/world';
import { encodeMessage } from '../../../src/simulator/protocol/codec';
import { Scheduler } from '../../../src/simulator/engine/scheduler';
import { cfg, messages, noParavisor, run } from './helpers';
import type { Trace } from '../../../src/simulator/trace/buffer';

function states(events: Trace): StateEvent[] {
  return events.filter((e): e is StateEvent => e.kind === 'state');
}

function toGuest(events: Trace, msgtype: string): MessageEvent[] {
  return messages(events).filter((m) => m.to === 'guest' && m.msgtype === msgtype);
}

function fromGuest(events: Trace, msgtype: string): MessageEvent[] {
  return messages(events).filter((m) => m.from === 'guest' && m.msgtype === msgtype);
}

describe('audit: SynIC slot ownership and state events', () => {
  it('the paravisor fills the slots of the SynIC it emulates; the hypervisor fills its own (openvmm §3.5)', () => {
    const conf = run(cfg());
    const fills = states(conf.events).filter((e) => e.object === 'slot' && e.party !== 'guest');
    assert.ok(fills.length > 0);
    assert.ok(fills.every((e) => e.party === e.synic), 'slot party = the SynIC owner');
    assert.ok(fills.some((e) => e.synic === 'paravisor'));
    const plain = run(cfg((c) => noParavisor(c, 'none')));
    const hyp = states(plain.events).filter((e) => e.object === 'slot' && e.party !== 'guest');
    assert.ok(hyp.length > 0 && hyp.every((e) => e.party === 'hypervisor' && e.synic === 'hypervisor'));
  });

  it('no state event is a no-op (from = to), in any configuration', () => {
    const configs = [
      cfg(),
      cfg((c) => { c.platform.vpCount = 2; c.devices[0].subchannels = 2; }),
      cfg((c) => noParavisor(c)),
      cfg((c) => noParavisor(c, 'none')),
      cfg((c) => { c.platform.design = 'probe'; c.platform.paravisor = { present: true, confidentialVmbus: false, versions: [] }; }),
    ];
    for (const c of configs) {
      const noop = states(run(c).events).filter((e) => e.from === e.to);
      assert.deepEqual(noop.map((e) => `${e.party} ${e.object} ${e.from}`), []);
    }
  });

  it('a queued message sets msg_pending on the busy slot and names the queue depth', () => {
    const r = run(cfg((c) => { c.faults = [{ kind: 'busy-slot', trigger: { msgtype: 'CHANNELMSG_VERSION_RESPONSE' }, params: {} }]; }));
    const q = states(r.events).find((e) => e.object === 'slot' && (e.detail as { waiting?: string } | undefined)?.waiting !== undefined)!;
    assert.equal(q.party, 'paravisor');
    assert.equal(q.from, 'HVMSG_TIMER_EXPIRED');
    assert.equal(q.to, 'HVMSG_TIMER_EXPIRED (msg_pending, 1 queued)');
  });

  it('discovery records the Confidential VMBus decision, not a connection transition (linux §5.2)', () => {
    const conf = states(run(cfg()).events).filter((e) => e.phase[0] === 'discovery');
    assert.deepEqual(conf.map((e) => [e.object, e.from, e.to]), [['vmbus-mode', 'undecided', 'confidential']]);
    const r = run(cfg((c) => noParavisor(c)));
    const not = states(r.events).filter((e) => e.phase[0] === 'discovery');
    assert.deepEqual(not.map((e) => [e.object, e.to]), [['vmbus-mode', 'not confidential']]);
    assert.equal(r.state.guest.confidential, false);
  });
});

describe('audit: GPADL header and body page math (linux §1.3)', () => {
  // A 64 KiB + 64 KiB ring = 32 pages: header 26 PFNs, one body with 6.
  // range_buflen = sizeof(gpa_range) + 8 * pagecount = 8 + 8 * 32 = 264.
  it('a 32-page ring: range_buflen 264 for the whole range, 26 PFNs in the header, 6 in the body', () => {
    const r = run(cfg((c) => { noParavisor(c, 'none'); c.devices = [{ ...c.devices[0], sendRingBytes: 0x10000, recvRingBytes: 0x10000 }]; }));
    const h = fromGuest(r.events, 'CHANNELMSG_GPADL_HEADER')[0];
    assert.equal(h.decoded.gpadl, 0xe1e10);
    assert.equal(h.decoded.range_buflen, 264);
    assert.equal(h.decoded.rangecount, 1);
    const range = (h.decoded.range as { byte_count: number; byte_offset: number; pfn_array: string[] }[])[0];
    assert.equal(range.byte_count, 32 * 4096);
    assert.equal(range.byte_offset, 0);
    assert.equal(range.pfn_array.length, 26);
    assert.equal(h.hex.length / 2, 20 + 8 + 26 * 8); // 236 bytes ≤ 240
    const bodies = fromGuest(r.events, 'CHANNELMSG_GPADL_BODY');
    assert.deepEqual(bodies.map((b) => (b.decoded.pfn as string[]).length), [6]);
    assert.ok(bodies.every((b) => b.decoded.msgnumber === 0 && b.decoded.gpadl === 0xe1e10));
    const created = toGuest(r.events, 'CHANNELMSG_GPADL_CREATED')[0];
    assert.equal(created.decoded.creation_status, 0);
  });

  it('a 64-page ring: range_buflen 520, bodies of 28 and 10 PFNs; a relayed GPADL reaches the host with the same range_buflen', () => {
    const r = run(cfg((c) => { c.devices[1].bufferGpadlPages = []; }));
    const nicHeader = fromGuest(r.events, 'CHANNELMSG_GPADL_HEADER').find((m) => m.decoded.child_relid === 2)!;
    assert.equal(nicHeader.decoded.range_buflen, 8 + 8 * 64);
    const nicBodies = fromGuest(r.events, 'CHANNELMSG_GPADL_BODY').filter((m) => m.decoded.gpadl === nicHeader.decoded.gpadl);
    assert.deepEqual(nicBodies.map((b) => (b.decoded.pfn as string[]).length), [28, 10]);
    const relayed = messages(r.events).find((m) => m.from === 'paravisor' && m.to === 'host' && m.msgtype === 'CHANNELMSG_GPADL_HEADER')!;
    assert.equal(relayed.decoded.range_buflen, 520);
    const created = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_GPADL_CREATED');
    assert.ok(created.every((m) => m.decoded.creation_status === 0));
  });

  it('a range_buflen that does not cover the range: the server answers GpadlCreated(STATUS_UNSUCCESSFUL) (openvmm §2.3)', () => {
    const r = run(cfg((c) => {
      noParavisor(c, 'none');
      c.devices = [{ ...c.devices[0], sendRingBytes: 0x10000, recvRingBytes: 0x10000 }];
      c.faults = [{ kind: 'corrupt', trigger: { msgtype: 'CHANNELMSG_GPADL_HEADER', nth: 1 }, params: { field: 'range_buflen', value: 216 } }];
    }));
    const created = toGuest(r.events, 'CHANNELMSG_GPADL_CREATED')[0];
    assert.equal(created.decoded.creation_status, 0x8000ffff);
    assert.ok(r.events.some((e) => e.kind === 'log' && e.text === 'hv_vmbus: Failed to establish GPADL: err = 0x8000ffff'));
  });
});

describe('audit: register and hypercall paths without a paravisor (linux §5.4)', () => {
  for (const iso of ['snp', 'tdx'] as const) {
    it(`${iso}: SynIC MSRs and EOM are plain MSR accesses; nothing is trapped`, () => {
      const r = run(cfg((c) => noParavisor(c, iso)));
      const regs = r.events.filter((e): e is RegisterEvent => e.kind === 'register' && !e.register.startsWith('CPUID'));
      assert.ok(regs.length > 0);
      assert.ok(regs.every((e) => e.synic === 'hypervisor' && e.path === 'msr'));
      const posts = r.events.filter((e) => e.kind === 'hypercall' && e.name === 'HvPostMessage');
      // hv_do_hypercall: a fully enlightened TDX guest uses tdcall, an SNP guest vmmcall.
      assert.ok(posts.every((e) => e.kind === 'hypercall' && e.path === (iso === 'tdx' ? 'tdcall' : 'hypercall')));
    });
  }

  it('with a paravisor the hypervisor SynIC is reached through the GHCB (SNP) / tdcall (TDX)', () => {
    for (const [iso, path] of [['snp', 'ghcb'], ['tdx', 'tdcall']] as const) {
      const r = run(cfg((c) => { c.platform.isolation = iso; }));
      const hyp = r.events.filter((e): e is RegisterEvent => e.kind === 'register' && e.synic === 'hypervisor');
      assert.ok(hyp.length > 0 && hyp.every((e) => e.path === path));
      const para = r.events.filter((e): e is RegisterEvent => e.kind === 'register' && e.synic === 'paravisor' && !e.register.startsWith('CPUID'));
      assert.ok(para.length > 0 && para.every((e) => e.path === 'trapped'));
    }
  });
});

describe('audit: OpenVMM server details', () => {
  it("the host's redirect server answers OpenHCL's client with msg_conn_id 0x800074 (openvmm §2.1, §1.7)", () => {
    const r = run(cfg());
    const vr = messages(r.events).find((m) => m.from === 'host' && m.to === 'paravisor' && m.msgtype === 'CHANNELMSG_VERSION_RESPONSE')!;
    assert.equal(vr.decoded.version_supported, 1);
    assert.equal(vr.decoded.msg_conn_id, 0x800074);
    // The guest-facing OpenHCL server is a VTL0 server: msg_conn_id 1.
    const g = toGuest(r.events, 'CHANNELMSG_VERSION_RESPONSE')[0];
    assert.equal(g.decoded.msg_conn_id, 1);
  });

  it('subchannels get their own monitor ids, never the primary\'s (OpenVMM: lowest free of 128)', () => {
    const r = run(cfg((c) => { noParavisor(c, 'none'); c.devices[0].monitorId = 0; c.devices[0].subchannels = 2; }));
    const offers = toGuest(r.events, 'CHANNELMSG_OFFERCHANNEL').filter((m) => m.decoded.monitor_allocated === 1);
    const ids = offers.map((m) => m.decoded.monitorid);
    // disk0 0, nic0 1 (declared); the two disk0 subchannels take 2 and 3.
    assert.deepEqual([...ids].sort(), [0, 1, 2, 3]);
  });

  it('a relayed offer (offer_order = host channel id) sorts before the paravisor\'s own device of the same class', () => {
    const r = run(cfg((c) => {
      c.devices = [
        { ...c.devices[0], name: 'vtl2disk', instanceGuid: '00000000-0000-0000-0000-000000000001' },
        { ...c.devices[0], name: 'hostdisk', host: 'host', chnFlags: 0, instanceGuid: 'ffffffff-0000-0000-0000-000000000001' },
      ];
    }));
    const offers = toGuest(r.events, 'CHANNELMSG_OFFERCHANNEL').map((m) => [m.decoded.child_relid, (m.decoded.offer as { if_instance: string }).if_instance, m.decoded.connection_id]);
    assert.deepEqual(offers, [
      [1, 'ffffffff-0000-0000-0000-000000000001', 0x2001],
      [2, '00000000-0000-0000-0000-000000000001', 0x2002],
    ]);
    assert.ok(toGuest(r.events, 'CHANNELMSG_OFFERCHANNEL').every((m) => (m.decoded.offer as { if_type: string }).if_type === STORVSC_CLASS));
  });
});

describe('audit: exposure and trust', () => {
  it('TDX probe fallback: hv_synic_free frees the encrypted post msg page; the retry allocates it decrypted (linux §5.5)', () => {
    const r = run(cfg((c) => {
      c.platform.isolation = 'tdx';
      c.platform.design = 'probe';
      c.platform.paravisor = { present: true, confidentialVmbus: false, versions: [] };
    }));
    const post = r.events.filter((e) => e.kind === 'page' && e.page === 'vp0.post-msg').map((e) => e.kind === 'page' ? `${e.action} ${e.visibility}` : '');
    assert.deepEqual(post, ['allocate encrypted', 'free encrypted', 'allocate host-visible']);
    assert.equal(r.state.guest.fallbackTaken, true);
    // Non-confidential posts on TDX with a paravisor go through tdcall (linux §5.6).
    const posts = r.events.filter((e) => e.kind === 'hypercall' && e.name === 'HvPostMessage' && e.status === 'HV_STATUS_SUCCESS');
    assert.ok(posts.length > 0 && posts.every((e) => e.kind === 'hypercall' && e.path === 'tdcall'));
  });

  it('CVM without a paravisor: the per-CPU hypercall input page is shared; with a paravisor there is none to share (coco.rst)', () => {
    const np = run(cfg((c) => { noParavisor(c); c.platform.vpCount = 2; }));
    const pages = np.state.pages.filter((p) => p.page.endsWith('hypercall-input'));
    assert.deepEqual(pages.map((p) => [p.page, p.visibility]), [['vp0.hypercall-input', 'host-visible'], ['vp1.hypercall-input', 'host-visible']]);
    assert.ok(!run(cfg()).state.pages.some((p) => p.page.endsWith('hypercall-input')));
    assert.ok(!run(cfg((c) => noParavisor(c, 'none'))).state.pages.some((p) => p.page.endsWith('hypercall-input')));
  });

  it('a host-forged (GHCB) InitiateContact cannot reset the trusted connection: UntrustedMessage (openvmm §2.1)', () => {
    const r = run(cfg((c) => { c.faults = [{ kind: 'host-forged-untrusted-message', trigger: {}, params: { msgtype: 'CHANNELMSG_INITIATE_CONTACT' } }]; }));
    const pv = r.events.filter((e) => e.kind === 'log' && e.party === 'paravisor').map((e) => (e.kind === 'log' ? e.text : ''));
    assert.ok(pv.includes('synic message error: UntrustedMessage (CHANNELMSG_INITIATE_CONTACT)'), pv.join('\n'));
    assert.equal(r.state.paravisor.connectionState, 'Connected');
    assert.ok(r.state.channels.filter((c) => c.device !== '').every((c) => c.state === 'open'));
  });
});

describe('audit: UNLOAD with a relayed channel open (openvmm §2.1 request_disconnect, §3.4)', () => {
  it('the paravisor tears down the host channel\'s GPADLs, then closes it, before UNLOAD_RESPONSE (channels.rs client_release_channel)', () => {
    const r = run(cfg((c) => { c.steps = [{ kind: 'unload' }]; }));
    const ms = messages(r.events);
    const unload = ms.findIndex((m) => m.from === 'guest' && m.msgtype === 'CHANNELMSG_UNLOAD');
    const after = ms.slice(unload);
    const toHost = after.filter((m) => m.from === 'paravisor' && m.to === 'host').map((m) => m.msgtype);
    // nic0 (relayed): ring GPADL + one receive-buffer GPADL, torn down before the close
    // (channels.rs client_release_channel: TeardownGpadl for each accepted GPADL, then Close, on the
    // channel's request queue; vmbus_relay handle_gpadl_teardown does not wait for GpadlTorndown).
    // Then notify_disconnect's monitor_page Reset: OpenHCL, not handling MNF, has the relay clear
    // the host's monitor pages (vmbus_relay handle_modify Update::Reset → MODIFY_CONNECTION {0, 0}).
    assert.deepEqual(toHost, ['CHANNELMSG_GPADL_TEARDOWN', 'CHANNELMSG_GPADL_TEARDOWN', 'CHANNELMSG_CLOSECHANNEL', 'CHANNELMSG_MODIFY_CONNECTION']);
    const reset = after.find((m) => m.msgtype === 'CHANNELMSG_MODIFY_CONNECTION')!;
    assert.deepEqual([reset.decoded.monitor_page1, reset.decoded.monitor_page2], ['0x0', '0x0']);
    const resetAnswer = after.findIndex((m) => m.msgtype === 'CHANNELMSG_MODIFY_CONNECTION_RESPONSE');
    const torn = after.map((m, i) => (m.from === 'host' && m.msgtype === 'CHANNELMSG_GPADL_TORNDOWN' ? i : -1)).filter((i) => i >= 0);
    const resp = after.findIndex((m) => m.to === 'guest' && m.msgtype === 'CHANNELMSG_UNLOAD_RESPONSE');
    assert.equal(torn.length, 2);
    assert.ok(torn.every((i) => i < resp), 'UnloadComplete only after the host tore the GPADLs down');
    assert.ok(resetAnswer >= 0 && resetAnswer < resp, 'and after the host answered the reset (complete_disconnect)');
    assert.equal(r.state.guest.connectionState, 'unloaded');
  });
});

describe('audit: OpenVMM channel states around a close (openvmm §2.2)', () => {
  // The host's server is driven through its port with raw channel messages, as the guest would.
  function openPlain(): { world: World; clock: Scheduler; runAll: () => void } {
    const clock = new Scheduler(LANE_DELAYS);
    const world = new World(cfg((c) => { noParavisor(c, 'none'); c.devices = [{ ...c.devices[0], packets: 0 }]; }), clock);
    const runAll = () => { while (clock.step()) { /* keep going */ } };
    runAll();
    return { world, clock, runAll };
  }
  function post(world: World, json: Record<string, unknown>): void {
    const r = encodeMessage(json);
    if (!r.ok) throw new Error(r.error.message);
    world.host.receive('guest', r.bytes, false, false);
  }
  it('OPEN_CHANNEL while Closing → ClosingReopen; the open runs when the close completes', () => {
    const { world, runAll } = openPlain();
    const ch = world.host.channels[0];
    assert.equal(ch.state, 'Open');
    post(world, { msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: ch.id });
    assert.equal(ch.state, 'Closing');
    post(world, { msgtype: 'CHANNELMSG_OPENCHANNEL', child_relid: ch.id, openid: ch.id, ringbuffer_gpadlhandle: 0, target_vp: 0, downstream_ringbuffer_pageoffset: 0 });
    assert.equal(ch.state, 'ClosingReopen');
    const before = world.events.length;
    runAll();
    const after = world.events.slice(before);
    const trail = states(after).filter((e) => e.party === 'host' && e.object === 'channel').map((e) => `${e.from}>${e.to}`);
    assert.deepEqual(trail, ['ClosingReopen>Closed', 'Closed>Opening', 'Opening>Open']);
    assert.equal(toGuest(after, 'CHANNELMSG_OPENCHANNEL_RESULT').length, 1);
  });
  it('RELID_RELEASED while Closing → ClosingClientRelease → ClientReleased when the close completes', () => {
    const { world, runAll } = openPlain();
    const ch = world.host.channels[0];
    post(world, { msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: ch.id });
    post(world, { msgtype: 'CHANNELMSG_RELID_RELEASED', child_relid: ch.id });
    assert.equal(ch.state, 'ClosingClientRelease');
    runAll();
    assert.equal(ch.state, 'ClientReleased');
    assert.equal(ch.id, 0);
  });
});

describe('audit: probe design decision trail (linux §5.3)', () => {
  it('probe success: undecided → probe confidential → confidential; fallback: → not confidential', () => {
    const ok = states(run(cfg((c) => { c.platform.design = 'probe'; })).events).filter((e) => e.object === 'vmbus-mode').map((e) => e.to);
    assert.deepEqual(ok, ['probe confidential', 'confidential']);
    const fb = states(run(cfg((c) => { c.platform.design = 'probe'; c.platform.paravisor = { present: true, confidentialVmbus: false, versions: [] }; })).events)
      .filter((e) => e.object === 'vmbus-mode').map((e) => e.to);
    assert.deepEqual(fb, ['probe confidential', 'not confidential']);
  });
});
