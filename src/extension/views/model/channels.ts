// Channels view: every offer grouped by device class, with its relid, state, host, decoded
// chn_flags, connection/monitor ids, GPADLs and subchannels. Node ids are keyed by class GUID and
// relid so a step only refreshes the channels that changed.
import type { ChannelView, GpadlView } from '../../../simulator';
import { ModelBuilder, type NodeIcon, type TreeModel, type ViewNode } from './node';
import { decodeFlags, hex, plural } from './format';

export const CHANNEL_CONTEXT = 'vmbusChannel';

/** The icon that tells at a glance what chn_flags ask for and what happened to the offer. */
export function channelIcon(ch: ChannelView): NodeIcon {
  if (ch.state === 'rejected') return { id: 'error', color: 'errorForeground' };
  if (ch.state === 'rescinded' || ch.state === 'released') return { id: 'circle-slash', color: 'disabledForeground' };
  if (ch.confidentialRing && ch.confidentialExternal) return { id: 'shield', color: 'charts.green' };
  if (ch.confidentialRing) return { id: 'lock', color: 'charts.green' };
  return { id: 'unlock', color: ch.hostedBy === 'host' ? 'charts.yellow' : undefined };
}

export function hostedByText(ch: ChannelView): string {
  if (ch.hostedBy === 'paravisor') return 'paravisor';
  return ch.relayed ? 'host (relayed)' : 'host';
}

export function stateText(ch: ChannelView): string {
  if (ch.state === 'rejected' && ch.rejectReason) return `rejected: ${ch.rejectReason}`;
  return ch.state;
}

function confidentialityText(ch: ChannelView): string {
  if (ch.state === 'rejected') return 'none set up (offer rejected)';
  if (ch.confidentialRing && ch.confidentialExternal) return 'ring + external memory encrypted';
  if (ch.confidentialRing) return 'ring encrypted';
  if (ch.confidentialExternal) return 'external memory encrypted';
  return 'host-visible ring';
}

function channelTooltip(ch: ChannelView): string {
  const lines = [
    `**${ch.device}** — relid ${ch.relid}${ch.subchannelIndex ? `, subchannel ${ch.subchannelIndex}` : ''}`,
    '',
    `- class: ${ch.className ?? 'unknown'} \`{${ch.classGuid}}\``,
    `- instance: \`{${ch.instanceGuid}}\``,
    `- state: ${stateText(ch)}${ch.serverState ? ` (server: ${ch.serverState})` : ''}`,
    `- hosted by: ${hostedByText(ch)}`,
    `- chn_flags: \`${hex(ch.chnFlags, 4)}\`${ch.originalChnFlags !== undefined && ch.originalChnFlags !== ch.chnFlags ? ` (originally \`${hex(ch.originalChnFlags, 4)}\`)` : ''}`,
    `- ${confidentialityText(ch)}`,
    `- connection id: \`${hex(ch.connectionId)}\``,
    `- monitor id: ${ch.monitorId === undefined ? 'none' : ch.monitorId}`,
  ];
  return lines.join('\n');
}

function gpadlIcon(g: GpadlView): NodeIcon {
  return g.visibility === 'encrypted' ? { id: 'lock', color: 'charts.green' } : { id: 'eye', color: 'charts.yellow' };
}

/**
 * Keeps each channel's nodes between builds: a channel whose ChannelView (and parent) did not
 * change reuses the same node objects, so a step with 1,000 channels rebuilds and diffs only the
 * few that moved. Hold one per session and pass it to every build.
 */
export interface ChannelsCache {
  entries: Map<number, { key: string; nodes: ViewNode[] }>;
}

export function newChannelsCache(): ChannelsCache {
  return { entries: new Map() };
}

/** Everything a channel's nodes show, as one string (cheaper than JSON of the whole view with its offer hex). */
function channelKey(ch: ChannelView): string {
  let k = `${ch.relid}|${ch.device}|${ch.classGuid}|${ch.className}|${ch.instanceGuid}|${ch.subchannelIndex}|${ch.hostedBy}|${ch.relayed}|${ch.chnFlags}|${ch.originalChnFlags}|${ch.connectionId}|${ch.monitorId}|${ch.state}|${ch.serverState}|${ch.rejectReason}|${ch.confidentialRing}|${ch.confidentialExternal}|${ch.offerHex ? 1 : 0}|${ch.subchannels.join(',')}`;
  for (const g of ch.gpadls) k += `|${g.handle},${g.kind},${g.pages},${g.gpa},${g.visibility},${g.state}`;
  const src = ch.source;
  if (src) k += `|${src.file}:${src.line}:${src.column}:${src.endLine}:${src.endColumn}`;
  return k;
}

interface BuildCtx {
  b: ModelBuilder;
  byRelid: Map<number, ChannelView>;
  seen: Set<number>;
  cache?: ChannelsCache;
  next: Map<number, { key: string; nodes: ViewNode[] }>;
}

function addChannel(ctx: BuildCtx, ch: ChannelView, parent: string, parentFresh: boolean): void {
  const { byRelid, seen } = ctx;
  seen.add(ch.relid);
  const key = ctx.cache ? parent + '\u0000' + channelKey(ch) : '';
  const hit = ctx.cache?.entries.get(ch.relid);
  if (hit && hit.key === key) {
    ctx.b.adopt(hit.nodes, parentFresh);
    ctx.next.set(ch.relid, hit);
    for (const sub of ch.subchannels) {
      const sc = byRelid.get(sub);
      if (sc && !seen.has(sc.relid)) addChannel(ctx, sc, `ch:${ch.relid}`, false);
    }
    return;
  }
  const own: ViewNode[] = [];
  const b = {
    add: (n: Parameters<ModelBuilder['add']>[0], p: string): ViewNode => {
      const x = ctx.b.add(n, p, p !== parent || parentFresh);
      own.push(x);
      return x;
    },
  };
  const id = `ch:${ch.relid}`;
  const label = ch.subchannelIndex ? `${ch.device} / sub ${ch.subchannelIndex}` : ch.device;
  b.add(
    {
      id,
      label,
      description: `relid ${ch.relid} · ${stateText(ch)} · ${hostedByText(ch)}`,
      tooltip: channelTooltip(ch),
      icon: channelIcon(ch),
      contextValue: CHANNEL_CONTEXT + (ch.offerHex ? '.offer' : ''),
      relid: ch.relid,
      source: ch.source,
      expand: 'collapsed',
    },
    parent,
  );

  const flags = decodeFlags(ch.chnFlags);
  const changed = ch.originalChnFlags !== undefined && ch.originalChnFlags !== ch.chnFlags;
  b.add(
    {
      id: `${id}/flags`,
      label: 'chn_flags',
      description: `${hex(ch.chnFlags, 4)}${flags.length ? ' · ' + flags.map((f) => f.text).join(', ') : ''}${changed ? ` (originally ${hex(ch.originalChnFlags ?? 0, 4)})` : ''}`,
      icon: { id: 'symbol-enum' },
      expand: flags.length ? 'collapsed' : 'none',
    },
    id,
  );
  for (const f of flags) {
    const icon: NodeIcon =
      f.bit === 0x2 ? { id: 'lock', color: 'charts.green' } : f.bit === 0x4 ? { id: 'shield', color: 'charts.green' } : { id: 'symbol-constant' };
    b.add({ id: `${id}/flags/${f.bit}`, label: f.name, description: hex(f.bit, 4), tooltip: f.text, icon }, `${id}/flags`);
  }
  b.add(
    {
      id: `${id}/host`,
      label: 'hosted by',
      description: hostedByText(ch) + (ch.hostedBy === 'host' ? '' : ' (VTL2 VSP)'),
      icon: { id: ch.hostedBy === 'paravisor' ? 'shield' : 'server' },
    },
    id,
  );
  b.add({ id: `${id}/ring`, label: 'memory', description: confidentialityText(ch), icon: channelIcon({ ...ch, state: 'open' }) }, id);
  b.add({ id: `${id}/conn`, label: 'connection id', description: hex(ch.connectionId), icon: { id: 'plug' } }, id);
  b.add({ id: `${id}/monitor`, label: 'monitor id', description: ch.monitorId === undefined ? 'none' : String(ch.monitorId), icon: { id: 'pulse' } }, id);
  if (ch.state === 'rejected' && ch.rejectReason) {
    b.add({ id: `${id}/reject`, label: 'rejected', description: ch.rejectReason, tooltip: ch.rejectReason, icon: { id: 'error', color: 'errorForeground' } }, id);
  }
  if (ch.gpadls.length) {
    const gid = `${id}/gpadls`;
    b.add({ id: gid, label: 'GPADLs', description: String(ch.gpadls.length), icon: { id: 'files' }, expand: 'expanded' }, id);
    for (const g of ch.gpadls) {
      b.add(
        {
          id: `${gid}/${g.handle}`,
          label: `GPADL ${hex(g.handle)}`,
          description: `${g.kind} · ${plural(g.pages, 'page')} · ${g.visibility} · ${g.state}`,
          tooltip: `GPADL \`${hex(g.handle)}\` (${g.kind === 'ring' ? 'HV_GPADL_RING' : 'HV_GPADL_BUFFER'}) at \`${g.gpa}\`, ${plural(g.pages, 'page')}, ${g.visibility}, ${g.state}`,
          icon: gpadlIcon(g),
        },
        gid,
      );
    }
  }
  if (ctx.cache) ctx.next.set(ch.relid, { key, nodes: own });
  for (const sub of ch.subchannels) {
    const sc = byRelid.get(sub);
    if (sc && !seen.has(sc.relid)) addChannel(ctx, sc, id, true);
  }
}

export function buildChannelsModel(channels: readonly ChannelView[], cache?: ChannelsCache): TreeModel {
  const b = new ModelBuilder();
  if (!channels.length) {
    if (cache) cache.entries = new Map();
    return b.build();
  }
  const byRelid = new Map<number, ChannelView>();
  for (const ch of channels) byRelid.set(ch.relid, ch);
  const childRelids = new Set<number>();
  for (const ch of channels) for (const s of ch.subchannels) if (s !== ch.relid && byRelid.has(s)) childRelids.add(s);

  const groups = new Map<string, ChannelView[]>();
  for (const ch of channels) {
    if (childRelids.has(ch.relid)) continue;
    const key = ch.classGuid.toLowerCase();
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(ch);
  }
  const keys = [...groups.keys()].sort((a, b2) => {
    const na = groups.get(a)?.[0]?.className ?? a;
    const nb = groups.get(b2)?.[0]?.className ?? b2;
    return na.localeCompare(nb) || a.localeCompare(b2);
  });
  const seen = new Set<number>();
  const ctx: BuildCtx = { b, byRelid, seen, cache, next: new Map() };
  let rejected = 0;
  let confidential = 0;
  for (const ch of channels) {
    if (ch.state === 'rejected') rejected++;
    if (ch.confidentialRing) confidential++;
  }
  for (const key of keys) {
    const list = (groups.get(key) ?? []).slice().sort((x, y) => x.relid - y.relid);
    const name = list.find((c) => c.className)?.className ?? `{${key}}`;
    const gid = `class:${key}`;
    b.add(
      {
        id: gid,
        label: name,
        description: plural(list.length, 'channel'),
        tooltip: `**${name}**\n\nclass GUID \`{${key}}\``,
        icon: { id: 'symbol-class' },
        expand: 'expanded',
      },
      undefined,
    );
    for (const ch of list) addChannel(ctx, ch, gid, true);
  }
  if (cache) cache.entries = ctx.next;
  const parts = [plural(channels.length, 'channel')];
  if (confidential) parts.push(`${confidential} confidential`);
  if (rejected) parts.push(`${rejected} rejected`);
  return b.build(parts.join(' · '));
}
