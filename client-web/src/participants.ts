// The room's participants (pure functions; each returns the same list when nothing changed).
import type { Participant, ParticipantId } from './generated/protocol';

export type ParticipantList = readonly Participant[];

/** Adds `p` at the end (they joined last), replacing an old entry with the same id. */
export function addParticipant(list: ParticipantList, p: Participant): ParticipantList {
  return [...list.filter((q) => q.id !== p.id), p];
}

export function removeParticipant(list: ParticipantList, id: ParticipantId): ParticipantList {
  return list.some((p) => p.id === id) ? list.filter((p) => p.id !== id) : list;
}

/** Replaces a participant's entry where it stands (mute changes keep the order). */
export function updateParticipant(list: ParticipantList, p: Participant): ParticipantList {
  return list.some((q) => q.id === p.id) ? list.map((q) => (q.id === p.id ? p : q)) : list;
}

/** The list with participant `id` muted or unmuted. */
export function setParticipantMuted(list: ParticipantList, id: ParticipantId, muted: boolean): ParticipantList {
  const p = list.find((q) => q.id === id);
  return p === undefined || p.muted === muted ? list : updateParticipant(list, { ...p, muted });
}

/** The list with participant `id` away (their headset off) or back. */
export function setParticipantAway(list: ParticipantList, id: ParticipantId, away: boolean): ParticipantList {
  const p = list.find((q) => q.id === id);
  return p === undefined || p.away === away ? list : updateParticipant(list, { ...p, away });
}

/** The name participant `id` goes by, null when they are not in the list. */
export function participantName(list: ParticipantList, id: ParticipantId | null): string | null {
  return id === null ? null : (list.find((p) => p.id === id)?.name ?? null);
}
