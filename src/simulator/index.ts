// The simulator's public API: what src/extension and src/cli import (scripts/check-imports.mjs
// enforces it). Everything else under src/simulator is internal and may move.
//
//   engine     run and step a scenario: createSession / runScenario, the SimulationState views
//   scenario   the .vmbus language: parse, format, language services, reports
//   trace      the event record every view reads, and its exporters
//   protocol   channel-message, SynIC and ring codecs (the hex and variables views)
//   importers  lsvmbus / sysfs / dmesg / trace-cmd text → trace + scenario
//   logtrace   real logs as traces (stepping without an engine), conformance checks
export {
  createSession, runScenario, matchesStop, Session, type RunResult, type ExpectationResult as EngineExpectationResult,
  TraceStore, toJsonLines, fromJsonLines, type TraceQuery,
  defaultConfig, defaultDevices, STORVSC_CLASS, NETVSC_CLASS,
  FAULT_CATALOGUE, HOSTILE_FAULT_IDS, faultById, type FaultCatalogueEntry, type FaultParamDoc,
} from './engine/index';
export { DEFAULT_MAX_EVENTS } from './engine/api';
export type * from './engine/api';
export type { ScenarioConfig, SourceRef, DeviceConfig, FaultConfig, StopPoint, Expectation, ScriptStep, Isolation, DiscoveryDesign, PlatformConfig } from './model/config';

export type * from './trace/events';
export { findLastOfKind, type Trace } from './trace/buffer';
export { toMermaid, mermaidText, type MermaidOptions } from './trace/mermaid';
export { toTraceCmd } from './trace/traceCmd';

export * from './protocol/index';
export { hexNum } from './protocol/hex';

export { parseScenario, formatScenario, type ParseResult, type Range, type ScenarioDiagnostic, type ScenarioSymbol } from './scenario/index';
export { loadScenarioFiles, DEFAULT_SCENARIO_BUDGET, type LoadedScenarioFiles, type ScenarioBudget, type ScenarioFileReader, type ScenarioReadResult } from './scenario/files';
export { dirname as dirnameOfPath, isAbsolutePath, isInside, normalizePath } from './scenario/paths';
export { checkForEditor, overCheckBudget, EDITOR_BUDGET, EDITOR_CHECK_BUDGET } from './scenario/editorCheck';
export { yieldToEventLoop } from './util/yield';
export { MAX_DEVICES, SETTING_LIMITS, FAULT_PARAM_RULES } from './scenario/limits';
export { formatExpectations, traceLines, type ExpectationResult } from './scenario/report';
export { completeAt, definitionAt, foldingRanges, hoverAt, type CompletionKind } from './scenario/services';

export { IMPORT_FORMATS, detectFormat, hasContent, importLog, importTraceChunks, importedToScenario, type ImportFormat, type ImportResult, type ImportedEvent } from './importers/index';
export type { TextChunk } from './importers/common';
export { LOG_TRACE_HEADER, checkLog, formatCheck, formatLogEvent, openLog, whatIfConfidential, formatWhatIf, isLogSession, toDmesg, guestDevices, toLsvmbus, toSysfs, sysfsAsGrep, type CheckResult, type CheckDifference, type WhatIfResult, type LogSession } from './logtrace/index';
