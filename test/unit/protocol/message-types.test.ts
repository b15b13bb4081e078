// The channel message types derived from the layout table: decodeMessage with an expected type
// narrows the value, a switch on msgtype narrows the union, and a field the table does not have
// for that message is a compile error (the @ts-expect-error lines fail the build if it compiles).
import * as assert from 'node:assert/strict';
import { decodeChannelMessage, decodeMessage, encodeMessage, type ChannelMessageOf } from '../../../src/simulator/protocol/index';

function encode(json: Record<string, unknown>): Uint8Array {
  const r = encodeMessage(json);
  assert.ok(r.ok);
  return r.bytes;
}

describe('protocol: channel message types from the layout table', () => {
  const offerBytes = encode({ msgtype: 'CHANNELMSG_OFFERCHANNEL', offer: { if_type: 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f', chn_flags: 0x10, pipe_mode: 4 }, child_relid: 14, connection_id: 0x200e });

  it('decodeMessage(bytes, opts, type) narrows the value to that message', () => {
    const r = decodeMessage(offerBytes, undefined, 'CHANNELMSG_OFFERCHANNEL');
    assert.ok(r.ok);
    const flags: number = r.value.offer.chn_flags;
    const relid: number = r.value.child_relid;
    const pipe: number | undefined = r.value.offer.pipe_mode; // a union view: optional
    assert.deepEqual([flags, relid, pipe, r.value.offer.if_type], [0x10, 14, 4, 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f']);
    // @ts-expect-error an OPENCHANNEL field is not an offer's
    void r.value.ringbuffer_gpadlhandle;
    // @ts-expect-error chn_flags lives in the embedded offer, not at the top
    void r.value.chn_flags;
  });

  it('a message of another type is an error naming both', () => {
    const r = decodeMessage(offerBytes, undefined, 'CHANNELMSG_OPENCHANNEL');
    assert.ok(!r.ok);
    assert.equal(r.error.message, 'expected CHANNELMSG_OPENCHANNEL, got CHANNELMSG_OFFERCHANNEL');
    assert.equal(r.error.offset, 0);
  });

  it('a switch on msgtype narrows the union; OpenVMM-only form fields are optional', () => {
    const bytes = encode({ msgtype: 'CHANNELMSG_OPENCHANNEL', child_relid: 3, openid: 3, ringbuffer_gpadlhandle: 0xe1e10, target_vp: 1, downstream_ringbuffer_pageoffset: 4 });
    const r = decodeChannelMessage(bytes, { allowOpenVmm: true });
    assert.ok(r.ok);
    const m = r.value;
    switch (m.msgtype) {
      case 'CHANNELMSG_OPENCHANNEL': {
        const handle: number = m.ringbuffer_gpadlhandle;
        const conn: number | undefined = m.connection_id; // OpenChannel2 only
        assert.deepEqual([handle, conn, m.downstream_ringbuffer_pageoffset], [0xe1e10, undefined, 4]);
        // @ts-expect-error an offer's field is not OPENCHANNEL's
        void m.offer;
        break;
      }
      default:
        assert.fail(`decoded as ${m.msgtype}`);
    }
  });

  it('required and optional keys follow the table (primary form, reserved, unions)', () => {
    type Init = ChannelMessageOf<'CHANNELMSG_INITIATE_CONTACT'>;
    const init: Init = { msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: 0x60000, target_vcpu: 0, monitor_page1: '0x0', monitor_page2: '0x0', feature_flags: 0x10 };
    // @ts-expect-error vmbus_version_requested is in the primary form: required
    const missing: Init = { msgtype: 'CHANNELMSG_INITIATE_CONTACT', target_vcpu: 0, monitor_page1: '0x0', monitor_page2: '0x0' };
    const dec = decodeMessage(encode(init), undefined, 'CHANNELMSG_INITIATE_CONTACT');
    assert.ok(dec.ok);
    assert.equal(dec.value.feature_flags, 0x10);
    void missing;
  });
});
