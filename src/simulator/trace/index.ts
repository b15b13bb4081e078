export type * from './events';
export { TraceStore, toJsonLines, fromJsonLines, toMermaid, toText, type TraceQuery, type TraceListener } from './store';
export {
  TRACE_CMD_FORMATS, TRACE_CMD_FORMAT_BY_NAME, formatTraceCmdBody, parseTraceCmdBody, traceCmdRecords, formatTraceCmdRecord, toTraceCmd,
  type TraceCmdFormat, type TraceCmdRecord, type TraceCmdValue,
} from './traceCmd';
