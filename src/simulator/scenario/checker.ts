// Semantic checks on a parsed scenario: combinations the guest or the paravisor would refuse,
// explained in the words Linux logs (see docs/scenario-language.md, "Checks").
import { paravisorHandlesMnf, type ScenarioConfig, type SourceRef } from '../model/config';
import type { Range } from './syntax';
import type { DeviceInfo, ScenarioDiagnostic } from './types';
import { ChnFlags, versionName, versionString } from '../protocol/constants';
import { checkLimits } from './limits';
import { knownVersion, lookupClassName } from './vocab';
import { offerFlagsSent, relayOfferFlags } from '../protocol/offer';

export type { DeviceInfo } from './types';

export interface CheckContext {
  devices: DeviceInfo[];
  platformRefs: Partial<Record<string, SourceRef>>;
  rootFile: string;
  paravisorConfidentialAsked: boolean;
  diag: (file: string, severity: ScenarioDiagnostic['severity'], range: Range, message: string, code?: string) => void;
}

const V5_2 = 0x00050002;
const V6_0 = 0x00060000;
/** OpenVMM vmbus_relay REQUIRED_FEATURE_FLAGS. */
const RELAY_FEATURES = 0x7;

function at(r: SourceRef | Range | undefined, fallback: Range): Range {
  if (!r) return fallback;
  return { line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn };
}
function fileOf(r: SourceRef | undefined, fallback: string): string {
  return r?.file ?? fallback;
}

export function checkScenario(config: ScenarioConfig, ctx: CheckContext): void {
  const p = config.platform;
  const top: Range = config.source ?? { line: 0, column: 0, endLine: 0, endColumn: 0 };
  const pr = ctx.platformRefs;
  const isolated = p.isolation !== 'none';
  const hwIsolated = p.isolation === 'snp' || p.isolation === 'tdx';

  // Platform.
  if (ctx.paravisorConfidentialAsked && !p.paravisor.present) {
    const r = pr['paravisor.confidential_vmbus'];
    ctx.diag(fileOf(r, ctx.rootFile), 'warning', at(r, top), 'confidential_vmbus has no effect: the paravisor is not present', 'combo.paravisor');
  }
  if (p.paravisor.confidentialVmbus && !hwIsolated) {
    const r = pr['paravisor.confidential_vmbus'];
    ctx.diag(fileOf(r, ctx.rootFile), 'warning', at(r, top),
      `OpenHCL advertises Confidential VMBus (CPUID 0x40000082 EAX bit 3) only on a hardware-isolated VM (snp or tdx), not with isolation ${p.isolation}`, 'combo.isolation');
  }
  if (isolated && p.guestMaxVersion < V5_2) {
    const r = pr.max_version;
    ctx.diag(fileOf(r, ctx.rootFile), 'warning', at(r, top),
      `the guest cannot connect: it would log "Invalid VMBus version ${vs(p.guestMaxVersion)} (expected >= 5.2) from the host supporting isolation"`, 'combo.version');
  }
  if (!knownVersion(p.guestMaxVersion)) {
    const r = pr.max_version;
    ctx.diag(fileOf(r, ctx.rootFile), 'warning', at(r, top), `${vs(p.guestMaxVersion)} is not a VMBus version Linux knows; the guest starts from the next lower one it does`, 'unknown.version');
  }
  if (p.hostVersions.length === 0) {
    const r = pr['host.versions'];
    ctx.diag(fileOf(r, ctx.rootFile), 'error', at(r, top), 'the host accepts no version: the guest would log "Unable to connect to host"', 'combo.version');
  }
  // OpenHCL's relay needs a 6.0 host connection granting guest_specified_signal_parameters,
  // channel_interrupt_redirection and modify_connection (0x7); without them its creation fails,
  // which fails VM start: the guest never boots (openvmm §1.3).
  if (p.paravisor.present && p.paravisor.confidentialVmbus && (!p.hostVersions.includes(V6_0) || (p.hostFeatureFlags & RELAY_FEATURES) !== RELAY_FEATURES)) {
    const r = !p.hostVersions.includes(V6_0) ? pr['host.versions'] : pr['host.features'];
    const why = !p.hostVersions.includes(V6_0) ? 'the host does not accept 6.0 (below it there are no feature flags)' : `the host grants 0x${(p.hostFeatureFlags & RELAY_FEATURES).toString(16)} of them`;
    ctx.diag(fileOf(r, ctx.rootFile), 'warning', at(r, top),
      `OpenHCL cannot create its relay: it needs guest_specified_signal_parameters, channel_interrupt_redirection and modify_connection (0x7) and ${why}; "host must support required feature flags", OpenHCL fails to start the VM and the guest never boots`, 'combo.relay-fails');
  }
  if (p.design === 'cpuid' && p.paravisor.present && !p.paravisor.confidentialVmbus) {
    // Fine: the CPUID bit is clear, the guest connects non-confidentially.
  }

  // Devices.
  const instances = new Map<string, DeviceInfo>();
  const monitors = new Map<number, DeviceInfo>();
  for (const d of ctx.devices) {
    const c = d.cfg;
    const f = d.file;
    const flagsAt = at(d.props.flags, d.nameRange);
    if (c.host === 'paravisor' && !p.paravisor.present) {
      ctx.diag(f, 'error', at(d.props.hosted_by, d.nameRange), `'${c.name}' is hosted by the paravisor, but the VM has none: add a paravisor { } block or write hosted_by host`, 'combo.host');
    }
    if (c.host === 'paravisor' && p.paravisor.present && !p.paravisor.confidentialVmbus) {
      ctx.diag(f, 'warning', at(d.props.hosted_by, d.nameRange),
        `the paravisor runs no VMBus server for the guest without Confidential VMBus (confidential_vmbus no): '${c.name}' is never offered; write hosted_by host`, 'combo.no-paravisor-server');
    }
    // MNF through OpenHCL (openvmm §3.4, §3.5; lib.rs handle_offer / set_monitor_page).
    if (c.monitorId !== undefined && p.paravisor.present && p.paravisor.confidentialVmbus) {
      const mnf = paravisorHandlesMnf(config);
      const monAt = at(d.props.monitor, d.nameRange);
      if (mnf && hwIsolated) {
        ctx.diag(f, 'info', monAt,
          `OpenHCL handles MNF (mnf yes) on a hardware-isolated VM, so it needs server-allocated monitor pages (server_specified_monitor_pages), which Linux does not ask for: '${c.name}' is offered without a monitor id`, 'combo.mnf-off');
      } else if (!mnf && c.host === 'paravisor') {
        ctx.diag(f, 'info', monAt,
          `OpenHCL does not handle MNF (mnf no): its own channel '${c.name}' is offered without a monitor id; write mnf yes in paravisor { } to give it one`, 'combo.mnf-off');
      }
    }
    const ring = (c.chnFlags & ChnFlags.CONFIDENTIAL_RING_BUFFER) !== 0;
    const ext = (c.chnFlags & ChnFlags.CONFIDENTIAL_EXTERNAL_MEMORY) !== 0;
    // What reaches the guest decides, as the engine computes it (protocol/offer.ts): the relay
    // strips host offers; a server masks the confidential bits unless its connection negotiated
    // confidential_channels, which only the paravisor's server grants, on a trusted (hardware-
    // isolated, Confidential VMBus) 6.0 connection. The host's server never grants it.
    const confidentialConnection = c.host === 'paravisor' && p.paravisor.present && p.paravisor.confidentialVmbus && hwIsolated && p.guestMaxVersion >= V6_0;
    const offered = c.host === 'host' && p.paravisor.present ? relayOfferFlags(c.chnFlags) : c.chnFlags;
    const sent = offerFlagsSent(offered, confidentialConnection ? 0x10 : 0);
    const sentRing = (sent & ChnFlags.CONFIDENTIAL_RING_BUFFER) !== 0;
    const sentExt = (sent & ChnFlags.CONFIDENTIAL_EXTERNAL_MEMORY) !== 0;
    if (sentExt && !sentRing) {
      ctx.diag(f, 'warning', flagsAt,
        `the guest rejects this offer: confidential_external_memory without confidential_ring_buffer; Linux logs "Invalid offer relid=N: the ring buffer isn't encrypted"`, 'combo.co-external-without-ring');
    } else if ((ring || ext) && (d.explicitFlags || (ext && !ring))) {
      if (c.host === 'host' && p.paravisor.present) {
        ctx.diag(f, 'info', flagsAt, `the paravisor's relay clears the confidential flags of host offers: the guest sees '${c.name}' with a shared ring`, 'combo.relay-strips');
      } else if (c.host === 'host') {
        ctx.diag(f, 'info', flagsAt,
          `the host's server clears the confidential flags (send_offer: the connection has no confidential_channels), so the guest sees chn_flags 0x${sent.toString(16)} and opens '${c.name}' with a shared ring; fault host-offer-confidential-flags sends them anyway (Linux: "Invalid offer relid=N: no support for confidential VMBus")`, 'combo.flags-masked');
      } else if (!confidentialConnection) {
        const why = !p.paravisor.confidentialVmbus ? 'the paravisor cannot host a Confidential VMBus' : !hwIsolated ? 'the VM is not hardware-isolated' : 'the guest stops below 6.0';
        ctx.diag(f, 'info', flagsAt,
          `the connection will not be confidential (${why}), so the server clears these flags before offering`, 'combo.flags-masked');
      }
    }
    if (isolated && c.className) {
      const cw = lookupClassName(c.className);
      if (cw && !cw.allowedInIsolated) {
        ctx.diag(f, 'warning', at(d.props.class, d.nameRange),
          `${c.className} is not allowed in an isolated VM: the guest ignores the offer and logs "Invalid offer ${'%d'.replace('%d', 'N')} from the host supporting isolation"`, 'combo.isolated-class');
      }
      if (cw?.cls?.unsupported) {
        ctx.diag(f, 'info', at(d.props.class, d.nameRange), `Linux has no driver for ${c.className}; the channel is offered but never opened`, 'class.unsupported');
      }
    }
    if (d.unknownGuid) {
      ctx.diag(f, 'info', at(d.props.class, d.nameRange), 'not a class GUID Linux knows: lsvmbus shows it as Unknown and no driver binds', 'class.unknown-guid');
    }
    const key = `${c.classGuid}/${c.instanceGuid}`;
    const prev = instances.get(key);
    if (prev) {
      ctx.diag(f, 'error', at(d.props.instanceGuid ?? d.props.instance, d.nameRange),
        `duplicate instance: '${c.name}' has the same class and instance GUID as '${prev.cfg.name}'; the guest would take it for the same device`, 'duplicate.instance');
    } else instances.set(key, d);
    if (c.monitorId !== undefined) {
      const m = monitors.get(c.monitorId);
      if (m) ctx.diag(f, 'warning', at(d.props.monitor, d.nameRange), `monitor id ${c.monitorId} is also used by '${m.cfg.name}'`, 'duplicate.monitor');
      else monitors.set(c.monitorId, d);
    }
    for (const [which, bytes] of [['ringSend', c.sendRingBytes], ['ringRecv', c.recvRingBytes]] as const) {
      if (which === 'ringRecv' && d.props.ringRecv === d.props.ringSend && d.props.ringSend) continue;
      if (bytes % 4096 !== 0 || bytes < 8192) {
        ctx.diag(f, 'error', at(d.props[which] ?? d.props.ring, d.nameRange), `a ring must be a whole number of 4 KiB pages and at least 8 KiB (one control page + data), not ${bytes} bytes`, 'range.ring');
      }
    }
  }
  // Ranges the parser cannot see alone (ring pairs, sizes with units, device count).
  checkLimits(config, { devices: ctx.devices, diag: ctx.diag });
}

function vs(v: number): string {
  const n = versionName(v);
  return /^VERSION_/.test(n) ? versionString(v) : n;
}
