//! The encoder follows the congestion controller: the video bitrate tracks the path's estimate;
//! when the bitrate is too low for the picture's size and rate to look right, the encoded
//! resolution halves (the render keeps its size: the encoder scales down), and at the smallest
//! resolution the frame rate steps down. Video degrades smoothly instead of freezing.

use crate::encoder::scales_exactly;
use std::time::{Duration, Instant};

/// What the voice and packet overhead take from the estimate before video gets the rest.
const AUDIO_AND_OVERHEAD_BPS: f64 = 60_000.0;
/// Video's share of what is left: the estimate is a ceiling, not a target to fill.
const VIDEO_SHARE: f64 = 0.9;
/// Below this the encoder is not asked to go; lower estimates cost resolution and frame rate.
pub const MIN_VIDEO_BPS: u32 = 50_000;
/// Encoded bits per pixel per frame below which H.264 at these sizes smears detail: 250 kbit/s
/// at 640x360 and 30 frames/s.
const BITS_PER_PIXEL: f64 = 0.036;
/// The encoder does not scale below this width: text on a panel would be unreadable.
const MIN_SCALED_WIDTH: u32 = 320;
/// A change smaller than this is not worth telling the encoder.
const MIN_RELATIVE_CHANGE: f64 = 0.15;
/// A step back up the ladder needs the estimate to clear it by this factor.
const STEP_UP_MARGIN: f64 = 1.3;
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
    /// Intervals shorter than this are left to accumulate.
    const MIN_INTERVAL_SECONDS: f64 = 0.5;

    /// Takes the cumulative retransmitted bytes at `now`; returns the smoothed rate (bit/s).
    pub fn update(&mut self, now: Instant, total_bytes: u64) -> f64 {
        if let Some((then, bytes)) = self.last {
            let seconds = now.duration_since(then).as_secs_f64();
            // Over a few milliseconds one resend would read as megabits per second.
            if seconds < Self::MIN_INTERVAL_SECONDS {
                return self.bps;
            }
            // A new connection starts counting from zero again.
            let sent = total_bytes.saturating_sub(bytes) as f64 * 8.0 / seconds;
            self.bps += Self::NEWEST_WEIGHT * (sent - self.bps);
        }
        self.last = Some((now, total_bytes));
        self.bps
    }

    pub fn bps(&self) -> f64 {
        self.bps
    }
}

/// One step of the ladder: the encoded size is the render's divided by `scale`, and one
/// rendered frame in `keep_one_in` is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rung {
    pub scale: u32,
    pub keep_one_in: u64,
}

pub struct RateFollower {
    max_bps: u32,
    current_bps: u32,
    last_change: Option<Instant>,
    frames: u64,
    /// Best first: full size at full rate, then smaller sizes, then fewer frames; each with
    /// the bits per second it needs to look right.
    ladder: Vec<(Rung, f64)>,
    rung: usize,
}

impl RateFollower {
    /// Starts at `max_bps`, the configured bitrate, which the estimate never exceeds, with
    /// frames rendered at `width`x`height` and `fps`.
    pub fn new(max_bps: u32, width: u32, height: u32, fps: f32) -> Self {
        let mut ladder = vec![];
        let mut scale = 1;
        loop {
            ladder.push(Rung {
                scale,
                keep_one_in: 1,
            });
            let next = scale * 2;
            if width / next < MIN_SCALED_WIDTH || !scales_exactly(width, height, next) {
                break;
            }
            scale = next;
        }
        ladder.extend([2, 3].map(|keep_one_in| Rung { scale, keep_one_in }));
        let ladder = ladder
            .into_iter()
            .map(|r| {
                let pixels = f64::from(width / r.scale) * f64::from(height / r.scale);
                (
                    r,
                    BITS_PER_PIXEL * pixels * f64::from(fps) / r.keep_one_in as f64,
                )
            })
            .collect();
        let max_bps = max_bps.max(MIN_VIDEO_BPS);
        Self {
            max_bps,
            current_bps: max_bps,
            last_change: None,
            frames: 0,
            ladder,
            rung: 0,
        }
    }

    pub fn video_bps(&self) -> u32 {
        self.current_bps
    }

    pub fn rung(&self) -> Rung {
        self.ladder[self.rung].0
    }

    /// Frames per second kept of the rendered `fps`.
    pub fn kept_fps(&self, fps: f32) -> f32 {
        fps / self.rung().keep_one_in as f32
    }

    /// Takes the estimate (bits per second for everything sent); returns the encoder's new
    /// bitrate when it should change (the rung may have changed with it).
    pub fn update(&mut self, estimate_bps: f64, now: Instant) -> Option<u32> {
        if !estimate_bps.is_finite() || estimate_bps <= 0.0 {
            return None;
        }
        let available = ((estimate_bps - AUDIO_AND_OVERHEAD_BPS).max(0.0) * VIDEO_SHARE)
            .min(f64::from(self.max_bps));
        // Down the ladder at once; up only with a margin, so an estimate wobbling around a
        // step does not make the picture flip between sizes.
        let last = self.ladder.len() - 1;
        let fitting = |margin: f64| {
            self.ladder
                .iter()
                .position(|(_, need)| need * margin <= available)
                .unwrap_or(last)
        };
        let (down, up) = (fitting(1.0), fitting(STEP_UP_MARGIN));
        let held = self
            .last_change
            .is_some_and(|t| now.duration_since(t) < RISE_HOLD);
        let rung = if down > self.rung {
            down
        } else if up < self.rung && !held {
            up
        } else {
            self.rung
        };
        let wanted = (available as u32).clamp(MIN_VIDEO_BPS, self.max_bps);
        let change =
            (f64::from(wanted) - f64::from(self.current_bps)) / f64::from(self.current_bps);
        if rung == self.rung && (change.abs() < MIN_RELATIVE_CHANGE || (change > 0.0 && held)) {
            return None;
        }
        self.rung = rung;
        self.current_bps = wanted;
        self.last_change = Some(now);
        Some(wanted)
    }

    /// Whether to encode the next rendered frame.
    pub fn keep_frame(&mut self) -> bool {
        self.frames += 1;
        self.frames.is_multiple_of(self.rung().keep_one_in)
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
        assert_eq!(
            r.update(t0 + Duration::from_millis(2), 1200),
            0.0,
            "2 ms is too short to tell a rate"
        );
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
        let mut f = RateFollower::new(1_500_000, 1280, 720, 30.0);
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

    fn rung(scale: u32, keep_one_in: u64) -> Rung {
        Rung { scale, keep_one_in }
    }

    #[test]
    fn resolution_halves_before_the_frame_rate_falls_and_comes_back_with_a_margin() {
        let now = Instant::now();
        let kept = |f: &mut RateFollower| (0..30).filter(|_| f.keep_frame()).count();
        let mut f = RateFollower::new(1_500_000, 1280, 720, 30.0);
        assert_eq!(f.rung(), rung(1, 1));
        // 720p at 30 frames/s needs about 1 Mbit/s; 360p about 250 kbit/s; 180p about 62.
        f.update(900_000.0, now);
        assert_eq!(f.rung(), rung(2, 1), "760 kbit/s: half size, every frame");
        assert_eq!(kept(&mut f), 30);
        f.update(300_000.0, now);
        assert_eq!(
            f.rung(),
            rung(4, 1),
            "216 kbit/s: a quarter, still every frame"
        );
        f.update(110_000.0, now);
        assert_eq!(f.rung(), rung(4, 2), "45 kbit/s: 15 of 30 frames");
        assert_eq!(kept(&mut f), 15);
        f.update(60_000.0, now);
        assert_eq!(f.rung(), rung(4, 3), "the last rung holds whatever comes");
        assert_eq!(f.video_bps(), MIN_VIDEO_BPS);
        assert_eq!(f.kept_fps(30.0), 10.0);
        // Rises wait 2 s after a change; a wobble just above a step does not climb it; a
        // clear rise does.
        let later = |s: u64| now + Duration::from_secs(s);
        f.update(340_000.0, now);
        assert_eq!(f.rung(), rung(4, 3), "too soon after the last change");
        f.update(340_000.0, later(3));
        assert_eq!(
            f.rung(),
            rung(4, 1),
            "252 kbit/s: over 180p's need with the margin"
        );
        f.update(370_000.0, later(6));
        assert_eq!(
            f.rung(),
            rung(4, 1),
            "279 kbit/s: 360p needs 250 and the margin"
        );
        f.update(430_000.0, later(9));
        assert_eq!(f.rung(), rung(2, 1));
        f.update(2_000_000.0, later(12));
        assert_eq!(f.rung(), rung(1, 1));
    }

    #[test]
    fn a_small_render_is_not_scaled_and_steps_its_frame_rate() {
        let now = Instant::now();
        let mut f = RateFollower::new(1_500_000, 320, 180, 30.0);
        f.update(120_000.0, now);
        assert_eq!(f.rung(), rung(1, 2), "54 kbit/s: 320x180 keeps its size");
        // An odd half size cannot be encoded: 720x406 (half: 360x203) stays at full size.
        let mut odd = RateFollower::new(1_500_000, 720, 406, 30.0);
        odd.update(150_000.0, now);
        assert_eq!(odd.rung().scale, 1);
    }
}
