//! An expert's side of the load: receives the video and checks every packet; asks for a
//! keyframe when a frame is lost, as a decoder would.

use super::publisher::SentLog;
use super::stream_check::{ExpectedFrames, StreamCheck};
use spotter_peer::VideoSubscriber;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// At most one keyframe request per this long (browsers wait about as long).
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_secs(1);

pub struct Receiving {
    pub check: Arc<Mutex<StreamCheck>>,
    /// When joining began (the signaling connection was opened).
    since: Instant,
    task: tokio::task::JoinHandle<()>,
}

impl Receiving {
    /// From the start of joining to the first video packet.
    pub fn first_packet_after(&self) -> Option<Duration> {
        let at = self.check.lock().unwrap().first_packet_at()?;
        Some(at - self.since)
    }

    /// From the start of joining to the first intact keyframe: the first picture.
    pub fn first_picture_after(&self) -> Option<Duration> {
        let at = self.check.lock().unwrap().first_keyframe_at()?;
        Some(at - self.since)
    }
}

impl Drop for Receiving {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Checks what `video` receives; `joining_since` is when this subscriber began to join.
pub fn receive(
    mut video: VideoSubscriber,
    log: Arc<SentLog>,
    expected: Arc<ExpectedFrames>,
    joining_since: Instant,
) -> Receiving {
    let check = Arc::new(Mutex::new(StreamCheck::new(log, expected)));
    let checking = check.clone();
    let task = tokio::spawn(async move {
        let mut packets = video.packets();
        let mut last_request: Option<Instant> = None;
        while let Some(packet) = packets.recv().await {
            let now = Instant::now();
            let keyframe_wanted = {
                let mut check = checking.lock().unwrap();
                check.on_packet(&packet, now);
                check.take_keyframe_wanted()
            };
            if keyframe_wanted
                && last_request.is_none_or(|at| now - at >= KEYFRAME_REQUEST_INTERVAL)
            {
                last_request = Some(now);
                if let Err(e) = video.request_keyframe().await {
                    tracing::debug!("keyframe request: {e:#}");
                }
            }
        }
    });
    Receiving {
        check,
        since: joining_since,
        task,
    }
}
