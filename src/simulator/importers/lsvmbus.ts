// lsvmbus (tools/hv/lsvmbus) output, any verbosity, detected from the lines themselves:
//   VMBUS ID 11: Synthetic network adapter                                   (no flag)
//   VMBUS ID 11: Class_ID = {f8615163-...} - Synthetic network adapter       (-v, -vv)
//   \tDevice_ID = {...}   \tSysfs path: /sys/bus/vmbus/devices/...           (-vv)
//   \tRel_ID=11, target_cpu=0                                                (-v, -vv; one per channel)
import { canonicalGuid, classByGuid, classesByDescription } from '../protocol/guid';
import { addChannel, clip, GUID_TEXT, ImportBuilder, isDecoration, promptCommand, rootPromptCommand, splitLines, type SourceLine } from './common';
import type { ImportedDevice, ImportResult } from './types';

const RE_ID = /^VMBUS\s+ID\s*(\d+)\s*:\s*(.*)$/i;
const RE_CLASS = new RegExp(`^Class_ID\\s*=\\s*(\\{?${GUID_TEXT}\\}?)\\s*(?:-\\s*(.*))?$`, 'i');
const RE_CLASS_CUT = /^Class_ID\s*=\s*(\S*)/i;
const RE_DEVICE_ID = /^Device_ID\s*=\s*(\S*)\s*$/i;
const RE_SYSFS = /^Sysfs path\s*:\s*(\S+)/i;
const RE_RELID = /^Rel_ID\s*=\s*(\d+)\s*,\s*target_cpu\s*=\s*(\d+)\s*$/i;
const RE_RELID_CUT = /^Rel_ID\s*=\s*(\d+)/i;
const RE_CONT = /^-\s+(\S.*)$/;
const RE_NO_SYSFS = /devices doesn't exist: exiting/;

/** Whether a line looks like lsvmbus output (used by detectFormat). */
export function isLsvmbusLine(text: string): boolean {
  const t = text.trim();
  return RE_ID.test(t) || RE_DEVICE_ID.test(t) || RE_SYSFS.test(t) || RE_RELID_CUT.test(t) || RE_NO_SYSFS.test(t);
}

export function parseLsvmbus(text: string): ImportResult {
  const b = new ImportBuilder('lsvmbus');
  const facts = b.result.facts;
  let cur: ImportedDevice | undefined;
  let curLine = 0;
  let wantDescription = false;
  let verbosity: 0 | 1 | 2 = 0;
  const seenIds = new Map<number, number>();

  const handle = (l: SourceLine, t: string): boolean => {
    let m: RegExpExecArray | null;
    if ((m = RE_ID.exec(t))) {
      const relid = Number(m[1]);
      const rest = m[2].trim();
      const again = seenIds.get(relid);
      cur = b.device({ relid }, l.no);
      curLine = l.no;
      wantDescription = false;
      if (again !== undefined) b.diag(l.no, 'info', `VMBUS ID ${relid} again (first on line ${again}); merged into one device`);
      else seenIds.set(relid, l.no);
      if (!Number.isSafeInteger(relid) || relid <= 0 || relid > 0xffffffff) b.diag(l.no, 'error', `VMBUS ID ${m[1]} is not a valid relid (1..4294967295)`);
      let cm: RegExpExecArray | null;
      if ((cm = RE_CLASS.exec(rest))) {
        verbosity = Math.max(verbosity, 1) as 0 | 1 | 2;
        b.setClass(cur, cm[1], l.no);
        if (cm[2] !== undefined && cm[2].trim() !== '') describe(cur, cm[2].trim(), l.no, true);
        else wantDescription = true;
      } else if ((cm = RE_CLASS_CUT.exec(rest))) {
        verbosity = Math.max(verbosity, 1) as 0 | 1 | 2;
        b.diag(l.no, 'warning', `Class_ID '${clip(cm[1], 40)}' is not a whole GUID (line cut short?); the class is unknown`);
      } else if (rest) {
        describe(cur, rest, l.no, false);
      } else {
        b.diag(l.no, 'warning', `VMBUS ID ${relid} has no description (line cut short?)`);
      }
      return true;
    }
    if (RE_NO_SYSFS.test(t)) {
      b.diag(l.no, 'warning', 'lsvmbus found no /sys/bus/vmbus/devices: the machine has no VMBus (not a Hyper-V guest, or hv_vmbus not loaded)');
      return true;
    }
    if ((m = RE_DEVICE_ID.exec(t))) {
      verbosity = 2;
      if (!cur) { b.diag(l.no, 'warning', 'Device_ID line before any VMBUS ID line; ignored'); return true; }
      const g = canonicalGuid(m[1]);
      if (!g) { b.diag(l.no, 'warning', `Device_ID '${clip(m[1], 40)}' is not a GUID (line cut short?)`); return true; }
      if (cur.instanceGuid && cur.instanceGuid !== g) b.diag(l.no, 'error', `Device_ID ${g} contradicts ${cur.instanceGuid} (VMBUS ID ${cur.relid ?? '?'})`);
      else { const d = b.device({ relid: cur.relid, instanceGuid: g }, l.no); cur = d; }
      return true;
    }
    if ((m = RE_SYSFS.exec(t))) {
      verbosity = 2;
      if (!cur) { b.diag(l.no, 'warning', 'Sysfs path line before any VMBUS ID line; ignored'); return true; }
      cur.sysfsPath = m[1];
      if (!cur.lines.includes(l.no)) cur.lines.push(l.no);
      const last = new RegExp(`(${GUID_TEXT})/?$`).exec(m[1]);
      const g = last ? canonicalGuid(last[1]) : undefined;
      if (g && cur.instanceGuid && g !== cur.instanceGuid) b.diag(l.no, 'error', `Sysfs path names ${g}, Device_ID says ${cur.instanceGuid}`);
      else if (g && !cur.instanceGuid) b.device({ relid: cur.relid, instanceGuid: g }, l.no);
      return true;
    }
    if ((m = RE_RELID.exec(t))) {
      verbosity = Math.max(verbosity, 1) as 0 | 1 | 2;
      if (!cur) { b.diag(l.no, 'warning', 'Rel_ID line before any VMBUS ID line; ignored'); return true; }
      addChannel(cur, Number(m[1]), Number(m[2]));
      b.indexRelid(Number(m[1]), cur);
      if (!cur.lines.includes(l.no)) cur.lines.push(l.no);
      return true;
    }
    if ((m = RE_RELID_CUT.exec(t))) {
      verbosity = Math.max(verbosity, 1) as 0 | 1 | 2;
      if (cur) { addChannel(cur, Number(m[1])); b.indexRelid(Number(m[1]), cur); cur.lines.push(l.no); }
      b.diag(l.no, 'warning', `Rel_ID line without target_cpu (line cut short?): ${clip(t)}`);
      return true;
    }
    if (wantDescription && cur && (m = RE_CONT.exec(t))) {
      describe(cur, m[1].trim(), l.no, true);
      wantDescription = false;
      return true;
    }
    return false;
  };

  function describe(d: ImportedDevice, desc: string, line: number, withClass: boolean): void {
    if (!d.lines.includes(line)) d.lines.push(line);
    if (d.description && d.description !== desc) b.diag(line, 'error', `VMBUS ID ${d.relid}: '${desc}' contradicts '${d.description}' (line ${curLine})`);
    d.description ??= desc;
    if (withClass && d.classGuid) {
      const c = classByGuid(d.classGuid);
      const known = classesByDescription(desc);
      if (desc === 'Unknown') {
        if (c && c.description !== 'Unknown') b.diag(line, 'warning', `lsvmbus calls ${d.classGuid} 'Unknown' but it is ${c.description} (${c.name}); a different lsvmbus version?`);
      } else if (c && c.description !== desc) {
        b.diag(line, 'warning', `class ${d.classGuid} is ${c.description} (${c.name}) in lsvmbus's table, not '${desc}'`);
      } else if (!c && known.length) {
        b.diag(line, 'warning', `'${desc}' is lsvmbus's name for ${known.map((k) => k.guid).join(' / ')}, not ${d.classGuid}`);
      }
      return;
    }
    if (desc === 'Unknown') return; // lsvmbus: a class missing from its table; the GUID is not shown without -v
    const known = classesByDescription(desc);
    if (known.length === 1) {
      d.classGuid = known[0].guid;
      d.className = known[0].name;
    } else if (known.length === 0) {
      b.diag(line, 'warning', `'${clip(desc, 60)}' is not a description lsvmbus prints (line cut short?); the class is unknown`);
    }
    // Several classes ('[Reserved system device]'): left open; the converter says what it chose.
  }

  for (const l of splitLines(text)) {
    let t = l.text.trim();
    if (t === '') continue;
    b.result.stats.lines++;
    const cmd = promptCommand(t);
    if (cmd !== undefined) {
      b.command(l.no, cmd);
      b.result.stats.recognized++;
      if (/\blsvmbus\b/.test(cmd)) { cur = undefined; wantDescription = false; }
      continue;
    }
    if (isDecoration(t)) { b.result.stats.comments++; continue; }
    if (t.startsWith('#')) {
      const body = t.replace(/^#+\s?/, '').trim();
      const rp = rootPromptCommand(body);
      if (rp) { b.command(l.no, rp); b.result.stats.recognized++; continue; }
      // A listing quoted in a comment (as LISA documents `lsvmbus -vv`) is still a listing.
      if (body && handle(l, body)) { b.result.stats.recognized++; continue; }
      b.result.stats.comments++;
      continue;
    }
    t = t.replace(/^\t+/, '');
    if (handle(l, t)) { b.result.stats.recognized++; continue; }
    b.unknown(l, 'warning', 'not an lsvmbus line');
  }
  facts.lsvmbusVerbosity = verbosity;
  const r = b.finish();
  for (const d of r.devices) {
    if (d.channels?.length && d.relid !== undefined && !d.channels.some((c) => c.relid === d.relid)) {
      b.diag(d.lines[0] ?? 1, 'warning', `VMBUS ID ${d.relid}: no Rel_ID line names the primary channel ${d.relid}`);
    }
  }
  r.diagnostics.sort((a, c) => a.line - c.line);
  return r;
}
