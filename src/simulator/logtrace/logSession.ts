// A stepping session over a real log: the same SimulationSession the debugger, the sidebar's
// stepper, the trees and the timeline drive, with no engine behind it. Stepping moves through the
// log's records; inspect() is what the records up to the position say (the channels offered and
// their states, the version negotiated); what no record said is left out or marked unknown.
// Changing a value or injecting a fault is refused: a log is what happened.
import type { ScenarioConfig } from '../model/config';
import type { ChannelView, EventPredicate, SimulationSession, SimulationState, StopInfo } from '../engine/api';
import type { Granularity, MessageEvent, TraceEvent } from '../trace/events';
import { queryTrace, type TraceQuery } from '../trace/store';
import { classByGuid } from '../protocol/guid';
import { versionName } from '../protocol/constants';
import type { ImportResult } from '../importers/types';
import { logToTrace, type LogTrace } from './logTrace';

/** The fields a log never gives about a channel (ChannelView placeholders). */
export const CHANNEL_UNKNOWN = ['hostedBy', 'relayed', 'serverState', 'confidentialRing', 'confidentialExternal', 'gpadls'] as const;

export interface LogSessionOptions {
  /** The config views read (name, vpCount, platform): the scenario imported from the log, or a stand-in. */
  config: ScenarioConfig;
  /** Log file name the events' source refs name. */
  file: string;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

export class LogSession implements SimulationSession {
  readonly config: ScenarioConfig;
  readonly trace: LogTrace;
  private pos = -1;
  /** The import behind it (devices of a listing that has no events, facts). */
  readonly imported: ImportResult;

  constructor(imported: ImportResult, opts: LogSessionOptions) {
    this.imported = imported;
    this.trace = logToTrace(imported, opts.file);
    this.config = { ...opts.config, platform: { ...opts.config.platform, vpCount: Math.max(opts.config.platform.vpCount, this.trace.vpCount) } };
  }

  /** Marks a session as a log's (views use it to say "log" instead of "run"). */
  readonly isLog = true;

  events(): TraceEvent[] { return this.trace.events; }
  query(q: TraceQuery): TraceEvent[] { return queryTrace(this.trace.events, q); }
  position(): number { return this.pos; }
  done(): boolean { return this.pos >= this.trace.events.length - 1; }

  private stop(reason: StopInfo['reason'], description?: string): StopInfo {
    const s: StopInfo = { reason };
    const ev = this.pos >= 0 ? this.trace.events[this.pos] : undefined;
    if (ev) s.event = ev;
    if (description) s.description = description;
    return s;
  }

  step(_granularity: Granularity): StopInfo {
    if (this.done()) return this.stop('end');
    this.pos++;
    return this.stop('step');
  }
  stepOut(): StopInfo { return this.runToEnd(); }
  stepBack(_granularity: Granularity): StopInfo {
    this.pos = Math.max(-1, this.pos - 1);
    return this.stop(this.pos < 0 ? 'entry' : 'step');
  }
  runUntil(pred: EventPredicate, maxEvents = Number.POSITIVE_INFINITY): StopInfo {
    let n = 0;
    while (!this.done()) {
      this.pos++;
      if (pred(this.trace.events[this.pos])) return this.stop('predicate');
      if (++n >= maxEvents) return this.stop('budget');
    }
    return this.stop('end');
  }
  reverseUntil(pred: EventPredicate): StopInfo {
    for (let p = this.pos - 1; p >= 0; p--) if (pred(this.trace.events[p])) { this.pos = p; return this.stop('predicate'); }
    this.pos = -1;
    return this.stop('entry');
  }
  runToEnd(): StopInfo {
    this.pos = this.trace.events.length - 1;
    return this.stop('end');
  }
  runAsync(): Promise<StopInfo> { return Promise.resolve(this.runToEnd()); }
  goTo(position: number): StopInfo {
    this.pos = Math.max(-1, Math.min(Math.trunc(position), this.trace.events.length - 1));
    return this.stop(this.pos < 0 ? 'entry' : 'step');
  }
  setValue(): { ok: false; error: string } {
    return { ok: false, error: 'a real log cannot be changed: run its scenario (VMBus: Import Log as Scenario) to try a change' };
  }
  inject(): { ok: false; error: string } {
    return { ok: false, error: 'a real log cannot take a fault: run its scenario (VMBus: Import Log as Scenario) to inject one' };
  }

  inspect(): SimulationState {
    return projectLog(this.imported, this.trace.events, this.pos);
  }
}

/** What the log's records up to `position` say about the VM. */
export function projectLog(imported: ImportResult, events: readonly TraceEvent[], position: number): SimulationState {
  const channels = new Map<number, ChannelView>();
  let version: number | null = null;
  let requested: number | undefined;
  let featureFlags = 0;
  let connectionState = 'disconnected';
  const logs: string[] = [];
  const ev = position >= 0 ? events[position] : undefined;
  for (let i = 0; i <= position && i < events.length; i++) {
    const e = events[i];
    if (e.kind === 'log') { logs.push(e.text); continue; }
    if (e.kind !== 'message') continue;
    const d = e.decoded;
    switch (e.msgtype) {
      case 'CHANNELMSG_INITIATE_CONTACT':
        requested = num(d.vmbus_version_requested);
        featureFlags = typeof d.feature_flags === 'number' ? d.feature_flags : 0;
        connectionState = 'connecting';
        break;
      case 'CHANNELMSG_VERSION_RESPONSE':
        if (num(d.version_supported) !== 0 && requested !== undefined) { version = requested; connectionState = 'connected'; }
        break;
      case 'CHANNELMSG_OFFERCHANNEL': channels.set(e.relid ?? -1, offerChannel(e, channels)); break;
      case 'CHANNELMSG_OPENCHANNEL': setState(e, 'opening'); break;
      case 'CHANNELMSG_OPENCHANNEL_RESULT': setState(e, num(d.status) === 0 ? 'open' : `open failed (${num(d.status)})`); break;
      case 'CHANNELMSG_CLOSECHANNEL': setState(e, 'closed'); break;
      case 'CHANNELMSG_RESCIND_CHANNELOFFER': setState(e, 'rescinded'); break;
      case 'CHANNELMSG_RELID_RELEASED': setState(e, 'released'); break;
      case 'CHANNELMSG_MODIFYCHANNEL': break;
      default:
    }
  }
  // A listing (lsvmbus, sysfs, udev, or a dmesg's refused offers) has no offers to replay: its
  // devices are the state at the time it was taken, shown from the start.
  if (!events.some((e) => e.kind === 'message' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL')) {
    for (const dev of imported.devices) {
      for (const [k, c] of (dev.channels ?? (dev.relid !== undefined ? [{ relid: dev.relid, targetCpu: dev.targetCpus?.[0] }] : [])).entries()) {
        channels.set(c.relid, {
          ...placeholders(),
          relid: c.relid, device: dev.className ?? dev.description ?? 'unknown', classGuid: dev.classGuid ?? 'unknown',
          ...(dev.className ? { className: dev.className } : {}), instanceGuid: dev.instanceGuid ?? 'unknown',
          subchannelIndex: c.subchannelIndex ?? k, chnFlags: dev.chnFlags ?? 0, connectionId: dev.connectionId ?? 0,
          ...(dev.monitorId !== undefined ? { monitorId: dev.monitorId } : {}),
          state: typeof dev.state === 'number' ? ['offered', 'opening', 'open', 'open'][dev.state] ?? String(dev.state) : dev.state ?? 'unknown',
          ...(dev.rejectReason ? { rejectReason: dev.rejectReason } : {}), subchannels: [],
        });
      }
    }
  }
  const confidential = (featureFlags & 0x10) !== 0 || !!imported.facts.confidentialVmbus;
  return {
    position, done: position >= events.length - 1, time: ev?.time ?? 0, phase: [],
    guest: {
      connectionState: connectionState === 'disconnected' && imported.version ? 'connected' : connectionState,
      version: version ?? imported.version?.value ?? null,
      versionName: version !== null ? versionName(version) : imported.version ? versionName(imported.version.value) : null,
      confidential, fallbackTaken: false, msgConnectionId: null, featureFlags, logs,
    },
    // Nothing in a guest's log shows the paravisor's side.
    paravisor: { present: confidential, confidentialVmbus: confidential, connectionState: 'unknown', grantedFeatures: 0, relayConnected: false },
    synics: [], channels: [...channels.values()].sort((a, b) => a.relid - b.relid), pages: [], brokenInvariants: [],
  };

  function setState(e: MessageEvent, state: string): void {
    const c = e.relid !== undefined ? channels.get(e.relid) : undefined;
    if (c) c.state = state;
  }
}

function placeholders(): Pick<ChannelView, 'hostedBy' | 'relayed' | 'confidentialRing' | 'confidentialExternal' | 'gpadls' | 'serverState'> {
  return { hostedBy: 'host', relayed: false, confidentialRing: false, confidentialExternal: false, gpadls: [], serverState: 'unknown (not in the log)' };
}

function offerChannel(e: MessageEvent, channels: Map<number, ChannelView>): ChannelView {
  const d = e.decoded;
  const o = (d.offer ?? {}) as Record<string, unknown>;
  const cls = typeof o.if_type === 'string' ? classByGuid(o.if_type) : undefined;
  const sub = num(o.sub_channel_index);
  const c: ChannelView = {
    ...placeholders(),
    relid: e.relid ?? -1, device: cls?.name ?? String(o.if_type ?? 'unknown'), classGuid: String(o.if_type ?? 'unknown'),
    ...(cls ? { className: cls.name } : {}), instanceGuid: String(o.if_instance ?? 'unknown'),
    subchannelIndex: Number.isFinite(sub) ? sub : 0, chnFlags: num(o.chn_flags) || 0, connectionId: num(d.connection_id) || 0,
    state: 'offered', subchannels: [],
  };
  if (num(d.monitorid) !== 0xff && Number.isFinite(num(d.monitorid))) c.monitorId = num(d.monitorid);
  if (c.subchannelIndex > 0) {
    for (const p of channels.values()) if (p.instanceGuid === c.instanceGuid && p.subchannelIndex === 0) p.subchannels.push(c.relid);
  }
  return c;
}

export function isLogSession(s: SimulationSession): s is LogSession {
  return (s as Partial<LogSession>).isLog === true;
}
