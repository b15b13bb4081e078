// Trace → state projection. SimulationState is computed from TraceEvents alone (the trace is the
// contract), so stepping backwards is exact: restore the nearest snapshot of this projection and
// re-apply the events up to the position. Snapshots are structured clones of plain data.
import type { ScenarioConfig } from '../model/config';
import type { TraceEvent, SynicId, Party } from '../trace/events';
import type { ChannelView, GpadlView, PageView, RegisterView, SimulationState, SynicView } from './api';

const MSRS: Record<string, number> = { SCONTROL: 0x40000080, SIEFP: 0x40000082, SIMP: 0x40000083, EOM: 0x40000084, SINT2: 0x40000092 };

function reg(name: string): RegisterView {
  return { name, msr: MSRS[name] ?? 0, value: name === 'SINT2' ? '0x10000' : '0x0', fields: {}, path: null };
}

function synic(owner: SynicId, vp: number): SynicView {
  return {
    owner, vp, scontrol: reg('SCONTROL'), simp: reg('SIMP'), siefp: reg('SIEFP'), sints: [reg('SINT2')], eomCount: 0,
    slots: [{ sint: 2, msgtype: null, pending: false, queued: 0 }], eventFlags: [{ sint: 2, bits: [] }],
  };
}

export interface ProjectionState extends SimulationState {
  /** relid → index in channels. */
  _chIndex: Record<number, number>;
  _pageIndex: Record<string, number>;
}

export function initialState(cfg: ScenarioConfig): ProjectionState {
  const synics: SynicView[] = [];
  const n = Math.max(1, cfg.platform.vpCount);
  for (let vp = 0; vp < n; vp++) {
    synics.push(synic('hypervisor', vp));
    const cvm = cfg.platform.isolation === 'snp' || cfg.platform.isolation === 'tdx';
    if (cfg.platform.paravisor.present && cvm) synics.push(synic('paravisor', vp));
  }
  return {
    position: -1, done: false, time: 0, phase: [],
    guest: { connectionState: 'disconnected', version: null, versionName: null, confidential: false, fallbackTaken: false, msgConnectionId: null, featureFlags: 0, logs: [] },
    paravisor: { present: cfg.platform.paravisor.present, confidentialVmbus: cfg.platform.paravisor.confidentialVmbus, connectionState: 'Disconnected', grantedFeatures: 0, relayConnected: false },
    synics, channels: [], pages: [], brokenInvariants: [],
    _chIndex: {}, _pageIndex: {},
  };
}

function findSynic(s: ProjectionState, owner: SynicId, vp: number | null): SynicView | undefined {
  const v = vp ?? 0;
  return s.synics.find((x) => x.owner === owner && x.vp === v);
}

function readable(vis: string, owner: Party, pv: boolean): Party[] {
  const r: Party[] = ['guest'];
  if (pv) r.push('paravisor');
  if (vis === 'host-visible') r.push('hypervisor', 'host');
  void owner;
  return r;
}

const VNAMES: Record<number, string> = {
  0x60000: 'VERSION_WIN10_V6_0', 0x50003: 'VERSION_WIN10_V5_3', 0x50002: 'VERSION_WIN10_V5_2', 0x50001: 'VERSION_WIN10_V5_1',
  0x50000: 'VERSION_WIN10_V5', 0x40001: 'VERSION_WIN10_V4_1', 0x40000: 'VERSION_WIN10', 0x30000: 'VERSION_WIN8_1', 0x20004: 'VERSION_WIN8',
};

/** Applies one event to the projection (mutates s). */
export function applyEvent(s: ProjectionState, e: TraceEvent, cfg: ScenarioConfig): void {
  s.position = e.seq;
  s.time = e.time;
  s.phase = e.phase;
  switch (e.kind) {
    case 'register': {
      if (e.register.startsWith('CPUID')) break;
      const sy = findSynic(s, e.synic, e.vp);
      if (!sy) break;
      if (e.register === 'EOM') { if (e.op === 'write') sy.eomCount++; break; }
      if (e.op !== 'write') break;
      const r: RegisterView = { name: e.register, msr: e.msr, value: e.value, fields: e.fields, path: e.path };
      if (e.register === 'SCONTROL') sy.scontrol = r;
      else if (e.register === 'SIMP') sy.simp = r;
      else if (e.register === 'SIEFP') sy.siefp = r;
      else if (e.register === 'SINT2') sy.sints = [r];
      break;
    }
    case 'page': {
      const i = s._pageIndex[e.page];
      const pv = cfg.platform.paravisor.present;
      const view: PageView = { page: e.page, gpa: e.gpa, count: e.count, purpose: e.purpose, owner: e.owner, visibility: e.visibility, reason: e.reason, readableBy: readable(e.visibility, e.owner, pv), freed: e.action === 'free' };
      if (i === undefined || (e.action === 'allocate' && s.pages[i].freed)) {
        if (i === undefined) { s._pageIndex[e.page] = s.pages.length; s.pages.push(view); }
        else s.pages[i] = view;
      } else s.pages[i] = view;
      break;
    }
    case 'log':
      if (e.party === 'guest') s.guest.logs.push(e.text);
      break;
    case 'invariant':
      if (!s.brokenInvariants.includes(e.name)) s.brokenInvariants.push(e.name);
      break;
    case 'state': {
      const d = (e.detail ?? {}) as Record<string, unknown>;
      if (e.object === 'connection' && e.party === 'guest') {
        s.guest.connectionState = e.to;
        if (d.version !== undefined) { s.guest.version = d.version as number; s.guest.versionName = VNAMES[d.version as number] ?? null; }
        if (d.confidential !== undefined) s.guest.confidential = d.confidential as boolean;
        if (d.fallbackTaken !== undefined) s.guest.fallbackTaken = d.fallbackTaken as boolean;
        if (d.msgConnId !== undefined) s.guest.msgConnectionId = d.msgConnId as number;
        if (d.featureFlags !== undefined) s.guest.featureFlags = d.featureFlags as number;
      } else if (e.object === 'vmbus-mode' && e.party === 'guest') {
        // Discovery outcome (CPUID bit or the probe attempt): what the guest will try.
        if (d.confidential !== undefined) s.guest.confidential = d.confidential as boolean;
      } else if (e.object === 'connection' && e.party === 'paravisor') {
        s.paravisor.connectionState = e.to;
        if (d.features !== undefined) s.paravisor.grantedFeatures = d.features as number;
      } else if (e.object === 'relay') {
        s.paravisor.relayConnected = e.to === 'connected';
      } else if (e.object === 'slot' && e.synic) {
        const sy = findSynic(s, e.synic, e.vp);
        if (sy) sy.slots = [{ sint: 2, msgtype: (d.msgtype as string | null) ?? null, pending: !!d.pending, queued: (d.queued as number) ?? 0 }];
      } else if (e.object === 'event-flags' && e.synic) {
        const sy = findSynic(s, e.synic, e.vp);
        if (sy) sy.eventFlags = [{ sint: 2, bits: (d.bits as number[]) ?? [] }];
      } else if (e.object === 'channel' && e.party === 'guest' && e.relid !== undefined) {
        let i = s._chIndex[e.relid];
        if (i === undefined || (e.from === 'none' && s.channels[i].state !== 'rejected' && d.device !== undefined && s.channels[i].state === 'released')) {
          if (i === undefined) { i = s.channels.length; s._chIndex[e.relid] = i; }
          s.channels[i] = {
            relid: e.relid, device: '', classGuid: '', instanceGuid: '', subchannelIndex: 0, hostedBy: 'host', relayed: false, chnFlags: 0,
            connectionId: 0, state: e.to, confidentialRing: false, confidentialExternal: false, gpadls: [], subchannels: [],
          };
        } else if (e.from === 'none' && d.device !== undefined) {
          // A second offer with the same relid (hostile): a new entry keeps both visible.
          const n = s.channels.length;
          s.channels.push({ ...s.channels[i], gpadls: [], subchannels: [] });
          s._chIndex[e.relid] = n;
          i = n;
        }
        const ch = s.channels[i] as ChannelView & Record<string, unknown>;
        for (const [k, v] of Object.entries(d)) if (v !== undefined) ch[k] = v;
        ch.state = e.to;
        if (e.source && !ch.source) ch.source = e.source;
        if (e.from === 'none' && typeof d.subchannelIndex === 'number' && d.subchannelIndex > 0) {
          const prim = s.channels.find((c) => c.instanceGuid === d.instanceGuid && c.subchannelIndex === 0 && c.classGuid === d.classGuid);
          if (prim && !prim.subchannels.includes(e.relid)) prim.subchannels = [...prim.subchannels, e.relid];
        }
      } else if (e.object === 'gpadl' && e.party === 'guest' && e.relid !== undefined && e.gpadl !== undefined) {
        const i = s._chIndex[e.relid];
        if (i === undefined) break;
        const ch = s.channels[i];
        let g = ch.gpadls.find((x) => x.handle === e.gpadl);
        if (!g) {
          g = { handle: e.gpadl, kind: (d.kind as GpadlView['kind']) ?? 'ring', pages: (d.pages as number) ?? 0, gpa: (d.gpa as string) ?? '0x0', visibility: (d.visibility as GpadlView['visibility']) ?? 'encrypted', state: e.to };
          ch.gpadls = [...ch.gpadls, g];
        }
        g.state = e.to;
      } else if (e.object === 'channel' && e.party !== 'guest' && e.relid !== undefined) {
        const i = s._chIndex[e.relid];
        if (i !== undefined) s.channels[i].serverState = e.to;
      }
      break;
    }
    case 'message': {
      if (e.to === 'guest' && e.synic) {
        // occupancy is tracked by slot StateEvents
      }
      break;
    }
    case 'interrupt': {
      if (e.via === 'event' && e.relid !== undefined) {
        const sy = findSynic(s, e.synic, e.vp);
        if (sy && !sy.eventFlags[0].bits.includes(e.relid)) sy.eventFlags = [{ sint: 2, bits: [...sy.eventFlags[0].bits, e.relid].sort((a, b) => a - b) }];
      }
      break;
    }
    case 'packet': {
      const i = s._chIndex[e.relid];
      if (i !== undefined) {
        const ch = s.channels[i] as ChannelView;
        const r = ch.rings ?? (ch.rings = { outbound: { writeIndex: 0, packets: 0 }, inbound: { writeIndex: 0, packets: 0 } });
        const side = e.ring === 'outbound' ? r.outbound : r.inbound;
        side.writeIndex = e.writeIndex;
        side.packets++;
      }
      break;
    }
    default:
      break;
  }
}

/**
 * Copy for snapshots. applyEvent replaces nested arrays/objects it changes (register views, slot
 * and flag arrays, phase arrays, event-derived field objects) instead of mutating them, except the
 * containers copied here (channels, their GPADLs and ring counters, pages, synics, logs), so a
 * shallow copy of those levels is a complete, independent snapshot. Cheap: no serialisation.
 */
export function cloneState(s: ProjectionState): ProjectionState {
  return {
    ...s,
    guest: { ...s.guest, logs: s.guest.logs.slice() },
    paravisor: { ...s.paravisor },
    synics: s.synics.map((x) => ({ ...x })),
    channels: s.channels.map(cloneChannel),
    pages: s.pages.map((p) => ({ ...p })),
    brokenInvariants: s.brokenInvariants.slice(),
    _chIndex: { ...s._chIndex },
    _pageIndex: { ...s._pageIndex },
  };
}

function cloneChannel(c: ChannelView): ChannelView {
  const o: ChannelView = { ...c, gpadls: c.gpadls.map((g) => ({ ...g })), subchannels: c.subchannels.slice() };
  if (c.rings) o.rings = { outbound: { ...c.rings.outbound }, inbound: { ...c.rings.inbound } };
  return o;
}

/** The public view (an independent copy without the private indices). */
export function publicState(s: ProjectionState, done: boolean): SimulationState {
  const c = cloneState(s) as Partial<ProjectionState>;
  delete c._chIndex;
  delete c._pageIndex;
  const out = c as SimulationState;
  out.done = done;
  return out;
}
