// What the recording indicator says (pure).
import type { ParticipantId } from '../generated/protocol';
import type { Recording } from '../room/state';

/** `m:ss`, or `h:mm:ss` from an hour on; negative times (clocks apart) count as 0. */
export function elapsedText(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = String(total % 60).padStart(2, '0');
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}:${s}`;
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:${s}`;
}

/** Who started the recording, for the indicator: "by Ana", "by Ana (you)", "by the server". */
export function startedByText(recording: Recording, self: ParticipantId | null): string {
  const by = recording.status.started_by;
  if (by === null) return 'by the server';
  const name = recording.startedByName ?? 'someone who left';
  return by === self ? `by ${name} (you)` : `by ${name}`;
}
