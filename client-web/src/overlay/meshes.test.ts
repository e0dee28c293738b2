import { describe, expect, it } from 'vitest';
import { Mesh, type MeshBasicMaterial } from 'three';
import { annotation } from '../testing/fixtures';
import { ESTIMATE_OPACITY, annotationObject } from './meshes';

function opacities(surface: 'exact' | 'estimate', kind: 'point' | 'arrow'): number[] {
  const points: [number, number, number][] = kind === 'point' ? [[0, 1, 0]] : [[0, 1, 0], [0.3, 1.2, 0]];
  const drawn = annotationObject(annotation('a1', { surface, kind, points }));
  const out: number[] = [];
  drawn.object.traverse((o) => {
    if (o instanceof Mesh) {
      const m = o.material as MeshBasicMaterial;
      out.push(m.transparent ? m.opacity : 1);
    }
  });
  drawn.dispose();
  return out;
}

describe('annotation meshes', () => {
  it('draw a measured mark solid and a guessed one see-through', () => {
    for (const kind of ['point', 'arrow'] as const) {
      expect(Math.max(...opacities('exact', kind))).toBe(1);
      const guessed = opacities('estimate', kind);
      expect(guessed.length).toBeGreaterThan(0);
      expect(guessed.every((o) => o === ESTIMATE_OPACITY)).toBe(true);
    }
  });
});
