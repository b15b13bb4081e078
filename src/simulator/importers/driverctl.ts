// `driverctl -b vmbus list-devices` / `list-overrides` (and `-v`): one line per device of the bus,
// as driverctl's list_devices() prints it: the sysfs device name (a vmbus device's instance GUID),
// then the bound driver's name or "(none)", " [*]" when a driver override is set, and with -v
// " (<ID_MODEL_FROM_DATABASE>)" (usually empty for vmbus). driverctl's own messages go to stderr
// prefixed "driverctl: ".
import { canonicalGuid } from '../protocol/guid';
import { classByDriver, clip, GUID_TEXT, ImportBuilder, isDecoration, promptCommand, rootPromptCommand, splitLines, type SourceLine } from './common';
import type { ImportResult } from './types';

const RE_DEVICE = new RegExp(`^(${GUID_TEXT})\\s+(\\(none\\)|[\\w.-]+)(\\s+\\[\\*\\])?(?:\\s+\\((.*)\\))?\\s*$`);
/** A device of another bus (PCI 0000:00:01.0, USB 1-1 ...) in the same listing layout. */
const RE_OTHER_BUS = /^([\w:.-]+)\s+(\(none\)|[\w.-]+)(\s+\[\*\])?(?:\s+\((.*)\))?\s*$/;
const RE_MESSAGE = /^driverctl:\s/;

/** Whether a line is a driverctl list-devices line of a vmbus device (used by detectFormat). */
export function isDriverctlLine(text: string): boolean {
  return RE_DEVICE.test(text.trim());
}

export function parseDriverctl(text: string): ImportResult {
  const b = new ImportBuilder('driverctl');
  const handle = (l: SourceLine, t: string): boolean | 'other-bus' => {
    const m = RE_DEVICE.exec(t);
    if (m) {
      const guid = canonicalGuid(m[1])!;
      const d = b.device({ instanceGuid: guid }, l.no);
      const driver = m[2];
      const fields: Record<string, string | number> = { instance_guid: guid, driver };
      if (driver === '(none)') d.state ??= 'unbound';
      else {
        d.driver = driver;
        d.state = 'bound';
        const cls = classByDriver(driver);
        if (cls && !d.classGuid) b.setClass(d, cls.guid, l.no);
      }
      const attrs = (d.attributes ??= {});
      if (m[3]) { attrs.driver_override = 'set'; fields.override = 1; }
      if (m[4] !== undefined) { attrs.ID_MODEL_FROM_DATABASE = m[4]; fields.model = m[4]; }
      b.result.events.push({ line: l.no, name: 'device', fields, text: t });
      return true;
    }
    if (RE_MESSAGE.test(t)) {
      b.diag(l.no, /No overridable devices/.test(t) ? 'warning' : 'info', `driverctl message: ${clip(t)}`);
      return true;
    }
    const o = RE_OTHER_BUS.exec(t);
    if (o && /[:.]/.test(o[1])) return 'other-bus';
    return false;
  };
  for (const l of splitLines(text)) {
    const t = l.text.trim();
    if (t === '') continue;
    b.result.stats.lines++;
    const cmd = promptCommand(t);
    if (cmd !== undefined) { b.command(l.no, cmd); b.result.stats.recognized++; continue; }
    if (isDecoration(t)) { b.result.stats.comments++; continue; }
    if (t.startsWith('#')) {
      const body = t.replace(/^#+\s?/, '').trim();
      const rp = rootPromptCommand(body);
      if (rp) { b.command(l.no, rp); b.result.stats.recognized++; } else b.result.stats.comments++;
      continue;
    }
    const h = handle(l, t);
    if (h === true) { b.result.stats.recognized++; continue; }
    if (h === 'other-bus') b.unknown(l, 'info', 'a device of another bus, not vmbus (kept)');
    else b.unknown(l, 'warning', 'not a driverctl list-devices line');
  }
  return b.finish();
}
