// Debug console commands: `decode <hex>`, `channel 5`, `sint2 vp0`, `exposure`, `help`, ...
// Anything else is evaluated as a condition-language expression over the current event
// (e.g. `relid`, `msgtype == CHANNELMSG_OFFERCHANNEL`).
import { type SimulationSession, type SimulationState, type TraceEvent, decodeMessage, parseHex } from '../../simulator';
import { compileCondition } from './conditions';
import {
  channelNode,
  currentMessage,
  eventNodes,
  exposureNodes,
  guestNodes,
  jsonNode,
  messageNodes,
  registerNode,
  synicNodes,
  type VarNode,
} from './variables';

export interface ConsoleContext {
  session: SimulationSession;
  state(): SimulationState;
  /** Move to a trace position (goto); returns a line describing where it stopped. */
  goTo(seq: number): string;
  /** Apply a value change (set); returns an error text or undefined. */
  setValue(path: string, value: string | number | boolean): string | undefined;
  inject(fault: { kind: string; relid?: number; params?: Record<string, string | number | boolean> }): string | undefined;
}

export interface ConsoleResult {
  result: string;
  node?: VarNode;
  error?: boolean;
}

export const HELP = [
  'VMBus Lab debug console. Commands:',
  '  help                      this text',
  '  decode <hex>              decode a channel message (Linux field names)',
  '  channel <relid|device>    one channel: state, flags, GPADLs',
  '  channels                  all channels',
  '  sint<N> [vp<M>] [para|hyp] a SINT register, decoded (e.g. sint2 vp0)',
  '  simp|siefp|scontrol [vp<M>] [para|hyp]',
  '  synic [vp<M>] [para|hyp]  a whole SynIC',
  '  exposure                  which pages the host can read',
  '  guest                     the guest connection (version, confidential, fallback)',
  '  message                   the current (last) channel message',
  '  event [seq]               the current event, or event #seq',
  '  dmesg                     the guest log so far',
  '  goto <seq>                move to trace position seq (-1 = start)',
  '  set <path> = <value>      change a value and re-run from here (e.g. set channel.5.chnFlags = 0x2)',
  '  inject <kind> [relid N] [name=value ...]  inject a fault here (e.g. inject rescind relid 5)',
  '  <expression>              evaluate over the current event: relid, msgtype == CHANNELMSG_OPENCHANNEL && vp == 0',
].join('\n');

function parseScalar(v: string): string | number | boolean {
  const t = v.trim();
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) return Number(t);
  return t.replace(/^"(.*)"$/, '$1');
}

function pickSynic(state: SimulationState, args: string[]): { owner?: 'paravisor' | 'hypervisor'; vp: number } {
  let owner: 'paravisor' | 'hypervisor' | undefined;
  let vp = 0;
  for (const a of args) {
    const l = a.toLowerCase();
    if (/^vp\d+$/.test(l)) vp = Number(l.slice(2));
    else if (/^para/.test(l)) owner = 'paravisor';
    else if (/^(hyp|hv)/.test(l)) owner = 'hypervisor';
  }
  void state;
  return { owner, vp };
}

export function evaluateCommand(text: string, ctx: ConsoleContext): ConsoleResult {
  const line = text.trim();
  if (!line) return { result: '' };
  const [head, ...rest] = line.split(/\s+/);
  const cmd = head.toLowerCase();
  const state = ctx.state();
  const events = ctx.session.events();

  if (cmd === 'help' || cmd === '?') return { result: HELP };

  if (cmd === 'decode') {
    const hexText = rest.join('');
    const parsed = parseHex(hexText);
    if (!parsed.ok) return { result: `decode: ${parsed.error.message}`, error: true };
    const d = decodeMessage(parsed.bytes);
    if (!d.ok) return { result: `decode: ${d.error.message}`, error: true };
    const node = jsonNode('message', d.value);
    const warn = d.warnings.length ? ` (warnings: ${d.warnings.join('; ')})` : '';
    return { result: `${String(d.value.msgtype)}, ${parsed.bytes.length} bytes${warn}`, node: { ...node, value: `${String(d.value.msgtype)}${warn}` } };
  }

  if (cmd === 'channel' || cmd === 'relid') {
    const key = rest[0];
    if (!key) return { result: 'usage: channel <relid|device>', error: true };
    const c = state.channels.find((x) => String(x.relid) === key || x.device === key || x.instanceGuid === key.toLowerCase());
    if (!c) return { result: `no channel '${key}' at this point (offered: ${state.channels.map((x) => `${x.relid}=${x.device}`).join(', ') || 'none'})`, error: true };
    const node = channelNode(c);
    if (rest[1]) {
      const field = rest[1];
      const kid = node.children?.().find((k) => k.name === field);
      if (kid) return { result: kid.value, node: kid.children ? kid : undefined };
    }
    return { result: `relid ${c.relid}: ${node.value}`, node };
  }

  if (cmd === 'channels') {
    const kids = state.channels.map(channelNode);
    return {
      result: `${kids.length} channel(s)`,
      node: { name: 'channels', value: `${kids.length} channel(s)`, children: () => kids, count: kids.length },
    };
  }

  const reg = /^(sint(\d+)|simp|siefp|scontrol)$/.exec(cmd);
  if (reg || cmd === 'synic') {
    const { owner, vp } = pickSynic(state, rest);
    const candidates = state.synics.filter((s) => s.vp === vp && (!owner || s.owner === owner));
    if (!candidates.length) return { result: `no ${owner ?? ''} SynIC for VP ${vp} at this point`.replace('  ', ' '), error: true };
    const nodes: VarNode[] = [];
    for (const s of candidates) {
      const label = `vp${s.vp} ${s.owner === 'paravisor' ? 'para' : 'hyp'}`;
      if (cmd === 'synic') {
        nodes.push({ name: `${s.owner} SynIC vp${s.vp}`, value: `SCONTROL ${s.scontrol.value}`, children: () => synicNodes(s, label) });
        continue;
      }
      let r;
      if (cmd === 'simp') r = s.simp;
      else if (cmd === 'siefp') r = s.siefp;
      else if (cmd === 'scontrol') r = s.scontrol;
      else r = s.sints.find((x) => x.name.toLowerCase() === cmd);
      if (!r) {
        nodes.push({ name: `${s.owner} ${cmd.toUpperCase()}`, value: 'never written' });
        continue;
      }
      const n = registerNode(r, label);
      nodes.push({ ...n, name: `${s.owner} ${r.name} (vp${s.vp})` });
    }
    if (nodes.length === 1) return { result: `${nodes[0].name} = ${nodes[0].value}`, node: nodes[0] };
    return {
      result: nodes.map((n) => `${n.name} = ${n.value}`).join('\n'),
      node: { name: cmd, value: nodes.map((n) => n.name).join(', '), children: () => nodes },
    };
  }

  if (cmd === 'exposure') {
    const nodes = exposureNodes(state);
    const visible = state.pages.filter((p) => !p.freed && p.visibility === 'host-visible');
    const summary = `${visible.length} host-visible allocation(s) (${visible.reduce((n, p) => n + p.count, 0)} pages), ${
      state.pages.filter((p) => !p.freed && p.visibility === 'encrypted').length
    } encrypted`;
    return { result: summary, node: { name: 'exposure', value: summary, children: () => nodes } };
  }

  if (cmd === 'guest') {
    const nodes = guestNodes(state);
    const g = state.guest;
    const summary = `${g.connectionState}${g.versionName ? `, version ${g.versionName}` : ''}, confidential=${g.confidential}, fallback=${g.fallbackTaken}`;
    return { result: summary, node: { name: 'guest', value: summary, children: () => nodes } };
  }

  if (cmd === 'message' || cmd === 'msg') {
    const m = currentMessage(events, state.position);
    const nodes = messageNodes(m, state.position);
    const summary = m ? `#${m.seq} ${m.msgtype} ${m.from} → ${m.to}` : 'no channel message yet';
    return { result: summary, node: m ? { name: 'message', value: summary, children: () => nodes } : undefined };
  }

  if (cmd === 'event') {
    const seq = rest[0] !== undefined ? Number(rest[0]) : state.position;
    if (!Number.isInteger(seq) || seq < -1 || seq > state.position) return { result: `event: no executed event #${rest[0]}`, error: true };
    const e: TraceEvent | undefined = seq >= 0 ? events.at(seq)! : undefined;
    const nodes = eventNodes(e, state);
    const summary = e ? `#${e.seq} ${e.kind}` : 'before the first event';
    return { result: summary, node: { name: 'event', value: summary, children: () => nodes } };
  }

  if (cmd === 'dmesg' || cmd === 'log') {
    return { result: state.guest.logs.join('\n') || '(no guest log lines yet)' };
  }

  if (cmd === 'goto') {
    const seq = Number(rest[0]);
    if (!Number.isInteger(seq)) return { result: 'usage: goto <seq>', error: true };
    return { result: ctx.goTo(seq) };
  }

  if (cmd === 'set') {
    const m = /^set\s+([^=\s]+)\s*=?\s*(.+)$/i.exec(line);
    if (!m) return { result: 'usage: set <path> = <value>', error: true };
    const err = ctx.setValue(m[1], parseScalar(m[2]));
    return err ? { result: `set: ${err}`, error: true } : { result: `${m[1]} = ${m[2].trim()}; the run continues from the change` };
  }

  if (cmd === 'inject') {
    const kind = rest[0];
    if (!kind) return { result: 'usage: inject <kind> [relid N] [name=value ...]', error: true };
    let relid: number | undefined;
    const params: Record<string, string | number | boolean> = {};
    for (let i = 1; i < rest.length; i++) {
      if (rest[i] === 'relid' && rest[i + 1]) {
        relid = Number(rest[++i]);
      } else if (rest[i].includes('=')) {
        const [k, v] = rest[i].split('=');
        params[k] = parseScalar(v);
      } else if (/^\d+$/.test(rest[i]) && relid === undefined) {
        relid = Number(rest[i]);
      }
    }
    const err = ctx.inject({ kind, relid, params });
    return err ? { result: `inject: ${err}`, error: true } : { result: `injected ${kind}${relid !== undefined ? ` (relid ${relid})` : ''}` };
  }

  // An expression over the current event.
  const e = state.position >= 0 ? events.at(state.position)! : undefined;
  try {
    const cond = compileCondition(line);
    if (!e) return { result: 'no current event (before the first event); try `help`', error: true };
    const v = cond.value(e);
    if (v === undefined) return { result: `'${line}' is not a field of the current ${e.kind} event; try \`help\``, error: true };
    return { result: typeof v === 'bigint' ? '0x' + v.toString(16) : String(v) };
  } catch (err) {
    return { result: `${(err as Error).message}; try \`help\``, error: true };
  }
}
