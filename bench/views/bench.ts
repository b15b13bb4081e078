// Benchmark of the sidebar trees' per-step cost with 1,000 channels: rebuild the pure models
// from the state, diff against the previous build, and "render" (turn into tree items) only the
// nodes the diff fires, compared with a full refresh that re-renders every node (the baseline,
// measured in the same steps), printed as the ratio incremental / naive.
//
//   npx tsc -p tsconfig.test.json && node out/bench/views/bench.js [channels=1000] [steps=200]
//
// Part 1 uses synthetic states (one channel changes per step, as when the guest opens channels
// one by one). Part 2, when the engine is built, drives a real session of a generated scenario
// with that many devices and measures inspect() + build + diff per step.
import type { ChannelView, PageView, SimulationSession, SimulationState, SynicView } from '../../src/simulator/engine/api';
import type { ScenarioConfig } from '../../src/simulator/model/config';
import { buildChannelsModel, newChannelsCache } from '../../src/extension/views/model/channels';
import { buildExposureModel, newExposureCache } from '../../src/extension/views/model/exposure';
import { buildSynicsModel } from '../../src/extension/views/model/synics';
import { buildNegotiationModel, newNegotiationCache } from '../../src/extension/views/model/negotiation';
import { diffModels, type TreeModel, type ViewNode } from '../../src/extension/views/model/node';
import { recordFigure } from '../record';
import { defaultConfig } from '../../src/simulator/engine/defaults';

const CHANNELS = Number(process.argv[2] ?? 1000);
const STEPS = Number(process.argv[3] ?? 200);
const WARMUP = 20;

/** What getTreeItem does per node (minus the vscode objects): copy out label, description, icon, tooltip. */
function render(n: ViewNode): number {
  const item = { id: n.id, label: n.label, description: n.description, tooltip: n.tooltip, icon: n.icon?.id, ctx: n.contextValue };
  return item.label.length + (item.description?.length ?? 0);
}

/** Nodes VS Code re-reads when an element fires: the element and its expanded descendants. */
function renderSubtree(m: TreeModel, id: string): number {
  const n = m.nodes.get(id);
  if (!n) return 0;
  let count = 1;
  render(n);
  if (n.expand === 'expanded') for (const c of n.children) count += renderSubtree(m, c);
  return count;
}

function renderAll(m: TreeModel): number {
  let count = 0;
  for (const r of m.roots) count += renderSubtree(m, r);
  return count;
}

function quantile(ms: number[], q: number): number {
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const p = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return `mean ${mean.toFixed(3)} ms · p50 ${p(0.5).toFixed(3)} · p95 ${p(0.95).toFixed(3)} · max ${s[s.length - 1].toFixed(3)}`;
}

function syntheticChannels(n: number): ChannelView[] {
  const classes = [
    ['ba6163d9-04a1-4d29-b605-72e2ffb1dc7f', 'storvsc'],
    ['f8615163-df3e-46c5-913f-f2d2f965ed0e', 'netvsc'],
    ['34d14be3-dee4-41c8-9ae7-6b174977c192', 'hv_sock'],
  ];
  return Array.from({ length: n }, (_, i) => {
    const [guid, name] = classes[i % classes.length];
    const para = i % 2 === 0;
    return {
      relid: i + 1,
      device: `${name}${i}`,
      classGuid: guid,
      className: name,
      instanceGuid: `00000000-0000-0000-0000-${(i + 1).toString(16).padStart(12, '0')}`,
      subchannelIndex: 0,
      hostedBy: para ? 'paravisor' : 'host',
      relayed: !para,
      chnFlags: para ? 0x2 : 0,
      connectionId: 0x2000 + i,
      monitorId: i % 4 === 0 ? i % 128 : undefined,
      state: 'offered',
      confidentialRing: para,
      confidentialExternal: false,
      gpadls: [],
      subchannels: [],
    };
  });
}

function syntheticSynics(vps: number, eom: number): SynicView[] {
  const reg = (name: string, msr: number, value: string): SynicView['scontrol'] => ({ name, msr, value, fields: { enable: true }, path: 'ghcb' });
  const out: SynicView[] = [];
  for (let vp = 0; vp < vps; vp++) {
    for (const owner of ['hypervisor', 'paravisor'] as const) {
      out.push({
        owner,
        vp,
        scontrol: reg('SCONTROL', 0x40000080, '0x1'),
        simp: reg('SIMP', 0x40000083, '0x1001'),
        siefp: reg('SIEFP', 0x40000082, '0x2001'),
        sints: Array.from({ length: 16 }, (_, i) => ({ name: `SINT${i}`, msr: 0x40000090 + i, value: i === 2 ? '0xf3' : '0x10000', fields: (i === 2 ? { vector: 0xf3, masked: false, proxy: false } : {}) as Record<string, number | boolean>, path: i === 2 ? ('ghcb' as const) : null })),
        eomCount: eom,
        slots: [{ sint: 2, msgtype: null, pending: false, queued: 0 }],
        eventFlags: [{ sint: 2, bits: [] }],
      });
    }
  }
  return out;
}

function part1(): void {
  const base = syntheticChannels(CHANNELS);
  const pages: PageView[] = base.map((c) => ({
    page: `relid${c.relid}.ring`,
    gpa: '0x' + (0x100000 + c.relid * 0x8000).toString(16),
    count: 8,
    purpose: `${c.device} ring buffer`,
    owner: 'guest',
    visibility: c.confidentialRing ? 'encrypted' : 'host-visible',
    reason: c.confidentialRing ? 'chn_flags 0x2: co_ring_buffer' : 'non-confidential channel ring',
    readableBy: c.confidentialRing ? ['guest', 'paravisor'] : ['guest', 'paravisor', 'hypervisor', 'host'],
    freed: false,
  }));
  let channels = base;
  const cache = newChannelsCache();
  const exCache = newExposureCache();
  let prev = { ch: buildChannelsModel(channels, cache), ex: buildExposureModel(pages, exCache), sy: buildSynicsModel(syntheticSynics(4, 0)) };
  const incremental: number[] = [];
  const full: number[] = [];
  let fired = 0;
  let rendered = 0;
  let nodes = 0;
  for (let step = 0; step < STEPS; step++) {
    const relid = (step % CHANNELS) + 1;
    const next = step < CHANNELS ? 'open' : 'closed';
    channels = channels.map((c) => (c.relid === relid ? { ...c, state: next, gpadls: [{ handle: 0xe1e10 + relid, kind: 'ring' as const, pages: 8, gpa: '0x1000', visibility: c.confidentialRing ? ('encrypted' as const) : ('host-visible' as const), state: 'created' }] } : c));
    const t0 = performance.now();
    const ch = buildChannelsModel(channels, cache);
    const ex = buildExposureModel(pages, exCache);
    const sy = buildSynicsModel(syntheticSynics(4, step));
    const d1 = diffModels(prev.ch, ch);
    const d2 = diffModels(prev.ex, ex);
    const d3 = diffModels(prev.sy, sy);
    let r = 0;
    for (const id of d1.changed) r += renderSubtree(ch, id);
    for (const id of d2.changed) r += renderSubtree(ex, id);
    for (const id of d3.changed) r += renderSubtree(sy, id);
    const t1 = performance.now();
    // The naive way: rebuild everything and re-render every node.
    const chFull = buildChannelsModel(channels);
    renderAll(chFull);
    renderAll(buildExposureModel(pages));
    renderAll(buildSynicsModel(syntheticSynics(4, step)));
    const t2 = performance.now();
    if (step >= WARMUP) {
      incremental.push(t1 - t0);
      full.push(t2 - t1);
    }
    fired += d1.changed.length + d2.changed.length + d3.changed.length;
    rendered += r;
    nodes = ch.nodes.size + ex.nodes.size + sy.nodes.size;
    prev = { ch, ex, sy };
  }
  console.log(`synthetic: ${CHANNELS} channels, ${nodes} nodes in the three state views, ${STEPS} steps (one channel opens per step)`);
  console.log(`  incremental: build (cached) + diff + render fired : ${stats(incremental)}`);
  console.log(`  naive: rebuild + re-render every node              : ${stats(full)}`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const r = (a: number, b: number) => (a / b).toFixed(3);
  console.log(`  ratio incremental / naive (baseline)               : mean ${r(mean(incremental), mean(full))} · p50 ${r(quantile(incremental, 0.5), quantile(full, 0.5))} · p95 ${r(quantile(incremental, 0.95), quantile(full, 0.95))}`);
  console.log(`  fired per step: ${(fired / STEPS).toFixed(1)} elements, re-rendered ${(rendered / STEPS).toFixed(1)} nodes (of ${nodes})`);
  const p95 = quantile(incremental, 0.95);
  const b95 = quantile(full, 0.95);
  recordFigure({
    id: 'views.step.p95', title: `sidebar views, ${CHANNELS} channels, one step (build + diff + render), p95`, value: p95, unit: 'ms',
    baseline: { value: b95, unit: 'ms', what: 'rebuild + re-render every node, p95' }, ratio: b95 > 0 ? p95 / b95 : null,
    target: { text: 'below the full re-render', bounds: [{ of: 'ratio', op: '<', limit: 1 }] }, command: 'npm run bench:views',
  });
}

async function part2(): Promise<void> {
  let createSession: ((c: ScenarioConfig) => SimulationSession) | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    createSession = require('../../src/simulator/engine/session').createSession;
  } catch {
    console.log('engine: src/simulator/engine/session not built yet; skipped');
    return;
  }
  if (!createSession) return;
  const devices = Array.from({ length: CHANNELS }, (_, i) => ({
    name: `dev${i}`,
    classGuid: i % 2 ? 'f8615163-df3e-46c5-913f-f2d2f965ed0e' : 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f',
    className: i % 2 ? 'netvsc' : 'storvsc',
    instanceGuid: `00000000-0000-0000-0001-${(i + 1).toString(16).padStart(12, '0')}`,
    host: (i % 2 ? 'host' : 'paravisor') as 'host' | 'paravisor',
    chnFlags: i % 2 ? 0 : 0x2,
    subchannels: 0,
    sendRingBytes: 4096 * 4,
    recvRingBytes: 4096 * 4,
    bufferGpadlPages: [],
    packets: 0,
    mmioMegabytes: 0,
    open: true,
  }));
  const config: ScenarioConfig = {
    name: 'bench: many channels',
    seed: 1,
    platform: {
      isolation: 'snp',
      vpCount: 2,
      paravisor: { present: true, confidentialVmbus: true, versions: [] },
      design: 'cpuid',
      guestMaxVersion: 0x00060000,
      // Every version (an empty list is a host that accepts none: the guest never connects).
      hostVersions: defaultConfig().platform.hostVersions,
      // The defaults: OpenHCL's relay needs the host's feature flags.
      hostFeatureFlags: defaultConfig().platform.hostFeatureFlags,
      autoEoi: false,
    },
    devices,
    faults: [],
    expectations: [],
    stops: [],
    steps: [],
  };
  const t0 = performance.now();
  const s = createSession(config);
  const dry = createSession(config);
  dry.runToEnd();
  const plan = dry.events();
  const tSetup = performance.now() - t0;
  let prev: Record<string, TreeModel> | undefined;
  const cache = newChannelsCache();
  const negCache = newNegotiationCache();
  const exCache = newExposureCache();
  const per: number[] = [];
  const inspectMs: number[] = [];
  let fired = 0;
  let steps = 0;
  let nodes = 0;
  // Start where every offer is present (half way), warm up, then measure STEPS consecutive steps.
  s.goTo(Math.floor(plan.length / 2));
  while (!s.done() && steps < STEPS + WARMUP) {
    s.step('event');
    steps++;
    const a = performance.now();
    const st: SimulationState = s.inspect();
    const b = performance.now();
    const next = {
      ne: buildNegotiationModel({ events: s.events(), position: s.position(), plan, done: s.done(), guest: st.guest, paravisor: st.paravisor }, negCache),
      ch: buildChannelsModel(st.channels, cache),
      sy: buildSynicsModel(st.synics, { confidential: st.guest.confidential }),
      ex: buildExposureModel(st.pages, exCache),
    };
    let f = 0;
    if (prev) for (const k of Object.keys(next) as (keyof typeof next)[]) f += diffModels(prev[k], next[k]).changed.length;
    const c = performance.now();
    if (steps > WARMUP) {
      inspectMs.push(b - a);
      per.push(c - b);
      fired += f;
    }
    nodes = Object.values(next).reduce((n, m) => n + m.nodes.size, 0);
    prev = next;
  }
  steps -= WARMUP;
  console.log(`engine: ${CHANNELS} devices, ${plan.length} events, ${steps} steps measured from event ${Math.floor(plan.length / 2)}, ${nodes} nodes in the four views at the end (session + dry run ${tSetup.toFixed(0)} ms)`);
  console.log(`  inspect()               : ${stats(inspectMs)}`);
  console.log(`  build 4 views + diff    : ${stats(per)}`);
  console.log(`  fired per step: ${(fired / Math.max(1, steps)).toFixed(1)} elements`);
}

part1();
void part2();
