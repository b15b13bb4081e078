// Helpers for the engine scenario tests: build configurations and pull out the facts the tests
// assert (message sequences, register access paths, exposure table).
import type { DeviceConfig, ScenarioConfig } from '../../../src/simulator/model/config';
import type { MessageEvent, PageEvent, RegisterEvent } from '../../../src/simulator/trace/events';
import { runScenario, type RunResult } from '../../../src/simulator/engine/session';
import { defaultConfig } from '../../../src/simulator/engine/defaults';
import type { Trace } from '../../../src/simulator/trace/buffer';

export const V6_0 = 0x00060000;
export const V5_3 = 0x00050003;
export const V5_2 = 0x00050002;
export const V4_0 = 0x00040000;
export const ALL_VERSIONS = [0x00060000, 0x00050003, 0x00050002, 0x00050001, 0x00050000, 0x00040001, 0x00040000, 0x00030000, 0x00020004];

export function cfg(patch: (c: ScenarioConfig) => void = () => undefined): ScenarioConfig {
  const c = defaultConfig();
  patch(c);
  return c;
}

/** Everything from the host, no paravisor. */
export function noParavisor(c: ScenarioConfig, isolation: ScenarioConfig['platform']['isolation'] = 'snp'): void {
  c.platform.isolation = isolation;
  c.platform.paravisor = { present: false, confidentialVmbus: false, versions: [] };
  c.devices = c.devices.map((d): DeviceConfig => ({ ...d, host: 'host', chnFlags: 0 }));
}

export function run(c: ScenarioConfig): RunResult {
  return runScenario(c);
}

export function messages(events: Trace): MessageEvent[] {
  return events.filter((e): e is MessageEvent => e.kind === 'message');
}

/** "from>to synic MSGTYPE" lines for messages touching the guest. */
export function guestFlow(events: Trace): string[] {
  return messages(events)
    .filter((m) => m.from === 'guest' || m.to === 'guest')
    .map((m) => `${m.from}>${m.to} ${m.synic ?? '-'} ${m.msgtype.replace('CHANNELMSG_', '')}`);
}

export function relayFlow(events: Trace): string[] {
  return messages(events)
    .filter((m) => m.from !== 'guest' && m.to !== 'guest')
    .map((m) => `${m.from}>${m.to} ${m.synic ?? '-'} ${m.msgtype.replace('CHANNELMSG_', '')}`);
}

export function regWrites(events: Trace): string[] {
  return events
    .filter((e): e is RegisterEvent => e.kind === 'register' && e.op === 'write')
    .map((e) => `${e.synic} ${e.register} ${e.path}`);
}

/** page id → visibility of its last page event (the exposure table). */
export function exposure(events: Trace): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) if (e.kind === 'page') out[(e as PageEvent).page] = (e as PageEvent).visibility;
  return out;
}

export function logs(events: Trace, party = 'guest'): string[] {
  return events.filter((e) => e.kind === 'log' && e.party === party).map((e) => (e as { text: string }).text);
}

export function phasesBegun(events: Trace): string[] {
  return events.filter((e) => e.kind === 'phase' && e.action === 'begin').map((e) => (e as { name: string }).name);
}

export function firstMsg(events: Trace, msgtype: string, pred: (m: MessageEvent) => boolean = () => true): MessageEvent {
  const m = messages(events).find((x) => x.msgtype === msgtype && pred(x));
  if (!m) throw new Error(`no ${msgtype}`);
  return m;
}

export const RING_GPADL = ['GPADL_HEADER', 'GPADL_BODY', 'GPADL_BODY']; // 26 + 28 + 10 PFNs (linux §1.3)
export const BUF_GPADL = ['GPADL_HEADER']; // 16 PFNs ≤ 26 (linux §1.3)

/**
 * The guest's side of the whole control plane with `server`, replies on SynIC `synic`. `opens`
 * lists, per channel in open order, how many extra buffer GPADLs the driver sets up.
 */
export function linuxFlow(server: string, synic: string, offers: number, opens: number[]): string[] {
  const out = (t: string) => `guest>${server} - ${t}`;
  const inb = (t: string) => `${server}>guest ${synic} ${t}`;
  return [
    out('INITIATE_CONTACT'), inb('VERSION_RESPONSE'), // 6.0 accepted first time (linux §2.2)
    out('REQUESTOFFERS'), ...Array<string>(offers).fill(inb('OFFERCHANNEL')), inb('ALLOFFERS_DELIVERED'), // linux §1.4 item 3
    ...opens.flatMap((buffers) => [
      ...RING_GPADL.map(out), inb('GPADL_CREATED'), out('OPENCHANNEL'), inb('OPENCHANNEL_RESULT'),
      ...Array.from({ length: buffers }, () => [...BUF_GPADL.map(out), inb('GPADL_CREATED')]).flat(),
    ]),
  ];
}

export const STORVSC = 0; // bufferGpadlPages: [] → ring only
export const NETVSC = 1; // bufferGpadlPages: [16] → ring + one receive buffer
