// A pasted session that mixes several tools' output, a prompt before each command
// (`azureuser@vm:~$ lsvmbus -vv`, `# dmesg | grep hv_vmbus`, `$ udevadm info -q property ...`).
// Each part, from one prompt to the next, is read by the reader of its command (or, when the
// command does not say, of the format its lines look like), with the file's own line numbers;
// the parts' devices are merged by instance GUID, then relid.
import { promptCommand, rootPromptCommand } from './common';
import type { ImportedDevice, ImportFormat, ImportResult } from './types';

/** The format a command prints, when the command says it. */
export function formatOfCommand(command: string): Exclude<ImportFormat, 'mixed'> | undefined {
  const c = command.replace(/^sudo\s+/, '');
  if (/\blsvmbus\b/.test(c)) return 'lsvmbus';
  if (/\bdriverctl\b/.test(c)) return 'driverctl';
  if (/\budevadm\s+(?:monitor|info)\b/.test(c)) return 'udev';
  if (/\btrace-cmd\b|\/tracing\/trace(?:_pipe)?\b/.test(c)) return 'trace';
  if (/\b(?:dmesg|journalctl)\b/.test(c)) return 'dmesg';
  if (/\/sys\/(?:bus\/vmbus|devices)\b/.test(c)) return 'sysfs';
  return undefined;
}

export interface SessionPart {
  /** 1-based first and last line of the part (the prompt line first). */
  from: number;
  to: number;
  command?: string;
  format?: Exclude<ImportFormat, 'mixed'>;
}

/** The parts of a pasted session: a part starts at each prompt line. */
export function sessionParts(text: string): SessionPart[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const parts: SessionPart[] = [];
  let cur: SessionPart | undefined;
  lines.forEach((raw, i) => {
    const t = raw.trim();
    const cmd = t.startsWith('#') ? rootPromptCommand(t.replace(/^#+\s?/, '')) : promptCommand(t);
    if (cmd !== undefined) {
      if (cur) parts.push(cur);
      cur = { from: i + 1, to: i + 1, command: cmd };
      const f = formatOfCommand(cmd);
      if (f) cur.format = f;
      return;
    }
    if (!cur) cur = { from: i + 1, to: i + 1 };
    cur.to = i + 1;
  });
  if (cur) parts.push(cur);
  return parts;
}

/** Whether the text is a session whose prompts name commands of two or more formats. */
export function isMixedSession(text: string): boolean {
  const formats = new Set(sessionParts(text).map((p) => p.format).filter((f) => f !== undefined));
  return formats.size >= 2;
}

function mergeDevice(into: ImportedDevice, d: ImportedDevice): void {
  for (const [k, v] of Object.entries(d) as [keyof ImportedDevice, unknown][]) {
    if (v === undefined || k === 'lines' || k === 'attributes') continue;
    if ((into as unknown as Record<string, unknown>)[k] === undefined) (into as unknown as Record<string, unknown>)[k] = v;
  }
  if (d.attributes) into.attributes = { ...d.attributes, ...into.attributes };
  for (const l of d.lines) if (!into.lines.includes(l)) into.lines.push(l);
  into.lines.sort((a, b) => a - b);
}

/**
 * Reads each part of a session with its own reader. `parse` reads one format (the importers'
 * PARSERS); `detectPart` names the format of a part whose command does not.
 */
export function parseMixed(
  text: string,
  parse: (format: Exclude<ImportFormat, 'mixed'>, text: string) => ImportResult,
  detectPart: (text: string) => Exclude<ImportFormat, 'mixed'> | undefined,
): ImportResult {
  const lines = typeof text === 'string' ? text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/) : [];
  const out: ImportResult = { kind: 'mixed', devices: [], events: [], diagnostics: [], facts: {}, unrecognized: [], stats: { lines: 0, recognized: 0, comments: 0 }, parts: [] };
  for (const p of sessionParts(text)) {
    // The part's lines at their own line numbers (the others blank), so every line number is the file's.
    const partText = '\n'.repeat(p.from - 1) + lines.slice(p.from - 1, p.to).join('\n');
    const body = lines.slice(p.command !== undefined ? p.from : p.from - 1, p.to).join('\n');
    const format = p.format ?? detectPart(body);
    out.parts!.push({ ...p, ...(format ? { format } : {}) });
    if (!format) {
      if (p.command !== undefined) { out.stats.lines++; out.stats.recognized++; (out.facts.commands ??= []).push({ line: p.from, command: p.command }); }
      // Every line of a part no reader knows is kept and reported, like any line not understood.
      for (let n = p.command !== undefined ? p.from + 1 : p.from; n <= p.to; n++) {
        const t = lines[n - 1].trim();
        if (!t) continue;
        out.stats.lines++;
        out.unrecognized.push({ line: n, text: t });
        out.diagnostics.push({ line: n, severity: 'warning', message: `no reader recognises this output${p.command ? ` of '${p.command}'` : ''}: ${t.length > 120 ? t.slice(0, 119) + '…' : t}` });
      }
      continue;
    }
    const r = parse(format, partText);
    out.events.push(...r.events);
    out.diagnostics.push(...r.diagnostics);
    out.unrecognized.push(...r.unrecognized);
    out.stats.lines += r.stats.lines;
    out.stats.recognized += r.stats.recognized;
    out.stats.comments += r.stats.comments;
    if (r.version) out.version = r.version;
    const f = r.facts;
    out.facts.confidentialVmbus ??= f.confidentialVmbus;
    out.facts.isolation ??= f.isolation;
    out.facts.connectFailed ??= f.connectFailed;
    out.facts.lsvmbusVerbosity ??= f.lsvmbusVerbosity;
    if (f.drivers) out.facts.drivers = [...new Set([...(out.facts.drivers ?? []), ...f.drivers])];
    if (f.commands) (out.facts.commands ??= []).push(...f.commands);
    for (const d of r.devices) {
      const same = out.devices.find((x) => (d.instanceGuid && x.instanceGuid === d.instanceGuid) || (!d.instanceGuid || !x.instanceGuid ? d.relid !== undefined && x.relid === d.relid : false));
      if (same) {
        if (same.classGuid && d.classGuid && same.classGuid !== d.classGuid) {
          out.diagnostics.push({ line: d.lines[0] ?? p.from, severity: 'error', message: `class ${d.classGuid} contradicts class ${same.classGuid} given on line ${same.lines[0]} for the same device` });
        }
        mergeDevice(same, d);
      } else out.devices.push({ ...d, lines: [...d.lines] });
    }
  }
  for (const k of Object.keys(out.facts) as (keyof typeof out.facts)[]) if (out.facts[k] === undefined) delete out.facts[k];
  out.devices.sort((a, b) => (a.relid ?? Number.MAX_SAFE_INTEGER) - (b.relid ?? Number.MAX_SAFE_INTEGER) || (a.lines[0] ?? 0) - (b.lines[0] ?? 0));
  out.events.sort((a, b) => a.line - b.line);
  out.diagnostics.sort((a, b) => a.line - b.line);
  return out;
}
