// Fuzz: at least 100,000 random and mutated buffers through the decoder. Every one must end as a
// value or a typed error (never a throw, never a partial object), and every value must encode
// back to the same bytes.
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { decodeMessage, decodeSlot, encodeMessage, type ProtocolError } from '../../../src/simulator/protocol/index';
import { ALL_FORMS, formArb } from './arbitraries';

const CODES = new Set<ProtocolError['code']>(['unknown-msgtype', 'too-large', 'too-short', 'bad-field', 'bad-hex', 'bad-json', 'bad-guid', 'bad-length']);

/** xorshift32: deterministic and fast. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

describe('protocol: fuzz', function () {
  this.timeout(60000);

  it('100,000+ random and mutated buffers: a value or a typed error, and values round-trip', () => {
    const next = rng(0xc0ffee);
    // seeds: valid messages of every form
    const seeds: Uint8Array[] = [];
    for (const c of ALL_FORMS) {
      for (const x of fc.sample(formArb(c.layout, c.form, false), { numRuns: 20, seed: 42 })) {
        const e = encodeMessage(x);
        if (e.ok) seeds.push(e.bytes);
      }
    }
    assert.ok(seeds.length > 500);
    const stats = { ok: 0, err: {} as Record<string, number>, total: 0 };
    const N = 110_000;
    for (let i = 0; i < N; i++) {
      let buf: Uint8Array;
      const mode = next() % 6;
      if (mode === 0) {
        // fully random length 0..300
        buf = new Uint8Array(next() % 301);
        for (let j = 0; j < buf.length; j++) buf[j] = next() & 0xff;
      } else if (mode === 1) {
        // random body with a plausible msgtype
        buf = new Uint8Array(next() % 250);
        for (let j = 0; j < buf.length; j++) buf[j] = next() & 0xff;
        if (buf.length >= 4) { buf[0] = next() % 32; buf[1] = buf[2] = buf[3] = 0; }
      } else {
        const seed = seeds[next() % seeds.length];
        buf = seed.slice();
        const m = next() % 5;
        if (m === 0) { // flip bytes
          const k = 1 + (next() % 4);
          for (let j = 0; j < k && buf.length; j++) buf[next() % buf.length] ^= 1 << (next() % 8);
        } else if (m === 1) { // truncate
          buf = buf.subarray(0, next() % (buf.length + 1));
        } else if (m === 2) { // extend
          const ext = new Uint8Array(buf.length + 1 + (next() % 64));
          ext.set(buf);
          for (let j = buf.length; j < ext.length; j++) ext[j] = next() & 0xff;
          buf = ext;
        } else if (m === 3) { // change msgtype
          buf[0] = next() % 40;
        } else { // random u32 somewhere
          if (buf.length >= 4) { const o = next() % (buf.length - 3); buf[o] = next() & 0xff; buf[o + 1] = next() & 0xff; buf[o + 2] = next() & 0xff; buf[o + 3] = next() & 0xff; }
        }
      }
      const allow = (i & 1) === 1;
      let r;
      try {
        r = decodeMessage(buf, { allowOpenVmm: allow });
      } catch (e) {
        assert.fail(`decodeMessage threw on ${Buffer.from(buf).toString('hex')}: ${String(e)}`);
      }
      stats.total++;
      if (r.ok) {
        stats.ok++;
        assert.equal(typeof r.value.msgtype, 'string');
        const e = encodeMessage(r.value);
        if (!e.ok || Buffer.compare(Buffer.from(e.bytes), Buffer.from(buf)) !== 0) {
          assert.fail(`round trip failed for ${Buffer.from(buf).toString('hex')}: ${e.ok ? Buffer.from(e.bytes).toString('hex') : e.error.message}`);
        }
      } else {
        assert.ok(CODES.has(r.error.code), r.error.code);
        assert.equal(typeof r.error.message, 'string');
        assert.ok(r.error.message.length > 0);
        assert.equal((r as { value?: unknown }).value, undefined, 'no partial object on error');
        stats.err[r.error.code] = (stats.err[r.error.code] ?? 0) + 1;
      }
    }
    assert.ok(stats.total >= 100_000);
    // the fuzzer must reach every outcome
    assert.ok(stats.ok > 10_000, `ok=${stats.ok}`);
    for (const c of ['unknown-msgtype', 'too-large', 'too-short']) assert.ok((stats.err[c] ?? 0) > 100, `${c}: ${stats.err[c]}`);
  });

  it('random 256-byte slots: a value or a typed error', () => {
    const next = rng(7);
    for (let i = 0; i < 20_000; i++) {
      const s = new Uint8Array(next() % 3 === 0 ? next() % 300 : 256);
      for (let j = 0; j < s.length; j++) s[j] = next() & 0xff;
      if (s.length >= 20 && next() % 2) { s[0] = 1; s[1] = s[2] = s[3] = 0; s[16] = next() % 30; s[17] = s[18] = s[19] = 0; s[4] = next() % 250; }
      const r = decodeSlot(s, { allowOpenVmm: (i & 1) === 1 });
      if (!r.ok) assert.ok(CODES.has(r.error.code));
    }
  });
});
