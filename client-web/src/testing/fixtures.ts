// Values for unit tests (imported by tests only, never by the page).
import type { Annotation, Participant, Role } from '../generated/protocol';

export function annotation(id: string, over: Partial<Annotation> = {}): Annotation {
  return {
    id,
    kind: 'point',
    author: 'p1',
    color: '#ff2d95',
    anchor: {
      type: 'equipment',
      equipment_id: 'panel-1',
      pose: { position: [0.1, 0, -0.8], rotation: [0, 0, 0, 1] },
    },
    points: [[0, 1.2, 0.2]],
    frame_rtp_timestamp: 1234,
    surface: 'exact',
    acknowledged_by: null,
    ...over,
  };
}

export function participant(id: string, name: string, role: Role = 'expert', muted = false, away = false): Participant {
  return { id, role, name, muted, away };
}
