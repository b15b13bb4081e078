// A real log as a trace (logtrace/): events on the log's own time axis and CPUs, unknown fields
// named, a stepping session without an engine. Expected values come from the log texts
// (test/fixtures/real, copies of /work/shared/samples/real) and the kernel's definitions
// (enum vmbus_channel_message_type, VMBUS_MESSAGE_SINT = 2, hv_trace.h), never from the code.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { importLog } from '../../../src/simulator/importers/index';
import { logToTrace, openLog, LogSession } from '../../../src/simulator/logtrace/index';
import type { MessageEvent } from '../../../src/simulator/trace/events';

const ROOT = path.resolve(__dirname, '../../../..');
const read = (p: string): string => fs.readFileSync(path.join(ROOT, p), 'utf8');
const TRACE = 'test/fixtures/logtrace/netvsc-open.trace';

describe('logtrace: a trace-cmd text as a trace', () => {
  const text = read(TRACE);
  const lt = logToTrace(importLog(text), TRACE);

  it('has one event per record, in log order, with the record line', () => {
    // Records are on lines 4..17 of the fixture (3 comment/header lines first).
    assert.deepEqual(lt.events.map((e) => e.log?.line), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    assert.deepEqual(lt.events.map((e) => e.seq), lt.events.map((_, i) => i));
    // The source ref points at the log (0-based line, like scenario source refs).
    assert.deepEqual(lt.events[6].source, { file: TRACE, line: 9, column: 0, endLine: 9, endColumn: 0 });
  });

  it('puts events on the real time axis and CPUs', () => {
    assert.equal(lt.events[0].time, 1_203_001_000); // 1.203001 s
    assert.equal(lt.events[10].time, 1_410_100_000);
    assert.equal(lt.events[10].vp, 1); // [001]
    assert.equal(lt.vpCount, 2);
  });

  it('reads an offer as the OFFERCHANNEL message (msgtype 1), naming what the record does not say', () => {
    const m = lt.events[6] as MessageEvent;
    assert.equal(m.kind, 'message');
    assert.equal(m.msgtype, 'CHANNELMSG_OFFERCHANNEL');
    assert.equal(m.msgtypeValue, 1);
    assert.equal(m.relid, 0xe);
    assert.equal(m.to, 'guest');
    assert.equal(m.sint, 2);
    assert.deepEqual((m.decoded.offer as Record<string, unknown>).if_type, 'f8615163-df3e-46c5-913f-f2d2f965ed0e');
    for (const f of ['hex', 'connectionId', 'path', 'synic', 'confidential', 'from']) assert.ok(m.log!.unknown.includes(f), f);
    assert.equal(m.hex, '');
  });

  it('reads vmbus_negotiate_version as INITIATE_CONTACT (14) with the 5.0+ layout of the first page field', () => {
    const m = lt.events[0] as MessageEvent;
    assert.equal(m.msgtypeValue, 14);
    assert.equal(m.from, 'guest');
    // pages 2:…: msg_sint 2 (VMBUS_MESSAGE_SINT), feature_flags 0.
    assert.equal(m.decoded.msg_sint, 2);
    assert.equal(m.decoded.feature_flags, 0);
    assert.equal(m.decoded.vmbus_version_requested, 327683);
  });

  it('reads vmbus_on_msg_dpc as a SINT2 message interrupt whose SynIC is unknown', () => {
    const e = lt.events[1];
    assert.equal(e.kind, 'interrupt');
    assert.ok(e.kind === 'interrupt' && e.sint === 2 && e.via === 'message' && /msgtype=15/.test(e.detail ?? ''));
    assert.deepEqual(e.log!.unknown, ['synic']);
  });
});

describe('logtrace: a real dmesg as a trace', () => {
  const lt = logToTrace(importLog(read('test/fixtures/real/dmesg-1.txt')), 'dmesg-1.txt');
  it('keeps the five hv_vmbus lines with their timestamps; the CPU is unknown', () => {
    assert.deepEqual(lt.events.map((e) => e.log?.line), [2, 3, 7, 8, 9]);
    assert.equal(lt.events[0].time, 900_032_000);
    assert.equal(lt.events[4].time, 936_851_000);
    assert.ok(lt.events.every((e) => e.vp === null && e.log!.unknown.includes('vp')));
    assert.equal(lt.events[0].kind === 'log' && lt.events[0].text, 'hv_vmbus: Vmbus version:5.2');
  });
  it('shows the negotiated version in the session state from the start', () => {
    const s = openLog(read('test/fixtures/real/dmesg-1.txt'), 'dmesg-1.txt').session;
    assert.equal(s.inspect().guest.version, 0x50002);
  });
});

describe('logtrace: stepping a log (LogSession, no engine)', () => {
  const open = (): LogSession => openLog(read(TRACE), TRACE).session;

  it('steps forward and back through the records, and the channel set follows', () => {
    const s = open();
    assert.equal(s.position(), -1);
    assert.deepEqual(s.inspect().channels, []);
    s.goTo(6); // the offer of relid 0xe (line 10)
    let st = s.inspect();
    assert.equal(st.channels.length, 1);
    assert.equal(st.channels[0].relid, 14);
    assert.equal(st.channels[0].className, 'netvsc');
    assert.equal(st.channels[0].state, 'offered');
    assert.equal(st.channels[0].monitorId, 1);
    assert.equal(st.guest.version, 0x50003);
    s.goTo(11); // vmbus_onopen_result status 0 (line 15)
    assert.equal(s.inspect().channels[0].state, 'open');
    s.runToEnd();
    st = s.inspect();
    assert.deepEqual(st.channels.map((c) => [c.relid, c.subchannelIndex]), [[14, 0], [15, 1]]);
    assert.deepEqual(st.channels[0].subchannels, [15]);
    const back = s.stepBack('event');
    assert.equal(back.event?.log?.line, 16);
    assert.equal(s.inspect().channels.length, 1);
  });

  it('stops at a breakpoint by message type', () => {
    const s = open();
    const stop = s.runUntil((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_OPENCHANNEL');
    assert.equal(stop.reason, 'predicate');
    assert.equal(stop.event?.log?.line, 14);
    assert.equal(s.runUntil(() => false).reason, 'end');
  });

  it('refuses edits and faults: a log is what happened', () => {
    const s = open();
    assert.equal(s.setValue().ok, false);
    assert.equal(s.inject().ok, false);
  });
});
