// `vmbus-lab import` of a large trace-cmd text: throughput and peak memory, against a plain Node
// line split of the same file measured in the same run (issue 15's importer row).
//
// The input is what the issue measured: the trace-cmd export of a 128-channel run (2,000 packets
// per channel, 4 VPs, SNP with a paravisor), five copies back to back (about 55 MB). Each
// measurement runs in its own process (bench/import/measure.cjs) so its peak memory (maxRSS) is
// its own; wall time is taken around the whole process, Node's start included. Three rounds,
// interleaved; medians.
//
// Run: npm run bench:import   (builds first; or `node out/bench/import/run.js [copies]` after a build)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseScenario } from '../../src/simulator/scenario/index';
import { runScenario } from '../../src/simulator/engine/session';
import { toTraceCmd } from '../../src/simulator/trace/traceCmd';
import { recordFigure } from '../record';

const ROOT = path.resolve(__dirname, '../../..');
const COPIES = Number(process.argv[2] ?? 5);
const ROUNDS = 3;

function scenario(): string {
  const lines = ['scenario "import bench, 128 channels"', 'seed 1', '', 'platform {', '  isolation snp', '  vps 4', '  design cpuid', '  max_version 6.0', '}', '',
    'paravisor {', '  present yes', '  confidential_vmbus yes', '}', ''];
  for (let i = 0; i < 128; i++) {
    const para = i % 2 === 0;
    lines.push(`device dev${i} ${para ? 'storvsc' : 'netvsc'} {`, `  hosted_by ${para ? 'paravisor' : 'host'}`, '  packets 2000');
    if (para) lines.push('  flags confidential_ring_buffer');
    lines.push('}', '');
  }
  return lines.join('\n');
}

/** The input file (made once per machine, in the temp folder). */
function input(): string {
  const dir = path.join(os.tmpdir(), 'vmbus-bench-import');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `run128x${COPIES}.trace`);
  if (fs.existsSync(file)) return file;
  const parsed = parseScenario(scenario(), path.join(dir, 'run128.vmbus'));
  if (!parsed.config) throw new Error('bench scenario does not parse: ' + parsed.diagnostics.map((d) => d.message).join('; '));
  const text = toTraceCmd(runScenario(parsed.config).events);
  const fd = fs.openSync(file + '.tmp', 'w');
  for (let i = 0; i < COPIES; i++) fs.writeSync(fd, text);
  fs.closeSync(fd);
  fs.renameSync(file + '.tmp', file);
  return file;
}

interface Sample { wallMs: number; cpuMs: number; maxRssKiB: number }

function measure(args: string[]): Sample {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench/import/measure.cjs'), ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallMs = performance.now() - t0;
  const line = (r.stderr ?? '').split('\n').find((l) => l.startsWith('BENCH '));
  if (r.status !== 0 || !line) throw new Error(`measure ${args.join(' ')} failed (status ${r.status}): ${(r.stderr ?? '').slice(-500)}`);
  const m = JSON.parse(line.slice(6)) as { maxRssKiB: number; cpuMs: number };
  return { wallMs, ...m };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];


function main(): void {
  if (!fs.existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: npm run build first');
  const file = input();
  const mb = fs.statSync(file).size / 1e6;
  const runs: Record<'split' | 'import' | 'json', Sample[]> = { split: [], import: [], json: [] };
  for (let i = 0; i < ROUNDS; i++) {
    runs.split.push(measure(['split', file]));
    runs.import.push(measure(['cli', file]));
    runs.json.push(measure(['cli', file, '--json']));
  }
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const row = (name: string, xs: Sample[]) => {
    const wall = median(xs.map((x) => x.wallMs));
    const cpu = median(xs.map((x) => x.cpuMs));
    const rss = median(xs.map((x) => x.maxRssKiB)) / 1024;
    return { name, wall, cpu, rss, mbps: mb / (wall / 1000), mbpsCpu: mb / (cpu / 1000) };
  };
  const split = row('plain line split (readFileSync + split)', runs.split);
  const imp = row('vmbus-lab import FILE', runs.import);
  const json = row('vmbus-lab import FILE --json', runs.json);
  console.log(`import bench: ${path.basename(file)}, ${mb.toFixed(1)} MB, ${ROUNDS} rounds (medians); ${os.cpus().length} cores, Node ${process.version}, load ${load}`);
  console.log(`${'what'.padEnd(42)} ${'wall'.padStart(9)} ${'MB/s'.padStart(7)} ${'cpu'.padStart(9)} ${'MB/s cpu'.padStart(9)} ${'peak'.padStart(9)} ${'peak/file'.padStart(9)}`);
  for (const r of [split, imp, json]) {
    console.log(`${r.name.padEnd(42)} ${(r.wall.toFixed(0) + ' ms').padStart(9)} ${r.mbps.toFixed(1).padStart(7)} ${(r.cpu.toFixed(0) + ' ms').padStart(9)} ${r.mbpsCpu.toFixed(1).padStart(9)} ${(r.rss.toFixed(0) + ' MB').padStart(9)} ${(r.rss / mb).toFixed(2).padStart(9)}`);
  }
  console.log(`import / line split: ${(imp.wall / split.wall).toFixed(2)}× the time, ${(imp.rss / split.rss).toFixed(2)}× the peak memory`);
  const command = 'npm run bench:import';
  recordFigure({
    id: 'import.throughput', title: '`vmbus-lab import` of a 55 MB trace-cmd text', value: Number(imp.mbps.toFixed(1)), unit: 'MB/s',
    baseline: { value: Number(split.mbps.toFixed(1)), unit: 'MB/s', what: 'plain Node line split of the same file (readFileSync + split), same run' },
    ratio: Number((imp.mbps / split.mbps).toFixed(3)),
    target: { text: '≥ 50 MB/s', bounds: [{ of: 'value', op: '>=', limit: 50 }] }, command,
    note: `wall time with Node's start, median of ${ROUNDS}; CPU ${imp.mbpsCpu.toFixed(0)} MB/s; load ${load}`,
  });
  recordFigure({
    id: 'import.cpu-throughput', title: '`vmbus-lab import` of a 55 MB trace-cmd text, by CPU time (user + system)', value: Number(imp.mbpsCpu.toFixed(1)), unit: 'MB/s',
    baseline: { value: Number(split.mbpsCpu.toFixed(1)), unit: 'MB/s', what: 'plain Node line split of the same file, CPU time, same run' },
    ratio: Number((imp.mbpsCpu / split.mbpsCpu).toFixed(3)),
    target: { text: '≥ 50 MB/s', bounds: [{ of: 'value', op: '>=', limit: 50 }] }, command,
    note: 'what the importer costs, independent of how many other processes share the cores',
  });
  recordFigure({
    id: 'import.peak-memory', title: '`vmbus-lab import` peak memory (55 MB trace)', value: Number(imp.rss.toFixed(0)), unit: 'MB',
    baseline: { value: Number(mb.toFixed(1)), unit: 'MB', what: 'the file size' }, ratio: Number((imp.rss / mb).toFixed(3)),
    target: { text: '≤ 2 × the file', bounds: [{ of: 'ratio', op: '<=', limit: 2 }] }, command,
    note: `maxRSS of the process; the plain line split peaks at ${split.rss.toFixed(0)} MB`,
  });
  recordFigure({
    id: 'import.json-throughput', title: '`vmbus-lab import --json` of a 55 MB trace-cmd text (streamed)', value: Number(json.mbps.toFixed(1)), unit: 'MB/s',
    baseline: { value: Number(split.mbps.toFixed(1)), unit: 'MB/s', what: 'plain Node line split of the same file, same run' },
    ratio: Number((json.mbps / split.mbps).toFixed(3)), target: null, command,
    note: `peak ${json.rss.toFixed(0)} MB (${(json.rss / mb).toFixed(2)} × the file)`,
  });
}

main();
