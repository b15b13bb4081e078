// Patching a message in place by field name (the debugger's edits): offsets and widths come from
// the layout table; the expected offsets are Linux include/linux/hyperv.h's (reference linux-vmbus.md §2).
import * as assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, fieldOf, readField, writeField } from '../../../src/simulator/protocol/index';

describe('protocol: field access by name', () => {
  it('finds the offer fields at the offsets Linux has', () => {
    assert.deepEqual([fieldOf('CHANNELMSG_OFFERCHANNEL', 'offer.chn_flags').offset, fieldOf('CHANNELMSG_OFFERCHANNEL', 'offer.chn_flags').size], [56, 2]);
    assert.deepEqual([fieldOf('CHANNELMSG_OFFERCHANNEL', 'child_relid').offset, fieldOf('CHANNELMSG_OFFERCHANNEL', 'child_relid').size], [184, 4]);
    assert.equal(fieldOf('CHANNELMSG_OFFERCHANNEL', 'offer.pipe_mode').offset, 60);
    assert.equal(fieldOf('CHANNELMSG_OPENCHANNEL_RESULT', 'status').offset, 16);
  });

  it('names the message and field it does not know', () => {
    assert.throws(() => fieldOf('CHANNELMSG_OFFERCHANNEL', 'chn_flags'), /CHANNELMSG_OFFERCHANNEL has no u8\/u16\/u32 field 'chn_flags'/);
    assert.throws(() => fieldOf('CHANNELMSG_NOPE', 'x'), /no message type CHANNELMSG_NOPE/);
    assert.throws(() => fieldOf('CHANNELMSG_OFFERCHANNEL', 'offer.if_type'), /no u8\/u16\/u32 field/);
  });

  it('writes a field so the decoder reads the new value, and nothing else moves', () => {
    const enc = encodeMessage({ msgtype: 'CHANNELMSG_OFFERCHANNEL', offer: { chn_flags: 0x0100, sub_channel_index: 0 }, child_relid: 0xfedcba98, monitorid: 3, monitor_allocated: 1, connection_id: 0x1000 });
    assert.ok(enc.ok);
    const b = enc.bytes.slice();
    assert.equal(readField(b, fieldOf('CHANNELMSG_OFFERCHANNEL', 'child_relid')), 0xfedcba98);
    writeField(b, fieldOf('CHANNELMSG_OFFERCHANNEL', 'offer.chn_flags'), 0x2010);
    assert.deepEqual([b[56], b[57]], [0x10, 0x20]);
    const diff = [...b].map((x, i) => (x !== enc.bytes[i] ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(diff, [56, 57]);
    const dec = decodeMessage(b);
    assert.ok(dec.ok);
    assert.equal((dec.value.offer as Record<string, unknown>).chn_flags, 0x2010);
  });

  it('a bitfield write keeps the other bits of its byte', () => {
    const b = new Uint8Array(196);
    b[189] = 0xfe; // reserved bits 1..7 set
    const fd = fieldOf('CHANNELMSG_OFFERCHANNEL', 'monitor_allocated');
    writeField(b, fd, 1);
    assert.equal(b[189], 0xff);
    assert.equal(readField(b, fd), 1);
    writeField(b, fd, 0);
    assert.equal(b[189], 0xfe);
  });
});
