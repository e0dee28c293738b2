//! The encoder follows the congestion controller: the video bitrate tracks the path's estimate,
//! and when even the lowest sensible bitrate is too much the frame rate steps down, so video
//! degrades smoothly instead of freezing. (The resolution stays: changing it would need a new
//! render target; the frame rate is what a wearer notices least.)

use std::time::{Duration, Instant};

/// What the voice and packet overhead take from the estimate before video gets the rest.
const AUDIO_AND_OVERHEAD_BPS: f64 = 60_000.0;
/// Video's share of what is left: the estimate is a ceiling, not a target to fill.
const VIDEO_SHARE: f64 = 0.9;
/// Below this, H.264 at our sizes falls apart; lower estimates cost frame rate instead.
pub const MIN_VIDEO_BPS: u32 = 100_000;
/// A change smaller than this is not worth telling the encoder.
const MIN_RELATIVE_CHANGE: f64 = 0.15;
/// The frame rate steps back up only when the estimate clears the step by this factor.
const FRAME_RATE_RISE_MARGIN: f64 = 1.3;
/// Rises wait this long after the last change; falls act at once.
const RISE_HOLD: Duration = Duration::from_secs(2);

/// The bit rate of retransmissions, from the sender's cumulative byte count: what the network's
/// estimate carries besides new video, so the encoder leaves room for it. Without this, a loss
/// burst on a full link makes repairs compete with new frames and both arrive late.
#[derive(Default)]
pub struct RetransmissionRate {
    last: Option<(Instant, u64)>,
    bps: f64,
}

impl RetransmissionRate {
    /// Weight of the newest interval in the smoothed rate.
    const NEWEST_WEIGHT: f64 = 0.5;

    /// Takes the cumulative retransmitted bytes at `now`; returns the smoothed rate (bit/s).
    pub fn update(&mut self, now: Instant, total_bytes: u64) -> f64 {
        if let Some((then, bytes)) = self.last {
            let seconds = now.duration_since(then).as_secs_f64();
            if seconds > 0.0 {
                // A new connection starts counting from zero again.
                let sent = total_bytes.saturating_sub(bytes) as f64 * 8.0 / seconds;
                self.bps += Self::NEWEST_WEIGHT * (sent - self.bps);
            }
        }
        self.last = Some((now, total_bytes));
        self.bps
    }

    pub fn bps(&self) -> f64 {
        self.bps
    }
}

pub struct RateFollower {
    max_bps: u32,
    current_bps: u32,
    last_change: Option<Instant>,
    frames: u64,
    /// From the estimate: keep one frame in `keep_one_in`.
    keep_one_in: u64,
}

impl RateFollower {
    /// Starts at `max_bps`, the configured bitrate, which the estimate never exceeds.
    pub fn new(max_bps: u32) -> Self {
        Self {
            max_bps,
            current_bps: max_bps,
            last_change: None,
            frames: 0,
            keep_one_in: 1,
        }
    }

    pub fn video_bps(&self) -> u32 {
        self.current_bps
    }

    /// Frames per second kept of the rendered `fps`.
    pub fn kept_fps(&self, fps: f32) -> f32 {
        fps / self.keep_one_in as f32
    }

    /// Takes the estimate (bits per second for everything sent); returns the encoder's new
    /// bitrate when it should change.
    pub fn update(&mut self, estimate_bps: f64, now: Instant) -> Option<u32> {
        if !estimate_bps.is_finite() || estimate_bps <= 0.0 {
            return None;
        }
        let available = (estimate_bps - AUDIO_AND_OVERHEAD_BPS).max(0.0) * VIDEO_SHARE;
        // Frame rate steps where the bitrate cannot go lower: down at once, up only with a
        // margin, so an estimate wobbling around a step does not make the video stutter.
        let step = |a: f64| match a {
            a if a >= 250_000.0 => 1,
            a if a >= 150_000.0 => 2,
            _ => 3,
        };
        let (fewer, more) = (step(available), step(available / FRAME_RATE_RISE_MARGIN));
        if fewer > self.keep_one_in {
            self.keep_one_in = fewer;
        } else if more < self.keep_one_in {
            self.keep_one_in = more;
        }
        let wanted = (available as u32).clamp(MIN_VIDEO_BPS, self.max_bps);
        let change =
            (f64::from(wanted) - f64::from(self.current_bps)) / f64::from(self.current_bps);
        let held = self
            .last_change
            .is_some_and(|t| now.duration_since(t) < RISE_HOLD);
        if change.abs() < MIN_RELATIVE_CHANGE || (change > 0.0 && held) {
            return None;
        }
        self.current_bps = wanted;
        self.last_change = Some(now);
        Some(wanted)
    }

    /// Whether to encode the next rendered frame.
    pub fn keep_frame(&mut self) -> bool {
        self.frames += 1;
        self.frames.is_multiple_of(self.keep_one_in)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retransmission_rate_follows_the_byte_count_smoothly() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut r = RetransmissionRate::default();
        assert_eq!(r.update(at(0), 0), 0.0, "one sample is no rate");
        assert_eq!(r.update(at(1), 10_000), 40_000.0, "80 kbit/s, half weight");
        assert_eq!(r.update(at(2), 20_000), 60_000.0);
        assert_eq!(
            r.update(at(3), 20_000),
            30_000.0,
            "repairs stopped: it falls"
        );
        assert_eq!(
            r.update(at(4), 0),
            15_000.0,
            "a new connection's count restarts"
        );
    }

    #[test]
    fn the_bitrate_follows_the_estimate_down_at_once_and_up_after_a_hold() {
        let t0 = Instant::now();
        let mut f = RateFollower::new(1_500_000);
        assert_eq!(f.update(1_600_000.0, t0), None, "within 15 %: no change");
        let down = f.update(1_000_000.0, t0).unwrap();
        assert!((800_000..900_000).contains(&down), "{down}");
        assert_eq!(
            f.update(300_000.0, t0 + Duration::from_millis(100)),
            Some(216_000)
        );
        assert_eq!(
            f.update(2_000_000.0, t0 + Duration::from_secs(1)),
            None,
            "rises wait"
        );
        assert_eq!(
            f.update(2_000_000.0, t0 + Duration::from_secs(3)),
            Some(1_500_000)
        );
    }

    #[test]
    fn frame_rate_steps_down_only_when_the_bitrate_is_at_its_floor() {
        let now = Instant::now();
        let kept = |f: &mut RateFollower| (0..30).filter(|_| f.keep_frame()).count();
        let mut f = RateFollower::new(1_500_000);
        assert_eq!(kept(&mut f), 30);
        f.update(300_000.0, now);
        assert_eq!(kept(&mut f), 15, "216 kbit/s: 15 of 30 frames");
        f.update(150_000.0, now);
        assert_eq!(kept(&mut f), 10);
        assert_eq!(f.video_bps(), MIN_VIDEO_BPS);
        assert_eq!(f.kept_fps(30.0), 10.0);
        // A wobble just above the step does not bring frames back; a clear rise does.
        f.update(360_000.0, now);
        assert_eq!(kept(&mut f), 15);
        f.update(460_000.0, now);
        assert_eq!(kept(&mut f), 30);
    }
}
