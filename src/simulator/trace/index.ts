export type * from './events';
export { toMermaid, mermaidText, type MermaidOptions } from './mermaid';
export { TraceStore, toJsonLines, fromJsonLines, type TraceQuery, type TraceListener } from './store';
export {
  TRACE_CMD_FORMATS, TRACE_CMD_FORMAT_BY_NAME, formatTraceCmdBody, parseTraceCmdBody, traceCmdRecords, formatTraceCmdRecord, toTraceCmd,
  type TraceCmdFormat, type TraceCmdRecord, type TraceCmdValue,
} from './traceCmd';
