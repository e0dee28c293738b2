//! The technician's side of the load: a recorded clip played at its frame rate, as a headset
//! sends its encoded frames, and a log of what was sent when, for the subscribers' checks.

use bytes::Bytes;
use spotter_peer::VideoPublisher;
use spotter_peer::clip::Clip;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Frames remembered (about 68 s at 30 frames/s): longer than any packet stays in flight.
const LOG_FRAMES: usize = 2048;

#[derive(Debug, Clone, Copy)]
pub struct SentFrame {
    pub frame_number: u64,
    pub clip_index: usize,
    pub sent_at: Instant,
}

/// What one publisher sent, looked up by RTP timestamp.
pub struct SentLog {
    origin: u32,
    /// RTP ticks (90 kHz) per frame.
    ticks_per_frame: u32,
    frames: Mutex<Vec<Option<SentFrame>>>,
}

impl SentLog {
    /// A log for a stream at `fps` whose first frame has RTP timestamp `origin`.
    pub fn new(origin: u32, fps: f32) -> Self {
        Self {
            origin,
            ticks_per_frame: (spotter_protocol::VIDEO_CLOCK_RATE as f32 / fps).round() as u32,
            frames: Mutex::new(vec![None; LOG_FRAMES]),
        }
    }

    pub fn rtp_timestamp(&self, frame_number: u64) -> u32 {
        self.origin
            .wrapping_add((frame_number as u32).wrapping_mul(self.ticks_per_frame))
    }

    /// The latest frame sent with clip frame `clip_index`.
    pub fn latest_with_clip_index(&self, clip_index: usize) -> Option<SentFrame> {
        self.frames
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .filter(|f| f.clip_index == clip_index)
            .max_by_key(|f| f.frame_number)
            .copied()
    }

    pub fn record(&self, frame: SentFrame) {
        self.frames.lock().unwrap()[frame.frame_number as usize % LOG_FRAMES] = Some(frame);
    }

    /// The frame sent with `rtp_timestamp`, if it was sent recently.
    pub fn find(&self, rtp_timestamp: u32) -> Option<SentFrame> {
        let ticks = rtp_timestamp.wrapping_sub(self.origin);
        if !ticks.is_multiple_of(self.ticks_per_frame) {
            return None;
        }
        let number = u64::from(ticks / self.ticks_per_frame);
        self.frames.lock().unwrap()[number as usize % LOG_FRAMES]
            .filter(|f| f.frame_number == number)
    }
}

/// Counters of a running playback.
#[derive(Debug, Default)]
pub struct PlaybackStats {
    pub frames_sent: std::sync::atomic::AtomicU64,
    pub keyframe_requests: std::sync::atomic::AtomicU64,
}

/// Plays `clip` on `video` at the clip's frame rate until the returned task is aborted. A
/// keyframe request skips ahead to the clip's next keyframe, as an encoder would make one.
pub fn play(
    clip: Arc<Clip>,
    mut video: VideoPublisher,
    mut keyframe_requests: mpsc::UnboundedReceiver<()>,
    log: Arc<SentLog>,
    stats: Arc<PlaybackStats>,
) -> tokio::task::JoinHandle<()> {
    use std::sync::atomic::Ordering::Relaxed;
    tokio::spawn(async move {
        let period = Duration::from_secs_f64(1.0 / f64::from(clip.format.fps));
        let mut ticks = tokio::time::interval(period);
        let mut position = 0usize;
        for frame_number in 0u64.. {
            ticks.tick().await;
            let mut asked = false;
            while keyframe_requests.try_recv().is_ok() {
                asked = true;
            }
            if asked {
                stats.keyframe_requests.fetch_add(1, Relaxed);
                position = clip.next_keyframe(position);
            }
            log.record(SentFrame {
                frame_number,
                clip_index: position,
                sent_at: Instant::now(),
            });
            let data: Bytes = clip.frames[position].data.clone();
            if let Err(e) = video
                .send_access_unit(data, log.rtp_timestamp(frame_number))
                .await
            {
                tracing::debug!("publisher stopped: {e:#}");
                return;
            }
            stats.frames_sent.fetch_add(1, Relaxed);
            position = (position + 1) % clip.frames.len();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sent_frames_by_timestamp_across_the_wrap() {
        let log = SentLog::new(u32::MAX - 3000, 30.0);
        let sent_at = Instant::now();
        for frame_number in 0..3 {
            log.record(SentFrame {
                frame_number,
                clip_index: frame_number as usize * 10,
                sent_at,
            });
        }
        let third = log.find(log.rtp_timestamp(2)).unwrap();
        assert_eq!(third.clip_index, 20);
        assert!(log.rtp_timestamp(2) < log.rtp_timestamp(0), "wrapped");
        assert!(log.find(log.rtp_timestamp(3)).is_none(), "not sent yet");
        assert_eq!(log.latest_with_clip_index(10).unwrap().frame_number, 1);
        assert!(
            log.find(log.rtp_timestamp(1).wrapping_add(1)).is_none(),
            "not a frame's timestamp"
        );
        log.record(SentFrame {
            frame_number: LOG_FRAMES as u64,
            clip_index: 5,
            sent_at,
        });
        assert!(log.find(log.rtp_timestamp(0)).is_none(), "forgotten");
    }
}
