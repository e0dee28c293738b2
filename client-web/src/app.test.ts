import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClientMessage, ServerMessage } from './generated/protocol';
import { App, type RoomLink } from './app';
import { annotation } from './testing/fixtures';

function setUp(connected = true) {
  const sent: ClientMessage[] = [];
  const notices: { code: string; detail: string | undefined }[] = [];
  let nextRef = 1;
  const link: RoomLink = {
    send: (m) => connected && sent.push(m) > 0,
    annotate: () => (connected ? nextRef++ : null),
  };
  const app = new App(link, { room: () => undefined, pending: () => undefined, notice: (code, detail) => notices.push({ code, detail }) });
  return { app, sent, notices };
}

const started: ServerMessage = {
  type: 'recording_started',
  recording: { recording_id: 'r1', started_by: 'p1', started_at_ms: 1 },
};

describe('the page model', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('starts a recording when none runs, and stops the one running', () => {
    const { app, sent } = setUp();
    app.toggleRecording();
    app.handle(started);
    app.toggleRecording();
    expect(sent).toEqual([{ type: 'start_recording' }, { type: 'stop_recording' }]);
  });

  it("shows the server's reason when it stops a recording, and nothing when a person did", () => {
    const { app, notices } = setUp();
    app.handle(started);
    app.handle({ type: 'recording_stopped', recording_id: 'r1', by: 'p1', reason: null });
    expect(app.room.recording).toBeNull();
    app.handle({ ...started, recording: { ...started.recording, recording_id: 'r2' } });
    app.handle({ type: 'recording_stopped', recording_id: 'r2', by: null, reason: 'the disk is full' });
    expect(notices).toEqual([{ code: 'recording_stopped', detail: 'the disk is full' }]);
  });

  it('says so when a request cannot be sent', () => {
    const { app, notices } = setUp(false);
    app.toggleRecording();
    app.annotate('point', [[0.5, 0.5]], '#ff2d95', 1);
    expect(notices.map((n) => n.code)).toEqual(['not_connected', 'not_connected']);
    expect(app.pending).toEqual([]);
  });

  it('keeps a pending mark until it is placed, refused, or too old', () => {
    const { app } = setUp();
    app.annotate('point', [[0.5, 0.5]], '#ff2d95', 1);
    app.annotate('point', [[0.2, 0.2]], '#ff2d95', 2);
    app.annotate('point', [[0.7, 0.7]], '#ff2d95', 3);
    app.handle({ type: 'annotation_accepted', client_ref: 1, annotation_id: 'a1' });
    app.handle({ type: 'annotation_added', annotation: annotation('a1') });
    app.handle({ type: 'error', code: 'no_surface', message: '', client_ref: 2, annotation_id: null });
    expect(app.pending.map((m) => m.clientRef)).toEqual([3]);
    expect(app.room.annotations.map((a) => a.id)).toEqual(['a1']);
    vi.advanceTimersByTime(31_000);
    expect(app.pending).toEqual([]);
  });

  it('forgets the selection when the selected mark is deleted', () => {
    const { app } = setUp();
    app.handle({ type: 'annotation_added', annotation: annotation('a1') });
    app.select('a1');
    app.handle({ type: 'annotation_deleted', annotation_id: 'a1', by: 'p2' });
    expect(app.selected).toBeNull();
  });
});
