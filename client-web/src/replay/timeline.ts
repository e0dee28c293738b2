// The events a trainer sees under the video, in media-time order: marks added and deleted
// (with author and equipment), joins and leaves, mutes, the recording's start and stop, and
// the trainers' bookmarks. Clicking one seeks to `seekMs`: for a mark, the frame it was drawn on.
import type { Annotation, AnnotationId, Bookmark, JournalEvent, ParticipantId, RoomSnapshot } from '../generated/protocol';
import { anchorLabel, equipmentNames, type EquipmentNames } from '../equipment';
import type { MediaClock } from './clock';

export type EntryKind = 'mark' | 'mark_deleted' | 'mark_acknowledged' | 'joined' | 'left' | 'muted' | 'away' | 'recording' | 'bookmark';

export interface TimelineEntry {
  kind: EntryKind;
  /** When it happened, media time (ms). */
  ms: number;
  /** Where a click seeks to, media time (ms). */
  seekMs: number;
  text: string;
  /** The journal event's seq, null for a bookmark. */
  seq: number | null;
  /** The mark it concerns, for mark entries. */
  annotationId: AnnotationId | null;
}

/** Who everyone was: every participant the recording saw, by id (names outlive leaving). */
function nameBook(initial: RoomSnapshot, events: readonly JournalEvent[]): Map<ParticipantId, string> {
  const names = new Map(initial.participants.map((p) => [p.id, p.name]));
  for (const e of events) if (e.change.kind === 'joined') names.set(e.change.participant.id, e.change.participant.name);
  return names;
}

/** The equipment names the room knew by the end (a later report adds to what an earlier said). */
function equipmentBook(initial: RoomSnapshot, events: readonly JournalEvent[]): EquipmentNames {
  const items = [...initial.equipment];
  for (const e of events) if (e.change.kind === 'equipment') items.push(...e.change.items);
  return equipmentNames(items);
}

function markText(who: string, a: Annotation, equipment: EquipmentNames, deleted: boolean): string {
  const where = anchorLabel(a, equipment).text;
  const what = a.kind === 'arrow' ? 'an arrow' : 'a point';
  return deleted ? `${who} deleted ${what} on ${where}` : `${who} placed ${what} on ${where}`;
}

export function buildTimeline(
  initial: RoomSnapshot,
  events: readonly JournalEvent[],
  bookmarks: readonly Bookmark[],
  clock: MediaClock,
): TimelineEntry[] {
  const names = nameBook(initial, events);
  const who = (id: ParticipantId | null) => (id === null ? 'the server' : (names.get(id) ?? `someone (${id})`));
  const equipment = equipmentBook(initial, events);
  const marks = new Map(initial.annotations.map((a) => [a.id, a]));
  const entries: TimelineEntry[] = [];
  for (const e of events) {
    const ms = clock.msOfServerTime(e.at_ms);
    const entry = (kind: EntryKind, text: string, annotationId: AnnotationId | null = null, seekMs = ms) =>
      entries.push({ kind, ms, seekMs, text, seq: e.seq, annotationId });
    const c = e.change;
    switch (c.kind) {
      case 'mark_resolved': {
        marks.set(c.annotation.id, c.annotation);
        const drawnAt = clock.msOfRtp(c.annotation.frame_rtp_timestamp);
        entry('mark', markText(who(c.annotation.author), c.annotation, equipment, false), c.annotation.id, drawnAt);
        break;
      }
      case 'mark_deleted': {
        const a = marks.get(c.annotation_id);
        entry('mark_deleted', a ? markText(who(c.by), a, equipment, true) : `${who(c.by)} deleted a mark`, c.annotation_id);
        break;
      }
      case 'mark_acknowledged': {
        const a = marks.get(c.annotation_id);
        const what = a ? `${a.kind === 'arrow' ? 'the arrow' : 'the point'} on ${anchorLabel(a, equipment).text}` : 'a mark';
        entry('mark_acknowledged', `${who(c.by)} acknowledged ${what}`, c.annotation_id);
        break;
      }
      case 'joined':
        entry('joined', `${c.participant.name} joined (${c.participant.role})`);
        break;
      case 'left':
        entry('left', `${who(c.participant_id)} left`);
        break;
      case 'muted':
        entry('muted', `${who(c.participant_id)} ${c.muted ? 'muted' : 'unmuted'} their microphone`);
        break;
      case 'away':
        entry('away', `${who(c.participant_id)} ${c.away ? 'took the headset off' : 'put the headset back on'}`);
        break;
      case 'recording_started':
        entry('recording', `Recording started by ${who(c.by)}`);
        break;
      case 'recording_stopped':
        entry('recording', `Recording stopped by ${c.by === null && c.reason ? `the server: ${c.reason}` : who(c.by)}`);
        break;
      case 'mark_requested':
      case 'mark_failed':
      case 'equipment':
        break; // The resolution is the mark's entry; a failed one never showed.
    }
  }
  for (const b of bookmarks) {
    entries.push({ kind: 'bookmark', ms: b.media_time_ms, seekMs: b.media_time_ms, text: `${b.note} — ${b.by}`, seq: null, annotationId: null });
  }
  return entries.sort((a, b) => a.ms - b.ms || (a.seq ?? Infinity) - (b.seq ?? Infinity));
}
