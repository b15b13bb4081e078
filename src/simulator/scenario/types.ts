// Public types of the scenario language front end.
import type { ScenarioConfig, SourceRef } from '../model/config';
import type { Range, SyntaxTree } from './syntax';
import type { Token } from './lexer';
import type { LoadedScenarioFiles, ScenarioBudget } from './files';

export type { Range } from './syntax';

export interface ScenarioDiagnostic {
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** 0-based. */
  range: Range;
  /** The file the range is in (an included file's diagnostics carry its path). */
  file: string;
  code?: string;
}

export type SymbolKind = 'scenario' | 'section' | 'device' | 'fault' | 'expectation' | 'stop' | 'step' | 'include' | 'setting';

export interface ScenarioSymbol {
  name: string;
  detail?: string;
  kind: SymbolKind;
  range: Range;
  selectionRange: Range;
  children: ScenarioSymbol[];
}

export interface IncludeRef {
  /** As written. */
  path: string;
  /** Resolved path (same separator style as the including file), if it resolved. */
  resolved?: string;
  range: Range;
  ok: boolean;
}

/** What a word means, for hover and semantic colouring. */
export type TokenRole =
  | { kind: 'keyword'; word: string; context: string }
  | { kind: 'class'; name: string; guid?: string }
  | { kind: 'chn-flag'; name: string }
  | { kind: 'feature'; name: string }
  | { kind: 'message'; name: string }
  | { kind: 'fault'; id: string }
  | { kind: 'version'; value: number }
  | { kind: 'device-ref'; name: string }
  | { kind: 'device-def'; name: string }
  | { kind: 'value'; word: string; doc?: string };

export interface ScenarioAst {
  file: string;
  tree: SyntaxTree;
  symbols: ScenarioSymbol[];
  includes: IncludeRef[];
  /** Meaning of words of this file (not of included files). */
  roles: { get(t: Token): TokenRole | undefined };
  /** Line of the `scenario` statement (0 when absent), for the CodeLens. */
  scenarioLine: number;
  /** Device definitions of this file and includes, for go-to-definition. */
  deviceDefs: Map<string, { file: string; range: Range }>;
}

export interface ParseOptions {
  /** Reads an included file; undefined when it does not exist. Without it includes are reported as unresolved. */
  readFile?: (path: string) => string | undefined;
  /** Files read ahead by loadScenarioFiles (through a contained reader): includes come from here first. */
  files?: LoadedScenarioFiles;
  /** Limits on bytes, files and statements (default DEFAULT_SCENARIO_BUDGET). */
  budget?: Partial<ScenarioBudget>;
  /** Includes must resolve inside this folder (the workspace). */
  workspaceRoot?: string;
  /** Overrides the file's seed (also for generated instance GUIDs). */
  seed?: number;
  /** Overrides the file's discovery design. */
  design?: 'probe' | 'cpuid';
}

/** A device as the checker sees it: its configuration and where its settings were written. */
export interface DeviceInfo {
  cfg: ScenarioConfig['devices'][number];
  file: string;
  nameRange: Range;
  /** Where each setting was written (whole statement), plus a few token ranges. */
  props: Record<string, SourceRef | Range | undefined>;
  explicitHost?: boolean;
  explicitFlags?: boolean;
  isHvSock?: boolean;
  serviceGuid?: string;
  unknownGuid?: boolean;
}
