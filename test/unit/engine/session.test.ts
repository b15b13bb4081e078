// The stepping API: determinism, step back, step out, run to predicate, edits, async runs,
// expectations, trace store and exporters.
import * as assert from 'node:assert/strict';
import { createSession, runScenario } from '../../../src/simulator/engine/session';
import { TraceStore, toJsonLines, fromJsonLines } from '../../../src/simulator/trace/store';
import { toMermaid } from '../../../src/simulator/trace/mermaid';
import { formatTrace } from '../../../src/simulator/scenario/report';
import { cfg, logs, messages, noParavisor } from './helpers';

describe('engine: determinism', () => {
  it('same configuration and seed → byte-identical JSON trace', () => {
    const a = toJsonLines(runScenario(cfg()).events);
    const b = toJsonLines(runScenario(cfg()).events);
    assert.equal(a, b);
    assert.ok(a.length > 10_000);
  });
  it('a different seed changes the GPAs (and only data derived from it)', () => {
    const a = runScenario(cfg());
    const b = runScenario(cfg((c) => { c.seed = 2; }));
    assert.notEqual(toJsonLines(a.events), toJsonLines(b.events));
    assert.deepEqual(a.events.map((e) => e.kind), b.events.map((e) => e.kind));
  });
  it('the trace round-trips through JSON lines', () => {
    const ev = runScenario(cfg()).events;
    assert.deepEqual(fromJsonLines(toJsonLines(ev)), JSON.parse(JSON.stringify(ev)));
  });
});

describe('engine: stepping', () => {
  it('starts before the first event; step("event") skips substeps; step("substep") does not', () => {
    const s = createSession(cfg());
    assert.equal(s.position(), -1);
    const st = s.step('event');
    assert.equal(st.reason, 'step');
    assert.equal(st.event!.granularity, 'event');
    const p = s.position();
    s.step('substep');
    assert.equal(s.position(), p + 1);
  });

  it('step back restores exactly the previous state (every position of a prefix)', () => {
    const s = createSession(cfg(), { snapshotInterval: 16 });
    const seen: string[] = [];
    while (s.step('substep').reason !== 'end') seen.push(JSON.stringify(s.inspect()));
    assert.ok(s.done());
    assert.ok(seen.length > 150);
    for (let i = seen.length - 2; i >= 0; i--) {
      s.stepBack('substep');
      assert.equal(s.position(), i);
      assert.equal(JSON.stringify(s.inspect()), seen[i], `state at ${i}`);
    }
  });

  it('goTo after running to the end equals stepping to the same place', () => {
    const a = createSession(cfg());
    for (let i = 0; i < 120; i++) a.step('substep');
    const want = JSON.stringify(a.inspect());
    const b = createSession(cfg(), { snapshotInterval: 32 });
    b.runToEnd();
    assert.ok(b.done());
    b.inspect();
    b.goTo(119);
    assert.equal(JSON.stringify(b.inspect()), want);
  });

  it('stepOut runs to the end of the current phase', () => {
    const s = createSession(cfg());
    s.runUntil((e) => e.kind === 'phase' && e.action === 'begin' && e.name === 'version 6.0');
    s.step('event');
    const st = s.stepOut();
    assert.equal(st.event!.kind, 'phase');
    assert.equal((st.event as { name: string }).name, 'version 6.0');
    assert.equal((st.event as { action: string }).action, 'end');
  });

  it('runUntil / reverseUntil with predicates; runUntil honours a budget', () => {
    const s = createSession(cfg());
    const st = s.runUntil((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL');
    assert.equal(st.reason, 'predicate');
    const at = s.position();
    s.runToEnd();
    const back = s.reverseUntil((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL');
    assert.equal(back.reason, 'predicate');
    assert.ok(s.position() > at);
    const s2 = createSession(cfg());
    assert.equal(s2.runUntil(() => false, 10).reason, 'budget');
    assert.equal(s2.position(), 9);
  });

  it('inspect() shows SynIC registers, slots and the guest view as of the position', () => {
    const s = createSession(cfg());
    s.runUntil((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_VERSION_RESPONSE' && e.to === 'guest');
    const st = s.inspect();
    const para = st.synics.find((x) => x.owner === 'paravisor' && x.vp === 0)!;
    assert.equal(para.scontrol.value, '0x1');
    assert.equal(para.scontrol.path, 'trapped');
    assert.equal(para.sints[0].fields.proxy, false);
    assert.equal(para.slots[0].msgtype, null); // the slot StateEvent follows the message event
    s.step('substep');
    assert.equal(s.inspect().synics.find((x) => x.owner === 'paravisor')!.slots[0].msgtype, 'CHANNELMSG_VERSION_RESPONSE');
    assert.equal(st.guest.connectionState, 'connecting');
  });

  it('runAsync proceeds in slices and can be cancelled', async () => {
    const s = createSession(cfg());
    const ac = new AbortController();
    let slices = 0;
    const st = await s.runAsync(20, ac.signal, () => { if (++slices === 3) ac.abort(); });
    assert.equal(st.reason, 'pause');
    assert.ok(!s.done());
    const st2 = await s.runAsync(100);
    assert.equal(st2.reason, 'end');
    assert.ok(s.done());
    assert.equal(toJsonLines(s.events()), toJsonLines(runScenario(cfg()).events));
  });
});

describe('engine: setValue / inject', () => {
  it('flip an offer\'s chn_flags before the guest reads it: the run continues from the change', () => {
    const s = createSession(cfg((c) => noParavisor(c)));
    s.runUntil((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL' && e.to === 'guest');
    const pos = s.position();
    const before = s.events().slice(0, pos + 1).map((e) => JSON.stringify(e));
    const r = s.setValue('pending.chn_flags', 0x4);
    assert.deepEqual(r, { ok: true });
    assert.equal(s.position(), pos);
    assert.deepEqual(s.events().slice(0, pos + 1).map((e) => JSON.stringify(e)), before);
    s.runToEnd();
    assert.ok(logs(s.events()).includes("hv_vmbus: Invalid offer relid=1: the ring buffer isn't encrypted"));
    assert.equal(s.inspect().channels.find((c) => c.relid === 1)!.state, 'rejected');
  });

  it('setValue on a device before its offer is sent', () => {
    const s = createSession(cfg((c) => noParavisor(c)));
    s.step('event');
    // The host follows OpenVMM's send_offer: confidential bits are masked without 0x10, other bits pass.
    assert.deepEqual(s.setValue('offer.nic0.chn_flags', 0x2012), { ok: true });
    s.runToEnd();
    const off = messages(s.events()).find((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.decoded.child_relid === 2)!;
    assert.equal((off.decoded.offer as { chn_flags: number }).chn_flags, 0x2010);
  });

  it('setValue rejects unknown paths', () => {
    const s = createSession(cfg());
    const r = s.setValue('nonsense', 1);
    assert.equal(r.ok, false);
  });

  it('inject rescind on relid 2 at the current position', () => {
    const s = createSession(cfg((c) => noParavisor(c)));
    s.runUntil((e) => e.kind === 'phase' && e.action === 'begin' && e.name === 'data');
    assert.deepEqual(s.inject({ kind: 'rescind', relid: 2 }), { ok: true });
    s.runToEnd();
    const ev = s.events();
    assert.ok(messages(ev).some((m) => m.msgtype === 'CHANNELMSG_RESCIND_CHANNELOFFER' && m.decoded.child_relid === 2));
    assert.ok(messages(ev).some((m) => m.msgtype === 'CHANNELMSG_RELID_RELEASED' && m.decoded.child_relid === 2));
    assert.equal(s.inspect().channels.find((c) => c.relid === 2)!.state, 'released');
    assert.ok(ev.some((e) => e.kind === 'fault' && e.fault === 'inject-rescind'));
  });

  it('an edit after stepping back discards the old future deterministically', () => {
    const s = createSession(cfg((c) => noParavisor(c)));
    s.runToEnd();
    const full = s.events().length;
    const data = s.events().findIndex((e) => e.kind === 'phase' && e.name === 'data');
    s.goTo(5);
    assert.equal(s.inject({ kind: 'rescind', relid: 1 }).ok, false); // not offered yet at this point
    s.goTo(data);
    assert.deepEqual(s.inject({ kind: 'rescind', relid: 1 }), { ok: true });
    assert.ok(s.events().length < full);
    s.runToEnd();
    assert.ok(s.done());
  });
});

describe('engine: expectations', () => {
  it('are evaluated at the end and emitted as ExpectationEvents with their source', () => {
    const src = { file: 'x.vmbus', line: 3, column: 0, endLine: 3, endColumn: 10 };
    const r = runScenario(cfg((c) => {
      c.expectations = [
        { kind: 'confidential', value: true, source: src },
        { kind: 'version', version: 0x60000 },
        { kind: 'offer', device: 'disk0', outcome: 'accepted', confidentialRing: true },
        { kind: 'offer', device: 'nic0', outcome: 'accepted', confidentialRing: false },
        { kind: 'page', page: 'relid1.ring', visibility: 'encrypted' },
        { kind: 'message', msgtype: 'CHANNELMSG_OFFERCHANNEL', synic: 'paravisor', present: true },
        { kind: 'message', msgtype: 'CHANNELMSG_OFFERCHANNEL', synic: 'hypervisor', to: 'guest', present: false },
        { kind: 'log', text: 'hv_vmbus: Vmbus version:6.0', present: true },
        { kind: 'fallback', taken: false },
        { kind: 'channel-state', device: 'disk0', state: 'open' },
        { kind: 'invariants', hold: true },
        { kind: 'version', version: 0x50003 },
      ];
    }));
    assert.deepEqual(r.expectationResults.map((x) => x.ok), [true, true, true, true, true, true, true, true, true, true, true, false]);
    const ev = r.events.filter((e) => e.kind === 'expectation');
    assert.equal(ev.length, 12);
    assert.deepEqual(ev[0].source, src);
    assert.equal(r.events.at(r.events.length - 1)!.kind, 'expectation');
  });
});

describe('trace store and exporters', () => {
  const ev = runScenario(cfg()).events;
  it('queries by window, kind, relid and phase', () => {
    const store = new TraceStore();
    let seen = 0;
    store.subscribe((added) => { seen += added.length; });
    store.append(ev);
    assert.equal(seen, ev.length);
    assert.equal(store.query({ from: 10, to: 20 }).length, 10);
    const msgs = store.query({ kinds: ['message'], relid: 1 });
    assert.ok(msgs.length > 0 && msgs.every((e) => e.kind === 'message' && e.relid === 1));
    const ph = store.query({ phase: 'open' });
    assert.ok(ph.length > 0 && ph.every((e) => e.phase.some((p) => p.startsWith('open '))));
    const t = ev.at(50)!.time;
    assert.ok(store.query({ timeFrom: t }).every((e) => e.time >= t));
    assert.equal(store.query({ limit: 3 }).length, 3);
  });
  it('the session answers the same queries on its live, compact trace', () => {
    const s = createSession(cfg());
    s.runToEnd();
    const store = new TraceStore(s.events());
    const t = s.events().at(120)!.time;
    const queries = [
      { from: 10, to: 20 }, { kinds: ['message' as const], relid: 1 }, { kinds: ['packet' as const, 'interrupt' as const] }, { phase: 'open' },
      { timeFrom: t }, { timeFrom: t, timeTo: t + 5000, granularity: 'event' as const }, { limit: 3 }, { kinds: ['hypercall' as const], limit: 4 },
    ];
    for (const q of queries) assert.deepEqual(s.query(q), store.query(q), JSON.stringify(q));
    const pk = s.query({ kinds: ['packet'], relid: 1 });
    assert.deepEqual(pk.map((e) => e.kind === 'packet' && e.ring), ['outbound', 'inbound', 'outbound', 'inbound', 'outbound', 'inbound', 'outbound', 'inbound']);
  });
  it('Mermaid sequenceDiagram has one arrow per message', () => {
    const m = toMermaid(ev);
    assert.ok(m.startsWith('sequenceDiagram\n'));
    const arrows = m.split('\n').filter((l: string) => /^ {2}\w+(->>|-->>|-x)\w+:/.test(l)).length;
    assert.equal(arrows, messages(ev).length);
    assert.match(m, /->>P: INITIATE_CONTACT/);
  });
  it('the readable trace lists messages with sender, receiver, SynIC and path', () => {
    // The first OFFERCHANNEL is the host's to the paravisor's relay; take the one the guest receives.
    const offer = formatTrace(ev).find((l) => l.includes('CHANNELMSG_OFFERCHANNEL') && l.includes('→ guest'));
    assert.ok(offer);
    assert.match(offer, /paravisor\s+→ guest\s+paravisor\s+internal\s+CHANNELMSG_OFFERCHANNEL/);
  });
});

describe('engine: subscriptions, stop points, close', () => {
  it('subscribers see every event exactly once, in order, as the session advances', () => {
    const s = createSession(cfg());
    const got: number[] = [];
    s.subscribe((evs, from) => { for (let i = from; i < evs.length; i++) got.push(evs.at(i)!.seq); });
    s.step('event');
    s.runUntil((e) => e.kind === 'phase' && e.name === 'offers');
    s.runToEnd();
    assert.deepEqual(got, s.events().map((e) => e.seq));
  });
  it('runToStop runs to a scenario stop point', () => {
    const s = createSession(cfg((c) => { c.stops = [{ label: 'offers', phase: 'offers' }, { label: 'nic', device: 'nic0' }]; }));
    const a = s.runToStop('offers');
    assert.equal(a.reason, 'breakpoint');
    assert.equal((a.event as { name: string }).name, 'offers');
    const b = s.runToStop('nic');
    assert.equal(b.event!.kind, 'state');
    assert.equal(s.runToStop('nope').reason, 'exception');
  });
  it('close step: CLOSECHANNEL then GPADL teardown; the ring is re-encrypted before it is freed', () => {
    const r = runScenario(cfg((c) => { noParavisor(c); c.steps = [{ kind: 'close', device: 'disk0' }]; }));
    const tail = messages(r.events).slice(-3).map((m) => m.msgtype);
    assert.deepEqual(tail, ['CHANNELMSG_CLOSECHANNEL', 'CHANNELMSG_GPADL_TEARDOWN', 'CHANNELMSG_GPADL_TORNDOWN']);
    const ring = r.events.filter((e) => e.kind === 'page' && e.page === 'relid1.ring').map((e) => e.kind === 'page' && `${e.action}:${e.visibility}`);
    assert.deepEqual(ring, ['allocate:host-visible', 'set-visibility:encrypted', 'free:encrypted']);
    assert.equal(r.state.channels.find((c) => c.relid === 1)!.state, 'closed');
  });
});
