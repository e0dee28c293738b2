//! The recent frames' metadata, so a stroke drawn on a frame is resolved with that frame's
//! pose, not the current one.

use spotter_protocol::FrameMeta;
use std::collections::VecDeque;

/// How much history the headset keeps: an expert's stroke arrives a network round trip after
/// the frame it was drawn on was displayed.
pub const HISTORY_SECONDS: u64 = 5;

#[derive(Debug, Default)]
pub struct FrameHistory {
    frames: VecDeque<FrameMeta>,
}

impl FrameHistory {
    /// Records a frame and forgets those older than [`HISTORY_SECONDS`] before it.
    pub fn push(&mut self, frame: FrameMeta) {
        let horizon = frame
            .capture_time_us
            .saturating_sub(HISTORY_SECONDS * 1_000_000);
        while self
            .frames
            .front()
            .is_some_and(|f| f.capture_time_us < horizon)
        {
            self.frames.pop_front();
        }
        self.frames.push_back(frame);
    }

    pub fn get(&self, rtp_timestamp: u32) -> Option<&FrameMeta> {
        self.frames
            .iter()
            .rev()
            .find(|f| f.rtp_timestamp == rtp_timestamp)
    }

    pub fn latest(&self) -> Option<&FrameMeta> {
        self.frames.back()
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotter_protocol::{Intrinsics, Pose};

    fn frame(rtp_timestamp: u32, capture_time_us: u64) -> FrameMeta {
        FrameMeta {
            rtp_timestamp,
            pose: Pose::IDENTITY,
            intrinsics: Intrinsics::from_vertical_fov(1.0, 640, 360),
            capture_time_us,
        }
    }

    #[test]
    fn keeps_five_seconds_and_finds_frames_by_timestamp() {
        let mut history = FrameHistory::default();
        for i in 0..300u64 {
            // 30 frames per second for 10 s, timestamps wrapping past u32::MAX.
            let ts = (u32::MAX - 1000).wrapping_add((i * 3000) as u32);
            history.push(frame(ts, 1_000_000 + i * 33_333));
        }
        assert!(
            history.len() <= 152 && history.len() >= 149,
            "{}",
            history.len()
        );
        let newest = history.latest().unwrap().rtp_timestamp;
        assert!(history.get(newest).is_some());
        let old = (u32::MAX - 1000).wrapping_add(3000);
        assert!(history.get(old).is_none(), "a 10 s old frame is gone");
    }
}
