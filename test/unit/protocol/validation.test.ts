// Decoder validation like Linux vmbus_on_msg_dpc, and the encoder's field checks.
import * as assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, decodeSlot, parseHex, toHex, MESSAGE_LAYOUTS, MessageType } from '../../../src/simulator/protocol/index';

const bytesOf = (hex: string) => { const r = parseHex(hex); if (!r.ok) throw new Error(r.error.message); return r.bytes; };
function header(msgtype: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  b[0] = msgtype & 0xff; b[1] = (msgtype >>> 8) & 0xff; b[2] = (msgtype >>> 16) & 0xff; b[3] = msgtype >>> 24;
  return b;
}

describe('protocol: decode validation (vmbus_on_msg_dpc)', () => {
  it('unknown msgtype: Linux knows 0..24 only; 25 and 26 are OpenVMM-only', () => {
    for (const t of [25, 26, 29, 30, 0xffffffff]) {
      const r = decodeMessage(header(t, 16));
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'unknown-msgtype');
      assert.equal(r.error.msgtype, t);
      assert.equal(r.error.offset, 0);
      assert.match(r.error.message, new RegExp(`^unknown msgtype=${t}`));
    }
    const r25 = decodeMessage(header(25, 24));
    assert.ok(!r25.ok && r25.error.msgtypeName === 'CHANNELMSG_MODIFY_CONNECTION');
    // With allowOpenVmm 25/26 decode
    const ok = decodeMessage(bytesOf('19000000 00000000 0010000000000000 0020000000000000'), { allowOpenVmm: true });
    assert.ok(ok.ok);
    assert.deepEqual(ok.value, { msgtype: 'CHANNELMSG_MODIFY_CONNECTION', monitor_page1: '0x1000', monitor_page2: '0x2000' });
    const r30 = decodeMessage(header(30, 8), { allowOpenVmm: true });
    assert.ok(!r30.ok && r30.error.code === 'unknown-msgtype');
  });

  it('too large: more than 240 bytes', () => {
    const r = decodeMessage(header(1, 241));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'too-large');
    assert.equal(r.error.message.startsWith('payload size is too large (241)'), true);
    assert.equal(r.error.msgtypeName, 'CHANNELMSG_OFFERCHANNEL');
    assert.equal(r.error.offset, 240);
    assert.ok(decodeMessage(header(4, 240)).ok, 'exactly 240 is fine');
  });

  it('too short: names the type, the first field cut and its offset', () => {
    const r = decodeMessage(header(1, 195));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'too-short');
    assert.equal(r.error.msgtype, 1);
    assert.equal(r.error.field, 'connection_id');
    assert.equal(r.error.offset, 192);
    assert.match(r.error.message, /^message too short: msgtype=1 len=195/);

    const r2 = decodeMessage(header(1, 39));
    assert.ok(!r2.ok && r2.error.field === 'offer.if_instance' && r2.error.offset === 24);

    const r3 = decodeMessage(header(15, 15));
    assert.ok(!r3.ok && r3.error.field === 'msg_conn_id' && r3.error.offset === 12);

    const r4 = decodeMessage(new Uint8Array([1, 0]));
    assert.ok(!r4.ok && r4.error.code === 'too-short' && r4.error.field === 'msgtype');

    const r5 = decodeMessage(header(3, 6));
    assert.ok(!r5.ok && r5.error.code === 'too-short' && r5.error.field === 'header_padding' && r5.error.offset === 4);
  });

  it('Linux order: unknown msgtype is reported before too large', () => {
    const r = decodeMessage(header(99, 300));
    assert.ok(!r.ok && r.error.code === 'unknown-msgtype');
  });

  it('every type: decoding its minimum size works, one byte less fails', () => {
    for (const l of MESSAGE_LAYOUTS) {
      const opts = { allowOpenVmm: l.openVmmOnly };
      assert.ok(decodeMessage(header(l.msgtype, l.minSize), opts).ok, l.name);
      if (l.minSize > 4) {
        const r = decodeMessage(header(l.msgtype, l.minSize - 1), opts);
        assert.ok(!r.ok && r.error.code === 'too-short', l.name);
      }
    }
  });

  it('reserved fields: omitted when zero, kept and warned when not', () => {
    const b = bytesOf('07000000 05000000 09000000'); // CLOSECHANNEL, header padding 5
    const r = decodeMessage(b);
    assert.ok(r.ok);
    assert.deepEqual(r.value, { msgtype: 'CHANNELMSG_CLOSECHANNEL', header_padding: 5, child_relid: 9 });
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /reserved field 'header_padding' at offset 4 is not zero/);
    const e = encodeMessage(r.value);
    assert.ok(e.ok && toHex(e.bytes) === toHex(b));
  });

  it('offer bitfields: reserved bits next to monitor_allocated / is_dedicated_interrupt', () => {
    const b = header(1, 196);
    b[189] = 0x03; // monitor_allocated 1, reserved:7 = 1
    b[190] = 0x02; // is_dedicated_interrupt 0, reserved1:15 = 1
    const r = decodeMessage(b);
    assert.ok(r.ok);
    assert.equal(r.value.monitor_allocated, 1);
    assert.equal(r.value.reserved, 1);
    assert.equal(r.value.is_dedicated_interrupt, 0);
    assert.equal(r.value.reserved1, 1);
    assert.equal(r.warnings.length, 2);
    const e = encodeMessage(r.value);
    assert.ok(e.ok && toHex(e.bytes) === toHex(b));
  });

  it('a named-pipe offer (chn_flags 0x10) shows u.pipe: pipe_mode + 116-byte user_def', () => {
    const b = header(1, 196);
    b[56] = 0x10; b[57] = 0x20; // NAMED_PIPE_MODE | TLNPI_PROVIDER_OFFER
    b[60] = 4; // pipe_mode MESSAGE
    b[64] = 0xaa;
    const r = decodeMessage(b);
    assert.ok(r.ok);
    const offer = r.value.offer as Record<string, unknown>;
    assert.equal(offer.pipe_mode, 4);
    assert.equal(offer.user_def, 'aa');
    const e = encodeMessage(r.value);
    assert.ok(e.ok && toHex(e.bytes) === toHex(b));
  });

  it('slot: payload_size > 240 is rejected like Linux', () => {
    const s = new Uint8Array(256);
    s[0] = 1; s[4] = 241; s[16] = 1;
    const r = decodeSlot(s);
    assert.ok(!r.ok && r.error.code === 'too-large' && r.error.field === 'payload_size');
    s[4] = 100; // OFFERCHANNEL with 100 bytes: too short, offset relative to the slot
    const r2 = decodeSlot(s);
    // the union u (user_def) at message offset 60 is cut; offsets are relative to the slot (+16)
    assert.ok(!r2.ok && r2.error.code === 'too-short' && r2.error.field === 'offer.u' && r2.error.offset === 76);
    const empty = decodeSlot(new Uint8Array(256));
    assert.ok(empty.ok && empty.value.message === null);
  });
});

describe('protocol: encode checks', () => {
  it('unknown msgtype name', () => {
    const r = encodeMessage({ msgtype: 'CHANNELMSG_NOPE' });
    assert.ok(!r.ok && r.error.code === 'unknown-msgtype');
  });
  it('missing msgtype', () => {
    const r = encodeMessage({ child_relid: 1 });
    assert.ok(!r.ok && r.error.field === 'msgtype');
  });
  it('unknown field is an error naming the field', () => {
    const r = encodeMessage({ msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relidd: 1 });
    assert.ok(!r.ok && r.error.code === 'bad-field' && r.error.field === 'child_relidd');
  });
  it('out of range values', () => {
    const r = encodeMessage({ msgtype: 'CHANNELMSG_OFFERCHANNEL', monitorid: 256 });
    assert.ok(!r.ok && r.error.field === 'monitorid' && r.error.offset === 188);
    const r2 = encodeMessage({ msgtype: 'CHANNELMSG_OFFERCHANNEL', offer: { chn_flags: -1 } });
    assert.ok(!r2.ok && r2.error.field === 'offer.chn_flags');
    const r3 = encodeMessage({ msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: 0x60000, monitor_page1: 'zz' });
    assert.ok(!r3.ok && r3.error.field === 'monitor_page1');
    const r4 = encodeMessage({ msgtype: 'CHANNELMSG_OFFERCHANNEL', offer: { if_type: 'not-a-guid' } });
    assert.ok(!r4.ok && r4.error.field === 'offer.if_type' && r4.error.offset === 8);
    const r5 = encodeMessage({ msgtype: 'CHANNELMSG_OPENCHANNEL', userdata: '00'.repeat(121) });
    assert.ok(!r5.ok && r5.error.field === 'userdata');
  });
  it('both views of a union is an error', () => {
    const r = encodeMessage({ msgtype: 'CHANNELMSG_INITIATE_CONTACT', interrupt_page: '0x1000', msg_sint: 2 });
    assert.ok(!r.ok && r.error.code === 'bad-field');
  });
  it('omitted fields are zero', () => {
    const r = encodeMessage({ msgtype: 'CHANNELMSG_OFFERCHANNEL' });
    assert.ok(r.ok);
    assert.equal(r.bytes.length, 196);
    assert.ok(r.bytes.subarray(4).every((x) => x === 0));
    assert.equal(r.bytes[0], MessageType.CHANNELMSG_OFFERCHANNEL);
  });
  it('too large: a GPADL_BODY with 29 PFNs', () => {
    const r = encodeMessage({ msgtype: 'CHANNELMSG_GPADL_BODY', gpadl: 1, pfn: Array.from({ length: 29 }, (_, i) => `0x${i}`) });
    assert.ok(!r.ok && r.error.code === 'too-large');
    assert.ok(encodeMessage({ msgtype: 'CHANNELMSG_GPADL_BODY', gpadl: 1, pfn: Array.from({ length: 28 }, (_, i) => `0x${i}`) }).ok);
  });
  it('u64 accepts hex strings, decimal strings and safe numbers; booleans for 1-bit fields', () => {
    const a = encodeMessage({ msgtype: 'CHANNELMSG_MODIFY_CONNECTION', monitor_page1: '0xFFFFFFFFFFFFFFFF', monitor_page2: 4096 });
    assert.ok(a.ok);
    assert.equal(toHex(a.bytes), '19000000' + '00000000' + 'ffffffffffffffff' + '0010000000000000');
    const b = encodeMessage({ msgtype: 'CHANNELMSG_OFFERCHANNEL', monitor_allocated: true });
    assert.ok(b.ok && b.bytes[189] === 1);
  });
  it('OpenVMM forms are chosen by their keys: InitiateContact2 client_id, OpenChannel2', () => {
    const ic = encodeMessage({ msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: 0x60000, msg_sint: 2, feature_flags: 0x2f, client_id: 'ceb1cd55-6a3b-41c5-9473-4dd30624c3d8' });
    assert.ok(ic.ok);
    assert.equal(ic.bytes.length, 56);
    assert.equal(toHex(ic.bytes.subarray(40)), '55cdb1ce3b6ac5419473' + '4dd30624c3d8');
    const linux = decodeMessage(ic.bytes);
    assert.ok(linux.ok && linux.value.client_id === undefined && linux.warnings.some((w) => /InitiateContact2/.test(w)));
    const oc = encodeMessage({ msgtype: 'CHANNELMSG_OPENCHANNEL', child_relid: 1, connection_id: 0x2001, event_flag: 1, flags: 1 });
    assert.ok(oc.ok && oc.bytes.length === 156);
  });
});
