// Freezing the view (pure parts): the paused video keeps showing one frame, and the overlay and
// every stroke stay on that frame's camera data until the view is live again.

/** The headset keeps the camera data of this many seconds of frames (`frame_history.rs`). */
export const HEADSET_HISTORY_MS = 5_000;
/**
 * Warn this long after the frozen frame arrived: its age at the headset is also the network
 * delay and the headset's encode time, unknown here.
 */
export const FROZEN_WARN_MS = HEADSET_HISTORY_MS - 1_000;

/**
 * Whether a frame that `requestVideoFrameCallback` reports as presented at `presentationTime`
 * may become the displayed frame. While live (`frozenAt` null), always. While frozen, only a
 * frame the video had already presented when it was paused at `frozenAt`: its callback can run
 * just after the pause, and it is the frame the paused video holds. Nothing later replaces it.
 */
export function acceptsFrame(frozenAt: number | null, presentationTime: number): boolean {
  return frozenAt === null || presentationTime <= frozenAt;
}

/**
 * The badge over a frozen view. `frameAgeMs` is how long ago the frozen frame arrived; once the
 * headset may have dropped its camera data, the badge says marks on it will be refused.
 */
export function frozenBadge(frameAgeMs: number): { title: string; detail: string; stale: boolean } {
  const stale = frameAgeMs >= FROZEN_WARN_MS;
  const seconds = Math.max(0, Math.floor(frameAgeMs / 1000));
  return {
    title: 'Frozen — live video paused',
    detail: stale
      ? `This frame is ${seconds} s old and the headset keeps only ${HEADSET_HISTORY_MS / 1000} s: ` +
        'marks on it will be refused. Press F for live video.'
      : 'Marks are placed on this frame. Press F for live video.',
    stale,
  };
}
