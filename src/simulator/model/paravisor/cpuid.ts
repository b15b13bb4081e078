// CPUID 0x40000082 (the virtualization-stack leaf) as the guest reads it. OpenHCL answers it through
// intercept processing and sets EAX bit 3 (Confidential VMBus available) iff hardware isolated &&
// with_vmbus_relay; bit 2 (extended IOAPIC RTE) is one of the other bits OpenHCL reports.
import type { Platform } from '../platform';
import { VS_CPUID_EAX_OTHER_BITS_OPENHCL } from '../constants';

/** Bit 3 of CPUID 0x40000082 EAX: Confidential VMBus available. */
export const CPUID_VS_CONFIDENTIAL_VMBUS = 0x8;

export function vsCpuidEax(p: Platform): number {
  return (p.cpuidBit ? CPUID_VS_CONFIDENTIAL_VMBUS : 0) | (p.pvServer ? VS_CPUID_EAX_OTHER_BITS_OPENHCL : 0);
}
