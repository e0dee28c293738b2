// The two reducers of the room state: over the live server messages, and over journal events
// (a recording's, for a replay). Messages and events that change nothing the room shows (an
// answer, a mark requested or failed: those belong to the page that asked) return the state.
import type { JournalEvent, ServerMessage } from '../generated/protocol';
import {
  equipmentReported,
  markAcknowledged,
  markDeleted,
  markResolved,
  participantJoined,
  participantLeft,
  participantAway,
  participantMuted,
  participantUpdated,
  recordingStarted,
  recordingStopped,
} from './changes';
import { roomFromSnapshot, type RoomState } from './state';

export function reduceMessage(state: RoomState, m: ServerMessage): RoomState {
  switch (m.type) {
    case 'joined':
      return roomFromSnapshot(m.snapshot);
    case 'participant_joined':
      return participantJoined(state, m.participant);
    case 'participant_left':
      return participantLeft(state, m.participant_id);
    case 'participant_updated':
      return participantUpdated(state, m.participant);
    case 'annotation_added':
      return markResolved(state, m.annotation);
    case 'annotation_deleted':
      return markDeleted(state, m.annotation_id);
    case 'annotation_acknowledged':
      return markAcknowledged(state, m.annotation_id, m.by);
    case 'equipment_updated':
      return equipmentReported(state, m.items);
    case 'recording_started':
      return recordingStarted(state, m.recording);
    case 'recording_stopped':
      return recordingStopped(state, { recordingId: m.recording_id, by: m.by, reason: m.reason });
    case 'answer':
    case 'annotation_accepted':
    case 'resolve_request':
    case 'closing':
    case 'error':
      return state;
  }
}

export function reduceEvent(state: RoomState, event: JournalEvent): RoomState {
  const c = event.change;
  switch (c.kind) {
    case 'joined':
      return participantJoined(state, c.participant);
    case 'left':
      return participantLeft(state, c.participant_id);
    case 'muted':
      return participantMuted(state, c.participant_id, c.muted);
    case 'away':
      return participantAway(state, c.participant_id, c.away);
    case 'mark_resolved':
      return markResolved(state, c.annotation);
    case 'mark_deleted':
      return markDeleted(state, c.annotation_id);
    case 'mark_acknowledged':
      return markAcknowledged(state, c.annotation_id, c.by);
    case 'equipment':
      return equipmentReported(state, c.items);
    case 'recording_started':
      // The server stamps a recording with the time of the event that started it.
      return recordingStarted(state, { recording_id: c.recording_id, started_by: c.by, started_at_ms: event.at_ms });
    case 'recording_stopped':
      return recordingStopped(state, { recordingId: c.recording_id, by: c.by, reason: c.reason });
    case 'mark_requested':
    case 'mark_failed':
      return state;
  }
}

/** The state `events` make when applied in order to `state`. */
export function foldEvents(state: RoomState, events: readonly JournalEvent[]): RoomState {
  return events.reduce(reduceEvent, state);
}
