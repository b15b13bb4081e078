// Protocol codec throughput: decode and encode rates (messages/s) of a few channel messages next to
// a baseline measured in the same run (copying the same bytes with Buffer.copy), as a ratio.
// Target: decoding an OFFERCHANNEL at no worse than 1/20 of the copy baseline's message rate.
//
//   node bench/protocol.mjs [--seconds 1]
//
// The protocol module is bundled from src/ with esbuild first, so the bench always measures the
// current sources (no separate compile step).
import * as esbuild from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordFigure } from './record.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const secIdx = process.argv.indexOf('--seconds');
const SECONDS = secIdx > 0 ? Number(process.argv[secIdx + 1]) : 1;

const dir = mkdtempSync(path.join(tmpdir(), 'vmbus-bench-'));
const out = path.join(dir, 'protocol.cjs');
await esbuild.build({ entryPoints: [path.join(root, 'src/simulator/protocol/index.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'es2022', outfile: out, logLevel: 'silent' });
const P = createRequire(import.meta.url)(out);
rmSync(dir, { recursive: true, force: true });

const samples = {
  CHANNELMSG_OFFERCHANNEL: {
    msgtype: 'CHANNELMSG_OFFERCHANNEL',
    offer: { if_type: 'f8615163-df3e-46c5-913f-f2d2f965ed0e', if_instance: '9f8b2a1c-5d4e-4f60-8a7b-0c1d2e3f4a5b', chn_flags: 2, mmio_megabytes: 0, user_def: '', sub_channel_index: 0 },
    child_relid: 5, monitorid: 3, monitor_allocated: 1, is_dedicated_interrupt: 1, connection_id: 0x2005,
  },
  CHANNELMSG_INITIATE_CONTACT: { msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: 0x60000, target_vcpu: 0, msg_sint: 2, msg_vtl: 0, feature_flags: 0x10, monitor_page1: '0x12345000', monitor_page2: '0x12346000' },
  CHANNELMSG_GPADL_HEADER: { msgtype: 'CHANNELMSG_GPADL_HEADER', child_relid: 5, gpadl: 0xe1e10, range_buflen: 32, rangecount: 1, range: [{ byte_count: 0x3000, byte_offset: 0, pfn_array: ['0x12345', '0x12346', '0x12347'] }] },
  CHANNELMSG_CLOSECHANNEL: { msgtype: 'CHANNELMSG_CLOSECHANNEL', child_relid: 5 },
};

/** Calls per second of fn over about `ms` milliseconds (after a short warm-up). */
function rateFor(fn, ms) {
  const batch = 2000;
  const t0 = process.hrtime.bigint();
  const limit = BigInt(Math.round(ms * 1e6));
  let n = 0;
  let dt = 0n;
  do {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    dt = process.hrtime.bigint() - t0;
  } while (dt < limit);
  return n / (Number(dt) / 1e9);
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

/**
 * The machine may be busy (other processes), so the baseline and the codec are measured in
 * alternating short slices and each rate is the median over the rounds; the ratio is the median
 * of the per-round ratios.
 */
function compare(fns, seconds) {
  for (const fn of fns) for (let i = 0; i < 30000; i++) fn(); // warm up
  const rounds = 9;
  const slice = (seconds * 1000) / rounds / fns.length;
  const rates = fns.map(() => []);
  for (let r = 0; r < rounds; r++) fns.forEach((fn, i) => rates[i].push(rateFor(fn, slice)));
  const ratios = rates.slice(1).map((rs) => median(rs.map((x, r) => x / rates[0][r])));
  return { rates: rates.map(median), ratios };
}

const fmt = (r) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M` : `${(r / 1e3).toFixed(1)}k`).padStart(8);
let sink = 0;
let offerRatio = 0;
let offerRates = [0, 0];
console.log(`node ${process.version}; baseline and codec measured in alternating slices, medians of 9 rounds\n`);
console.log(`${'message'.padEnd(30)} ${'bytes'.padStart(5)} ${'copy/s'.padStart(8)} ${'decode/s'.padStart(8)} ${'encode/s'.padStart(8)}  decode:copy  encode:copy`);
for (const [name, json] of Object.entries(samples)) {
  const e = P.encodeMessage(json);
  if (!e.ok) throw new Error(e.error.message);
  const bytes = e.bytes;
  const src = Buffer.from(bytes);
  const dst = Buffer.alloc(256);
  const { rates: [copyRate, decRate, encRate], ratios: [dr, er] } = compare([
    () => { sink += src.copy(dst, 0, 0, src.length); },
    () => { const r = P.decodeMessage(bytes); if (r.ok) sink++; },
    () => { const r = P.encodeMessage(json); if (r.ok) sink += r.bytes.length; },
  ], 3 * SECONDS);
  if (name === 'CHANNELMSG_OFFERCHANNEL') { offerRatio = dr; offerRates = [decRate, copyRate]; }
  console.log(`${name.padEnd(30)} ${String(bytes.length).padStart(5)} ${fmt(copyRate)} ${fmt(decRate)} ${fmt(encRate)}  1:${(1 / dr).toFixed(1).padEnd(9)}  1:${(1 / er).toFixed(1)}`);
}
// Worst case for the GUID cache: 4096 offers with distinct instance GUIDs, cycled.
{
  const json = samples.CHANNELMSG_OFFERCHANNEL;
  const base = P.encodeMessage(json).bytes;
  const many = [];
  for (let i = 0; i < 4096; i++) {
    const b = base.slice();
    b[24] = i & 0xff; b[25] = i >> 8; b[30] = (i * 7) & 0xff;
    many.push(b);
  }
  const srcs = many.map((b) => Buffer.from(b));
  const dst = Buffer.alloc(256);
  let i = 0, j = 0;
  const { rates: [copyRate, decRate], ratios: [dr] } = compare([
    () => { sink += srcs[i++ & 4095].copy(dst, 0, 0, 196); },
    () => { const r = P.decodeMessage(many[j++ & 4095]); if (r.ok) sink++; },
  ], 2 * SECONDS);
  console.log(`${'OFFERCHANNEL, 4096 instances'.padEnd(30)} ${'196'.padStart(5)} ${fmt(copyRate)} ${fmt(decRate)} ${'-'.padStart(8)}  1:${(1 / dr).toFixed(1).padEnd(9)}  (GUID cache mostly missing)`);
}
const pass = offerRatio >= 1 / 20;
console.log(`\nOFFERCHANNEL decode / Buffer.copy baseline = ${offerRatio.toFixed(3)} (1:${(1 / offerRatio).toFixed(1)}); target >= 0.050 (1:20): ${pass ? 'PASS' : 'FAIL'}`);
if (sink === -1) console.log('');
recordFigure({
  id: 'protocol.decode-offer', title: 'OFFERCHANNEL decode rate', value: offerRates[0] / 1e6, unit: 'M msg/s',
  baseline: { value: offerRates[1] / 1e6, unit: 'M copy/s', what: 'Buffer.copy of the same 196 bytes' }, ratio: offerRatio,
  target: { text: '≥ 1/20 of the copy rate', bounds: [{ of: 'ratio', op: '>=', limit: 0.05 }] },
  command: 'npm run bench:protocol',
});
