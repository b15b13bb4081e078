// Node-side helper for the webview tests: runs an example scenario through the real parser and
// engine (bundled by esbuild at test time) so the timeline can be shown a real trace.
import * as fs from 'fs';
import { parseScenario } from '../../src/simulator/scenario/index';
import { createSession } from '../../src/simulator/engine/session';
import type { TraceEvent } from '../../src/simulator/trace/events';
import { openLog } from '../../src/simulator/logtrace/index';

export function runExample(file: string, design?: 'probe' | 'cpuid'): { events: TraceEvent[]; vpCount: number; name: string; position: number } {
  const res = parseScenario(fs.readFileSync(file, 'utf8'), file, { readFile: (p: string) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } } });
  if (!res.config) throw new Error(`${file}: ${res.diagnostics.map((d) => d.message).join('; ')}`);
  const s = createSession(res.config, design ? { design } : {});
  s.runToEnd();
  return { events: [...s.events()], vpCount: res.config.platform.vpCount, name: res.config.name, position: s.position() };
}

/** A log file opened as VMBus: Open Log opens it: its events (times and CPUs from the log). */
export function openLogFile(file: string): { events: TraceEvent[]; name: string } {
  const name = file.split('/').pop() ?? file;
  return { events: [...openLog(fs.readFileSync(file, 'utf8'), name).session.events()], name };
}
