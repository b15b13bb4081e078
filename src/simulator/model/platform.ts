// The platform facts every party is built from (isolation, paravisor, discovery design) and the
// access paths they imply. Plain values derived once from the scenario's platform section.
import type { ScenarioConfig } from './config';
import type { AccessPath, Visibility } from '../trace/events';
import { isolatedPath, noParavisorPath } from './constants';

export class Platform {
  readonly iso: ScenarioConfig['platform']['isolation'];
  /** Hardware-isolated (SNP or TDX): guest memory is private unless decrypted. */
  readonly cvm: boolean;
  readonly isolated: boolean;
  readonly pvPresent: boolean;
  /** OpenHCL with a VMBus server + relay serves VTL0 (paravisor.confidentialVmbus). */
  readonly pvServer: boolean;
  /** CPUID 0x40000082 EAX bit 3: OpenHCL sets it iff hardware isolated && with_vmbus_relay. */
  readonly cpuidBit: boolean;
  readonly design: 'probe' | 'cpuid';
  readonly vpCount: number;

  constructor(p: ScenarioConfig['platform']) {
    this.iso = p.isolation;
    this.cvm = p.isolation === 'snp' || p.isolation === 'tdx';
    this.isolated = p.isolation !== 'none';
    this.pvPresent = p.paravisor.present;
    this.pvServer = p.paravisor.present && p.paravisor.confidentialVmbus;
    this.cpuidBit = this.cvm && this.pvServer;
    this.design = p.design;
    this.vpCount = Math.max(1, p.vpCount);
  }

  /** OpenHCL emulates a VTL0 SynIC only on hardware-isolated VMs (Linux's paravisor_present). */
  get paravisorSynic(): boolean {
    return this.pvPresent && this.cvm;
  }

  /** How the guest reaches the hypervisor SynIC's registers. */
  hypRegPath(): AccessPath {
    if (!this.cvm) return 'msr';
    return this.pvPresent ? isolatedPath(this.iso) : noParavisorPath(this.iso, 'msr');
  }

  /** How the guest's HvPostMessage travels (trapped by the paravisor while attempting Confidential VMBus). */
  postPath(attemptConfidential: boolean): AccessPath {
    if (!this.cvm) return 'hypercall';
    if (!this.pvPresent) return noParavisorPath(this.iso, 'hypercall');
    return attemptConfidential ? 'trapped' : isolatedPath(this.iso);
  }

  /** vmbus_set_event is unchanged by the Confidential series: GHCB/tdcall when a paravisor is present. */
  signalPath(): AccessPath {
    if (!this.cvm) return 'hypercall';
    if (!this.pvPresent) return noParavisorPath(this.iso, 'hypercall');
    return isolatedPath(this.iso);
  }

  /** The visibility of a page the guest shares (decrypts) or keeps private. */
  defaultVisibility(wantDecrypted: boolean): { visibility: Visibility; reason: string } {
    if (!this.cvm) {
      return { visibility: 'host-visible', reason: this.iso === 'vbs' ? 'VBS isolation: the Linux guest does not encrypt memory; the page is not hidden from the host' : 'no hardware isolation: all guest memory is host-accessible' };
    }
    return wantDecrypted
      ? { visibility: 'host-visible', reason: 'set_memory_decrypted' }
      : { visibility: 'encrypted', reason: 'private (encrypted) guest memory' };
  }
}
