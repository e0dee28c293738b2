// A recording's one timeline. Media time 0 is the first keyframe: a frame at media time t
// seconds has RTP timestamp `first_rtp_timestamp + t * 90000` (mod 2^32), and a journal event
// at server time `at_ms` is at media time `at_ms - started_at_ms` (see `RecordedMedia`).
import type { RecordedMedia } from '../generated/protocol';
import { VIDEO_CLOCK_RATE } from '../generated/protocol';
import { rtp32, rtpDiff } from '../frames';

export class MediaClock {
  constructor(private readonly media: RecordedMedia) {}

  /** The RTP timestamp of the frame presented at `seconds` (a `mediaTime` of the video). */
  rtpAt(seconds: number): number {
    return rtp32(this.media.first_rtp_timestamp + Math.round(seconds * VIDEO_CLOCK_RATE));
  }

  /** Media time (ms) of the frame with RTP timestamp `rtp`; negative before the first keyframe. */
  msOfRtp(rtp: number): number {
    return (rtpDiff(rtp, this.media.first_rtp_timestamp) * 1000) / VIDEO_CLOCK_RATE;
  }

  /** Media time (ms) of server time `atMs`. */
  msOfServerTime(atMs: number): number {
    return atMs - this.media.started_at_ms;
  }
}
