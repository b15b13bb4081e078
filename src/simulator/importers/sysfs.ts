// sysfs dumps of /sys/bus/vmbus/devices/<instance>/: `path:value` lines as `grep -r .
// /sys/bus/vmbus/devices/*/{id,class_id,...}` prints them (channel_vp_mapping gives one line per
// channel), relative paths (`grep -r . *` inside the folder), and `head`'s `==> path <==` blocks.
import { canonicalGuid, classByGuid, guidFromBytes } from '../protocol/guid';
import { addChannel, clip, GUID_TEXT, ImportBuilder, isDecoration, promptCommand, rootPromptCommand, splitLines, toInt, type SourceLine } from './common';
import type { ImportedDevice, ImportResult } from './types';

const RE_ATTR = new RegExp(`^(?:.*?/)?(${GUID_TEXT})/((?:channels/\\d+/)?[A-Za-z_][\\w]*)(?::(.*))?$`);
const RE_HEAD = /^==>\s*(.+?)\s*<==$/;
const RE_GREP_MSG = /^(?:grep|cat|head|tail): .*(?:Permission denied|Input\/output error|Is a directory|No such file or directory|Invalid argument|Operation not permitted)\s*$/;
const RE_BINARY = /^(?:grep: )?(?:Binary file )?\S*\/sys\/\S+(?: matches| binary file matches)\s*$/;
const RE_LS = new RegExp(`^(?:l[rwx-]{9}\\S*\\s+.*\\s)?(${GUID_TEXT})(?:\\s+->\\s+\\S*/\\1)?/?$`);
const RE_BRACED = new RegExp(`^\\{${GUID_TEXT}\\}$`);
const RE_BUS_ATTR = /^(?:\S*\/)?sys\/bus\/vmbus\/(?:[\w-]+)(?:\/[\w.:-]+)*:(.*)$/;

/** Whether a line looks like a sysfs path:value line of a vmbus device (used by detectFormat). */
export function isSysfsLine(text: string): boolean {
  const t = text.trim();
  const m = RE_ATTR.exec(t);
  return (!!m && m[3] !== undefined) || RE_LS.test(t);
}

export function parseSysfs(text: string): ImportResult {
  const b = new ImportBuilder('sysfs');
  let headPath: { guid: string; attr: string } | undefined;
  let headLine = 0;
  const firstMapping = new Map<ImportedDevice, number>();

  const apply = (guidText: string, attr: string, value: string, line: number, col: number): void => {
    const guid = canonicalGuid(guidText)!;
    const d = b.device({ instanceGuid: guid }, line);
    const v = value.trim();
    const int = toInt(v);
    const ch = /^channels\/(\d+)\/(\w+)$/.exec(attr);
    if (ch) {
      const relid = Number(ch[1]);
      b.indexRelid(relid, d);
      if (ch[2] === 'cpu') { if (int === undefined) bad(); else addChannel(d, relid, int); }
      else if (ch[2] === 'subchannel_id') { if (int === undefined) bad(); else addChannel(d, relid, undefined, int); }
      else { addChannel(d, relid); (d.attributes ??= {})[attr] = v; }
      return;
    }
    function bad(): void { b.diag(line, 'warning', `${attr} '${clip(v, 40)}' is not a number`, col); }
    switch (attr) {
      case 'id':
        if (int === undefined || int <= 0) { bad(); return; }
        if (d.relid !== undefined && d.relid !== int) { b.diag(line, 'error', `id ${int} contradicts relid ${d.relid} of ${guid}`, col); return; }
        b.device({ instanceGuid: guid, relid: int }, line);
        b.indexRelid(int, d);
        return;
      case 'class_id': {
        const g = canonicalGuid(v);
        if (!g) { b.diag(line, 'warning', `class_id '${clip(v, 40)}' is not a GUID`, col); return; }
        b.setClass(d, g, line);
        return;
      }
      case 'device_id': {
        const g = canonicalGuid(v);
        if (!g) { b.diag(line, 'warning', `device_id '${clip(v, 40)}' is not a GUID`, col); return; }
        if (g !== guid) b.diag(line, 'error', `device_id ${g} differs from the directory name ${guid}`, col);
        return;
      }
      case 'state':
        if (int === undefined) bad(); else d.state = int;
        return;
      case 'monitor_id':
        if (int === undefined) bad(); else d.monitorId = int;
        return;
      case 'channel_vp_mapping': {
        const m = /^(\d+):(\d+)$/.exec(v);
        if (!m) { b.diag(line, 'warning', `channel_vp_mapping line '${clip(v, 40)}' is not relid:cpu`, col); return; }
        addChannel(d, Number(m[1]), Number(m[2]));
        b.indexRelid(Number(m[1]), d);
        if (!firstMapping.has(d)) firstMapping.set(d, Number(m[1]));
        return;
      }
      case 'modalias': {
        (d.attributes ??= {}).modalias = v;
        const m = /^vmbus:([0-9a-fA-F]{32})$/.exec(v);
        if (!m) { b.diag(line, 'warning', `modalias '${clip(v, 50)}' is not vmbus: + 32 hex digits`, col); return; }
        const bytes = new Uint8Array(16);
        for (let i = 0; i < 16; i++) bytes[i] = parseInt(m[1].slice(i * 2, i * 2 + 2), 16);
        b.setClass(d, guidFromBytes(bytes), line);
        return;
      }
      case 'uevent': {
        const m = /^(\w+)=(.*)$/.exec(v);
        if (!m) { (d.attributes ??= {}).uevent = v; return; }
        if (m[1] === 'DRIVER') d.driver = m[2];
        else if (m[1] === 'MODALIAS') apply(guidText, 'modalias', m[2], line, col);
        else (d.attributes ??= {})[`uevent.${m[1]}`] = m[2];
        return;
      }
      case 'driver_override':
        (d.attributes ??= {}).driver_override = v;
        if (v && v !== '(null)') d.driver ??= v;
        return;
      default:
        (d.attributes ??= {})[attr] = v;
    }
  };

  for (const l of splitLines(text)) {
    const t = l.text.trim();
    if (t === '') { headPath = undefined; continue; }
    b.result.stats.lines++;
    const cmd = promptCommand(t);
    if (cmd !== undefined) { b.command(l.no, cmd); b.result.stats.recognized++; headPath = undefined; continue; }
    if (isDecoration(t)) { b.result.stats.comments++; continue; }
    if (t.startsWith('#')) {
      const body = t.replace(/^#+\s?/, '').trim();
      const rp = rootPromptCommand(body);
      if (rp) { b.command(l.no, rp); b.result.stats.recognized++; } else if (body && handleLine(l, body)) b.result.stats.recognized++;
      else b.result.stats.comments++;
      continue;
    }
    if (handleLine(l, t)) { b.result.stats.recognized++; continue; }
    b.unknown(l, 'warning', 'not a sysfs path:value line');
  }

  function handleLine(l: SourceLine, t: string): boolean {
    let m: RegExpExecArray | null;
    if ((m = RE_HEAD.exec(t))) {
      const a = RE_ATTR.exec(m[1]);
      headPath = a ? { guid: a[1], attr: a[2] } : undefined;
      headLine = l.no;
      if (!a) b.diag(l.no, 'info', `not a vmbus device attribute: ${clip(m[1])}`);
      return true;
    }
    if (RE_GREP_MSG.test(t) || RE_BINARY.test(t)) {
      b.diag(l.no, 'info', `tool message, no value: ${clip(t)}`);
      return true;
    }
    if ((m = RE_ATTR.exec(t)) && m[3] !== undefined) {
      headPath = undefined;
      apply(m[1], m[2], m[3], l.no, t.length - m[3].length + 1);
      return true;
    }
    if ((m = RE_BUS_ATTR.exec(t)) && !RE_ATTR.test(t)) {
      b.diag(l.no, 'info', `bus or driver attribute, not a device's: ${clip(t)}`);
      return true;
    }
    // `ls /sys/bus/vmbus/devices` (directory names) or `ls -l` (symlinks into .../VMBUS:NN/<guid>).
    if ((m = RE_LS.exec(t))) {
      b.device({ instanceGuid: canonicalGuid(m[1]) }, l.no);
      return true;
    }
    if (!headPath && (m = RE_BRACED.exec(t))) {
      b.diag(l.no, 'warning', `a GUID value without the path it was read from (cat of class_id or device_id?): cannot tell which device it belongs to`);
      return true;
    }
    if (headPath) {
      apply(headPath.guid, headPath.attr, t, l.no, 1);
      void headLine;
      return true;
    }
    return false;
  }

  const r = b.finish();
  for (const d of r.devices) {
    if (d.relid === undefined && firstMapping.has(d)) {
      d.relid = firstMapping.get(d);
      r.diagnostics.push({ line: d.lines[0] ?? 1, severity: 'info', message: `${d.instanceGuid}: no id line; relid ${d.relid} taken from the first channel_vp_mapping line (the primary channel)` });
      d.channels?.sort((x, y) => (x.relid === d.relid ? -1 : y.relid === d.relid ? 1 : x.relid - y.relid));
      d.targetCpus = d.channels?.map((c) => c.targetCpu ?? -1).filter((c) => c >= 0);
    }
    if (d.classGuid && !d.className) d.className = classByGuid(d.classGuid)?.name;
  }
  r.devices.sort((a, c) => (a.relid ?? 1e15) - (c.relid ?? 1e15) || (a.lines[0] ?? 0) - (c.lines[0] ?? 0));
  r.diagnostics.sort((a, c) => a.line - c.line);
  return r;
}
