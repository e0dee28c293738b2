//! The cap on the publisher's video (REMB): the slowest watching viewer's downlink, sent at
//! most every half second, at once when it falls by a fifth. Without simulcast there is one
//! stream for all, so the publisher must not send more than the slowest viewer can take.

use std::time::{Duration, Instant};
use str0m::bwe::Bitrate;

/// How often the publisher is reminded of the slowest viewer's downlink (it forgets a cap not
/// repeated for 5 s: a few reminders may be lost on a bad uplink).
pub const CAP_INTERVAL: Duration = Duration::from_millis(500);

/// A fall in the slowest downlink by more than this fraction is sent at once.
const SUDDEN_FALL: f64 = 0.2;

/// One viewer of the room as the cap sees it.
#[derive(Debug, Clone, Copy)]
pub struct ViewerDownlink {
    /// Its downlink estimate, once its feedback allows one.
    pub estimate: Option<Bitrate>,
    /// Its network dropped: it is not watching, and may come back in a moment.
    pub disconnected: bool,
}

/// The slowest estimate among the viewers that are watching.
pub fn slowest(viewers: impl IntoIterator<Item = ViewerDownlink>) -> Option<Bitrate> {
    viewers
        .into_iter()
        .filter(|v| !v.disconnected)
        .filter_map(|v| v.estimate)
        .min_by(|a, b| a.as_f64().total_cmp(&b.as_f64()))
}

/// When a publisher was last capped, and to what.
#[derive(Debug, Clone, Copy, Default)]
pub struct CapSchedule {
    last: Option<(Instant, Bitrate)>,
}

impl CapSchedule {
    /// Whether `cap` should be sent at `now`.
    pub fn due(&self, now: Instant, cap: Bitrate) -> bool {
        self.last.is_none_or(|(at, last)| {
            now.saturating_duration_since(at) >= CAP_INTERVAL
                || cap.as_f64() < last.as_f64() * (1.0 - SUDDEN_FALL)
        })
    }

    pub fn sent(&mut self, now: Instant, cap: Bitrate) {
        self.last = Some((now, cap));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn viewer(kbps: u64, disconnected: bool) -> ViewerDownlink {
        ViewerDownlink {
            estimate: Some(Bitrate::kbps(kbps)),
            disconnected,
        }
    }

    #[test]
    fn the_cap_is_the_slowest_watching_viewer() {
        let viewers = [
            viewer(3000, false),
            viewer(400, true), // its network dropped: not watching
            viewer(900, false),
            ViewerDownlink {
                estimate: None,
                disconnected: false,
            },
        ];
        assert_eq!(slowest(viewers).map(|b| b.as_u64()), Some(900_000));
        assert_eq!(slowest([viewer(400, true)]), None, "nobody is watching");
        assert_eq!(slowest([]), None);
    }

    #[test]
    fn the_cap_is_repeated_every_500_ms() {
        let t0 = Instant::now();
        let mut schedule = CapSchedule::default();
        let cap = Bitrate::kbps(1000);
        assert!(schedule.due(t0, cap), "the first cap goes at once");
        schedule.sent(t0, cap);
        assert!(!schedule.due(t0 + 200 * MS, cap));
        assert!(
            !schedule.due(t0 + 499 * MS, Bitrate::kbps(1200)),
            "a rise waits"
        );
        assert!(schedule.due(t0 + 500 * MS, cap));
    }

    #[test]
    fn a_fall_by_more_than_a_fifth_is_sent_at_once() {
        let t0 = Instant::now();
        let mut schedule = CapSchedule::default();
        schedule.sent(t0, Bitrate::kbps(1000));
        assert!(
            !schedule.due(t0 + 10 * MS, Bitrate::kbps(850)),
            "15 % waits"
        );
        assert!(
            !schedule.due(t0 + 10 * MS, Bitrate::kbps(800)),
            "20 % waits"
        );
        assert!(schedule.due(t0 + 10 * MS, Bitrate::kbps(790)));
    }
}
