// Property tests: decode(encode(x)) = x for every message type and form, and
// encode(decode(bytes)) = bytes for any bytes that decode.
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { decodeMessage, encodeMessage, decodeSlot, encodeSlot, toHex } from '../../../src/simulator/protocol/index';
import { ALL_FORMS, formArb } from './arbitraries';

describe('protocol: properties', () => {
  for (const c of ALL_FORMS) {
    it(`decode(encode(x)) = x for ${c.layout.name} (${c.form.struct})`, () => {
      fc.assert(fc.property(formArb(c.layout, c.form, true), (x) => {
        const e = encodeMessage(x);
        if (!e.ok) throw new Error(`encode failed: ${e.error.message} for ${JSON.stringify(x)}`);
        const d = decodeMessage(e.bytes, { allowOpenVmm: c.allowOpenVmm });
        if (!d.ok) throw new Error(`decode failed: ${d.error.message}`);
        assert.deepEqual(d.value, x);
        // and back to the same bytes
        const e2 = encodeMessage(d.value);
        assert.ok(e2.ok);
        assert.equal(toHex(e2.bytes), toHex(e.bytes));
      }), { numRuns: 150 });
    });
  }

  it('encode(decode(bytes)) = bytes for arbitrary bodies of every type', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 29 }), fc.uint8Array({ minLength: 4, maxLength: 240 }), fc.boolean(), (t, body, allow) => {
      const b = new Uint8Array(body);
      b[0] = t; b[1] = 0; b[2] = 0; b[3] = 0;
      const d = decodeMessage(b, { allowOpenVmm: allow });
      if (!d.ok) return;
      const e = encodeMessage(d.value);
      if (!e.ok) throw new Error(`${e.error.message} for ${JSON.stringify(d.value)}`);
      assert.equal(toHex(e.bytes), toHex(b));
    }), { numRuns: 3000 });
  });

  it('slots: encodeSlot(decodeSlot(slot)) = slot', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 29 }), fc.integer({ min: 0, max: 240 }), fc.uint8Array({ minLength: 256, maxLength: 256 }), fc.boolean(), (t, size, raw, pending) => {
      const s = new Uint8Array(raw);
      s[0] = 1; s[1] = 0; s[2] = 0; s[3] = 0; s[4] = size; s[5] = pending ? 1 : 0; s[6] = 0; s[7] = 0;
      s[16] = t; s[17] = 0; s[18] = 0; s[19] = 0;
      const d = decodeSlot(s, { allowOpenVmm: true });
      if (!d.ok) return;
      const e = encodeSlot(d.value);
      if (!e.ok) throw new Error(e.error.message);
      assert.equal(toHex(e.bytes), toHex(s));
    }), { numRuns: 1000 });
  });
});
