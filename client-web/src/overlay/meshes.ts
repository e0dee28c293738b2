// three.js objects for annotations, in the world frame.
import {
  Color,
  ConeGeometry,
  CylinderGeometry,
  DoubleSide,
  Group,
  Mesh,
  MeshBasicMaterial,
  RingGeometry,
  SphereGeometry,
  Vector3,
  type Material,
  type Object3D,
} from 'three';
import type { Annotation } from '../generated/protocol';
import { worldPoints } from '../annotations';
import { surfaceLabel } from '../surface';

export const POINT_RADIUS = 0.03;
const RING_INNER = 0.05;
const RING_OUTER = 0.065;
const SHAFT_RADIUS = 0.012;
const HEAD_RADIUS = 0.035;
const HEAD_LENGTH = 0.1;

// Unit shapes shared by every annotation, scaled per object; Y is their long axis, the cone's
// tip at +0.5.
const sphere = new SphereGeometry(1, 24, 16);
const ring = new RingGeometry(RING_INNER, RING_OUTER, 48);
const cylinder = new CylinderGeometry(1, 1, 1, 16);
const cone = new ConeGeometry(1, 1, 20);

export interface AnnotationObject {
  readonly object: Object3D;
  /** Objects turned to face the camera before each render. */
  readonly billboards: readonly Object3D[];
  dispose(): void;
}

/** How opaque a guessed mark is drawn (a measured one is solid). */
export const ESTIMATE_OPACITY = 0.45;

function materials(color: string, measured: boolean): { solid: Material; translucent: Material } {
  const c = new Color(color);
  return {
    solid: measured
      ? new MeshBasicMaterial({ color: c })
      : new MeshBasicMaterial({ color: c, transparent: true, opacity: ESTIMATE_OPACITY, depthWrite: false }),
    translucent: new MeshBasicMaterial({
      color: c,
      transparent: true,
      opacity: measured ? 0.85 : ESTIMATE_OPACITY,
      side: DoubleSide,
      depthWrite: false,
    }),
  };
}

export function annotationObject(annotation: Annotation): AnnotationObject {
  const m = materials(annotation.color, surfaceLabel(annotation.surface).measured);
  const group = new Group();
  group.name = annotation.id;
  const billboards: Object3D[] = [];
  const [a, b] = worldPoints(annotation).map((p) => new Vector3(...p));
  if (annotation.kind === 'point' && a) {
    const dot = new Mesh(sphere, m.solid);
    dot.scale.setScalar(POINT_RADIUS);
    dot.position.copy(a);
    const halo = new Mesh(ring, m.translucent);
    halo.position.copy(a);
    group.add(dot, halo);
    billboards.push(halo);
  } else if (annotation.kind === 'arrow' && a && b) {
    const axis = b.clone().sub(a);
    const len = axis.length();
    if (len > 1e-6) {
      const dir = axis.clone().divideScalar(len);
      const headLength = Math.min(HEAD_LENGTH, len * 0.5);
      const up = new Vector3(0, 1, 0);
      const shaftLength = len - headLength;
      const shaft = new Mesh(cylinder, m.solid);
      shaft.scale.set(SHAFT_RADIUS, shaftLength, SHAFT_RADIUS);
      shaft.quaternion.setFromUnitVectors(up, dir);
      shaft.position.copy(a).addScaledVector(dir, shaftLength / 2);
      const head = new Mesh(cone, m.solid);
      head.scale.set(HEAD_RADIUS, headLength, HEAD_RADIUS);
      head.quaternion.setFromUnitVectors(up, dir);
      // The cone's tip (+0.5 along its axis) sits exactly on the head point.
      head.position.copy(b).addScaledVector(dir, -headLength / 2);
      group.add(shaft, head);
    }
  }
  return {
    object: group,
    billboards,
    dispose() {
      m.solid.dispose();
      m.translucent.dispose();
    },
  };
}
