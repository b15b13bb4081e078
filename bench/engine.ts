// Engine benchmark: 256 opened channels exchanging 1,000,000 ring-buffer packets in total.
// Prints events/s beside a bare binary-heap baseline measured in the same process (the same
// number of events pushed/popped with no model), and the time + memory of a projection
// snapshot/restore at event 500,000.
//
// Run: npx tsc -p tsconfig.test.json && node --expose-gc out/bench/engine.js [channels] [packets]
import { createSession } from '../src/simulator/engine/session';
import { defaultConfig, STORVSC_CLASS, NETVSC_CLASS } from '../src/simulator/engine/defaults';
import { EventHeap } from '../src/simulator/engine/heap';
import type { DeviceConfig } from '../src/simulator/model/config';

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
  const s = createSession(cfg, { snapshotInterval: 1 << 30 });
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  s.runToEnd();
  const dt = cpuSeconds(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const evs = s.events();
  let packets = 0;
  for (const e of evs) if (e.kind === 'packet') packets++;
  const opened = s.inspect().channels.filter((c) => c.state === 'open').length;
  const rate = evs.length / dt;
  const base = baseline(evs.length, CHANNELS);
  console.log(`run: ${CHANNELS} channels (${opened} open), ${packets} packets, ${evs.length} events in ${(dt * 1000).toFixed(0)} ms CPU (${(wall * 1000).toFixed(0)} ms wall)`);
  console.log(`engine:   ${(rate / 1e6).toFixed(2)} M events/s`);
  console.log(`baseline: ${(base / 1e6).toFixed(2)} M events/s (bare binary heap, same event count)`);
  console.log(`ratio:    ${(rate / base).toFixed(3)} (engine / baseline; target >= 0.2)`);

  // Snapshot / restore of the state projection at event 500,000.
  const at = Math.min(500_000, evs.length - 1);
  s.goTo(at);
  const p0 = process.hrtime.bigint();
  s.inspect(); // project up to the position (one-time replay from the start)
  const tProject = Number(process.hrtime.bigint() - p0) / 1e6;
  gc();
  const m0 = process.memoryUsage().heapUsed;
  const t1 = process.hrtime.bigint();
  const snap = s.snapshot();
  const tSnap = Number(process.hrtime.bigint() - t1) / 1e6;
  gc();
  const m1 = process.memoryUsage().heapUsed;
  s.goTo(evs.length - 1);
  s.inspect();
  const t2 = process.hrtime.bigint();
  s.restore(snap);
  const st = s.inspect();
  const tRestore = Number(process.hrtime.bigint() - t2) / 1e6;
  console.log(`projection to event ${at}: ${tProject.toFixed(1)} ms (first time, replays the trace)`);
  console.log(`snapshot at event ${at}: ${tSnap.toFixed(2)} ms, ~${((m1 - m0) / 1024).toFixed(0)} KiB`);
  console.log(`restore + inspect at event ${st.position}: ${tRestore.toFixed(2)} ms (target < 10 ms)`);
  console.log(`heap used: ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB`);
}

main();
