// Importers: real text from a Linux Hyper-V guest → a channel set, events and diagnostics, and a
// .vmbus scenario that simulates "this VM". No VS Code API here. No parser throws: whatever the
// input, the result lists what was understood and reports every line that was not.
import { isLsvmbusLine, parseLsvmbus } from './lsvmbus';
import { isSysfsLine, parseSysfs } from './sysfs';
import { isDmesgVmbusLine, isKernelLogLine, parseDmesg } from './dmesg';
import { isUdevInfoLine, isUdevLine, parseUdev } from './udev';
import { isDriverctlLine, parseDriverctl } from './driverctl';
import { isMixedSession, parseMixed } from './mixed';
import { isTraceLine, parseTrace } from './trace';
import { splitLines } from './common';
import { IMPORT_FORMATS, type ImportFormat, type ImportResult } from './types';

export * from './types';
export { parseLsvmbus } from './lsvmbus';
export { parseSysfs } from './sysfs';
export { parseDmesg } from './dmesg';
export { parseUdev } from './udev';
export { parseTrace, importTraceChunks, createTraceImport, type TraceImportOptions } from './trace';
export { parseDriverctl } from './driverctl';
export { sessionParts, formatOfCommand } from './mixed';
export { importedToScenario, type ScenarioOptions } from './scenario';

export const PARSERS: Readonly<Record<ImportFormat, (text: string) => ImportResult>> = {
  lsvmbus: parseLsvmbus,
  sysfs: parseSysfs,
  dmesg: parseDmesg,
  udev: parseUdev,
  trace: parseTrace,
  driverctl: parseDriverctl,
  mixed: (text) => parseMixed(text, (f, t) => PARSERS[f](t), (t) => detectSingle(t)),
};

export interface Detection {
  format: ImportFormat | undefined;
  /** Lines that looked like each format. */
  scores: Record<ImportFormat, number>;
}

/** Counts, per format, the lines that look like it. */
export function scoreFormats(text: string): Record<ImportFormat, number> {
  const scores: Record<ImportFormat, number> = { lsvmbus: 0, sysfs: 0, dmesg: 0, udev: 0, trace: 0, driverctl: 0, mixed: 0 };
  let kernel = 0;
  for (const l of splitLines(typeof text === 'string' ? text : '')) {
    const raw = l.text;
    const t = raw.trim().replace(/^#+\s?/, '');
    if (!t) continue;
    if (isTraceLine(raw)) scores.trace++;
    else if (isUdevLine(t) || isUdevInfoLine(t)) scores.udev++;
    else if (isDriverctlLine(t)) scores.driverctl++;
    else if (isLsvmbusLine(t)) scores.lsvmbus++;
    else if (isSysfsLine(t)) scores.sysfs++;
    else if (isDmesgVmbusLine(t)) scores.dmesg += 2;
    else if (isKernelLogLine(t)) kernel++;
  }
  // A kernel log with a timestamp on every line is dmesg even when few lines are VMBus's.
  if (scores.dmesg > 0 || (kernel > 0 && Object.values(scores).every((v) => v === 0))) scores.dmesg += kernel > 0 ? 1 : 0;
  return scores;
}

/** The single format a part of a session is in (never 'mixed'). */
function detectSingle(text: string): Exclude<ImportFormat, 'mixed'> | undefined {
  const scores = scoreFormats(text);
  let best: Exclude<ImportFormat, 'mixed'> | undefined;
  for (const f of IMPORT_FORMATS) if (f !== 'mixed' && scores[f] > 0 && (best === undefined || scores[f] > scores[best])) best = f;
  return best;
}

/** The format `text` is in, by which kind of line it has most of; undefined when none matches. */
export function detectFormat(text: string): ImportFormat | undefined {
  return detect(text).format;
}

export function detect(text: string): Detection {
  const scores = scoreFormats(text);
  // A session whose prompts run commands of two formats is read part by part.
  if (typeof text === 'string' && isMixedSession(text)) return { format: 'mixed', scores: { ...scores, mixed: 1 } };
  let best: ImportFormat | undefined;
  for (const f of IMPORT_FORMATS) if (scores[f] > 0 && (best === undefined || scores[f] > scores[best])) best = f;
  return { format: best, scores };
}

/**
 * Imports `text` in the given format, or the detected one. When nothing matches any format the
 * result is an empty lsvmbus-kind result whose diagnostics report every line.
 */
export function importLog(text: string, format?: ImportFormat): ImportResult & { detected: boolean } {
  const f = format ?? detectFormat(text);
  const parse = PARSERS[f ?? 'lsvmbus'];
  let r: ImportResult;
  try {
    r = parse(typeof text === 'string' ? text : '');
  } catch (e) {
    // Not expected; an importer must never throw. Report instead of failing the caller.
    r = { kind: f ?? 'lsvmbus', devices: [], events: [], facts: {}, unrecognized: [], stats: { lines: 0, recognized: 0, comments: 0 },
      diagnostics: [{ line: 1, severity: 'error', message: `internal error in the ${f ?? 'lsvmbus'} importer: ${e instanceof Error ? e.message : String(e)}` }] };
  }
  if (!f) r.diagnostics.unshift({ line: 1, severity: 'error', message: 'no line looks like lsvmbus, sysfs, dmesg, udevadm monitor or trace-cmd output' });
  return Object.assign(r, { detected: format === undefined });
}

/** Whether a result holds anything (a device, an event, a version). */
export function hasContent(r: ImportResult): boolean {
  return r.devices.length > 0 || r.events.length > 0 || (r.stats.events ?? 0) > 0 || r.version !== undefined;
}
