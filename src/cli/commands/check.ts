// vmbus-lab check LOG [--scenario S] [--format F] [--json] [--data-path] [--seed N]
// Conformance: runs the model on the scenario imported from the log (or on S), aligns the real
// records with the model's and prints where they part, each naming the log line and the model's
// trace event. Exit codes: 0 they agree, 1 they differ, 2 bad arguments or an unreadable/invalid file.
import * as path from 'node:path';
import { commands, type CliIo } from '../cli';
import { readLogInput } from '../readLog';
import { parseStrict, seedOption, wordOption } from '../args';
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

const CHECK_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  scenario: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  'data-path': { type: 'boolean' },
  seed: { type: 'string' },
} as const;

async function checkCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseStrict('check', { args, options: CHECK_OPTIONS, allowPositionals: true, strict: true }, io, USAGE);
  if (!parsed) return 2;
  const { values: v, positionals } = parsed;
  if (v.help) { io.stdout(USAGE); return 0; }
  const fail = (m: string): number => { io.stderr(`vmbus-lab check: ${m}\n`); return 2; };
  if (v.scenario === '') return fail('--scenario needs a file');
  const scenarioFile = v.scenario;
  let format: ImportFormat | undefined;
  if (v.format !== undefined) {
    const f = wordOption('format', v.format, IMPORT_FORMATS);
    if (typeof f === 'object') return fail(f.error);
    format = f;
  }
  let seed: number | undefined;
  if (v.seed !== undefined) {
    const n = seedOption(v.seed);
    if (typeof n === 'string') return fail(n);
    seed = n;
  }
  const json = !!v.json, dataPath = !!v['data-path'];
  if (positionals.length > 1) return fail(`one log at a time ('${positionals[1]}')`);
  const file = positionals[0];
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
