// Binary min-heap keyed by (time, seq): the deterministic scheduler queue. Ties on time break by
// insertion order, so the same inputs always pop in the same order.

export interface HeapItem {
  t: number;
  seq: number;
}

export class EventHeap<T extends HeapItem> {
  private a: T[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): T | undefined {
    return this.a[0];
  }

  push(x: T): void {
    const a = this.a;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = a[p];
      if (q.t < x.t || (q.t === x.t && q.seq < x.seq)) break;
      a[i] = q;
      i = p;
    }
    a[i] = x;
  }

  pop(): T | undefined {
    const a = this.a;
    const n = a.length;
    if (n === 0) return undefined;
    const top = a[0];
    const last = a.pop() as T;
    if (n > 1) {
      const m = n - 1;
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= m) break;
        const r = c + 1;
        if (r < m && (a[r].t < a[c].t || (a[r].t === a[c].t && a[r].seq < a[c].seq))) c = r;
        const y = a[c];
        if (last.t < y.t || (last.t === y.t && last.seq < y.seq)) break;
        a[i] = y;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  clear(): void {
    this.a = [];
  }
}
