// `udevadm monitor` output (KERNEL[...] / UDEV [...] event lines, with or without --property
// blocks) and `udevadm info` (P: / E: lines): vmbus devices by instance GUID and their
// channels/<relid> kobjects, added, bound, unbound, removed.
import { canonicalGuid, guidFromBytes } from '../protocol/guid';
import { addChannel, clip, GUID_TEXT, ImportBuilder, isDecoration, promptCommand, rootPromptCommand, splitLines, type SourceLine } from './common';
import type { ImportedDevice, ImportResult } from './types';

const RE_EVENT = /^(KERNEL|UDEV)\s*\[\s*(\d+(?:\.\d+)?)\s*\]\s+(\w+)\s+(\/\S+)(?:\s+\(([\w-]+)\))?\s*$/;
const RE_BANNER = /^(?:monitor will print the received events for:|UDEV - the event which udev sends out after rule processing|KERNEL - the kernel uevent)\s*$/i;
const RE_PROP = /^(?:E:\s*)?([A-Z][A-Z0-9_]*)=(.*)$/;
const RE_INFO_PATH = /^P:\s*(\/\S+)\s*$/;
const RE_INFO_OTHER = /^[NLSMRJUTDIQV]:\s/;
const RE_VMBUS_PATH = new RegExp(`/(${GUID_TEXT})(?:/channels/(\\d+))?(?:/(.*))?$`);

/**
 * Whether a line is `udevadm info` output about a vmbus device: `-q property` (`DEVPATH=…/VMBUS:…`,
 * `MODALIAS=vmbus:…`) or `--export-db` / `-q all` records (`P: /devices/…/VMBUS:…`, `E: KEY=VALUE`).
 */
export function isUdevInfoLine(text: string): boolean {
  const t = text.trim();
  return /^(?:E:\s*)?DEVPATH=\/devices\/.*\/VMBUS:/i.test(t) || /^(?:E:\s*)?MODALIAS=vmbus:/.test(t) || /^P:\s*\/devices\/.*\/VMBUS:/i.test(t);
}

/** Whether a line is a udevadm monitor event line (used by detectFormat). */
export function isUdevLine(text: string): boolean {
  return RE_EVENT.test(text.trim());
}

interface Ctx { device?: ImportedDevice; relid?: number; action?: string; line: number }

export function parseUdev(text: string): ImportResult {
  const b = new ImportBuilder('udev');
  let ctx: Ctx | undefined;
  // Each device's channels in the order their kobjects appeared: the first is the primary.
  const channelOrder = new Map<ImportedDevice, number[]>();

  const target = (path: string, line: number, subsystem: string | undefined): Ctx | undefined => {
    const m = RE_VMBUS_PATH.exec(path);
    if (!m) return undefined;
    const isVmbus = /\/VMBUS:\d+\//i.test(path) || subsystem === 'vmbus' || subsystem === 'channels' || m[2] !== undefined;
    if (!isVmbus) return undefined;
    const guid = canonicalGuid(m[1])!;
    const d = b.device({ instanceGuid: guid }, line);
    const c: Ctx = { device: d, line };
    if (m[2] !== undefined) {
      const relid = Number(m[2]);
      c.relid = relid;
      addChannel(d, relid);
      b.indexRelid(relid, d);
      const order = channelOrder.get(d) ?? [];
      if (!order.includes(relid)) order.push(relid);
      channelOrder.set(d, order);
      if (d.relid === undefined) { d.relid = relid; b.indexRelid(relid, d); }
    } else if (m[3]) {
      // A child of the vmbus device (net/eth0, host0 ...): tells which kind of device it is.
      const child = m[3].split('/')[0];
      const attrs = (d.attributes ??= {});
      const list = attrs.children ? attrs.children.split(',') : [];
      if (!list.includes(child)) list.push(child);
      attrs.children = list.join(',');
    }
    return c;
  };

  const onEvent = (l: SourceLine, src: string, time: number, action: string, path: string, subsystem: string | undefined): void => {
    const c = target(path, l.no, subsystem);
    const fields: Record<string, string | number> = { source: src, action, devpath: path };
    if (subsystem) fields.subsystem = subsystem;
    if (c?.device?.instanceGuid) fields.instance_guid = c.device.instanceGuid;
    if (c?.relid !== undefined) fields.relid = c.relid;
    b.result.events.push({ line: l.no, name: action, time, fields, text: l.text.trim() });
    ctx = c ? { ...c, action } : undefined;
    if (!c || !c.device) {
      b.diag(l.no, 'info', `${action} of a device that is not on the vmbus: ${clip(path, 90)}`);
      return;
    }
    const d = c.device;
    if (c.relid !== undefined) {
      if (action === 'remove') (d.attributes ??= {})[`channels/${c.relid}`] = 'removed';
      return;
    }
    const wholeDevice = !RE_VMBUS_PATH.exec(path)?.[3];
    if (!wholeDevice) return;
    if (action === 'add') d.state ??= 'added';
    else if (action === 'bind') d.state = 'bound';
    else if (action === 'unbind') d.state = 'unbound';
    else if (action === 'remove') d.state = 'removed';
  };

  const onProperty = (l: SourceLine, key: string, value: string): void => {
    const d = ctx?.device;
    if (!d) return;
    if (!d.lines.includes(l.no)) d.lines.push(l.no);
    if (key === 'DRIVER' && ctx?.relid === undefined) d.driver = value;
    else if (key === 'MODALIAS' && ctx?.relid === undefined) {
      const m = /^vmbus:([0-9a-fA-F]{32})$/.exec(value);
      if (!m) { b.diag(l.no, 'warning', `MODALIAS '${clip(value, 50)}' is not vmbus: + 32 hex digits`); return; }
      const bytes = new Uint8Array(16);
      for (let i = 0; i < 16; i++) bytes[i] = parseInt(m[1].slice(i * 2, i * 2 + 2), 16);
      b.setClass(d, guidFromBytes(bytes), l.no);
    } else if (key === 'DEVPATH' || key === 'ACTION' || key === 'SUBSYSTEM' || key === 'SEQNUM') {
      // Already on the event line.
    } else (d.attributes ??= {})[ctx?.relid !== undefined ? `channels/${ctx.relid}/${key}` : key] = value;
  };

  const handle = (l: SourceLine, t: string): boolean => {
    let m: RegExpExecArray | null;
    if ((m = RE_EVENT.exec(t))) { onEvent(l, m[1], Number(m[2]), m[3], m[4], m[5]); return true; }
    if (RE_BANNER.test(t)) return true;
    if ((m = RE_INFO_PATH.exec(t))) { onEvent(l, 'INFO', NaN, 'info', m[1], undefined); return true; }
    if ((m = RE_PROP.exec(t))) {
      if (ctx) onProperty(l, m[1], m[2]);
      else if (m[1] === 'DEVPATH') { onEvent(l, 'PROPERTY', NaN, 'property', m[2], undefined); }
      else b.diag(l.no, 'info', `property outside an event block: ${clip(t)}`);
      return true;
    }
    // systemd 247+: `V:` names the bound driver in --export-db / -q all.
    if ((m = /^V:\s*(\S+)\s*$/.exec(t))) { if (ctx?.device && ctx.relid === undefined) ctx.device.driver = m[1]; return true; }
    if (RE_INFO_OTHER.test(t)) return true;
    return false;
  };

  for (const l of splitLines(text)) {
    const t = l.text.trim();
    if (t === '') { ctx = undefined; continue; }
    b.result.stats.lines++;
    const cmd = promptCommand(t);
    if (cmd !== undefined) { b.command(l.no, cmd); b.result.stats.recognized++; ctx = undefined; continue; }
    if (isDecoration(t)) { b.result.stats.comments++; continue; }
    if (t.startsWith('#')) {
      const body = t.replace(/^#+\s?/, '').trim();
      const rp = rootPromptCommand(body);
      if (rp) { b.command(l.no, rp); b.result.stats.recognized++; } else if (body && RE_EVENT.test(body) && handle(l, body)) b.result.stats.recognized++;
      else b.result.stats.comments++;
      continue;
    }
    if (handle(l, t)) { b.result.stats.recognized++; continue; }
    b.unknown(l, 'warning', 'not a udevadm monitor line');
  }
  // Events without a time (udevadm info blocks) carry NaN above; drop it.
  for (const e of b.result.events) if (e.time !== undefined && Number.isNaN(e.time)) delete e.time;
  const r = b.finish();
  for (const d of r.devices) {
    const order = channelOrder.get(d);
    if (order && order.length > 1) {
      // The first channels/<relid> kobject of a device is its primary; the rest are sub-channels.
      d.channels!.sort((x, y) => order.indexOf(x.relid) - order.indexOf(y.relid));
    }
  }
  return r;
}
