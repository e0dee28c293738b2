// The pinhole camera model; mirrors `protocol/src/geometry.rs`.
//
// Conventions (the same as three.js and the headset): right-handed, metres, +Y up; a camera
// looks along its local -Z with +X to the right. Pixels start at the image's top-left corner
// with +v pointing down; normalised image coordinates are pixels divided by the image size.
import type { Intrinsics, Pose } from '../generated/protocol';

export type Vec2 = readonly [number, number];
export type Vec3 = readonly [number, number, number];
/** Unit quaternion `[x, y, z, w]`. */
export type Quat = readonly [number, number, number, number];

export function sub(a: Vec3, b: Vec3): [number, number, number] {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function add(a: Vec3, b: Vec3): [number, number, number] {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

export function cross(a: Vec3, b: Vec3): [number, number, number] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function length(a: Vec3): number {
  return Math.hypot(a[0], a[1], a[2]);
}

export function normalize(a: Vec3): [number, number, number] {
  const l = length(a);
  return [a[0] / l, a[1] / l, a[2] / l];
}

export function conjugate(q: Quat): [number, number, number, number] {
  return [-q[0], -q[1], -q[2], q[3]];
}

/** `q * v * q⁻¹` for a unit quaternion. */
export function rotate(q: Quat, v: Vec3): [number, number, number] {
  const u: Vec3 = [q[0], q[1], q[2]];
  const w = q[3];
  const t = cross(u, v).map((c) => 2 * c) as [number, number, number];
  const ut = cross(u, t);
  return [v[0] + w * t[0] + ut[0], v[1] + w * t[1] + ut[1], v[2] + w * t[2] + ut[2]];
}

/** A point given in `pose`'s local frame, in the world frame. */
export function toWorld(pose: Pose, local: Vec3): [number, number, number] {
  return add(rotate(pose.rotation, local), pose.position);
}

/** A world point in `pose`'s local frame. */
export function toLocal(pose: Pose, world: Vec3): [number, number, number] {
  return rotate(conjugate(pose.rotation), sub(world, pose.position));
}

/** Pixel position of `world` seen by a camera at `camera`, or null when it is behind it. */
export function project(k: Intrinsics, camera: Pose, world: Vec3): [number, number] | null {
  const p = toLocal(camera, world);
  if (p[2] >= -1e-6) return null;
  const depth = -p[2];
  return [k.cx + (k.fx * p[0]) / depth, k.cy - (k.fy * p[1]) / depth];
}

/** The world-space ray through `pixel`: origin at the camera, unit direction. */
export function ray(
  k: Intrinsics,
  camera: Pose,
  pixel: Vec2,
): { origin: [number, number, number]; direction: [number, number, number] } {
  const local: Vec3 = [(pixel[0] - k.cx) / k.fx, -(pixel[1] - k.cy) / k.fy, -1];
  return { origin: [...camera.position], direction: normalize(rotate(camera.rotation, local)) };
}

export function pixelFromNormalized(k: Intrinsics, n: Vec2): [number, number] {
  return [n[0] * k.width, n[1] * k.height];
}

export function normalizedFromPixel(k: Intrinsics, p: Vec2): [number, number] {
  return [p[0] / k.width, p[1] / k.height];
}

/**
 * The OpenGL-style projection matrix (clip = P · camera-local point, NDC y up, the camera
 * looking down -Z) that maps a point to the same pixel as `project`, principal point included.
 * Returned column-major, the order of three.js's `Matrix4.elements`.
 */
export function projectionMatrix(k: Intrinsics, near: number, far: number): number[] {
  const { fx, fy, cx, cy, width: w, height: h } = k;
  const a = (2 * fx) / w;
  const b = (2 * fy) / h;
  // Pixel u = cx + fx·x/(-z) gives NDC x = 2u/w - 1; NDC y = 1 - 2v/h with v = cy - fy·y/(-z).
  const c = 1 - (2 * cx) / w;
  const d = (2 * cy) / h - 1;
  const e = -(far + near) / (far - near);
  const f = (-2 * far * near) / (far - near);
  // Rows: [a 0 c 0] [0 b d 0] [0 0 e f] [0 0 -1 0].
  return [a, 0, 0, 0, 0, b, 0, 0, c, d, e, -1, 0, 0, f, 0];
}

/** A pose at `position` whose -Z axis points at `target`, +Y as close to world up as possible. */
export function lookingAt(position: Vec3, target: Vec3): Pose {
  const forward = normalize(sub(target, position));
  const right = normalize(cross(forward, [0, 1, 0]));
  const up = cross(right, forward);
  const back: Vec3 = [-forward[0], -forward[1], -forward[2]];
  return { position: [...position], rotation: quatFromBasis(right, up, back) };
}

/** The rotation whose matrix has the columns `x`, `y`, `z` (an orthonormal, right-handed basis). */
export function quatFromBasis(x: Vec3, y: Vec3, z: Vec3): [number, number, number, number] {
  const [m00, m10, m20] = x;
  const [m01, m11, m21] = y;
  const [m02, m12, m22] = z;
  const trace = m00 + m11 + m22;
  let q: [number, number, number, number];
  if (trace > 0) {
    const s = 0.5 / Math.sqrt(trace + 1);
    q = [(m21 - m12) * s, (m02 - m20) * s, (m10 - m01) * s, 0.25 / s];
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = [0.25 * s, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s];
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = [(m01 + m10) / s, 0.25 * s, (m12 + m21) / s, (m02 - m20) / s];
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = [(m02 + m20) / s, (m12 + m21) / s, 0.25 * s, (m10 - m01) / s];
  }
  const l = Math.hypot(...q);
  return [q[0] / l, q[1] / l, q[2] / l, q[3] / l];
}
