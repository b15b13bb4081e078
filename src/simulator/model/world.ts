// The world: builds the parties from the scenario and wires their ports. Nothing here decides
// protocol behaviour; it only says who is connected to whom:
//   guest ──HvPostMessage──▶ hypervisor ──wire──▶ paravisor server (VTL2) or host server
//   server ──send──▶ hypervisor SynIC slot ──SINT──▶ guest ISR        (guest client)
//   host server ──wire──▶ relay ──▶ paravisor server (re-offers)      (relay client)
// and which scenario device stands behind a channel (driver configuration and trace labels).
import { paravisorHandlesMnf, type ScenarioConfig, type SourceRef } from './config';
import type { TraceEvent } from '../trace/events';
import type { Clock } from './ports';
import type { Emit, Json } from './tracer';
import { Tracer } from './tracer';
import { Platform } from './platform';
import { Memory, type PageRec } from './memory';
import { FaultInjector, Wire } from './faults/injector';
import { forgeUntrustedMessage, hostileOnHostSend } from './faults/hostile';
import { Hypervisor } from './hypervisor/hypervisor';
import { VmbusServer } from './server/server';
import type { ServerPorts } from './server/ports';
import { channelFor, type ServerClient } from './server/types';
import { Relay } from './paravisor/relay';
import { ParavisorMonitorPage } from './paravisor/monitor';
import { vsCpuidEax } from './paravisor/cpuid';
import { LinuxGuest } from './guest/guest';
import type { OfferedDevice } from './guest/types';
import { ScriptedSteps } from './steps';
import { applyEdit, type SimEdit } from './edits';
import { prng } from '../util/prng';
import { LINUX_VERSION_ORDER } from '../protocol/constants';
import { OPENHCL_NON_ISOLATED_MAX_FLAGS, T, VMBUS_MESSAGE_REDIRECT_CONNECTION_ID } from './constants';

export type { SimEdit } from './edits';
export type { PageRec } from './memory';
export { eventMatchesStop } from './stops';

/** The fixed delays the data path schedules with (a clock may keep a FIFO lane for each). */
export const LANE_DELAYS = [T.packetGap, T.drain, T.isr] as const;

export class World {
  readonly cfg: ScenarioConfig;
  readonly platform: Platform;
  readonly tracer: Tracer;
  readonly memory: Memory;
  readonly faults: FaultInjector;
  readonly hypervisor: Hypervisor;
  readonly host: VmbusServer;
  /** OpenHCL's VMBus server for VTL0 (Confidential VMBus), when the paravisor has one. */
  readonly pv: VmbusServer | null = null;
  readonly relay: Relay | null = null;
  /** OpenHCL's monitor page when its server handles MNF (VTL0 stores to it are intercepted). */
  private readonly pvMonitor: ParavisorMonitorPage | null = null;
  readonly guest: LinuxGuest;
  readonly steps: ScriptedSteps;
  private readonly rand: () => number;
  private readonly wire: Wire;
  /** OpenHCL failed to start the VM (its relay could not be created): VTL0 never boots. */
  private vtl0Failed = false;

  constructor(cfg: ScenarioConfig, private readonly clock: Clock, opts: { compactTrace?: boolean } = {}) {
    this.cfg = cfg;
    const p = cfg.platform;
    const platform = (this.platform = new Platform(p));
    const tracer = (this.tracer = new Tracer(clock, opts.compactTrace ?? true, platform.cvm));
    this.rand = prng(cfg.seed);
    this.memory = new Memory(tracer, 0x10000 + Math.floor(this.rand() * 0x1000) * 0x10);
    const faults = (this.faults = new FaultInjector(cfg.faults, tracer));
    const wire = (this.wire = new Wire(clock, faults));
    this.hypervisor = new Hypervisor(platform, clock, tracer, faults, {
      interrupt: (vp) => this.guest.interrupt(vp),
      confidentialGuest: () => this.guest.confidential,
      guestMessageConnId: () => this.guest.msgConnId ?? 4,
      deviceOfGuestRelid: (relid) => this.deviceOfGuestRelid(relid),
      deviceOfRelid: (relid) => this.deviceOfGuestRelid(relid) ?? this.deviceOfServerRelid(relid),
      vtl2WriteIntercept: (gpa, bytes) => this.pvMonitor?.intercept(gpa, bytes) ?? false,
      toServer: (target, bytes, ctx) => wire.transmit('guest', target, bytes, { ...ctx, device: this.deviceOfGuestRelid(ctx.relid) }, (b) => {
        if (target === 'paravisor') this.pv!.receive('guest', b, ctx.trusted, ctx.multiclient);
        // Host ports 1/4 are not registered for VTL0 when OpenHCL redirects VMBus.
        else if (!this.relay || this.relay.state === 'none') this.host.receive('guest', b, false, ctx.multiclient);
      }),
    });
    const serverPorts = (party: 'paravisor' | 'host'): ServerPorts => ({
      send: (client, bytes, name, relid, source) => this.serverSend(party, client, bytes, name, relid, source),
      sendToSint: (client, bytes, vp, sint) => {
        if (client === 'guest') this.hypervisor.sendToSint(party, bytes, vp, sint);
        else this.serverSend(party, client, bytes, 'CHANNELMSG_VERSION_RESPONSE', undefined);
      },
      retargetMessages: (vp) => this.hypervisor.retargetMessages(vp),
      offered: (c) => this.steps.offered(c),
      newGuid: () => this.genGuid(),
    });
    this.host = new VmbusServer({
      party: 'host', versions: p.hostVersions.length ? p.hostVersions : [...LINUX_VERSION_ORDER], maxFlags: p.hostFeatureFlags, requireServerMnf: false,
    }, clock, tracer, faults, serverPorts('host'));
    if (platform.pvServer) {
      // OpenHCL worker.rs: enable_mnf = OPENHCL_VMBUS_ENABLE_MNF, else whether OpenHCL hosts a NIC
      // (MANA); lib.rs: require_server_allocated_mnf = enable_mnf && private memory (a CVM).
      const handlesMnf = paravisorHandlesMnf(cfg);
      const mon = handlesMnf ? (this.pvMonitor = new ParavisorMonitorPage(tracer, (s) => this.pv!.monitorSignal(s))) : null;
      this.pv = new VmbusServer({
        party: 'paravisor', versions: p.paravisor.versions.length ? p.paravisor.versions : [...LINUX_VERSION_ORDER],
        maxFlags: platform.cvm ? 0xffffffff : OPENHCL_NON_ISOLATED_MAX_FLAGS, requireServerMnf: handlesMnf && platform.cvm, handlesMnf,
      }, clock, tracer, faults, {
        ...serverPorts('paravisor'),
        // OpenHCL allocates the pair in VTL0 memory it shares with the host ("the monitor pages must
        // be in shared memory"); a connection has one pair.
        allocateMonitorPages: () => {
          const id = 'paravisor.monitor';
          const rec = this.memory.get(id) ?? this.memory.page(id, 2, 'server-allocated monitor pages', 'paravisor', 'host-visible', 'OpenHCL allocates the monitor pages for server_specified_monitor_pages (VersionResponse3)');
          return { parentToChild: rec.gpa, childToParent: rec.gpa + 0x1000 };
        },
        ...(mon ? {
          setMonitorPage: (gpa: number | null) => mon.setGpa(gpa),
          registerMonitor: (id: number, conn: number | null) => { if (conn === null) mon.unregister(id); else mon.register(id, conn); },
        } : {}),
      });
      this.relay = new Relay(this.pv, clock, tracer, faults, wire, {
        toHost: (b) => this.host.receive('relay', b, false, true),
        hostChannel: (hostRelid) => this.host.channelById(hostRelid),
        revokeOnHost: (hostRelid, source) => this.steps.revokeOnHost(hostRelid, source),
        startFailed: (why) => this.vtl0StartFailed(why),
      });
      this.pv.attachRelay(this.relay);
    }
    for (const d of cfg.devices) {
      // A listening hv_sock service: the host offers a channel per connect (OpenHCL's server has
      // no listeners of its own: it hands every connect to the relay, i.e. to the host).
      if (d.hvsockListen) {
        if (d.host === 'host') this.host.addHvsockListener(d);
        else if (this.pv) tracer.log('paravisor', 'warn', `hv_sock ${d.name} listens in the paravisor, but OpenHCL hands every guest connect to the host (vmbus_relay): never reached`, d.source);
        continue;
      }
      const ch = channelFor(d, d.instanceGuid || this.genGuid());
      if (d.host === 'paravisor') this.pv?.addDevice(ch);
      else this.host.addDevice(ch);
    }
    this.guest = new LinuxGuest(cfg, platform, clock, tracer, this.memory, faults, this.hypervisor, {
      cpuidVsEax: () => vsCpuidEax(platform),
      offeredDevice: (relid, instance) => this.offeredDevice(relid, instance),
      allOffersDelivered: () => forgeUntrustedMessage(faults, tracer, clock, platform, this.guest.msgConnId ?? 1, this.pv),
      dataDone: () => this.steps.run(),
      relidReleased: (relid) => this.steps.relidReleased(relid),
    });
    this.steps = new ScriptedSteps(cfg, clock, tracer, () => this.guest, this.pv, this.host, this.relay, (e) => this.deviceOfEvent(e));
    clock.schedule(0, () => this.boot());
  }

  private genGuid(): string {
    const h = (n: number) => Math.floor(this.rand() * 16 ** n).toString(16).padStart(n, '0');
    return `${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(6)}${h(6)}`;
  }

  private boot(): void {
    for (const d of this.cfg.devices.filter((x) => x.host === 'paravisor' && !this.pv)) {
      const pv = this.platform.pvPresent;
      this.tracer.log(pv ? 'paravisor' : 'host', 'warn',
        `device ${d.name}${d.className ? ' (' + d.className + ')' : ''} is paravisor-hosted but ${pv ? 'the paravisor has no VMBus server (no Confidential VMBus support)' : 'there is no paravisor'}: not offered`, d.source);
    }
    if (this.relay) {
      this.tracer.beginPhase('relay-connect');
      this.relay.connect(0);
    }
    this.guest.start(() => !this.vtl0Failed);
  }

  /**
   * OpenHCL's worker propagates a relay that cannot be created (or a host connection that fails)
   * out of VM start: it logs "failed to start VM", reports the error with complete_start_vtl0 and
   * the host terminates the VM; VTL0 never runs, so the guest sends nothing (openvmm §1.3).
   */
  private vtl0StartFailed(why: string): void {
    this.vtl0Failed = true;
    this.tracer.log('paravisor', 'err', why);
    this.tracer.log('paravisor', 'err', 'failed to start VM');
    this.tracer.state('paravisor', 'vm', 'starting', 'failed', { detail: { reason: why }, granularity: 'event' });
  }

  /** A server's message to its client: the relay over the redirect connection, or the guest's SynIC. */
  private serverSend(party: 'paravisor' | 'host', client: ServerClient | null, bytes: Uint8Array, name: string, relid: number | undefined, source?: SourceRef): void {
    const nth = this.faults.msgCount((party === 'host' ? 'h:' : 'p:') + name);
    // A hostile host's message faults strike what it sends (faults/hostile.ts).
    const h = party === 'host' && this.faults.faults.length > 0
      ? hostileOnHostSend(this.faults, (ph) => this.tracer.inPhaseLike(ph), this.host.channels, name, relid, nth, this.deviceOfServerRelid(relid), bytes)
      : null;
    if (h) bytes = h.bytes;
    if (client === 'relay') {
      this.tracer.message('host', 'paravisor', 'hypervisor', 'hypercall', VMBUS_MESSAGE_REDIRECT_CONNECTION_ID, bytes, 'HV_STATUS_SUCCESS', relid, h?.fault, 7, undefined, source, 2, h?.payloadSize);
      if (h?.fault) this.relay!.dropHostile(bytes, h.payloadSize);
      else this.wire.transmit('host', 'relay', bytes, { name, relid, nth, device: this.deviceOfGuestRelid(relid) }, (b) => this.relay!.receive(b));
      for (const x of h?.extra ?? []) {
        this.tracer.message('host', 'paravisor', 'hypervisor', 'hypercall', VMBUS_MESSAGE_REDIRECT_CONNECTION_ID, x.bytes, 'HV_STATUS_SUCCESS', undefined, x.fault, 7, undefined, source, 2);
        this.relay!.dropHostile(x.bytes);
      }
      return;
    }
    this.hypervisor.sendToGuest(party, bytes, name, relid, nth, source, h?.fault, h?.payloadSize);
    for (const x of h?.extra ?? []) this.clock.schedule(T.deliver * 2, () => this.hypervisor.deliver('host', 'hypervisor', x.bytes, x.fault));
  }

  // ---------------------------------------------------------------------------- which device is behind a channel

  /** The scenario device behind an offer the guest reads (its server's record, by relid and instance). */
  private offeredDevice(relid: number, instance: string): OfferedDevice | undefined {
    const s = this.pv ?? this.host;
    const c = s.channels.find((x) => x.id === relid && x.instanceGuid === instance) ?? s.channels.find((x) => x.instanceGuid === instance);
    if (!c) return undefined;
    return { dev: c.dev, hostedBy: c.dev.host === 'paravisor' ? 'paravisor' : 'host', relayed: c.relayed, originalFlags: c.originalFlags };
  }

  deviceOfGuestRelid(relid: number | undefined): string | undefined {
    if (relid === undefined) return undefined;
    return this.guest.channels.get(relid)?.device;
  }

  deviceOfServerRelid(relid: number | undefined): string | undefined {
    if (relid === undefined) return undefined;
    for (const s of [this.pv, this.host]) {
      const c = s?.channels.find((x) => x.id === relid);
      if (c) return c.dev.name;
    }
    return undefined;
  }

  /**
   * The scenario device an event concerns, if any: a message's channel (guest-side relids are the
   * guest's; paravisor↔host relids are the host's), a channel/GPADL state change, or an event whose
   * source is the device's declaration (the open phase of that device...).
   */
  deviceOfEvent(e: TraceEvent): string | undefined {
    if (e.kind === 'message') {
      // hv_sock connect messages name their service: the hv_sock device that is (or would be) listening.
      const service = e.decoded?.host_service_id;
      if (typeof service === 'string') {
        const d = this.cfg.devices.find((x) => x.classGuid === service && (x.chnFlags & 0x2000) !== 0);
        if (d) return d.name;
      }
      const relid = e.relid ?? (typeof e.decoded?.child_relid === 'number' ? e.decoded.child_relid : undefined);
      if (relid !== undefined) {
        if (e.from === 'guest' || e.to === 'guest') {
          const c = this.guest.channels.get(relid);
          if (c) return c.device;
        } else {
          const server = e.from === 'host' || e.to === 'host' ? this.host : this.pv;
          const c = server?.channels.find((x) => x.id === relid) ?? server?.channels.find((x) => x.hostRelid === relid);
          if (c) return c.dev.name;
        }
      }
    } else if (e.kind === 'state') {
      const d = (e.detail as Json | undefined)?.device;
      if (typeof d === 'string') return d;
      if (e.party === 'guest' && e.relid !== undefined) return this.guest.channels.get(e.relid)?.device;
    } else if (e.kind === 'packet') {
      return this.guest.channels.get(e.relid)?.device;
    } else if (e.kind === 'phase') {
      // "open storvsc (relid 1)", "close netvsc (relid 2)": guest-side relids.
      const m = / \(relid (\d+)\)$/.exec(e.name);
      if (m) return this.guest.channels.get(Number(m[1]))?.device;
    }
    const src = e.source;
    if (src) {
      for (const d of this.cfg.devices) {
        if (d.source && d.source.line === src.line && d.source.file === src.file) return d.name;
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------- the engine's view

  get events(): Tracer['events'] {
    return this.tracer.events;
  }

  get pages(): ReadonlyMap<string, PageRec> {
    return this.memory.pages;
  }

  get brokenInvariants(): ReadonlySet<string> {
    return this.tracer.brokenInvariants;
  }

  /** Appends an event from outside the model (the engine's expectation results). */
  emit(e: Emit): TraceEvent {
    return this.tracer.emit(e);
  }

  /** Applies a debugger edit (setValue / inject) at the current point of the run. Returns an error text or null. */
  applyEdit(e: SimEdit): string | null {
    return applyEdit(this, e);
  }

  /** Final checks after the run (steps that never fired). */
  finalChecks(): void {
    this.steps.finish();
    // No invariant on a paravisor offer's flags: OpenVMM's server offers each channel with its own
    // flags on a confidential connection, 0 included (test_confidential_connection: 0 / 0x2 /
    // 0x6), and Linux then keeps that ring host-visible. Invariants state what the real system
    // guarantees, nothing stricter.
  }
}
