// The timing of each mark this page asked for, from pointerup to the first render that drew
// it (end-to-end tests read them through `testHooks.ts`).
import type { AnnotationId } from '../generated/protocol';

export interface RoundTrip {
  clientRef: number;
  annotationId: AnnotationId | null;
  /** performance.now() times: the gesture's pointerup, then each answer. */
  pointerUp: number;
  accepted: number | null;
  added: number | null;
  /** The first overlay render that included the annotation. */
  drawn: number | null;
}

export class RoundTrips {
  readonly list: RoundTrip[] = [];

  sent(clientRef: number, at: number): void {
    this.list.push({ clientRef, annotationId: null, pointerUp: at, accepted: null, added: null, drawn: null });
  }

  accepted(clientRef: number, annotationId: AnnotationId, at: number): void {
    const t = this.list.find((r) => r.clientRef === clientRef);
    if (t) {
      t.annotationId = annotationId;
      t.accepted = at;
    }
  }

  added(annotationId: AnnotationId, at: number): void {
    const t = this.list.find((r) => r.annotationId === annotationId);
    if (t) t.added = at;
  }

  /** After an overlay render of `annotations`. */
  drawn(annotations: readonly { id: AnnotationId }[], at: number): void {
    for (const t of this.list) {
      if (t.drawn === null && t.added !== null && annotations.some((a) => a.id === t.annotationId)) t.drawn = at;
    }
  }
}
