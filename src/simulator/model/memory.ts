// Guest-physical pages and their visibility (encrypted / host-visible), with the reason each has
// it. Every party that allocates or shares memory does it here, so the exposure view has one table.
import type { Party, Visibility } from '../trace/events';
import type { SourceRef } from './config';
import type { Emit, Tracer } from './tracer';
import { hexNum } from '../protocol/hex';

export interface PageRec {
  id: string;
  gpa: number;
  count: number;
  purpose: string;
  owner: Party;
  visibility: Visibility;
  reason: string;
  freed: boolean;
}

export class Memory {
  readonly pages = new Map<string, PageRec>();

  constructor(private readonly tracer: Tracer, private nextPfn: number) {}

  get(id: string): PageRec | undefined {
    return this.pages.get(id);
  }

  has(id: string): boolean {
    return this.pages.has(id);
  }

  /** Whether page `id` is allocated and not freed. */
  live(id: string): boolean {
    const p = this.pages.get(id);
    return p !== undefined && !p.freed;
  }

  /** A fresh GPA range of `count` pages. */
  allocPages(count: number): number {
    const pfn = this.nextPfn;
    this.nextPfn += count + 1; // leave a guard gap so ranges are recognisable
    return pfn * 4096;
  }

  page(id: string, count: number, purpose: string, owner: Party, visibility: Visibility, reason: string, gpa?: number, source?: SourceRef): PageRec {
    const g = gpa ?? this.allocPages(count);
    const rec: PageRec = { id, gpa: g, count, purpose, owner, visibility, reason, freed: false };
    this.pages.set(id, rec);
    this.tracer.emit({ kind: 'page', page: id, gpa: hexNum(g), count, purpose, visibility, reason, action: 'allocate', owner, granularity: 'substep', source } as Emit);
    return rec;
  }

  setVisibility(id: string, visibility: Visibility, reason: string): void {
    const rec = this.pages.get(id);
    if (!rec) return;
    rec.visibility = visibility;
    rec.reason = reason;
    this.tracer.emit({ kind: 'page', page: id, gpa: hexNum(rec.gpa), count: rec.count, purpose: rec.purpose, visibility, reason, action: 'set-visibility', owner: rec.owner, granularity: 'substep' } as Emit);
  }

  free(id: string, reason: string): void {
    const rec = this.pages.get(id);
    if (!rec || rec.freed) return;
    rec.freed = true;
    this.tracer.emit({ kind: 'page', page: id, gpa: hexNum(rec.gpa), count: rec.count, purpose: rec.purpose, visibility: rec.visibility, reason, action: 'free', owner: rec.owner, granularity: 'substep' } as Emit);
  }
}
