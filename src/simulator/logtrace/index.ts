// Real logs as first-class traces: open (LogSession), step, check against the model (checkLog),
// ask "what if it were confidential" (whatIf). No VS Code API here.
import { importLog, importedToScenario, type ImportFormat, type ImportResult } from '../importers/index';
import { parseScenario } from '../scenario/index';
import { defaultConfig } from '../engine/defaults';
import type { ScenarioConfig } from '../model/config';
import type { TraceEvent } from '../trace/events';
import { LogSession } from './logSession';
import { shortMsgtype } from '../protocol/constants';

export * from './logTrace';
export * from './logSession';
export * from './conformance';

export interface OpenedLog {
  imported: ImportResult & { detected: boolean };
  /** The scenario the log imports to (what `check` runs unless given another). */
  scenarioText: string;
  /** Its config, or undefined when it did not parse (then `session` uses a stand-in config). */
  scenario?: ScenarioConfig;
  session: LogSession;
}

const baseName = (file: string): string => file.split(/[\\/]/).pop() || file;

/** Imports a log and opens it as a stepping session; `file` is what the events' source names. */
export function openLog(text: string, file: string, format?: ImportFormat): OpenedLog {
  const imported = importLog(text, format);
  const source = baseName(file);
  const scenarioText = importedToScenario(imported, { source });
  const parsed = parseScenario(scenarioText, `${source}.vmbus`);
  const scenario = parsed.config;
  const config: ScenarioConfig = scenario ? { ...scenario, name: source } : { ...defaultConfig(), name: source };
  if (!scenario) config.platform = { ...config.platform, isolation: 'none', paravisor: { ...config.platform.paravisor, present: false, confidentialVmbus: false } };
  return { imported, scenarioText, ...(scenario ? { scenario } : {}), session: new LogSession(imported, { config, file }) };
}

const hex = (v: unknown): string => (typeof v === 'number' ? `0x${v.toString(16)}` : String(v));

/** One log event as a line of `vmbus-lab run --log`: log line, real seconds, CPU, parties, what it is; `?` for what the log does not say. */
export function formatLogEvent(e: TraceEvent): string {
  const unknown = new Set(e.log?.unknown ?? []);
  const line = String(e.log?.line ?? '-').padStart(6);
  const time = unknown.has('time') ? '?'.padStart(15) : (e.time / 1e9).toFixed(6).padStart(15);
  const cpu = e.vp === null ? '[?]  ' : `[${String(e.vp).padStart(3, '0')}]`;
  const party = (p: string, field: string): string => (unknown.has(field) ? `${p}?` : p);
  let what: string;
  switch (e.kind) {
    case 'message': {
      const fields = Object.entries(e.log?.fields ?? {}).map(([k, v]) => `${k}=${/relid|flags|gpadl|vp|vcpu|id$/.test(k) ? hex(v) : String(v)}`).join(' ');
      what = `${party(e.from, 'from')} → ${party(e.to, 'to')}  ${shortMsgtype(e.msgtype)}${fields ? ' ' + fields : ''}${e.status !== 'HV_STATUS_SUCCESS' ? ` [${e.status}]` : ''}`;
      break;
    }
    case 'interrupt':
      what = `SINT${e.sint} ${e.via}${e.relid !== undefined ? ` relid=${e.relid}` : ''}${e.detail ? ` ${e.detail}` : ''} (SynIC ${unknown.has('synic') ? '?' : e.synic})`;
      break;
    case 'log':
      what = `${e.party} ${e.level}: ${e.text}`;
      break;
    default:
      what = e.kind;
  }
  return `${line}  ${time}  ${cpu}  ${what}`;
}

export const LOG_TRACE_HEADER = `${'line'.padStart(6)}  ${'time(s)'.padStart(15)}  cpu    event (? = not in the log)`;
export * from './whatIf';
export * from './standardFormats';
