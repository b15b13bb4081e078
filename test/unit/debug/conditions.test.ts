// The breakpoint condition language: parsed by hand, never evaluated with eval/Function.
// Events below are written by hand in the shape of src/simulator/trace/events.ts.
import * as assert from 'node:assert/strict';
import { compileCondition, compileHitCondition, formatLogMessage, ConditionError } from '../../../src/extension/debug/conditions';
import { BreakpointManager, classifyException, matchesFunction } from '../../../src/extension/debug/breakpoints';
import type { MessageEvent, RegisterEvent, TraceEvent } from '../../../src/simulator/trace/events';

const open: MessageEvent = {
  kind: 'message',
  seq: 40,
  time: 1000,
  vp: 0,
  granularity: 'event',
  phase: ['channels', 'open disk0'],
  from: 'guest',
  to: 'paravisor',
  synic: null,
  path: 'hypercall',
  connectionId: 4,
  msgtype: 'CHANNELMSG_OPENCHANNEL',
  msgtypeValue: 5,
  hex: '05000000000000000500000005000000',
  decoded: { msgtype: 'CHANNELMSG_OPENCHANNEL', child_relid: 5, openid: 5, ringbuffer_gpadlhandle: 0xe1e10, target_vp: 0 },
  confidential: true,
  relid: 5,
  status: 'HV_STATUS_SUCCESS',
};

const sint2: RegisterEvent = {
  kind: 'register',
  seq: 7,
  time: 10,
  vp: 1,
  granularity: 'substep',
  phase: ['synic setup'],
  op: 'write',
  synic: 'paravisor',
  register: 'SINT2',
  msr: 0x40000092,
  value: '0xf3',
  fields: { vector: 0xf3, masked: false, auto_eoi: false, proxy: false },
  path: 'trapped',
  by: 'guest',
};

describe('debug: condition language', () => {
  it('compares fields of the current event', () => {
    assert.equal(compileCondition('relid == 5').test(open), true);
    assert.equal(compileCondition('relid == 6').test(open), false);
    assert.equal(compileCondition('relid != 6').test(open), true);
    assert.equal(compileCondition('vp == 0 && relid >= 5').test(open), true);
  });

  it('treats capitalised words as constants (message names without quotes)', () => {
    assert.equal(compileCondition('msgtype == CHANNELMSG_OPENCHANNEL && vp == 0').test(open), true);
    assert.equal(compileCondition('msgtype == CHANNELMSG_OFFERCHANNEL').test(open), false);
    // The CHANNELMSG_ prefix is optional on either side.
    assert.equal(compileCondition('msgtype == OPENCHANNEL').test(open), true);
    assert.equal(compileCondition('msgtype == "CHANNELMSG_OPENCHANNEL"').test(open), true);
  });

  it('reads decoded message fields by their Linux names, and register fields', () => {
    assert.equal(compileCondition('ringbuffer_gpadlhandle == 0xe1e10').test(open), true);
    assert.equal(compileCondition('decoded.openid == 5').test(open), true);
    assert.equal(compileCondition('child_relid == 5').test(open), true);
    assert.equal(compileCondition('register == SINT2 && vector == 0xf3 && !proxy').test(sint2), true);
    assert.equal(compileCondition('synic == "paravisor" and not masked').test(sint2), true);
  });

  it('has bit-and, or, not, parentheses, contains and phase names', () => {
    assert.equal(compileCondition('(relid & 0x4) == 4').test(open), true);
    assert.equal(compileCondition('relid == 1 || (vp == 0 && from == "guest")').test(open), true);
    assert.equal(compileCondition('phase == "open disk0"').test(open), true);
    assert.equal(compileCondition('phases ~ "channels"').test(open), true);
    assert.equal(compileCondition('!(relid == 5)').test(open), false);
  });

  it('unknown fields are undefined, so comparisons with them are false (never throw)', () => {
    assert.equal(compileCondition('nosuchfield == 5').test(open), false);
    assert.equal(compileCondition('msgtype == CHANNELMSG_OFFERCHANNEL').test(sint2 as TraceEvent), false);
  });

  it('rejects malformed expressions with a position', () => {
    assert.throws(() => compileCondition('relid == '), ConditionError);
    assert.throws(() => compileCondition('relid === 5 )'), ConditionError);
    assert.throws(() => compileCondition('relid = = 5'), ConditionError);
    assert.throws(() => compileCondition('"unterminated'), ConditionError);
    assert.throws(() => compileCondition('relid; process.exit()'), ConditionError);
  });

  it('does not evaluate JavaScript', () => {
    // Property access on prototypes or globals resolves to nothing.
    assert.equal(compileCondition('constructor').value(open), undefined);
    assert.equal(compileCondition('__proto__').value(open), undefined);
    assert.equal(compileCondition('process').value(open), undefined);
  });

  it('hit conditions', () => {
    assert.deepEqual([1, 2, 3, 4].map(compileHitCondition('3').test), [false, false, true, true]);
    assert.deepEqual([1, 2, 3, 4].map(compileHitCondition('== 3').test), [false, false, true, false]);
    assert.deepEqual([1, 2, 3, 4].map(compileHitCondition('> 2').test), [false, false, true, true]);
    assert.deepEqual([1, 2, 3, 4].map(compileHitCondition('% 2').test), [false, true, false, true]);
    assert.throws(() => compileHitCondition('every other'));
  });

  it('log messages interpolate {expressions}', () => {
    assert.equal(formatLogMessage('open relid {relid} on vp {vp}', open), 'open relid 5 on vp 0');
  });
});

describe('debug: breakpoint matching', () => {
  it('function breakpoints match message types with or without the prefix, registers and phases', () => {
    assert.equal(matchesFunction('CHANNELMSG_OPENCHANNEL', open), true);
    assert.equal(matchesFunction('OPENCHANNEL', open), true);
    assert.equal(matchesFunction('CHANNELMSG_OFFERCHANNEL', open), false);
    assert.equal(matchesFunction('SINT2', sint2), true);
  });

  it('exception classification follows the event kinds', () => {
    const base = { seq: 1, time: 0, vp: 0, granularity: 'event' as const, phase: ['connect'] };
    assert.deepEqual(
      classifyException({ ...base, kind: 'phase', action: 'end', name: 'probe paravisor', outcome: 'fallback' }).map((x) => x.filter),
      ['fallback'],
    );
    assert.deepEqual(
      classifyException({ ...base, kind: 'state', party: 'guest', object: 'channel', relid: 5, from: 'offered', to: 'rejected' }).map((x) => x.filter),
      ['offer-rejected'],
    );
    assert.deepEqual(classifyException({ ...base, kind: 'fault', fault: 'x', description: 'y', hostile: true }).map((x) => x.filter), ['hostile-host']);
    assert.deepEqual(classifyException({ ...base, kind: 'fault', fault: 'drop', description: 'y', hostile: false }).map((x) => x.filter), []);
    assert.deepEqual(classifyException({ ...base, kind: 'invariant', name: 'i', description: 'd' }).map((x) => x.filter), ['invariant']);
    assert.deepEqual(classifyException({ ...base, kind: 'expectation', ok: false, text: 'fallback' }).map((x) => x.filter), ['expectation']);
    assert.deepEqual(classifyException({ ...base, kind: 'expectation', ok: true, text: 'fallback' }).map((x) => x.filter), []);
    assert.deepEqual(classifyException(open).map((x) => x.filter), []);
  });

  it('a condition error leaves the breakpoint unverified with the reason', () => {
    const m = new BreakpointManager(() => undefined);
    const [b] = m.setFunctionBreakpoints([{ name: 'CHANNELMSG_OPENCHANNEL', condition: 'relid ==' }]);
    assert.equal(b.verified, false);
    assert.match(b.message ?? '', /Condition error/);
  });

  it('conditions and hit counts gate function breakpoints', () => {
    const m = new BreakpointManager(() => undefined);
    m.setExceptionFilters([]);
    m.setFunctionBreakpoints([{ name: 'CHANNELMSG_OPENCHANNEL', condition: 'relid == 5', hitCondition: '2' }]);
    assert.equal(m.check(open, undefined, true), undefined); // first hit: hit count 1 < 2
    assert.equal(m.check(open, undefined, true)?.kind, 'function'); // second hit
    assert.equal(m.check({ ...open, relid: 6, decoded: { ...open.decoded, child_relid: 6 } }, undefined, true), undefined);
  });
});
