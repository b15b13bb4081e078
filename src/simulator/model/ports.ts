// The ports the parties reach one another and the outside world through. A party holds ports,
// never another party: the guest posts bytes to the hypervisor, a server sends bytes to its
// client, the clock runs what a party schedules, and the tracer records what happened.
// The engine (src/simulator/engine) implements Clock; the model never imports the engine.

/** Runs a scheduled item without a closure per call (the data path schedules millions). */
export interface Runner<T> {
  run(item: T): void;
}

/** Simulated time (ns) and the deterministic queue of what runs next, in (time, seq) order. */
export interface Clock {
  /** The current simulated time (ns). */
  readonly now: number;
  /** Runs fn after `delay` ns; ties in time run in the order they were scheduled. */
  schedule(delay: number, fn: () => void): void;
  /** schedule(delay, () => runner.run(item)), with the same time and sequence number, allocating nothing. */
  scheduleRun<T>(delay: number, runner: Runner<T>, item: T): void;
}

/**
 * The fixed delays the data path schedules with (packet gap, drain/deliver, ISR): a clock may keep
 * a FIFO per delay instead of sorting them (same order as one heap would give).
 */
export type LaneDelays = readonly number[];
