// The Linux guest's VMBus client (drivers/hv: hv.c, connection.c, channel_mgmt.c, vmbus_drv.c):
// Confidential VMBus discovery (probe or CPUID), SynIC setup and teardown on both SynICs, the
// version ladder, the message DPC with its checks, and offers. Opening, GPADLs, rescind, close and
// unload are in channels.ts; the ring buffers in datapath.ts. The guest knows only what arrives in
// its SynIC slots and event flags, its own memory, and the scenario's driver configuration.
import type { ScenarioConfig, SourceRef } from '../config';
import type { StateObject, SynicId, Visibility } from '../../trace/events';
import type { Clock } from '../ports';
import type { Emit, Json, StateExtra, Tracer } from '../tracer';
import type { Memory } from '../memory';
import type { Platform } from '../platform';
import type { FaultInjector } from '../faults/injector';
import type { GuestChannel, GuestChannelState, GuestConnState, GuestCore, GuestPorts, GuestWaiter, HypervisorPort } from './types';
import { msgtypeOf } from '../tracer';
import { decodeChannelMessage, encodeMessage } from '../../protocol/codec';
import type { ChannelMessageOf } from '../../protocol/layouts';
import { hexNum, toHex } from '../../protocol/hex';
import { classByGuid } from '../../protocol/guid';
import { checkOffer, LINUX_LOG_PREFIX } from '../../protocol/offer';
import { linuxMsgDpc } from '../../protocol/linuxDpc';
import { LINUX_VERSION_ORDER, versionString } from '../../protocol/constants';
import { HV_STATUS, SHARED_GPA_BOUNDARY, SINT_AUTO_EOI, SINT_MASKED, SINT_PROXY, T, VMBUS_VECTOR } from '../constants';
import { GuestChannels } from './channels';
import { DataPath } from './datapath';


export class LinuxGuest implements GuestCore {
  // ---- vmbus_connection
  conn: GuestConnState = 'disconnected';
  confidential = false;
  fallback = false;
  version: number | null = null;
  msgConnId: number | null = null;
  featureFlags = 0;
  private ladderIndex = 0;
  /** The guest's kernel log lines (what dmesg shows). */
  readonly logs: string[] = [];
  waiters: GuestWaiter[] = [];
  readonly channels = new Map<number, GuestChannel>();
  readonly channelOrder: GuestChannel[] = [];
  nextGpadl = 0xe1e10;
  monitorPage2Gpa: number | null = null;
  offersDone = false;
  readonly openQueue: GuestChannel[] = [];
  unloaded = false;
  private readonly warned = new Set<string>();
  attemptConfidential = false;
  /** Perf channels placed so far (Linux init_vp_index spreads them over the CPUs). */
  private perfChannels = 0;

  readonly ops: GuestChannels;
  readonly data: DataPath;

  constructor(
    readonly cfg: ScenarioConfig,
    readonly platform: Platform,
    readonly clock: Clock,
    readonly tracer: Tracer,
    readonly memory: Memory,
    readonly faults: FaultInjector,
    readonly hv: HypervisorPort,
    readonly ports: GuestPorts,
  ) {
    this.data = new DataPath(this);
    this.ops = new GuestChannels(this, this.data);
  }

  /** The connection id the guest posts on (msg_conn_id once negotiated, else 1). */
  get connId(): number {
    return this.msgConnId ?? 1;
  }

  log(level: 'info' | 'warn' | 'err' | 'debug', text: string, source?: SourceRef): void {
    this.logs.push(text);
    this.tracer.log('guest', level, text, source);
  }

  state(object: StateObject, from: string, to: string, extra: StateExtra = {}): void {
    this.tracer.state('guest', object, from, to, extra);
  }

  transition(ch: GuestChannel, to: GuestChannelState, extra: StateExtra = {}): void {
    const from = ch.state;
    ch.state = to;
    this.state('channel', from, to, { relid: ch.relid, vp: 0, granularity: 'event', ...extra });
  }

  warnOnce(key: string, text: string): void {
    // WARN_ONCE prints only the first time (no pr_fmt prefix: it is not pr_*).
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log('warn', text);
  }

  /**
   * Boot: the VMBus driver loads after the kernel's early boot, if VTL0 runs at all (`runs`: the
   * paravisor may have failed to start the VM).
   */
  start(runs: () => boolean = () => true): void {
    this.clock.schedule(T.guestBoot, () => { if (runs()) this.discovery(); });
  }

  // ---------------------------------------------------------------------------- discovery

  private discovery(): void {
    this.tracer.beginPhase('discovery');
    if (this.platform.design === 'cpuid') {
      // ms_hyperv_init_platform: cpuid_eax(0x40000082) & BIT(3). Answered by the paravisor's
      // intercept when there is one (the VS leaves are "handled through intercept processing").
      const eax = this.ports.cpuidVsEax();
      const pv = this.platform.pvPresent;
      // A CPUID instruction, its own kind of event (leaf, subleaf, registers), not an MSR read.
      this.tracer.emit({
        kind: 'cpuid', leaf: hexNum(0x40000082), subleaf: '0x0', eax: hexNum(eax), ebx: '0x0', ecx: '0x0', edx: '0x0',
        fields: { confidential_vmbus_available: (eax & 8) !== 0, extended_ioapic_rte: (eax & 4) !== 0 },
        answeredBy: pv ? 'paravisor' : 'hypervisor', path: pv ? 'trapped' : 'internal', by: 'guest', vp: 0, granularity: 'event',
      } as Emit);
      this.attemptConfidential = (eax & 8) !== 0;
      this.confidential = this.attemptConfidential;
      if (this.confidential) this.log('info', 'hv_vmbus: Establishing connection to the confidential VMBus');
      // The discovery outcome (vmbus_bus_init's is_confidential), not a connection transition.
      this.state('vmbus-mode', 'undecided', this.confidential ? 'confidential' : 'not confidential', { detail: { confidential: this.confidential, design: 'cpuid' }, vp: 0 });
      this.tracer.endPhase('discovery', 'ok', this.confidential ? 'confidential' : 'not confidential');
    } else {
      // v4 (historical): try confidential when paravisor_present && (TDX || SNP), fall back on failure.
      this.attemptConfidential = this.platform.pvPresent && this.platform.cvm;
      this.confidential = this.attemptConfidential;
      this.state('vmbus-mode', 'undecided', this.confidential ? 'probe confidential' : 'not confidential', { detail: { confidential: this.confidential, design: 'probe' }, vp: 0 });
      this.tracer.endPhase('discovery', 'ok', this.attemptConfidential ? 'probe the paravisor SynIC' : 'no paravisor on a CVM: not confidential');
    }
    this.clock.schedule(T.guestWork, () => this.synicSetup(0));
  }

  // ---------------------------------------------------------------------------- SynIC setup (hv_synic_alloc + hv_synic_init)

  private synicSetup(vp: number): void {
    const conf = this.confidential;
    const hv = this.hv;
    const mem = this.memory;
    const { cvm, pvPresent, iso } = this.platform;
    const para = hv.hasParavisorSynic(vp);
    const hp = this.platform.hypRegPath();
    this.tracer.beginPhase(`synic-setup vp${vp}`, vp);
    // hv_common_cpu_init (per CPU, before VMBus): the hypercall input page is shared with the host
    // on a CVM without a paravisor (coco.rst: "Per-cpu hypercall input and output pages (unless
    // running with a paravisor)"); with a paravisor it stays private, so it is not a shared page.
    if (cvm && !pvPresent && !mem.live(`vp${vp}.hypercall-input`)) {
      mem.page(`vp${vp}.hypercall-input`, 1, 'hypercall input', 'guest', 'host-visible', 'hypercall input page: set_memory_decrypted (CoCo VM without paravisor)');
    }
    // hv_synic_alloc (per CPU).
    if (pvPresent && iso === 'tdx' && !mem.live(`vp${vp}.post-msg`)) {
      const v = conf ? { visibility: 'encrypted' as Visibility, reason: 'post msg page: kept encrypted (Confidential VMBus: posts trap to the paravisor)' } : { visibility: 'host-visible' as Visibility, reason: 'post msg page: set_memory_decrypted (tdcall hypercall input)' };
      mem.page(`vp${vp}.post-msg`, 1, 'post msg', 'guest', v.visibility, v.reason);
    }
    if (conf && !mem.has(`vp${vp}.para.simp`)) {
      mem.page(`vp${vp}.para.simp`, 1, 'paravisor SynIC msg', 'guest', 'encrypted', 'paravisor SynIC page: allocated encrypted (decrypt = !vmbus_is_confidential())');
      mem.page(`vp${vp}.para.siefp`, 1, 'paravisor SynIC event', 'guest', 'encrypted', 'paravisor SynIC page: allocated encrypted (decrypt = !vmbus_is_confidential())');
    }
    // 1. paravisor SIMP/SIEFP (confidential only), direct MSR access the paravisor traps.
    if (conf && para) {
      hv.access(vp, 'paravisor', 'SIMP', 'read', hv.reg(vp, 'paravisor', 'SIMP'), 'trapped');
      hv.access(vp, 'paravisor', 'SIMP', 'write', mem.get(`vp${vp}.para.simp`)!.gpa + 1, 'trapped');
      hv.access(vp, 'paravisor', 'SIEFP', 'read', hv.reg(vp, 'paravisor', 'SIEFP'), 'trapped');
      hv.access(vp, 'paravisor', 'SIEFP', 'write', mem.get(`vp${vp}.para.siefp`)!.gpa + 1, 'trapped');
    }
    // 2. hypervisor SIMP/SIEFP.
    for (const reg of ['SIMP', 'SIEFP'] as const) {
      const id = `vp${vp}.hyp.${reg.toLowerCase()}`;
      let rec = mem.get(id);
      if (pvPresent && cvm) {
        // The paravisor supplies a host-visible page; Linux keeps the GPA it reads and maps it.
        if (!rec || rec.freed) {
          const gpa = mem.allocPages(1) + SHARED_GPA_BOUNDARY;
          rec = mem.page(id, 1, reg === 'SIMP' ? 'hypervisor SynIC msg' : 'hypervisor SynIC event', 'paravisor', 'host-visible',
            'supplied by the paravisor on SIMP/SIEFP read: shared (host-visible) page above vTOM', gpa);
        }
        // The paravisor's intercept puts the page it supplies in the register the guest reads.
        hv.supplySynicPage(vp, reg, rec.gpa);
        hv.access(vp, 'hypervisor', reg, 'read', rec.gpa, hp);
        hv.access(vp, 'hypervisor', reg, 'write', rec.gpa + 1, hp);
      } else {
        if (!rec || rec.freed) {
          const v = this.platform.defaultVisibility(true);
          rec = mem.page(id, 1, reg === 'SIMP' ? 'hypervisor SynIC msg' : 'hypervisor SynIC event', 'guest', v.visibility, cvm ? 'hypervisor SynIC page: set_memory_decrypted (CoCo VM without paravisor)' : v.reason);
        }
        hv.access(vp, 'hypervisor', reg, 'read', hv.reg(vp, 'hypervisor', reg), hp);
        hv.access(vp, 'hypervisor', reg, 'write', rec.gpa + 1, hp);
      }
    }
    // SINT2: hypervisor, then (with a paravisor) the paravisor's mirror with the proxy bit.
    const sint = VMBUS_VECTOR | (this.cfg.platform.autoEoi ? SINT_AUTO_EOI : 0);
    hv.access(vp, 'hypervisor', 'SINT2', 'read', hv.reg(vp, 'hypervisor', 'SINT2'), hp);
    hv.access(vp, 'hypervisor', 'SINT2', 'write', sint, hp);
    if (para) {
      const proxy = !conf;
      hv.access(vp, 'paravisor', 'SINT2', 'write', sint | (proxy ? SINT_PROXY : 0), 'trapped');
    }
    // 3. SCONTROL on the paravisor (confidential) or on the hypervisor.
    if (conf && para) {
      hv.access(vp, 'paravisor', 'SCONTROL', 'read', hv.reg(vp, 'paravisor', 'SCONTROL'), 'trapped');
      hv.access(vp, 'paravisor', 'SCONTROL', 'write', 1, 'trapped');
    } else {
      hv.access(vp, 'hypervisor', 'SCONTROL', 'read', hv.reg(vp, 'hypervisor', 'SCONTROL'), hp);
      hv.access(vp, 'hypervisor', 'SCONTROL', 'write', 1, hp);
    }
    this.tracer.endPhase(`synic-setup vp${vp}`);
    if (vp + 1 < hv.vpCount) this.clock.schedule(T.guestWork, () => this.synicSetup(vp + 1));
    else this.clock.schedule(T.guestWork, () => this.connect());
  }

  /** hv_synic_cleanup for the failed confidential attempt (probe design, v4). */
  private synicTeardown(vp: number): void {
    const hv = this.hv;
    const para = hv.hasParavisorSynic(vp);
    const hp = this.platform.hypRegPath();
    const hsint = hv.reg(vp, 'hypervisor', 'SINT2');
    hv.access(vp, 'hypervisor', 'SINT2', 'write', hsint | SINT_MASKED, hp);
    // hv_set_msr(SINT2) with a paravisor also writes the paravisor's mirror (linux §5.4), with
    // the proxy bit as hv_para_sint_proxy still says (!is_confidential of the failed attempt).
    if (para) hv.access(vp, 'paravisor', 'SINT2', 'write', (hv.reg(vp, 'hypervisor', 'SINT2') & ~SINT_PROXY) | (this.confidential ? 0 : SINT_PROXY), 'trapped');
    const simp = hv.reg(vp, 'hypervisor', 'SIMP');
    hv.access(vp, 'hypervisor', 'SIMP', 'write', simp - (simp % 2), hp);
    const siefp = hv.reg(vp, 'hypervisor', 'SIEFP');
    hv.access(vp, 'hypervisor', 'SIEFP', 'write', siefp - (siefp % 2), hp);
    if (para) {
      const psimp = hv.reg(vp, 'paravisor', 'SIMP');
      hv.access(vp, 'paravisor', 'SIMP', 'write', psimp - (psimp % 2), 'trapped');
      const psiefp = hv.reg(vp, 'paravisor', 'SIEFP');
      hv.access(vp, 'paravisor', 'SIEFP', 'write', psiefp - (psiefp % 2), 'trapped');
      hv.access(vp, 'paravisor', 'SCONTROL', 'write', 0, 'trapped');
      // hv_synic_free frees every per-CPU page it allocated, the TDX post msg page too; the retry
      // allocates it again, decrypted this time (decrypt = !vmbus_is_confidential(), linux §5.5).
      this.memory.free(`vp${vp}.post-msg`, 'hv_synic_free: post msg page freed (fallback)');
      this.memory.free(`vp${vp}.para.simp`, 'hv_synic_free: paravisor SynIC page freed (fallback)');
      this.memory.free(`vp${vp}.para.siefp`, 'hv_synic_free: paravisor SynIC page freed (fallback)');
    }
  }

  // ---------------------------------------------------------------------------- a new kernel

  /**
   * A new kernel's VMBus driver connects again: after an unload (`connect`: kexec), or without one
   * (`reset`: a kdump kernel starting over, possibly in the middle of a GPADL). The new kernel knows
   * nothing of the old one's channels, waits or GPADL handles (next_gpadl_handle starts at 0xE1E10
   * again) and its WARN_ONCEs are fresh. Reading where the references stop: the SynIC stays
   * programmed (the new kernel's hv_synic_init writes the same values), so only vmbus_connect runs.
   */
  restart(kind: 'connect' | 'reset', source: SourceRef | undefined, done: () => void): void {
    const phase = kind === 'connect' ? 'reconnect' : 'reset';
    this.tracer.beginPhase(phase, 0, source);
    if (kind === 'connect' && !this.unloaded) {
      this.tracer.endPhase(phase, 'skipped', 'connect follows an unload');
      done();
      return;
    }
    if (kind === 'reset' && this.conn === 'disconnected') {
      this.tracer.endPhase(phase, 'skipped', 'not connected yet');
      done();
      return;
    }
    const from = this.conn;
    this.waiters = [];
    this.channels.clear();
    this.openQueue.length = 0;
    this.nextGpadl = 0xe1e10;
    this.unloaded = false;
    this.offersDone = false;
    this.version = null;
    this.msgConnId = null;
    this.perfChannels = 0;
    this.warned.clear();
    this.conn = 'disconnected';
    this.state('connection', from, 'disconnected', { vp: 0, granularity: 'event', detail: { newKernel: kind === 'connect' ? 'kexec after unload' : 'kdump, no unload' }, source });
    this.tracer.endPhase(phase, 'ok');
    this.ops.whenOpensDone(done);
    this.clock.schedule(T.guestWork, () => this.connect());
  }

  // ---------------------------------------------------------------------------- connect (vmbus_connect)

  private connect(): void {
    this.tracer.beginPhase('connect');
    this.conn = 'connecting';
    this.state('connection', 'disconnected', 'connecting', { vp: 0, granularity: 'event', detail: { confidential: this.confidential } });
    const mem = this.memory;
    if (!mem.live('monitor.1')) {
      const v = this.platform.defaultVisibility(true);
      const cvm = this.platform.cvm;
      const reason = cvm ? 'monitor pages are always set_memory_decrypted' : v.reason;
      mem.page('monitor.1', 1, 'monitor page 1 (parent→child)', 'guest', v.visibility, reason);
      mem.page('monitor.2', 1, 'monitor page 2 (child→parent)', 'guest', v.visibility, reason);
      mem.page('int-page', 1, 'interrupt page (< 5.0 only)', 'guest', cvm ? 'encrypted' : v.visibility, cvm ? 'not decrypted by vmbus_connect' : v.reason);
    }
    this.ladderIndex = 0;
    this.tryNextVersion();
  }

  private ladder(): number[] {
    return LINUX_VERSION_ORDER.filter((v) => v <= this.cfg.platform.guestMaxVersion);
  }

  private tryNextVersion(): void {
    const ladder = this.ladder();
    const i = this.ladderIndex++;
    if (i >= ladder.length) {
      this.connectFailed();
      return;
    }
    const v = ladder[i];
    this.tracer.beginPhase(`version ${versionString(v)}`);
    const conf = this.confidential;
    const json: Json = { msgtype: 'CHANNELMSG_INITIATE_CONTACT', vmbus_version_requested: v, target_vcpu: 0 };
    // With a paravisor on a CVM the monitor pages are addressed above vTOM (shared).
    const shared = this.platform.cvm && this.platform.pvPresent ? SHARED_GPA_BOUNDARY : 0;
    const mon1 = this.memory.get('monitor.1')!.gpa + shared;
    const mon2 = this.memory.get('monitor.2')!.gpa + shared;
    let connId = 1;
    if (v >= 0x50000) {
      json.msg_sint = 2;
      json.msg_vtl = 0;
      json.feature_flags = conf && v >= 0x60000 ? 0x10 : 0;
      connId = 4;
    } else {
      json.interrupt_page = this.memory.get('int-page')!.gpa;
    }
    json.monitor_page1 = mon1;
    json.monitor_page2 = mon2;
    this.monitorPage2Gpa = mon2;
    this.wait(15, () => true, (resp) => this.onVersionResponse(v, resp));
    this.post(json, connId, (status) => {
      if (status !== 'HV_STATUS_SUCCESS') {
        // vmbus_post_msg: INVALID_CONNECTION_ID on INITIATE_CONTACT -> -EINVAL, try the next version.
        this.waiters = this.waiters.filter((w) => w.msgtype !== 15);
        this.tracer.endPhase(`version ${versionString(v)}`, 'failed', status);
        this.clock.schedule(T.guestWork, () => this.tryNextVersion());
      }
    });
  }

  private onVersionResponse(v: number, resp: Json): void {
    if (Number(resp.version_supported) !== 0) {
      this.tracer.endPhase(`version ${versionString(v)}`, 'ok');
      if (this.platform.isolated && v < 0x50002) {
        this.log('err', `hv_vmbus: Invalid VMBus version ${versionString(v)} (expected >= 5.2) from the host supporting isolation`);
        this.connectFailed();
        return;
      }
      this.version = v;
      this.msgConnId = v >= 0x50000 ? Number(resp.msg_conn_id) : 1;
      this.featureFlags = v >= 0x60000 && this.confidential ? 0x10 : 0;
      this.conn = 'connected';
      this.log('info', `hv_vmbus: Vmbus version:${versionString(v)}`);
      if (this.platform.design === 'probe' && this.attemptConfidential) {
        this.log('info', 'hv_vmbus: VMBus is confidential: 1');
        this.state('vmbus-mode', 'probe confidential', 'confidential', { detail: { confidential: true, design: 'probe' }, vp: 0 });
      }
      this.state('connection', 'connecting', 'connected', {
        vp: 0, granularity: 'event',
        detail: { version: v, msgConnId: this.msgConnId, featureFlags: this.featureFlags, confidential: this.confidential, fallbackTaken: this.fallback },
      });
      this.tracer.endPhase('connect', 'ok', `version ${versionString(v)}`);
      this.clock.schedule(T.guestWork, () => this.requestOffers());
    } else {
      this.tracer.endPhase(`version ${versionString(v)}`, 'failed', 'version_supported = 0');
      this.clock.schedule(T.guestWork, () => this.tryNextVersion());
    }
  }

  private connectFailed(): void {
    this.log('err', 'hv_vmbus: Unable to connect to host');
    if (this.platform.design === 'probe' && this.attemptConfidential && !this.fallback) {
      this.log('info', 'hv_vmbus: VMBus is confidential: 0');
      this.tracer.endPhase('connect', 'fallback', 'paravisor did not answer InitiateContact');
      this.tracer.beginPhase('fallback');
      this.fallback = true;
      // The failed vmbus_connect frees what it allocated (the interrupt and monitor pages); the
      // retry's vmbus_connect allocates and decrypts them again.
      for (const id of ['monitor.1', 'monitor.2', 'int-page']) this.memory.free(id, 'vmbus_connect failed: page freed (fallback)');
      for (let vp = 0; vp < this.hv.vpCount; vp++) this.synicTeardown(vp);
      this.attemptConfidential = false;
      this.confidential = false;
      this.state('vmbus-mode', 'probe confidential', 'not confidential', { detail: { confidential: false, design: 'probe', fallbackTaken: true }, vp: 0 });
      this.conn = 'disconnected';
      this.state('connection', 'connecting', 'disconnected', { vp: 0, granularity: 'event', detail: { confidential: false, fallbackTaken: true } });
      this.tracer.endPhase('fallback', 'fallback', 'redo vmbus_alloc_synic_and_connect without confidential VMBus');
      this.clock.schedule(T.guestWork, () => this.synicSetup(0));
      return;
    }
    this.conn = 'failed';
    this.state('connection', 'connecting', 'failed', { vp: 0, granularity: 'event' });
    this.tracer.endPhase('connect', 'failed', 'no version accepted');
  }

  // ---------------------------------------------------------------------------- posting / waiting

  /** Waits for a response (a msginfo on vmbus_connection.chn_msg_list). */
  wait(msgtype: number, match: (j: Json) => boolean, resolve: (j: Json) => void, relid?: number, cancel?: () => void): void {
    this.waiters.push({ msgtype, match, resolve, relid, cancel });
  }

  /** vmbus_post_msg: HvPostMessage through the hypervisor port, with Linux's retry on -ENOBUFS. */
  post(json: Json, connId: number, done?: (status: string) => void, source?: SourceRef, attempt = 0): void {
    const name = String(json.msgtype);
    const r = encodeMessage(json);
    if (!r.ok) throw new Error(`protocol encode failed for ${name}: ${r.error.message}`);
    const path = this.platform.postPath(this.attemptConfidential);
    const relid = json.child_relid as number | undefined;
    const nth = this.faults.msgCount('g:' + name);
    const status = this.hv.postMessage(r.bytes, connId, path, { name, relid, nth }, source);
    if (status !== 'HV_STATUS_SUCCESS') {
      if (status === 'HV_STATUS_INSUFFICIENT_BUFFERS' || status === 'HV_STATUS_INSUFFICIENT_MEMORY') {
        // vmbus_post_msg retries (-ENOBUFS) up to 100 times with a doubling 1 µs backoff.
        if (attempt < 100) {
          const backoff = Math.min(1000 << Math.min(attempt, 20), 1_000_000_000);
          this.clock.schedule(backoff, () => this.post(json, connId, done, source, attempt + 1));
          return;
        }
      } else if (name !== 'CHANNELMSG_INITIATE_CONTACT' && status !== 'HV_STATUS_INVALID_CONNECTION_ID') {
        this.log('err', `hv_vmbus: hv_post_msg() failed; error code:${HV_STATUS[status] ?? 0}`);
      }
    }
    done?.(status);
  }

  // ---------------------------------------------------------------------------- interrupts and messages

  /** vmbus_isr: events first (hypervisor page, then paravisor page), then messages (same order). */
  interrupt(vp: number): void {
    const hv = this.hv;
    const para = hv.hasParavisorSynic(vp);
    if (hv.hasEvents(vp, 'hypervisor')) this.scanEvents(vp, 'hypervisor');
    if (para && hv.hasEvents(vp, 'paravisor')) this.scanEvents(vp, 'paravisor');
    if (hv.hasMessage(vp, 'hypervisor')) this.readSlot(vp, 'hypervisor');
    if (para && hv.hasMessage(vp, 'paravisor')) this.readSlot(vp, 'paravisor');
  }

  /** vmbus_chan_sched: for_each_set_bit + sync_test_and_clear_bit, then the channel callback. */
  private scanEvents(vp: number, owner: SynicId): void {
    const bits = this.hv.takeEvents(vp, owner);
    for (const relid of bits) this.data.channelCallback(relid);
  }

  /** vmbus_on_msg_dpc: copy the message out, empty the slot, EOM if msg_pending, then handle it. */
  private readSlot(vp: number, owner: SynicId): void {
    const m = this.hv.takeMessage(vp, owner)!;
    const item = m.item;
    const pending = m.pending;
    this.state('slot', item.msgtype, 'empty', { synic: owner, vp, detail: { sint: 2, msgtype: null, pending, queued: m.queued, read: item.msgtype } });
    // A timer message (hv_stimer0_isr) needs only the EOM.
    if (item.msgtype === 'HVMSG_TIMER_EXPIRED') { this.eom(vp, owner, pending); return; }
    // vmbus_on_msg_dpc checks the copy before anything else: what fails (unknown msgtype, payload
    // over 240, no handler, under the handler's minimum) WARN_ONCEs and goes to msg_handled, i.e.
    // the EOM, without a handler (linux §1.1). So the warning comes before the EOM.
    const bytes = item.bytes;
    const verdict = linuxMsgDpc(msgtypeOf(bytes), item.payloadSize);
    if (!verdict.handled && verdict.warnKey !== undefined) this.warnOnce(verdict.warnKey, verdict.warning!);
    this.eom(vp, owner, pending);
    if (!verdict.handled) return;
    this.clock.schedule(T.guestWork, () => this.handle(bytes, owner));
  }

  /** vmbus_signal_eom: EOM to the paravisor when the connection is confidential, else the hypervisor. */
  private eom(vp: number, from: SynicId, pending: boolean): void {
    if (!pending) return;
    const conf = this.confidential && this.hv.hasParavisorSynic(vp);
    const target: SynicId = conf ? 'paravisor' : 'hypervisor';
    const path = conf ? 'trapped' : this.platform.hypRegPath();
    this.hv.access(vp, target, 'EOM', 'write', 0, path);
    if (target !== from) {
      this.tracer.invariant('eom-to-right-synic', `EOM written to the ${target} SynIC but msg_pending was set on the ${from} SynIC: its queued message is not redelivered`);
    }
  }

  /** The handler vmbus_on_msg_dpc dispatches to (its checks passed in readSlot). */
  private handle(bytes: Uint8Array, synic: SynicId): void {
    const msgtype = msgtypeOf(bytes);
    const dec = decodeChannelMessage(bytes);
    if (!dec.ok) return;
    const j = dec.value;
    if (j.msgtype === 'CHANNELMSG_OFFERCHANNEL') { this.onOffer(j, bytes, synic); return; }
    if (j.msgtype === 'CHANNELMSG_RESCIND_CHANNELOFFER') { this.ops.onRescind(j.child_relid); return; }
    if (j.msgtype === 'CHANNELMSG_ALLOFFERS_DELIVERED') { this.onAllOffers(); return; }
    const w = this.waiters.find((x) => x.msgtype === msgtype && x.match(j));
    if (!w) return; // response without a request: ignored (no matching msginfo)
    this.waiters.splice(this.waiters.indexOf(w), 1);
    w.resolve(j);
  }

  // ---------------------------------------------------------------------------- offers

  private requestOffers(): void {
    this.tracer.beginPhase('offers');
    this.post({ msgtype: 'CHANNELMSG_REQUESTOFFERS' }, this.connId, (st) => {
      if (st !== 'HV_STATUS_SUCCESS') {
        const err = st === 'HV_STATUS_INVALID_CONNECTION_ID' ? -11 : -22;
        this.log('err', `hv_vmbus: Unable to request offers - ${err}`);
        this.tracer.endPhase('offers', 'failed', st);
      }
    });
  }

  /**
   * The VP a new channel's interrupts target (Linux init_vp_index): VMBUS_CONNECT_CPU (0) for
   * non-performance classes; performance classes (IDE, SCSI, FC, NIC, ND) round-robin over the
   * CPUs, starting at CPU 0 (one NUMA node; CPU n = VP n).
   */
  private initVpIndex(perf: boolean): number {
    const n = this.hv.vpCount;
    if (!perf || n <= 1) return 0;
    return this.perfChannels++ % n;
  }

  private onOffer(j: ChannelMessageOf<'CHANNELMSG_OFFERCHANNEL'>, bytes: Uint8Array, _synic: SynicId): void {
    const offer = j.offer;
    const relid = j.child_relid;
    const chn = offer.chn_flags;
    const cls = offer.if_type;
    const dc = classByGuid(cls);
    const known = this.ports.offeredDevice(relid, offer.if_instance);
    const dev = known?.dev;
    const gch: GuestChannel = {
      relid, device: dev?.name ?? `relid${relid}`, dev, classGuid: cls, className: dc?.name ?? dev?.className, instanceGuid: offer.if_instance,
      chnFlags: chn, connectionId: j.connection_id, monitorId: j.monitor_allocated ? j.monitorid : undefined,
      subIndex: offer.sub_channel_index, state: 'offered', coRing: false, coExternal: false, rescinded: false, offerHex: toHex(bytes),
      hostedBy: known ? known.hostedBy : 'host', relayed: known?.relayed ?? false,
      originalChnFlags: known?.originalFlags, gpadls: [], sent: 0, target: dev?.packets ?? 0, source: dev?.source,
    };
    const reject = (reason: string, text: string | null) => {
      gch.state = 'rejected';
      gch.rejectReason = reason;
      if (text) this.log('err', text, dev?.source);
      if (!this.channels.has(relid)) this.channelOrder.push(gch);
      this.state('channel', 'none', 'rejected', { relid, vp: 0, granularity: 'event', detail: channelDetail(gch), source: dev?.source });
    };
    // vmbus_onoffer's checks, in Linux's order (the protocol core's checkOffer holds them once):
    // vmbus_is_valid_offer (isolated VMs: allowed classes, hv_sock always), then 0x4 without 0x2,
    // then confidential flags without a confidential >= 6.0 connection.
    const hvsock = (chn & 0x2000) !== 0;
    const chk = checkOffer(j, { isolated: this.platform.isolated, confidential: this.confidential, version: this.version ?? 0 });
    if (!chk.ok) {
      const why = chk.reason === 'isolation' ? 'class not allowed in an isolated VM' : chk.reason === 'ring-not-encrypted' ? '0x4 without 0x2' : 'confidential flags without Confidential VMBus';
      reject(why, LINUX_LOG_PREFIX + chk.log);
      return;
    }
    if (relid === 0 || relid >= 2048) {
      // vmbus_channel_map_relid WARNs and cannot map the channel.
      this.warnOnce('relid', `WARNING: child_relid ${relid} >= MAX_CHANNEL_RELIDS (2048): channel not mapped`);
      reject('relid out of range', null);
      this.tracer.invariant('relid-in-range', `offer relid ${relid} is outside 1..2047`, dev?.source);
      return;
    }
    // vmbus_process_offer: an existing primary with the same class + instance -> duplicate, freed.
    for (const c of this.channels.values()) {
      if (c.instanceGuid === gch.instanceGuid && c.classGuid === gch.classGuid && !c.rescinded && gch.subIndex === 0 && c.relid !== relid) {
        this.warnOnce('dupoffer', 'WARNING: vmbus_process_offer: duplicate primary offer freed (WARN_ON_ONCE)');
        reject('duplicate primary offer', null);
        return;
      }
    }
    if (this.channels.has(relid) && !this.channels.get(relid)!.rescinded) {
      this.tracer.invariant('relids-unique', `relid ${relid} offered twice: the second channel replaces the first in vmbus_connection.channels[]`, dev?.source);
    }
    if (dc === undefined && !hvsock) this.log('info', `hv_vmbus: Unknown GUID: ${cls}`);
    if (Number(j.monitor_allocated) && Number(j.monitorid) >= 128) {
      this.tracer.invariant('monitor-id-in-range', `monitorid ${String(j.monitorid)} is beyond the 128 trigger bits of the monitor page`, dev?.source);
    }
    gch.coRing = chk.coRing;
    gch.coExternal = chk.coExternal;
    gch.targetVp = this.initVpIndex(dc?.perfDevice === true);
    this.channels.set(relid, gch);
    this.channelOrder.push(gch);
    this.state('channel', 'none', 'offered', { relid, vp: 0, granularity: 'event', detail: channelDetail(gch), source: dev?.source });
    // hv_sock: a channel a pending connect waits for is opened by hvs_open_connection, not queued.
    if (hvsock && this.ops.hvsockOffer(gch, offer)) return;
    if (dev?.open !== false && dc?.devType !== 16) this.openQueue.push(gch);
  }

  private onAllOffers(): void {
    this.offersDone = true;
    this.ports.allOffersDelivered();
    this.tracer.endPhase('offers', 'ok');
    this.clock.schedule(T.guestWork, () => this.ops.openNext());
  }
}

/** The channel record the trace carries for the views. */
export function channelDetail(c: GuestChannel): Json {
  return {
    device: c.device, classGuid: c.classGuid, className: c.className, instanceGuid: c.instanceGuid, subchannelIndex: c.subIndex,
    hostedBy: c.hostedBy, relayed: c.relayed, chnFlags: c.chnFlags, originalChnFlags: c.originalChnFlags, connectionId: c.connectionId,
    monitorId: c.monitorId, confidentialRing: c.coRing, confidentialExternal: c.coExternal, offerHex: c.offerHex, rejectReason: c.rejectReason,
    state: c.state,
  };
}
