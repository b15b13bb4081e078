// SVG export of the visible range: the same shapes the canvas draws, as a standalone SVG document
// with the theme's colours resolved at export time. Pure (string building only).
import type { TimelineItem } from '../../shared/timelineProtocol';
import { eventLabel } from '../../shared/timelineData';
import {
  type ColorToken, type LaneLayout, type Viewport, GUTTER_W, PHASE_H, RULER_H,
  colToX, fitText, itemPos, labelsFit, rulerMarks, shapeOf, shapeSpan, visibleRange,
} from './layout';
import type { TimeAxisInfo } from '../../shared/timeAxis';

export type Palette = Record<ColorToken | 'fg' | 'bg' | 'border' | 'laneAlt' | 'cursor' | 'onlyA' | 'onlyB', string>;

export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

function n(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** A standalone SVG of what the viewport shows. */
export function renderSvg(items: readonly TimelineItem[], layout: LaneLayout, v: Viewport, total: number, colors: Palette, opts: { title?: string; cursor?: number | null; timeAxis?: TimeAxisInfo } = {}): string {
  // Laid out by time (a log), `total` is the axis extent and `cursor` the stepper's axis position.
  const axis = opts.timeAxis ? 'time' : 'sequence';
  const w = Math.round(v.width);
  const h = Math.round(layout.height);
  const { from, to } = visibleRange(v, total);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11">`);
  const range = opts.timeAxis ? 'the log\'s real time (long gaps cut)' : `events ${from}…${Math.max(from, to - 1)}`;
  out.push(`<title>${xmlEscape(opts.title ?? 'VMBus timeline')} — ${range}</title>`);
  out.push(`<rect x="0" y="0" width="${w}" height="${h}" fill="${xmlEscape(colors.bg)}"/>`);
  out.push(`<defs><clipPath id="plot"><rect x="${GUTTER_W}" y="0" width="${w - GUTTER_W}" height="${h}"/></clipPath></defs>`);
  layout.lanes.forEach((l, i) => {
    if (i % 2 === 1) out.push(`<rect x="0" y="${l.top}" width="${w}" height="${l.height}" fill="${xmlEscape(colors.laneAlt)}"/>`);
    out.push(`<line x1="${GUTTER_W}" y1="${n(l.top + l.height / 2)}" x2="${w}" y2="${n(l.top + l.height / 2)}" stroke="${xmlEscape(colors.border)}" stroke-width="0.5"/>`);
    out.push(`<text x="6" y="${n(l.top + l.height / 2 + 4)}" fill="${xmlEscape(colors.fg)}">${xmlEscape(l.label)}</text>`);
  });
  for (const rh of layout.runHeaders) out.push(`<text x="6" y="${rh.top + 13}" fill="${xmlEscape(colors.fg)}" font-weight="bold">${xmlEscape(rh.label)}</text>`);
  const marks = rulerMarks(v, total, opts.timeAxis);
  for (const t of marks.ticks) {
    out.push(`<line x1="${n(t.x)}" y1="${RULER_H - 5}" x2="${n(t.x)}" y2="${RULER_H}" stroke="${xmlEscape(colors.muted)}"/>`);
    out.push(`<text x="${n(t.x + 2)}" y="12" fill="${xmlEscape(colors.muted)}">${xmlEscape(t.label)}</text>`);
  }
  for (const b of marks.breaks) {
    out.push(`<rect x="${n(b.x)}" y="${RULER_H}" width="${n(Math.max(2, b.width))}" height="${h - RULER_H}" fill="${xmlEscape(colors.laneAlt)}" opacity="0.6"><title>${xmlEscape(b.label)} cut out of the axis</title></rect>`);
    out.push(`<text x="${n(b.x + 2)}" y="${RULER_H + PHASE_H - 5}" fill="${xmlEscape(colors.muted)}">${xmlEscape(b.label)}</text>`);
  }
  out.push('<g clip-path="url(#plot)">');
  for (const it of items) {
    if (!it.onlyHere) continue;
    const lanes = layout.lanes.filter((l) => l.run === it.run);
    if (!lanes.length) continue;
    const x = colToX(v, itemPos(it, axis)) - Math.max(1, v.pxPerCol) / 2;
    out.push(`<rect x="${n(x)}" y="${lanes[0].top}" width="${n(Math.max(1, v.pxPerCol))}" height="${lanes[lanes.length - 1].top + lanes[lanes.length - 1].height - lanes[0].top}" fill="${xmlEscape(it.run === 0 ? colors.onlyA : colors.onlyB)}"/>`);
  }
  const showLabels = labelsFit(v);
  const labelEnd = new Map<number, number>();
  for (const it of items) {
    if (itemPos(it, axis) < from - 1 || itemPos(it, axis) > to) continue;
    const s = shapeOf(it, layout, v, axis);
    if (!s) continue;
    const c = xmlEscape(colors[s.color]);
    const rawLabel = fitText(eventLabel(it.event), Math.min(220, v.pxPerCol * 6) - 8);
    const label = xmlEscape(rawLabel);
    const aria = xmlEscape(`#${it.event.seq} ${eventLabel(it.event)}`);
    if (s.type === 'arrow') {
      const dir = s.y2 > s.y1 ? 1 : -1;
      const dash = s.dash.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
      out.push(`<g><title>${aria}</title><line x1="${n(s.x)}" y1="${n(s.y1)}" x2="${n(s.x)}" y2="${n(s.y2 - dir * 5)}" stroke="${c}" stroke-width="${s.width}"${dash}/>`);
      if (s.head === 'bar') out.push(`<line x1="${n(s.x - 4)}" y1="${n(s.y2)}" x2="${n(s.x + 4)}" y2="${n(s.y2)}" stroke="${c}" stroke-width="2"/>`);
      else if (s.head !== 'none') out.push(`<path d="M${n(s.x - 4)} ${n(s.y2 - dir * 7)} L${n(s.x)} ${n(s.y2)} L${n(s.x + 4)} ${n(s.y2 - dir * 7)} Z" fill="${s.head === 'filled' ? c : 'none'}" stroke="${c}"/>`);
      if (s.tail === 'trap') out.push(`<circle cx="${n(s.x)}" cy="${n(s.y1)}" r="3" fill="none" stroke="${c}"/>`);
      const ly = Math.round(s.y1 + dir * 12);
      if (showLabels && label && s.x + 4 >= (labelEnd.get(ly) ?? -Infinity)) {
        out.push(`<text x="${n(s.x + 4)}" y="${ly}" fill="${xmlEscape(colors.fg)}">${label}</text>`);
        labelEnd.set(ly, s.x + 4 + rawLabel.length * 6.2 + 6);
      }
      out.push('</g>');
    } else if (s.type === 'mark') {
      const r = s.size / 2 + 1;
      let shape: string;
      if (s.shape === 'square') shape = `<rect x="${n(s.x - r)}" y="${n(s.y - r)}" width="${n(2 * r)}" height="${n(2 * r)}" fill="${c}"/>`;
      else if (s.shape === 'diamond') shape = `<path d="M${n(s.x)} ${n(s.y - r)} L${n(s.x + r)} ${n(s.y)} L${n(s.x)} ${n(s.y + r)} L${n(s.x - r)} ${n(s.y)} Z" fill="${c}"/>`;
      else shape = `<circle cx="${n(s.x)}" cy="${n(s.y)}" r="${n(r)}" fill="${s.shape === 'circle' ? 'none' : c}" stroke="${c}"/>`;
      out.push(`<g><title>${aria}</title>${shape}</g>`);
    } else {
      const span = shapeSpan(s, layout, it.run);
      out.push(`<g><title>${aria}</title><line x1="${n(s.x)}" y1="${span.top}" x2="${n(s.x)}" y2="${span.bottom}" stroke="${c}" stroke-width="${s.where === 'all' ? 2 : 1}"/>`);
      if (s.label && (showLabels || s.where === 'phase')) out.push(`<text x="${n(s.x + 3)}" y="${RULER_H + PHASE_H - 5}" fill="${c}">${xmlEscape(fitText(s.label, 160))}</text>`);
      out.push('</g>');
    }
  }
  if (opts.cursor !== undefined && opts.cursor !== null && opts.cursor >= from && opts.cursor < to) {
    const x = colToX(v, opts.cursor);
    out.push(`<line x1="${n(x)}" y1="${RULER_H}" x2="${n(x)}" y2="${h}" stroke="${xmlEscape(colors.cursor)}" stroke-dasharray="4 2"/>`);
  }
  out.push('</g></svg>');
  return out.join('\n');
}
