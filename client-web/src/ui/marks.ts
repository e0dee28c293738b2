// The 2D layer over the stage: the arrow preview while dragging and markers for pending marks.
import { fromNormalized, type Rect } from '../overlay/layout';
import type { PendingMark } from '../pending';

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export class MarksLayer {
  private readonly line = svg('line', { class: 'preview-line', 'marker-end': 'url(#preview-head)' });
  private readonly pendingGroup = svg('g', { class: 'pending' });

  constructor(private readonly root: SVGSVGElement) {
    const defs = svg('defs', {});
    const marker = svg('marker', {
      id: 'preview-head',
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 6,
      markerHeight: 6,
      orient: 'auto-start-reverse',
    });
    marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'preview-head' }));
    defs.append(marker);
    this.line.style.display = 'none';
    root.append(defs, this.pendingGroup, this.line);
  }

  /** The drag line in page CSS pixels, or null to hide it. */
  preview(line: { from: [number, number]; to: [number, number] } | null, color: string): void {
    if (!line) {
      this.line.style.display = 'none';
      return;
    }
    const o = this.origin();
    this.line.setAttribute('x1', String(line.from[0] - o.x));
    this.line.setAttribute('y1', String(line.from[1] - o.y));
    this.line.setAttribute('x2', String(line.to[0] - o.x));
    this.line.setAttribute('y2', String(line.to[1] - o.y));
    this.line.style.stroke = color;
    this.line.style.display = '';
  }

  /** Draws a marker where each pending mark was made (`rect`: video rectangle, page pixels). */
  pending(marks: readonly PendingMark[], rect: Rect | null): void {
    this.pendingGroup.replaceChildren();
    if (!rect) return;
    const o = this.origin();
    for (const m of marks) {
      const last = m.points[m.points.length - 1];
      if (!last) continue;
      const [x, y] = fromNormalized(rect, last);
      const g = svg('g', { class: 'pending-mark', transform: `translate(${x - o.x} ${y - o.y})` });
      g.append(svg('circle', { r: 12, stroke: m.color }), svg('circle', { r: 3, fill: m.color }));
      this.pendingGroup.append(g);
    }
  }

  private origin(): { x: number; y: number } {
    const box = this.root.getBoundingClientRect();
    return { x: box.left, y: box.top };
  }
}
