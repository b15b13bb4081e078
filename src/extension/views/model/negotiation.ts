// Negotiation view: the phases of the run as a live checklist (SynIC setup per VP, discovery,
// each InitiateContact with its version and outcome, fallback, offers, GPADLs, opens, data,
// rescinds, unload), each phase with its outcome, the key messages inside it, and the current
// position highlighted. Phases not reached yet come from a dry run of the same scenario (the
// plan) and show as pending.
import { type SourceRef, type GuestView, type ParavisorView, type PhaseEvent, type TraceEvent, versionString, type Trace } from '../../../simulator';
import type { NodeIcon, TreeModel, ViewNode } from './node';
import { hex } from './format';

export type PhaseStatus = 'pending' | 'running' | 'current' | 'ok' | 'failed' | 'skipped' | 'fallback';

export interface NegotiationInput {
  /** Every event the session knows (executed and, after a step back, the ones still ahead). */
  events: Trace;
  /** Index of the last executed event (-1 before the first). */
  position: number;
  /** Events of a complete dry run of the same scenario; used beyond events.length when consistent. */
  plan?: Trace;
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

/**
 * Whether a plan agrees with the events the session has so far (same phases in the same order),
 * checking events from index `from` on (the ones before were verified by an earlier call).
 */
export function planMatches(events: Trace, plan: Trace, from = 0): boolean {
  if (plan.length < events.length) return false;
  const n = events.length;
  // Compare the phase skeleton and the last event; cheap and catches injected faults. A compact
  // trace tells the kind without building the event.
  const kindAt = events.kindAt?.bind(events);
  for (let i = Math.max(0, from); i < n; i++) {
    if (kindAt && kindAt(i) !== 'phase') continue;
    const a = events.at(i)!;
    if (a.kind !== 'phase') continue;
    const b = plan.at(i)!;
    if (b.kind !== 'phase' || b.name !== a.name || b.action !== a.action) return false;
  }
  if (n > 0 && (plan.at(n - 1)!.kind !== events.at(n - 1)!.kind || plan.at(n - 1)!.time !== events.at(n - 1)!.time)) return false;
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

/** The folded phase structure of one event list (independent of the position). */
interface Fold {
  from: Trace;
  length: number;
  last: TraceEvent | undefined;
  roots: PhaseRec[];
  loose: TraceEvent[];
  looseHidden: number;
  /** Child ids per phase id (phases, then leaves, then the "more" node). */
  childIds: Map<string, string[]>;
  rootIds: string[];
  /** Where the fold stopped: the open phases and the occurrence counts of phase names. */
  stack: PhaseRec[];
  counts: Map<string, number>;
  maxLeaves: number;
}

/**
 * Keeps the phase structure and unchanged nodes between builds. With a plan the structure is
 * fixed for the whole session, so a step only re-creates the few nodes whose status changed.
 */
export interface NegotiationCache {
  fold?: Fold;
  nodes: Map<string, { key: string; node: ViewNode }>;
  /** Incremental planMatches: the plan and events verified so far. */
  verified?: { plan: Trace; upTo: number; last: TraceEvent | undefined };
}

export function newNegotiationCache(): NegotiationCache {
  return { nodes: new Map() };
}

/**
 * Folds the events into the phase structure. Given the fold of a prefix of the same trace it
 * goes on from where that one stopped (a step adds a few events to a run of a million), reusing
 * and extending its records.
 */
function fold(all: Trace, maxLeaves: number, prefix?: Fold): Fold {
  const roots: PhaseRec[] = prefix ? prefix.roots : [];
  const stack: PhaseRec[] = prefix ? prefix.stack : [];
  const counts = prefix ? prefix.counts : new Map<string, number>();
  const loose: TraceEvent[] = prefix ? prefix.loose : [];
  let looseHidden = prefix ? prefix.looseHidden : 0;
  for (let i = prefix ? prefix.length : 0; i < all.length; i++) {
    const e = all.at(i)!;
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
      if (!top) {
        if (loose.length < maxLeaves) loose.push(e);
        else looseHidden++;
      } else if (top.leaves.length < maxLeaves) top.leaves.push(e);
      else top.hidden++;
    }
  }
  const childIds = new Map<string, string[]>();
  const walk = (r: PhaseRec): void => {
    const ids = r.children.map((c) => c.id);
    for (const e of r.leaves) ids.push(`${r.id}/e${e.seq}`);
    if (r.hidden) ids.push(`${r.id}/more`);
    childIds.set(r.id, ids);
    for (const c of r.children) walk(c);
  };
  for (const r of roots) walk(r);
  const rootIds = roots.map((r) => r.id);
  for (const e of loose) rootIds.push(`ph/e${e.seq}`);
  if (looseHidden) rootIds.push('ph/more');
  return { from: all, length: all.length, last: all.at(all.length - 1), roots, loose, looseHidden, childIds, rootIds, stack, counts, maxLeaves };
}

/** The same trace event (events read from a compact trace are fresh objects: compare by value). */
function sameEvent(a: TraceEvent | undefined, b: TraceEvent | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.seq === b.seq && a.kind === b.kind && a.time === b.time);
}

function planAgrees(events: Trace, plan: Trace, cache?: NegotiationCache): boolean {
  if (plan.length <= events.length) return false;
  const v = cache?.verified;
  // Re-check only what is new since the last build, unless the known events were replaced.
  if (v && v.plan === plan && v.upTo <= events.length && (v.upTo === 0 || sameEvent(events.at(v.upTo - 1), v.last))) {
    const ok = planMatches(events, plan, v.upTo);
    if (ok && cache) cache.verified = { plan, upTo: events.length, last: events.at(events.length - 1) };
    return ok;
  }
  const ok = planMatches(events, plan);
  if (cache) cache.verified = ok ? { plan, upTo: events.length, last: events.at(events.length - 1) } : undefined;
  return ok;
}

export function buildNegotiationModel(input: NegotiationInput, cache?: NegotiationCache): TreeModel {
  const { events, position } = input;
  const maxLeaves = input.maxLeaves ?? 24;
  const model: TreeModel = { roots: [], nodes: new Map() };
  if (!events.length && !input.plan?.length && !input.guest) return model;

  // The timeline to lay out: the plan when it agrees with the known events (its tail shows the
  // phases ahead), else the known events.
  const usePlan = !!input.plan && planAgrees(events, input.plan, cache);
  const all: Trace = usePlan && input.plan ? input.plan : events;
  const known = events.length;

  // 1. The phase structure (cached while the event list is the same).
  let f = cache?.fold;
  if (!f || f.from !== all || f.length !== all.length || !sameEvent(f.last, all.at(all.length - 1))) {
    // The same trace grown at its end: go on from the cached fold, keeping the node cache (ids
    // of the phases folded so far stay valid). Anything else (an edit, another trace): refold.
    const grown = !!f && f.from === all && f.maxLeaves === maxLeaves && f.length < all.length && f.length > 0 && sameEvent(f.last, all.at(f.length - 1));
    f = fold(all, maxLeaves, grown ? f : undefined);
    if (cache) {
      cache.fold = f;
      if (!grown) cache.nodes = new Map();
    }
  }
  // Node cache: entries for ids of the current structure only (reset when the structure changes).
  const nodeCache = cache?.nodes;
  const put = (key: string, id: string, make: () => ViewNode): void => {
    const hit = nodeCache?.get(id);
    if (hit && hit.key === key) {
      model.nodes.set(id, hit.node);
      return;
    }
    const node = make();
    model.nodes.set(id, node);
    if (nodeCache) {
      if (hit) {
        hit.key = key;
        hit.node = node;
      } else nodeCache.set(id, { key, node });
    }
  };

  const status = (r: PhaseRec): PhaseStatus => {
    if (r.begin.seq > position) return 'pending';
    if (r.end && r.end.seq <= position) return r.end.outcome ?? 'ok';
    if (input.done && !r.end) return 'ok';
    return 'running';
  };

  // 2. The current phase: the deepest one still running at the position.
  let current: PhaseRec | undefined;
  let level: PhaseRec[] = f.roots;
  for (;;) {
    let found: PhaseRec | undefined;
    for (const r of level) {
      if (r.begin.seq > position) break;
      if (status(r) === 'running') found = r;
    }
    if (!found) break;
    current = found;
    level = found.children;
  }
  // Between phases (the position is on a phase's end or outside any phase): the phase that
  // finished last is where the user is.
  let recent: PhaseRec | undefined;
  if (!current && !input.done && position >= 0) {
    level = f.roots;
    for (;;) {
      let last: PhaseRec | undefined;
      for (const r of level) {
        if (r.begin.seq > position) break;
        last = r;
      }
      if (!last) break;
      recent = last;
      level = last.children;
    }
  }

  // 3. Status line.
  const g = input.guest;
  if (g) {
    const ver = g.version !== null ? versionString(g.version) : null;
    const parts = [`guest ${g.connectionState}`];
    if (ver) parts.push(`VMBus ${ver}`);
    if (g.connectionState === 'connected' || g.confidential) parts.push(g.confidential ? 'confidential' : 'not confidential');
    if (g.fallbackTaken) parts.push('fell back');
    model.roots.push('neg:status');
    model.nodes.set('neg:status', {
      id: 'neg:status',
      label: parts.join(' · '),
      description: `event ${position + 1} of ${all.length}${input.done ? ' · done' : ''}`,
      tooltip: [
        `**Guest**: ${g.connectionState}${ver ? `, VMBus ${ver}${g.versionName ? ` (${g.versionName})` : ''}` : ''}, ${g.confidential ? 'Confidential VMBus' : 'non-confidential'}${g.fallbackTaken ? ', fallback taken' : ''}`,
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
      expand: 'none',
      children: [],
    });
  }

  // 4. Nodes (re-created only when their status changed).
  // At the end nothing is "current": the run is over.
  const posSeq = position >= 0 && position < known && !input.done ? events.at(position)!.seq : -1;
  const addLeaves = (r: PhaseRec | undefined, list: Trace, hidden: number, parentId: string | undefined): void => {
    for (const e of list) {
      const id = `${parentId ?? 'ph'}/e${e.seq}`;
      const pending = e.seq > position;
      const isPos = e.seq === posSeq;
      put(`${pending ? 'p' : 'd'}${isPos ? 'c' : ''}`, id, () => {
        const l = leafLabel(e);
        return {
          id,
          parent: parentId,
          label: l.label,
          description: l.description,
          tooltip: l.tooltip,
          icon: isPos ? STATUS_ICON.current : pending ? { id: l.icon.id, color: 'disabledForeground' } : l.icon,
          seq: e.seq,
          source: e.source ?? r?.source,
          highlight: isPos || undefined,
          contextValue: e.kind === 'message' ? 'vmbusMessage' : 'vmbusEvent',
          expand: 'none',
          children: [],
        };
      });
    }
    if (hidden > 0) {
      const id = `${parentId ?? 'ph'}/more`;
      put(String(hidden), id, () => ({ id, parent: parentId, label: `… ${hidden} more events`, icon: { id: 'ellipsis' }, expand: 'none', children: [] }));
    }
  };
  const fo = f;
  const addPhase = (r: PhaseRec): void => {
    let s = status(r);
    if (r === current) s = 'current';
    const children = fo.childIds.get(r.id) ?? [];
    const isRecent = r === recent;
    put(`${s}|${children.length}|${r.end?.seq ?? ''}|${isRecent ? 'r' : ''}`, r.id, () => {
      const detail = r.end?.detail ?? r.begin.detail;
      const vp = r.begin.vp !== null && !/\bvp\s*\d/i.test(r.name) ? `VP ${r.begin.vp}` : undefined;
      const desc = [statusWord(s), vp, s === 'pending' ? undefined : detail].filter(Boolean).join(' · ');
      return {
        id: r.id,
        parent: r.parent?.id,
        label: r.name,
        description: desc,
        tooltip: `**${r.name}** — ${statusWord(s)}${detail ? `\n\n${detail}` : ''}\n\nevents ${r.begin.seq}–${r.end ? r.end.seq : '…'}`,
        icon: STATUS_ICON[s],
        seq: r.begin.seq,
        source: r.source,
        highlight: s === 'current' || isRecent || undefined,
        contextValue: 'vmbusPhase',
        // Open while running; afterwards only phases whose sub-phases tell a story (which
        // attempts failed before a fallback) stay open.
        expand: children.length
          ? s === 'current' || s === 'running' || ((s === 'failed' || s === 'fallback') && r.children.length > 0)
            ? 'expanded'
            : 'collapsed'
          : 'none',
        children,
      };
    });
    for (const c of r.children) addPhase(c);
    addLeaves(r, r.leaves, r.hidden, r.id);
  };
  for (const r of f.roots) addPhase(r);
  addLeaves(undefined, f.loose, f.looseHidden, undefined);
  model.roots.push(...f.rootIds);

  if (current) model.summary = current.name;
  else if (input.done) model.summary = 'done';
  return model;
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
