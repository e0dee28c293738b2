import { describe, expect, it } from 'vitest';
import type { RoomSnapshot } from './generated/protocol';
import { addAnnotation, deleteAnnotation, fromSnapshot, keyPoint } from './annotations';
import { annotation } from './testing/fixtures';

describe('annotation list', () => {
  it('adds, and replaces an annotation with the same id in place', () => {
    const a = annotation('a');
    const b = annotation('b');
    const list = addAnnotation(addAnnotation([], a), b);
    expect(list.map((x) => x.id)).toEqual(['a', 'b']);
    const a2 = annotation('a', { color: '#00ff00' });
    const replaced = addAnnotation(list, a2);
    expect(replaced.map((x) => x.id)).toEqual(['a', 'b']);
    expect(replaced[0]?.color).toBe('#00ff00');
    expect(list[0]?.color).toBe('#ff2d95'); // The old list is unchanged.
  });

  it('deletes by id, and ignores unknown ids', () => {
    const list = [annotation('a'), annotation('b'), annotation('c')];
    expect(deleteAnnotation(list, 'b').map((x) => x.id)).toEqual(['a', 'c']);
    expect(deleteAnnotation(list, 'zzz')).toBe(list);
    expect(list).toHaveLength(3);
  });

  it('replaces everything with a snapshot', () => {
    const snapshot: RoomSnapshot = {
      room: 'demo',
      participants: [],
      annotations: [annotation('x'), annotation('y')],
      equipment: [],
      recording: null,
      version: 7,
    };
    const list = fromSnapshot(snapshot);
    expect(list.map((x) => x.id)).toEqual(['x', 'y']);
    expect(list).not.toBe(snapshot.annotations);
  });

  it('puts the key point in the world frame: the point, or the arrow head', () => {
    const p = keyPoint(annotation('a'));
    [0.1, 1.2, -0.6].forEach((c, i) => expect(p?.[i]).toBeCloseTo(c, 12));
    const turned = annotation('b', {
      kind: 'arrow',
      anchor: { type: 'world', pose: { position: [1, 0, 0], rotation: [0, Math.SQRT1_2, 0, Math.SQRT1_2] } },
      points: [
        [0, 0, 0],
        [1, 0, 0],
      ],
    });
    const head = keyPoint(turned);
    expect(head?.[0]).toBeCloseTo(1, 12);
    expect(head?.[2]).toBeCloseTo(-1, 12); // A quarter turn about +Y takes +X to -Z.
  });
});
