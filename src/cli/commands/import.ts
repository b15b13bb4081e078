// vmbus-lab import FILE [--format lsvmbus|sysfs|dmesg|udev|trace] [--json] [--scenario] [--verbose]
// Reads a real log of a Linux Hyper-V guest and prints its channel set (an aligned table), the
// import result as JSON, or a .vmbus scenario that simulates the VM.
// Exit codes: 0 something recognised, 2 nothing recognisable (or bad arguments / unreadable file).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { commands, type CliIo } from '../cli';
import { StringDecoder } from 'node:string_decoder';
import * as v8 from 'node:v8';
import { MAX_DEVICES, detectFormat, hasContent, importedToScenario, importLog, importTraceChunks, IMPORT_FORMATS, type ImportedEvent, type ImportFormat, type ImportResult, type TextChunk } from '../../simulator';

const USAGE = `usage: vmbus-lab import FILE [--format lsvmbus|sysfs|dmesg|udev|trace] [--json] [--scenario] [--verbose]
  FILE            a saved lsvmbus (any -v level), sysfs dump (grep -r . /sys/bus/vmbus/devices/*/...),
                  dmesg, udevadm monitor or trace-cmd report text; '-' reads standard input
  --format F      the format (default: detected from the lines)
  --json          print the import result (devices, version, events, diagnostics) as JSON
  --scenario      print a .vmbus scenario that simulates this VM
  --verbose       also list the lines kept as "not about VMBus" (info diagnostics)
  --max-bytes N   the largest input read (default 64 MiB); a FIFO or a device is never read
Diagnostics go to stderr as FILE:LINE[:COL]: severity: message.
Exit code: 0 when something was recognised, 2 when nothing was (or the arguments are wrong).
`;

const CHUNK = 1 << 20;

interface Reader { fd: number; buf: Buffer; decoder: StringDecoder; /** Set once a chunk was not ASCII: from then on every chunk goes through the decoder. */ utf8: boolean; done: boolean }

function readSome(fd: number, buf: Buffer): number {
  for (;;) {
    try {
      return fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      // Standard input in non-blocking mode: wait for data.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); continue; }
      if ((e as NodeJS.ErrnoException).code === 'EOF') return 0;
      throw e;
    }
  }
}

/**
 * Looks at a chunk's bytes four at a time: whether it is all ASCII (then it is decoded as latin1,
 * the fastest decoder, with the same result) and whether it holds control characters other than
 * tab, LF and CR (when not, the importer need not look for them line by line).
 */
function scanBytes(b: Buffer, n: number): { ascii: boolean; clean: boolean } {
  let ascii = true;
  let clean = true;
  const words = n >> 2;
  const u32 = new Uint32Array(b.buffer, b.byteOffset, words);
  const slow = (i: number): void => {
    const c = b[i];
    if (c & 0x80) ascii = false;
    else if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f) clean = false;
  };
  for (let w = 0; w < words; w++) {
    const x = u32[w];
    const y = x ^ 0x7f7f7f7f;
    // A byte >= 0x80, a byte < 0x20, or a byte 0x7f (SWAR): look at the four bytes one by one.
    if ((x & 0x80808080) || ((x - 0x20202020) & ~x & 0x80808080) || ((y - 0x01010101) & ~y & 0x80808080)) {
      const i = w << 2;
      slow(i); slow(i + 1); slow(i + 2); slow(i + 3);
      if (!ascii && !clean) break;
    }
  }
  for (let i = words << 2; i < n; i++) slow(i);
  return { ascii, clean };
}

function decode(r: Reader, n: number): TextChunk {
  const { ascii, clean } = scanBytes(r.buf, n);
  if (ascii && !r.utf8) return { text: r.buf.toString("latin1", 0, n), clean };
  r.utf8 = true;
  return { text: r.decoder.write(r.buf.subarray(0, n)), clean };
}

/** The first chunk of a file (1 MiB): enough lines to detect the format. */
function readHead(fd: number): { reader: Reader; head: TextChunk } {
  // Not from the pool: Uint32Array needs an aligned offset.
  const reader: Reader = { fd, buf: Buffer.alloc(CHUNK), decoder: new StringDecoder('utf8'), utf8: false, done: false };
  const n = readSome(fd, reader.buf);
  if (n === 0) reader.done = true;
  return { reader, head: n ? decode(reader, n) : { text: '', clean: true } };
}

/** The file's text as chunks, the head first: UTF-8 sequences split across chunks are joined. */
function* chunksOf(reader: Reader, head: TextChunk): Generator<TextChunk> {
  yield head;
  if (reader.done) return;
  for (;;) {
    const n = readSome(reader.fd, reader.buf);
    if (n === 0) break;
    yield decode(reader, n);
  }
  const tail = reader.decoder.end();
  if (tail) yield { text: tail, clean: false };
}

function restOf(reader: Reader, head: TextChunk): string {
  const parts: string[] = [];
  for (const c of chunksOf(reader, head)) parts.push(c.text);
  return parts.join('');
}

/**
 * --json for a streamed trace: the result object with its events written one per line as they
 * are read, the rest (devices, diagnostics ...) after them. The same JSON as the whole result.
 */
function jsonEventWriter(io: CliIo, display: string, detected: boolean): { event: (e: ImportedEvent) => void; end: (r: ImportResult) => void } {
  let buf = `{\n  "file": ${JSON.stringify(display)},\n  "detected": ${detected},\n  "kind": "trace",\n  "events": [`;
  let first = true;
  return {
    event: (e) => {
      buf += (first ? '\n    ' : ',\n    ') + JSON.stringify(e);
      first = false;
      if (buf.length >= 65536) { io.stdout(buf); buf = ''; }
    },
    end: (r) => {
      const { kind: _k, events: _e, ...rest } = r as ImportResult & { detected?: boolean };
      delete (rest as { detected?: boolean }).detected;
      const tail = JSON.stringify(rest, null, 2).slice(1); // "\n  \"devices\": ... }"
      buf += `${first ? '' : '\n  '}],${tail}\n`;
      io.stdout(buf);
      buf = '';
    },
  };
}

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
  const events = r.stats.events ?? r.events.length;
  if (events) parts.push(`${events} event${events === 1 ? '' : 's'}`);
  if (r.facts.drivers?.length) parts.push(`drivers registered: ${r.facts.drivers.join(', ')}`);
  return parts.join(', ') + '\n';
}

/** Largest log read (a long trace-cmd report is tens of MiB); --max-bytes raises it. */
export const DEFAULT_IMPORT_MAX_BYTES = 64 * 1024 * 1024;
const MAX_PRINTED_DIAGNOSTICS = 100;

async function importCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        json: { type: 'boolean' },
        scenario: { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        format: { type: 'string' },
        'max-bytes': { type: 'string' },
      },
    });
  } catch (e) {
    io.stderr(`vmbus-lab import: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) { io.stdout(USAGE); return 0; }
  if (v.format !== undefined && !(IMPORT_FORMATS as readonly string[]).includes(v.format)) {
    io.stderr(`vmbus-lab import: --format is one of ${IMPORT_FORMATS.join(', ')}, not '${v.format}'\n`);
    return 2;
  }
  const format = v.format as ImportFormat | undefined;
  const json = !!v.json;
  const scenario = !!v.scenario;
  const verbose = !!v.verbose;
  let maxBytes = DEFAULT_IMPORT_MAX_BYTES;
  if (v['max-bytes'] !== undefined) {
    const n = /^\d+$/.test(v['max-bytes']) ? Number(v['max-bytes']) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) { io.stderr(`vmbus-lab import: --max-bytes needs a positive number, not '${v['max-bytes']}'\n`); return 2; }
    maxBytes = n;
  }
  if (positionals.length > 1) { io.stderr(`vmbus-lab import: one file at a time ('${positionals[1]}')\n`); return 2; }
  const file = positionals[0];
  if (!file) { io.stderr(USAGE); return 2; }
  if (json && scenario) { io.stderr('vmbus-lab import: --json and --scenario exclude each other\n'); return 2; }
  const display = file === '-' ? '<stdin>' : file;
  let r: ImportResult & { detected: boolean };
  let streamed = false;
  try {
    // A trace (the large format) is read in chunks and, unless a scenario is asked for, its events
    // are not kept: counted for the summary, or written out as they are read for --json.
    // Only a regular file (never a FIFO, which would block, or /dev/zero, which never ends),
    // opened non-blocking in case one is swapped in after the check.
    let size = 0;
    if (file !== '-') {
      const st = fs.statSync(path.resolve(file));
      if (!st.isFile()) { io.stderr(`${file}: cannot read: not a regular file\n`); return 2; }
      size = st.size;
    }
    const fd = file === '-' ? 0 : fs.openSync(path.resolve(file), fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    try {
      if (fd !== 0 && !fs.fstatSync(fd).isFile()) { io.stderr(`${file}: cannot read: not a regular file\n`); return 2; }
      const { reader, head } = readHead(fd);
      const f = format ?? detectFormat(head.text);
      // A trace is streamed (bounded memory); anything else is read whole, within the budget.
      if (!(f === 'trace' && !scenario) && size > maxBytes) {
        io.stderr(`${file}: cannot read: file too large (${size} bytes; the limit is ${maxBytes} bytes) (raise it with --max-bytes)\n`);
        return 2;
      }
      if (f === 'trace' && !scenario) {
        streamed = true;
        // Reading leaves only short-lived garbage: a young generation that does not grow keeps
        // the peak near the baseline (measured: 116 → 75 MB for 55 MB, 4% more CPU).
        v8.setFlagsFromString('--semi-space-growth-factor=1');
        const out = json ? jsonEventWriter(io, display, format === undefined) : undefined;
        const res = importTraceChunks(chunksOf(reader, head), { keepEvents: false, onEvent: out?.event });
        r = Object.assign(res, { detected: format === undefined });
        if (out) out.end(r);
      } else {
        r = importLog(restOf(reader, head), format);
      }
    } finally {
      if (fd !== 0) fs.closeSync(fd);
    }
  } catch (e) {
    io.stderr(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return 2;
  }
  let hidden = 0;
  let printed = 0;
  for (const d of r.diagnostics) {
    if (d.severity === 'info' && !verbose) { hidden++; continue; }
    if (printed++ === MAX_PRINTED_DIAGNOSTICS) io.stderr(`${display}: further diagnostics not shown\n`);
    if (printed > MAX_PRINTED_DIAGNOSTICS) continue;
    io.stderr(`${display}:${d.line}${d.column !== undefined ? ':' + d.column : ''}: ${d.severity}: ${d.message}\n`);
  }
  if (hidden) io.stderr(`${display}: ${hidden} line${hidden === 1 ? '' : 's'} kept as not about VMBus or for information only (--verbose lists them)\n`);
  if (!hasContent(r)) {
    io.stderr(`vmbus-lab import: nothing in ${display} is recognisable as ${format ?? 'lsvmbus, sysfs, dmesg, udevadm monitor or trace-cmd'} output\n`);
    return 2;
  }
  if (json && streamed) {
    // Written as it was read.
  } else if (json) {
    const { detected, ...rest } = r;
    io.stdout(JSON.stringify({ file: display, detected, ...rest }, null, 2) + '\n');
  } else if (scenario) {
    if (r.devices.length > MAX_DEVICES) {
      io.stderr(`vmbus-lab import: ${display} lists ${r.devices.length} devices; a scenario holds at most ${MAX_DEVICES} (each needs a relid below 2048)\n`);
      return 2;
    }
    io.stdout(importedToScenario(r, { source: file === '-' ? 'standard input' : path.basename(file) }));
  } else {
    io.stdout(summary(r));
    if (r.devices.length) io.stdout(formatTable(r));
  }
  return 0;
}

commands.set('import', { summary: 'read lsvmbus, sysfs, dmesg, udevadm monitor or trace-cmd text: channel set, JSON or a scenario', handler: importCommand });
