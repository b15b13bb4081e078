// Scenario stop points ("run until ...") as a predicate over trace events: used by the debugger's
// stepping and by scripted steps that wait for a point (`rescind DEVICE after ...`).
import type { StopPoint } from './config';
import type { TraceEvent } from '../trace/events';

/** Whether a phase name is, or starts with, the wanted phase ("open" matches "open storvsc (relid 1)"). */
function phaseIs(name: string, wanted: string): boolean {
  return name === wanted || name.startsWith(wanted + ' ');
}

/**
 * Whether an event reaches a scenario stop point. Every part the stop gives must match:
 * - `at message M`: a message of type M (inside phase P if `at phase P` is given too, and about
 *   device D if `at device D` is given too);
 * - `at phase P` (no message): phase P begins (the device's own phase if D is given, e.g. its open);
 * - `at device D` alone: D's channel appears on the guest (its offer is accepted).
 * `deviceOf` names the device an event concerns; without it, device parts match on the event's
 * channel detail only.
 */
export function eventMatchesStop(stop: StopPoint, e: TraceEvent, deviceOf?: (e: TraceEvent) => string | undefined): boolean {
  const dev = stop.device;
  if (stop.msgtype !== undefined) {
    if (e.kind !== 'message' || e.msgtype !== stop.msgtype) return false;
    if (stop.phase !== undefined && !e.phase.some((p) => phaseIs(p, stop.phase!))) return false;
    return dev === undefined || (deviceOf !== undefined && deviceOf(e) === dev);
  }
  if (stop.phase !== undefined) {
    if (e.kind !== 'phase' || e.action !== 'begin' || !phaseIs(e.name, stop.phase)) return false;
    return dev === undefined || (deviceOf !== undefined && deviceOf(e) === dev);
  }
  if (dev !== undefined) {
    return e.kind === 'state' && e.party === 'guest' && e.object === 'channel' && e.from === 'none' && (e.detail as Record<string, unknown> | undefined)?.device === dev;
  }
  return false;
}
