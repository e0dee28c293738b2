//! A token bucket: how often something may happen, sustained and in a burst (messages of a
//! connection, marks of a person or a room, failed admin keys of an address).

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct RateLimit {
    per_second: f64,
    burst: f64,
    tokens: f64,
    /// When tokens were last counted; the bucket starts full at its first use.
    last: Option<Instant>,
}

impl RateLimit {
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self::with_rate(f64::from(per_second), burst)
    }

    /// A bucket refilled at `per_second` tokens a second (below one allowed), holding `burst`.
    pub fn with_rate(per_second: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            per_second,
            burst,
            tokens: burst,
            last: None,
        }
    }

    /// Takes one token at `now`; false when the bucket is empty.
    pub fn allow(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Returns a token taken by [`RateLimit::allow`] (what it was taken for did not happen).
    pub fn give_back(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = (self.tokens + 1.0).min(self.burst);
    }

    /// How long until a token is there (zero when one is).
    pub fn wait(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 || self.per_second <= 0.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64((1.0 - self.tokens) / self.per_second)
    }

    /// Whether the bucket is full again, so that it remembers nothing worth keeping.
    pub fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.burst
    }

    fn refill(&mut self, now: Instant) {
        let last = *self.last.get_or_insert(now);
        let elapsed = now.saturating_duration_since(last).as_secs_f64();
        // Never back in time: callers' clocks may be read a little out of order.
        self.last = Some(last.max(now));
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_sustained_rate() {
        let start = Instant::now();
        let mut limit = RateLimit::new(10, 5);
        assert_eq!((0..8).filter(|_| limit.allow(start)).count(), 5);
        // Half a second later, five more tokens.
        let later = start + Duration::from_millis(500);
        assert_eq!((0..8).filter(|_| limit.allow(later)).count(), 5);
        // Never more than the burst, however long the pause.
        let much_later = later + Duration::from_secs(60);
        assert_eq!((0..8).filter(|_| limit.allow(much_later)).count(), 5);
    }

    #[test]
    fn a_slow_bucket_says_how_long_to_wait_and_when_it_is_full_again() {
        let start = Instant::now();
        let mut limit = RateLimit::with_rate(0.1, 2);
        assert!(limit.allow(start) && limit.allow(start));
        assert!(!limit.allow(start));
        assert_eq!(limit.wait(start).as_secs_f64().round(), 10.0);
        assert!(!limit.is_full(start + Duration::from_secs(19)));
        assert!(limit.is_full(start + Duration::from_secs(20)));
    }
}
