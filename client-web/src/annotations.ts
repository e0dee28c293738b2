// The room's annotations as an immutable list, changed only through these pure functions.
import type { Annotation, AnnotationId, ParticipantId, RoomSnapshot } from './generated/protocol';
import { toWorld, type Vec3 } from './overlay/camera';

export type AnnotationList = readonly Annotation[];

/** The list a snapshot describes (it replaces whatever the page had). */
export function fromSnapshot(snapshot: RoomSnapshot): AnnotationList {
  return [...snapshot.annotations];
}

/** Adds `annotation`, or replaces the one with the same id in place. */
export function addAnnotation(list: AnnotationList, annotation: Annotation): AnnotationList {
  const i = list.findIndex((a) => a.id === annotation.id);
  if (i < 0) return [...list, annotation];
  return list.map((a, j) => (j === i ? annotation : a));
}

/** The list without the annotation `id` (the same list when it was not there). */
export function deleteAnnotation(list: AnnotationList, id: AnnotationId): AnnotationList {
  return list.some((a) => a.id === id) ? list.filter((a) => a.id !== id) : list;
}

/** The list with annotation `id` acknowledged by `by` (the same list when it was not there). */
export function acknowledgeAnnotation(list: AnnotationList, id: AnnotationId, by: ParticipantId): AnnotationList {
  const a = list.find((x) => x.id === id);
  return a === undefined || a.acknowledged_by === by ? list : list.map((x) => (x.id === id ? { ...x, acknowledged_by: by } : x));
}

/** The annotation's points in the world frame. */
export function worldPoints(annotation: Annotation): [number, number, number][] {
  return annotation.points.map((p) => toWorld(annotation.anchor.pose, p));
}

/** The point that marks the spot: the point itself, or an arrow's head. */
export function keyPoint(annotation: Annotation): Vec3 | null {
  const points = worldPoints(annotation);
  return (annotation.kind === 'arrow' ? points[1] : points[0]) ?? null;
}
