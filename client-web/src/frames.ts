// The frame-metadata store: the last few hundred `FrameMeta`s from the 'frames' data channel,
// keyed by the RTP timestamp that `requestVideoFrameCallback` reports for the displayed frame.
import type { FrameMeta } from './generated/protocol';

const RTP_HALF_RANGE = 2 ** 31;
/** A jump larger than this (10 s at 90 kHz) means the stream restarted with a new base. */
const DISCONTINUITY_TICKS = 10 * 90_000;

/** An RTP timestamp reduced to its 32-bit value. */
export function rtp32(ts: number): number {
  return ts >>> 0;
}

/** How many ticks `a` is after `b` in 32-bit serial arithmetic (negative when before). */
export function rtpDiff(a: number, b: number): number {
  const d = (rtp32(a) - rtp32(b)) >>> 0;
  return d >= RTP_HALF_RANGE ? d - 2 ** 32 : d;
}

export class FrameStore {
  private readonly frames = new Map<number, FrameMeta>();
  private newestKey: number | null = null;

  constructor(readonly capacity = 300) {}

  get size(): number {
    return this.frames.size;
  }

  insert(meta: FrameMeta): void {
    const key = rtp32(meta.rtp_timestamp);
    if (this.newestKey !== null && Math.abs(rtpDiff(key, this.newestKey)) > DISCONTINUITY_TICKS) {
      this.frames.clear();
      this.newestKey = null;
    }
    this.frames.set(key, meta);
    if (this.newestKey === null || rtpDiff(key, this.newestKey) > 0) this.newestKey = key;
    while (this.frames.size > this.capacity) this.evictOldest();
  }

  get(rtpTimestamp: number): FrameMeta | undefined {
    return this.frames.get(rtp32(rtpTimestamp));
  }

  newest(): FrameMeta | undefined {
    return this.newestKey === null ? undefined : this.frames.get(this.newestKey);
  }

  private evictOldest(): void {
    const newest = this.newestKey;
    if (newest === null) return;
    let oldest: number | null = null;
    let oldestAge = -Infinity;
    for (const key of this.frames.keys()) {
      const age = rtpDiff(newest, key);
      if (age > oldestAge) {
        oldestAge = age;
        oldest = key;
      }
    }
    if (oldest !== null) this.frames.delete(oldest);
  }
}

function isNumberArray(v: unknown, n: number): v is number[] {
  return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && isFinite(x));
}

/** A `FrameMeta` from a data-channel message, or null when it is not one. */
export function parseFrameMeta(text: string): FrameMeta | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Partial<Record<keyof FrameMeta, unknown>>;
  const pose = m.pose as { position?: unknown; rotation?: unknown } | undefined;
  const k = m.intrinsics as Record<string, unknown> | undefined;
  const ok =
    typeof m.rtp_timestamp === 'number' &&
    typeof m.capture_time_us === 'number' &&
    typeof pose === 'object' &&
    isNumberArray(pose.position, 3) &&
    isNumberArray(pose.rotation, 4) &&
    typeof k === 'object' &&
    ['fx', 'fy', 'cx', 'cy', 'width', 'height'].every((f) => typeof k[f] === 'number') &&
    (k.fx as number) > 0 &&
    (k.fy as number) > 0 &&
    (k.width as number) > 0 &&
    (k.height as number) > 0;
  return ok ? (v as FrameMeta) : null;
}
