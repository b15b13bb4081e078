// Engine benchmark: 256 opened channels exchanging 1,000,000 ring-buffer packets in total.
// Prints events/s beside a bare binary-heap baseline measured in the same process (the same
// number of events pushed/popped with no model), and the time + memory of a projection
// snapshot/restore at event 500,000, and the heap the run leaves (the trace stores the data
// path's events compactly: trace/buffer.ts).
//
// Run: npx tsc -p tsconfig.test.json && node --expose-gc out/bench/engine.js [channels] [packets]
import { createSession } from '../src/simulator/engine/session';
import { defaultConfig, STORVSC_CLASS, NETVSC_CLASS } from '../src/simulator/engine/defaults';
import { EventHeap } from '../src/simulator/engine/heap';
import type { DeviceConfig } from '../src/simulator/model/config';
import { recordFigure } from './record';

const CHANNELS = Number(process.argv[2] ?? 256);
const PACKETS = Number(process.argv[3] ?? 1_000_000);

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

/** CPU time (user + system) since c0: the machine may be shared, so wall time is not used for rates. */
function cpuSeconds(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
}

function config() {
  const cfg = defaultConfig();
  cfg.name = 'bench';
  const per = Math.ceil(PACKETS / CHANNELS);
  const devs: DeviceConfig[] = [];
  for (let i = 0; i < CHANNELS; i++) {
    const inst = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    devs.push({
      name: `dev${i}`, classGuid: i % 2 ? NETVSC_CLASS : STORVSC_CLASS, instanceGuid: inst, host: i % 2 ? 'host' : 'paravisor',
      chnFlags: i % 2 ? 0 : 2, subchannels: 0, sendRingBytes: 0x10000, recvRingBytes: 0x10000, bufferGpadlPages: [], packets: per,
      mmioMegabytes: 0, open: true,
    });
  }
  cfg.devices = devs;
  return cfg;
}

/** The same number of events through a bare binary heap (steady state: one pending item per channel). */
function baseline(n: number, width: number): number {
  const h = new EventHeap<{ t: number; seq: number }>();
  let seq = 0;
  for (let i = 0; i < width; i++) h.push({ t: i, seq: seq++ });
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const x = h.pop()!;
    h.push({ t: x.t + 200, seq: seq++ });
  }
  return n / cpuSeconds(c0);
}

function main(): void {
  const cfg = config();
  gc();
  const s = createSession(cfg); // default snapshot policy (the projection takes them, not the run)
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  s.runToEnd();
  const dt = cpuSeconds(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  gc();
  const memAfterRun = process.memoryUsage();
  const heapAfterRun = memAfterRun.heapUsed + memAfterRun.arrayBuffers;
  const evs = s.events();
  let packets = 0;
  for (const e of evs) if (e.kind === 'packet') packets++;
  // The state projection is computed on demand (views, stepper), not by the run: time the first
  // projection of the whole run (replays every event, takes the step-back snapshots).
  const pj0 = process.hrtime.bigint();
  const opened = s.inspect().channels.filter((c) => c.state === 'open').length;
  const tProjectAll = Number(process.hrtime.bigint() - pj0) / 1e6;
  const rate = evs.length / dt;
  const base = baseline(evs.length, CHANNELS);
  console.log(`run: ${CHANNELS} channels (${opened} open), ${packets} packets, ${evs.length} events in ${(dt * 1000).toFixed(0)} ms CPU (${(wall * 1000).toFixed(0)} ms wall)`);
  console.log(`engine:   ${(rate / 1e6).toFixed(2)} M events/s`);
  console.log(`baseline: ${(base / 1e6).toFixed(2)} M events/s (bare binary heap, same event count)`);
  console.log(`ratio:    ${(rate / base).toFixed(3)} (engine / baseline; target >= 0.33 and >= 2.5 M events/s)`);
  recordFigure({
    id: 'engine.rate', title: `engine, ${CHANNELS} channels, ${evs.length.toLocaleString('en')} events`, value: rate / 1e6, unit: 'M events/s',
    baseline: { value: base / 1e6, unit: 'M events/s', what: 'bare binary heap, same event count' }, ratio: rate / base,
    target: { text: '≥ 0.33× baseline, ≥ 2.5 M/s', bounds: [{ of: 'ratio', op: '>=', limit: 0.33 }, { of: 'value', op: '>=', limit: 2.5 }] },
    command: 'npm run bench:engine',
  });

  // Snapshot / restore of the state projection at event 500,000.
  const at = Math.min(500_000, evs.length - 1);
  s.goTo(at);
  s.inspect();
  const t1 = process.hrtime.bigint();
  const snap = s.snapshot();
  const tSnap = Number(process.hrtime.bigint() - t1) / 1e6;
  // Memory of one snapshot: the heap growth of holding 50 more, divided by 50 (one alone is
  // below the collector's noise).
  gc();
  const m0 = process.memoryUsage().heapUsed;
  const held = Array.from({ length: 50 }, () => s.snapshot());
  gc();
  const m1 = process.memoryUsage().heapUsed;
  const snapKiB = (m1 - m0) / held.length / 1024;
  held.length = 0;
  // Restore from the end of the run back to event 500,000; then step back from the end to 99
  // positions across the run (nearest snapshot the session took itself + replay).
  s.goTo(evs.length - 1);
  s.inspect();
  const t2 = process.hrtime.bigint();
  s.restore(snap);
  const st = s.inspect();
  const tRestore = Number(process.hrtime.bigint() - t2) / 1e6;
  const backs: number[] = [];
  let worstAt = 0;
  const STEPS = 100;
  for (let k = 1; k < STEPS; k++) {
    const target = Math.floor((evs.length - 1) * k / STEPS);
    s.goTo(evs.length - 1);
    s.inspect();
    const t3 = process.hrtime.bigint();
    s.goTo(target);
    s.inspect();
    const dt3 = Number(process.hrtime.bigint() - t3) / 1e6;
    if (dt3 > Math.max(0, ...backs)) worstAt = target;
    backs.push(dt3);
  }
  backs.sort((a, b) => a - b);
  const q = (p: number) => backs[Math.min(backs.length - 1, Math.floor(p * backs.length))];
  console.log(`first projection of the whole run: ${tProjectAll.toFixed(0)} ms (${(evs.length / tProjectAll / 1000).toFixed(2)} M events/s replayed, snapshots taken)`);
  console.log(`snapshot at event ${at}: ${tSnap.toFixed(2)} ms, ${snapKiB.toFixed(0)} KiB each`);
  console.log(`restore + inspect at event ${st.position}: ${tRestore.toFixed(2)} ms (target < 10 ms)`);
  recordFigure({
    id: 'engine.restore', title: `snapshot restore + inspect at event ${st.position.toLocaleString('en')}`, value: tRestore, unit: 'ms', baseline: null, ratio: null,
    target: { text: '< 10 ms', bounds: [{ of: 'value', op: '<', limit: 10 }] }, command: 'npm run bench:engine',
  });
  console.log(`step back from the end to ${STEPS - 1} positions across the run (goTo + inspect): p50 ${q(0.5).toFixed(2)} ms, p95 ${q(0.95).toFixed(2)} ms, max ${backs[backs.length - 1].toFixed(2)} ms (at event ${worstAt})`);
  console.log(`memory after the run: ${(heapAfterRun / 1048576).toFixed(0)} MiB heap + array buffers (${(heapAfterRun / evs.length).toFixed(0)} bytes/event, trace + model)`);
}

/** The extension's way to run: slices of up to 50,000 events or ~20 ms with a yield between them (runAsync). */
async function sliced(): Promise<void> {
  const s = createSession(config());
  let last = process.hrtime.bigint();
  let worst = 0;
  let n = 0;
  await s.runAsync(50_000, undefined, () => {
    const now = process.hrtime.bigint();
    worst = Math.max(worst, Number(now - last) / 1e6);
    last = now;
    n++;
  });
  const t = process.hrtime.bigint();
  s.inspect();
  const tInspect = Number(process.hrtime.bigint() - t) / 1e6;
  console.log(`sliced run (runAsync: up to 50,000 events or ~20 ms a slice, projection included): ${n} slices, longest ${worst.toFixed(0)} ms; inspect() after it ${tInspect.toFixed(2)} ms`);
}

main();
void sliced();
