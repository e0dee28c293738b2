// The room as the page shows it: one immutable value, made from a join snapshot and changed
// only by the reducers (`reduce.ts`). The live page feeds it server messages; a replay feeds
// it a recording's journal events; both end with the same state for the same history.
import type { ParticipantId, RecordingId, RecordingStatus, RoomSnapshot } from '../generated/protocol';
import { fromSnapshot, type AnnotationList } from '../annotations';
import { NO_EQUIPMENT, equipmentNames, type EquipmentNames } from '../equipment';
import { participantName, type ParticipantList } from '../participants';

/** The recording running now, as everyone in the room is shown it. */
export interface Recording {
  readonly status: RecordingStatus;
  /**
   * The name of who started it, as the room knew them then (kept after they leave); null when
   * the server started it or they were no longer in the room.
   */
  readonly startedByName: string | null;
}

/** How the last recording ended: who stopped it, or why the server did. */
export interface RecordingStop {
  readonly recordingId: RecordingId;
  readonly by: ParticipantId | null;
  readonly byName: string | null;
  /** The server's reason when it stopped the recording itself (a full disk, say). */
  readonly reason: string | null;
}

export interface RoomState {
  /** In the order they joined. */
  readonly participants: ParticipantList;
  /** The live marks, in the order they were resolved. */
  readonly annotations: AnnotationList;
  /** Equipment id → name, as the room's headset reported them. */
  readonly equipment: EquipmentNames;
  readonly recording: Recording | null;
  /** The recording that stopped last, until another one starts. */
  readonly lastStop: RecordingStop | null;
}

export const EMPTY_ROOM: RoomState = {
  participants: [],
  annotations: [],
  equipment: NO_EQUIPMENT,
  recording: null,
  lastStop: null,
};

/** The state a join snapshot describes (it replaces whatever the page had). */
export function roomFromSnapshot(snapshot: RoomSnapshot): RoomState {
  const participants = snapshot.participants;
  const status = snapshot.recording;
  return {
    participants,
    annotations: fromSnapshot(snapshot),
    equipment: equipmentNames(snapshot.equipment),
    recording: status === null ? null : { status, startedByName: participantName(participants, status.started_by) },
    lastStop: null,
  };
}
