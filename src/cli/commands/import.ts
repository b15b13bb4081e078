// vmbus-lab import FILE [--format lsvmbus|sysfs|dmesg|udev|trace] [--json] [--scenario] [--verbose]
// Reads a real log of a Linux Hyper-V guest and prints its channel set (an aligned table), the
// import result as JSON, or a .vmbus scenario that simulates the VM.
// Exit codes: 0 something recognised, 2 nothing recognisable (or bad arguments / unreadable file).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commands, type CliIo } from '../cli';
import { hasContent, importedToScenario, importLog, IMPORT_FORMATS, type ImportFormat, type ImportResult } from '../../simulator';

const USAGE = `usage: vmbus-lab import FILE [--format lsvmbus|sysfs|dmesg|udev|trace] [--json] [--scenario] [--verbose]
  FILE            a saved lsvmbus (any -v level), sysfs dump (grep -r . /sys/bus/vmbus/devices/*/...),
                  dmesg, udevadm monitor or trace-cmd report text; '-' reads standard input
  --format F      the format (default: detected from the lines)
  --json          print the import result (devices, version, events, diagnostics) as JSON
  --scenario      print a .vmbus scenario that simulates this VM
  --verbose       also list the lines kept as "not about VMBus" (info diagnostics)
Diagnostics go to stderr as FILE:LINE[:COL]: severity: message.
Exit code: 0 when something was recognised, 2 when nothing was (or the arguments are wrong).
`;

function stateText(s: number | string | undefined): string {
  if (s === undefined) return '';
  if (typeof s === 'number') return ['0 offer', '1 opening', '2 open', '3 opened'][s] ?? String(s);
  return s;
}

/** The channel set as an aligned table. */
export function formatTable(r: ImportResult): string {
  const head = ['RELID', 'CLASS', 'DESCRIPTION', 'INSTANCE', 'CPUS', 'SUB', 'STATE', 'LINES'];
  const rows = r.devices.map((d) => [
    d.relid === undefined ? '-' : String(d.relid),
    d.className ?? d.classGuid ?? '-',
    d.description ?? '-',
    d.instanceGuid ?? '-',
    d.targetCpus && d.targetCpus.length ? d.targetCpus.join(',') : '-',
    d.subchannels !== undefined ? String(d.subchannels) : '-',
    stateText(d.state) || '-',
    compact(d.lines),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').replace(/\s+$/, '');
  const out = [line(head), ...rows.map(line)];
  return out.join('\n') + '\n';
}

function compact(lines: readonly number[]): string {
  if (!lines.length) return '-';
  const s = [...lines].sort((a, b) => a - b);
  return s.length > 3 ? `${s[0]}..${s[s.length - 1]}` : s.join(',');
}

function summary(r: ImportResult): string {
  const parts = [`format ${r.kind}${r.kind === 'lsvmbus' && r.facts.lsvmbusVerbosity !== undefined ? ` (${['no flag', '-v', '-vv'][r.facts.lsvmbusVerbosity]})` : ''}`,
    `${r.devices.length} device${r.devices.length === 1 ? '' : 's'}`];
  if (r.version) parts.push(`VMBus version ${r.version.major}.${r.version.minor} (line ${r.version.line})`);
  if (r.facts.confidentialVmbus) parts.push(`Confidential VMBus (line ${r.facts.confidentialVmbus.line})`);
  if (r.facts.isolation) parts.push(`isolated VM (line ${r.facts.isolation.line})`);
  if (r.events.length) parts.push(`${r.events.length} event${r.events.length === 1 ? '' : 's'}`);
  if (r.facts.drivers?.length) parts.push(`drivers registered: ${r.facts.drivers.join(', ')}`);
  return parts.join(', ') + '\n';
}

async function importCommand(args: string[], io: CliIo): Promise<number> {
  let file: string | undefined;
  let format: ImportFormat | undefined;
  let json = false;
  let scenario = false;
  let verbose = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') { io.stdout(USAGE); return 0; }
    else if (a === '--json') json = true;
    else if (a === '--scenario') scenario = true;
    else if (a === '--verbose' || a === '-v') verbose = true;
    else if (a === '--format' || a.startsWith('--format=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (!v || !(IMPORT_FORMATS as readonly string[]).includes(v)) {
        io.stderr(`vmbus-lab import: --format is one of ${IMPORT_FORMATS.join(', ')}, not '${v ?? ''}'\n`);
        return 2;
      }
      format = v as ImportFormat;
    } else if (a.startsWith('-') && a !== '-') { io.stderr(`vmbus-lab import: unknown option '${a}'\n${USAGE}`); return 2; }
    else if (file === undefined) file = a;
    else { io.stderr(`vmbus-lab import: one file at a time ('${a}')\n`); return 2; }
  }
  if (!file) { io.stderr(USAGE); return 2; }
  if (json && scenario) { io.stderr('vmbus-lab import: --json and --scenario exclude each other\n'); return 2; }
  let text: string;
  try {
    text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(path.resolve(file), 'utf8');
  } catch (e) {
    io.stderr(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return 2;
  }
  const display = file === '-' ? '<stdin>' : file;
  const r = importLog(text, format);
  let hidden = 0;
  for (const d of r.diagnostics) {
    if (d.severity === 'info' && !verbose) { hidden++; continue; }
    io.stderr(`${display}:${d.line}${d.column !== undefined ? ':' + d.column : ''}: ${d.severity}: ${d.message}\n`);
  }
  if (hidden) io.stderr(`${display}: ${hidden} line${hidden === 1 ? '' : 's'} kept as not about VMBus or for information only (--verbose lists them)\n`);
  if (!hasContent(r)) {
    io.stderr(`vmbus-lab import: nothing in ${display} is recognisable as ${format ?? 'lsvmbus, sysfs, dmesg, udevadm monitor or trace-cmd'} output\n`);
    return 2;
  }
  if (json) {
    const { detected, ...rest } = r;
    io.stdout(JSON.stringify({ file: display, detected, ...rest }, null, 2) + '\n');
  } else if (scenario) {
    io.stdout(importedToScenario(r, { source: file === '-' ? 'standard input' : path.basename(file) }));
  } else {
    io.stdout(summary(r));
    if (r.devices.length) io.stdout(formatTable(r));
  }
  return 0;
}

commands.set('import', { summary: 'read lsvmbus, sysfs, dmesg, udevadm monitor or trace-cmd text: channel set, JSON or a scenario', handler: importCommand });
