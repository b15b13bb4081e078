// "What if this VM were confidential": the devices of an imported VM (a log), simulated as the log
// shows them and again on SEV-SNP and on TDX with OpenHCL hosting a Confidential VMBus. OpenHCL
// has VSPs for storage (storvsp over NVMe) and networking (netvsp over MANA): those classes are
// hosted by the paravisor with encrypted rings; every other class stays the host's, relayed by the
// paravisor with a host-visible ring; the model's Linux guest refuses the classes an isolated VM
// does not allow (vmbus_devs[].allowed_in_isolated). Everything reported is read from the runs.
import type { DeviceConfig, ScenarioConfig } from '../model/config';
import type { SimulationState } from '../engine/api';
import { runScenario } from '../engine/session';
import { ChnFlags, decodeFeatureFlags, VMBUS_FEATURE_FLAG_CONFIDENTIAL_CHANNELS, versionString } from '../protocol/constants';
import { classByGuid } from '../protocol/guid';

/** Classes OpenHCL can host itself (a VSP in VTL2): storvsp and netvsp (openvmm-vmbus.md). */
export const PARAVISOR_HOSTABLE = new Set(['storvsc', 'netvsc']);

export type WhatIfPlatform = 'as-logged' | 'snp' | 'tdx';

export interface WhatIfDevice {
  name: string;
  className?: string;
  classGuid: string;
  /** What the run did with it: paravisor-hosted (encrypted ring), relayed (host-visible), refused, or plain (no isolation). */
  outcome: 'paravisor-hosted' | 'relayed' | 'refused' | 'host' | 'not offered';
  state?: string;
  confidentialRing?: boolean;
  /** The guest's words when it refused the offer. */
  refusal?: string;
}

export interface WhatIfRun {
  platform: WhatIfPlatform;
  scenarioName: string;
  version: string | null;
  featureFlags: number;
  featureNames: string[];
  confidentialVmbus: boolean;
  devices: WhatIfDevice[];
  /** Pages (4 KiB) the guest set up and has not freed, and of those the host can read. */
  pages: number;
  hostReadablePages: number;
  /** The guest's kernel log lines of the run that say why an offer was refused. */
  refusals: string[];
}

export interface WhatIfResult {
  runs: WhatIfRun[];
}

/** The config on a confidential platform with OpenHCL: hostable classes moved to the paravisor with encrypted rings. */
export function confidentialVariant(base: ScenarioConfig, isolation: 'snp' | 'tdx'): ScenarioConfig {
  const devices: DeviceConfig[] = base.devices.map((d) => {
    const cls = d.className ?? classByGuid(d.classGuid)?.name;
    if (cls && PARAVISOR_HOSTABLE.has(cls)) {
      return { ...d, host: 'paravisor', chnFlags: (d.chnFlags | ChnFlags.CONFIDENTIAL_RING_BUFFER) & ~ChnFlags.CONFIDENTIAL_EXTERNAL_MEMORY };
    }
    // The host's device: its offer cannot carry the confidential flags (the relay strips them anyway).
    return { ...d, host: 'host', chnFlags: d.chnFlags & ~(ChnFlags.CONFIDENTIAL_RING_BUFFER | ChnFlags.CONFIDENTIAL_EXTERNAL_MEMORY) };
  });
  return {
    ...base,
    name: `${base.name} on ${isolation === 'snp' ? 'SEV-SNP' : 'TDX'} with OpenHCL`,
    platform: {
      ...base.platform,
      isolation,
      design: 'cpuid',
      guestMaxVersion: 0x00060000,
      // Confidential VMBus needs 6.0 and CONFIDENTIAL_CHANNELS; the host keeps what the log showed, and 6.0.
      hostVersions: [...new Set([0x00060000, ...base.platform.hostVersions])],
      paravisor: { present: true, confidentialVmbus: true, versions: [] },
    },
    devices,
    // The log's own expectations (its version, its confidentiality) do not hold on another platform.
    expectations: [],
  };
}

function summarize(platform: WhatIfPlatform, config: ScenarioConfig, state: SimulationState): WhatIfRun {
  const devices: WhatIfDevice[] = config.devices.map((d) => {
    const ch = state.channels.find((c) => c.device === d.name && c.subchannelIndex === 0);
    const className = d.className ?? classByGuid(d.classGuid)?.name;
    const base = { name: d.name, classGuid: d.classGuid, ...(className ? { className } : {}) };
    if (!ch) return { ...base, outcome: 'not offered' as const };
    const refused = ch.state === 'rejected';
    const outcome: WhatIfDevice['outcome'] = refused ? 'refused' : config.platform.isolation === 'none' || !config.platform.paravisor.present ? 'host'
      : ch.hostedBy === 'paravisor' && ch.confidentialRing ? 'paravisor-hosted' : 'relayed';
    // Linux's own line for this offer when it logged one ("Invalid offer 2 from the host supporting isolation").
    const said = refused ? state.guest.logs.find((l) => new RegExp(`Invalid offer (?:relid=)?${ch.relid}\\b`).test(l)) : undefined;
    const refusal = said ?? ch.rejectReason;
    return { ...base, outcome, state: ch.state, confidentialRing: ch.confidentialRing, ...(refused && refusal ? { refusal } : {}) };
  });
  let pages = 0;
  let hostReadable = 0;
  for (const p of state.pages) {
    if (p.freed) continue;
    pages += p.count;
    if (p.readableBy.includes('host')) hostReadable += p.count;
  }
  return {
    platform, scenarioName: config.name,
    version: state.guest.version !== null ? versionString(state.guest.version) : null,
    featureFlags: state.guest.featureFlags, featureNames: decodeFeatureFlags(state.guest.featureFlags),
    confidentialVmbus: state.guest.confidential,
    devices, pages, hostReadablePages: hostReadable,
    refusals: state.guest.logs.filter((l) => /Invalid offer|isn't encrypted|no support for confidential/.test(l)),
  };
}

/** Runs the VM as logged and on SNP and TDX with OpenHCL, and summarises each. */
export function whatIfConfidential(base: ScenarioConfig): WhatIfResult {
  const runs: WhatIfRun[] = [];
  const asLogged = runScenario({ ...base, expectations: [] });
  runs.push(summarize('as-logged', base, asLogged.state));
  for (const iso of ['snp', 'tdx'] as const) {
    const cfg = confidentialVariant(base, iso);
    runs.push(summarize(iso, cfg, runScenario(cfg).state));
  }
  return { runs };
}

const LABEL: Record<WhatIfPlatform, string> = { 'as-logged': 'as logged', snp: 'SEV-SNP + OpenHCL', tdx: 'TDX + OpenHCL' };

function cell(d: WhatIfDevice | undefined): string {
  if (!d) return '-';
  switch (d.outcome) {
    case 'paravisor-hosted': return 'paravisor-hosted, encrypted ring';
    case 'relayed': return 'relayed from the host, ring host-visible';
    case 'refused': return `refused: "${d.refusal ?? 'rejected'}"`;
    case 'host': return `host (${d.state ?? '?'})`;
    default: return 'not offered';
  }
}

/** The side-by-side summary as Markdown (the VS Code command shows it; `vmbus-lab whatif` prints it). */
export function formatWhatIf(r: WhatIfResult, source: string): string {
  const [before, ...after] = r.runs;
  const out: string[] = [`# What if ${source} were confidential`, ''];
  out.push(`Simulated three times: the devices as the log shows them, then on SEV-SNP and on TDX with OpenHCL hosting a Confidential VMBus. OpenHCL hosts storage and networking itself (storvsp, netvsp); every other device stays the host's, relayed by the paravisor.`, '');
  out.push(`| device | class | ${r.runs.map((x) => LABEL[x.platform]).join(' | ')} |`, `|---|---|${r.runs.map(() => '---').join('|')}|`);
  for (const d of before.devices) {
    out.push(`| ${d.name} | ${d.className ?? d.classGuid} | ${r.runs.map((x) => cell(x.devices.find((y) => y.name === d.name))).join(' | ')} |`);
  }
  out.push('', '## Exposure', '');
  for (const x of r.runs) out.push(`- ${LABEL[x.platform]}: the host can read **${x.hostReadablePages} of ${x.pages}** pages the guest set up.`);
  const a = after[0];
  if (a) out.push('', `The host can read ${before.hostReadablePages} of ${before.pages} pages before, ${a.hostReadablePages} of ${a.pages} after (SEV-SNP).`);
  out.push('', '## Version and features', '');
  for (const x of r.runs) {
    out.push(`- ${LABEL[x.platform]}: VMBus ${x.version ?? 'not connected'}, feature flags 0x${x.featureFlags.toString(16)}${x.featureNames.length ? ` (${x.featureNames.join(', ')})` : ''}; Confidential VMBus ${x.confidentialVmbus ? 'yes' : 'no'}.`);
  }
  out.push('', `Confidential VMBus needs VMBus 6.0 and the CONFIDENTIAL_CHANNELS feature flag (0x${VMBUS_FEATURE_FLAG_CONFIDENTIAL_CHANNELS.toString(16)}) from the paravisor's server, and a guest with the Confidential VMBus series (the CPUID design).`);
  const refused = after.flatMap((x) => x.refusals.map((l) => `- ${LABEL[x.platform]}: \`${l}\``));
  if (refused.length) out.push('', '## Refused by the isolated guest (Linux\'s words)', '', ...refused);
  return out.join('\n') + '\n';
}
