// vmbus-lab run --log FILE [--json] [--format F]: a real log (trace-cmd / ftrace of the
// hyperv:vmbus_* events, or a dmesg) printed as a trace: one event per record, on the log's own
// time axis and CPUs, `?` for what the log does not say. Called by run.ts when --log is given.
import type { CliIo } from '../cli';
import { readLogInput } from '../readLog';
import { IMPORT_FORMATS, hasContent, type ImportFormat, formatLogEvent, LOG_TRACE_HEADER, openLog } from '../../simulator';

export async function runLogCommand(args: string[], io: CliIo): Promise<number> {
  let file: string | undefined;
  let json = false;
  let format: ImportFormat | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string | undefined => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i]);
    if (a === '--log' || a.startsWith('--log=')) {
      const v = value();
      if (!v) { io.stderr('vmbus-lab run: --log needs a file\n'); return 2; }
      if (file !== undefined) { io.stderr('vmbus-lab run: one --log at a time\n'); return 2; }
      file = v;
    } else if (a === '--json') json = true;
    else if (a === '--format' || a.startsWith('--format=')) {
      const v = value();
      if (!v || !(IMPORT_FORMATS as readonly string[]).includes(v)) { io.stderr(`vmbus-lab run: --format is one of ${IMPORT_FORMATS.join(', ')}, not '${v ?? ''}'\n`); return 2; }
      format = v as ImportFormat;
    } else { io.stderr(`vmbus-lab run: '${a}' does not go with --log (use --json or --format)\n`); return 2; }
  }
  if (!file) { io.stderr('vmbus-lab run: --log needs a file\n'); return 2; }
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
