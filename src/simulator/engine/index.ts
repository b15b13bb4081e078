// Public surface of the engine.
export { createSession, runScenario, matchesStop, Session, type RunResult, type ExpectationResult } from './session';
export { TraceStore, toJsonLines, fromJsonLines, type TraceQuery } from '../trace/store';
export { defaultConfig, defaultDevices, STORVSC_CLASS, NETVSC_CLASS } from './defaults';
export { FAULT_CATALOGUE, HOSTILE_FAULT_IDS, faultById, type FaultCatalogueEntry, type FaultParamDoc } from './faults';
export type * from './api';
