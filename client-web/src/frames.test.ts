import { describe, expect, it } from 'vitest';
import type { FrameMeta } from './generated/protocol';
import { FrameStore, parseFrameMeta, rtp32, rtpDiff } from './frames';

function meta(rtp: number): FrameMeta {
  return {
    rtp_timestamp: rtp,
    pose: { position: [0, 1.6, 3.4], rotation: [0, 0, 0, 1] },
    intrinsics: { fx: 623.5, fy: 623.5, cx: 640, cy: 360, width: 1280, height: 720 },
    capture_time_us: 1_700_000_000_000_000 + rtp,
  };
}

const FRAME = 3000; // 30 fps at 90 kHz.

describe('frame metadata store', () => {
  it('finds frames by RTP timestamp', () => {
    const store = new FrameStore(10);
    for (let i = 0; i < 5; i++) store.insert(meta(1000 + i * FRAME));
    expect(store.get(1000 + 2 * FRAME)?.rtp_timestamp).toBe(1000 + 2 * FRAME);
    expect(store.get(1000 + 2 * FRAME + 1)).toBeUndefined();
    expect(store.newest()?.rtp_timestamp).toBe(1000 + 4 * FRAME);
  });

  it('evicts the oldest frames beyond its capacity', () => {
    const store = new FrameStore(300);
    for (let i = 0; i < 400; i++) store.insert(meta(i * FRAME));
    expect(store.size).toBe(300);
    expect(store.get(99 * FRAME)).toBeUndefined();
    expect(store.get(100 * FRAME)).toBeDefined();
    expect(store.get(399 * FRAME)).toBeDefined();
  });

  it('evicts by age, not arrival, when the unordered channel reorders frames', () => {
    const store = new FrameStore(3);
    for (const i of [1, 0, 2, 3]) store.insert(meta(i * FRAME));
    expect(store.get(0)).toBeUndefined();
    expect(store.get(1 * FRAME)).toBeDefined();
    expect(store.get(3 * FRAME)).toBeDefined();
  });

  it('handles the 32-bit wrap of RTP timestamps', () => {
    const store = new FrameStore(5);
    const start = 2 ** 32 - 2 * FRAME; // Two frames before the wrap.
    const stamps = [0, 1, 2, 3, 4, 5, 6].map((i) => rtp32(start + i * FRAME));
    expect(stamps[2]).toBe(0);
    for (const ts of stamps) store.insert(meta(ts));
    // The newest is the one after the wrap; the oldest (before the wrap) were evicted.
    expect(store.newest()?.rtp_timestamp).toBe(4 * FRAME);
    expect(store.get(stamps[0] ?? -1)).toBeUndefined();
    expect(store.get(stamps[1] ?? -1)).toBeUndefined();
    expect(store.get(stamps[2] ?? -1)).toBeDefined();
    expect(store.get(2 ** 32 + 4 * FRAME)?.rtp_timestamp).toBe(4 * FRAME); // Looked up mod 2³².
    expect(rtpDiff(0, 2 ** 32 - FRAME)).toBe(FRAME);
    expect(rtpDiff(2 ** 32 - FRAME, 0)).toBe(-FRAME);
  });

  it('starts over when the stream restarts with a new timestamp base', () => {
    const store = new FrameStore(10);
    for (let i = 0; i < 5; i++) store.insert(meta(i * FRAME));
    store.insert(meta(2_000_000_000));
    expect(store.size).toBe(1);
    expect(store.get(2_000_000_000)).toBeDefined();
  });
});

describe('parseFrameMeta', () => {
  it('accepts a FrameMeta message', () => {
    expect(parseFrameMeta(JSON.stringify(meta(42)))).toEqual(meta(42));
  });

  it('rejects anything else', () => {
    expect(parseFrameMeta('not json')).toBeNull();
    expect(parseFrameMeta('{"rtp_timestamp": 1}')).toBeNull();
    const bad = { ...meta(1), pose: { position: [0, 0], rotation: [0, 0, 0, 1] } };
    expect(parseFrameMeta(JSON.stringify(bad))).toBeNull();
    const zero = { ...meta(1), intrinsics: { ...meta(1).intrinsics, fx: 0 } };
    expect(parseFrameMeta(JSON.stringify(zero))).toBeNull();
  });
});
