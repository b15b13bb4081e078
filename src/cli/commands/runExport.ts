// vmbus-lab run FILE.vmbus --lsvmbus | --dmesg | --sysfs DIR [--seed N] [--design probe|cpuid]
// A simulated run in the real tools' formats: the final state as `lsvmbus -vv` text, as a sysfs
// tree written under DIR (DIR/<instance>/id, class_id, ... laid out as /sys/bus/vmbus/devices),
// or the guest's dmesg lines. Called by run.ts when one of these options is given.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliIo } from '../cli';
import { guestDevices, runScenario, toDmesg, toLsvmbus, toSysfs } from '../../simulator';
import { parseScenarioFile } from '../../node/loadScenario';

export const EXPORT_FLAGS = ['--lsvmbus', '--dmesg', '--sysfs'];

export async function runExportCommand(args: string[], io: CliIo): Promise<number> {
  let file: string | undefined;
  let format: 'lsvmbus' | 'dmesg' | 'sysfs' | undefined;
  let dir: string | undefined;
  let seed: number | undefined;
  let design: 'probe' | 'cpuid' | undefined;
  const fail = (m: string): number => { io.stderr(`vmbus-lab run: ${m}\n`); return 2; };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string | undefined => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i]);
    const set = (f: 'lsvmbus' | 'dmesg' | 'sysfs'): number | undefined => { if (format && format !== f) return fail(`--${format} and --${f} exclude each other`); format = f; return undefined; };
    let r: number | undefined;
    if (a === '--lsvmbus') r = set('lsvmbus');
    else if (a === '--dmesg') r = set('dmesg');
    else if (a === '--sysfs' || a.startsWith('--sysfs=')) { r = set('sysfs'); dir = value(); if (!dir) return fail('--sysfs needs a folder'); }
    else if (a === '--seed' || a.startsWith('--seed=')) {
      const v = value();
      const n = v !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) return fail(`--seed needs a number from 0 to 4294967295, not '${v ?? ''}'`);
      seed = n;
    } else if (a === '--design' || a.startsWith('--design=')) {
      const v = value();
      if (v !== 'probe' && v !== 'cpuid') return fail(`--design is probe or cpuid, not '${v ?? ''}'`);
      design = v;
    } else if (a.startsWith('-')) return fail(`'${a}' does not go with --lsvmbus, --dmesg or --sysfs (use --seed, --design)`);
    else if (file === undefined) file = a;
    else return fail(`one scenario at a time with --${format ?? 'lsvmbus'} ('${a}')`);
    if (r !== undefined) return r;
  }
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
