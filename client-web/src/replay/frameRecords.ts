// A recording's frame records (`frames.ndjson`: one `FrameMeta` a line, as relayed), looked up
// by the RTP timestamp of the frame on screen, and in media-time order for stepping.
import type { FrameMeta } from '../generated/protocol';
import { parseFrameMeta, rtp32 } from '../frames';
import type { MediaClock } from './clock';

export class FrameRecords {
  private readonly byRtp = new Map<number, FrameMeta>();
  /** Media times (ms) of the recorded frames, ascending. */
  readonly times: readonly number[];
  /** Lines that were not frame records (a crash can cut the last one). */
  readonly skipped: number;

  constructor(ndjson: string, clock: MediaClock) {
    let skipped = 0;
    const times: number[] = [];
    for (const line of ndjson.split('\n')) {
      if (line.trim() === '') continue;
      const meta = parseFrameMeta(line);
      if (!meta) {
        skipped++;
        continue;
      }
      const key = rtp32(meta.rtp_timestamp);
      if (!this.byRtp.has(key)) times.push(clock.msOfRtp(key));
      this.byRtp.set(key, meta);
    }
    this.times = times.sort((a, b) => a - b);
    this.skipped = skipped;
  }

  get size(): number {
    return this.byRtp.size;
  }

  get(rtp: number): FrameMeta | undefined {
    return this.byRtp.get(rtp32(rtp));
  }

  /** Media time (ms) of the first frame at `ms` (within half a millisecond) or after it, or null. */
  atOrAfter(ms: number): number | null {
    return this.times[upperBound(this.times, ms - 0.5)] ?? null;
  }

  /** Media time (ms) of the first frame after `ms` (more than half a millisecond on), or null. */
  next(ms: number): number | null {
    const i = upperBound(this.times, ms + 0.5);
    return this.times[i] ?? null;
  }

  /** Media time (ms) of the last frame before `ms` (more than half a millisecond back), or null. */
  previous(ms: number): number | null {
    const i = upperBound(this.times, ms - 0.5) - 1;
    return this.times[i] ?? null;
  }
}

/** The index of the first element of ascending `values` greater than `x`. */
export function upperBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] ?? Infinity) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
