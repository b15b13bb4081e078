// vmbus-lab whatif LOG [--json]: the devices of a real VM (any log the importers read), simulated
// as logged and on SEV-SNP and TDX with OpenHCL; prints the side-by-side summary (Markdown).
// Exit codes: 0 done, 2 bad arguments, an unreadable file, or a log with no device the model can run.
import * as path from 'node:path';
import { commands, type CliIo } from '../cli';
import { readLogInput } from '../readLog';
import { parseStrict } from '../args';
import { formatWhatIf, openLog, whatIfConfidential } from '../../simulator';

const USAGE = `usage: vmbus-lab whatif LOG [--json]
  LOG     lsvmbus, sysfs, dmesg, udevadm, driverctl or trace-cmd text of a real guest
  --json  print the three runs' summaries as JSON
`;

const WHATIF_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const;

async function whatifCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseStrict('whatif', { args, options: WHATIF_OPTIONS, allowPositionals: true, strict: true }, io, USAGE);
  if (!parsed) return 2;
  const { values: v, positionals } = parsed;
  if (v.help) { io.stdout(USAGE); return 0; }
  const json = !!v.json;
  if (positionals.length > 1) { io.stderr(`vmbus-lab whatif: one log at a time ('${positionals[1]}')\n`); return 2; }
  const file = positionals[0];
  if (!file) { io.stderr(USAGE); return 2; }
  const input = await readLogInput(file, io);
  if (!input) return 2;
  const { text, display } = input;
  const opened = openLog(text, display);
  if (!opened.scenario || opened.scenario.devices.length === 0) {
    io.stderr(`vmbus-lab whatif: ${display} names no device the model can simulate (a class is needed: lsvmbus -v, sysfs, a trace's offers ...)\n`);
    return 2;
  }
  const r = whatIfConfidential(opened.scenario);
  io.stdout(json ? JSON.stringify(r, null, 2) + '\n' : formatWhatIf(r, path.basename(display)));
  return 0;
}

commands.set('whatif', { summary: 'simulate a real VM\'s devices as logged and on SNP / TDX with OpenHCL: exposure before and after', handler: whatifCommand });
