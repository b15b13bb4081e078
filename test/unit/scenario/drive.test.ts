// The scenario language's steps that drive the guest (reopen, connect after unload, modify,
// hvsock connect, reset in the middle of a GPADL), the expectations on an offer's monitor id,
// the negotiated feature flags and a device's messages, and the checks on fault triggers and
// parameters (issue 13, "Unreachable today" and items 10, 12).
import * as assert from 'node:assert/strict';
import { at, errors, parseMem } from './helpers';

const DEVICES = 'device disk0 storvsc\ndevice sock0 hv_sock {\n  open no\n}\n';

describe('scenario language: steps that drive the guest', () => {
  it('parses reopen, modify, hvsock connect, unload then connect, reset after a point', () => {
    const r = parseMem(`${DEVICES}run {
  stop header at message CHANNELMSG_GPADL_HEADER device disk0
  close disk0
  reopen disk0
  modify disk0 vp 1
  hvsock connect sock0
  hvsock connect service {11111111-2222-3333-4444-555555555555}
  unload
  connect
  reset after header
}
`);
    assert.deepEqual(errors(r), []);
    const steps = r.config!.steps;
    assert.deepEqual(steps.map((s) => s.kind), ['close', 'reopen', 'modify', 'hvsock-connect', 'hvsock-connect', 'unload', 'connect', 'reset']);
    assert.deepEqual(steps[2], { kind: 'modify', device: 'disk0', vp: 1, source: steps[2].source });
    assert.equal((steps[3] as { device?: string }).device, 'sock0');
    assert.equal((steps[4] as { service?: string }).service, '11111111-2222-3333-4444-555555555555');
    const reset = steps[7] as { after?: { msgtype?: string; device?: string } };
    assert.equal(reset.after?.msgtype, 'CHANNELMSG_GPADL_HEADER');
    assert.equal(reset.after?.device, 'disk0');
  });

  it('accepts the steps at the top level too, and reset after an inline point', () => {
    const r = parseMem(`${DEVICES}reset after message CHANNELMSG_GPADL_BODY\nmodify storvsc vp 0\n`);
    assert.deepEqual(errors(r), []);
    assert.deepEqual(r.config!.steps.map((s) => s.kind), ['reset', 'modify']);
  });

  it('refuses hvsock connect to a device that is not an hv_sock, and modify without vp', () => {
    const r = parseMem(`${DEVICES}run {\n  hvsock connect disk0\n  modify disk0 1\n}\n`);
    assert.deepEqual(at(r, 'error'), ['5:17-5:22 combo.hvsock', '6:15-6:16 syntax']);
    assert.match(errors(r)[1], /expected 'vp N'/);
  });

  it('suggests the step a typo meant', () => {
    const r = parseMem(`${DEVICES}run {\n  reopne disk0\n}\n`);
    assert.match(errors(r)[0], /did you mean 'reopen'/);
  });
});

describe('scenario language: new expectations', () => {
  it('parses offer DEVICE monitor N|none, features, message ... device D', () => {
    const r = parseMem(`device nic0 netvsc {\n  monitor 3\n}\nexpect {
  offer nic0 monitor 3
  offer nic0 monitor none
  features confidential_channels
  features 0x11
  features none
  message CHANNELMSG_OPENCHANNEL device nic0
  no message CHANNELMSG_RESCIND_CHANNELOFFER device nic0 from guest
}
`);
    assert.deepEqual(errors(r), []);
    const ex = r.config!.expectations.map((e) => ({ ...e, source: undefined }));
    assert.deepEqual(ex, [
      { kind: 'monitor', device: 'nic0', monitorId: 3, source: undefined },
      { kind: 'monitor', device: 'nic0', monitorId: null, source: undefined },
      { kind: 'features', flags: 0x10, source: undefined },
      { kind: 'features', flags: 0x11, source: undefined },
      { kind: 'features', flags: 0, source: undefined },
      { kind: 'message', msgtype: 'CHANNELMSG_OPENCHANNEL', device: 'nic0', present: true, source: undefined },
      { kind: 'message', msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', device: 'nic0', from: 'guest', present: false, source: undefined },
    ]);
  });

  it('refuses a monitor id beyond 255 and an unknown feature', () => {
    const r = parseMem('device nic0 netvsc\nexpect {\n  offer nic0 monitor 300\n  features confidential_chanels\n}\n');
    assert.equal(errors(r).length, 2);
    assert.match(errors(r)[1], /did you mean 'confidential_channels'/);
  });
});

describe('scenario checker: faults honour their triggers (item 10) and name known classes (item 12)', () => {
  it('a trigger the fault cannot honour is an error, not a warning', () => {
    const r = parseMem('device d storvsc\nfault host-ignores-unload device d\n');
    assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.code, d.range.line]), [['error', 'fault.trigger', 1]]);
    assert.match(r.diagnostics[0].message, /cannot honour a 'device' trigger/);
  });

  it('class= of host-offer-disallowed-class: a typo is an error with did-you-mean, a name becomes its class GUID', () => {
    const bad = parseMem('device d storvsc\nfault host-offer-disallowed-class device d class=synthvd\n');
    assert.deepEqual(bad.diagnostics.map((d) => [d.severity, d.code]), [['error', 'unknown.class']]);
    assert.match(bad.diagnostics[0].message, /did you mean 'synthvid'/);
    const good = parseMem('device d storvsc\nfault host-offer-disallowed-class device d class=hyperv_keyboard\n');
    assert.deepEqual(errors(good), []);
    // HV_KBD_GUID, linux-vmbus.md §7.2.
    assert.equal(good.config!.faults[0].params.class, 'f912ad6d-2b17-48ea-bd65-f927a61c7684');
  });
});
