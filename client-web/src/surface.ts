// What a resolved mark's position rests on, in words for the expert (pure functions): a guess
// is never shown as if it were measured.
import type { SurfaceQuality } from './generated/protocol';

export interface SurfaceLabel {
  /** The short tag in the annotation list. */
  text: string;
  /** The tooltip: what it means for trusting the mark. */
  title: string;
  /** Whether the position was measured (drawn solid) or guessed (drawn see-through). */
  measured: boolean;
}

export function surfaceLabel(surface: SurfaceQuality): SurfaceLabel {
  switch (surface) {
    case 'exact':
      return {
        text: 'exact',
        title: 'On the scene the technician sees: the position is exact.',
        measured: true,
      };
    case 'mesh':
      return {
        text: 'mesh',
        title: "On the headset's scan of the room: close to the real surface.",
        measured: true,
      };
    case 'plane':
      return {
        text: 'plane',
        title: 'On a flat surface the headset detected: close, though not exact.',
        measured: true,
      };
    case 'estimate':
      return {
        text: 'estimate',
        title:
          'Nothing measured under this point: placed on the floor behind it or at a fixed distance. ' +
          'Check the spot with the technician.',
        measured: false,
      };
  }
}
