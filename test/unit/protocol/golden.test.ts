// Golden vectors written by hand from the offsets in linux-vmbus.md §1.3 / §4 and
// openvmm-vmbus.md §1.6 / §4 — NOT produced by the encoder. Each vector is checked in both
// directions: decode(bytes) gives the JSON, encode(JSON) gives the bytes.
import * as assert from 'node:assert/strict';
import {
  decodeMessage, encodeMessage, decodeSlot, encodeSlot, decodeHvMessage, encodeHvMessage, parseHex, toHex,
  decodeSint, encodeSint, Msr, sintMsr, decodeSimp, encodeSimp, HV_MESSAGE_SIZE,
  encodeHvInputPostMessage, decodeHvInputPostMessage, encodeHvInputSignalEvent, decodeHvInputSignalEvent,
} from '../../../src/simulator/protocol/index';

/** Hex with spaces/comments stripped: "0e000000 | padding" style lines joined. */
function h(lines: string[]): Uint8Array {
  const text = lines.map((l) => l.replace(/#.*$/, '')).join(' ');
  const r = parseHex(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.bytes;
}
const zeros = (n: number) => '00 '.repeat(n);

function both(bytes: Uint8Array, json: Record<string, unknown>, opts?: { allowOpenVmm?: boolean }): void {
  const d = decodeMessage(bytes, opts);
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  assert.deepEqual(d.value, json);
  assert.deepEqual(d.warnings, []);
  const e = encodeMessage(json);
  assert.ok(e.ok, e.ok ? '' : e.error.message);
  assert.equal(toHex(e.bytes), toHex(bytes));
}

describe('protocol golden vectors (hand-written from the reference offsets)', () => {
  it('INITIATE_CONTACT for 6.0: msg_sint 2, feature_flags 0x10 at byte 20, 40 bytes', () => {
    const bytes = h([
      '0e 00 00 00', '# @0 msgtype 14',
      '00 00 00 00', '# @4 padding',
      '00 00 06 00', '# @8 vmbus_version_requested 0x00060000',
      '00 00 00 00', '# @12 target_vcpu 0',
      '02', '# @16 msg_sint 2',
      '00', '# @17 msg_vtl 0',
      '00 00', '# @18 reserved[2]',
      '10 00 00 00', '# @20 feature_flags 0x10',
      '00 50 34 12 00 00 00 00', '# @24 monitor_page1 0x12345000',
      '00 60 34 12 00 00 00 00', '# @32 monitor_page2 0x12346000',
    ]);
    assert.equal(bytes.length, 40);
    both(bytes, {
      msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: 0x60000, target_vcpu: 0,
      msg_sint: 2, msg_vtl: 0, feature_flags: 0x10, monitor_page1: '0x12345000', monitor_page2: '0x12346000',
    });
    // The trace event prints the union as a u64: 0x1000000002 with feature_flags 0x10 (linux-vmbus.md §6).
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(dv.getBigUint64(16, true), 0x1000000002n);
  });

  it('INITIATE_CONTACT for 4.0 with an interrupt_page', () => {
    const bytes = h([
      '0e 00 00 00 00 00 00 00',
      '00 00 04 00', '# version 4.0 = 0x00040000',
      '01 00 00 00', '# target_vcpu 1',
      '00 f0 07 00 00 00 00 00', '# @16 interrupt_page 0x7f000',
      '00 10 08 00 00 00 00 00', '# monitor_page1 0x81000',
      '00 20 08 00 00 00 00 00', '# monitor_page2 0x82000',
    ]);
    both(bytes, {
      msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: 0x40000, target_vcpu: 1,
      interrupt_page: '0x7f000', monitor_page1: '0x81000', monitor_page2: '0x82000',
    });
  });

  it('VERSION_RESPONSE with msg_conn_id (16 bytes)', () => {
    const bytes = h([
      '0f 00 00 00 00 00 00 00', '# msgtype 15',
      '01', '# @8 version_supported',
      '00', '# @9 connection_state SUCCESSFUL',
      '00 00', '# @10 padding',
      '74 00 80 00', '# @12 msg_conn_id 0x800074',
    ]);
    both(bytes, { msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 1, connection_state: 0, msg_conn_id: 0x800074 });
  });

  it('OpenVMM VersionResponse2 (supported_features @16): decoded only with allowOpenVmm', () => {
    const bytes = h(['0f 00 00 00 00 00 00 00 01 00 00 00 04 00 00 00', '10 00 00 00 # supported_features 0x10']);
    both(bytes, { msgtype: 'CHANNELMSG_VERSION_RESPONSE', version_supported: 1, connection_state: 0, msg_conn_id: 4, supported_features: 0x10 }, { allowOpenVmm: true });
    // A Linux guest reads its 16-byte struct and ignores the rest.
    const linux = decodeMessage(bytes);
    assert.ok(linux.ok);
    assert.equal(linux.value.supported_features, undefined);
    assert.equal(linux.value.trailing, '10000000');
    assert.match(linux.warnings[0], /4 bytes after the vmbus_channel_version_response struct at offset 16/);
  });

  it('OFFERCHANNEL of a synthetic NIC: chn_flags 0x2, relid 5, monitorid 3 (196 bytes)', () => {
    const bytes = h([
      '01 00 00 00 00 00 00 00', '# msgtype 1',
      '63 51 61 f8 3e df c5 46 91 3f f2 d2 f9 65 ed 0e', '# @8 if_type f8615163-df3e-46c5-913f-f2d2f965ed0e (guid_t order)',
      '1c 2a 8b 9f 4e 5d 60 4f 8a 7b 0c 1d 2e 3f 4a 5b', '# @24 if_instance 9f8b2a1c-5d4e-4f60-8a7b-0c1d2e3f4a5b',
      zeros(8), '# @40 reserved1', zeros(8), '# @48 reserved2',
      '02 00', '# @56 chn_flags CONFIDENTIAL_RING_BUFFER',
      '00 00', '# @58 mmio_megabytes',
      zeros(120), '# @60 user_def',
      '00 00', '# @180 sub_channel_index', '00 00', '# @182 reserved3',
      '05 00 00 00', '# @184 child_relid 5',
      '03', '# @188 monitorid 3',
      '01', '# @189 monitor_allocated:1',
      '01 00', '# @190 is_dedicated_interrupt:1',
      '05 20 00 00', '# @192 connection_id 0x2005',
    ]);
    assert.equal(bytes.length, 196);
    both(bytes, {
      msgtype: 'CHANNELMSG_OFFERCHANNEL',
      offer: {
        if_type: 'f8615163-df3e-46c5-913f-f2d2f965ed0e', if_instance: '9f8b2a1c-5d4e-4f60-8a7b-0c1d2e3f4a5b',
        chn_flags: 2, mmio_megabytes: 0, user_def: '', sub_channel_index: 0,
      },
      child_relid: 5, monitorid: 3, monitor_allocated: 1, is_dedicated_interrupt: 1, connection_id: 0x2005,
    });
  });

  it('GPADL_HEADER with 3 PFNs (range_buflen = 8 + 3*8)', () => {
    const bytes = h([
      '08 00 00 00 00 00 00 00', '# msgtype 8',
      '05 00 00 00', '# @8 child_relid 5',
      '10 1e 0e 00', '# @12 gpadl 0xe1e10 (Linux first handle)',
      '20 00', '# @16 range_buflen 32',
      '01 00', '# @18 rangecount 1',
      '00 30 00 00', '# @20 byte_count 0x3000',
      '00 00 00 00', '# @24 byte_offset 0',
      '45 23 01 00 00 00 00 00', '46 23 01 00 00 00 00 00', '47 23 01 00 00 00 00 00', '# pfns 0x12345..7',
    ]);
    assert.equal(bytes.length, 52);
    both(bytes, {
      msgtype: 'CHANNELMSG_GPADL_HEADER', child_relid: 5, gpadl: 0xe1e10, range_buflen: 32, rangecount: 1,
      range: [{ byte_count: 0x3000, byte_offset: 0, pfn_array: ['0x12345', '0x12346', '0x12347'] }],
    });
    // range_buflen / rangecount are computed when left out
    const e = encodeMessage({ msgtype: 'CHANNELMSG_GPADL_HEADER', child_relid: 5, gpadl: 0xe1e10, range: [{ byte_count: 0x3000, pfn_array: ['0x12345', '0x12346', '0x12347'] }] });
    assert.ok(e.ok);
    assert.equal(toHex(e.bytes), toHex(bytes));
  });

  it('GPADL_BODY: msgnumber 0, gpadl, pfn[]', () => {
    const bytes = h(['09 00 00 00 00 00 00 00', '00 00 00 00 # msgnumber', '10 1e 0e 00 # gpadl', '00 00 00 00 01 00 00 00 # pfn 0x100000000']);
    both(bytes, { msgtype: 'CHANNELMSG_GPADL_BODY', msgnumber: 0, gpadl: 0xe1e10, pfn: ['0x100000000'] });
  });

  it('OPENCHANNEL (148 bytes)', () => {
    const bytes = h([
      '05 00 00 00 00 00 00 00', '# msgtype 5',
      '05 00 00 00', '# @8 child_relid 5',
      '05 00 00 00', '# @12 openid 5',
      '10 1e 0e 00', '# @16 ringbuffer_gpadlhandle 0xe1e10',
      '02 00 00 00', '# @20 target_vp 2',
      '00 01 00 00', '# @24 downstream_ringbuffer_pageoffset 256',
      'de ad be ef', zeros(116), '# @28 userdata[120]',
    ]);
    assert.equal(bytes.length, 148);
    both(bytes, {
      msgtype: 'CHANNELMSG_OPENCHANNEL', child_relid: 5, openid: 5, ringbuffer_gpadlhandle: 0xe1e10, target_vp: 2,
      downstream_ringbuffer_pageoffset: 256, userdata: 'deadbeef',
    });
  });

  it('OpenVMM test anchors: CloseChannel{5} and Unload', () => {
    both(h(['07 00 00 00 00 00 00 00 05 00 00 00']), { msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: 5 });
    both(h(['10 00 00 00 00 00 00 00']), { msgtype: 'CHANNELMSG_UNLOAD' });
  });

  it('a full 256-byte hv_message slot carrying RESCIND_CHANNELOFFER with msg_pending', () => {
    const bytes = h([
      '01 00 00 00', '# @0 message_type 1',
      '0c', '# @4 payload_size 12',
      '01', '# @5 message_flags.msg_pending',
      '00 00', '# @6 reserved',
      '00 00 00 00 00 00 00 00', '# @8 port / sender',
      '02 00 00 00 00 00 00 00 05 00 00 00', '# @16 payload: RESCIND_CHANNELOFFER relid 5',
      zeros(228),
    ]);
    assert.equal(bytes.length, HV_MESSAGE_SIZE);
    const s = decodeSlot(bytes);
    assert.ok(s.ok);
    assert.deepEqual(s.value, {
      message_type: 1, payload_size: 12, msg_pending: 1, port: 0,
      message: { msgtype: 'CHANNELMSG_RESCIND_CHANNELOFFER', child_relid: 5 },
    });
    const e = encodeSlot(s.value);
    assert.ok(e.ok);
    assert.equal(toHex(e.bytes), toHex(bytes));
    const m = decodeHvMessage(bytes);
    assert.ok(m.ok);
    assert.equal(m.value.msg_pending, true);
    assert.equal(toHex(encodeHvMessage({ message_type: 1, msg_pending: true, payload: h(['02 00 00 00 00 00 00 00 05 00 00 00']) })), toHex(bytes));
  });

  it('SINT2 register value with the proxy bit (bit 20), vector 0xf3', () => {
    assert.equal(sintMsr(2), 0x40000092);
    assert.equal(Msr.HV_X64_MSR_SINT2, 0x40000092);
    // vector 0xf3 (bits 0-7) | proxy 1<<20 = 0x1000f3 ; with auto_eoi (1<<17) = 0x1200f3
    assert.equal(encodeSint({ vector: 0xf3, proxy: true }), 0x1000f3n);
    assert.equal(encodeSint({ vector: 0xf3, auto_eoi: true, proxy: true }), 0x1200f3n);
    const d = decodeSint(0x1000f3n);
    assert.deepEqual(
      { vector: d.vector, masked: d.masked, auto_eoi: d.auto_eoi, polling: d.polling, as_intercept: d.as_intercept, proxy: d.proxy },
      { vector: 0xf3, masked: false, auto_eoi: false, polling: false, as_intercept: false, proxy: true },
    );
    // reset value: masked (1<<16)
    assert.equal(decodeSint(0x10000).masked, true);
    assert.equal(decodeSint(0x80000).as_intercept, true);
    assert.equal(decodeSint(0x40000).polling, true);
  });

  it('SIMP value: enabled bit 0, base GPA in bits 12-63', () => {
    assert.equal(encodeSimp({ enabled: true, base_gpa: 0x12345000n }), 0x12345001n);
    const d = decodeSimp(0xfedcb000n | 1n);
    assert.equal(d.enabled, true);
    assert.equal(d.base_gpa, 0xfedcb000n);
  });

  it('hv_input_post_message and hv_input_signal_event', () => {
    const pm = encodeHvInputPostMessage({ connectionid: 4, payload: h(['10 00 00 00 00 00 00 00']) });
    assert.equal(pm.length, 256);
    assert.equal(toHex(pm.subarray(0, 24)), toHex(h(['04 00 00 00', '00 00 00 00', '01 00 00 00 # message_type 1', '08 00 00 00 # payload_size', '10 00 00 00 00 00 00 00'])));
    const dpm = decodeHvInputPostMessage(pm);
    assert.ok(dpm.ok);
    assert.equal(dpm.value.connectionid, 4);
    assert.equal(dpm.value.payload_size, 8);
    const se = encodeHvInputSignalEvent({ connectionid: 0x2005, flag_number: 0 });
    assert.equal(toHex(se), '0520000000000000');
    const dse = decodeHvInputSignalEvent(h(['05 20 00 00 03 00 00 00']));
    assert.ok(dse.ok);
    assert.deepEqual(dse.value, { connectionid: 0x2005, flag_number: 3 });
  });
});
