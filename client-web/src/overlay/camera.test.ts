import { describe, expect, it } from 'vitest';
import { PerspectiveCamera, Vector3 } from 'three';
import type { Intrinsics, Pose } from '../generated/protocol';
import {
  length,
  lookingAt,
  normalizedFromPixel,
  pixelFromNormalized,
  project,
  projectionMatrix,
  ray,
  rotate,
  sub,
  toLocal,
  toWorld,
  type Vec3,
} from './camera';

function fromVerticalFov(fovYDeg: number, width: number, height: number): Intrinsics {
  const fy = height / 2 / Math.tan((fovYDeg * Math.PI) / 360);
  return { fx: fy, fy, cx: width / 2, cy: height / 2, width, height };
}

function quatFromAxisAngle(axis: Vec3, angle: number): [number, number, number, number] {
  const l = length(axis);
  const s = Math.sin(angle / 2) / l;
  return [axis[0] * s, axis[1] * s, axis[2] * s, Math.cos(angle / 2)];
}

const k720 = fromVerticalFov(60, 1280, 720);
const camera = lookingAt([1, 1.6, 4], [-0.5, 0.8, 0]);

describe('pinhole camera', () => {
  it('projects then unprojects back to the same point', () => {
    for (const world of [
      [-0.5, 0.8, 0],
      [0.3, 0.1, -1],
      [-2, 2, 1],
    ] as Vec3[]) {
      const pixel = project(k720, camera, world);
      expect(pixel).not.toBeNull();
      if (!pixel) continue;
      const { origin, direction } = ray(k720, camera, pixel);
      const distance = length(sub(world, origin));
      const back = origin.map((o, i) => o + (direction[i] ?? 0) * distance);
      expect(length(sub(back as unknown as Vec3, world))).toBeLessThan(1e-9);
    }
  });

  it('maps the looked-at point, on the optical axis, to the principal point (image centre)', () => {
    const pixel = project(k720, camera, [-0.5, 0.8, 0]);
    expect(pixel?.[0]).toBeCloseTo(640, 6);
    expect(pixel?.[1]).toBeCloseTo(360, 6);
    // An off-centre principal point moves the optical axis with it.
    const off = { ...k720, cx: 700, cy: 300 };
    const p = project(off, camera, [-0.5, 0.8, 0]);
    expect(p?.[0]).toBeCloseTo(700, 6);
    expect(p?.[1]).toBeCloseTo(300, 6);
  });

  it('keeps world up as image up (v grows downwards) and right as right', () => {
    const pose = lookingAt([0, 0, 5], [0, 0, 0]);
    const k = fromVerticalFov(57, 640, 360);
    const right = project(k, pose, [1, 0, 0]);
    const up = project(k, pose, [0, 1, 0]);
    expect(right?.[0]).toBeGreaterThan(320);
    expect(right?.[1]).toBeCloseTo(180, 9);
    expect(up?.[1]).toBeLessThan(180);
    expect(up?.[0]).toBeCloseTo(320, 9);
  });

  it('does not project points behind the camera', () => {
    expect(project(k720, camera, [2, 2, 8])).toBeNull();
  });

  it('converts between local and world frames like glam (quarter turn about Y: +X → -Z)', () => {
    const turned: Pose = { position: [0, 0, 0], rotation: quatFromAxisAngle([0, 1, 0], Math.PI / 2) };
    const w = toWorld(turned, [1, 0, 0]);
    expect(w[0]).toBeCloseTo(0, 12);
    expect(w[2]).toBeCloseTo(-1, 12);
    const anchor: Pose = { position: [2, 0, -1], rotation: quatFromAxisAngle([0.3, 1, -0.2], 0.7) };
    const back = toLocal(anchor, toWorld(anchor, [0.1, 0.5, -0.3]));
    expect(length(sub(back, [0.1, 0.5, -0.3]))).toBeLessThan(1e-12);
  });

  it('converts between normalised coordinates and pixels', () => {
    expect(pixelFromNormalized(k720, [0.25, 0.5])).toEqual([320, 360]);
    expect(normalizedFromPixel(k720, [320, 360])).toEqual([0.25, 0.5]);
  });
});

/** The pixel three.js draws `world` at with the camera the overlay builds. */
function threePixel(k: Intrinsics, pose: Pose, world: Vec3): [number, number] {
  const cam = new PerspectiveCamera();
  cam.position.set(...pose.position);
  cam.quaternion.set(...pose.rotation);
  cam.updateMatrixWorld(true);
  cam.projectionMatrix.fromArray(projectionMatrix(k, 0.02, 200));
  cam.projectionMatrixInverse.copy(cam.projectionMatrix).invert();
  const ndc = new Vector3(...world).project(cam);
  expect(Math.abs(ndc.z)).toBeLessThanOrEqual(1); // Between the near and far planes.
  return [((ndc.x + 1) / 2) * k.width, ((1 - ndc.y) / 2) * k.height];
}

describe('three.js projection matrix from intrinsics', () => {
  const intrinsics: Intrinsics[] = [
    k720,
    { fx: 900, fy: 880, cx: 610.5, cy: 377.25, width: 1280, height: 720 },
    { fx: 500, fy: 500, cx: 200, cy: 300, width: 640, height: 480 },
  ];
  const poses: Pose[] = [
    lookingAt([0, 1.6, 3.4], [0, 0.7, 0]),
    lookingAt([1, 1.6, 4], [-0.5, 0.8, 0]),
    lookingAt([-2, 0.5, 1], [1, 1, -2]),
    { position: [0.3, 1.2, 2], rotation: quatFromAxisAngle([0.2, 1, 0.1], -0.6) },
    { position: [0, 0, 0], rotation: [0, 0, 0, 1] },
  ];
  const points: Vec3[] = [
    [0.1, 1.2, -0.6],
    [-1.7, 0.6, 0.3],
    [1.9, 0.76, 0.7],
    [0, 0.7, 0],
    [0.5, -0.2, -3],
  ];

  it('projects world points to the same pixels as the pinhole formula (within 0.01 px)', () => {
    let compared = 0;
    for (const k of intrinsics) {
      for (const pose of poses) {
        for (const p of points) {
          const expected = project(k, pose, p);
          if (!expected) continue;
          const got = threePixel(k, pose, p);
          expect(Math.abs(got[0] - expected[0])).toBeLessThan(0.01);
          expect(Math.abs(got[1] - expected[1])).toBeLessThan(0.01);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('differs from a symmetric frustum when the principal point is off-centre', () => {
    const k = { fx: 500, fy: 500, cx: 200, cy: 300, width: 640, height: 480 };
    const pose = lookingAt([0, 1.6, 3.4], [0, 0.7, 0]);
    const centred = threePixel({ ...k, cx: 320, cy: 240 }, pose, [0.1, 1.2, -0.6]);
    const off = threePixel(k, pose, [0.1, 1.2, -0.6]);
    expect(off[0] - centred[0]).toBeCloseTo(-120, 6);
    expect(off[1] - centred[1]).toBeCloseTo(60, 6);
  });

  it('builds an orthonormal camera rotation with lookingAt', () => {
    const pose = lookingAt([0, 1.6, 3.4], [0, 0.7, 0]);
    const forward = rotate(pose.rotation, [0, 0, -1]);
    const expected = sub([0, 0.7, 0], [0, 1.6, 3.4]);
    const l = length(expected);
    expect(forward[0]).toBeCloseTo(expected[0] / l, 12);
    expect(forward[1]).toBeCloseTo(expected[1] / l, 12);
    expect(forward[2]).toBeCloseTo(expected[2] / l, 12);
    expect(rotate(pose.rotation, [1, 0, 0])[1]).toBeCloseTo(0, 12); // No roll.
  });
});
