import { describe, expect, it } from 'vitest';
import {
  containRect,
  fromNormalized,
  offsetRect,
  toNormalized,
  toNormalizedClamped,
} from './layout';

describe('object-fit: contain rectangle', () => {
  it('letterboxes a 16:9 frame in a taller element (bars above and below)', () => {
    expect(containRect(1000, 1000, 1280, 720)).toEqual({ x: 0, y: 218.75, width: 1000, height: 562.5 });
  });

  it('pillarboxes a 16:9 frame in a wider element (bars left and right)', () => {
    expect(containRect(2000, 720, 1280, 720)).toEqual({ x: 360, y: 0, width: 1280, height: 720 });
  });

  it('scales up a small frame to fill the element', () => {
    expect(containRect(1280, 720, 640, 360)).toEqual({ x: 0, y: 0, width: 1280, height: 720 });
  });

  it('has no rectangle before the video has a size', () => {
    expect(containRect(800, 600, 0, 0)).toBeNull();
    expect(containRect(0, 600, 640, 360)).toBeNull();
  });
});

describe('pointer ↔ normalised frame coordinates', () => {
  // A 1000×1000 element at (100, 50) on the page showing a 1280×720 frame.
  const rect = offsetRect(containRect(1000, 1000, 1280, 720) ?? { x: 0, y: 0, width: 0, height: 0 }, 100, 50);

  it('maps the displayed frame corners and centre', () => {
    expect(toNormalized(rect, 100, 268.75)).toEqual([0, 0]);
    expect(toNormalized(rect, 1100, 831.25)).toEqual([1, 1]);
    expect(toNormalized(rect, 600, 550)).toEqual([0.5, 0.5]);
  });

  it('ignores points on the letterbox bars', () => {
    expect(toNormalized(rect, 600, 100)).toBeNull(); // Top bar.
    expect(toNormalized(rect, 600, 1000)).toBeNull(); // Bottom bar.
    expect(toNormalized(rect, 50, 550)).toBeNull(); // Left of the element.
  });

  it('round-trips through normalised coordinates', () => {
    for (const [x, y] of [
      [123.4, 300],
      [999, 800],
      [600, 550],
    ] as const) {
      const uv = toNormalized(rect, x, y);
      expect(uv).not.toBeNull();
      if (!uv) continue;
      const [bx, by] = fromNormalized(rect, uv);
      expect(bx).toBeCloseTo(x, 9);
      expect(by).toBeCloseTo(y, 9);
    }
  });

  it('clamps a drag that leaves the frame onto its edge', () => {
    expect(toNormalizedClamped(rect, 600, 0)).toEqual([0.5, 0]);
    expect(toNormalizedClamped(rect, 5000, 550)).toEqual([1, 0.5]);
  });
});
