import { describe, expect, it } from 'vitest';
import type { JournalEvent, RoomChange, RoomSnapshot, ServerMessage } from '../generated/protocol';
import { annotation, participant } from '../testing/fixtures';
import { foldEvents, reduceEvent, reduceMessage } from './reduce';
import { EMPTY_ROOM, roomFromSnapshot, type RoomState } from './state';

const ana = participant('p1', 'Ana');
const tom = participant('p2', 'Tom', 'technician');
const olga = participant('p3', 'Olga', 'observer');
const panel = annotation('a1');
const arrow = annotation('a2', { kind: 'arrow', points: [[0, 1, 0], [0, 1.2, 0.1]] });
const world = annotation('a3', { anchor: { type: 'world', pose: { position: [1, 0, 2], rotation: [0, 0, 0, 1] } } });
const items = [{ id: 'panel-1', name: 'Control panel CP-3' }];
const request = { kind: 'point' as const, frame_rtp_timestamp: 1234, points: [[0.5, 0.5]] as [number, number][], color: '#ff2d95' };

/** One history, as journal changes (`at_ms` 1000, 2000, …) and as the live messages that said it. */
const history: [RoomChange, ServerMessage | null][] = [
  [{ kind: 'joined', participant: tom }, { type: 'participant_joined', participant: tom }],
  [{ kind: 'equipment', items }, { type: 'equipment_updated', items }],
  [{ kind: 'joined', participant: ana }, { type: 'participant_joined', participant: ana }],
  [{ kind: 'mark_requested', annotation_id: 'a1', author: 'p1', client_ref: 1, request }, null],
  [{ kind: 'mark_resolved', annotation: panel }, { type: 'annotation_added', annotation: panel }],
  [{ kind: 'recording_started', recording_id: 'r1', by: 'p1' }, {
    type: 'recording_started',
    recording: { recording_id: 'r1', started_by: 'p1', started_at_ms: 6000 },
  }],
  [{ kind: 'joined', participant: olga }, { type: 'participant_joined', participant: olga }],
  [{ kind: 'mark_requested', annotation_id: 'a3', author: 'p1', client_ref: 2, request }, null],
  // Resolved in the other order than requested: the state keeps the order resolved.
  [{ kind: 'mark_resolved', annotation: world }, { type: 'annotation_added', annotation: world }],
  [{ kind: 'mark_resolved', annotation: arrow }, { type: 'annotation_added', annotation: arrow }],
  [{ kind: 'mark_failed', annotation_id: 'a4', code: 'no_surface' }, null],
  [{ kind: 'mark_acknowledged', annotation_id: 'a3', by: tom.id }, { type: 'annotation_acknowledged', annotation_id: 'a3', by: tom.id }],
  [{ kind: 'muted', participant_id: 'p1', muted: true }, { type: 'participant_updated', participant: { ...ana, muted: true } }],
  [{ kind: 'away', participant_id: tom.id, away: true }, { type: 'participant_updated', participant: { ...tom, away: true } }],
  [{ kind: 'mark_deleted', annotation_id: 'a1', by: 'p1' }, { type: 'annotation_deleted', annotation_id: 'a1', by: 'p1' }],
  [{ kind: 'left', participant_id: 'p3' }, { type: 'participant_left', participant_id: 'p3' }],
];

const events: JournalEvent[] = history.map(([change], i) => ({ seq: i + 1, at_ms: (i + 1) * 1000, change }));
const messages = history.flatMap(([, m]) => (m === null ? [] : [m]));

function event(change: RoomChange, at_ms = 1000): JournalEvent {
  return { seq: 1, at_ms, change };
}

describe('room reducers', () => {
  it('fold a journal into the same state as the live messages of that history', () => {
    const fromEvents = foldEvents(EMPTY_ROOM, events);
    const fromMessages = messages.reduce(reduceMessage, EMPTY_ROOM);
    expect(fromEvents).toEqual(fromMessages);
    expect(fromEvents.participants).toEqual([{ ...tom, away: true }, { ...ana, muted: true }]);
    expect(fromEvents.annotations.map((a) => a.id)).toEqual(['a3', 'a2']);
    expect(fromEvents.annotations.map((a) => a.acknowledged_by)).toEqual([tom.id, null]);
    expect(fromEvents.equipment.get('panel-1')).toBe('Control panel CP-3');
    expect(fromEvents.recording).toEqual({
      status: { recording_id: 'r1', started_by: 'p1', started_at_ms: 6000 },
      startedByName: 'Ana',
    });
  });

  it('fold any prefix of the journal like the messages said so far', () => {
    for (let n = 0; n <= history.length; n++) {
      const said = history.slice(0, n).flatMap(([, m]) => (m === null ? [] : [m]));
      expect(foldEvents(EMPTY_ROOM, events.slice(0, n))).toEqual(said.reduce(reduceMessage, EMPTY_ROOM));
    }
  });

  it('replace everything with a join snapshot, recording included', () => {
    const snapshot: RoomSnapshot = {
      room: 'demo',
      participants: [tom, ana],
      annotations: [arrow],
      equipment: items,
      recording: { recording_id: 'r9', started_by: 'p1', started_at_ms: 42 },
      version: 3,
    };
    const joined: ServerMessage = { type: 'joined', participant_id: 'p3', role: 'observer', snapshot, resume_key: 'k' };
    const state = reduceMessage(foldEvents(EMPTY_ROOM, events), joined);
    expect(state).toEqual(roomFromSnapshot(snapshot));
    expect(state.annotations).toEqual([arrow]);
    expect(state.recording?.startedByName).toBe('Ana');
  });

  it('drop a deleted mark, and keep the others in order', () => {
    const state = foldEvents(EMPTY_ROOM, [
      event({ kind: 'mark_resolved', annotation: panel }),
      event({ kind: 'mark_resolved', annotation: arrow }),
      event({ kind: 'mark_resolved', annotation: world }),
      event({ kind: 'mark_deleted', annotation_id: 'a2', by: 'p1' }),
    ]);
    expect(state.annotations.map((a) => a.id)).toEqual(['a1', 'a3']);
  });

  it('say who started and who stopped a recording, and why the server stopped one', () => {
    const start = (id: string, by: string | null, at: number) =>
      event({ kind: 'recording_started', recording_id: id, by }, at);
    const withAna = reduceEvent(EMPTY_ROOM, event({ kind: 'joined', participant: ana }));
    const running = reduceEvent(withAna, start('r1', 'p1', 5000));
    expect(running.recording).toEqual({
      status: { recording_id: 'r1', started_by: 'p1', started_at_ms: 5000 },
      startedByName: 'Ana',
    });
    // Who started it stays known after they leave.
    const anaLeft = reduceEvent(running, event({ kind: 'left', participant_id: 'p1' }));
    expect(anaLeft.recording?.startedByName).toBe('Ana');

    const stopped = reduceEvent(running, event({ kind: 'recording_stopped', recording_id: 'r1', by: 'p1', reason: null }));
    expect(stopped.recording).toBeNull();
    expect(stopped.lastStop).toEqual({ recordingId: 'r1', by: 'p1', byName: 'Ana', reason: null });

    const auto = reduceEvent(stopped, start('r2', null, 9000));
    expect(auto.recording?.startedByName).toBeNull();
    expect(auto.lastStop).toBeNull();
    const full = reduceMessage(auto, { type: 'recording_stopped', recording_id: 'r2', by: null, reason: 'the disk is full' });
    expect(full.recording).toBeNull();
    expect(full.lastStop).toEqual({ recordingId: 'r2', by: null, byName: null, reason: 'the disk is full' });
  });

  it('ignore unknown ids: the same state comes back', () => {
    const state = foldEvents(EMPTY_ROOM, events);
    const unknown: RoomChange[] = [
      { kind: 'left', participant_id: 'nobody' },
      { kind: 'muted', participant_id: 'nobody', muted: true },
      { kind: 'muted', participant_id: 'p1', muted: true }, // Already muted.
      { kind: 'mark_deleted', annotation_id: 'a404', by: 'p1' },
      { kind: 'mark_deleted', annotation_id: 'a1', by: 'p1' }, // Already deleted.
      { kind: 'recording_stopped', recording_id: 'r404', by: 'p1', reason: null },
      { kind: 'recording_started', recording_id: 'r1', by: 'p1' }, // Already running.
      { kind: 'mark_requested', annotation_id: 'a9', author: 'p1', client_ref: 9, request },
      { kind: 'mark_failed', annotation_id: 'a404', code: 'frame_gone' },
    ];
    for (const change of unknown) expect(reduceEvent(state, event(change))).toBe(state);
    const ignored: ServerMessage[] = [
      { type: 'participant_left', participant_id: 'nobody' },
      { type: 'participant_updated', participant: participant('nobody', 'X') },
      { type: 'annotation_deleted', annotation_id: 'a404', by: 'p1' },
      { type: 'recording_stopped', recording_id: 'r404', by: null, reason: 'x' },
      { type: 'annotation_accepted', client_ref: 1, annotation_id: 'a9' },
      { type: 'error', code: 'no_surface', message: '', client_ref: 1, annotation_id: 'a9' },
      { type: 'answer', sdp: 'v=0' },
      { type: 'closing', message: 'bye' },
    ];
    for (const m of ignored) expect(reduceMessage(state, m)).toBe(state);
  });

  it('never change the state they are given', () => {
    const before: RoomState = foldEvents(EMPTY_ROOM, events.slice(0, 6));
    const copy = structuredClone(before);
    foldEvents(before, events.slice(6));
    expect(before).toEqual(copy);
  });
});
