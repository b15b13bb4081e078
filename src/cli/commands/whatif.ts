// vmbus-lab whatif LOG [--json]: the devices of a real VM (any log the importers read), simulated
// as logged and on SEV-SNP and TDX with OpenHCL; prints the side-by-side summary (Markdown).
// Exit codes: 0 done, 2 bad arguments, an unreadable file, or a log with no device the model can run.
import * as path from 'node:path';
import { commands, type CliIo } from '../cli';
import { readLogInput } from '../readLog';
import { formatWhatIf, openLog, whatIfConfidential } from '../../simulator';

const USAGE = `usage: vmbus-lab whatif LOG [--json]
  LOG     lsvmbus, sysfs, dmesg, udevadm, driverctl or trace-cmd text of a real guest
  --json  print the three runs' summaries as JSON
`;

async function whatifCommand(args: string[], io: CliIo): Promise<number> {
  let file: string | undefined;
  let json = false;
  for (const a of args) {
    if (a === '--help' || a === '-h') { io.stdout(USAGE); return 0; }
    if (a === '--json') json = true;
    else if (a.startsWith('-') && a !== '-') { io.stderr(`vmbus-lab whatif: unknown option '${a}'\n${USAGE}`); return 2; }
    else if (file === undefined) file = a;
    else { io.stderr(`vmbus-lab whatif: one log at a time ('${a}')\n`); return 2; }
  }
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
