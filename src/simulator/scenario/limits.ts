// The real range of every scenario setting and fault parameter, as data: the width of the wire
// field it ends up in (u8/u16/u32), or the bound a structure imposes (a GPADL's range_buflen is a
// u16, so one GPADL describes at most 8190 pages). The checker reports a value outside its range
// on the value itself, so the engine never receives a value it cannot represent.
// docs/scenario-language.md ("Limits") lists the same table; a test keeps them in step.
import type { ScenarioConfig } from '../model/config';
import type { Range } from './syntax';
import type { DeviceInfo } from './types';
import { messageByName, versionByName } from './vocab';

export const U8 = 0xff;
export const U16 = 0xffff;
export const U32 = 0xffffffff;
const PAGE = 4096;

/**
 * Pages one GPADL can describe: its header's range_buflen (u16) = sizeof(gpa_range) + 8 × pages
 * = 8 + 8 × pages ≤ 65535, so pages ≤ 8190.
 */
export const GPADL_MAX_PAGES = Math.floor((U16 - 8) / 8);

export interface Limit {
  min: number;
  max: number;
  /** Why the range is what it is (shown in the error and the docs). */
  why: string;
}

/** Settings: `section.keyword` → its range. */
export const SETTING_LIMITS: Readonly<Record<string, Limit>> = {
  seed: { min: 0, max: U32, why: 'a u32' },
  'platform.vps': { min: 1, max: 1024, why: 'the simulated VPs' },
  'device.flags': { min: 0, max: U16, why: 'chn_flags is a u16' },
  'device.monitor': { min: 0, max: U8, why: 'monitorid is a u8' },
  'device.subchannels': { min: 0, max: 64, why: 'sub-channels the model offers per device' },
  'device.ring': { min: 2 * PAGE, max: (GPADL_MAX_PAGES - 2) * PAGE, why: 'both rings share one GPADL of at most 8190 pages (range_buflen is a u16); each ring has at least 2 pages' },
  'device.buffer_gpadl': { min: 1, max: GPADL_MAX_PAGES, why: 'a GPADL describes at most 8190 pages (range_buflen = 8 + 8 × pages is a u16)' },
  'device.packets': { min: 0, max: 100_000, why: 'data packets per channel the model exchanges' },
  'device.mmio': { min: 0, max: U16, why: 'mmio_megabytes is a u16 (MiB)' },
  'fault.nth': { min: 1, max: 1_000_000, why: 'occurrences counted' },
  'fault.relid': { min: 1, max: 2047, why: 'MAX_CHANNEL_RELIDS is 2048; relid 0 is not a channel' },
};

/** The most devices a scenario may declare: each needs a relid below MAX_CHANNEL_RELIDS (2048). */
export const MAX_DEVICES = 2047;

export type ParamRule =
  | ({ kind: 'int' } & Limit)
  | { kind: 'version' }
  | { kind: 'message-name' }
  | { kind: 'hv-status' }
  | { kind: 'text' }
  | { kind: 'int-or-hex' } & Limit;

/** Fault parameters: fault id → parameter → rule. Every parameter of the catalogue is listed. */
export const FAULT_PARAM_RULES: Readonly<Record<string, Readonly<Record<string, ParamRule>>>> = {
  delay: { us: { kind: 'int', min: 0, max: U32, why: 'microseconds, a u32' } },
  corrupt: {
    field: { kind: 'text' },
    value: { kind: 'int-or-hex', min: 0, max: U32, why: 'message fields are at most a u32' },
    offset: { kind: 'int', min: 0, max: 239, why: 'a channel message is at most 240 bytes' },
    xor: { kind: 'int', min: 0, max: U8, why: 'a byte mask' },
  },
  'host-rejects-version': { version: { kind: 'version' } },
  'gpadl-fails': { status: { kind: 'int', min: 0, max: U32, why: 'creation_status is a u32' } },
  'open-fails': { status: { kind: 'int', min: 0, max: U32, why: 'the open result status is a u32' } },
  'busy-slot': { count: { kind: 'int', min: 0, max: 1000, why: 'messages held back' } },
  'post-fails': { status: { kind: 'hv-status' } },
  'host-offer-confidential-flags': { flags: { kind: 'int', min: 0, max: U16, why: 'chn_flags is a u16' } },
  'host-offer-disallowed-class': { class: { kind: 'text' } },
  'host-offer-relid-out-of-range': { relid: { kind: 'int', min: 0, max: U32, why: 'child_relid is a u32' } },
  'host-oversized-payload': { size: { kind: 'int', min: 0, max: U8, why: 'payload_size is a u8 in the hv_message header' } },
  'host-short-payload': { size: { kind: 'int', min: 0, max: 240, why: 'bytes kept of a message of at most 240 bytes' } },
  'host-unknown-msgtype': { msgtype: { kind: 'int', min: 0, max: U32, why: 'msgtype is a u32' } },
  'host-unhandled-msgtype': { msgtype: { kind: 'int', min: 0, max: U32, why: 'msgtype is a u32' } },
  'host-unsolicited-open-result': { status: { kind: 'int', min: 0, max: U32, why: 'the status is a u32' } },
  'host-rescind-unknown-relid': { relid: { kind: 'int', min: 0, max: U32, why: 'child_relid is a u32' } },
  'host-bad-msg-conn-id': { conn: { kind: 'int', min: 0, max: U32, why: 'msg_conn_id is a u32' } },
  'host-forged-untrusted-message': { msgtype: { kind: 'message-name' } },
  'host-monitor-id-out-of-range': { monitorid: { kind: 'int', min: 0, max: U8, why: 'monitorid is a u8' } },
};

/** HV_STATUS names post-fails accepts by name (the engine also takes their numbers). */
const HV_STATUS_NAME = /^HV_STATUS_[A-Z_]+$/;

function range(l: Limit): string {
  const f = (n: number) => (n === U32 ? '0xffffffff' : String(n));
  return `${f(l.min)}..${f(l.max)}`;
}

/** Why a fault parameter's value is refused, or undefined when it is in range. */
export function checkFaultParam(faultId: string, name: string, value: string | number | boolean): string | undefined {
  const rule = FAULT_PARAM_RULES[faultId]?.[name];
  if (!rule) return undefined;
  switch (rule.kind) {
    case 'int':
    case 'int-or-hex': {
      let n = value;
      if (rule.kind === 'int-or-hex' && typeof value === 'string') {
        if (!/^0x[0-9a-f]+$/i.test(value) && !/^\d+$/.test(value)) return `${name} must be a number or "0x…", not "${value}"`;
        n = Number(value);
      }
      if (typeof n !== 'number' || !Number.isInteger(n)) return `${name} must be a whole number, not ${typeof value === 'string' ? `"${value}"` : String(value)}`;
      if (n < rule.min || n > rule.max) return `${name}=${String(value)} is out of range (${range(rule)}: ${rule.why})`;
      return undefined;
    }
    case 'version': {
      const s = String(value);
      const v = typeof value === 'number' ? value : /^0x[0-9a-f]+$/i.test(s) ? Number(s) : /^\d+\.\d+$/.test(s) ? versionOf(s) : versionByName(s);
      if (v === undefined || !Number.isInteger(v) || v < 0 || v > U32) return `${name} must be a version such as "6.0" or "0x60000", not ${JSON.stringify(value)}`;
      return undefined;
    }
    case 'message-name':
      return typeof value === 'string' && messageByName(value) ? undefined : `${name} must be a CHANNELMSG_* name, not ${JSON.stringify(value)}`;
    case 'hv-status':
      if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= U16 ? undefined : `${name}=${value} is out of range (0..65535: an HV_STATUS is a u16)`;
      return typeof value === 'string' && HV_STATUS_NAME.test(value) ? undefined : `${name} must be an HV_STATUS_* name or a number, not ${JSON.stringify(value)}`;
    case 'text':
      return typeof value === 'string' ? undefined : `${name} must be text, not ${String(value)}`;
  }
}

function versionOf(s: string): number | undefined {
  const [a, b] = s.split('.').map(Number);
  if (a > U16 || b > U16) return undefined;
  return ((a << 16) | b) >>> 0;
}

export interface LimitContext {
  devices: DeviceInfo[];
  diag: (file: string, severity: 'error', range: Range, message: string, code?: string) => void;
}

function at(r: { line: number; column: number; endLine: number; endColumn: number } | undefined, fallback: Range): Range {
  return r ? { line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn } : fallback;
}

/** Checks device values the parser could not check alone (sizes with units, ring pairs, counts). */
export function checkLimits(config: ScenarioConfig, ctx: LimitContext): void {
  if (ctx.devices.length > MAX_DEVICES) {
    const d = ctx.devices[MAX_DEVICES];
    ctx.diag(d.file, 'error', d.nameRange, `more than ${MAX_DEVICES} devices: each needs a relid below MAX_CHANNEL_RELIDS (2048)`, 'range.devices');
  }
  const ring = SETTING_LIMITS['device.ring'];
  const mmio = SETTING_LIMITS['device.mmio'];
  for (const d of ctx.devices) {
    const c = d.cfg;
    const send = c.sendRingBytes;
    const recv = c.recvRingBytes;
    const big = send > ring.max ? 'ringSend' : recv > ring.max ? 'ringRecv' : undefined;
    if (big) {
      ctx.diag(d.file, 'error', at(d.props[big] ?? d.props.ring, d.nameRange), `a ring of ${big === 'ringSend' ? send : recv} bytes is too large: at most ${ring.max} bytes (${ring.why})`, 'range.ring');
    } else if (send % PAGE === 0 && recv % PAGE === 0 && send / PAGE + recv / PAGE > GPADL_MAX_PAGES) {
      ctx.diag(d.file, 'error', at(d.props.ring, d.nameRange),
        `the send and receive rings together are ${send / PAGE + recv / PAGE} pages; their GPADL describes at most ${GPADL_MAX_PAGES} (range_buflen = 8 + 8 × pages is a u16)`, 'range.ring');
    }
    if (!Number.isInteger(c.mmioMegabytes) || c.mmioMegabytes < mmio.min || c.mmioMegabytes > mmio.max) {
      ctx.diag(d.file, 'error', at(d.props.mmio, d.nameRange), `mmio of ${c.mmioMegabytes} MiB is out of range (${range(mmio)} MiB: ${mmio.why})`, 'range.mmio');
    }
  }
}
