// Marks the expert sent that the headset has not placed yet (pure functions).
import type { AnnotationId, AnnotationKind } from './generated/protocol';

export interface PendingMark {
  clientRef: number;
  kind: AnnotationKind;
  /** Normalised frame coordinates as sent. */
  points: [number, number][];
  color: string;
  frameRtp: number;
  /** performance.now() at pointerup. */
  sentAt: number;
  /** Set once the server accepted the request. */
  annotationId: AnnotationId | null;
}

export type PendingList = readonly PendingMark[];

export function addPending(list: PendingList, mark: PendingMark): PendingList {
  return [...list, mark];
}

export function acceptPending(list: PendingList, clientRef: number, id: AnnotationId): PendingList {
  return list.map((m) => (m.clientRef === clientRef ? { ...m, annotationId: id } : m));
}

/** The list without the mark that `clientRef` or `annotationId` names. */
export function settlePending(
  list: PendingList,
  by: { clientRef?: number | null; annotationId?: AnnotationId | null },
): PendingList {
  const matches = (m: PendingMark) =>
    (by.clientRef != null && m.clientRef === by.clientRef) ||
    (by.annotationId != null && m.annotationId === by.annotationId);
  return list.some(matches) ? list.filter((m) => !matches(m)) : list;
}

/** The list without marks sent before `cutoff` (performance.now() time). */
export function expirePending(list: PendingList, cutoff: number): PendingList {
  return list.some((m) => m.sentAt < cutoff) ? list.filter((m) => m.sentAt >= cutoff) : list;
}
