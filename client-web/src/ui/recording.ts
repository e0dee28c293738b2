// The recording indicator ("● REC", who started it, the time it has run), on every page while
// the room records, and the Record button of the roles that may record. The indicator is a
// polite live region: starting and stopping are announced, the ticking time is not.
import type { ParticipantId } from '../generated/protocol';
import type { Recording } from '../room/state';
import { elapsedText, startedByText } from './recordingText';

function span(className: string, text: string, hiddenFromReaders = false): HTMLSpanElement {
  const e = document.createElement('span');
  e.className = className;
  e.textContent = text;
  if (hiddenFromReaders) e.setAttribute('aria-hidden', 'true');
  return e;
}

export class RecordingIndicator {
  private shown: Recording | null = null;
  private self: ParticipantId | null = null;
  private elapsed: HTMLElement | null = null;

  constructor(private readonly root: HTMLElement) {
    root.dataset.recording = 'false';
  }

  show(recording: Recording | null, self: ParticipantId | null): void {
    if (recording === this.shown && self === this.self) return;
    const wasRecording = this.shown !== null;
    this.shown = recording;
    this.self = self;
    this.root.dataset.recording = String(recording !== null);
    document.body.dataset.recording = String(recording !== null);
    if (recording === null) {
      this.elapsed = null;
      this.root.replaceChildren(...(wasRecording ? [span('visually-hidden', 'Recording stopped')] : []));
      return;
    }
    this.elapsed = span('recording-elapsed', '', true);
    this.root.replaceChildren(
      span('recording-dot', '●', true),
      span('recording-rec', 'REC', true),
      span('visually-hidden', 'Recording'),
      span('recording-by', startedByText(recording, self)),
      this.elapsed,
    );
    this.tick();
  }

  /** Updates the time it has run (the server's clock against this one's). */
  tick(nowMs = Date.now()): void {
    if (this.shown && this.elapsed) this.elapsed.textContent = elapsedText(nowMs - this.shown.status.started_at_ms);
  }
}

/** The Record toggle: pressed while the room records. */
export function renderRecordButton(button: HTMLButtonElement, recording: boolean): void {
  button.setAttribute('aria-pressed', String(recording));
  button.title = recording
    ? 'Stop the recording (everyone in the room sees it stop)'
    : 'Record the session (everyone in the room sees it is recorded)';
}
