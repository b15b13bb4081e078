// vmbus-lab run --log FILE [--json] [--format F]: a real log (trace-cmd / ftrace of the
// hyperv:vmbus_* events, or a dmesg) printed as a trace: one event per record, on the log's own
// time axis and CPUs, `?` for what the log does not say. Called by run.ts when --log is given.
import type { CliIo } from '../cli';
import { readLogInput } from '../readLog';
import { parseStrict, wordOption } from '../args';
import { IMPORT_FORMATS, hasContent, type ImportFormat, formatLogEvent, LOG_TRACE_HEADER, openLog } from '../../simulator';

const RUN_LOG_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  log: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  format: { type: 'string' },
} as const;

/** What goes with --log, printed after an argument error. */
const WITH_LOG = 'with --log: only --json and --format F (vmbus-lab help run)\n';

/** `usage` is run's usage text, printed for --help. */
export async function runLogCommand(args: string[], io: CliIo, usage = WITH_LOG): Promise<number> {
  // No positionals: the log is the value of --log, and a scenario file does not go with it.
  const parsed = parseStrict('run', { args, options: RUN_LOG_OPTIONS, allowPositionals: false, strict: true }, io, WITH_LOG);
  if (!parsed) return 2;
  const { values: v } = parsed;
  if (v.help) { io.stdout(usage); return 0; }
  const fail = (m: string): number => { io.stderr(`vmbus-lab run: ${m}\n`); return 2; };
  const logs = v.log ?? [];
  if (logs.length > 1) return fail('one --log at a time');
  const file = logs[0];
  if (!file) return fail('--log needs a file');
  let format: ImportFormat | undefined;
  if (v.format !== undefined) {
    const f = wordOption('format', v.format, IMPORT_FORMATS);
    if (typeof f === 'object') return fail(f.error);
    format = f;
  }
  const json = !!v.json;
  const input = await readLogInput(file, io);
  if (!input) return 2;
  const { text, display } = input;
  const { imported, session } = openLog(text, display, format);
  for (const d of imported.diagnostics) if (d.severity !== 'info') io.stderr(`${display}:${d.line}: ${d.severity}: ${d.message}\n`);
  if (!hasContent(imported)) { io.stderr(`vmbus-lab run: nothing in ${display} is a VMBus log record\n`); return 2; }
  const events = session.events();
  let buf = '';
  const flush = (force: boolean): void => { if (buf && (force || buf.length >= 65536)) { io.stdout(buf); buf = ''; } };
  if (!json) buf += `log: ${display} (${imported.kind}, ${events.length} events, ${session.trace.vpCount} CPU${session.trace.vpCount === 1 ? '' : 's'})\n${LOG_TRACE_HEADER}\n`;
  for (const e of events) { buf += (json ? JSON.stringify(e) : formatLogEvent(e)) + '\n'; flush(false); }
  flush(true);
  return 0;
}
