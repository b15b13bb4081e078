// trace-cmd report / ftrace (/sys/kernel/tracing/trace) text of the hyperv:vmbus_* events. Each
// event's text is read with its hv_trace.h TP_printk format (trace/traceCmd.ts); the offers,
// opens, closes, rescinds and the version negotiation give the channel set.
import { canonicalGuid } from '../protocol/guid';
import { TRACE_CMD_FORMAT_BY_NAME, isTraceCmdBody, parseTraceCmdBody } from '../trace/traceCmd';
import { addChannel, ChunkedLines, type TextChunk, clip, firstNonBlank, GUID_TEXT, ImportBuilder, isDecoration, logicalLines, promptCommand, rootPromptCommand, splitLines, type SourceLine } from './common';
import type { ImportedEvent, ImportResult } from './types';

// <task>-<pid> [(tgid)] [cpu] [flags] <secs>: [system:]<event>: <text>
const RE_RECORD = /^\s*(.+?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:([a-zA-Z.0-9]{4,6})\s+)?(\d+(?:\.\d+)?):\s+(?:(\w+):)?(\w+):\s*(.*)$/;
const RE_CPUS = /^cpus=(\d+)\s*$/;
const RE_META = /^(?:CPU:?\s*\d+\s+(?:is empty|\[LOST \d+ EVENTS\])|version = .*|trace-cmd: .*|\s*\[LOST \d+ EVENTS\])\s*$/i;

/** The events whose fields change the channel set or the version (onEvent below reads them). */
const CHANNEL_SET_EVENTS = new Set(['vmbus_onoffer', 'vmbus_onoffer_rescind', 'vmbus_open', 'vmbus_onopen_result', 'vmbus_close_internal',
  'vmbus_release_relid', 'vmbus_send_modifychannel', 'vmbus_negotiate_version', 'vmbus_onversion_response']);

/** Whether a line is a trace record of a hyperv event (used by detectFormat). */
export function isTraceLine(text: string): boolean {
  const m = RE_RECORD.exec(text);
  return !!m && (m[6] === 'hyperv' || TRACE_CMD_FORMAT_BY_NAME.has(m[7]));
}

/** Best effort for a text that does not match the format (an older or newer kernel): `name value` / `name=value` pairs. */
function looseFields(body: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const re = new RegExp(`([a-z_]+)[ =](${GUID_TEXT}|0x[0-9a-fA-F]+|-?\\d+)`, 'g');
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    const v = m[2];
    out[m[1]] = canonicalGuid(v) ?? (v.startsWith('0x') ? parseInt(v, 16) : Number(v));
  }
  return out;
}

export interface TraceImportOptions {
  /** Keep every event in the result (default true). False: count them only (`stats.events`). */
  keepEvents?: boolean;
  /** Called with each event as it is read (a streaming --json writes it out here). */
  onEvent?: (e: ImportedEvent) => void;
}

/** A trace import fed line by line (a file read in chunks): line() for each logical line, then finish(). */
export interface TraceImport {
  line(l: SourceLine): void;
  finish(): ImportResult;
}

export function parseTrace(text: string): ImportResult {
  const p = createTraceImport();
  for (const l of splitLines(text)) p.line(l);
  return p.finish();
}

/** Reads a trace from text chunks without holding the text (nor, with keepEvents false, the events). */
export function importTraceChunks(chunks: Iterable<string | TextChunk>, opts: TraceImportOptions = {}): ImportResult {
  const p = createTraceImport(opts);
  const buf: SourceLine[] = [];
  const lines = new ChunkedLines((raw, no, clean) => {
    logicalLines(raw, no, buf, clean);
    for (let i = 0; i < buf.length; i++) p.line(buf[i]);
    buf.length = 0;
  });
  for (const c of chunks) lines.push(c);
  lines.end();
  return p.finish();
}

export function createTraceImport(opts: TraceImportOptions = {}): TraceImport {
  const keep = opts.keepEvents !== false;
  const onEventOut = opts.onEvent;
  const needEvents = keep || !!onEventOut;
  let eventCount = 0;
  const emit = (e: ImportedEvent): void => {
    eventCount++;
    if (keep) b.result.events.push(e);
    if (onEventOut) onEventOut(e);
  };
  const b = new ImportBuilder('trace');
  const facts = b.result.facts;
  let pendingVersion: { value: number; line: number; featureFlags: number } | undefined;

  const onEvent = (l: SourceLine, e: ImportedEvent): void => {
    const f = e.fields;
    const n = (k: string): number => Number(f[k]);
    switch (e.name) {
      case 'vmbus_onoffer': {
        const inst = typeof f.if_instance === 'string' ? canonicalGuid(f.if_instance) : undefined;
        const relid = n('child_relid');
        const sub = n('sub_channel_index');
        if (sub > 0 && inst) {
          // A sub-channel: same if_type and if_instance as its primary.
          const primary = b.findByInstance(inst);
          const d = primary ?? b.device({ instanceGuid: inst }, l.no);
          if (!d.lines.includes(l.no)) d.lines.push(l.no);
          addChannel(d, relid, undefined, sub);
          b.indexRelid(relid, d);
          if (typeof f.if_type === 'string') b.setClass(d, f.if_type, l.no);
          return;
        }
        const existing = b.findByRelid(relid);
        if (existing && existing.instanceGuid && inst && existing.instanceGuid !== inst && existing.state !== 'released' && existing.state !== 'rescinded') {
          b.diag(l.no, 'warning', `relid ${relid} offered again for ${inst} while ${existing.instanceGuid} still holds it`);
        }
        const d = existing && existing.instanceGuid && inst && existing.instanceGuid !== inst ? b.device({ instanceGuid: inst }, l.no) : b.device({ relid, instanceGuid: inst }, l.no);
        if (d.relid === undefined) d.relid = relid;
        b.indexRelid(relid, d);
        if (typeof f.if_type === 'string') b.setClass(d, f.if_type, l.no);
        addChannel(d, relid, undefined, 0);
        d.state = 'offered';
        d.chnFlags = n('chn_flags');
        d.connectionId = n('connection_id');
        d.mmioMegabytes = n('mmio_megabytes');
        d.isDedicatedInterrupt = n('is_dedicated') !== 0;
        // An hv_sock offer: the TLNPI provider flag, and a service GUID as if_type.
        if ((d.chnFlags & 0x2000) && !d.className) d.className = 'hv_sock';
        // 0xff is what an offer without an allocated monitor carries (monitor_allocated = 0).
        if (n('monitorid') !== 0xff) d.monitorId = n('monitorid');
        return;
      }
      case 'vmbus_onoffer_rescind': setState(n('child_relid'), 'rescinded'); return;
      case 'vmbus_open': {
        const d = b.findByRelid(n('child_relid'));
        if (d) { addChannel(d, n('child_relid'), n('target_vp')); if (!d.lines.includes(l.no)) d.lines.push(l.no); }
        return;
      }
      case 'vmbus_onopen_result': setState(n('child_relid'), n('status') === 0 ? 'open' : `open failed (status ${n('status')})`, true); return;
      case 'vmbus_close_internal': setState(n('child_relid'), 'closed', true); return;
      case 'vmbus_release_relid': setState(n('child_relid'), 'released'); return;
      case 'vmbus_send_modifychannel': {
        const d = b.findByRelid(n('child_relid'));
        if (d) { addChannel(d, n('child_relid'), n('target_vp')); if (!d.lines.includes(l.no)) d.lines.push(l.no); }
        return;
      }
      case 'vmbus_negotiate_version': {
        let ff = 0;
        const value = n('vmbus_version_requested') >>> 0;
        if (value >= 0x50000 && typeof f.int_page === 'string') {
          try { ff = Number((BigInt(f.int_page) >> 32n) & 0xffffffffn); } catch { ff = 0; }
        }
        pendingVersion = { value, line: l.no, featureFlags: ff };
        return;
      }
      case 'vmbus_onversion_response':
        if (pendingVersion && n('version_supported') !== 0) {
          const v = pendingVersion.value;
          b.result.version = { major: (v >>> 16) & 0xffff, minor: v & 0xffff, value: v, line: l.no };
          if (pendingVersion.featureFlags & 0x10) facts.confidentialVmbus ??= { line: pendingVersion.line };
        }
        pendingVersion = undefined;
        return;
      default:
    }

    function setState(relid: number, state: string, channelOnly = false): void {
      const d = b.findByRelid(relid);
      if (!d) { b.diag(l.no, 'warning', `relid ${relid} was never offered in this trace`); return; }
      if (!d.lines.includes(l.no)) d.lines.push(l.no);
      // A sub-channel's state is not its device's.
      if (channelOnly && d.relid !== relid) return;
      if (d.relid === relid) d.state = state;
    }
  };

  const handle = (l: SourceLine, t: string): boolean => {
    const m = RE_RECORD.exec(t);
    if (!m) {
      if (RE_CPUS.test(t) || RE_META.test(t)) return true;
      return false;
    }
    const name = m[7];
    const body = m[8];
    if (!needEvents && CHANNEL_SET_EVENTS.has(name) === false && TRACE_CMD_FORMAT_BY_NAME.has(name)) {
      // Not kept, not streamed, not about the channel set (the data path: most of a long trace):
      // only checked against its format and counted.
      eventCount++;
      if (!isTraceCmdBody(name, body)) b.diag(l.no, 'warning', `${name}: text does not match the hv_trace.h format (another kernel version, or a cut line?); not used for the channel set: ${clip(body, 80)}`);
      return true;
    }
    const [, task, pid, cpu, , ts, system] = m;
    const e: ImportedEvent = { line: l.no, name, time: Number(ts), cpu: Number(cpu), task: task.trim(), pid: Number(pid), fields: {}, text: body };
    // Events are emitted with their fields (a streaming writer prints them at once), in line order.
    if (!TRACE_CMD_FORMAT_BY_NAME.has(name)) {
      e.fields = looseFields(body);
      emit(e);
      if (system === 'hyperv' || /^vmbus_/.test(name)) b.diag(l.no, 'warning', `hyperv event ${name} is not in hv_trace.h as the importer knows it; fields read loosely`);
      else b.diag(l.no, 'info', `${name} is not a hyperv:vmbus_* event (kept)`);
      return true;
    }
    const fields = parseTraceCmdBody(name, body);
    if (fields) {
      e.fields = fields;
      emit(e);
      onEvent(l, e);
    } else {
      // Kept with what can be read, but not used for the channel set: its fields are guesses.
      e.fields = looseFields(body);
      emit(e);
      b.diag(l.no, 'warning', `${name}: text does not match the hv_trace.h format (another kernel version, or a cut line?); not used for the channel set: ${clip(body, 80)}`);
    }
    return true;
  };

  const line = (l: SourceLine): void => {
    const c0 = firstNonBlank(l.text);
    if (c0 < 0) return;
    b.result.stats.lines++;
    // Records first: nearly every line of a trace is one (a prompt or a fence never matches a record).
    if (c0 !== 35 /* # */ && handle(l, l.text)) { b.result.stats.recognized++; return; }
    const t = l.text.trim();
    const cmd = promptCommand(t);
    if (cmd !== undefined) { b.command(l.no, cmd); b.result.stats.recognized++; return; }
    if (isDecoration(t)) { b.result.stats.comments++; return; }
    if (t.startsWith('#')) {
      const body = t.replace(/^#+\s?/, '').trim();
      const rp = rootPromptCommand(body);
      if (rp) { b.command(l.no, rp); b.result.stats.recognized++; } else b.result.stats.comments++;
      return;
    }
    b.unknown(l, 'warning', 'not a trace-cmd / ftrace record');
  };
  return {
    line,
    finish: () => {
      const r = b.finish();
      r.stats.events = eventCount;
      return r;
    },
  };
}
