// The debug adapter on a real log (no engine): launch a trace-cmd text, step, step back, stop at a
// message type, read the event's decoded fields; what the log does not say shows as unknown.
// Expected values come from the fixture's lines (test/fixtures/logtrace/netvsc-open.trace).
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { launch, scope, startAdapter, stopAfter, topFrame, ROOT, type Harness } from './harness';

const LOG = path.join(ROOT, 'test/fixtures/logtrace/netvsc-open.trace');

describe('debug adapter on a real log', function () {
  this.timeout(20000);
  let h: Harness;
  beforeEach(async () => { h = await startAdapter(); });
  afterEach(async () => { await h.stop(); });

  it('steps through the records and shows each one\'s fields, unknowns named', async () => {
    let ev = await launch(h.dc, { program: LOG, stopOnEntry: true });
    assert.equal(ev.body.reason, 'entry');
    const tid = ev.body.threadId!;
    ev = await stopAfter(h.dc, () => h.dc.nextRequest({ threadId: tid }));
    let event = await scope(h.dc, ev.body.threadId!, 'Event');
    assert.equal(event.get('log line')?.value, '4');
    assert.equal(event.get('time')?.value, '1.203001 s');
    const msg = await scope(h.dc, ev.body.threadId!, 'Current message');
    assert.equal(msg.get('msgtype')?.value, 'CHANNELMSG_INITIATE_CONTACT (14)');
    assert.equal(msg.get('synic')?.value, 'unknown (not in the log)');
    assert.equal(msg.get('bytes')?.value, 'unknown (not in the log)');
    assert.match(msg.get('vmbus_version_requested')?.value ?? '', /327683|0x50003/);
    // The frame points at the log line.
    const top = await topFrame(h.dc, ev.body.threadId!);
    assert.equal(top.line, 4);
    ev = await stopAfter(h.dc, () => h.dc.nextRequest({ threadId: ev.body.threadId! }));
    event = await scope(h.dc, ev.body.threadId!, 'Event');
    assert.equal(event.get('log line')?.value, '5');
    ev = await stopAfter(h.dc, () => h.dc.stepBackRequest({ threadId: ev.body.threadId! }));
    event = await scope(h.dc, ev.body.threadId!, 'Event');
    assert.equal(event.get('log line')?.value, '4');
  });

  it('stops at a function breakpoint on a message type (vmbus_open → OPENCHANNEL, line 14)', async () => {
    const ev = await launch(h.dc, { program: LOG, functionBreakpoints: [{ name: 'OPENCHANNEL' }] });
    const event = await scope(h.dc, ev.body.threadId!, 'Event');
    assert.equal(event.get('log line')?.value, '14');
  });
});
