//! Decisions the relay makes by the clock, as small types that are given `now` (so they are
//! tested with fake time): how often the publisher is asked for a keyframe.

use std::time::{Duration, Instant};

/// Something done at most once per `every`. Only what was done counts: an attempt that failed
/// (no stream to send on yet) is not recorded, so the next one is not held back.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    every: Duration,
    last: Option<Instant>,
}

impl Throttle {
    pub const fn new(every: Duration) -> Self {
        Self { every, last: None }
    }

    /// Whether it may be done at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.last
            .is_none_or(|last| now.saturating_duration_since(last) >= self.every)
    }

    /// It was done at `now`.
    pub fn done(&mut self, now: Instant) {
        self.last = Some(now);
    }
}

/// Keyframe requests to a publisher are merged to at most one per this interval: browsers ask
/// several times a second until their first frame decodes.
pub const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(500);

/// A publisher's keyframe requests: at most one per [`KEYFRAME_REQUEST_INTERVAL`], except
/// forced ones (a new subscriber or sink must not wait).
#[derive(Debug, Clone, Copy)]
pub struct KeyframeThrottle(Throttle);

impl Default for KeyframeThrottle {
    fn default() -> Self {
        Self(Throttle::new(KEYFRAME_REQUEST_INTERVAL))
    }
}

impl KeyframeThrottle {
    pub fn due(&self, now: Instant, force: bool) -> bool {
        force || self.0.due(now)
    }

    pub fn sent(&mut self, now: Instant) {
        self.0.done(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_request_is_let_through_at_most_every_500_ms() {
        let t0 = Instant::now();
        let mut throttle = KeyframeThrottle::default();
        assert!(throttle.due(t0, false), "the first request goes at once");
        throttle.sent(t0);
        assert!(!throttle.due(t0 + 100 * MS, false));
        assert!(!throttle.due(t0 + 499 * MS, false));
        assert!(throttle.due(t0 + 500 * MS, false));
    }

    #[test]
    fn a_forced_request_skips_the_throttle_and_restarts_it() {
        let t0 = Instant::now();
        let mut throttle = KeyframeThrottle::default();
        throttle.sent(t0);
        assert!(throttle.due(t0 + 10 * MS, true), "a subscriber connected");
        throttle.sent(t0 + 10 * MS);
        assert!(
            !throttle.due(t0 + 500 * MS, false),
            "500 ms from the forced one"
        );
        assert!(throttle.due(t0 + 510 * MS, false));
    }

    #[test]
    fn an_attempt_not_recorded_does_not_hold_the_next_back() {
        let t0 = Instant::now();
        let throttle = Throttle::new(Duration::from_secs(1));
        assert!(throttle.due(t0));
        assert!(throttle.due(t0 + MS), "nothing was done");
    }
}
