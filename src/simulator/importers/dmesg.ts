// Kernel log lines of hv_vmbus and the VMBus drivers (dmesg, dmesg -T, journalctl -k, a serial
// console). Recognised by pattern: the hv_vmbus strings of the Linux guest (channel_mgmt.c,
// connection.c, vmbus_drv.c, hv.c and the Confidential VMBus series) and dev_printk lines of a
// VMBus driver naming a device by its instance GUID ("hv_pci f87a23c9-...: ...").
import { canonicalGuid } from '../protocol/guid';
import { makeVersion } from '../protocol/constants';
import { classByDriver, clip, GUID_TEXT, ImportBuilder, isDecoration, promptCommand, rootPromptCommand, splitLines, stripTimestamp, type SourceLine } from './common';
import type { ImportedEvent, ImportResult } from './types';

interface Pattern {
  name: string;
  re: RegExp;
  /** Field names of the capture groups, in order. */
  fields: string[];
  /** Numbers (decimal or 0x) for these fields. */
  numeric?: string[];
}

const P = (name: string, re: RegExp, fields: string[] = [], numeric: string[] = []): Pattern => ({ name, re, fields, numeric });
const HV = '(?:hv_vmbus:\\s*)?';
const G = `(${GUID_TEXT})`;

/** hv_vmbus strings; the `hv_vmbus: ` prefix (pr_fmt) is optional so older kernels' lines match too. */
const PATTERNS: Pattern[] = [
  P('version', new RegExp(`^${HV}Vmbus version:\\s*(\\d+)\\.(\\d+)\\s*$`, 'i'), ['major', 'minor'], ['major', 'minor']),
  P('unknown-guid', new RegExp(`^${HV}Unknown GUID:\\s*\\{?${G}\\}?\\s*$`, 'i'), ['class_guid']),
  P('confidential', new RegExp(`^${HV}Establishing connection to the confidential VMBus\\s*$`, 'i')),
  P('confidential-v4', new RegExp(`^${HV}VMBus is confidential:\\s*(\\d+)\\s*$`, 'i'), ['confidential'], ['confidential']),
  P('invalid-offer-ring', new RegExp(`^${HV}Invalid offer relid=(\\d+): the ring buffer isn't encrypted\\s*$`, 'i'), ['relid'], ['relid']),
  P('invalid-offer-no-confidential', new RegExp(`^${HV}Invalid offer relid=(\\d+): no support for confidential VMBus\\s*$`, 'i'), ['relid'], ['relid']),
  P('invalid-offer-isolation', new RegExp(`^${HV}Invalid offer (\\d+) from the host supporting isolation\\s*$`, 'i'), ['relid'], ['relid']),
  P('invalid-version-isolation', new RegExp(`^${HV}Invalid VMBus version (\\d+)\\.(\\d+) \\(expected >= (\\d+)\\.(\\d+)\\) from the host supporting isolation\\s*$`, 'i'),
    ['major', 'minor', 'min_major', 'min_minor'], ['major', 'minor', 'min_major', 'min_minor']),
  P('unable-to-connect', new RegExp(`^${HV}Unable to connect to host\\s*$`, 'i')),
  P('post-msg-failed', new RegExp(`^${HV}hv_post_msg\\(\\) failed; error code:\\s*(-?\\d+)\\s*$`, 'i'), ['error'], ['error']),
  P('request-offers-failed', new RegExp(`^${HV}Unable to request offers - (-?\\d+)\\s*$`, 'i'), ['error'], ['error']),
  P('registering-driver', new RegExp(`^${HV}registering driver (\\S+)\\s*$`, 'i'), ['driver']),
  P('unregistering-driver', new RegExp(`^${HV}unregistering driver (\\S+)\\s*$`, 'i'), ['driver']),
  P('add-child-failed', new RegExp(`^${HV}unable to add child device object \\(relid (\\d+)\\)\\s*$`, 'i'), ['relid'], ['relid']),
  P('alloc-channel-failed', new RegExp(`^${HV}Unable to allocate channel object\\s*$`, 'i')),
  P('gpadl-failed', new RegExp(`^${HV}Failed to establish GPADL: err = (0x[0-9a-f]+|-?\\d+)\\s*$`, 'i'), ['error'], ['error']),
  P('close-post-failed', new RegExp(`^${HV}Close failed: close post msg return is (-?\\d+)\\s*$`, 'i'), ['error'], ['error']),
  P('close-teardown-failed', new RegExp(`^${HV}Close failed: teardown gpadl return (-?\\d+)\\s*$`, 'i'), ['error'], ['error']),
  P('unload-waiting', new RegExp(`^${HV}Waiting for VMBus UNLOAD to complete\\s*$`, 'i')),
  P('unload-incomplete', new RegExp(`^${HV}Continuing even though VMBus UNLOAD did not complete\\s*$`, 'i')),
  P('page-alloc-failed', new RegExp(`^${HV}allocation failed for (.+?) page, error (-?\\d+), decrypted (\\d+)\\s*$`, 'i'), ['page', 'error', 'decrypted'], ['error', 'decrypted']),
  P('page-free-failed', new RegExp(`^${HV}deallocation failed for (.+?) page, error (-?\\d+), encrypt (\\d+)\\s*$`, 'i'), ['page', 'error', 'encrypt'], ['error', 'encrypt']),
  P('probe-failed', new RegExp(`^${HV}probe failed for device ${G} \\((-?\\d+)\\)\\s*$`, 'i'), ['instance_guid', 'error'], ['error']),
  // WARN_ONCE in vmbus_on_msg_dpc: no prefix, maybe inside a "WARNING: ..." splat.
  P('unknown-msgtype', /(?:^|\s)unknown msgtype=(-?\d+)\s*$/i, ['msgtype'], ['msgtype']),
  P('payload-too-large', /(?:^|\s)payload size is too large \((-?\d+)\)\s*$/i, ['len'], ['len']),
  P('message-too-short', /(?:^|\s)message too short: msgtype=(-?\d+) len=(-?\d+)\s*$/i, ['msgtype', 'len'], ['msgtype', 'len']),
];

const RE_DEV_PRINTK = new RegExp(`^([\\w.-]+)\\s+\\{?${G}\\}?(?:\\s+([^:]*?))?:\\s*(.*)$`);
const RE_HV_OTHER = /^(?:hv_vmbus|hv_utils|hv_balloon|hv_netvsc|hv_storvsc|hv_pci|hv_sock|hv_vmbus_vsock|hyperv_fb|hyperv_drm|hyperv_keyboard|hid_hyperv|hv_kvp|hv_vss|hv_fcopy|Hyper-V|hyperv|vmbus|storvsc|netvsc)\b[:\s]/i;
const RE_KERNEL_LINE = /^(?:\[[\s\d.]+\]|<\d+>|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)/;

/** Whether a line is an hv_vmbus / VMBus driver kernel line (used by detectFormat). */
export function isDmesgVmbusLine(text: string): boolean {
  const { rest, time } = stripTimestamp(text);
  if (time === undefined && !/hv_vmbus/.test(rest)) return false;
  return PATTERNS.some((p) => p.re.test(rest)) || /^hv_vmbus:/.test(rest) || (RE_DEV_PRINTK.test(rest) && !!classByDriver(RE_DEV_PRINTK.exec(rest)![1]));
}
/** Whether a line has a kernel log timestamp (dmesg-ish; used by detectFormat). */
export function isKernelLogLine(text: string): boolean {
  const t = text.trim();
  return RE_KERNEL_LINE.test(t) || stripTimestamp(t).rest.length < t.length;
}

export function parseDmesg(text: string): ImportResult {
  const b = new ImportBuilder('dmesg');
  const facts = b.result.facts;
  const drivers = new Set<string>();

  const event = (l: SourceLine, name: string, time: number | undefined, fields: Record<string, string | number>, txt: string): ImportedEvent => {
    const e: ImportedEvent = { line: l.no, name, fields, text: txt };
    if (time !== undefined) e.time = time;
    b.result.events.push(e);
    return e;
  };

  const handle = (l: SourceLine, raw: string): boolean => {
    const { time, rest } = stripTimestamp(raw);
    const t = rest.trim();
    for (const p of PATTERNS) {
      const m = p.re.exec(t);
      if (!m) continue;
      const fields: Record<string, string | number> = {};
      p.fields.forEach((f, i) => {
        const v = m[i + 1];
        if (v === undefined) return;
        fields[f] = p.numeric?.includes(f) ? Number(v) : (canonicalGuid(v) ?? v);
      });
      event(l, p.name, time, fields, t);
      apply(l, p.name, fields, t);
      return true;
    }
    const dm = RE_DEV_PRINTK.exec(t);
    if (dm) {
      const driver = dm[1];
      const cls = classByDriver(driver);
      const isVmbusDriver = !!cls || /^(?:hv_|hyperv|vmbus)/i.test(driver);
      if (isVmbusDriver) {
        const guid = canonicalGuid(dm[2])!;
        event(l, 'device-message', time, { driver, instance_guid: guid, message: dm[4] }, t);
        const d = b.device({ instanceGuid: guid }, l.no);
        if (d.driver && d.driver !== driver) b.diag(l.no, 'warning', `${guid} is logged by ${driver}, earlier by ${d.driver}`);
        d.driver ??= driver;
        if (cls && !d.classGuid) b.setClass(d, cls.guid, l.no);
        return true;
      }
    }
    if (/^hv_vmbus:/.test(t)) {
      event(l, 'hv_vmbus', time, { message: t.replace(/^hv_vmbus:\s*/, '') }, t);
      b.diag(l.no, 'warning', `hv_vmbus message the importer does not know (kept as an event): ${clip(t)}`);
      const g = new RegExp(GUID_TEXT).exec(t);
      if (g) b.device({ instanceGuid: canonicalGuid(g[0]) }, l.no);
      return true;
    }
    if (RE_HV_OTHER.test(t)) {
      event(l, 'hyperv', time, { message: t }, t);
      b.diag(l.no, 'info', `Hyper-V line, nothing extracted: ${clip(t)}`);
      return true;
    }
    return false;
  };

  function apply(l: SourceLine, name: string, f: Record<string, string | number>, t: string): void {
    switch (name) {
      case 'version': {
        const major = Number(f.major), minor = Number(f.minor);
        const v = { major, minor, value: makeVersion(major, minor), line: l.no };
        if (b.result.version && b.result.version.value !== v.value) {
          b.diag(l.no, 'warning', `a second negotiated version ${major}.${minor} (line ${b.result.version.line} said ${b.result.version.major}.${b.result.version.minor}); the last one counts (a reload or kexec?)`);
        }
        b.result.version = v;
        return;
      }
      case 'unknown-guid': {
        // One line per offer of a class Linux has no driver for (sub-channel offers log it too).
        const d = { lines: [l.no] } as import('./types').ImportedDevice;
        b.result.devices.push(d);
        b.setClass(d, String(f.class_guid), l.no);
        return;
      }
      case 'confidential':
        facts.confidentialVmbus ??= { line: l.no };
        return;
      case 'confidential-v4':
        if (Number(f.confidential)) facts.confidentialVmbus ??= { line: l.no };
        return;
      case 'invalid-offer-ring':
      case 'invalid-offer-no-confidential':
      case 'invalid-offer-isolation': {
        const d = b.device({ relid: Number(f.relid) }, l.no);
        d.state = 'rejected';
        d.rejectReason = t.replace(/^hv_vmbus:\s*/, '');
        if (name === 'invalid-offer-isolation') facts.isolation ??= { line: l.no, text: t };
        if (name === 'invalid-offer-ring') facts.confidentialVmbus ??= { line: l.no };
        return;
      }
      case 'invalid-version-isolation':
        facts.isolation ??= { line: l.no, text: t };
        b.diag(l.no, 'info', `the guest refused version ${f.major}.${f.minor}: it is isolated and needs ${f.min_major}.${f.min_minor} or newer`);
        return;
      case 'unable-to-connect':
        facts.connectFailed ??= { line: l.no, text: t };
        return;
      case 'registering-driver':
        drivers.add(String(f.driver));
        return;
      case 'add-child-failed': {
        const d = b.device({ relid: Number(f.relid) }, l.no);
        d.state = 'rejected';
        d.rejectReason = t.replace(/^hv_vmbus:\s*/, '');
        return;
      }
      case 'probe-failed': {
        const d = b.device({ instanceGuid: String(f.instance_guid) }, l.no);
        d.state = `probe failed (${f.error})`;
        return;
      }
      default:
    }
  }

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
      if (rp) { b.command(l.no, rp); b.result.stats.recognized++; } else if (body && /hv_vmbus|Vmbus version/i.test(body) && handle(l, body)) b.result.stats.recognized++;
      else b.result.stats.comments++;
      continue;
    }
    if (handle(l, t)) { b.result.stats.recognized++; continue; }
    b.unknown(l, 'info', 'not a VMBus line (kept)');
  }
  if (drivers.size) facts.drivers = [...drivers];
  return b.finish();
}
