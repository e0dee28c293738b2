// A drawing tool turns one pointer gesture on the video into the points of an annotation.
import type { AnnotationKind } from '../generated/protocol';
import type { Vec2 } from '../overlay/camera';
import type { LocalCode } from '../ui/errorText';

export interface PointerSample {
  /** Page (viewport) CSS pixels. */
  client: Vec2;
  /** Normalised frame coordinates, clamped onto the frame. */
  norm: [number, number];
}

export type ToolOutcome =
  | { send: [number, number][] }
  /** Nothing to send; the notice to show, when the user should be told why. */
  | { skip: LocalCode | null };

export interface Tool {
  readonly kind: AnnotationKind;
  readonly label: string;
  /** The keyboard shortcut, lower case. */
  readonly key: string;
  /** Whether a line follows the pointer while dragging. */
  readonly previewsLine: boolean;
  finish(down: PointerSample, up: PointerSample): ToolOutcome;
}

export function distance(a: Vec2, b: Vec2): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}
