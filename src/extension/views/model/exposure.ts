// Exposure view: every page the guest set up, grouped encrypted / host-visible, with what it
// holds, who can read it and the rule that decided its visibility; plus a one-line summary.
import type { PageView } from '../../../simulator';
import { ModelBuilder, type TreeModel, type ViewNode } from './node';
import { plural } from './format';

export interface ExposureCounts {
  /** 4 KiB pages (PageView.count summed) that are live. */
  pages: number;
  visiblePages: number;
  regions: number;
  visibleRegions: number;
}

export function exposureCounts(pages: readonly PageView[]): ExposureCounts {
  const c: ExposureCounts = { pages: 0, visiblePages: 0, regions: 0, visibleRegions: 0 };
  for (const p of pages) {
    if (p.freed) continue;
    const n = Math.max(1, p.count);
    c.pages += n;
    c.regions++;
    if (p.visibility === 'host-visible') {
      c.visiblePages += n;
      c.visibleRegions++;
    }
  }
  return c;
}

export function exposureSummary(pages: readonly PageView[]): string {
  const c = exposureCounts(pages);
  return `${c.visiblePages} of ${plural(c.pages, 'page')} visible to the host`;
}

/** The purpose, with the VP for per-CPU pages (ids "vp0.para.simp" ...). */
function pageLabel(p: PageView): string {
  const vp = /^vp(\d+)\./.exec(p.page);
  return vp && !/\bVP\s*\d/i.test(p.purpose) ? `VP ${vp[1]} ${p.purpose}` : p.purpose;
}

const GROUPS = [
  { vis: 'encrypted', id: 'exp:encrypted', label: 'Encrypted', icon: 'lock', color: 'charts.green' },
  { vis: 'host-visible', id: 'exp:host-visible', label: 'Host-visible', icon: 'eye', color: 'charts.yellow' },
] as const;

/** Keeps page nodes between builds (pages are leaves: reuse when nothing they show changed). */
export interface ExposureCache {
  entries: Map<string, { key: string; node: ViewNode }>;
}

export function newExposureCache(): ExposureCache {
  return { entries: new Map() };
}

export function buildExposureModel(pages: readonly PageView[], cache?: ExposureCache): TreeModel {
  const b = new ModelBuilder();
  if (!pages.length) {
    if (cache) cache.entries = new Map();
    return b.build();
  }
  const next = new Map<string, { key: string; node: ViewNode }>();
  const summary = exposureSummary(pages);
  const c = exposureCounts(pages);
  b.add(
    {
      id: 'exp:summary',
      label: summary,
      description: `${c.visibleRegions} of ${plural(c.regions, 'region')}`,
      tooltip: 'Pages counted in 4 KiB units; freed pages are not counted. Host-visible pages are readable by the host partition and the hypervisor.',
      icon: { id: c.visiblePages ? 'eye' : 'lock', color: c.visiblePages ? 'charts.yellow' : 'charts.green' },
    },
    undefined,
  );
  for (const g of GROUPS) {
    const list = pages.filter((p) => p.visibility === g.vis);
    const live = list.filter((p) => !p.freed).reduce((n, p) => n + Math.max(1, p.count), 0);
    b.add(
      {
        id: g.id,
        label: g.label,
        description: plural(live, 'page'),
        icon: { id: g.icon, color: g.color },
        expand: 'expanded',
      },
      undefined,
    );
    for (const p of list) {
      const readers = p.readableBy.join(', ');
      const key = cache ? `${p.visibility}|${p.purpose}|${p.count}|${p.gpa}|${p.reason}|${readers}|${p.freed}|${p.owner}` : '';
      const hit = cache?.entries.get(p.page);
      if (hit && hit.key === key) {
        b.adopt([hit.node], true);
        next.set(p.page, hit);
        continue;
      }
      const node = b.add(
        {
          id: `page:${p.page}`,
          label: pageLabel(p),
          description: `${p.freed ? 'freed · ' : ''}${p.reason} · ${plural(p.count, 'page')} @ ${p.gpa}`,
          tooltip: [
            `**${p.purpose}** \`${p.page}\``,
            '',
            `- GPA \`${p.gpa}\`, ${plural(p.count, 'page')}, owner: ${p.owner}`,
            `- ${p.visibility}: ${p.reason}`,
            `- readable by: ${readers}`,
            p.freed ? '- freed' : '',
          ]
            .filter(Boolean)
            .join('\n'),
          icon: p.freed ? { id: 'trash', color: 'disabledForeground' } : { id: g.icon, color: g.color },
          contextValue: 'vmbusPage',
        },
        g.id,
      );
      if (cache) next.set(p.page, { key, node });
    }
  }
  if (cache) cache.entries = next;
  return b.build(summary);
}
