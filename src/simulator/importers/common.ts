// Line handling shared by the importers: any line ending (CRLF, CR, LF), literal "\r\n\t" escapes
// as a Python repr or a JSON string shows them, shell prompts, '#' comment lines, timestamps.
import { canonicalGuid, classByGuid, classByName, type DeviceClass } from '../protocol/guid';
import type { ImportDiagnostic, ImportedDevice, ImportFormat, ImportResult } from './types';

export interface SourceLine {
  /** 1-based line number in the input. */
  no: number;
  /** The text with line endings, trailing blanks and stray control characters removed. */
  text: string;
  /** Set when the line was a '#' comment line: `text` is then what followed the '#'. */
  comment?: boolean;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LITERAL_BREAK = /\\r\\n|\\n\\t/;

/**
 * Splits `text` into lines. A line holding literal escapes ("...]\r\n\tDevice_ID = ...", as copied
 * from a Python repr or JSON) becomes several logical lines sharing its number; a literal \t at
 * the start of a piece becomes a tab.
 */
export function splitLines(text: string): SourceLine[] {
  const out: SourceLine[] = [];
  if (typeof text !== 'string' || text.length === 0) return out;
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < physical.length; i++) logicalLines(physical[i], i + 1, out);
  // A file that ends with a newline has no last line.
  if (out.length && out[out.length - 1].text === '' && physical.length > 1 && /[\r\n]$/.test(text)) out.pop();
  return out;
}

/** The logical lines of one physical line (several when it holds literal escapes), appended to `out`. */
export function logicalLines(raw: string, no: number, out: SourceLine[], clean = false): void {
  // `clean`: the caller knows the text has no control characters (a chunk checked as bytes).
  // trimEnd, not /\s+$/: the same characters, without the regex's quadratic work on padded lines.
  const t = !clean && HAS_CONTROL.test(raw) ? raw.replace(CONTROL, '') : raw;
  if (firstNonBlank(t) === 35 /* # */) {
    // A comment keeps its escapes as text, except trailing ones (a quoted line's own break).
    out.push({ no, text: t.replace(/(?:\\[rnt])+\s*$/, '').trimEnd() });
    return;
  }
  if (t.indexOf('\\') >= 0 && LITERAL_BREAK.test(t)) {
    for (let piece of t.split(/(?:\\r)?\\n/)) {
      piece = piece.replace(/^\\t/, '\t').replace(/\\t/g, '\t').trimEnd();
      out.push({ no, text: piece });
    }
    return;
  }
  out.push({ no, text: t.trimEnd() });
}

/** The first character that is not white space (as String.prototype.trim sees it), or -1. */
export function firstNonBlank(t: string): number {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 11 && c !== 12 && c !== 0xa0 && c !== 0xfeff && !(c >= 0x2000 && c <= 0x200a) && c !== 0x1680 && c !== 0x2028 && c !== 0x2029 && c !== 0x202f && c !== 0x205f && c !== 0x3000) return c;
  }
  return -1;
}

/** A piece of a text read in chunks; `clean` when it is known to hold no control characters. */
export interface TextChunk {
  text: string;
  clean: boolean;
}

/**
 * Physical lines of a text that arrives in chunks (a file read piece by piece), numbered as
 * splitLines numbers them: CRLF, CR and LF each end a line; a byte-order mark is dropped.
 */
export class ChunkedLines {
  private rest = '';
  private no = 0;
  private first = true;
  private pendingCr = false;
  private clean = false;
  constructor(private readonly onLine: (raw: string, no: number, clean: boolean) => void) {}

  push(piece: string | TextChunk): void {
    let chunk = typeof piece === 'string' ? piece : piece.text;
    // A line that began in an earlier chunk is clean only if both pieces are.
    const clean = typeof piece !== 'string' && piece.clean;
    const restClean = this.clean;
    this.clean = clean;
    if (this.first && chunk.length) { this.first = false; if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1); }
    // A CR at the end of the previous chunk and an LF at the start of this one are one break.
    if (this.pendingCr) { this.pendingCr = false; if (chunk.charCodeAt(0) === 10) chunk = chunk.slice(1); }
    const hadRest = this.rest.length > 0;
    let text = this.rest + chunk;
    let start = 0;
    const n = text.length;
    // The next CR, found once and again only when passed (most texts have none: no rescans).
    let cr = text.indexOf('\r');
    for (;;) {
      const i = text.indexOf('\n', start);
      if (cr >= 0 && cr < start) cr = text.indexOf('\r', start);
      if (cr >= 0 && (i < 0 || cr < i)) {
        if (cr === n - 1) { this.pendingCr = true; this.onLine(text.slice(start, cr), ++this.no, clean && (start > 0 || restClean || !hadRest)); start = n; break; }
        this.onLine(text.slice(start, cr), ++this.no, clean && (start > 0 || restClean || !hadRest));
        start = text.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        continue;
      }
      if (i < 0) break;
      this.onLine(text.slice(start, i), ++this.no, clean && (start > 0 || restClean || !hadRest));
      start = i + 1;
    }
    this.rest = start < n ? text.slice(start) : '';
    text = '';
  }

  /** The last line when the text does not end with a line break. */
  end(): void {
    if (this.rest.length) this.onLine(this.rest, ++this.no, this.clean);
    this.rest = '';
  }
}

/** `user@host:~$ cmd`, `root@vm:/# cmd`, `$ cmd`, `PS C:\> cmd`: the command, else undefined. */
export function promptCommand(text: string): string | undefined {
  const t = text.trim();
  let m = /^(?:\([^)]*\)\s*)?[\w.-]+@[\w.-]+(?::[^\s$#>]*)?\s*[$#%>]\s*(.*)$/.exec(t);
  if (m) return m[1].trim();
  m = /^[$%]\s+(\S.*)$/.exec(t);
  if (m) return m[1].trim();
  m = /^PS [A-Za-z]:\\[^>]*>\s*(.*)$/.exec(t);
  if (m) return m[1].trim();
  return undefined;
}

/** Markdown fences and elision marks around a pasted log (```, ~~~, ..., [...], <snip>). */
export function isDecoration(text: string): boolean {
  return /^(?:```[\w-]*|~~~[\w-]*|\.{3,}|…|\[(?:\.{3}|…|snip(?:ped)?)\]|<snip(?:ped)?>|-{2,}\s*(?:snip|cut)?\s*-*)$/i.test(text.trim());
}

const COMMAND_WORDS = /^(?:sudo\s+)?(?:lsvmbus|dmesg|journalctl|grep|cat|head|tail|udevadm|trace-cmd|ls|find|for|echo|uname|python3?)\b/;

/** A '#' line that is a root prompt (`# lsvmbus -vv`) rather than a comment. */
export function rootPromptCommand(commentBody: string): string | undefined {
  const t = commentBody.trim();
  return COMMAND_WORDS.test(t) ? t : undefined;
}

/** Collects results, diagnostics and line accounting for one parser run. */
export class ImportBuilder {
  readonly result: ImportResult;
  private byRelid = new Map<number, ImportedDevice>();
  private byInstance = new Map<string, ImportedDevice>();

  constructor(kind: ImportFormat) {
    this.result = { kind, devices: [], events: [], diagnostics: [], facts: {}, unrecognized: [], stats: { lines: 0, recognized: 0, comments: 0 } };
  }

  diag(line: number, severity: ImportDiagnostic['severity'], message: string, column?: number): void {
    const d: ImportDiagnostic = { line: Math.max(1, line | 0), message, severity };
    if (column !== undefined && column >= 1) d.column = column;
    this.result.diagnostics.push(d);
  }

  /** Keeps a line nobody understood, and reports it. */
  unknown(line: SourceLine, severity: 'warning' | 'info', why: string): void {
    this.result.unrecognized.push({ line: line.no, text: line.text });
    this.diag(line.no, severity, `${why}: ${clip(line.text)}`);
  }

  command(line: number, command: string): void {
    (this.result.facts.commands ??= []).push({ line, command });
  }

  /** The device with this relid / instance (created when absent). */
  device(key: { relid?: number; instanceGuid?: string }, line: number): ImportedDevice {
    let d: ImportedDevice | undefined;
    if (key.instanceGuid) d = this.byInstance.get(key.instanceGuid);
    if (!d && key.relid !== undefined) d = this.byRelid.get(key.relid);
    if (!d) {
      d = { lines: [] };
      this.result.devices.push(d);
    }
    if (key.relid !== undefined && d.relid === undefined) { d.relid = key.relid; this.byRelid.set(key.relid, d); }
    if (key.instanceGuid && d.instanceGuid === undefined) { d.instanceGuid = key.instanceGuid; this.byInstance.set(key.instanceGuid, d); }
    if (!d.lines.includes(line)) d.lines.push(line);
    return d;
  }

  findByRelid(relid: number): ImportedDevice | undefined {
    return this.byRelid.get(relid);
  }
  findByInstance(guid: string): ImportedDevice | undefined {
    return this.byInstance.get(guid);
  }
  /** Registers a relid found later for a device (a sub-channel lookup key). */
  indexRelid(relid: number, d: ImportedDevice): void {
    if (!this.byRelid.has(relid)) this.byRelid.set(relid, d);
  }

  /** Sets the class from a GUID, checking it against what is known. */
  setClass(d: ImportedDevice, guid: string, line: number): void {
    const g = canonicalGuid(guid);
    if (!g) return;
    if (d.classGuid && d.classGuid !== g) {
      this.diag(line, 'error', `class ${g} contradicts class ${d.classGuid} given on line ${d.lines[0]} for the same device`);
      return;
    }
    d.classGuid = g;
    const c = classByGuid(g);
    if (c) d.className = c.name;
  }

  finish(): ImportResult {
    const r = this.result;
    for (const d of r.devices) finishDevice(d);
    r.devices.sort(byRelid);
    r.diagnostics.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
    return r;
  }
}

function finishDevice(d: ImportedDevice): void {
  if (d.classGuid) {
    const c = classByGuid(d.classGuid);
    if (c) d.className = c.name;
    // What lsvmbus would print for it ('Unknown' for a class missing from its table).
    d.description ??= c ? c.description : 'Unknown';
  }
  if (d.channels && d.channels.length) {
    d.targetCpus = d.channels.some((c) => c.targetCpu !== undefined) ? d.channels.map((c) => c.targetCpu ?? -1).filter((c) => c >= 0) : d.targetCpus;
    d.subchannels = Math.max(0, d.channels.length - 1);
  }
  d.lines.sort((a, b) => a - b);
}

export function byRelid(a: ImportedDevice, b: ImportedDevice): number {
  const ra = a.relid ?? Number.MAX_SAFE_INTEGER;
  const rb = b.relid ?? Number.MAX_SAFE_INTEGER;
  return ra - rb || (a.lines[0] ?? 0) - (b.lines[0] ?? 0);
}

/** Adds a channel (relid, cpu) to a device, primary first; repeated relids update in place. */
export function addChannel(d: ImportedDevice, relid: number, cpu?: number, subIndex?: number): void {
  const list = (d.channels ??= []);
  let c = list.find((x) => x.relid === relid);
  if (!c) {
    c = { relid };
    list.push(c);
    // Primary (the device relid) first, then the rest by relid.
    list.sort((x, y) => (x.relid === d.relid ? -1 : y.relid === d.relid ? 1 : x.relid - y.relid));
  }
  if (cpu !== undefined) c.targetCpu = cpu;
  if (subIndex !== undefined) c.subchannelIndex = subIndex;
}

/** A Linux driver name → the simulator's class (hv_netvsc → netvsc, hv_pci, hyperv_fb → synthvid ...). */
export function classByDriver(driver: string): DeviceClass | undefined {
  const d = driver.toLowerCase();
  return classByName(d) ?? classByName(d.replace(/^hv_/, '')) ?? classByName(DRIVER_ALIASES[d] ?? '');
}
const DRIVER_ALIASES: Record<string, string> = {
  hv_storvsc: 'storvsc', storvsc: 'storvsc', hv_netvsc: 'netvsc', hv_vmbus: '', hyperv_drm: 'synthvid', hyperv_fb: 'synthvid',
  hyperv_synthvid: 'synthvid', hv_balloon: 'hv_balloon', hid_hyperv: 'hid_hyperv', hyperv_keyboard: 'hyperv_keyboard',
};

export const GUID_TEXT = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

export function clip(s: string, n = 120): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/** Parses a non-negative decimal or 0x integer; undefined when it is not one or is unsafe. */
export function toInt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^(?:0x[0-9a-fA-F]+|-?\d+)$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

export interface Timestamped {
  time?: number;
  rest: string;
}

/**
 * Takes a log timestamp off the front of a line: dmesg `[    0.900032]`, `dmesg -T` `[Tue Nov 26
 * 06:13:37 2025]`, `dmesg -r` `<6>[ 0.9]`, a bare `0.900032` or `  0.900032]` (a line cut at the
 * bracket), journalctl/syslog `Nov 26 06:13:37 host kernel: `, ISO `2025-11-26T06:13:37.1+00:00 host kernel: `.
 */
export function stripTimestamp(text: string): Timestamped {
  let t = text.replace(/^\s+/, '');
  // dmesg -r priority, dmesg -x facility:level
  t = t.replace(/^<\d+>/, '').replace(/^[a-z]+\s*:[a-z]+\s*:\s*/, '');
  // dmesg --time-format iso
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\s+(?!\S+ kernel:)/.exec(t);
  if (iso) t = t.slice(iso[0].length);
  let time: number | undefined;
  let m = /^\[\s*(\d+\.\d+)\s*\]\s?/.exec(t) ?? /^(\d+\.\d+)\]\s?/.exec(t);
  if (m) { time = Number(m[1]); t = t.slice(m[0].length); }
  else if ((m = /^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\]\s?/.exec(t))) t = t.slice(m[0].length);
  else if ((m = /^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) \S+ kernel:\s?/.exec(t))) {
    t = t.slice(m[0].length);
    const inner = /^\[\s*(\d+\.\d+)\s*\]\s?/.exec(t);
    if (inner) { time = Number(inner[1]); t = t.slice(inner[0].length); }
  }
  return { time, rest: t };
}
