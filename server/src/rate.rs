//! A token bucket: how many messages a connection may send, sustained and in a burst.

use std::time::Instant;

pub struct RateLimit {
    per_second: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            tokens: f64::from(burst.max(1)),
            last: Instant::now(),
        }
    }

    /// Takes one token at `now`; false when the bucket is empty.
    pub fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
}
