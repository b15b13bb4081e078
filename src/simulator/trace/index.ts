export type * from './events';
export { TraceStore, toJsonLines, fromJsonLines, toMermaid, toText, type TraceQuery, type TraceListener } from './store';
