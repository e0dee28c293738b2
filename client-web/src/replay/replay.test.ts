import { describe, expect, it } from 'vitest';
import type { FrameMeta, JournalEvent, RoomChange, RoomSnapshot } from '../generated/protocol';
import { annotation, participant } from '../testing/fixtures';
import { MediaClock } from './clock';
import { FrameRecords } from './frameRecords';
import { formatMediaTime } from './format';
import { ReplayHistory } from './history';
import { buildTimeline } from './timeline';

// Media time 0 is RTP 4294900000 (near the wrap) and server time 1_000_000.
const FIRST_RTP = 4_294_900_000;
const clock = new MediaClock({ first_rtp_timestamp: FIRST_RTP, started_at_ms: 1_000_000 });
const rtpAtMs = (ms: number) => (FIRST_RTP + ms * 90) >>> 0;

function frame(ms: number): FrameMeta {
  return {
    rtp_timestamp: rtpAtMs(ms),
    pose: { position: [0, 1.6, ms / 1000], rotation: [0, 0, 0, 1] },
    intrinsics: { fx: 500, fy: 500, cx: 320, cy: 180, width: 640, height: 360 },
    capture_time_us: 1,
  };
}

describe('the media clock', () => {
  it('maps a media time to the RTP timestamp of its frame across the 32-bit wrap, and back', () => {
    expect(clock.rtpAt(0)).toBe(FIRST_RTP);
    expect(clock.rtpAt(2)).toBe((FIRST_RTP + 180_000) % 2 ** 32);
    expect(clock.rtpAt(2)).toBeLessThan(FIRST_RTP); // wrapped
    expect(clock.msOfRtp(clock.rtpAt(2))).toBe(2000);
    // A media time a float's breadth off its frame still finds the frame's timestamp.
    expect(clock.rtpAt(1 / 3 + 1e-9)).toBe(rtpAtMs(1000 / 3));
    expect(clock.msOfServerTime(1_002_500)).toBe(2500);
  });
});

describe('frame records', () => {
  const text = [frame(0), frame(33), frame(100)].map((f) => JSON.stringify(f)).join('\n') + '\n{"rtp_timest';

  it('are found by the RTP timestamp of the frame on screen; a line cut by a crash is skipped', () => {
    const records = new FrameRecords(text, clock);
    expect(records.size).toBe(3);
    expect(records.skipped).toBe(1);
    expect(records.get(clock.rtpAt(0.033))?.pose.position[2]).toBe(0.033);
    expect(records.get(clock.rtpAt(0.05))).toBeUndefined();
  });

  it('step to the next and the previous frame', () => {
    const records = new FrameRecords(text, clock);
    expect(records.next(0)).toBe(33);
    expect(records.next(33)).toBe(100);
    expect(records.next(50)).toBe(100);
    expect(records.next(100)).toBeNull();
    expect(records.previous(100)).toBe(33);
    expect(records.previous(33.2)).toBe(0);
    expect(records.previous(0)).toBeNull();
    expect(records.atOrAfter(33)).toBe(33);
    expect(records.atOrAfter(34)).toBe(100);
    expect(records.atOrAfter(101)).toBeNull();
  });
});

const ana = participant('p1', 'Ana');
const tom = participant('p2', 'Tom', 'technician');
// Drawn on the frame at 3 s, resolved at 3.4 s, deleted at 8 s; an arrow drawn at 5 s.
const valve = annotation('a1', { frame_rtp_timestamp: rtpAtMs(3000) });
const arrow = annotation('a2', {
  kind: 'arrow',
  points: [[0, 1, 0], [0, 1.2, 0.1]],
  frame_rtp_timestamp: rtpAtMs(5000),
  anchor: { type: 'world', pose: { position: [0, 0, 0], rotation: [0, 0, 0, 1] } },
});
const initial: RoomSnapshot = {
  room: 'demo',
  participants: [tom],
  annotations: [],
  equipment: [{ id: 'panel-1', name: 'Valve V-7' }],
  recording: null,
  version: 0,
};
const changes: [number, RoomChange][] = [
  [0, { kind: 'recording_started', recording_id: 'r-1', by: null }],
  [1000, { kind: 'joined', participant: ana }],
  [3400, { kind: 'mark_resolved', annotation: valve }],
  [5300, { kind: 'mark_resolved', annotation: arrow }],
  [6000, { kind: 'muted', participant_id: 'p1', muted: true }],
  [6500, { kind: 'mark_acknowledged', annotation_id: 'a1', by: tom.id }],
  [7000, { kind: 'away', participant_id: tom.id, away: true }],
  [7500, { kind: 'away', participant_id: tom.id, away: false }],
  [8000, { kind: 'mark_deleted', annotation_id: 'a1', by: 'p1' }],
  [9000, { kind: 'left', participant_id: 'p1' }],
  [9500, { kind: 'recording_stopped', recording_id: 'r-1', by: 'p2', reason: null }],
];
const events: JournalEvent[] = changes.map(([ms, change], i) => ({ seq: 10 + i, at_ms: 1_000_000 + ms, change }));

describe('the room at a moment of the recording', () => {
  const history = new ReplayHistory(initial, events, clock);
  const marksAt = (ms: number) => history.stateAt(ms).annotations.map((a) => a.id);

  it('shows a mark from the frame it was drawn on until it was deleted', () => {
    expect(marksAt(2999)).toEqual([]);
    expect(marksAt(3000)).toEqual(['a1']);
    expect(marksAt(4999)).toEqual(['a1']);
    expect(marksAt(5000)).toEqual(['a1', 'a2']);
    expect(marksAt(7999)).toEqual(['a1', 'a2']);
    expect(marksAt(8000)).toEqual(['a2']);
  });

  it('has the participants of each moment', () => {
    const names = (ms: number) => history.stateAt(ms).participants.map((p) => p.name);
    expect(names(500)).toEqual(['Tom']);
    expect(names(2000)).toEqual(['Tom', 'Ana']);
    expect(history.stateAt(7000).participants.find((p) => p.id === 'p1')?.muted).toBe(true);
    expect(names(9200)).toEqual(['Tom']);
  });
});

describe('the timeline', () => {
  const timeline = buildTimeline(initial, events, [{ bookmark_id: 1, media_time_ms: 4000, note: 'Open the valve', by: 'Tess', created_at_ms: 5 }], clock);

  it('lists every event with its author and equipment, and the bookmarks, in order', () => {
    expect(timeline.map((e) => [e.ms, e.text])).toEqual([
      [0, 'Recording started by the server'],
      [1000, 'Ana joined (expert)'],
      [3400, 'Ana placed a point on Valve V-7'],
      [4000, 'Open the valve — Tess'],
      [5300, 'Ana placed an arrow on world'],
      [6000, 'Ana muted their microphone'],
      [6500, 'Tom acknowledged the point on Valve V-7'],
      [7000, 'Tom took the headset off'],
      [7500, 'Tom put the headset back on'],
      [8000, 'Ana deleted a point on Valve V-7'],
      [9000, 'Ana left'],
      [9500, 'Recording stopped by Tom'],
    ]);
  });

  it('seeks to the frame a mark was drawn on, everything else to when it happened', () => {
    const seeks = Object.fromEntries(timeline.map((e) => [e.text, e.seekMs]));
    expect(seeks['Ana placed a point on Valve V-7']).toBe(3000);
    expect(seeks['Ana placed an arrow on world']).toBe(5000);
    expect(seeks['Ana deleted a point on Valve V-7']).toBe(8000);
    expect(seeks['Open the valve — Tess']).toBe(4000);
  });

  it('names a stop the server made by its reason', () => {
    const stop: JournalEvent = {
      seq: 99,
      at_ms: 1_001_000,
      change: { kind: 'recording_stopped', recording_id: 'r-1', by: null, reason: "the server's disk is full" },
    };
    expect(buildTimeline(initial, [stop], [], clock)[0]?.text).toBe("Recording stopped by the server: the server's disk is full");
  });
});

describe('media times', () => {
  it('are written as m:ss.mmm, or h:mm:ss', () => {
    expect(formatMediaTime(0)).toBe('0:00.000');
    expect(formatMediaTime(83_456.4)).toBe('1:23.456');
    expect(formatMediaTime(3_723_000, false)).toBe('1:02:03');
  });
});
