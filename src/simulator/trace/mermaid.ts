// Mermaid sequenceDiagram exporter: the trace's messages between the four parties, with phases
// and faults as notes. Pure; used by the timeline's export and available to the CLI.
import type { Party, TraceEvent } from './events';
import { shortMsgtype } from '../protocol/constants';
import type { Trace } from './buffer';

const ALIAS: Record<Party, string> = { guest: 'G', paravisor: 'P', hypervisor: 'H', host: 'V' };
const TITLE: Record<Party, string> = { guest: 'Guest VTL0', paravisor: 'Paravisor VTL2', hypervisor: 'Hypervisor', host: 'Host' };
const ORDER: Party[] = ['guest', 'paravisor', 'hypervisor', 'host'];

export interface MermaidOptions {
  /** Draw VMBus ring packets too (many in long runs). Default false. */
  packets?: boolean;
  /** Notes for phase begins. Default true. */
  phases?: boolean;
  /** Stop after this many lines of events (a comment says how many were left out). */
  maxLines?: number;
  title?: string;
}

/** Mermaid treats ';' as a statement end and '#' as an entity start; keep text on one line. */
export function mermaidText(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/[#;]/g, (c) => (c === '#' ? '#35;' : '#59;')).trim();
}


function line(e: TraceEvent, o: MermaidOptions): string | undefined {
  switch (e.kind) {
    case 'message': {
      const tags: string[] = [e.path];
      if (e.synic) tags.push(`${e.synic} SynIC`);
      if (!e.confidential) tags.push('host-visible');
      if (e.fault) tags.push(`fault ${e.fault}`);
      const rel = e.relid !== undefined ? ` relid=${e.relid}` : '';
      const status = e.status && e.status !== 'HV_STATUS_SUCCESS' ? ` ${e.status}` : '';
      // Solid arrows for confidential messages, dotted for host-visible ones, a cross for failed posts.
      const arrow = status ? '-x' : e.confidential ? '->>' : '-->>';
      return `  ${ALIAS[e.from]}${arrow}${ALIAS[e.to]}: ${mermaidText(`${shortMsgtype(e.msgtype)}${rel}${status} [${tags.join(', ')}] (seq ${e.seq})`)}`;
    }
    case 'packet':
      if (!o.packets) return undefined;
      return `  ${ALIAS[e.from]}-)${ALIAS[e.to]}: ${mermaidText(`${e.packetType} ${e.bytes}B relid=${e.relid} (seq ${e.seq})`)}`;
    case 'phase':
      if (o.phases === false || e.action !== 'begin') return undefined;
      return `  Note over G,V: ${mermaidText(`${e.name}`)}`;
    case 'fault':
      return `  Note over G,V: ${mermaidText(`FAULT ${e.fault}: ${e.description}`)}`;
    case 'invariant':
      return `  Note over G,V: ${mermaidText(`INVARIANT BROKEN ${e.name}: ${e.description}`)}`;
    case 'expectation':
      return e.ok ? undefined : `  Note over G,V: ${mermaidText(`EXPECTATION FAILED: ${e.text}`)}`;
    default:
      return undefined;
  }
}

/** A Mermaid sequenceDiagram of the events. */
export function toMermaid(events: Trace, opts: MermaidOptions = {}): string {
  const out: string[] = ['sequenceDiagram'];
  if (opts.title) out.push(`  title ${mermaidText(opts.title)}`);
  for (const p of ORDER) out.push(`  participant ${ALIAS[p]} as ${TITLE[p]}`);
  const max = opts.maxLines ?? Infinity;
  let n = 0;
  let left = 0;
  for (const e of events) {
    const l = line(e, opts);
    if (l === undefined) continue;
    if (n >= max) { left++; continue; }
    out.push(l);
    n++;
  }
  if (left) out.push(`  %% ${left} more events left out`);
  return out.join('\n') + '\n';
}
