// The Linux guest (model/guest) driven alone by canned host messages through a fake hypervisor
// port: the version ladder, offer validation with Linux's log lines, the message DPC's checks and
// rescind handling. Expected values from Linux (drivers/hv, /work/shared/reference/linux-vmbus.md
// §2.2–2.3, the vmbus_onoffer checks and their pr_err texts).
import * as assert from 'node:assert/strict';
import { LinuxGuest } from '../../../src/simulator/model/guest/guest';
import type { GuestPorts, HypervisorPort, OfferedDevice } from '../../../src/simulator/model/guest/types';
import { Platform } from '../../../src/simulator/model/platform';
import { Memory } from '../../../src/simulator/model/memory';
import { defaultConfig, defaultDevices } from '../../../src/simulator/engine/defaults';
import type { ScenarioConfig } from '../../../src/simulator/model/config';
import type { Json } from '../../../src/simulator/model/tracer';
import { messageTypeName } from '../../../src/simulator/protocol/constants';
import { bytes, decoded, env, type Env } from './harness';

const SYNTHVID = 'da0a7802-e377-4aac-8e77-0558eb1073f8';
const STORVSC = 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f';

interface Harness extends Env {
  guest: LinuxGuest;
  /** What the guest posted (HvPostMessage), decoded, with the connection id; take() empties it. */
  take(): { conn: number; msg: Json }[];
  /** The host answers: the bytes land in the SINT2 slot and the guest's ISR runs. */
  reply(json: Json | Uint8Array, payloadSize?: number): void;
  guestLogs(): string[];
}

function harness(patch: (c: ScenarioConfig) => void = () => undefined, offered: (relid: number) => OfferedDevice | undefined = () => undefined): Harness {
  const cfg = defaultConfig();
  cfg.platform.isolation = 'none';
  cfg.platform.paravisor = { present: false, confidentialVmbus: false, versions: [] };
  cfg.platform.design = 'cpuid';
  patch(cfg);
  const e = env([], new Platform(cfg.platform).cvm);
  let posts: { conn: number; msg: Json }[] = [];
  const slot: Uint8Array[] = [];
  const sizes: number[] = [];
  const regs = new Map<string, number>();
  const hv: HypervisorPort = {
    vpCount: 1,
    hasParavisorSynic: () => false,
    reg: (vp, owner, reg) => regs.get(`${vp}.${owner}.${reg}`) ?? 0,
    access: (vp, owner, reg, op, value) => { if (op === 'write') regs.set(`${vp}.${owner}.${reg}`, value); },
    supplySynicPage: () => undefined,
    postMessage: (b, connId) => { posts.push({ conn: connId, msg: decoded(b) }); return 'HV_STATUS_SUCCESS'; },
    signalEvent: () => undefined,
    writeMonitorPage: () => undefined,
    hasEvents: () => false,
    hasMessage: () => slot.length > 0,
    takeEvents: () => [],
    takeMessage: () => {
      const b = slot.shift();
      const size = sizes.shift()!;
      if (!b) return null;
      const t = b.length >= 4 ? b[0] | (b[1] << 8) : 0;
      return { item: { bytes: b, msgtype: messageTypeName(t) ?? `UNKNOWN(${t})`, from: 'host', payloadSize: size }, pending: false, queued: 0 };
    },
    signalGuest: () => undefined,
  };
  const ports: GuestPorts = {
    cpuidVsEax: () => 0,
    offeredDevice: (relid) => offered(relid),
    allOffersDelivered: () => undefined,
    dataDone: () => undefined,
    relidReleased: () => undefined,
  };
  const platform = new Platform(cfg.platform);
  const guest = new LinuxGuest(cfg, platform, e.clock, e.tracer, new Memory(e.tracer, 0x10000), e.faults, hv, ports);
  guest.start();
  e.run();
  return {
    ...e, guest,
    take: () => { const p = posts; posts = []; return p; },
    reply: (json, payloadSize) => {
      const b = json instanceof Uint8Array ? json : bytes(json);
      slot.push(b);
      sizes.push(payloadSize ?? b.length);
      guest.interrupt(0);
      e.run();
    },
    guestLogs: () => guest.logs.slice(),
  };
}

const refused = { msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 0, connection_state: 0, msg_conn_id: 0 };
const accepted = (connId: number) => ({ msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 1, connection_state: 0, msg_conn_id: connId });

function offerMsg(relid: number, cls: string, chnFlags = 0, instance = `00000000-0000-4000-8000-${relid.toString(16).padStart(12, '0')}`): Json {
  return {
    msgtype: 'CHANNELMSG_OFFERCHANNEL', offer: { if_type: cls, if_instance: instance, chn_flags: chnFlags, mmio_megabytes: 0, sub_channel_index: 0 },
    child_relid: relid, monitorid: 0xff, monitor_allocated: 0, is_dedicated_interrupt: 1, connection_id: 0x2000 | relid,
  };
}

describe('parties: the Linux guest driven by canned host messages', () => {
  it('walks vmbus_versions[] newest first (6.0, 5.3, 5.2) on connection id 4 with msg_sint 2, then uses msg_conn_id', () => {
    const h = harness();
    let p = h.take();
    assert.equal(p.length, 1);
    assert.equal(p[0].conn, 4);
    assert.deepEqual([p[0].msg.msgtype, p[0].msg.vmbus_version_requested, p[0].msg.msg_sint, p[0].msg.target_vcpu], ['CHANNELMSG_INITIATE_CONTACT', 0x60000, 2, 0]);
    h.reply(refused);
    assert.equal(h.take()[0].msg.vmbus_version_requested, 0x50003);
    h.reply(refused);
    assert.equal(h.take()[0].msg.vmbus_version_requested, 0x50002);
    h.reply(accepted(0x77));
    p = h.take();
    assert.deepEqual(p.map((x) => [x.conn, x.msg.msgtype]), [[0x77, 'CHANNELMSG_REQUESTOFFERS']]);
    assert.ok(h.guestLogs().includes('hv_vmbus: Vmbus version:5.2'));
    assert.equal(h.guest.conn, 'connected');
  });

  it('below 5.0 InitiateContact goes to connection id 1 with an interrupt page, and later posts use connection id 1', () => {
    const h = harness((c) => { c.platform.guestMaxVersion = 0x40000; });
    const [p] = h.take();
    assert.equal(p.conn, 1);
    assert.equal(p.msg.vmbus_version_requested, 0x40000);
    assert.notEqual(p.msg.interrupt_page, 0);
    h.reply(accepted(0x40000));
    assert.deepEqual(h.take().map((x) => x.conn), [1]);
  });

  it('an isolated guest refuses a version below 5.2 from the host: "Invalid VMBus version ... from the host supporting isolation"', () => {
    const h = harness((c) => { c.platform.isolation = 'snp'; c.platform.guestMaxVersion = 0x50001; });
    h.take();
    h.reply(accepted(1));
    assert.deepEqual(h.guestLogs().slice(0, 2), ['hv_vmbus: Invalid VMBus version 5.1 (expected >= 5.2) from the host supporting isolation', 'hv_vmbus: Unable to connect to host']);
    assert.equal(h.guest.conn, 'failed');
  });

  it('vmbus_onoffer\'s checks in Linux\'s order, with its log lines (isolation, 0x4 without 0x2, confidential flags without Confidential VMBus)', () => {
    const h = harness((c) => { c.platform.isolation = 'snp'; });
    h.reply(accepted(1));
    h.take();
    h.reply(offerMsg(1, SYNTHVID));
    h.reply(offerMsg(2, STORVSC, 0x4));
    h.reply(offerMsg(3, STORVSC, 0x2));
    h.reply(offerMsg(4, STORVSC, 0));
    assert.deepEqual(h.guestLogs().filter((l) => l.includes('Invalid offer')), [
      'hv_vmbus: Invalid offer 1 from the host supporting isolation',
      "hv_vmbus: Invalid offer relid=2: the ring buffer isn't encrypted",
      'hv_vmbus: Invalid offer relid=3: no support for confidential VMBus',
    ]);
    assert.deepEqual(h.guest.channelOrder.map((c) => [c.relid, c.state]), [[1, 'rejected'], [2, 'rejected'], [3, 'rejected'], [4, 'offered']]);
  });

  it('the message DPC: unknown msgtype, oversized and short payloads are WARN_ONCE\'d and dropped', () => {
    const h = harness();
    h.reply(accepted(1));
    const unknown = new Uint8Array(24);
    unknown[0] = 25;
    h.reply(unknown);
    h.reply(unknown);
    h.reply({ msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: 1 }, 248);
    h.reply(bytes(offerMsg(5, STORVSC)).slice(0, 12));
    assert.deepEqual(h.guestLogs().filter((l) => !l.startsWith('hv_vmbus:')), ['unknown msgtype=25', 'payload size is too large (248)', 'message too short: msgtype=1 len=12']);
    assert.equal(h.guest.channels.size, 0);
  });

  it('a rescind of an offered channel: the guest releases the relid (RELID_RELEASED); a rescind of an unknown relid is ignored', () => {
    const dev = { ...defaultDevices()[0], open: false };
    const h = harness(() => undefined, (relid) => (relid === 1 ? { dev, hostedBy: 'host', relayed: false, originalFlags: 0 } : undefined));
    h.reply(accepted(1));
    h.take();
    h.reply(offerMsg(1, STORVSC));
    h.reply({ msgtype: 'CHANNELMSG_ALLOFFERS_DELIVERED' });
    h.take();
    h.reply({ msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: 9 });
    assert.deepEqual(h.take(), []);
    h.reply({ msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: 1 });
    assert.deepEqual(h.take().map((x) => [x.msg.msgtype, x.msg.child_relid]), [['CHANNELMSG_RELID_RELEASED', 1]]);
    assert.deepEqual(h.states('guest', 'channel'), ['none>offered', 'offered>rescinded', 'rescinded>released']);
  });

  it('a rescind while the ring GPADL is pending fails the open (-ENODEV) and still releases the relid', () => {
    const dev = { ...defaultDevices()[0] };
    const h = harness(() => undefined, () => ({ dev, hostedBy: 'host', relayed: false, originalFlags: 0 }));
    h.reply(accepted(1));
    h.take();
    h.reply(offerMsg(1, STORVSC));
    h.reply({ msgtype: 'CHANNELMSG_ALLOFFERS_DELIVERED' });
    assert.deepEqual(h.take().map((x) => x.msg.msgtype), ['CHANNELMSG_GPADL_HEADER', 'CHANNELMSG_GPADL_BODY', 'CHANNELMSG_GPADL_BODY']);
    h.reply({ msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: 1 });
    assert.deepEqual(h.take().map((x) => x.msg.msgtype), ['CHANNELMSG_RELID_RELEASED']);
    assert.deepEqual(h.states('guest', 'gpadl'), ['none>creating', 'creating>failed']);
  });
});
