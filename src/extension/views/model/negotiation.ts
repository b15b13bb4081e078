// Negotiation view: the phases of the run as a live checklist (SynIC setup per VP, discovery,
// each InitiateContact with its version and outcome, fallback, offers, GPADLs, opens, data,
// rescinds, unload), each phase with its outcome, the key messages inside it, and the current
// position highlighted. Phases not reached yet come from a dry run of the same scenario (the
// plan) and show as pending.
import type { SourceRef } from '../../../simulator/model/config';
import type { GuestView, ParavisorView } from '../../../simulator/engine/api';
import type { PhaseEvent, TraceEvent } from '../../../simulator/trace/events';
import { ModelBuilder, type NodeIcon, type TreeModel } from './node';
import { hex } from './format';

export type PhaseStatus = 'pending' | 'running' | 'current' | 'ok' | 'failed' | 'skipped' | 'fallback';

export interface NegotiationInput {
  /** Every event the session knows (executed and, after a step back, the ones still ahead). */
  events: readonly TraceEvent[];
  /** Index of the last executed event (-1 before the first). */
  position: number;
  /** Events of a complete dry run of the same scenario; used beyond events.length when consistent. */
  plan?: readonly TraceEvent[];
  done?: boolean;
  guest?: GuestView;
  paravisor?: ParavisorView;
  design?: string;
  /** Cap on message leaves per phase. */
  maxLeaves?: number;
}

interface PhaseRec {
  id: string;
  name: string;
  begin: PhaseEvent;
  end?: PhaseEvent;
  source?: SourceRef;
  leaves: TraceEvent[];
  hidden: number;
  children: PhaseRec[];
  parent?: PhaseRec;
}

const STATUS_ICON: Record<PhaseStatus, NodeIcon> = {
  pending: { id: 'circle-large-outline', color: 'disabledForeground' },
  running: { id: 'circle-large-filled', color: 'charts.blue' },
  current: { id: 'debug-stackframe', color: 'charts.yellow' },
  ok: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  skipped: { id: 'circle-slash', color: 'disabledForeground' },
  fallback: { id: 'reply', color: 'charts.orange' },
};

export function statusIcon(s: PhaseStatus): NodeIcon {
  return STATUS_ICON[s];
}

/** Whether a plan agrees with the events the session has so far (same phases in the same order). */
export function planMatches(events: readonly TraceEvent[], plan: readonly TraceEvent[]): boolean {
  if (plan.length < events.length) return false;
  const n = events.length;
  // Compare the phase skeleton and the last event; cheap and catches injected faults.
  for (let i = 0; i < n; i++) {
    const a = events[i];
    if (a.kind !== 'phase') continue;
    const b = plan[i];
    if (b.kind !== 'phase' || b.name !== a.name || b.action !== a.action) return false;
  }
  if (n > 0 && (plan[n - 1].kind !== events[n - 1].kind || plan[n - 1].time !== events[n - 1].time)) return false;
  return true;
}

function isLeaf(e: TraceEvent): boolean {
  return e.kind === 'message' || e.kind === 'fault' || e.kind === 'expectation' || e.kind === 'invariant';
}

function leafLabel(e: TraceEvent): { label: string; description: string; icon: NodeIcon; tooltip?: string } {
  switch (e.kind) {
    case 'message': {
      const where = e.synic ? ` · ${e.synic} SynIC` : '';
      const relid = e.relid !== undefined ? ` · relid ${e.relid}` : '';
      const status = e.status && e.status !== 'HV_STATUS_SUCCESS' ? ` · ${e.status}` : '';
      return {
        label: e.msgtype,
        description: `${e.from} → ${e.to}${where}${relid} · ${e.path}${status}${e.fault ? ` · fault: ${e.fault}` : ''}`,
        icon: { id: e.confidential ? 'lock' : 'mail', color: e.fault ? 'charts.orange' : undefined },
        tooltip: `\`${e.msgtype}\` (${e.msgtypeValue}) on connection id \`${hex(e.connectionId)}\`, ${e.hex.length / 2} bytes, ${e.confidential ? 'through encrypted memory only' : 'host-visible'}`,
      };
    }
    case 'fault':
      return { label: `fault: ${e.fault}`, description: e.description, icon: { id: 'zap', color: e.hostile ? 'errorForeground' : 'charts.orange' } };
    case 'expectation':
      return { label: e.text, description: e.ok ? 'met' : `not met${e.detail ? ': ' + e.detail : ''}`, icon: e.ok ? { id: 'check', color: 'testing.iconPassed' } : { id: 'close', color: 'testing.iconFailed' } };
    case 'invariant':
      return { label: `invariant broken: ${e.name}`, description: e.description, icon: { id: 'warning', color: 'errorForeground' } };
    default:
      return { label: e.kind, description: '', icon: { id: 'circle-small' } };
  }
}

function statusWord(s: PhaseStatus): string {
  return s === 'current' ? 'in progress' : s === 'running' ? 'in progress' : s;
}

export function buildNegotiationModel(input: NegotiationInput): TreeModel {
  const b = new ModelBuilder();
  const { events, position } = input;
  const maxLeaves = input.maxLeaves ?? 24;
  if (!events.length && !input.plan?.length && !input.guest) return b.build();

  // The timeline to lay out: known events, then the plan's tail when the plan agrees.
  const usePlan = input.plan && input.plan.length > events.length && planMatches(events, input.plan);
  const all: readonly TraceEvent[] = usePlan && input.plan ? input.plan : events;
  const known = events.length;

  // 1. Fold the phase begin/end events into a tree with stable ids (name + occurrence under its parent).
  const roots: PhaseRec[] = [];
  const stack: PhaseRec[] = [];
  const counts = new Map<string, number>();
  const looseLeaves: TraceEvent[] = [];
  for (let i = 0; i < all.length; i++) {
    const e = i < known ? events[i] : all[i];
    if (e.kind === 'phase') {
      if (e.action === 'begin') {
        const parent = stack[stack.length - 1];
        const pid = parent ? parent.id : 'ph';
        const key = pid + '\u0000' + e.name;
        const k = (counts.get(key) ?? 0) + 1;
        counts.set(key, k);
        const rec: PhaseRec = { id: `${pid}/${e.name}#${k}`, name: e.name, begin: e, source: e.source, leaves: [], hidden: 0, children: [], parent };
        (parent ? parent.children : roots).push(rec);
        stack.push(rec);
      } else {
        let j = stack.length - 1;
        while (j >= 0 && stack[j].name !== e.name) j--;
        if (j >= 0) {
          stack[j].end = e;
          stack.length = j;
        }
      }
      continue;
    }
    const top = stack[stack.length - 1];
    if (top && !top.source && e.source) top.source = e.source;
    if (isLeaf(e)) {
      if (!top) looseLeaves.push(e);
      else if (top.leaves.length < maxLeaves) top.leaves.push(e);
      else top.hidden++;
    }
  }

  const status = (r: PhaseRec): PhaseStatus => {
    if (r.begin.seq > position) return 'pending';
    if (r.end && r.end.seq <= position) return r.end.outcome ?? 'ok';
    if (input.done && !r.end) return 'ok';
    return 'running';
  };

  // 2. The current phase: the deepest one still running at the position.
  let current: PhaseRec | undefined;
  const findCurrent = (list: PhaseRec[]): void => {
    for (const r of list) {
      if (status(r) === 'running') {
        current = r;
        findCurrent(r.children);
      }
    }
  };
  findCurrent(roots);

  // 3. Status line.
  const g = input.guest;
  if (g) {
    const ver = g.versionName ?? (g.version !== null ? hex(g.version) : null);
    const parts = [`guest ${g.connectionState}`];
    if (ver) parts.push(`VMBus ${ver}`);
    if (g.connectionState === 'connected' || g.confidential) parts.push(g.confidential ? 'confidential' : 'not confidential');
    if (g.fallbackTaken) parts.push('fell back');
    const total = all.length;
    b.add(
      {
        id: 'neg:status',
        label: parts.join(' · '),
        description: `event ${position + 1} of ${total}${input.done ? ' · done' : ''}`,
        tooltip: [
          `**Guest**: ${g.connectionState}${ver ? `, VMBus ${ver}` : ''}, ${g.confidential ? 'Confidential VMBus' : 'non-confidential'}${g.fallbackTaken ? ', fallback taken' : ''}`,
          g.msgConnectionId !== null ? `- message connection id \`${hex(g.msgConnectionId)}\`` : '',
          `- feature flags \`${hex(g.featureFlags)}\``,
          input.paravisor
            ? `- paravisor: ${input.paravisor.present ? `present, ${input.paravisor.confidentialVmbus ? 'Confidential VMBus capable' : 'no Confidential VMBus'}, ${input.paravisor.connectionState}` : 'none'}`
            : '',
          input.design ? `- discovery design: ${input.design === 'probe' ? 'probe + fallback (series v1–v4)' : 'CPUID 0x40000082 EAX bit 3 (merged)'}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
        icon: { id: g.connectionState === 'failed' ? 'error' : 'vm', color: g.connectionState === 'failed' ? 'errorForeground' : g.confidential ? 'charts.green' : undefined },
      },
      undefined,
    );
  }

  // 4. Nodes.
  const posEvent = position >= 0 && position < known ? events[position] : undefined;
  const addLeaves = (r: PhaseRec | undefined, list: TraceEvent[], hidden: number, parentId: string | undefined): void => {
    for (const e of list) {
      const l = leafLabel(e);
      const pending = e.seq > position;
      const isPos = posEvent !== undefined && e.seq === posEvent.seq;
      b.add(
        {
          id: `${parentId ?? 'ph'}/e${e.seq}`,
          label: l.label,
          description: l.description,
          tooltip: l.tooltip,
          icon: isPos ? STATUS_ICON.current : pending ? { id: l.icon.id, color: 'disabledForeground' } : l.icon,
          seq: e.seq,
          source: e.source ?? r?.source,
          highlight: isPos || undefined,
          contextValue: e.kind === 'message' ? 'vmbusMessage' : 'vmbusEvent',
        },
        parentId,
      );
    }
    if (hidden > 0 && parentId) {
      b.add({ id: `${parentId}/more`, label: `… ${hidden} more events`, icon: { id: 'ellipsis' } }, parentId);
    }
  };
  const addPhase = (r: PhaseRec, parentId: string | undefined): void => {
    let s = status(r);
    if (r === current) s = 'current';
    const detail = r.end?.detail ?? r.begin.detail;
    const vp = r.begin.vp !== null && !/\bvp\s*\d/i.test(r.name) ? `VP ${r.begin.vp}` : undefined;
    const desc = [statusWord(s), vp, s === 'pending' ? undefined : detail].filter(Boolean).join(' · ');
    b.add(
      {
        id: r.id,
        label: r.name,
        description: desc,
        tooltip: `**${r.name}** — ${statusWord(s)}${detail ? `\n\n${detail}` : ''}\n\nevents ${r.begin.seq}–${r.end ? r.end.seq : '…'}`,
        icon: STATUS_ICON[s],
        seq: r.begin.seq,
        source: r.source,
        highlight: s === 'current' || undefined,
        contextValue: 'vmbusPhase',
        expand: r.children.length || r.leaves.length ? (s === 'current' || s === 'running' || s === 'failed' || s === 'fallback' ? 'expanded' : 'collapsed') : 'none',
      },
      parentId,
    );
    for (const c of r.children) addPhase(c, r.id);
    addLeaves(r, r.leaves, r.hidden, r.id);
  };
  for (const r of roots) addPhase(r, undefined);
  if (looseLeaves.length) addLeaves(undefined, looseLeaves.slice(0, maxLeaves), Math.max(0, looseLeaves.length - maxLeaves), undefined);

  let summary: string | undefined;
  if (current) summary = current.name;
  else if (input.done) summary = 'done';
  return b.build(summary);
}

/** The id of the node that stands for trace index seq: its leaf if shown, else its innermost phase. */
export function nodeForSeq(model: TreeModel, seq: number): string | undefined {
  let best: string | undefined;
  let bestBegin = -1;
  for (const n of model.nodes.values()) {
    if (n.seq === undefined) continue;
    if (n.seq === seq && n.contextValue !== 'vmbusPhase') return n.id;
    if (n.contextValue === 'vmbusPhase' && n.seq <= seq && n.seq > bestBegin) {
      // A phase contains seq if it began before it and no later phase sibling did; good enough:
      // the latest-begun phase at or before seq.
      best = n.id;
      bestBegin = n.seq;
    }
  }
  return best;
}
