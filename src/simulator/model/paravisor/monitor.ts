// OpenHCL's emulated monitor page (OpenVMM vmcore monitor.rs MonitorPage; virt_mshv_vtl
// set_monitor_page / register_monitor): when OpenHCL handles MNF itself it takes the guest's
// child→parent monitor page (Linux monitor_page2), makes it read-only to VTL0 so every guest store
// to it is intercepted, and turns each pending trigger bit into a signal on the connection id that
// was registered for the bit's monitor id (signal_mnf → SynicPortMap::handle_signal_event).
// This module sees only what OpenHCL sees: the written GPA and bytes, and its own registrations.

import type { Tracer } from '../tracer';
import { hexNum } from '../../protocol/hex';

/** Monitor ids: four trigger groups of 32 bits (monitor.rs MAX_MONITORS). */
export const MAX_MONITORS = 128;
/** hvdef HvMonitorPageSmall: trigger_state u32 @0, reserved u32 @4, trigger_group[4] {pending u32, armed u32} @8. */
const SMALL_PAGE_BYTES = 8 + 4 * 8;
const PAGE = 0x1000;

/** What a monitor-page write resolved to: the id of a set pending bit and the connection id registered for it. */
export interface MonitorSignal { monitorId: number; group: number; bit: number; connectionId: number }

export class ParavisorMonitorPage {
  private gpa_: number | null = null;
  private readonly monitors = new Map<number, number>();

  /** signal: signal_mnf → handle_signal_event(Vtl0, connection id) on OpenHCL's SynIC ports. */
  constructor(private readonly tracer: Tracer, private readonly signal: (s: MonitorSignal) => void) {}

  get gpa(): number | null {
    return this.gpa_;
  }

  /** set_monitor_page: the page in use (the guest's child→parent page), or none. */
  setGpa(gpa: number | null): void {
    this.gpa_ = gpa;
  }

  /** register_monitor (add_event_port with monitor_info): the monitor id signals this connection id. */
  register(monitorId: number, connectionId: number): void {
    if (monitorId >= 0 && monitorId < MAX_MONITORS) this.monitors.set(monitorId, connectionId);
  }

  /** The registration is dropped (the channel's event port goes away). */
  unregister(monitorId: number): void {
    this.monitors.delete(monitorId);
  }

  /**
   * check_write: a VTL0 store wholly inside the monitor page's first 40 bytes is taken apart into
   * its pending bits (group * 32 + bit); a bit with a registration signals its connection id, one
   * without is dropped ("monitor write for unknown id"). Returns null when the write is not to this
   * page (it is not intercepted), else the signals and the ids nobody registered.
   */
  checkWrite(gpa: number, bytes: Uint8Array): { signals: MonitorSignal[]; unknown: number[]; outside: boolean } | null {
    const page = this.gpa_;
    if (page === null || Math.floor(gpa / PAGE) * PAGE !== page) return null;
    const offset = gpa - page;
    if (offset + bytes.length > SMALL_PAGE_BYTES) return { signals: [], unknown: [], outside: true };
    const small = new Uint8Array(SMALL_PAGE_BYTES);
    small.set(bytes, offset);
    const signals: MonitorSignal[] = [];
    const unknown: number[] = [];
    for (let group = 0; group < 4; group++) {
      const o = 8 + 8 * group;
      const pending = (small[o] | (small[o + 1] << 8) | (small[o + 2] << 16) | (small[o + 3] << 24)) >>> 0;
      for (let bit = 0; bit < 32; bit++) {
        if (((pending >>> bit) & 1) === 0) continue;
        const monitorId = group * 32 + bit;
        const connectionId = this.monitors.get(monitorId);
        if (connectionId === undefined) unknown.push(monitorId);
        else signals.push({ monitorId, group, bit, connectionId });
      }
    }
    return { signals, unknown, outside: false };
  }

  /**
   * A VTL0 store the hypervisor intercepted because OpenHCL made the page read-only to VTL0
   * (EmulatorMonitorSupport::check_write): false when it is not to the monitor page. Each pending
   * bit with a registration is signalled; the store itself never lands (check_read reads zeros).
   */
  intercept(gpa: number, bytes: Uint8Array): boolean {
    const r = this.checkWrite(gpa, bytes);
    if (!r) return false;
    if (r.outside) this.tracer.log('paravisor', 'warn', `write to unused portion of monitor page (${hexNum(gpa)})`);
    for (const id of r.unknown) this.tracer.log('paravisor', 'warn', `monitor write for unknown id ${id}`);
    for (const s of r.signals) this.signal(s);
    return true;
  }
}
