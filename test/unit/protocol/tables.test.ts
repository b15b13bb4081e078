// Versions, flags, ids, GUIDs, offer acceptance, hex parsing, ring arithmetic, SynIC pages.
import * as assert from 'node:assert/strict';
import {
  MessageType, messageTypeName, MESSAGE_LAYOUTS, VERSIONS, makeVersion, versionName, versionString, LINUX_VERSION_ORDER,
  FeatureFlags, ChnFlags, decodeChnFlags, decodeFeatureFlags, ConnectionId, VMBUS_MESSAGE_SINT, childMessageConnectionId, channelConnectionId,
  DEVICE_CLASSES, classByName, classByGuid, guidToBytes, guidFromBytes, toHex, parseHex, checkOffer,
  ringFreeSpace, ringBytesAvailable, decodeRingControl, encodeRingControl, decodePacketDescriptor, encodePacketDescriptor, packetTypeName,
  eventFlagSet, eventFlagTest, eventFlagTestAndClear, eventFlagsSet, newPage, messageSlotOffset, HvStatus, hvStatusName,
  HVCALL_POST_MESSAGE, HVCALL_SIGNAL_EVENT, Msr, decodeScontrol, encodeScontrol, decodeSiefp, encodeSiefp, encodeHypercallControl,
} from '../../../src/simulator/protocol/index';

describe('protocol: tables', () => {
  it('message types 0..24 (Linux) and 25..29 (OpenVMM only) with layouts', () => {
    assert.equal(MessageType.CHANNELMSG_MODIFYCHANNEL_RESPONSE, 24);
    assert.equal(MessageType.CHANNELMSG_MODIFY_CONNECTION, 25);
    assert.equal(MessageType.CHANNELMSG_MODIFY_CONNECTION_RESPONSE, 26);
    assert.equal(messageTypeName(14), 'CHANNELMSG_INITIATE_CONTACT');
    assert.equal(messageTypeName(31), undefined);
    assert.equal(MESSAGE_LAYOUTS.length, 30);
    MESSAGE_LAYOUTS.forEach((l, i) => assert.equal(l.msgtype, i));
    assert.equal(MESSAGE_LAYOUTS.filter((l) => !l.openVmmOnly).length, 25);
    const sizes: Record<string, number> = {
      CHANNELMSG_OFFERCHANNEL: 196, CHANNELMSG_RESCIND_CHANNELOFFER: 12, CHANNELMSG_OPENCHANNEL: 148, CHANNELMSG_OPENCHANNEL_RESULT: 20,
      CHANNELMSG_CLOSECHANNEL: 12, CHANNELMSG_GPADL_HEADER: 20, CHANNELMSG_GPADL_BODY: 16, CHANNELMSG_GPADL_CREATED: 20,
      CHANNELMSG_GPADL_TEARDOWN: 16, CHANNELMSG_GPADL_TORNDOWN: 12, CHANNELMSG_RELID_RELEASED: 12, CHANNELMSG_INITIATE_CONTACT: 40,
      CHANNELMSG_VERSION_RESPONSE: 16, CHANNELMSG_TL_CONNECT_REQUEST: 40, CHANNELMSG_MODIFYCHANNEL: 16, CHANNELMSG_MODIFYCHANNEL_RESPONSE: 16,
      CHANNELMSG_REQUESTOFFERS: 8, CHANNELMSG_UNLOAD: 8, CHANNELMSG_UNLOAD_RESPONSE: 8, CHANNELMSG_ALLOFFERS_DELIVERED: 8,
    };
    for (const [n, size] of Object.entries(sizes)) assert.equal(MESSAGE_LAYOUTS.find((l) => l.name === n)!.size, size, n);
    // feature_flags sits at byte 20 of INITIATE_CONTACT
    const ic = MESSAGE_LAYOUTS[14].fields.find((f) => f.type === 'union')!;
    assert.equal(ic.variants![1].fields.find((f) => f.name === 'feature_flags')!.offset, 20);
    // fields never overlap or run past the form (except bitfields sharing a byte)
    for (const l of MESSAGE_LAYOUTS) for (const fm of l.forms) for (const f of fm.fields) assert.ok(f.offset + f.size <= fm.size || f.size === 0, `${fm.struct}.${f.name}`);
  });

  it('versions: values, names, Linux order', () => {
    assert.equal(VERSIONS.length, 11);
    assert.equal(makeVersion(6, 0), 0x60000);
    assert.equal(makeVersion(6, 0), 393216);
    assert.equal(makeVersion(5, 3), 327683);
    assert.equal(makeVersion(0, 13), 0xd);
    for (const v of VERSIONS) assert.equal(makeVersion(v.major, v.minor), v.value);
    assert.equal(versionName(0x60000), 'VERSION_WIN10_V6_0');
    assert.equal(versionName(0x70001), '7.1');
    assert.equal(versionString(0x50002), '5.2');
    assert.deepEqual(LINUX_VERSION_ORDER.map(versionString), ['6.0', '5.3', '5.2', '5.1', '5.0', '4.1', '4.0', '3.0', '2.4']);
  });

  it('flags and connection ids', () => {
    assert.equal(FeatureFlags.CONFIDENTIAL_CHANNELS, 0x10);
    assert.deepEqual(decodeFeatureFlags(0x2f), ['GUEST_SPECIFIED_SIGNAL_PARAMETERS', 'CHANNEL_INTERRUPT_REDIRECTION', 'MODIFY_CONNECTION', 'CLIENT_ID', 'PAUSE_RESUME']);
    assert.equal(ChnFlags.CONFIDENTIAL_RING_BUFFER, 0x2);
    assert.equal(ChnFlags.CONFIDENTIAL_EXTERNAL_MEMORY, 0x4);
    assert.deepEqual(decodeChnFlags(0x2016), ['CONFIDENTIAL_RING_BUFFER', 'CONFIDENTIAL_EXTERNAL_MEMORY', 'NAMED_PIPE_MODE', 'TLNPI_PROVIDER_OFFER']);
    assert.deepEqual(decodeChnFlags(0x8000), ['0x8000']);
    assert.equal(ConnectionId.VMBUS_MESSAGE_CONNECTION_ID, 1);
    assert.equal(ConnectionId.VMBUS_MESSAGE_CONNECTION_ID_4, 4);
    assert.equal(ConnectionId.VMBUS_MESSAGE_REDIRECT_CONNECTION_ID, 0x800074);
    assert.equal(childMessageConnectionId(0, 7, 2), 0x800074);
    assert.equal(channelConnectionId(1, 0), 0x2001);
    assert.equal(VMBUS_MESSAGE_SINT, 2);
  });

  it('device classes: 20, lower-case GUIDs, names, allowed_in_isolated', () => {
    assert.equal(DEVICE_CLASSES.length, 20);
    assert.equal(new Set(DEVICE_CLASSES.map((d) => d.guid)).size, 20);
    assert.equal(new Set(DEVICE_CLASSES.map((d) => d.name)).size, 20);
    for (const d of DEVICE_CLASSES) assert.match(d.guid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const allowed = DEVICE_CLASSES.filter((d) => d.allowedInIsolated).map((d) => d.macro).sort();
    assert.deepEqual(allowed, ['HV_HEART_BEAT_GUID', 'HV_NIC_GUID', 'HV_PCIE_GUID', 'HV_SCSI_GUID', 'HV_SHUTDOWN_GUID', 'HV_TS_GUID']);
    assert.equal(classByName('netvsc')!.guid, 'f8615163-df3e-46c5-913f-f2d2f965ed0e');
    assert.equal(classByName('StorVSC')!.guid, 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f');
    assert.equal(classByGuid('{CFA8B69E-5B4A-4CC0-B98B-8BA1A1F3F95A}')!.description, 'Synthetic mouse');
    assert.equal(classByGuid('00000000-0000-0000-0000-000000000000'), undefined);
  });

  it('guid_t wire order: the sysfs modalias of the mouse class', () => {
    // linux-vmbus.md §7.1: {cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a} -> vmbus:9eb6a8cf4a5bc04cb98b8ba1a1f3f95a
    assert.equal(toHex(guidToBytes('cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a')), '9eb6a8cf4a5bc04cb98b8ba1a1f3f95a');
    const b = new Uint8Array(20);
    b.set(guidToBytes('f8615163-df3e-46c5-913f-f2d2f965ed0e'), 4);
    assert.equal(guidFromBytes(b, 4), 'f8615163-df3e-46c5-913f-f2d2f965ed0e');
    assert.throws(() => guidToBytes('nope'));
  });
});

describe('protocol: checkOffer (Linux vmbus_onoffer)', () => {
  const NIC = 'f8615163-df3e-46c5-913f-f2d2f965ed0e';
  const KBD = 'f912ad6d-2b17-48ea-bd65-f927a61c7684';
  const offer = (chn_flags: number, if_type = NIC, child_relid = 5) => ({ msgtype: 'CHANNELMSG_OFFERCHANNEL', offer: { if_type, chn_flags }, child_relid });
  const conf = { isolated: true, confidential: true, version: 0x60000 };

  it('truth table of chn_flags 0x2 / 0x4', () => {
    assert.deepEqual(checkOffer(offer(0), conf), { ok: true, coRing: false, coExternal: false });
    assert.deepEqual(checkOffer(offer(2), conf), { ok: true, coRing: true, coExternal: false });
    assert.deepEqual(checkOffer(offer(6), conf), { ok: true, coRing: true, coExternal: true });
    const r = checkOffer(offer(4), conf);
    assert.ok(!r.ok);
    assert.equal(r.log, "Invalid offer relid=5: the ring buffer isn't encrypted");
    // 0x4 without 0x2 is refused even on a non-confidential connection, with that text
    const r2 = checkOffer(offer(4), { isolated: false, confidential: false, version: 0x50003 });
    assert.ok(!r2.ok && r2.log === "Invalid offer relid=5: the ring buffer isn't encrypted");
  });

  it('confidential flags need a confidential connection at >= 6.0', () => {
    const notConf = checkOffer(offer(2), { isolated: true, confidential: false, version: 0x60000 });
    assert.ok(!notConf.ok && notConf.log === 'Invalid offer relid=5: no support for confidential VMBus');
    const old = checkOffer(offer(6, NIC, 7), { isolated: true, confidential: true, version: 0x50003 });
    assert.ok(!old.ok && old.log === 'Invalid offer relid=7: no support for confidential VMBus');
  });

  it('isolated VM: classes not allowed_in_isolated are refused; hv_sock always passes', () => {
    const r = checkOffer(offer(0, KBD, 9), conf);
    assert.ok(!r.ok);
    assert.equal(r.log, 'Invalid offer 9 from the host supporting isolation');
    assert.ok(checkOffer(offer(0, KBD, 9), { isolated: false, confidential: false, version: 0x50003 }).ok);
    // unknown class refused in an isolated VM
    assert.ok(!checkOffer(offer(0, '11111111-2222-3333-4444-555555555555'), conf).ok);
    // hv_sock (TLNPI provider) offer with an arbitrary service GUID passes
    assert.ok(checkOffer(offer(0x2010, '11111111-2222-3333-4444-555555555555'), conf).ok);
    // the isolation check comes first
    const both = checkOffer(offer(4, KBD, 3), conf);
    assert.ok(!both.ok && both.log === 'Invalid offer 3 from the host supporting isolation');
  });
});

describe('protocol: parseHex', () => {
  const ok = (t: string) => { const r = parseHex(t); assert.ok(r.ok, t); return toHex(r.bytes); };
  it('accepts the ways people paste bytes', () => {
    assert.equal(ok('0a 0b'), '0a0b');
    assert.equal(ok('0x0a,0x0b'), '0a0b');
    assert.equal(ok('0A0B'), '0a0b');
    assert.equal(ok('0a0b\n0c\r\n\t0d'), '0a0b0c0d');
    assert.equal(ok('0x0a, 0x0b, 0x5'), '0a0b05');
    assert.equal(ok('de:ad:be:ef'), 'deadbeef');
    assert.equal(ok('07 00 00 00 0 0 0 0 5 0 0 0'), '070000000000000005000000');
  });
  it('rejects bad hex with a position', () => {
    for (const t of ['0g', 'abc', '0x', '', '   ', '0a 0b zz', '12345']) {
      const r = parseHex(t);
      assert.ok(!r.ok, t);
      assert.equal(r.error.code, 'bad-hex');
    }
    const r = parseHex('0a 0b zz');
    assert.ok(!r.ok && r.error.offset === 6);
  });
});

describe('protocol: ring buffer', () => {
  it('free space keeps 8 bytes back', () => {
    assert.equal(ringFreeSpace(0, 0, 4096), 4088);
    assert.equal(ringFreeSpace(100, 0, 4096), 4096 - 100 - 8);
    assert.equal(ringFreeSpace(0, 200, 4096), 192);
    assert.equal(ringFreeSpace(4088, 0, 4096), 0);
    assert.equal(ringBytesAvailable(100, 0, 4096), 100);
    assert.equal(ringBytesAvailable(0, 100, 4096), 3996);
  });
  it('control page and packet descriptor codecs', () => {
    const page = encodeRingControl({ write_index: 0x40, read_index: 0x18, interrupt_mask: 1, pending_send_sz: 0x100, feature_bits: 1 });
    assert.equal(page.length, 4096);
    assert.equal(toHex(page.subarray(0, 16)), '40000000' + '18000000' + '01000000' + '00010000');
    assert.equal(page[64], 1);
    const d = decodeRingControl(page);
    assert.ok(d.ok);
    assert.deepEqual(d.value, { write_index: 0x40, read_index: 0x18, interrupt_mask: 1, pending_send_sz: 0x100, feature_bits: 1 });
    // vmpacket_descriptor: type u16 @0, offset8 @2, len8 @4, flags @6, trans_id u64 @8
    const pd = parseHex('06 00 02 00 05 00 01 00 2a 00 00 00 01 00 00 00');
    assert.ok(pd.ok);
    const p = decodePacketDescriptor(pd.bytes);
    assert.ok(p.ok);
    assert.deepEqual(p.value, { type: 6, offset8: 2, len8: 5, flags: 1, trans_id: 0x10000002an });
    assert.equal(packetTypeName(p.value.type), 'VM_PKT_DATA_INBAND');
    assert.equal(toHex(encodePacketDescriptor(p.value)), toHex(pd.bytes));
  });
});

describe('protocol: SynIC pages, registers, statuses', () => {
  it('event flags: flag n of SINT s is byte s*256 + n/8, bit n%8', () => {
    const page = newPage();
    assert.equal(eventFlagSet(page, 2, 13), true);
    assert.equal(page[512 + 1], 1 << 5);
    assert.equal(eventFlagSet(page, 2, 13), false);
    assert.equal(eventFlagTest(page, 2, 13), true);
    eventFlagSet(page, 2, 2047);
    assert.deepEqual(eventFlagsSet(page, 2), [13, 2047]);
    assert.equal(eventFlagTestAndClear(page, 2, 13), true);
    assert.deepEqual(eventFlagsSet(page, 2), [2047]);
    assert.throws(() => eventFlagSet(page, 2, 2048));
    assert.equal(messageSlotOffset(2), 512);
  });
  it('MSRs, hypercalls, HV_STATUS', () => {
    assert.equal(Msr.HV_X64_MSR_SCONTROL, 0x40000080);
    assert.equal(Msr.HV_X64_MSR_SIEFP, 0x40000082);
    assert.equal(Msr.HV_X64_MSR_SIMP, 0x40000083);
    assert.equal(Msr.HV_X64_MSR_EOM, 0x40000084);
    assert.equal(HVCALL_POST_MESSAGE, 0x5c);
    assert.equal(HVCALL_SIGNAL_EVENT, 0x5d);
    assert.equal(HvStatus.HV_STATUS_INVALID_CONNECTION_ID, 0x12);
    assert.equal(hvStatusName(0x13), 'HV_STATUS_INSUFFICIENT_BUFFERS');
    assert.equal(hvStatusName(92), 'HV_STATUS_0x5c');
    assert.equal(encodeHypercallControl({ code: HVCALL_SIGNAL_EVENT, fast: true }), 0x1005dn);
  });
  it('SCONTROL / SIEFP', () => {
    assert.equal(encodeScontrol({ enable: true }), 1n);
    assert.equal(decodeScontrol(1n).enable, true);
    assert.equal(encodeSiefp({ enabled: true, base_gpa: 0x7000n }), 0x7001n);
    assert.equal(decodeSiefp(0x7000).enabled, false);
  });
});
