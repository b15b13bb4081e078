// DAP-level tests of the VMBus debug adapter against the real engine and scenario parser.
// Expected values come from the protocol and the Linux reference, not from the adapter:
//  - SINT2 vector 0xf3 = HYPERVISOR_CALLBACK_VECTOR (x86); proxy bit 20 on the paravisor's SINT2
//    is clear while probing the Confidential VMBus and set after the fallback (linux-vmbus.md §5.3/§5.4);
//  - Linux's version ladder 6.0, 5.3, 5.2, ... with VMBUS_MAKE_VERSION(maj, min) = maj << 16 | min (§2);
//  - GPADL handles from 0xE1E10 upwards, openid = child_relid (§1.3);
//  - msgtype values: INITIATE_CONTACT 14, VERSION_RESPONSE 15, OPENCHANNEL 5 (§1.2);
//  - chn_flags 0x4 without 0x2 → "Invalid offer relid=%d: the ring buffer isn't encrypted" (§5.7).
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { children, evaluate, fixture, frames, launch, scope, snapshot, startAdapter, stopAfter, topFrame, walk, type Harness } from './harness';
import type { SimulationSession } from '../../../src/simulator/engine/api';

const FALLBACK = fixture('fallback.vmbus');
const TWO = fixture('two-devices.vmbus');
// 1-based lines of the fixtures.
const FALLBACK_SCENARIO_LINE = 4;
const FALLBACK_MAX_VERSION_LINE = 11;
const FALLBACK_CONFIDENTIAL_VMBUS_LINE = 16;
const TWO_NIC_LINE = 23;

function val(m: Map<string, DebugProtocol.Variable>, name: string): string {
  const v = m.get(name);
  if (!v) throw new Error(`no variable ${name}; have ${[...m.keys()].join(', ')}`);
  return v.value;
}

describe('debug adapter (DAP, real engine)', function () {
  this.timeout(20000);
  let h: Harness;
  beforeEach(async () => {
    h = await startAdapter();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('announces its capabilities and exception filters', async () => {
    const init = await h.dc.initializeRequest();
    const caps = init.body!;
    assert.equal(caps.supportsStepBack, true);
    assert.equal(caps.supportsConditionalBreakpoints, true);
    assert.equal(caps.supportsHitConditionalBreakpoints, true);
    assert.equal(caps.supportsFunctionBreakpoints, true);
    assert.equal(caps.supportsSetVariable, true);
    assert.equal(caps.supportsReadMemoryRequest, true);
    assert.equal(caps.supportsExceptionInfoRequest, true);
    assert.deepEqual(
      caps.exceptionBreakpointFilters!.map((f) => f.filter),
      ['fallback', 'offer-rejected', 'protocol-violation', 'hostile-host', 'invariant', 'expectation'],
    );
  });

  it('stops on entry at the scenario line, with the VPs, paravisor, hypervisor and host as threads', async () => {
    const ev = await launch(h.dc, { program: FALLBACK, stopOnEntry: true });
    assert.equal(ev.body.reason, 'entry');
    const top = await topFrame(h.dc, ev.body.threadId!);
    assert.equal(top.line, FALLBACK_SCENARIO_LINE);
    assert.equal(top.source?.path, FALLBACK);
    const threads = await h.dc.threadsRequest();
    assert.deepEqual(
      threads.body.threads.map((t) => t.name),
      ['Guest VP 0', 'Guest VP 1', 'Paravisor (OpenHCL)', 'Hypervisor', 'Host'],
    );
  });

  it('on entry the stopped thread\'s frame is one VS Code focuses (not subtle), so Variables shows the scopes', async () => {
    // VS Code's Thread.getTopStackFrame() skips frames hinted 'subtle'/'deemphasize' unless the stop
    // reason is breakpoint/step/function breakpoint; for 'entry' nothing got focused and the
    // Variables view stayed empty.
    const ev = await launch(h.dc, { program: FALLBACK, stopOnEntry: true });
    assert.equal(ev.body.reason, 'entry');
    const top = await topFrame(h.dc, ev.body.threadId!);
    assert.notEqual(top.presentationHint, 'subtle');
    assert.notEqual(top.presentationHint, 'deemphasize');
    assert.notEqual(top.source?.presentationHint, 'deemphasize');
    const scopes = await h.dc.scopesRequest({ frameId: top.id });
    assert.ok(scopes.body.scopes.some((s) => s.name === 'Guest'), scopes.body.scopes.map((s) => s.name).join(', '));
    // Once the run has started, a thread that has not done anything yet stays subtle.
    const step = await stopAfter(h.dc, () => h.dc.nextRequest({ threadId: ev.body.threadId! }));
    const threads = (await h.dc.threadsRequest()).body.threads;
    const host = threads.find((t) => t.name === 'Host')!;
    assert.notEqual(host.id, step.body.threadId);
    const hostTop = await topFrame(h.dc, host.id);
    assert.match(hostTop.name, /idle/);
    assert.equal(hostTop.presentationHint, 'subtle');
  });

  it('stack frames carry no end position (VS Code would select the whole statement on every stop)', async () => {
    const ev = await launch(h.dc, { program: TWO, stopOnEntry: true });
    let threadId = ev.body.threadId!;
    for (let i = 0; i < 12; i++) {
      for (const f of await frames(h.dc, threadId)) {
        assert.equal(f.endLine, undefined, `frame ${f.name} at ${f.line}`);
        assert.equal(f.endColumn, undefined, `frame ${f.name} at ${f.line}`);
      }
      threadId = (await stopAfter(h.dc, () => h.dc.nextRequest({ threadId }))).body.threadId!;
    }
  });

  it('the fallback exception filter stops where the probe gives up, with the reason, at the paravisor line', async () => {
    const ev = await launch(h.dc, { program: FALLBACK, exceptionFilters: ['fallback'] });
    assert.equal(ev.body.reason, 'exception');
    const info = await h.dc.exceptionInfoRequest({ threadId: ev.body.threadId! });
    assert.equal(info.body.exceptionId, 'fallback');
    assert.equal(info.body.breakMode, 'always');
    assert.match(info.body.description ?? '', /InitiateContact/);
    const st = await frames(h.dc, ev.body.threadId!);
    // Top: the connect phase ending in a fallback, shown at `confidential_vmbus no`; below it the phase.
    assert.match(st[0].name, /end connect \(fallback\)/);
    assert.equal(st[0].line, FALLBACK_CONFIDENTIAL_VMBUS_LINE);
    assert.equal(st[1].name, 'connect');
    // What the guest tried last: InitiateContact (14) to the paravisor, refused as an invalid connection id,
    // for the last version of Linux's ladder (2.4 = VMBUS_MAKE_VERSION(2, 4) = 0x20004).
    const msg = await scope(h.dc, ev.body.threadId!, 'Current message');
    assert.equal(val(msg, 'msgtype'), 'CHANNELMSG_INITIATE_CONTACT (14)');
    assert.equal(val(msg, 'from → to'), 'guest → paravisor');
    assert.equal(val(msg, 'status'), 'HV_STATUS_INVALID_CONNECTION_ID');
    assert.match(val(msg, 'vmbus_version_requested'), /^0x20004\b/);
    // While probing, the paravisor's SINT2 carries the VMBus vector without the proxy bit.
    const sint2 = await walk(h.dc, ev.body.threadId!, 'Paravisor SynIC', ['VP 0', 'SINTs', 'SINT2']);
    assert.equal(val(sint2, 'vector'), '0xf3 (243)');
    assert.equal(val(sint2, 'masked'), 'false');
    assert.equal(val(sint2, 'proxy'), 'false');
  });

  it('step over / step back: back lands on exactly the previous state', async () => {
    const ev = await launch(h.dc, { program: FALLBACK, exceptionFilters: ['fallback'] });
    const tid = ev.body.threadId!;
    const before = await snapshot(h.dc, tid);
    const next = await stopAfter(h.dc, () => h.dc.nextRequest({ threadId: tid }));
    assert.equal(next.body.reason, 'step');
    const after = await topFrame(h.dc, next.body.threadId!);
    assert.match(after.name, /begin fallback/);
    assert.notDeepEqual(await snapshot(h.dc, next.body.threadId!), before);
    const back = await stopAfter(h.dc, () => h.dc.stepBackRequest({ threadId: next.body.threadId! }));
    assert.equal(back.body.reason, 'step');
    assert.deepEqual(await snapshot(h.dc, back.body.threadId!), before);
  });

  it('after the fallback the guest talks to the host through the hypervisor SynIC; the paravisor SINT2 proxies', async () => {
    const ev = await launch(h.dc, { program: FALLBACK, functionBreakpoints: [{ name: 'CHANNELMSG_VERSION_RESPONSE' }] });
    assert.equal(ev.body.reason, 'function breakpoint');
    const tid = ev.body.threadId!;
    const top = await topFrame(h.dc, tid);
    assert.match(top.name, /CHANNELMSG_VERSION_RESPONSE host → guest/);
    // The version phase maps to the max_version setting.
    assert.equal(top.line, FALLBACK_MAX_VERSION_LINE);
    const msg = await scope(h.dc, tid, 'Current message');
    assert.equal(val(msg, 'msgtype'), 'CHANNELMSG_VERSION_RESPONSE (15)');
    assert.equal(val(msg, 'synic'), 'hypervisor');
    assert.notEqual(val(msg, 'version_supported'), '0');
    const psint = await walk(h.dc, tid, 'Paravisor SynIC', ['VP 0', 'SINTs', 'SINT2']);
    assert.equal(val(psint, 'proxy'), 'true');
    const hsint = await walk(h.dc, tid, 'Hypervisor SynIC', ['VP 0', 'SINTs', 'SINT2']);
    assert.equal(val(hsint, 'vector'), '0xf3 (243)');
    assert.equal(val(hsint, 'masked'), 'false');
    const guest = await scope(h.dc, tid, 'Guest');
    assert.equal(val(guest, 'fallback taken'), 'true');
    assert.equal(val(guest, 'is_confidential'), 'false');
    // The message bytes in the hex view: msgtype u32 little-endian at offset 0.
    const mem = await h.dc.customRequest('readMemory', { memoryReference: msg.get('bytes')!.memoryReference, offset: 0, count: 16 });
    const bytes = Buffer.from((mem.body as DebugProtocol.ReadMemoryResponse['body'])!.data!, 'base64');
    assert.deepEqual([...bytes.subarray(0, 4)], [15, 0, 0, 0]);
    assert.ok(bytes.length >= 16);
  });

  it('memory: the hypervisor SynIC message page holds VERSION_RESPONSE in SINT2\'s slot', async () => {
    const ev = await launch(h.dc, { program: FALLBACK, functionBreakpoints: [{ name: 'CHANNELMSG_VERSION_RESPONSE' }] });
    let tid = ev.body.threadId!;
    // Step in until the message sits in the hypervisor SynIC's slot (before the guest consumes it).
    let slots: DebugProtocol.Variable | undefined;
    for (let i = 0; i < 10 && !slots; i++) {
      const s = await stopAfter(h.dc, () => h.dc.stepInRequest({ threadId: tid }));
      tid = s.body.threadId!;
      const vp0 = await walk(h.dc, tid, 'Hypervisor SynIC', ['VP 0']);
      const v = vp0.get('message slots');
      if (v && /SINT2: CHANNELMSG_VERSION_RESPONSE/.test(v.value)) slots = v;
    }
    assert.ok(slots?.memoryReference, 'the slot is shown with a memory reference');
    // struct hv_message_page: 16 slots of 256 bytes; VMBus uses SINT2 → offset 512. The slot's
    // 16-byte header carries message_type (u32 @0) and payload_size (u8 @4); the channel message
    // follows at +16 and starts with its msgtype (u32), 15 = VERSION_RESPONSE.
    const mem = await h.dc.customRequest('readMemory', { memoryReference: slots.memoryReference, offset: 512, count: 32 });
    const body = mem.body as DebugProtocol.ReadMemoryResponse['body'];
    const b = Buffer.from(body!.data!, 'base64');
    assert.equal(b.readUInt32LE(0), 1, 'message_type = 1 (channel message, as Linux posts it)');
    // A host asked for 6.0 answers with VersionResponse2: Linux's 16-byte struct + supported_features u32 @16.
    assert.equal(b[4], 20, 'payload_size = 20 (VersionResponse2)');
    assert.equal(b.readUInt32LE(16), 15);
    // The page's address is the SIMP base GPA (page aligned).
    assert.match(body!.address, /^0x[0-9a-f]+$/);
    assert.equal(BigInt(body!.address) % 4096n, 512n);
  });

  it('restart re-reads the scenario and stops on entry again', async () => {
    const ev = await launch(h.dc, { program: FALLBACK, stopOnEntry: true });
    await stopAfter(h.dc, () => h.dc.nextRequest({ threadId: ev.body.threadId! }));
    const again = await stopAfter(h.dc, () => h.dc.customRequest('restart', { arguments: { program: FALLBACK, stopOnEntry: true } }));
    assert.equal(again.body.reason, 'entry');
    assert.equal((await h.dc.customRequest('vmbus.position')).body.position, -1);
  });

  it('hit-count function breakpoint: the 3rd InitiateContact asks for version 5.2', async () => {
    const ev = await launch(h.dc, { program: FALLBACK, functionBreakpoints: [{ name: 'CHANNELMSG_INITIATE_CONTACT', hitCondition: '== 3' }] });
    const r = await evaluate(h.dc, 'vmbus_version_requested');
    assert.equal(Number(r.body.result), 0x00050002);
    // Reverse continue goes back to the previous hit (breakpoints still apply backwards): 5.3.
    const back = await stopAfter(h.dc, () => h.dc.reverseContinueRequest({ threadId: ev.body.threadId! }));
    assert.equal(back.body.reason, 'function breakpoint');
    assert.equal(Number((await evaluate(h.dc, 'vmbus_version_requested')).body.result), 0x00050003);
  });

  it('step into walks register-level sub-steps: the SINT2 write on the hypervisor SynIC', async () => {
    const ev = await launch(h.dc, { program: FALLBACK, functionBreakpoints: [{ name: 'synic-setup vp0' }] });
    let tid = ev.body.threadId!;
    let found: string | undefined;
    for (let i = 0; i < 40 && !found; i++) {
      const s = await stopAfter(h.dc, () => h.dc.stepInRequest({ threadId: tid }));
      tid = s.body.threadId!;
      const top = await topFrame(h.dc, tid);
      if (/wrmsr hypervisor SINT2/.test(top.name)) found = top.name;
    }
    assert.ok(found, 'reached the hypervisor SINT2 write by stepping in');
    const ev2 = await scope(h.dc, tid, 'Event');
    assert.equal(val(ev2, 'granularity'), 'substep');
    assert.equal(val(ev2, 'register'), 'SINT2');
    assert.equal((await evaluate(h.dc, 'msr')).body.result, String(0x40000092));
    assert.equal((await evaluate(h.dc, 'vector')).body.result, String(0xf3));
    // Step out: to the end of the synic-setup phase.
    const out = await stopAfter(h.dc, () => h.dc.stepOutRequest({ threadId: tid }));
    assert.match((await topFrame(h.dc, out.body.threadId!)).name, /end synic-setup vp0/);
  });

  it('line breakpoint on a device binds to its line and stops there; conditions select the event', async () => {
    const res = await (async () => {
      const stopped = launch(h.dc, {
        program: TWO,
        lineBreakpoints: [{ line: TWO_NIC_LINE + 1, condition: 'msgtype == CHANNELMSG_OPENCHANNEL && vp == 0' }],
      });
      return stopped;
    })();
    assert.equal(res.body.reason, 'breakpoint');
    const tid = res.body.threadId!;
    const top = await topFrame(h.dc, tid);
    // The breakpoint was set inside the nic0 block and moved to its first line; the stop is there.
    assert.equal(top.line, TWO_NIC_LINE);
    assert.match(top.name, /CHANNELMSG_OPENCHANNEL guest → paravisor relid 2/);
    const msg = await scope(h.dc, tid, 'Current message');
    assert.equal(val(msg, 'msgtype'), 'CHANNELMSG_OPENCHANNEL (5)');
    assert.equal(val(msg, 'child_relid'), '2');
    assert.equal(val(msg, 'openid'), '2');
    // Second GPADL Linux creates: 0xE1E10 + 1.
    assert.match(val(msg, 'ringbuffer_gpadlhandle'), /^0xe1e11\b/);
    const chans = await scope(h.dc, tid, 'Channels');
    assert.match(val(chans, 'relid 2'), /^nic0 \(netvsc\): opening/);
    assert.match(val(chans, 'relid 1'), /^disk0 \(storvsc\): open, confidential ring/);
    const disk = await children(h.dc, chans.get('relid 1')!.variablesReference);
    assert.match(val(disk, 'chn_flags'), /^0x0002 \[CONFIDENTIAL_RING_BUFFER\]/);
  });

  it('set a value: flipping chn_flags before the guest reads the offer makes Linux reject it', async () => {
    const ev = await launch(h.dc, {
      program: TWO,
      exceptionFilters: ['offer-rejected'],
      functionBreakpoints: [{ name: 'CHANNELMSG_OFFERCHANNEL', condition: 'relid == 2 && to == "guest"' }],
    });
    assert.equal(ev.body.reason, 'function breakpoint');
    const tid = ev.body.threadId!;
    const f = await topFrame(h.dc, tid);
    const scopes = await h.dc.scopesRequest({ frameId: f.id });
    const msgRef = scopes.body.scopes.find((s) => s.name === 'Current message')!.variablesReference;
    const msg = await children(h.dc, msgRef);
    assert.match(val(msg, 'chn_flags (offer.chn_flags)'), /^0x0000/);
    // 0x4 = confidential external memory without 0x2 = confidential ring buffer.
    const set = await h.dc.setVariableRequest({ variablesReference: msgRef, name: 'chn_flags (offer.chn_flags)', value: '0x4' });
    assert.match(set.body.value, /^0x0004 \[CONFIDENTIAL_EXTERNAL_MEMORY\]/);
    const rejected = await stopAfter(h.dc, () => h.dc.continueRequest({ threadId: tid }));
    assert.equal(rejected.body.reason, 'exception');
    const info = await h.dc.exceptionInfoRequest({ threadId: rejected.body.threadId! });
    assert.equal(info.body.exceptionId, 'offer-rejected');
    const guest = await scope(h.dc, rejected.body.threadId!, 'Guest');
    const dmesg = await children(h.dc, guest.get('dmesg')!.variablesReference);
    assert.ok(
      [...dmesg.values()].some((v) => v.value === "hv_vmbus: Invalid offer relid=2: the ring buffer isn't encrypted"),
      [...dmesg.values()].map((v) => v.value).join('\n'),
    );
  });

  it('relayed messages map to their device: the paravisor\'s OPENCHANNEL to the host (relay relid) shows the nic0 line', async () => {
    // Between the paravisor relay and the host, relids are the host's: nic0 is relid 1 there, while
    // relid 1 on the guest side is disk0. The stop must point at nic0, and run on the paravisor thread.
    const ev = await launch(h.dc, { program: TWO, functionBreakpoints: [{ name: 'CHANNELMSG_OPENCHANNEL', condition: 'from == "paravisor" && to == "host"' }] });
    assert.equal(ev.body.reason, 'function breakpoint');
    const top = await topFrame(h.dc, ev.body.threadId!);
    assert.match(top.name, /CHANNELMSG_OPENCHANNEL paravisor → host relid 1/);
    assert.equal(top.line, TWO_NIC_LINE);
    const threads = await h.dc.threadsRequest();
    assert.equal(threads.body.threads.find((t) => t.id === ev.body.threadId)?.name, 'Paravisor (OpenHCL)');
  });

  it('the hostile-host filter stops on the fault, at the faults line, with its description', async () => {
    const ev = await launch(h.dc, { program: fixture('hostile.vmbus'), exceptionFilters: ['hostile-host'] });
    assert.equal(ev.body.reason, 'exception');
    const info = await h.dc.exceptionInfoRequest({ threadId: ev.body.threadId! });
    assert.equal(info.body.exceptionId, 'hostile-host');
    assert.match(info.body.description ?? '', /host-offer-co-external-without-ring/);
    const top = await topFrame(h.dc, ev.body.threadId!);
    // `host-offer-co-external-without-ring device nic0` is line 23 of the fixture.
    assert.equal(top.line, 23);
    // A hostile host is the host's doing: the stop is on the Host thread.
    const threads = await h.dc.threadsRequest();
    assert.equal(threads.body.threads.find((t) => t.id === ev.body.threadId)?.name, 'Host');
  });

  it('reports unverified breakpoints and bad conditions', async () => {
    await h.dc.initializeRequest();
    const launched = h.dc.launchRequest({ program: TWO, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
    await h.dc.configurationDoneRequest();
    await launched;
    const r = await h.dc.setBreakpointsRequest({
      source: { path: TWO },
      breakpoints: [{ line: TWO_NIC_LINE }, { line: 5 }, { line: TWO_NIC_LINE, condition: 'relid ==' }],
    });
    const [ok, blank, bad] = r.body.breakpoints;
    assert.equal(ok.verified, true);
    assert.equal(ok.line, TWO_NIC_LINE);
    assert.equal(blank.verified, false);
    assert.equal(bad.verified, false);
    assert.match(bad.message ?? '', /Condition error/);
  });

  it('debug console: help, decode, sint2 vp0, channel, exposure', async () => {
    const ev = await launch(h.dc, { program: TWO, functionBreakpoints: [{ name: 'CHANNELMSG_OPENCHANNEL', condition: 'relid == 2' }] });
    assert.equal(ev.body.reason, 'function breakpoint');
    assert.match((await evaluate(h.dc, 'help')).body.result, /decode <hex>/);
    // InitiateContact for 6.0 written by hand from the struct layout: msgtype 14, version 0x00060000,
    // target_vcpu 0, msg_sint 2, msg_vtl 0, feature_flags 0x10, monitor pages 0.
    const ic = '0e000000 00000000 00000600 00000000 02000000 10000000' + '00'.repeat(16);
    const d = await evaluate(h.dc, `decode ${ic}`);
    assert.match(d.body.result, /^CHANNELMSG_INITIATE_CONTACT, 40 bytes/);
    const fields = await children(h.dc, d.body.variablesReference);
    assert.match(val(fields, 'vmbus_version_requested'), /^0x60000\b/);
    const s = await evaluate(h.dc, 'sint2 vp0 para');
    assert.match(s.body.result, /paravisor SINT2 \(vp0\) = 0xf3/);
    const c = await evaluate(h.dc, 'channel nic0');
    assert.match(c.body.result, /^relid 2: nic0/);
    const x = await evaluate(h.dc, 'exposure');
    assert.match(x.body.result, /host-visible allocation\(s\)/);
    const e = await evaluate(h.dc, 'msgtype == CHANNELMSG_OPENCHANNEL && relid == 2');
    assert.equal(e.body.result, 'true');
    const bad = await evaluate(h.dc, 'msgtype = = 2');
    assert.match(bad.body.result, /try `help`/);
  });

  it('prints the guest log lines as the run passes them', async () => {
    const out: string[] = [];
    h.dc.on('output', (e: DebugProtocol.OutputEvent) => out.push(e.body.output));
    const ev = await launch(h.dc, { program: TWO, stopOnEntry: true });
    const end = await stopAfter(h.dc, () => h.dc.continueRequest({ threadId: ev.body.threadId! }));
    assert.equal(end.body.reason, 'end');
    const text = out.join('');
    assert.match(text, /\] hv_vmbus: Establishing connection to the confidential VMBus\n/);
    assert.match(text, /\] hv_vmbus: Vmbus version:6\.0\n/);
    // Each line once, even after stepping back and forward again.
    await stopAfter(h.dc, () => h.dc.stepBackRequest({ threadId: end.body.threadId! }));
    await stopAfter(h.dc, () => h.dc.nextRequest({ threadId: end.body.threadId! }));
    assert.equal(out.join('').split('Vmbus version:6.0').length - 1, 1);
    // Continue at the end finishes the session.
    const terminated = h.dc.waitForEvent('terminated');
    await h.dc.continueRequest({ threadId: end.body.threadId! });
    await terminated;
  });

  it('the exception filter for failed expectations stops on the expectation line', async () => {
    // "expect { confidential }" cannot hold after a fallback.
    const ev = await launch(h.dc, { program: fixture('fallback-wrong-expectation.vmbus'), exceptionFilters: ['expectation'] });
    assert.equal(ev.body.reason, 'exception');
    const info = await h.dc.exceptionInfoRequest({ threadId: ev.body.threadId! });
    assert.equal(info.body.exceptionId, 'expectation');
    const top = await topFrame(h.dc, ev.body.threadId!);
    // The failing expectation, `confidential`, is on line 24.
    assert.equal(top.line, 24);
    assert.match(top.name, /expect connection confidential = true: FAILED/);
  });

  it('a scenario with errors fails to launch with the first error and its line', async () => {
    await h.dc.initializeRequest();
    await assert.rejects(
      h.dc.launchRequest({ program: fixture('broken.vmbus') } as DebugProtocol.LaunchRequestArguments),
      /broken\.vmbus:\d+: /,
    );
  });

  it('when something else moves the session (the sidebar buttons), the adapter reports a stop', async () => {
    const ev = await launch(h.dc, { program: FALLBACK, stopOnEntry: true });
    assert.equal(ev.body.reason, 'entry');
    const adapter = h.adapters[0];
    const sim = adapter.simulation!;
    const stopped = stopAfter(h.dc, async () => {
      sim.step('event');
      sim.step('event');
      adapter.syncExternalMove();
    });
    const s = await stopped;
    assert.equal(s.body.reason, 'step');
    assert.match((await topFrame(h.dc, s.body.threadId!)).name, new RegExp(`^#${sim.position()} `));
  });
});

describe('debug adapter: pause', function () {
  this.timeout(30000);
  it('pause stops a long continue between slices', async () => {
    // 64 devices: a few thousand events; the adapter yields every 5 events so the pause gets in.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-debug-'));
    const program = path.join(dir, 'many.vmbus');
    const devices = Array.from({ length: 64 }, (_, i) => `device d${i} netvsc {\n  hosted_by host\n}\n`).join('\n');
    fs.writeFileSync(program, `scenario "many"\nseed 2\n\nplatform {\n  isolation none\n  vps 1\n  design cpuid\n  max_version 6.0\n}\n\nparavisor none\n\n${devices}`);
    let sim: SimulationSession | undefined;
    const h = await startAdapter({ runChunk: 5, sessionStarted: (s) => (sim = s) });
    try {
      const ev = await launch(h.dc, { program, stopOnEntry: true });
      const paused = stopAfter(h.dc, async () => {
        await h.dc.continueRequest({ threadId: ev.body.threadId! });
        await h.dc.pauseRequest({ threadId: ev.body.threadId! });
      });
      const p = await paused;
      assert.equal(p.body.reason, 'pause');
      assert.ok(sim && sim.position() > 0 && !sim.done(), `paused part-way (at #${sim?.position()})`);
    } finally {
      await h.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
