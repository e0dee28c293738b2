// The changes a room goes through, one pure function each, shared by the message and the
// journal reducers so that both make the same state. Each returns the same state object when
// nothing changed (an unknown id, say), like the list helpers it is built on.
import type {
  Annotation,
  AnnotationId,
  EquipmentInfo,
  Participant,
  ParticipantId,
  RecordingId,
  RecordingStatus,
} from '../generated/protocol';
import { acknowledgeAnnotation, addAnnotation, deleteAnnotation, type AnnotationList } from '../annotations';
import { equipmentNames } from '../equipment';
import {
  addParticipant,
  participantName,
  removeParticipant,
  setParticipantAway,
  setParticipantMuted,
  updateParticipant,
  type ParticipantList,
} from '../participants';
import type { RoomState } from './state';

function withParticipants(state: RoomState, participants: ParticipantList): RoomState {
  return participants === state.participants ? state : { ...state, participants };
}

function withAnnotations(state: RoomState, annotations: AnnotationList): RoomState {
  return annotations === state.annotations ? state : { ...state, annotations };
}

export function participantJoined(state: RoomState, p: Participant): RoomState {
  return withParticipants(state, addParticipant(state.participants, p));
}

export function participantLeft(state: RoomState, id: ParticipantId): RoomState {
  return withParticipants(state, removeParticipant(state.participants, id));
}

export function participantUpdated(state: RoomState, p: Participant): RoomState {
  return withParticipants(state, updateParticipant(state.participants, p));
}

export function participantMuted(state: RoomState, id: ParticipantId, muted: boolean): RoomState {
  return withParticipants(state, setParticipantMuted(state.participants, id, muted));
}

export function participantAway(state: RoomState, id: ParticipantId, away: boolean): RoomState {
  return withParticipants(state, setParticipantAway(state.participants, id, away));
}

export function markResolved(state: RoomState, annotation: Annotation): RoomState {
  return withAnnotations(state, addAnnotation(state.annotations, annotation));
}

export function markAcknowledged(state: RoomState, id: AnnotationId, by: ParticipantId): RoomState {
  return withAnnotations(state, acknowledgeAnnotation(state.annotations, id, by));
}

export function markDeleted(state: RoomState, id: AnnotationId): RoomState {
  return withAnnotations(state, deleteAnnotation(state.annotations, id));
}

export function equipmentReported(state: RoomState, items: readonly EquipmentInfo[]): RoomState {
  return { ...state, equipment: equipmentNames(items) };
}

/** A recording started; one already running is replaced (the server's word is the authority). */
export function recordingStarted(state: RoomState, status: RecordingStatus): RoomState {
  if (state.recording?.status.recording_id === status.recording_id) return state;
  const startedByName = participantName(state.participants, status.started_by);
  return { ...state, recording: { status, startedByName }, lastStop: null };
}

/** The recording `recordingId` stopped; a stop of another recording than the one running is ignored. */
export function recordingStopped(
  state: RoomState,
  stop: { recordingId: RecordingId; by: ParticipantId | null; reason: string | null },
): RoomState {
  if (state.recording?.status.recording_id !== stop.recordingId) return state;
  const byName = participantName(state.participants, stop.by);
  return { ...state, recording: null, lastStop: { ...stop, byName } };
}
