// The room's participants (pure functions).
import type { Participant, ParticipantId } from './generated/protocol';

export type ParticipantList = readonly Participant[];

export function addParticipant(list: ParticipantList, p: Participant): ParticipantList {
  return [...list.filter((q) => q.id !== p.id), p];
}

export function removeParticipant(list: ParticipantList, id: ParticipantId): ParticipantList {
  return list.filter((p) => p.id !== id);
}

/** Replaces a participant's entry where it stands (mute changes keep the order). */
export function updateParticipant(list: ParticipantList, p: Participant): ParticipantList {
  return list.map((q) => (q.id === p.id ? p : q));
}
