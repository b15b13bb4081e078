// The deterministic discrete-event scheduler the model runs on (the model's Clock port): a binary
// heap keyed by (time, seq) plus FIFO lanes for the data path's fixed delays. Actions scheduled
// with the same constant delay come due in (time, seq) order, so a lane needs no sorting; step()
// takes the smallest (time, seq) of the lane heads and the heap top, the same order the heap alone
// would give. Same inputs, same order: this is what makes a run reproducible byte for byte.
import { EventHeap } from './heap';
import type { Clock, LaneDelays, Runner } from '../model/ports';

interface Action { t: number; seq: number; fn: () => void }

/**
 * A FIFO of scheduled entries with one fixed delay: a growable ring buffer of parallel arrays
 * (due time, sequence number, runner, item), so queuing allocates nothing and no shift() copying
 * happens. An entry is a plain function (runner null) or a runner and its item.
 */
class Lane {
  private items: unknown[] = new Array<unknown>(64).fill(undefined);
  private runners: (Runner<unknown> | null)[] = new Array<Runner<unknown> | null>(64).fill(null);
  private ts: number[] = new Array<number>(64).fill(0);
  private seqs: number[] = new Array<number>(64).fill(0);
  private mask = 63;
  private head = 0;
  /** Queued entries. */
  n = 0;

  constructor(readonly delay: number) {}

  /** Due time of the first entry (only when n > 0). */
  headT(): number {
    return this.ts[this.head];
  }

  /** Sequence number of the first entry (only when n > 0). */
  headSeq(): number {
    return this.seqs[this.head];
  }

  push(t: number, seq: number, runner: Runner<unknown> | null, item: unknown): void {
    if (this.n === this.mask + 1) this.grow();
    const i = (this.head + this.n) & this.mask;
    this.ts[i] = t;
    this.seqs[i] = seq;
    this.runners[i] = runner;
    this.items[i] = item;
    this.n++;
  }

  /** Removes the first entry and runs it. */
  runHead(): void {
    const h = this.head;
    const item = this.items[h];
    const runner = this.runners[h];
    this.items[h] = undefined;
    this.runners[h] = null;
    this.head = (h + 1) & this.mask;
    this.n--;
    if (runner === null) (item as () => void)();
    else runner.run(item);
  }

  private grow(): void {
    const cap = this.mask + 1;
    const items = new Array<unknown>(cap * 2).fill(undefined);
    const runners = new Array<Runner<unknown> | null>(cap * 2).fill(null);
    const ts = new Array<number>(cap * 2).fill(0);
    const seqs = new Array<number>(cap * 2).fill(0);
    for (let i = 0; i < cap; i++) {
      const j = (this.head + i) & this.mask;
      items[i] = this.items[j];
      runners[i] = this.runners[j];
      ts[i] = this.ts[j];
      seqs[i] = this.seqs[j];
    }
    this.items = items;
    this.runners = runners;
    this.ts = ts;
    this.seqs = seqs;
    this.mask = cap * 2 - 1;
    this.head = 0;
  }
}

export class Scheduler implements Clock {
  now = 0;
  private seqNo = 0;
  private heap = new EventHeap<Action>();
  /** Recycled heap entries (the data path schedules millions; avoid allocating each). */
  private pool: Action[] = [];
  // Up to three lanes, held in fields (not an array) so the hot path reads them directly.
  private l0: Lane;
  private l1: Lane;
  private l2: Lane;
  private queued = 0;

  /** `laneDelays`: up to three fixed delays that get a FIFO lane (the model's LANE_DELAYS). */
  constructor(laneDelays: LaneDelays = []) {
    if (laneDelays.length > 3) throw new Error('Scheduler: at most three lane delays');
    // An unused lane gets a delay no schedule() call uses (NaN never compares equal).
    this.l0 = new Lane(laneDelays[0] ?? NaN);
    this.l1 = new Lane(laneDelays[1] ?? NaN);
    this.l2 = new Lane(laneDelays[2] ?? NaN);
  }

  private laneFor(delay: number): Lane | undefined {
    if (delay === this.l0.delay) return this.l0;
    if (delay === this.l1.delay) return this.l1;
    if (delay === this.l2.delay) return this.l2;
    return undefined;
  }

  schedule(delay: number, fn: () => void): void {
    const t = this.now + delay;
    const seq = this.seqNo++;
    this.queued++;
    const lane = this.laneFor(delay);
    if (lane !== undefined) { lane.push(t, seq, null, fn); return; }
    let a = this.pool.pop();
    if (a) {
      a.t = t;
      a.seq = seq;
      a.fn = fn;
    } else {
      a = { t, seq, fn };
    }
    this.heap.push(a);
  }

  scheduleRun<T>(delay: number, runner: Runner<T>, item: T): void {
    const lane = this.laneFor(delay);
    if (lane === undefined) { this.schedule(delay, () => runner.run(item)); return; }
    this.queued++;
    lane.push(this.now + delay, this.seqNo++, runner as Runner<unknown>, item);
  }

  /** Runs one scheduled action. Returns false when nothing is left. */
  step(): boolean {
    if (this.queued === 0) return false;
    // The smallest (time, seq) of the heap top and the lane heads.
    const top = this.heap.peek();
    let from: Lane | null = null;
    let bt = top === undefined ? Infinity : top.t;
    let bs = top === undefined ? Infinity : top.seq;
    const l0 = this.l0;
    if (l0.n > 0) {
      const t = l0.headT();
      if (t < bt || (t === bt && l0.headSeq() < bs)) { from = l0; bt = t; bs = l0.headSeq(); }
    }
    const l1 = this.l1;
    if (l1.n > 0) {
      const t = l1.headT();
      if (t < bt || (t === bt && l1.headSeq() < bs)) { from = l1; bt = t; bs = l1.headSeq(); }
    }
    const l2 = this.l2;
    if (l2.n > 0) {
      const t = l2.headT();
      if (t < bt || (t === bt && l2.headSeq() < bs)) { from = l2; bt = t; }
    }
    this.queued--;
    this.now = bt;
    if (from === null) {
      const a = this.heap.pop()!;
      const fn = a.fn;
      this.pool.push(a);
      fn();
      return true;
    }
    from.runHead();
    return true;
  }

  /** Whether nothing is left to run. */
  get finished(): boolean {
    return this.queued === 0;
  }
}
