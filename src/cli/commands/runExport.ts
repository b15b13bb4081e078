// vmbus-lab run FILE.vmbus --lsvmbus | --dmesg | --sysfs DIR [--seed N] [--design probe|cpuid]
// A simulated run in the real tools' formats: the final state as `lsvmbus -vv` text, as a sysfs
// tree written under DIR (DIR/<instance>/id, class_id, ... laid out as /sys/bus/vmbus/devices),
// or the guest's dmesg lines. Called by run.ts when one of these options is given.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliIo } from '../cli';
import { guestDevices, runScenario, toDmesg, toLsvmbus, toSysfs } from '../../simulator';
import { parseScenarioFile } from '../../node/loadScenario';
import { parseStrict, seedOption, wordOption } from '../args';

export const EXPORT_FLAGS = ['--lsvmbus', '--dmesg', '--sysfs'];

const RUN_EXPORT_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  lsvmbus: { type: 'boolean' },
  dmesg: { type: 'boolean' },
  sysfs: { type: 'string' },
  seed: { type: 'string' },
  design: { type: 'string' },
} as const;

type ExportFormat = 'lsvmbus' | 'dmesg' | 'sysfs';

/** What goes with the export options, printed after an argument error. */
const WITH_EXPORT = 'with --lsvmbus, --dmesg or --sysfs DIR: only a scenario file, --seed N and --design probe|cpuid (vmbus-lab help run)\n';

/** `usage` is run's usage text, printed for --help. */
export async function runExportCommand(args: string[], io: CliIo, usage = WITH_EXPORT): Promise<number> {
  // Tokens keep the order of the format options: the message names the first one given, then the other.
  const parsed = parseStrict('run', { args, options: RUN_EXPORT_OPTIONS, allowPositionals: true, strict: true, tokens: true }, io, WITH_EXPORT);
  if (!parsed) return 2;
  const { values: v, positionals, tokens } = parsed;
  if (v.help) { io.stdout(usage); return 0; }
  const fail = (m: string): number => { io.stderr(`vmbus-lab run: ${m}\n`); return 2; };
  let format: ExportFormat | undefined;
  for (const t of tokens) {
    if (t.kind !== 'option' || (t.name !== 'lsvmbus' && t.name !== 'dmesg' && t.name !== 'sysfs')) continue;
    if (format && format !== t.name) return fail(`--${format} and --${t.name} exclude each other`);
    format = t.name;
  }
  const dir = v.sysfs;
  if (dir === '') return fail('--sysfs needs a folder');
  let seed: number | undefined;
  if (v.seed !== undefined) {
    const n = seedOption(v.seed);
    if (typeof n === 'string') return fail(n);
    seed = n;
  }
  let design: 'probe' | 'cpuid' | undefined;
  if (v.design !== undefined) {
    const d = wordOption('design', v.design, ['probe', 'cpuid'] as const);
    if (typeof d === 'object') return fail(d.error);
    design = d;
  }
  if (positionals.length > 1) return fail(`one scenario at a time with --${format ?? 'lsvmbus'} ('${positionals[1]}')`);
  const file = positionals[0];
  if (!file || !format) return fail('usage: vmbus-lab run FILE.vmbus --lsvmbus | --dmesg | --sysfs DIR');
  const abs = path.resolve(file);
  const loaded = await parseScenarioFile(abs, { workspaceRoot: path.dirname(abs), seed, design });
  if (!loaded.ok) { io.stderr(`${file}: ${loaded.reason}\n`); return 2; }
  for (const d of loaded.parsed.diagnostics) if (d.severity === 'error') io.stderr(`${file}:${d.range.line + 1}:${d.range.column + 1}: error: ${d.message}\n`);
  const config = loaded.parsed.config;
  if (!config) return fail(`${file} is not a valid scenario`);
  const run = runScenario(config, { ...(seed !== undefined ? { seed } : {}), ...(design ? { design } : {}) });
  if (format === 'dmesg') { io.stdout(toDmesg(run.events)); return 0; }
  const devices = guestDevices(run.state, run.events);
  if (format === 'lsvmbus') { io.stdout(toLsvmbus(devices)); return 0; }
  const root = path.resolve(dir!);
  try {
    for (const [rel, content] of toSysfs(devices)) {
      const target = path.join(root, rel);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    }
  } catch (e) {
    return fail(`cannot write ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  io.stdout(`${devices.length} device${devices.length === 1 ? '' : 's'} written under ${dir} (as /sys/bus/vmbus/devices)\n`);
  return 0;
}
