//! Whether a sink's video may go on: a recording must start on a keyframe and, once a frame
//! is missing (lost on the uplink, or dropped because the sink was not reading), must skip to
//! the next keyframe, since the frames in between cannot be decoded. Meanwhile the publisher
//! is asked for a keyframe, at most once a second per sink.

use super::throttle::Throttle;
use std::time::{Duration, Instant};

/// A waiting sink asks for a keyframe at most this often.
pub const SINK_KEYFRAME_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
pub struct SinkGate {
    /// Video is withheld until a keyframe passes.
    waiting: bool,
    asks: Throttle,
}

impl SinkGate {
    /// A new sink: it waits for its first keyframe.
    pub fn new() -> Self {
        Self {
            waiting: true,
            asks: Throttle::new(SINK_KEYFRAME_INTERVAL),
        }
    }

    /// Whether a frame of the publisher's video goes to the sink. `contiguous` is false when
    /// frames were lost just before this one (str0m's `MediaData::contiguous`).
    pub fn admit(&mut self, keyframe: bool, contiguous: bool) -> bool {
        if keyframe {
            self.waiting = false;
        } else if !contiguous {
            self.waiting = true;
        }
        !self.waiting
    }

    /// Something meant for the sink was dropped (its queue was full), or its video starts
    /// over (a new publisher): wait for the next keyframe.
    pub fn interrupt(&mut self) {
        self.waiting = true;
    }

    #[cfg(test)]
    pub fn waiting(&self) -> bool {
        self.waiting
    }

    /// Whether to ask the publisher for a keyframe for this sink at `now`.
    pub fn should_ask(&self, now: Instant) -> bool {
        self.waiting && self.asks.due(now)
    }

    /// A keyframe was asked for at `now` (forced ones included).
    pub fn asked(&mut self, now: Instant) {
        self.asks.done(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_new_sink_waits_for_a_keyframe() {
        let mut gate = SinkGate::new();
        assert!(!gate.admit(false, true));
        assert!(!gate.admit(false, true));
        assert!(gate.admit(true, true), "the first keyframe");
        assert!(gate.admit(false, true), "and what follows it");
    }

    #[test]
    fn after_a_gap_the_sink_waits_for_the_next_keyframe() {
        let mut gate = SinkGate::new();
        assert!(gate.admit(true, true));
        assert!(
            !gate.admit(false, false),
            "frames were lost before this one"
        );
        assert!(!gate.admit(false, true), "it depends on what was lost");
        assert!(gate.admit(true, false), "a keyframe after a gap decodes");
        assert!(gate.admit(false, true));
    }

    #[test]
    fn after_an_overflow_the_sink_waits_for_the_next_keyframe() {
        let mut gate = SinkGate::new();
        assert!(gate.admit(true, true));
        gate.interrupt();
        assert!(gate.waiting());
        assert!(!gate.admit(false, true));
        assert!(gate.admit(true, true));
        assert!(!gate.waiting());
    }

    #[test]
    fn a_waiting_sink_asks_for_a_keyframe_at_most_once_a_second() {
        let t0 = Instant::now();
        let mut gate = SinkGate::new();
        assert!(gate.should_ask(t0), "on attach, at once");
        gate.asked(t0);
        assert!(!gate.should_ask(t0 + 300 * MS));
        assert!(!gate.should_ask(t0 + 999 * MS));
        assert!(gate.should_ask(t0 + 1000 * MS));
        gate.asked(t0 + 1000 * MS);
        assert!(!gate.should_ask(t0 + 1500 * MS));
    }

    #[test]
    fn a_sink_that_is_not_waiting_does_not_ask() {
        let t0 = Instant::now();
        let mut gate = SinkGate::new();
        gate.admit(true, true);
        assert!(!gate.should_ask(t0 + 5000 * MS));
        gate.interrupt();
        assert!(
            gate.should_ask(t0 + 5000 * MS),
            "a loss with no ask for long: at once"
        );
    }
}
