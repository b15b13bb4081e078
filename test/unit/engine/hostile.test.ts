// Each hostile-host behaviour of the catalogue, against a Linux guest talking to the host directly
// (SNP without a paravisor: nothing filters the host) and, where it matters, through OpenHCL.
// Expected log lines are typed from linux-vmbus.md (§1.1, §5.7, §5.9, §7.2, §1.4).
import * as assert from 'node:assert/strict';
import { FAULT_CATALOGUE, HOSTILE_FAULT_IDS } from '../../../src/simulator/engine/faults';
import type { FaultConfig, ScenarioConfig } from '../../../src/simulator/model/config';
import { cfg, logs, messages, noParavisor, run } from './helpers';

function hostile(kind: string, params: FaultConfig['params'] = {}, trigger: FaultConfig['trigger'] = { device: 'disk0' }, patch?: (c: ScenarioConfig) => void) {
  return run(cfg((c) => {
    noParavisor(c);
    c.faults = [{ kind, trigger, params }];
    patch?.(c);
  }));
}

describe('engine: fault catalogue', () => {
  it('has at least 15 hostile-host behaviours, each documented', () => {
    assert.ok(HOSTILE_FAULT_IDS.length >= 15, `${HOSTILE_FAULT_IDS.length}`);
    for (const f of FAULT_CATALOGUE) {
      assert.ok(f.description.length > 10 && f.guestReaction.length > 5, f.id);
      assert.match(f.id, /^[a-z0-9-]+$/);
    }
    for (const id of ['drop', 'delay', 'duplicate', 'corrupt', 'host-rejects-version', 'gpadl-fails', 'open-fails', 'busy-slot', 'lost-interrupt', 'rescind-during-open']) {
      assert.ok(FAULT_CATALOGUE.some((f) => f.id === id), id);
    }
  });

  it('every catalogue entry runs without throwing and marks hostile faults as hostile', () => {
    for (const f of FAULT_CATALOGUE) {
      const r = hostile(f.id, {}, f.triggers.includes('device') ? { device: 'disk0' } : {}, (c) => { c.steps = [{ kind: 'unload' }]; });
      const fe = r.events.filter((e) => e.kind === 'fault' && e.fault === f.id);
      if (f.id !== 'host-offer-to-relay-with-confidential-flags' && f.id !== 'lost-interrupt') assert.ok(fe.length > 0, `fault event for ${f.id}`);
      for (const e of fe) if (e.kind === 'fault') assert.equal(e.hostile, f.hostile, f.id);
    }
  });
});

describe('engine: hostile host → Linux guest reaction', () => {
  it('offer with 0x4 and no 0x2 → "the ring buffer isn\'t encrypted", offer dropped, no RELID_RELEASED', () => {
    const r = hostile('host-offer-co-external-without-ring');
    assert.ok(logs(r.events).includes("hv_vmbus: Invalid offer relid=1: the ring buffer isn't encrypted"));
    assert.equal(r.state.channels.find((c) => c.relid === 1)!.state, 'rejected');
    assert.ok(!messages(r.events).some((m) => m.msgtype === 'CHANNELMSG_RELID_RELEASED'));
  });

  it('confidential flags on a non-confidential connection → "no support for confidential VMBus"', () => {
    const r = hostile('host-offer-confidential-flags', { flags: 0x6 });
    assert.ok(logs(r.events).includes('hv_vmbus: Invalid offer relid=1: no support for confidential VMBus'));
    assert.equal(r.state.channels.find((c) => c.relid === 1)!.state, 'rejected');
  });

  it('class not allowed in an isolated VM (framebuffer) → "Invalid offer 1 from the host supporting isolation"', () => {
    const r = hostile('host-offer-disallowed-class', { class: 'synthvid' });
    assert.ok(logs(r.events).includes('hv_vmbus: Invalid offer 1 from the host supporting isolation'));
  });

  it('the same class is accepted on a non-isolated VM', () => {
    const r = hostile('host-offer-disallowed-class', { class: 'synthvid' }, { device: 'disk0' }, (c) => { c.platform.isolation = 'none'; });
    assert.ok(!logs(r.events).some((l) => l.includes('Invalid offer')));
  });

  it('duplicate relid → the relid-uniqueness invariant breaks', () => {
    const r = hostile('host-offer-duplicate-relid', {}, { device: 'nic0' });
    const offers = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL');
    assert.deepEqual(offers.map((m) => m.decoded.child_relid), [1, 1]);
    assert.ok(r.state.brokenInvariants.includes('relids-unique'));
  });

  it('relid out of range (>= MAX_CHANNEL_RELIDS 2048) → not mapped, invariant breaks', () => {
    const r = hostile('host-offer-relid-out-of-range', { relid: 4096 });
    assert.ok(r.state.brokenInvariants.includes('relid-in-range'));
    assert.equal(r.state.channels.find((c) => c.relid === 4096)!.state, 'rejected');
  });

  it('duplicate primary offer (same class + instance) → the second is freed', () => {
    const r = hostile('host-offer-duplicate-instance');
    const offers = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL');
    assert.equal(offers.length, 3);
    assert.deepEqual(r.state.channels.map((c) => [c.relid, c.state]), [[1, 'open'], [101, 'rejected'], [2, 'open']]);
  });

  it('oversized payload (> 240) → WARN_ONCE "payload size is too large (248)", no pr_fmt prefix', () => {
    const r = hostile('host-oversized-payload', { size: 248 }, {});
    assert.ok(logs(r.events).includes('payload size is too large (248)'));
  });

  it('short payload → "message too short: msgtype=1 len=12"', () => {
    const r = hostile('host-short-payload', { size: 12 }, {});
    assert.ok(logs(r.events).includes('message too short: msgtype=1 len=12'));
    // The fault cuts a real message (issue 13 item 10), by default the first offer (disk0's): it
    // never becomes a channel; nic0's whole offer does.
    assert.deepEqual(r.state.channels.map((c) => c.device), ['nic0']);
  });

  it('unknown message type (25, MODIFY_CONNECTION: OpenVMM only) → "unknown msgtype=25"', () => {
    const r = hostile('host-unknown-msgtype', { msgtype: 25 }, {});
    assert.ok(logs(r.events).includes('unknown msgtype=25'));
  });

  it('known type without a Linux handler (23 TL_CONNECT_RESULT) → silently dropped', () => {
    const r = hostile('host-unhandled-msgtype', { msgtype: 23 }, {});
    assert.ok(messages(r.events).some((m) => m.msgtypeValue === 23 && m.to === 'guest'));
    assert.deepEqual(logs(r.events), ['hv_vmbus: Vmbus version:6.0']);
  });

  for (const kind of ['host-unsolicited-version-response', 'host-unsolicited-open-result', 'host-unsolicited-gpadl-created', 'host-unsolicited-gpadl-torndown', 'host-rescind-unknown-relid']) {
    it(`${kind} → ignored (no waiter / no channel), nothing logged, channels unaffected`, () => {
      const r = hostile(kind, {}, {});
      assert.deepEqual(logs(r.events), ['hv_vmbus: Vmbus version:6.0']);
      assert.deepEqual(r.state.channels.map((c) => c.state), ['open', 'open']);
    });
  }

  it('bad msg_conn_id → REQUESTOFFERS fails with INVALID_CONNECTION_ID: "Unable to request offers"', () => {
    const r = hostile('host-bad-msg-conn-id', { conn: 0x77 }, {});
    const ro = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_REQUESTOFFERS')!;
    assert.equal(ro.connectionId, 0x77);
    assert.equal(ro.status, 'HV_STATUS_INVALID_CONNECTION_ID');
    assert.ok(logs(r.events).some((l) => l.startsWith('hv_vmbus: Unable to request offers - ')));
  });

  it('host ignores UNLOAD → "Waiting for VMBus UNLOAD to complete" every 5 s, gives up after 100 s', () => {
    const r = hostile('host-ignores-unload', {}, {}, (c) => { c.steps = [{ kind: 'unload' }]; });
    const l = logs(r.events);
    assert.equal(l.filter((x) => x === 'hv_vmbus: Waiting for VMBus UNLOAD to complete').length, 19);
    assert.equal(l[l.length - 1], 'hv_vmbus: Continuing even though VMBus UNLOAD did not complete');
  });

  it('monitor id beyond 128 → invariant breaks (Linux does not check)', () => {
    const r = hostile('host-monitor-id-out-of-range', { monitorid: 200 });
    assert.ok(r.state.brokenInvariants.includes('monitor-id-in-range'));
  });

  it('through OpenHCL: confidential flags on a relayed offer are stripped; the guest sees a normal channel', () => {
    const r = run(cfg((c) => { c.faults = [{ kind: 'host-offer-to-relay-with-confidential-flags', trigger: { device: 'nic0' }, params: {} }]; }));
    const toRelay = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'paravisor')!;
    assert.equal((toRelay.decoded.offer as { chn_flags: number }).chn_flags & 0x2, 0x2);
    const toGuest = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL' && m.to === 'guest' && m.decoded.child_relid === 2)!;
    assert.equal((toGuest.decoded.offer as { chn_flags: number }).chn_flags, 0);
    assert.equal(r.state.channels.find((c) => c.device === 'nic0')!.state, 'open');
    assert.equal(r.state.channels.find((c) => c.device === 'nic0')!.originalChnFlags! & 0x2, 0x2);
  });

  it('through OpenHCL: a forged untrusted REQUESTOFFERS after a trusted connect is dropped (UntrustedMessage)', () => {
    const r = run(cfg((c) => { c.faults = [{ kind: 'host-forged-untrusted-message', trigger: {}, params: {} }]; }));
    assert.ok(logs(r.events, 'paravisor').some((l) => l.includes('UntrustedMessage')));
    assert.equal(messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_ALLOFFERS_DELIVERED' && m.to === 'guest').length, 1);
  });
});

describe('engine: environmental faults', () => {
  it('host rejects 6.0 → guest retries 5.3', () => {
    const r = hostile('host-rejects-version', { version: '6.0' }, {});
    assert.equal(r.state.guest.version, 0x50003);
    assert.deepEqual(logs(r.events), ['hv_vmbus: Vmbus version:5.3']);
  });

  it('GPADL fails → "Failed to establish GPADL: err = 0xc0000001", open abandoned, ring re-encrypted? (decrypted → encrypted)', () => {
    const r = hostile('gpadl-fails', { status: 0xc0000001 }, { device: 'disk0' });
    assert.ok(logs(r.events).includes('hv_vmbus: Failed to establish GPADL: err = 0xc0000001'));
    const ring = r.events.filter((e) => e.kind === 'page' && e.page === 'relid1.ring').map((e) => e.kind === 'page' && `${e.action}:${e.visibility}`);
    assert.deepEqual(ring, ['allocate:host-visible', 'set-visibility:encrypted', 'free:encrypted']);
  });

  it('open fails → no OPENCHANNEL state, ring GPADL torn down', () => {
    const r = hostile('open-fails', { status: 0x8000ffff }, { device: 'disk0' });
    const res = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_OPENCHANNEL_RESULT' && m.decoded.child_relid === 1)!;
    assert.equal(res.decoded.status, 0x8000ffff);
    assert.ok(messages(r.events).some((m) => m.msgtype === 'CHANNELMSG_GPADL_TEARDOWN' && m.decoded.gpadl === 0xe1e10));
    assert.equal(r.state.channels.find((c) => c.relid === 1)!.state, 'offered');
  });

  it('drop of the OPENCHANNEL_RESULT → the guest keeps waiting (channel stays opening)', () => {
    const r = hostile('drop', {}, { msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', nth: 1 });
    assert.equal(r.state.channels.find((c) => c.relid === 1)!.state, 'opening');
  });

  it('duplicate OPENCHANNEL_RESULT → the second has no waiter and is ignored', () => {
    const r = hostile('duplicate', {}, { msgtype: 'CHANNELMSG_OPENCHANNEL_RESULT', nth: 1 });
    assert.equal(messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_OPENCHANNEL_RESULT' && m.decoded.child_relid === 1).length, 2);
    assert.deepEqual(r.state.channels.map((c) => c.state), ['open', 'open']);
  });

  it('corrupt a field: offer chn_flags 0x4 on the wire → rejected like the hostile case', () => {
    const r = hostile('corrupt', { field: 'offer.chn_flags', value: 4 }, { msgtype: 'CHANNELMSG_OFFERCHANNEL', nth: 1 });
    const off = messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_OFFERCHANNEL')!;
    assert.equal(off.fault, 'corrupt');
    assert.ok(logs(r.events).includes("hv_vmbus: Invalid offer relid=1: the ring buffer isn't encrypted"));
  });

  it('delay moves the message later in time', () => {
    const base = hostile('delay', { us: 0 }, { msgtype: 'CHANNELMSG_VERSION_RESPONSE' });
    const slow = hostile('delay', { us: 500 }, { msgtype: 'CHANNELMSG_VERSION_RESPONSE' });
    const t = (r: typeof base) => messages(r.events).find((m) => m.msgtype === 'CHANNELMSG_VERSION_RESPONSE')!.time;
    assert.equal(t(slow) - t(base), 500_000);
  });

  it('post fails with INSUFFICIENT_BUFFERS → retried', () => {
    const r = hostile('post-fails', { status: 'HV_STATUS_INSUFFICIENT_BUFFERS' }, { msgtype: 'CHANNELMSG_REQUESTOFFERS', nth: 1 });
    const ro = messages(r.events).filter((m) => m.msgtype === 'CHANNELMSG_REQUESTOFFERS');
    assert.deepEqual(ro.map((m) => m.status), ['HV_STATUS_INSUFFICIENT_BUFFERS', 'HV_STATUS_SUCCESS']);
    assert.equal(r.state.channels.length, 2);
  });
});
