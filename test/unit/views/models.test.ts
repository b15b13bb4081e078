// Tree models of the sidebar views, checked in plain Node against protocol facts.
import * as assert from 'assert';
import { buildChannelsModel, newChannelsCache } from '../../../src/extension/views/model/channels';
import { buildSynicsModel, sintFields } from '../../../src/extension/views/model/synics';
import { buildExposureModel, exposureSummary, newExposureCache } from '../../../src/extension/views/model/exposure';
import { buildNegotiationModel, newNegotiationCache, nodeForSeq, planMatches } from '../../../src/extension/views/model/negotiation';
import { diffModels, ModelBuilder, type TreeModel, type ViewNode } from '../../../src/extension/views/model/node';
import { createSession } from '../../../src/simulator/engine/session';
import { defaultConfig } from '../../../src/simulator/engine/defaults';
import { channel, fallbackTrace, NETVSC_GUID, page, sint, synic, STORVSC_GUID } from './fixtures';

function node(m: TreeModel, id: string): ViewNode {
  const n = m.nodes.get(id);
  assert.ok(n, `node ${id} exists (have: ${[...m.nodes.keys()].slice(0, 20).join(', ')}…)`);
  return n;
}

describe('views: channels model', () => {
  it('a chn_flags 0x2 offer from the paravisor shows the confidential-ring icon and "paravisor"', () => {
    const m = buildChannelsModel([channel(5, { chnFlags: 0x2, hostedBy: 'paravisor', relayed: false, device: 'disk0' })]);
    const ch = node(m, 'ch:5');
    assert.strictEqual(ch.label, 'disk0');
    assert.strictEqual(ch.icon?.id, 'lock');
    assert.match(ch.description ?? '', /relid 5/);
    assert.match(ch.description ?? '', /paravisor/);
    assert.match(node(m, 'ch:5/flags').description ?? '', /^0x0002 · confidential ring buffer$/);
    assert.strictEqual(node(m, 'ch:5/flags/2').label, 'VMBUS_CHANNEL_CONFIDENTIAL_RING_BUFFER');
    assert.strictEqual(node(m, 'ch:5/flags/2').icon?.id, 'lock');
  });

  it('ring + external memory (0x6) shows a shield; a plain host offer shows an open lock and "host (relayed)"', () => {
    const m = buildChannelsModel([
      channel(1, { chnFlags: 0x6, hostedBy: 'paravisor', relayed: false }),
      channel(2, { chnFlags: 0x0 }),
    ]);
    assert.strictEqual(node(m, 'ch:1').icon?.id, 'shield');
    assert.strictEqual(node(m, 'ch:2').icon?.id, 'unlock');
    assert.match(node(m, 'ch:2').description ?? '', /host \(relayed\)/);
  });

  it('groups offers by device class, named, with the GUID in the tooltip', () => {
    const m = buildChannelsModel([
      channel(3),
      channel(1, { classGuid: NETVSC_GUID, className: 'netvsc' }),
      channel(2),
    ]);
    assert.deepStrictEqual(m.roots, [`class:${NETVSC_GUID}`, `class:${STORVSC_GUID}`]);
    const g = node(m, `class:${STORVSC_GUID}`);
    assert.strictEqual(g.label, 'storvsc');
    assert.strictEqual(g.description, '2 channels');
    assert.ok(g.tooltip?.includes(STORVSC_GUID));
    assert.deepStrictEqual(g.children, ['ch:2', 'ch:3'], 'sorted by relid');
  });

  it('shows a rejected offer with its reason, connection id, monitor id and relay-stripped flags', () => {
    const m = buildChannelsModel([
      channel(7, {
        chnFlags: 0x4,
        state: 'rejected',
        rejectReason: "Invalid offer relid=7: the ring buffer isn't encrypted",
        monitorId: 3,
        originalChnFlags: 0x6,
      }),
    ]);
    const ch = node(m, 'ch:7');
    assert.strictEqual(ch.icon?.id, 'error');
    assert.match(ch.description ?? '', /rejected: Invalid offer relid=7: the ring buffer isn't encrypted/);
    assert.strictEqual(node(m, 'ch:7/conn').description, '0x2007');
    assert.strictEqual(node(m, 'ch:7/monitor').description, '3');
    assert.match(node(m, 'ch:7/flags').description ?? '', /originally 0x0006/);
  });

  it('puts subchannels under their primary and GPADLs with pages and visibility', () => {
    const m = buildChannelsModel([
      channel(1, {
        subchannels: [9],
        gpadls: [
          { handle: 0xe1e10, kind: 'ring', pages: 8, gpa: '0x200000', visibility: 'encrypted', state: 'created' },
          { handle: 0xe1e11, kind: 'buffer', pages: 16, gpa: '0x300000', visibility: 'host-visible', state: 'created' },
        ],
      }),
      channel(9, { subchannelIndex: 1, device: 'dev1' }),
    ]);
    assert.deepStrictEqual(node(m, `class:${STORVSC_GUID}`).children, ['ch:1']);
    assert.strictEqual(node(m, 'ch:9').parent, 'ch:1');
    assert.strictEqual(node(m, 'ch:9').label, 'dev1 / sub 1');
    const g = node(m, `ch:1/gpadls/${0xe1e10}`);
    assert.strictEqual(g.label, 'GPADL 0xe1e10');
    assert.strictEqual(g.description, 'ring · 8 pages · encrypted · created');
    assert.strictEqual(g.icon?.id, 'lock');
    assert.strictEqual(node(m, `ch:1/gpadls/${0xe1e11}`).icon?.id, 'eye');
  });

  it('is empty without channels (the welcome content shows)', () => {
    assert.deepStrictEqual(buildChannelsModel([]).roots, []);
  });
});

describe('views: synics model', () => {
  it('SINT2 with the proxy bit set shows proxy: 1 (non-confidential: the paravisor proxies)', () => {
    const m = buildSynicsModel([synic('hypervisor', 0, false, 'ghcb'), synic('paravisor', 0, true, 'msr')]);
    const s2 = node(m, 'syn:0:paravisor/SINT2');
    assert.strictEqual(s2.label, 'SINT2 (VMBus)');
    assert.strictEqual(s2.expand, 'expanded');
    assert.match(s2.description ?? '', /proxy: 1/);
    assert.match(s2.description ?? '', /vector 0xf3/);
    assert.strictEqual(node(m, 'syn:0:paravisor/SINT2/proxy').label, 'proxy: 1');
    assert.strictEqual(node(m, 'syn:0:hypervisor/SINT2/proxy').label, 'proxy: 0');
  });

  it('decodes the proxy bit (bit 20) from the value when the engine gives no field', () => {
    const r = { ...sint(2, true), fields: { vector: 0xf3 } };
    assert.strictEqual(sintFields(r).proxy, true);
  });

  it('lists per VP both SynICs with SCONTROL, SIMP, SIEFP, SINT0-15, EOM, slot and event flags, with the access path', () => {
    const m = buildSynicsModel([synic('hypervisor', 0, false, 'ghcb'), synic('paravisor', 0, false, 'trapped'), synic('hypervisor', 1, false)]);
    assert.deepStrictEqual(m.roots, ['vp:0', 'vp:1']);
    assert.deepStrictEqual(node(m, 'vp:0').children, ['syn:0:hypervisor', 'syn:0:paravisor']);
    const hv = node(m, 'syn:0:hypervisor');
    assert.strictEqual(hv.label, 'Hypervisor SynIC');
    const kids = hv.children.map((id) => node(m, id).label);
    assert.deepStrictEqual(kids.slice(0, 3), ['SCONTROL', 'SIMP', 'SIEFP']);
    assert.strictEqual(kids.filter((l) => l.startsWith('SINT')).length, 16);
    assert.ok(kids.includes('EOM writes'));
    assert.match(node(m, 'syn:0:hypervisor/SIMP').description ?? '', /enabled · GPA 0x12345 · GHCB/);
    assert.match(node(m, 'syn:0:paravisor/SCONTROL').description ?? '', /trapped/);
    assert.strictEqual(node(m, 'syn:0:hypervisor/SINT5').description, '0x10000 · not written');
    // SINTs the engine does not report are shown at their reset value.
    const partial = buildSynicsModel([{ ...synic('paravisor', 0, true), sints: [sint(2, true)] }]);
    assert.strictEqual(node(partial, 'syn:0:paravisor').children.filter((id) => /SINT\d+$/.test(id)).length, 16);
    assert.strictEqual(node(partial, 'syn:0:paravisor/SINT15').description, '0x10000 · not written');
    assert.strictEqual(node(m, 'syn:0:hypervisor/EOM').description, '3');
    assert.strictEqual(node(m, 'syn:0:hypervisor/slot/2').description, 'CHANNELMSG_OFFERCHANNEL');
    assert.strictEqual(node(m, 'syn:0:hypervisor/flags/2').description, 'relid 5');
  });
});

describe('views: exposure model', () => {
  const pages = [
    page('vp0.para.simp', 'encrypted', 1, { purpose: 'paravisor SynIC message page' }),
    page('vp0.para.siefp', 'encrypted', 1),
    page('relid5.ring', 'encrypted', 4, { purpose: 'relid 5 ring buffer' }),
    page('monitor', 'host-visible', 2, { purpose: 'monitor pages' }),
    page('relid6.ring', 'host-visible', 1),
    page('old', 'host-visible', 5, { freed: true }),
  ];

  it('summarises how many pages the host can read (freed pages not counted)', () => {
    assert.strictEqual(exposureSummary(pages), '3 of 9 pages visible to the host');
    const m = buildExposureModel(pages);
    assert.strictEqual(m.summary, '3 of 9 pages visible to the host');
    assert.strictEqual(node(m, 'exp:summary').label, '3 of 9 pages visible to the host');
  });

  it('groups pages encrypted / host-visible with what they hold and why', () => {
    const m = buildExposureModel(pages);
    assert.deepStrictEqual(m.roots, ['exp:summary', 'exp:encrypted', 'exp:host-visible']);
    assert.strictEqual(node(m, 'exp:encrypted').description, '6 pages');
    assert.strictEqual(node(m, 'exp:host-visible').description, '3 pages');
    const ring = node(m, 'page:relid5.ring');
    assert.strictEqual(ring.parent, 'exp:encrypted');
    assert.strictEqual(ring.label, 'relid 5 ring buffer');
    assert.strictEqual(ring.description, 'co_ring_buffer · 4 pages @ 0x100000');
    assert.strictEqual(node(m, 'page:vp0.para.simp').label, 'VP 0 paravisor SynIC message page');
    assert.ok(ring.tooltip?.includes('readable by: guest, paravisor'));
    assert.match(node(m, 'page:old').description ?? '', /^freed/);
  });
});

describe('views: negotiation model', () => {
  const events = fallbackTrace();

  it('lays out phases with outcomes: the failed paravisor InitiateContact and the fallback', () => {
    const m = buildNegotiationModel({ events, position: events.length - 1, done: true });
    const d = node(m, 'ph/discovery#1');
    assert.deepStrictEqual(
      d.children.map((id) => node(m, id).label),
      ['InitiateContact 6.0', 'fallback'],
    );
    const ic = node(m, 'ph/discovery#1/InitiateContact 6.0#1');
    assert.strictEqual(ic.icon?.id, 'error');
    assert.match(ic.description ?? '', /^failed · paravisor SynIC not available$/);
    const fb = node(m, 'ph/discovery#1/fallback#1');
    assert.strictEqual(fb.icon?.id, 'reply');
    assert.match(fb.description ?? '', /fallback · non-confidential VMBus 6.0/);
    assert.deepStrictEqual(fb.children.map((id) => node(m, id).label), ['CHANNELMSG_INITIATE_CONTACT', 'CHANNELMSG_VERSION_RESPONSE']);
    assert.match(node(m, 'ph/synic setup#1').description ?? '', /VP 0/);
  });

  it('highlights the current position and shows phases ahead (from the plan) as pending', () => {
    // Stopped on the first InitiateContact message (seq 4).
    const known = events.slice(0, 5);
    const m = buildNegotiationModel({ events: known, position: 4, plan: events });
    const ic = node(m, 'ph/discovery#1/InitiateContact 6.0#1');
    const leaf = node(m, `${ic.id}/e4`);
    assert.strictEqual(leaf.highlight, true);
    assert.strictEqual(leaf.icon?.id, 'debug-stackframe');
    assert.strictEqual(ic.highlight, true, 'the innermost running phase is current');
    assert.strictEqual(node(m, 'ph/synic setup#1').icon?.id, 'pass');
    const offers = node(m, 'ph/offers#1');
    assert.strictEqual(offers.icon?.id, 'circle-large-outline');
    assert.strictEqual(offers.description, 'pending');
    assert.strictEqual(m.summary, 'InitiateContact 6.0');
  });

  it('between phases, highlights the phase that just finished (keeping its outcome icon)', () => {
    // seq 1 ends "synic setup" (ok); "discovery" has not begun.
    const m = buildNegotiationModel({ events: events.slice(0, 2), position: 1, plan: events });
    const ph = node(m, 'ph/synic setup#1');
    assert.strictEqual(ph.highlight, true);
    assert.strictEqual(ph.icon?.id, 'pass');
    assert.strictEqual([...m.nodes.values()].filter((n) => n.highlight).length, 1);
    // Inside a phase whose child just ended, the running parent is current.
    const inner = buildNegotiationModel({ events: events.slice(0, 6), position: 5, plan: events });
    assert.strictEqual(node(inner, 'ph/discovery#1').icon?.id, 'debug-stackframe');
    const done = buildNegotiationModel({ events, position: events.length - 1, done: true });
    assert.strictEqual([...done.nodes.values()].filter((n) => n.highlight).length, 0, 'nothing is current once the run is done');
  });

  it('ignores a plan that disagrees with the events (a fault changed the future)', () => {
    const other = fallbackTrace().map((e) => (e.kind === 'phase' && e.name === 'synic setup' ? { ...e, name: 'x' } : e));
    assert.strictEqual(planMatches(events.slice(0, 3), other), false);
    assert.strictEqual(planMatches(events.slice(0, 3), events), true);
    const m = buildNegotiationModel({ events: events.slice(0, 3), position: 2, plan: other });
    assert.ok(!m.nodes.has('ph/offers#1'));
  });

  it('builds the same tree with its cache while stepping forward and back, re-creating only changed nodes', () => {
    const cache = newNegotiationCache();
    let prev: TreeModel | undefined;
    for (const pos of [0, 1, 2, 3, 4, 5, 6, 7, 8, 4, 2, 9, 12]) {
      const input = { events: events.slice(0, pos + 1), position: pos, plan: events };
      const cached = buildNegotiationModel(input, cache);
      const plain = buildNegotiationModel(input);
      assert.deepStrictEqual([...cached.nodes.keys()], [...plain.nodes.keys()], `ids at ${pos}`);
      for (const [id, n] of plain.nodes) assert.deepStrictEqual(cached.nodes.get(id), n, `${id} at ${pos}`);
      if (prev && pos === 2) {
        // One step: only the phases whose status changed are new objects.
        const fresh = [...cached.nodes.values()].filter((n) => prev?.nodes.get(n.id) !== n).map((n) => n.id);
        assert.ok(fresh.length < cached.nodes.size / 2, `re-created ${fresh.length} of ${cached.nodes.size}`);
      }
      prev = cached;
    }
  });

  it('goes on from its cached fold while a live session grows its trace, and refolds after an edit', () => {
    const session = createSession(defaultConfig());
    const cache = newNegotiationCache();
    const check = (label: string): void => {
      const st = session.inspect();
      const input = { events: session.events(), position: session.position(), guest: st.guest, paravisor: st.paravisor, design: 'cpuid' };
      const cached = buildNegotiationModel(input, cache);
      const plain = buildNegotiationModel(input);
      assert.deepStrictEqual([...cached.nodes.keys()], [...plain.nodes.keys()], `ids ${label}`);
      for (const [id, n] of plain.nodes) assert.deepStrictEqual(cached.nodes.get(id), n, `${id} ${label}`);
    };
    let steps = 0;
    while (session.step('event').reason !== 'end') {
      if (++steps % 7 === 0) check(`at ${session.position()}`);
    }
    check('at the end');
    assert.ok(steps > 50, `${steps} steps`);
    session.goTo(Math.floor(session.events().length / 2));
    check('after stepping back');
    const relid = session.inspect().channels[0].relid;
    assert.deepStrictEqual(session.inject({ kind: 'rescind', relid }), { ok: true });
    session.runToEnd();
    check('after an injected rescind');
    assert.ok([...buildNegotiationModel({ events: session.events(), position: session.position() }, cache).nodes.keys()].some((id) => id.includes('rescind')));
  });

  it('maps a trace index to its node (for reveal)', () => {
    const m = buildNegotiationModel({ events, position: events.length - 1 });
    assert.strictEqual(nodeForSeq(m, 4), 'ph/discovery#1/InitiateContact 6.0#1/e4');
    assert.strictEqual(nodeForSeq(m, 5), 'ph/discovery#1/InitiateContact 6.0#1');
    assert.strictEqual(node(m, 'ph/discovery#1').seq, 2);
  });
});

describe('views: incremental diff', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => channel(i + 1, { state: 'offered' }));

  it('fires only the channel node that changed', () => {
    const before = many(50);
    const after = before.map((c) => (c.relid === 17 ? { ...c, state: 'open' } : c));
    const d = diffModels(buildChannelsModel(before), buildChannelsModel(after));
    assert.strictEqual(d.full, false);
    assert.deepStrictEqual(d.changed, ['ch:17']);
  });

  it('with a cache, reuses the nodes of unchanged channels and still fires only the changed one', () => {
    const cache = newChannelsCache();
    const before = many(50).map((c) => (c.relid === 1 ? { ...c, subchannels: [50] } : c.relid === 50 ? { ...c, subchannelIndex: 1 } : c));
    const a = buildChannelsModel(before, cache);
    const after = before.map((c) => (c.relid === 17 || c.relid === 50 ? { ...c, state: 'open' } : c));
    const b = buildChannelsModel(after, cache);
    assert.strictEqual(b.nodes.get('ch:3'), a.nodes.get('ch:3'), 'same node object for an unchanged channel');
    assert.notStrictEqual(b.nodes.get('ch:17'), a.nodes.get('ch:17'));
    assert.deepStrictEqual(diffModels(a, b).changed.sort(), ['ch:17', 'ch:50']);
    assert.deepStrictEqual(b.nodes.get('ch:1')?.children.filter((id) => id === 'ch:50'), ['ch:50'], 'subchannel linked once under its cached primary');
    // Same structure as a build without the cache.
    const plain = buildChannelsModel(after);
    assert.deepStrictEqual([...b.nodes.keys()].sort(), [...plain.nodes.keys()].sort());
    for (const [id, n] of plain.nodes) assert.deepStrictEqual(b.nodes.get(id)?.children, n.children, id);
  });

  it('fires nothing when nothing changed, and a parent when a child is added', () => {
    const a = buildChannelsModel(many(10));
    assert.deepStrictEqual(diffModels(a, buildChannelsModel(many(10))).changed, []);
    const withGpadl = many(10).map((c) =>
      c.relid === 4 ? { ...c, gpadls: [{ handle: 1, kind: 'ring' as const, pages: 2, gpa: '0x1000', visibility: 'encrypted' as const, state: 'created' }] } : c,
    );
    assert.deepStrictEqual(diffModels(a, buildChannelsModel(withGpadl)).changed, ['ch:4']);
  });

  it('leaves out nodes whose ancestor is refreshed, and refreshes everything when roots change', () => {
    const b1 = new ModelBuilder();
    b1.add({ id: 'r', label: 'r' });
    b1.add({ id: 'a', label: 'a' }, 'r');
    const b2 = new ModelBuilder();
    b2.add({ id: 'r', label: 'r2' });
    b2.add({ id: 'a', label: 'a2' }, 'r');
    assert.deepStrictEqual(diffModels(b1.build(), b2.build()).changed, ['r']);
    const b3 = new ModelBuilder();
    b3.add({ id: 'q', label: 'q' });
    assert.strictEqual(diffModels(b1.build(), b3.build()).full, true);
  });

  it('with a cache, reuses unchanged page nodes and moves a changed page between groups', () => {
    const cache = newExposureCache();
    const p1 = [page('a', 'encrypted'), page('b', 'encrypted'), page('c', 'host-visible')];
    const a = buildExposureModel(p1, cache);
    const b = buildExposureModel([p1[0], page('b', 'host-visible'), p1[2]], cache);
    assert.strictEqual(b.nodes.get('page:a'), a.nodes.get('page:a'));
    assert.strictEqual(b.nodes.get('page:b')?.parent, 'exp:host-visible');
    assert.deepStrictEqual(b.nodes.get('exp:host-visible')?.children, ['page:b', 'page:c']);
    assert.deepStrictEqual(b.nodes.get('exp:encrypted')?.children, ['page:a']);
  });

  it('moves a page between the exposure groups through its two group nodes only', () => {
    const p1 = [page('a', 'encrypted'), page('b', 'encrypted'), page('c', 'host-visible')];
    const p2 = [page('a', 'encrypted'), page('b', 'host-visible'), page('c', 'host-visible')];
    const d = diffModels(buildExposureModel(p1), buildExposureModel(p2));
    assert.deepStrictEqual(d.changed.sort(), ['exp:encrypted', 'exp:host-visible', 'exp:summary']);
  });
});
