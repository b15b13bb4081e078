// vmbus-lab check LOG [--scenario S] [--format F] [--json] [--data-path] [--seed N]
// Conformance: runs the model on the scenario imported from the log (or on S), aligns the real
// records with the model's and prints where they part, each naming the log line and the model's
// trace event. Exit codes: 0 they agree, 1 they differ, 2 bad arguments or an unreadable/invalid file.
import * as path from 'node:path';
import { commands, type CliIo } from '../cli';
import { readLogInput } from '../readLog';
import { IMPORT_FORMATS, hasContent, type ImportFormat, runScenario, checkLog, formatCheck, openLog } from '../../simulator';
import { formatDiagnostic } from './run';
import { parseScenarioFile } from '../../node/loadScenario';

const USAGE = `usage: vmbus-lab check LOG [--scenario S.vmbus] [--format trace|dmesg] [--json] [--data-path] [--seed N]
  LOG             trace-cmd / ftrace text of the hyperv:vmbus_* events, or a dmesg, of a real guest
  --scenario S    run this scenario as the model (default: the scenario imported from LOG)
  --format F      the log's format (default: detected)
  --json          print the differences as JSON
  --data-path     also compare vmbus_chan_sched / vmbus_on_event / vmbus_setevent records
  --seed N        the model's seed
Differences the model always has (pids, times, relids it numbers itself, page addresses, GPADL
handles) are hidden and counted; docs/importers.md lists them.
Exit code: 0 when the log and the model agree, 1 when they differ, 2 on bad arguments or files.
`;

async function checkCommand(args: string[], io: CliIo): Promise<number> {
  let file: string | undefined;
  let scenarioFile: string | undefined;
  let format: ImportFormat | undefined;
  let json = false;
  let dataPath = false;
  let seed: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string | undefined => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i]);
    if (a === '--help' || a === '-h') { io.stdout(USAGE); return 0; }
    else if (a === '--json') json = true;
    else if (a === '--data-path') dataPath = true;
    else if (a === '--scenario' || a.startsWith('--scenario=')) {
      scenarioFile = value();
      if (!scenarioFile) { io.stderr('vmbus-lab check: --scenario needs a file\n'); return 2; }
    } else if (a === '--format' || a.startsWith('--format=')) {
      const v = value();
      if (!v || !(IMPORT_FORMATS as readonly string[]).includes(v)) { io.stderr(`vmbus-lab check: --format is one of ${IMPORT_FORMATS.join(', ')}, not '${v ?? ''}'\n`); return 2; }
      format = v as ImportFormat;
    } else if (a === '--seed' || a.startsWith('--seed=')) {
      const v = value();
      const n = v !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) { io.stderr(`vmbus-lab check: --seed needs a number from 0 to 4294967295, not '${v ?? ''}'\n`); return 2; }
      seed = n;
    } else if (a.startsWith('-') && a !== '-') { io.stderr(`vmbus-lab check: unknown option '${a}'\n${USAGE}`); return 2; }
    else if (file === undefined) file = a;
    else { io.stderr(`vmbus-lab check: one log at a time ('${a}')\n`); return 2; }
  }
  if (!file) { io.stderr(USAGE); return 2; }
  const input = await readLogInput(file, io);
  if (!input) return 2;
  const { text, display } = input;
  const opened = openLog(text, display, format);
  const r = opened.imported;
  if (!hasContent(r) || (r.kind !== 'trace' && r.kind !== 'dmesg')) {
    io.stderr(`vmbus-lab check: ${display} is ${hasContent(r) ? `a ${r.kind} listing` : 'not a log the importers recognise'}; check needs a trace-cmd text of the hyperv:vmbus_* events or a dmesg\n`);
    return 2;
  }
  let config = opened.scenario;
  let modelName = 'the scenario imported from the log';
  if (scenarioFile) {
    // Through the contained loader, as `run` reads scenarios: includes stay inside the folder of
    // the current directory (or the scenario's own), regular files only, within the budget.
    const abs = path.resolve(scenarioFile);
    const cwd = process.cwd();
    const workspaceRoot = abs.startsWith(cwd + path.sep) ? cwd : path.dirname(abs);
    const loaded = await parseScenarioFile(abs, { workspaceRoot, seed });
    if (!loaded.ok) { io.stderr(`${scenarioFile}: ${loaded.reason}\n`); return 2; }
    const parsed = loaded.parsed;
    for (const d of parsed.diagnostics) if (d.severity === 'error') io.stderr(formatDiagnostic(d, () => scenarioFile!) + '\n');
    if (!parsed.config) { io.stderr(`vmbus-lab check: ${scenarioFile} is not a valid scenario\n`); return 2; }
    config = parsed.config;
    modelName = scenarioFile;
  } else if (!config) {
    io.stderr(`vmbus-lab check: the scenario imported from ${display} does not parse; give one with --scenario\n`);
    return 2;
  }
  const run = runScenario(config, seed !== undefined ? { seed } : {});
  const result = checkLog(r, run.events, { dataPath });
  if (json) {
    const { logTrace: _a, modelTrace: _b, ...rest } = result;
    io.stdout(JSON.stringify({ file: display, model: modelName, ...rest }, null, 2) + '\n');
  } else {
    io.stdout(formatCheck(result, display, modelName));
  }
  return result.differences.length ? 1 : 0;
}

commands.set('check', { summary: 'check a real log (trace-cmd or dmesg) against the model: where they part, by log line', handler: checkCommand });
