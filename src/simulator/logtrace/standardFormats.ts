// A simulated VM in the formats of the real tools, so what reads a real guest reads a simulated
// one: `lsvmbus -vv` text (tools/hv/lsvmbus), a sysfs tree (/sys/bus/vmbus/devices/<instance>/…
// with what the show() functions of drivers/hv/vmbus_drv.c print) and the guest's dmesg lines.
// The devices are the guest's: every channel it accepted and has not released (a refused or
// rescinded offer has no device), primaries with their sub-channels.
import type { ChannelView, SimulationState } from '../engine/api';
import type { Trace } from '../trace/buffer';
import { classByGuid, guidToBytes } from '../protocol/guid';

export interface GuestDevice {
  primary: ChannelView;
  /** Primary first, then the sub-channels by relid. */
  channels: ChannelView[];
  /** target_cpu of each channel (the VP its last OPENCHANNEL or MODIFYCHANNEL named; 0 before an open). */
  targetCpus: number[];
}

const GONE = new Set(['rejected', 'rescinded', 'released']);

/** The guest's devices at the end of a run, by primary relid. */
export function guestDevices(state: SimulationState, events: Trace): GuestDevice[] {
  // target_vp per relid: the last OPENCHANNEL / MODIFYCHANNEL the guest sent.
  const cpu = new Map<number, number>();
  for (const e of events) {
    if (e.kind !== 'message' || e.from !== 'guest') continue;
    if (e.msgtype !== 'CHANNELMSG_OPENCHANNEL' && e.msgtype !== 'CHANNELMSG_MODIFYCHANNEL') continue;
    const vp = (e.decoded as Record<string, unknown>).target_vp;
    if (e.relid !== undefined && typeof vp === 'number') cpu.set(e.relid, vp);
  }
  const live = state.channels.filter((c) => !GONE.has(c.state));
  const out: GuestDevice[] = [];
  for (const p of live.filter((c) => c.subchannelIndex === 0).sort((a, b) => a.relid - b.relid)) {
    const subs = live.filter((c) => c.subchannelIndex > 0 && c.instanceGuid === p.instanceGuid).sort((a, b) => a.relid - b.relid);
    const channels = [p, ...subs];
    out.push({ primary: p, channels, targetCpus: channels.map((c) => cpu.get(c.relid) ?? 0) });
  }
  return out;
}

/** lsvmbus's description of a class ("Unknown" when its dictionary lacks it, as for IMC). */
function description(classGuid: string): string {
  const c = classByGuid(classGuid);
  return c && c.name !== 'imc' ? c.description : 'Unknown';
}

/** `lsvmbus -vv` output (format2 of tools/hv/lsvmbus; a blank line after each device, as print() adds). */
export function toLsvmbus(devices: readonly GuestDevice[]): string {
  const out: string[] = [];
  for (const d of devices) {
    const id = String(d.primary.relid).padStart(2);
    const mapping = d.channels.map((c, i) => ({ relid: c.relid, cpu: d.targetCpus[i] })).sort((a, b) => a.relid - b.relid)
      .map((m) => `\tRel_ID=${m.relid}, target_cpu=${m.cpu}`).join('\n');
    out.push(`VMBUS ID ${id}: Class_ID = {${d.primary.classGuid}} - ${description(d.primary.classGuid)}\n\tDevice_ID = {${d.primary.instanceGuid}}\n\tSysfs path: /sys/bus/vmbus/devices/${d.primary.instanceGuid}\n${mapping}\n`);
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

/** channel->state as the sysfs `state` attribute prints it (enum vmbus_channel_state). */
function stateNumber(c: ChannelView): number {
  switch (c.state) {
    case 'opening': return 1; // CHANNEL_OPENING_STATE
    case 'open': return 3; // CHANNEL_OPENED_STATE (set by the open result)
    case 'closed': return 2; // vmbus_close_internal sets CHANNEL_OPEN_STATE
    default: return 0; // CHANNEL_OFFER_STATE
  }
}

/**
 * The sysfs tree: relative path (under /sys/bus/vmbus/devices) → file content, exactly what each
 * attribute's show() prints. monitor_id exists only for a channel with a monitor allocated.
 */
export function toSysfs(devices: readonly GuestDevice[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of devices) {
    const p = d.primary;
    const dir = p.instanceGuid;
    const cls = classByGuid(p.classGuid);
    const hex = [...guidToBytes(p.classGuid)].map((b) => b.toString(16).padStart(2, '0')).join('');
    files.set(`${dir}/id`, `${p.relid}\n`);
    files.set(`${dir}/class_id`, `{${p.classGuid}}\n`);
    files.set(`${dir}/device_id`, `{${p.instanceGuid}}\n`);
    files.set(`${dir}/state`, `${stateNumber(p)}\n`);
    if (p.monitorId !== undefined) files.set(`${dir}/monitor_id`, `${p.monitorId}\n`);
    files.set(`${dir}/modalias`, `vmbus:${hex}\n`);
    files.set(`${dir}/vendor`, '0x1414\n');
    files.set(`${dir}/device`, `0x${(cls?.devType ?? 16).toString(16)}\n`);
    files.set(`${dir}/channel_vp_mapping`, d.channels.map((c, i) => `${c.relid}:${d.targetCpus[i]}\n`).join(''));
    d.channels.forEach((c, i) => {
      const ch = `${dir}/channels/${c.relid}`;
      files.set(`${ch}/cpu`, `${d.targetCpus[i]}\n`);
      files.set(`${ch}/subchannel_id`, `${c.subchannelIndex}\n`);
      if (c.monitorId !== undefined) files.set(`${ch}/monitor_id`, `${c.monitorId}\n`);
    });
  }
  return files;
}

/** The tree as `grep -r . /sys/bus/vmbus/devices/` prints it (what the sysfs importer reads). */
export function sysfsAsGrep(files: ReadonlyMap<string, string>, root = '/sys/bus/vmbus/devices'): string {
  const out: string[] = [];
  for (const [p, content] of files) for (const line of content.replace(/\n$/, '').split('\n')) out.push(`${root}/${p}:${line}`);
  return out.join('\n') + '\n';
}
