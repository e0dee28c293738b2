import { describe, expect, it } from 'vitest';
import type { FrameMeta } from '../generated/protocol';
import { acceptsFrame, FROZEN_WARN_MS, frozenBadge, HEADSET_HISTORY_MS } from './freeze';
import { OverlaySync, type OverlayTarget } from './sync';

const FRAME = 4500; // 20 fps at 90 kHz.

function meta(rtp: number): FrameMeta {
  return {
    rtp_timestamp: rtp,
    pose: { position: [0, 1.6, 3.4 + rtp / 1e6], rotation: [0, 0, 0, 1] },
    intrinsics: { fx: 623.5, fy: 623.5, cx: 640, cy: 360, width: 1280, height: 720 },
    capture_time_us: 1_700_000_000_000_000 + rtp,
  };
}

/** rVFC metadata of the frame `rtp`, presented at `at` (ms). */
function presented(rtp: number, at: number): VideoFrameCallbackMetadata {
  return {
    rtpTimestamp: rtp,
    presentationTime: at,
    expectedDisplayTime: at + 16,
    width: 1280,
    height: 720,
    mediaTime: 0,
    presentedFrames: 1,
  };
}

function setup() {
  const rendered: (number | null)[] = [];
  const target: OverlayTarget = {
    render: (frame: FrameMeta | null) => rendered.push(frame?.rtp_timestamp ?? null),
    setAnnotations: () => undefined,
  };
  const sync = new OverlaySync(target, () => undefined);
  for (let i = 0; i < 10; i++) sync.frameMeta(meta(i * FRAME));
  return { sync, rendered };
}

describe('freeze', () => {
  it('a stroke uses the displayed frame while live', () => {
    const { sync } = setup();
    expect(sync.strokeFrame()).toBeNull();
    sync.videoFrame(presented(1 * FRAME, 1000));
    expect(sync.strokeFrame()).toBe(1 * FRAME);
    sync.videoFrame(presented(2 * FRAME, 1050));
    expect(sync.strokeFrame()).toBe(2 * FRAME);
  });

  it('while frozen, strokes and the overlay stay on the frozen frame', () => {
    const { sync, rendered } = setup();
    sync.videoFrame(presented(1 * FRAME, 1000));
    sync.freeze(1010);
    expect(sync.frozen).toBe(true);
    // Frames presented after the pause (were any reported) do not replace the held one.
    sync.videoFrame(presented(2 * FRAME, 1050));
    sync.videoFrame(presented(3 * FRAME, 1100));
    expect(sync.strokeFrame()).toBe(1 * FRAME);
    expect(sync.displayed?.frame.rtp_timestamp).toBe(1 * FRAME);
    expect(rendered.at(-1)).toBe(1 * FRAME);
    // A resize re-renders with the held frame's pose.
    sync.render();
    expect(rendered.at(-1)).toBe(1 * FRAME);
    // Later camera data does not change it either.
    sync.frameMeta(meta(20 * FRAME));
    expect(sync.strokeFrame()).toBe(1 * FRAME);
  });

  it('takes the late callback of a frame presented before the pause: that frame is on screen', () => {
    const { sync } = setup();
    sync.videoFrame(presented(1 * FRAME, 1000));
    sync.freeze(1060);
    sync.videoFrame(presented(2 * FRAME, 1050)); // Presented at 1050, reported after the pause.
    expect(sync.strokeFrame()).toBe(2 * FRAME);
  });

  it('a frame presented before the pause whose camera data comes later still becomes the held one', () => {
    const { sync } = setup();
    sync.videoFrame(presented(1 * FRAME, 1000));
    sync.videoFrame(presented(30 * FRAME, 1050)); // No camera data yet.
    sync.freeze(1060);
    expect(sync.strokeFrame()).toBe(1 * FRAME);
    sync.frameMeta(meta(30 * FRAME));
    expect(sync.strokeFrame()).toBe(30 * FRAME);
  });

  it('unfreezing follows the live video again', () => {
    const { sync } = setup();
    sync.videoFrame(presented(1 * FRAME, 1000));
    sync.freeze(1010);
    sync.videoFrame(presented(2 * FRAME, 1050));
    sync.unfreeze();
    expect(sync.frozen).toBe(false);
    expect(sync.strokeFrame()).toBe(1 * FRAME);
    sync.videoFrame(presented(3 * FRAME, 9000));
    expect(sync.strokeFrame()).toBe(3 * FRAME);
  });

  it('acceptsFrame: everything while live, only frames presented by the pause while frozen', () => {
    expect(acceptsFrame(null, 5000)).toBe(true);
    expect(acceptsFrame(1000, 999)).toBe(true);
    expect(acceptsFrame(1000, 1000)).toBe(true);
    expect(acceptsFrame(1000, 1001)).toBe(false);
  });

  it('the badge warns once the headset may no longer hold the frozen frame', () => {
    expect(FROZEN_WARN_MS).toBeLessThan(HEADSET_HISTORY_MS);
    const fresh = frozenBadge(1200);
    expect(fresh.stale).toBe(false);
    expect(fresh.title).toBe('Frozen — live video paused');
    const old = frozenBadge(HEADSET_HISTORY_MS + 1500);
    expect(old.stale).toBe(true);
    expect(old.title).toBe('Frozen — live video paused');
    expect(old.detail).toMatch(/6 s old.*refused/);
  });
});
