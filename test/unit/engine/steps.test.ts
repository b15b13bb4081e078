// Scripted `run { }` steps (rescind / rescind after a stop point / close / unload) and stop-point
// matching. Expected message sequences follow Linux's channel management: a host
// RESCIND_CHANNELOFFER makes the guest remove the device and answer RELID_RELEASED; a rescind while
// the guest waits for GPADL_CREATED or OPENCHANNEL_RESULT completes that wait at once and the open
// fails with -ENODEV (vmbus_rescind_cleanup); GPADLs that were created are torn down first.
import * as assert from 'node:assert/strict';
import { createSession } from '../../../src/simulator/engine/session';
import type { ScenarioConfig, SourceRef } from '../../../src/simulator/model/config';
import type { MessageEvent, PhaseEvent } from '../../../src/simulator/trace/events';
import { cfg, guestFlow, logs, messages, noParavisor, relayFlow, run } from './helpers';

const src = (line: number): SourceRef => ({ file: 'steps.vmbus', line, column: 2, endLine: line, endColumn: 30 });

/** Guest-side flow for one relid, without GPADL_BODY (its relid is implicit). */
function flowOf(events: ReturnType<typeof run>['events'], relid: number): string[] {
  return messages(events)
    .filter((m) => (m.from === 'guest' || m.to === 'guest') && m.msgtype !== 'CHANNELMSG_GPADL_BODY')
    .filter((m) => m.relid === relid || m.decoded.child_relid === relid || m.msgtype === 'CHANNELMSG_GPADL_TORNDOWN')
    .map((m) => `${m.from}>${m.to} ${m.msgtype.replace('CHANNELMSG_', '')}`);
}

function plain(patch: (c: ScenarioConfig) => void): ScenarioConfig {
  return cfg((c) => { noParavisor(c, 'none'); c.devices[1].bufferGpadlPages = []; patch(c); });
}

describe('engine: scripted steps — rescind after a stop point', () => {
  it('rescind during the open (after OPENCHANNEL of that device): no OPENCHANNEL_RESULT, ring torn down, relid released; the other device opens', () => {
    const r = run(plain((c) => {
      c.steps = [{ kind: 'rescind', device: 'disk0', after: { label: 'opening', msgtype: 'CHANNELMSG_OPENCHANNEL', device: 'disk0' }, source: src(7) }];
    }));
    assert.deepEqual(flowOf(r.events, 1), [
      'host>guest OFFERCHANNEL',
      'guest>host GPADL_HEADER',
      'host>guest GPADL_CREATED',
      'guest>host OPENCHANNEL',
      'host>guest RESCIND_CHANNELOFFER',
      'guest>host GPADL_TEARDOWN',
      'host>guest GPADL_TORNDOWN',
      'guest>host RELID_RELEASED',
    ]);
    assert.ok(!messages(r.events).some((m) => m.msgtype === 'CHANNELMSG_OPENCHANNEL_RESULT' && m.decoded.child_relid === 1));
    const open1 = r.events.find((e): e is PhaseEvent => e.kind === 'phase' && e.action === 'end' && e.name === 'open storvsc (relid 1)')!;
    assert.equal(open1.outcome, 'failed');
    assert.equal(open1.detail, 'rescind');
    assert.equal(r.state.channels.find((c) => c.device === 'disk0')!.state, 'released');
    assert.equal(r.state.channels.find((c) => c.device === 'nic0')!.state, 'open');
    assert.deepEqual(r.state.brokenInvariants, []);
    // Attributed to the step.
    const resc = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_RESCIND_CHANNELOFFER')!;
    assert.equal(resc.source?.line, 7);
    assert.ok(!r.events.some((e) => e.kind === 'fault'), 'a scripted step is not a fault');
  });

  it('the stop point needs every part: OPENCHANNEL of nic0, not the first OPENCHANNEL (disk0)', () => {
    const r = run(plain((c) => {
      c.steps = [{ kind: 'rescind', device: 'nic0', after: { label: 'nic-open', msgtype: 'CHANNELMSG_OPENCHANNEL', device: 'nic0' } }];
    }));
    assert.equal(r.state.channels.find((c) => c.device === 'disk0')!.state, 'open');
    assert.equal(r.state.channels.find((c) => c.device === 'nic0')!.state, 'released');
    const f = flowOf(r.events, 2);
    const i = f.indexOf('guest>host OPENCHANNEL');
    assert.deepEqual(f.slice(i, i + 2), ['guest>host OPENCHANNEL', 'host>guest RESCIND_CHANNELOFFER']);
  });

  it('rescind while the ring GPADL is being created: the GPADL wait fails (-ENODEV), no OPENCHANNEL, no teardown, relid released', () => {
    const r = run(plain((c) => {
      c.steps = [{ kind: 'rescind', device: 'disk0', after: { label: 'gpadl', msgtype: 'CHANNELMSG_GPADL_HEADER', device: 'disk0' } }];
    }));
    const f = flowOf(r.events, 1);
    const i = f.indexOf('host>guest RESCIND_CHANNELOFFER');
    assert.ok(i > f.indexOf('guest>host GPADL_HEADER'));
    assert.ok(!f.includes('guest>host OPENCHANNEL'), f.join('\n'));
    assert.ok(!f.includes('guest>host GPADL_TEARDOWN'), f.join('\n'));
    assert.equal(f[f.length - 1], 'guest>host RELID_RELEASED');
    const gp = r.events.find((e): e is PhaseEvent => e.kind === 'phase' && e.action === 'end' && e.name === 'gpadl 0xe1e10')!;
    assert.equal(gp.outcome, 'failed');
    const ring = r.events.filter((e) => e.kind === 'page' && e.page === 'relid1.ring').map((e) => e.kind === 'page' && e.action);
    assert.deepEqual(ring, ['allocate', 'free']);
    assert.equal(r.state.channels.find((c) => c.device === 'disk0')!.state, 'released');
    assert.equal(r.state.channels.find((c) => c.device === 'nic0')!.state, 'open');
  });

  it('rescind after a point reached before the device is offered: the rescind follows its offer; the guest never opens it', () => {
    const r = run(plain((c) => {
      c.steps = [{ kind: 'rescind', device: 'nic0', after: { label: 'offers', phase: 'offers' } }];
    }));
    const f = flowOf(r.events, 2);
    assert.deepEqual(f, ['host>guest OFFERCHANNEL', 'host>guest RESCIND_CHANNELOFFER', 'guest>host RELID_RELEASED']);
    assert.equal(r.state.channels.find((c) => c.device === 'nic0')!.state, 'released');
    assert.equal(r.state.channels.find((c) => c.device === 'disk0')!.state, 'open');
  });

  it('relayed channel: rescind during open goes host → relay → paravisor server → guest; releases go back the same way', () => {
    const r = run(cfg((c) => {
      c.steps = [{ kind: 'rescind', device: 'nic0', after: { label: 'o', msgtype: 'CHANNELMSG_OPENCHANNEL', device: 'nic0' }, source: src(9) }];
    }));
    const resc = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_RESCIND_CHANNELOFFER');
    assert.deepEqual(resc.map((m) => `${m.from}>${m.to} ${m.decoded.child_relid}`), ['host>paravisor 1', 'paravisor>guest 2']);
    assert.ok(resc.every((m) => m.source?.line === 9));
    const rel = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_RELID_RELEASED').map((m) => `${m.from}>${m.to} ${m.decoded.child_relid}`);
    assert.deepEqual(rel, ['guest>paravisor 2', 'paravisor>host 1']);
    assert.ok(!messages(r.events).some((m) => m.msgtype === 'CHANNELMSG_OPENCHANNEL_RESULT' && m.to === 'guest' && m.decoded.child_relid === 2));
    assert.ok(relayFlow(r.events).includes('paravisor>host - OPENCHANNEL'));
    assert.equal(r.state.channels.find((c) => c.device === 'nic0')!.state, 'released');
    assert.equal(r.state.channels.find((c) => c.device === 'disk0')!.state, 'open');
    assert.deepEqual(r.state.brokenInvariants, []);
  });

  it('a stop point that is never reached leaves a warning, not a hang', () => {
    const r = run(plain((c) => {
      c.steps = [{ kind: 'rescind', device: 'disk0', after: { label: 'never', msgtype: 'CHANNELMSG_MODIFYCHANNEL' } }];
    }));
    assert.equal(r.state.channels.find((c) => c.device === 'disk0')!.state, 'open');
    assert.ok(logs(r.events, 'host').some((l) => l.includes('stop point "never" was never reached')));
  });
});

describe('engine: scripted steps — in order after the data phase', () => {
  it('rescind, close, unload run one after the other, each attributed to its line', () => {
    const r = run(plain((c) => {
      c.steps = [
        { kind: 'rescind', device: 'nic0', source: src(3) },
        { kind: 'close', device: 'disk0', source: src(4) },
        { kind: 'unload', source: src(5) },
      ];
    }));
    const flow = guestFlow(r.events).map((l) => l.replace(/ (hypervisor|-) /, ' '));
    const i = flow.indexOf('host>guest RESCIND_CHANNELOFFER');
    assert.deepEqual(flow.slice(i), [
      'host>guest RESCIND_CHANNELOFFER',
      'guest>host CLOSECHANNEL',
      'guest>host GPADL_TEARDOWN',
      'host>guest GPADL_TORNDOWN',
      'guest>host RELID_RELEASED',
      'guest>host CLOSECHANNEL',
      'guest>host GPADL_TEARDOWN',
      'host>guest GPADL_TORNDOWN',
      'guest>host UNLOAD',
      'host>guest UNLOAD_RESPONSE',
    ]);
    const lineOf = (t: string, from: string) => (messages(r.events).filter((m) => m.msgtype === t && m.from === from).pop() as MessageEvent).source?.line;
    assert.equal(lineOf('CHANNELMSG_RESCIND_CHANNELOFFER', 'host'), 3);
    assert.equal(lineOf('CHANNELMSG_UNLOAD', 'guest'), 5);
    const begins = r.events.filter((e): e is PhaseEvent => e.kind === 'phase' && e.action === 'begin' && !!e.source && e.source.file === 'steps.vmbus');
    assert.deepEqual(begins.map((e) => `${e.name}@${e.source!.line}`), ['rescind@3', 'close storvsc (relid 1)@4', 'unload@5']);
    assert.equal(r.state.guest.connectionState, 'unloaded');
  });

  it('steps after unload still run (and are skipped: nothing left to close)', () => {
    const r = run(plain((c) => { c.steps = [{ kind: 'unload' }, { kind: 'close', device: 'disk0' }]; }));
    const ends = r.events.filter((e): e is PhaseEvent => e.kind === 'phase' && e.action === 'end').map((e) => `${e.name}:${e.outcome}`);
    assert.ok(ends.includes('unload:ok'));
    assert.ok(ends.includes('close disk0:skipped'), ends.join(' '));
    assert.ok(!messages(r.events).some((m) => m.msgtype === 'CHANNELMSG_CLOSECHANNEL'));
  });

  it('a rescind of a channel the guest does not hold does not stall later steps', () => {
    const r = run(plain((c) => {
      c.steps = [{ kind: 'rescind', device: 'nic0' }, { kind: 'rescind', device: 'nic0' }, { kind: 'unload' }];
    }));
    assert.equal(r.state.guest.connectionState, 'unloaded');
  });
});

describe('engine: stop points (runToStop)', () => {
  it('message + device: stops at that device\'s message', () => {
    const s = createSession(plain((c) => { c.stops = [{ label: 'nic-open', msgtype: 'CHANNELMSG_OPENCHANNEL', device: 'nic0' }]; }));
    const st = s.runToStop('nic-open');
    assert.equal(st.reason, 'breakpoint');
    assert.equal((st.event as MessageEvent).decoded.child_relid, 2);
  });
  it('message + phase: stops at that message inside the phase only', () => {
    const s = createSession(plain((c) => { c.stops = [{ label: 'p', msgtype: 'CHANNELMSG_GPADL_HEADER', phase: 'open netvsc' }]; }));
    const st = s.runToStop('p');
    assert.equal((st.event as MessageEvent).decoded.child_relid, 2);
  });
  it('phase + device: that device\'s phase', () => {
    const s = createSession(plain((c) => { c.stops = [{ label: 'p', phase: 'open', device: 'nic0' }]; }));
    const st = s.runToStop('p');
    assert.equal((st.event as PhaseEvent).name, 'open netvsc (relid 2)');
  });
});
