// The Variables view: scopes built from session.inspect() and the current trace event. Each node
// is plain data plus lazy children, so only what the user expands is built.
import {
  type ChannelView, type GpadlView, type PageView, type RegisterView, type SimulationSession, type SimulationState, type SynicView, type MessageEvent, type TraceEvent, CHN_FLAG_INFO, hexNum as hex, findLastOfKind, type Trace,
} from '../../simulator';
import { describeEvent } from './threads';

export interface VarNode {
  name: string;
  value: string;
  type?: string;
  children?: () => VarNode[];
  /** How many children (for large lists, so the UI can page). */
  count?: number;
  memoryReference?: string;
  /** The engine path for session.setValue, when the value may be edited. */
  setPath?: string;
  /** How the raw edit text becomes the value passed to setValue. */
  setKind?: 'number' | 'boolean' | 'string';
  evaluateName?: string;
  readOnly?: boolean;
}

export const SCOPES = ['Event', 'Guest', 'Paravisor SynIC', 'Hypervisor SynIC', 'Channels', 'Current message', 'Exposure'] as const;
export type ScopeName = (typeof SCOPES)[number];

export { hex };

/** Field names whose numbers read better in hex. */
const HEX_FIELD = /gpa|page|addr|vector|flags|version|mask|msr|value|feature|guid|offset|handle|connection|conn_id|sig_event|monitor_page|interrupt_page|pfn|base|status/i;

export function fmtValue(name: string, v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') {
    if (HEX_FIELD.test(name) && Number.isInteger(v) && v >= 0) return v > 9 ? `${hex(v)} (${v})` : String(v);
    return String(v);
  }
  if (typeof v === 'bigint') return hex(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.length}]`;
  return '{…}';
}

/** A generic node for any JSON-like value. */
export function jsonNode(name: string, v: unknown, evaluateName?: string): VarNode {
  if (v && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
    const summary = Array.isArray(v) ? `[${v.length}]` : summarize(v as Record<string, unknown>);
    return { name, value: summary, count: entries.length, children: () => entries.map(([k, x]) => jsonNode(k, x)), evaluateName, readOnly: true };
  }
  return { name, value: fmtValue(name, v), type: typeof v, evaluateName, readOnly: true };
}

function summarize(o: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object') continue;
    parts.push(`${k}: ${fmtValue(k, v)}`);
    if (parts.length >= 3) break;
  }
  return `{${parts.join(', ')}${Object.keys(o).length > parts.length ? ', …' : ''}}`;
}

export function registerNode(r: RegisterView, synicLabel: string): VarNode {
  const fields = Object.entries(r.fields);
  const summary = fields
    .slice(0, 6)
    .map(([k, v]) => `${k}=${fmtShort(k, v)}`)
    .join(' ');
  return {
    name: r.name,
    value: `${r.value}${summary ? ` {${summary}}` : ''}`,
    type: `MSR ${hex(r.msr)}`,
    evaluateName: `${r.name.toLowerCase()} ${synicLabel}`,
    count: fields.length + 2,
    readOnly: true,
    children: () => [
      ...fields.map(([k, v]) => ({ name: k, value: fmtValue(k, v), type: typeof v, readOnly: true })),
      { name: 'msr', value: hex(r.msr), readOnly: true },
      { name: 'written via', value: r.path ?? 'never written', readOnly: true },
    ],
  };
}

function fmtShort(name: string, v: number | boolean | string): string {
  if (typeof v === 'number' && HEX_FIELD.test(name) && v > 9) return hex(v);
  return String(v);
}

export function synicNodes(s: SynicView, label: string): VarNode[] {
  return [
    registerNode(s.scontrol, label),
    registerNode(s.simp, label),
    registerNode(s.siefp, label),
    {
      name: 'SINTs',
      value: s.sints.map((x) => x.name).join(', ') || 'none programmed',
      count: s.sints.length,
      readOnly: true,
      children: () => s.sints.map((x) => registerNode(x, label)),
    },
    { name: 'EOM writes', value: String(s.eomCount), readOnly: true },
    {
      name: 'message slots',
      value: s.slots.filter((x) => x.msgtype).map((x) => `SINT${x.sint}: ${x.msgtype}`).join(', ') || 'empty',
      count: s.slots.length,
      readOnly: true,
      memoryReference: `simp:${s.owner}:${s.vp}`,
      children: () =>
        s.slots.map((x) => ({
          name: `SINT${x.sint}`,
          value: `${x.msgtype ?? 'HVMSG_NONE'}${x.pending ? ' (msg_pending)' : ''}${x.queued ? `, ${x.queued} queued` : ''}`,
          readOnly: true,
        })),
    },
    {
      name: 'event flags',
      value: s.eventFlags.filter((f) => f.bits.length).map((f) => `SINT${f.sint}: {${f.bits.join(', ')}}`).join(', ') || 'none set',
      readOnly: true,
      memoryReference: `siefp:${s.owner}:${s.vp}`,
      count: s.eventFlags.length,
      children: () => s.eventFlags.map((f) => ({ name: `SINT${f.sint}`, value: f.bits.length ? f.bits.join(', ') : 'none', readOnly: true })),
    },
  ];
}

function synicScope(state: SimulationState, owner: 'paravisor' | 'hypervisor'): VarNode[] {
  const list = state.synics.filter((s) => s.owner === owner);
  const out: VarNode[] = [];
  if (owner === 'paravisor') {
    const p = state.paravisor;
    out.push({
      name: 'paravisor',
      value: p.present ? `${p.connectionState}${p.confidentialVmbus ? ', confidential VMBus' : ''}` : 'not present',
      readOnly: true,
      children: () => [
        { name: 'present', value: String(p.present), readOnly: true },
        { name: 'confidentialVmbus', value: String(p.confidentialVmbus), readOnly: true },
        { name: 'connectionState', value: p.connectionState, readOnly: true },
        { name: 'grantedFeatures', value: fmtValue('feature', p.grantedFeatures), readOnly: true },
        { name: 'relayConnected', value: String(p.relayConnected), readOnly: true },
      ],
    });
  }
  if (list.length === 0) {
    out.push({ name: 'SynIC', value: owner === 'paravisor' ? 'no paravisor SynIC in this platform' : 'not set up yet', readOnly: true });
    return out;
  }
  if (list.length === 1) return [...out, ...synicNodes(list[0], `vp${list[0].vp}${owner === 'paravisor' ? ' para' : ' hyp'}`)];
  for (const s of list) {
    const label = `vp${s.vp}${owner === 'paravisor' ? ' para' : ' hyp'}`;
    const sint2 = s.sints.find((x) => x.name === 'SINT2');
    out.push({
      name: `VP ${s.vp}`,
      value: `SCONTROL ${s.scontrol.value}${sint2 ? `, SINT2 ${sint2.value}` : ''}`,
      readOnly: true,
      children: () => synicNodes(s, label),
    });
  }
  return out;
}

function channelFlagNames(flags: number): string[] {
  // Names from the protocol layer's table (Linux names after the Confidential VMBus series).
  const out: string[] = [];
  let rest = flags & 0xffff;
  for (const f of CHN_FLAG_INFO) {
    if (flags & f.bit) {
      out.push(f.linuxName ?? f.openVmmName ?? f.key);
      rest &= ~f.bit;
    }
  }
  if (rest) out.push(hex(rest));
  return out;
}

function gpadlNode(g: GpadlView, i: number, relid: number): VarNode {
  return {
    name: `${g.kind === 'ring' ? 'ring' : 'buffer'} ${hex(g.handle)}`,
    value: `${g.state}, ${g.pages} page(s) at ${g.gpa}, ${g.visibility}`,
    readOnly: true,
    memoryReference: g.kind === 'ring' ? `ring:${relid}:outbound` : undefined,
    children: () => [
      { name: 'handle', value: fmtValue('handle', g.handle), readOnly: true },
      { name: 'kind', value: g.kind === 'ring' ? 'HV_GPADL_RING' : 'HV_GPADL_BUFFER', readOnly: true },
      { name: 'pages', value: String(g.pages), readOnly: true },
      { name: 'gpa', value: g.gpa, readOnly: true },
      { name: 'visibility', value: g.visibility, readOnly: true },
      { name: 'state', value: g.state, readOnly: true },
      { name: 'index', value: String(i), readOnly: true },
    ],
  };
}

export function channelNode(c: ChannelView): VarNode {
  const name = `relid ${c.relid}`;
  const flags = channelFlagNames(c.chnFlags);
  return {
    name,
    value: `${c.device}${c.className ? ` (${c.className})` : ''}: ${c.state}${c.confidentialRing ? ', confidential ring' : ''}${c.relayed ? ', relayed' : ''}`,
    evaluateName: `channel ${c.relid}`,
    memoryReference: c.offerHex ? `offer:${c.relid}` : undefined,
    readOnly: true,
    children: () => {
      const kids: VarNode[] = [
        { name: 'child_relid', value: String(c.relid), readOnly: true },
        { name: 'device', value: c.device, readOnly: true },
        { name: 'if_type', value: c.classGuid + (c.className ? ` (${c.className})` : ''), readOnly: true },
        { name: 'if_instance', value: c.instanceGuid, readOnly: true },
        { name: 'state', value: c.state, readOnly: true },
      ];
      if (c.serverState) kids.push({ name: 'server state', value: c.serverState, readOnly: true });
      if (c.rejectReason) kids.push({ name: 'reject reason', value: c.rejectReason, readOnly: true });
      kids.push({
        name: 'chn_flags',
        value: `${hex(c.chnFlags, 4)}${flags.length ? ` [${flags.map((f) => f.replace('VMBUS_CHANNEL_', '')).join(' | ')}]` : ''}`,
        type: 'u16',
        setPath: `channel.${c.relid}.chnFlags`,
        setKind: 'number',
        evaluateName: `channel ${c.relid} chn_flags`,
        children: () => flags.map((f) => ({ name: f, value: 'set', readOnly: true })),
      });
      if (c.originalChnFlags !== undefined && c.originalChnFlags !== c.chnFlags) {
        kids.push({ name: 'chn_flags as offered', value: hex(c.originalChnFlags, 4), readOnly: true });
      }
      kids.push(
        { name: 'co_ring_buffer', value: String(c.confidentialRing), readOnly: true },
        { name: 'co_external_memory', value: String(c.confidentialExternal), readOnly: true },
        { name: 'hosted by', value: c.hostedBy + (c.relayed ? ' (through the paravisor relay)' : ''), readOnly: true },
        { name: 'connection_id', value: fmtValue('connection_id', c.connectionId), readOnly: true },
        { name: 'monitorid', value: c.monitorId === undefined ? 'none (monitor_allocated = 0)' : String(c.monitorId), readOnly: true },
        { name: 'subchannel index', value: String(c.subchannelIndex), readOnly: true },
      );
      if (c.subchannels.length) kids.push({ name: 'subchannels', value: c.subchannels.map((r) => `relid ${r}`).join(', '), readOnly: true });
      kids.push({
        name: 'gpadls',
        value: c.gpadls.length ? `${c.gpadls.length}` : 'none',
        count: c.gpadls.length,
        readOnly: true,
        children: () => c.gpadls.map((g, i) => gpadlNode(g, i, c.relid)),
      });
      if (c.offerHex) kids.push({ name: 'offer bytes', value: `${c.offerHex.length / 2} bytes`, memoryReference: `offer:${c.relid}`, readOnly: true });
      return kids;
    },
  };
}

function pageNode(p: PageView): VarNode {
  return {
    name: p.page,
    value: `${p.visibility}${p.freed ? ' (freed)' : ''}, ${p.purpose}`,
    readOnly: true,
    memoryReference: `page:${p.page}`,
    children: () => [
      { name: 'gpa', value: p.gpa, readOnly: true },
      { name: 'pages', value: String(p.count), readOnly: true },
      { name: 'purpose', value: p.purpose, readOnly: true },
      { name: 'owner', value: p.owner, readOnly: true },
      { name: 'visibility', value: p.visibility, readOnly: true },
      { name: 'why', value: p.reason, readOnly: true },
      { name: 'readable by', value: p.readableBy.join(', '), readOnly: true },
      { name: 'freed', value: String(p.freed), readOnly: true },
    ],
  };
}

export function exposureNodes(state: SimulationState): VarNode[] {
  const live = state.pages.filter((p) => !p.freed);
  const visible = live.filter((p) => p.visibility === 'host-visible');
  const encrypted = live.filter((p) => p.visibility === 'encrypted');
  const freed = state.pages.filter((p) => p.freed);
  const group = (name: string, list: PageView[]): VarNode => ({
    name,
    value: `${list.length} allocation(s), ${list.reduce((n, p) => n + p.count, 0)} page(s)`,
    count: list.length,
    readOnly: true,
    children: () => list.map(pageNode),
  });
  const out = [group('host-visible', visible), group('encrypted', encrypted)];
  if (freed.length) out.push(group('freed', freed));
  return out;
}

/** The last message event at or before the position, if any. */
export function currentMessage(events: Trace, position: number): MessageEvent | undefined {
  return findLastOfKind(events, 'message', position);
}

export function messageNodes(m: MessageEvent | undefined, position: number, edited?: ReadonlyMap<string, number>): VarNode[] {
  if (!m) return [{ name: 'message', value: 'no channel message yet', readOnly: true }];
  const out: VarNode[] = [];
  // A message read from a real log: what the log line does not say is unknown, not a placeholder's value.
  const unknown = new Set(m.log?.unknown ?? []);
  const u = (field: string, value: string): string => (unknown.has(field) ? 'unknown (not in the log)' : value);
  if (m.seq !== position) out.push({ name: '(last message)', value: `#${m.seq}; the current event is #${position}`, readOnly: true });
  out.push(
    { name: 'msgtype', value: `${m.msgtype} (${m.msgtypeValue})`, readOnly: true, evaluateName: 'msgtype' },
    { name: 'from → to', value: `${unknown.has('from') ? m.from + '?' : m.from} → ${unknown.has('to') ? m.to + '?' : m.to}`, readOnly: true },
    { name: 'synic', value: u('synic', m.synic ?? 'none (not delivered to a SynIC)'), readOnly: true },
    { name: 'path', value: u('path', m.path), readOnly: true },
    { name: 'connection id', value: u('connectionId', fmtValue('connection', m.connectionId)), readOnly: true },
    { name: 'status', value: u('status', m.status), readOnly: true },
    { name: 'confidential', value: u('confidential', String(m.confidential)), readOnly: true },
  );
  if (m.log) out.push({ name: 'log record', value: `line ${m.log.line}: ${m.log.name}`, readOnly: true });
  if (m.fault) out.push({ name: 'fault', value: m.fault, readOnly: true });
  const decoded = (m.decoded ?? {}) as Record<string, unknown>;
  const isOffer = m.msgtype === 'CHANNELMSG_OFFERCHANNEL';
  const relid = m.relid ?? (typeof decoded.child_relid === 'number' ? decoded.child_relid : undefined);
  // An offer's chn_flags can be changed until the guest reads the offer (engine: offer.relid.<n>.chn_flags).
  const flagsNode = (wire: number): VarNode => {
    const v = edited?.get('chn_flags') ?? wire;
    const names = channelFlagNames(v);
    const note = v !== wire ? ` (set; was ${hex(wire, 4)} on the wire)` : '';
    return {
      name: 'chn_flags',
      value: `${hex(v, 4)}${names.length ? ` [${names.map((f) => f.replace('VMBUS_CHANNEL_', '')).join(' | ')}]` : ''}${note}`,
      type: 'u16',
      evaluateName: 'chn_flags',
      setPath: relid !== undefined ? `offer.relid.${relid}.chn_flags` : 'pending.chn_flags',
      setKind: 'number',
      children: names.length ? () => names.map((f) => ({ name: f, value: 'set', readOnly: true })) : undefined,
    };
  };
  for (const [k, v] of Object.entries(decoded)) {
    if (k === 'msgtype') continue;
    const node = jsonNode(k, v, k);
    if (isOffer && k === 'offer' && v && typeof v === 'object') {
      const inner = v as Record<string, unknown>;
      node.children = () => Object.entries(inner).map(([kk, vv]) => (kk === 'chn_flags' && typeof vv === 'number' ? flagsNode(vv) : jsonNode(kk, vv, kk)));
    }
    out.push(node);
  }
  const offerFlags = isOffer ? (decoded.offer as Record<string, unknown> | undefined)?.chn_flags : undefined;
  if (typeof offerFlags === 'number') out.splice(out.length, 0, { ...flagsNode(offerFlags), name: 'chn_flags (offer.chn_flags)' });
  if (unknown.has('hex')) out.push({ name: 'bytes', value: 'unknown (not in the log)', readOnly: true });
  else out.push({ name: 'bytes', value: `${m.hex.length / 2} bytes: ${m.hex.slice(0, 48)}${m.hex.length > 48 ? '…' : ''}`, memoryReference: `msg:${m.seq}`, readOnly: true });
  return out;
}

export function eventNodes(e: TraceEvent | undefined, state: SimulationState): VarNode[] {
  if (!e) {
    return [
      { name: 'position', value: state.position < 0 ? 'before the first event' : String(state.position), readOnly: true },
      { name: 'phase', value: state.phase.join(' › ') || '(none)', readOnly: true },
    ];
  }
  const out: VarNode[] = [
    { name: 'seq', value: String(e.seq), readOnly: true },
    { name: 'kind', value: e.kind, readOnly: true },
    { name: 'what', value: describeEvent(e), readOnly: true },
    { name: 'phase', value: e.phase.join(' › ') || '(none)', readOnly: true },
    { name: 'vp', value: e.vp === null ? (e.log ? 'unknown (not in the log)' : 'none') : String(e.vp), readOnly: true },
    // A log's events are on its own clock (seconds since boot).
    { name: 'time', value: e.log ? (e.log.unknown.includes('time') ? 'unknown (not in the log)' : `${(e.time / 1e9).toFixed(6)} s`) : `${(e.time / 1000).toFixed(3)} µs`, readOnly: true },
    { name: 'granularity', value: e.granularity, readOnly: true },
  ];
  if (e.log) {
    out.push({ name: 'log line', value: String(e.log.line), readOnly: true });
    out.push(jsonNode('fields (as logged)', e.log.fields, 'log.fields'));
    if (e.log.unknown.length) out.push({ name: 'not in the log', value: e.log.unknown.join(', '), readOnly: true });
  }
  const skip = new Set(['seq', 'kind', 'phase', 'vp', 'time', 'granularity', 'source', 'log']);
  for (const [k, v] of Object.entries(e)) {
    if (skip.has(k)) continue;
    out.push(jsonNode(k, v, k));
  }
  if (e.source) out.push({ name: e.log ? 'log file' : 'scenario line', value: `${e.source.file}:${e.source.line + 1}`, readOnly: true });
  if (state.brokenInvariants.length) out.push({ name: 'broken invariants', value: state.brokenInvariants.join(', '), readOnly: true });
  return out;
}

export function guestNodes(state: SimulationState): VarNode[] {
  const g = state.guest;
  return [
    { name: 'connection', value: g.connectionState, readOnly: true },
    { name: 'vmbus_proto_version', value: g.version === null ? 'not negotiated' : `${hex(g.version, 8)}${g.versionName ? ` (${g.versionName})` : ''}`, readOnly: true },
    { name: 'is_confidential', value: String(g.confidential), readOnly: true, evaluateName: 'guest confidential' },
    { name: 'fallback taken', value: String(g.fallbackTaken), readOnly: true },
    { name: 'msg_conn_id', value: g.msgConnectionId === null ? 'none' : String(g.msgConnectionId), readOnly: true },
    { name: 'feature_flags', value: hex(g.featureFlags), readOnly: true },
    {
      name: 'dmesg',
      value: `${g.logs.length} line(s)`,
      count: g.logs.length,
      readOnly: true,
      children: () => g.logs.map((l, i) => ({ name: String(i), value: l, readOnly: true })),
    },
    { name: 'phase', value: state.phase.join(' › ') || '(none)', readOnly: true },
    { name: 'simulated time', value: `${(state.time / 1000).toFixed(3)} µs`, readOnly: true },
    { name: 'done', value: String(state.done), readOnly: true },
  ];
}

export function channelsNodes(state: SimulationState): VarNode[] {
  if (!state.channels.length) return [{ name: 'channels', value: 'no offers yet', readOnly: true }];
  return state.channels.map(channelNode);
}

export function scopeNodes(scope: ScopeName, session: SimulationSession, state: SimulationState, edits?: ReadonlyMap<number, ReadonlyMap<string, number>>): VarNode[] {
  const events = session.events();
  const pos = state.position;
  switch (scope) {
    case 'Event':
      return eventNodes(pos >= 0 ? events.at(pos)! : undefined, state);
    case 'Guest':
      return guestNodes(state);
    case 'Paravisor SynIC':
      return synicScope(state, 'paravisor');
    case 'Hypervisor SynIC':
      return synicScope(state, 'hypervisor');
    case 'Channels':
      return channelsNodes(state);
    case 'Current message': {
      const m = currentMessage(events, pos);
      return messageNodes(m, pos, m ? edits?.get(m.seq) : undefined);
    }
    case 'Exposure':
      return exposureNodes(state);
  }
}

/** Parse the text the user typed into an editable variable. */
export function parseEdit(raw: string, kind: 'number' | 'boolean' | 'string'): { ok: true; value: string | number | boolean } | { ok: false; error: string } {
  const t = raw.trim();
  if (kind === 'boolean') {
    if (/^(true|1)$/i.test(t)) return { ok: true, value: true };
    if (/^(false|0)$/i.test(t)) return { ok: true, value: false };
    return { ok: false, error: `expected true or false, got '${raw}'` };
  }
  if (kind === 'number') {
    // Accept "0x6", "6", and a value shown with its annotations ("0x0006 [...]", "0x10 (16)").
    const m = /^(0x[0-9a-f]+|\d+)/i.exec(t);
    if (!m) return { ok: false, error: `expected a number (decimal or 0x hex), got '${raw}'` };
    const n = Number(m[1]);
    if (!Number.isSafeInteger(n)) return { ok: false, error: `number out of range: ${raw}` };
    return { ok: true, value: n };
  }
  return { ok: true, value: t.replace(/^"(.*)"$/, '$1') };
}
