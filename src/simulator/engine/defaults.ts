// Ready-made scenario configurations for tests and demos.
import type { DeviceConfig, ScenarioConfig } from '../model/config';

export const STORVSC_CLASS = 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f';
export const NETVSC_CLASS = 'f8615163-df3e-46c5-913f-f2d2f965ed0e';

/** A paravisor-hosted storvsc (OpenHCL sets 0x2 on its own offers) and a host netvsc relayed by OpenHCL. */
export function defaultDevices(): DeviceConfig[] {
  return [
    {
      name: 'disk0', classGuid: STORVSC_CLASS, className: 'storvsc', instanceGuid: 'f8b3781b-1e82-4818-a1c3-63d806ec15bb', host: 'paravisor',
      chnFlags: 0x0002, subchannels: 0, sendRingBytes: 0x20000, recvRingBytes: 0x20000, bufferGpadlPages: [], packets: 8, mmioMegabytes: 0, open: true,
    },
    {
      name: 'nic0', classGuid: NETVSC_CLASS, className: 'netvsc', instanceGuid: '4d6d2d2e-7a1a-4b8e-9f3c-0a1b2c3d4e5f', host: 'host',
      chnFlags: 0x0000, monitorId: 1, subchannels: 0, sendRingBytes: 0x20000, recvRingBytes: 0x20000, bufferGpadlPages: [16], packets: 8, mmioMegabytes: 0, open: true,
    },
  ];
}

/** Confidential SNP guest with OpenHCL (Confidential VMBus capable), merged CPUID design, host at 6.0. */
export function defaultConfig(): ScenarioConfig {
  return {
    name: 'snp-openhcl-default',
    seed: 1,
    platform: {
      isolation: 'snp',
      vpCount: 1,
      paravisor: { present: true, confidentialVmbus: true, versions: [] },
      design: 'cpuid',
      guestMaxVersion: 0x00060000,
      hostVersions: [0x00060000, 0x00050003, 0x00050002, 0x00050001, 0x00050000, 0x00040001, 0x00040000, 0x00030000, 0x00020004],
      hostFeatureFlags: 0x6f,
      autoEoi: false,
    },
    devices: defaultDevices(),
    faults: [],
    expectations: [],
    stops: [],
    steps: [],
  };
}
