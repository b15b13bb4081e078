// The runs whose JSON-lines traces are pinned byte for byte (test/fixtures/golden/*.jsonl.gz):
// every example and every valid scenario fixture under both discovery designs and two seeds,
// the importer fixtures turned into scenarios, a busy multi-channel data path, every fault of the
// catalogue (with and without a paravisor), scripted steps and the debugger's edits. They pin
// the model's behaviour while its structure changes (issue 12): a refactor keeps them identical;
// a behaviour change re-records them in its own commit.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSession } from '../../../src/simulator/engine/session';
import { defaultConfig, NETVSC_CLASS, STORVSC_CLASS } from '../../../src/simulator/engine/defaults';
import { FAULT_CATALOGUE } from '../../../src/simulator/engine/faults';
import { parseScenario } from '../../../src/simulator/scenario/parser';
import { importLog } from '../../../src/simulator/importers/index';
import { importedToScenario } from '../../../src/simulator/importers/scenario';
import { toJsonLines } from '../../../src/simulator/trace/store';
import type { DeviceConfig, ScenarioConfig } from '../../../src/simulator/model/config';

export const ROOT = path.resolve(__dirname, '../../../..');
export const GOLDEN_DIR = path.join(ROOT, 'test/fixtures/golden');

export interface GoldenCase {
  name: string;
  /** The run's trace as JSON lines (what `vmbus-lab run --json` prints). */
  run: () => string;
}

const DESIGNS = ['probe', 'cpuid'] as const;
const SEEDS = [1, 7];

function vmbusFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...vmbusFiles(p));
    else if (e.name.endsWith('.vmbus')) out.push(p);
  }
  return out.sort();
}

/** Parses like `vmbus-lab run --seed S --design D` does (the seed also draws omitted instance GUIDs). */
function parseFile(abs: string, text: string, opts: { seed?: number; design?: 'probe' | 'cpuid' } = {}): ScenarioConfig | undefined {
  const r = parseScenario(text, abs, {
    readFile: (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
    workspaceRoot: ROOT,
    ...opts,
  });
  return r.config;
}

function traceOf(cfg: ScenarioConfig, opts: { seed?: number; design?: 'probe' | 'cpuid' } = {}): string {
  const s = createSession(cfg, opts);
  s.runToEnd();
  return toJsonLines(s.events());
}

function slug(rel: string): string {
  return rel.replace(/\.(vmbus|txt)$/, '').replace(/[^A-Za-z0-9]+/g, '-');
}

/** Many channels on both hosts, subchannels, monitor ids, small rings (writers block), 4 VPs, lost interrupts. */
export function busyConfig(): ScenarioConfig {
  const c = defaultConfig();
  c.name = 'busy-data-path';
  c.platform.vpCount = 4;
  const devs: DeviceConfig[] = [];
  for (let i = 0; i < 24; i++) {
    devs.push({
      name: `dev${i}`, classGuid: i % 2 ? NETVSC_CLASS : STORVSC_CLASS, instanceGuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      host: i % 3 === 0 ? 'host' : 'paravisor', chnFlags: i % 3 === 0 ? 0 : 2, monitorId: i % 4 === 1 ? i : undefined, subchannels: i % 5 === 0 ? 2 : 0,
      sendRingBytes: i % 2 ? 0x2000 : 0x3000, recvRingBytes: 0x2000, bufferGpadlPages: i % 6 === 0 ? [40] : [], packets: 400 + i * 10, mmioMegabytes: 0, open: true,
    });
  }
  c.devices = devs;
  c.faults = [
    { kind: 'lost-interrupt', trigger: { device: 'dev1' }, params: {} },
    { kind: 'lost-interrupt', trigger: { relid: 7 }, params: {} },
  ];
  return c;
}

/** Default configuration with one fault; `hostOnly` moves every device to the host (no paravisor server). */
function faultConfig(kind: string, hostOnly: boolean): ScenarioConfig {
  const c = defaultConfig();
  c.name = `fault-${kind}${hostOnly ? '-host' : ''}`;
  c.platform.vpCount = 2;
  if (hostOnly) {
    c.platform.paravisor = { present: false, confidentialVmbus: false, versions: [] };
    c.devices = c.devices.map((d) => ({ ...d, host: 'host', chnFlags: 0 }));
  }
  c.devices.push({
    name: 'sub0', classGuid: STORVSC_CLASS, className: 'storvsc', instanceGuid: '11111111-2222-4333-8444-555555555555', host: hostOnly ? 'host' : 'paravisor',
    chnFlags: hostOnly ? 0 : 2, subchannels: 1, sendRingBytes: 0x4000, recvRingBytes: 0x4000, bufferGpadlPages: [30], packets: 4, mmioMegabytes: 0, open: true,
  });
  const trigger: ScenarioConfig['faults'][number]['trigger'] = {};
  const params: Record<string, string | number> = {};
  switch (kind) {
    case 'drop': trigger.msgtype = 'CHANNELMSG_GPADL_CREATED'; trigger.nth = 1; break;
    case 'delay': trigger.msgtype = 'CHANNELMSG_OFFERCHANNEL'; params.us = 250; break;
    case 'duplicate': trigger.msgtype = 'CHANNELMSG_OFFERCHANNEL'; trigger.nth = 1; break;
    case 'corrupt': trigger.msgtype = 'CHANNELMSG_OFFERCHANNEL'; trigger.nth = 2; params.field = 'offer.chn_flags'; params.value = '0x4'; break;
    case 'busy-slot': trigger.msgtype = 'CHANNELMSG_VERSION_RESPONSE'; break;
    case 'post-fails': trigger.msgtype = 'CHANNELMSG_OPENCHANNEL'; trigger.nth = 1; break;
    case 'gpadl-fails': trigger.device = 'nic0'; break;
    case 'open-fails': trigger.device = 'disk0'; break;
    case 'rescind-during-open': trigger.device = 'nic0'; break;
    case 'lost-interrupt': trigger.device = 'disk0'; break;
    default: break;
  }
  c.faults = [{ kind, trigger, params }];
  c.steps = [{ kind: 'close', device: 'sub0' }, { kind: 'rescind', device: 'disk0' }, { kind: 'unload' }];
  return c;
}

/** A session stepped to a point, then edited the way the debugger's setValue / inject do. */
function editedRun(): string {
  const cfg = defaultConfig();
  cfg.name = 'edits';
  const s = createSession(cfg, { design: 'probe' });
  s.runUntil((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL' && e.to === 'guest');
  const r1 = s.setValue('pending.chn_flags', 0x6);
  s.runUntil((e) => e.kind === 'phase' && e.action === 'begin' && e.name === 'data');
  const r2 = s.inject({ kind: 'rescind', relid: 1 });
  s.runToEnd();
  return `${JSON.stringify({ setValue: r1, inject: r2 })}\n${toJsonLines(s.events())}`;
}

export function goldenCases(): GoldenCase[] {
  const cases: GoldenCase[] = [];
  const scenarioFiles = [...vmbusFiles(path.join(ROOT, 'examples')), ...vmbusFiles(path.join(ROOT, 'test/fixtures'))];
  for (const abs of scenarioFiles) {
    const rel = path.relative(ROOT, abs);
    const text = fs.readFileSync(abs, 'utf8');
    if (!parseFile(abs, text)) continue; // an invalid fixture (it tests diagnostics) has no run
    for (const design of DESIGNS) {
      for (const seed of SEEDS) cases.push({ name: `${slug(rel)}.${design}.seed${seed}`, run: () => traceOf(parseFile(abs, text, { design, seed })!, { design, seed }) });
    }
  }
  for (const dir of ['test/fixtures/import', 'test/fixtures/real']) {
    for (const f of fs.readdirSync(path.join(ROOT, dir)).sort()) {
      const abs = path.join(ROOT, dir, f);
      const imported = importLog(fs.readFileSync(abs, 'utf8'));
      const text = importedToScenario(imported);
      if (!parseFile(abs + '.vmbus', text)) continue;
      for (const design of DESIGNS) cases.push({ name: `${slug(path.join(dir, f))}.imported.${design}`, run: () => traceOf(parseFile(abs + '.vmbus', text, { design })!, { design }) });
    }
  }
  cases.push({ name: 'busy-data-path.cpuid', run: () => traceOf(busyConfig(), { design: 'cpuid', seed: 3 }) });
  cases.push({ name: 'busy-data-path.probe', run: () => traceOf(busyConfig(), { design: 'probe', seed: 4 }) });
  for (const f of FAULT_CATALOGUE) {
    for (const hostOnly of [false, true]) {
      cases.push({ name: `fault-${f.id}${hostOnly ? '-host' : ''}`, run: () => traceOf(faultConfig(f.id, hostOnly), { design: hostOnly ? 'cpuid' : 'probe' }) });
    }
  }
  cases.push({ name: 'edits.probe', run: editedRun });
  return cases;
}
