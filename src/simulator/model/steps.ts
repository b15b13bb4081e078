// The scenario's scripted steps (run { close ..., rescind ..., unload }): they run after the data
// phase, in order; a `rescind DEVICE after POINT` waits for its stop point. A rescind is the
// device's (host VSP or OpenHCL VSP) revoke; close and unload are the guest driver's.
import type { ScenarioConfig, SourceRef } from './config';
import type { TraceEvent } from '../trace/events';
import type { Clock } from './ports';
import type { Tracer } from './tracer';
import type { LinuxGuest } from './guest/guest';
import type { VmbusServer } from './server/server';
import type { ServerChannel } from './server/types';
import type { Relay } from './paravisor/relay';
import { eventMatchesStop } from './stops';
import { T } from './constants';

type RescindStep = Extract<ScenarioConfig['steps'][number], { kind: 'rescind' | 'reset' }>;

export class ScriptedSteps {
  /** Scripted rescinds with an `after` stop point: armed until the point is reached. */
  private afterSteps: RescindStep[] = [];
  /** Scripted rescinds waiting for their device to be offered (the stop came before the offer). */
  private rescindWhenOffered: { device: string; source?: SourceRef }[] = [];
  /** A scripted rescind waits until the guest has released the relid (device removal finished). */
  private releaseWaiters = new Map<number, () => void>();
  private started = false;

  constructor(
    private readonly cfg: ScenarioConfig,
    private readonly clock: Clock,
    private readonly tracer: Tracer,
    private readonly guest: () => LinuxGuest,
    private readonly pv: VmbusServer | null,
    private readonly host: VmbusServer,
    private readonly relay: Relay | null,
    private readonly deviceOf: (e: TraceEvent) => string | undefined,
  ) {
    for (const st of cfg.steps) if ((st.kind === 'rescind' || st.kind === 'reset') && st.after) this.afterSteps.push(st);
    if (this.afterSteps.length > 0) tracer.onEmit = (ev) => { if (this.afterSteps.length > 0) this.checkAfter(ev); };
  }

  private get servers(): VmbusServer[] {
    return this.pv ? [this.pv, this.host] : [this.host];
  }

  private checkAfter(ev: TraceEvent): void {
    for (let i = 0; i < this.afterSteps.length; i++) {
      const st = this.afterSteps[i];
      if (!eventMatchesStop(st.after!, ev, this.deviceOf)) continue;
      this.afterSteps.splice(i, 1);
      i--;
      if (st.kind === 'reset') this.clock.schedule(T.guestWork, () => this.guest().restart('reset', st.source, () => undefined));
      else this.clock.schedule(T.hostWork, () => this.scriptedRescind(st.device, st.source));
    }
  }

  /**
   * A `rescind DEVICE after ...` step whose stop point was reached. When the device has not been
   * offered yet (e.g. `after phase offers`), the rescind follows its offer.
   */
  private scriptedRescind(device: string, source?: SourceRef): void {
    const offered = this.servers.some((s) => s.channels.some((c) => c.dev.name === device && c.id !== 0));
    const pending = this.servers.some((s) => s.channels.some((c) => c.dev.name === device && c.id === 0));
    if (!offered && pending) { this.rescindWhenOffered.push({ device, source }); return; }
    this.rescind(device, source);
  }

  /** A server sent an offer: a rescind waiting for this device's offer follows it. */
  offered(c: ServerChannel): void {
    if (this.rescindWhenOffered.length === 0 || c.subIndex !== 0) return;
    for (let i = 0; i < this.rescindWhenOffered.length; i++) {
      const r = this.rescindWhenOffered[i];
      if (r.device !== c.dev.name) continue;
      this.rescindWhenOffered.splice(i--, 1);
      this.clock.schedule(T.hostWork, () => this.rescind(r.device, r.source));
    }
  }

  /** The guest released a relid: a scripted rescind waiting for it completes. */
  relidReleased(relid: number): void {
    const w = this.releaseWaiters.get(relid);
    if (w) { this.releaseWaiters.delete(relid); this.clock.schedule(T.serverWork * 2, w); }
  }

  /** After the data phase: the steps without a stop point, one after the other. */
  run(): void {
    if (this.started) return;
    this.started = true;
    const steps = this.cfg.steps.filter((s) => (s.kind !== 'rescind' && s.kind !== 'reset') || !s.after);
    const next = (i: number) => {
      if (i >= steps.length) return;
      const st = steps[i];
      const cont = () => this.clock.schedule(T.guestWork, () => next(i + 1));
      if (st.kind === 'rescind') this.rescind(st.device, st.source, cont);
      else if (st.kind === 'close') this.guest().ops.close(st.device, st.source, cont);
      else if (st.kind === 'unload') this.guest().ops.unload(st.source, cont);
      else if (st.kind === 'reopen') this.guest().ops.reopen(st.device, st.source, cont);
      else if (st.kind === 'connect' || st.kind === 'reset') this.guest().restart(st.kind, st.source, cont);
      else if (st.kind === 'modify') this.guest().ops.modify(st.device, st.vp, st.source, cont);
      else this.hvsockConnect(st, cont);
    };
    next(0);
  }

  /** `hvsock connect DEVICE | service GUID`: the guest connects to DEVICE's service, or to GUID. */
  private hvsockConnect(st: Extract<ScenarioConfig['steps'][number], { kind: 'hvsock-connect' }>, done: () => void): void {
    const service = st.service ?? this.cfg.devices.find((d) => d.name === st.device)?.classGuid ?? '';
    this.guest().ops.hvsockConnect(st.device ?? `service ${service}`, service, st.source, done);
  }

  /** A device revokes its channel (host VSP or OpenHCL VSP), by scenario name or guest relid. */
  rescind(device: string | number, source?: SourceRef, done?: () => void): void {
    const guest = this.guest();
    const gch = typeof device === 'number' ? guest.channels.get(device) : guest.channelOrder.find((c) => c.device === device && c.state !== 'rejected');
    const relid = gch?.relid;
    this.tracer.beginPhase('rescind', 0, source);
    let srvCh: ServerChannel | undefined;
    let srv: VmbusServer | undefined;
    for (const s of this.servers) {
      const c = s.channels.find((x) => (typeof device === 'number' ? x.id === device : x.dev.name === device) && x.id !== 0);
      if (c) { srvCh = c; srv = s; break; }
    }
    if (!srvCh || !srv) {
      this.tracer.log(this.pv ? 'paravisor' : 'host', 'warn', `rescind: no offered channel ${String(device)}`);
      this.tracer.endPhase('rescind', 'skipped');
      done?.();
      return;
    }
    const waitRelease = !!done && relid !== undefined && !!gch && !gch.rescinded && gch.state !== 'released';
    if (waitRelease) this.releaseWaiters.set(relid, () => { this.tracer.endPhase('rescind', 'ok'); done!(); });
    if (srvCh.relayed && this.pv) {
      // The host revokes towards the relay; OpenHCL revokes its re-offer.
      this.revokeOnHost(srvCh.hostRelid, source);
    } else {
      srv.revoke(srvCh, source);
    }
    if (!waitRelease) { this.tracer.endPhase('rescind', 'ok'); done?.(); }
  }

  /** The host's device revokes a channel it offered to the relay (its re-offer's rescind carries the same step). */
  revokeOnHost(hostRelid: number | undefined, source?: SourceRef): void {
    const hc = this.host.channels.find((c) => c.id === hostRelid);
    if (hc) { this.relay?.expectRescind(source); this.host.revoke(hc, source); }
  }

  /** End of run: steps that never fired are reported. */
  finish(): void {
    for (const st of this.afterSteps) {
      const what = st.kind === 'reset' ? 'scripted reset' : `scripted rescind of ${st.device}`;
      this.tracer.log(st.kind === 'reset' ? 'guest' : this.pv ? 'paravisor' : 'host', 'warn', `${what}: stop point "${st.after!.label}" was never reached`, st.source);
    }
    this.afterSteps = [];
    for (const r of this.rescindWhenOffered) this.tracer.log(this.pv ? 'paravisor' : 'host', 'warn', `scripted rescind of ${r.device}: the device was never offered`, r.source);
    this.rescindWhenOffered = [];
  }
}
