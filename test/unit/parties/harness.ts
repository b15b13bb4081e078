// Party test harness: builds one party alone on a real clock and tracer, with fake ports that
// record what it sends (OpenVMM's channels/tests.rs TestEnv + TestNotifier, in spirit).
import { Scheduler } from '../../../src/simulator/engine/scheduler';
import { Tracer, type Json } from '../../../src/simulator/model/tracer';
import { FaultInjector } from '../../../src/simulator/model/faults/injector';
import { LANE_DELAYS } from '../../../src/simulator/model/world';
import { decodeMessage, encodeMessage } from '../../../src/simulator/protocol/codec';
import type { FaultConfig } from '../../../src/simulator/model/config';
import type { LogEvent, StateEvent } from '../../../src/simulator/trace/events';

export interface Env {
  clock: Scheduler;
  tracer: Tracer;
  faults: FaultInjector;
  /** Runs everything scheduled. */
  run(): void;
  logs(): string[];
  states(party?: string, object?: string): string[];
}

export function env(faults: FaultConfig[] = [], cvm = false): Env {
  const clock = new Scheduler(LANE_DELAYS);
  const tracer = new Tracer(clock, false, cvm);
  const inj = new FaultInjector(faults, tracer);
  return {
    clock, tracer, faults: inj,
    run: () => { while (clock.step()) { /* keep going */ } },
    logs: () => tracer.events.filter((e): e is LogEvent => e.kind === 'log').map((e) => e.text),
    states: (party, object) => tracer.events
      .filter((e): e is StateEvent => e.kind === 'state' && (party === undefined || e.party === party) && (object === undefined || e.object === object))
      .map((e) => `${e.from}>${e.to}`),
  };
}

export function bytes(json: Json): Uint8Array {
  const r = encodeMessage(json);
  if (!r.ok) throw new Error(`encode ${String(json.msgtype)}: ${r.error.message}`);
  return r.bytes;
}

/** Decodes the way a server's client would (OpenVMM forms allowed: VersionResponse2). */
export function decoded(b: Uint8Array): Json {
  const d = decodeMessage(b, { allowOpenVmm: true });
  if (!d.ok) throw new Error(d.error.message);
  return d.value;
}
