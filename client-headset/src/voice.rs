//! The technician's voice. The simulated headset talks with a speech-like signal (a real
//! headset's microphone comes through the same publisher); what it hears from the room is
//! decoded and its level logged every few seconds, so a test can tell that voices arrive.

use spotter_peer::voice::{FRAME_MS, FRAME_SAMPLES, SILENCE_DBFS, rms_dbfs};
use spotter_peer::{AudioPublisher, HeardFrame, SpeechLikeSignal, VoiceEncoder};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the heard level is logged.
const REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// Sends the speech-like signal as 20 ms Opus frames until the connection goes; silence while
/// `muted`.
pub async fn talk_simulated(
    mut publisher: AudioPublisher,
    muted: &AtomicBool,
) -> anyhow::Result<()> {
    let mut signal = SpeechLikeSignal::new();
    let mut encoder = VoiceEncoder::new()?;
    let mut tick = tokio::time::interval(Duration::from_millis(FRAME_MS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    // Frame n leaves at the first tick + n × 20 ms holding what was "spoken" in the 20 ms
    // before, as a microphone's would: the first word began one frame before the first tick.
    // The schedule lets a listener time each word's arrival (one clock on one machine).
    tick.tick().await;
    tracing::info!(
        first_word_unix_ms = crate::clock::unix_time_us() / 1000 - FRAME_MS,
        word_period_ms = (SpeechLikeSignal::WORD_PERIOD_SECONDS * 1000.0) as u64,
        "simulated voice talking"
    );
    loop {
        let frame: [i16; FRAME_SAMPLES] = signal.next_frame();
        publisher
            .send_frame(encoder.encode(heard_as(&frame, muted))?)
            .await?;
        tick.tick().await;
    }
}

/// What the room hears of `frame`: silence while `muted`. Silent frames keep the stream going,
/// as a browser's muted track does: a stream that just stops makes the listener's decoder
/// conceal the gap with sound for a while.
fn heard_as<'a>(frame: &'a [i16; FRAME_SAMPLES], muted: &AtomicBool) -> &'a [i16; FRAME_SAMPLES] {
    const SILENCE: [i16; FRAME_SAMPLES] = [0; FRAME_SAMPLES];
    if muted.load(Ordering::Relaxed) {
        &SILENCE
    } else {
        frame
    }
}

/// Where the headset's voice comes from.
#[derive(Clone)]
pub enum VoiceSource {
    /// Says nothing.
    Off,
    /// The speech-like test signal.
    Simulated,
    /// 20 ms frames from a microphone; kept across reconnections, each session takes it.
    Microphone(Arc<tokio::sync::Mutex<mpsc::Receiver<[i16; FRAME_SAMPLES]>>>),
}

/// Sends the voice of `source` until the connection goes; silence while `muted` (the
/// microphone's frames are still read, so none is stale when it is unmuted).
pub async fn talk(
    publisher: AudioPublisher,
    source: &VoiceSource,
    muted: &AtomicBool,
) -> anyhow::Result<()> {
    match source {
        VoiceSource::Off => Ok(()),
        VoiceSource::Simulated => talk_simulated(publisher, muted).await,
        VoiceSource::Microphone(frames) => {
            let mut frames = frames.lock().await;
            // Frames that piled up while no one was sending are stale.
            while frames.try_recv().is_ok() {}
            let mut publisher = publisher;
            let mut encoder = VoiceEncoder::new()?;
            while let Some(frame) = frames.recv().await {
                publisher
                    .send_frame(encoder.encode(heard_as(&frame, muted))?)
                    .await?;
            }
            Ok(())
        }
    }
}

/// What was heard over one report interval.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct HeardReport {
    pub frames: usize,
    /// Distinct voices (tracks) heard.
    pub voices: usize,
    /// The loudest 20 ms frame, dBFS.
    pub loudest_dbfs: f32,
}

impl HeardReport {
    pub fn of(frames: &[HeardFrame]) -> Self {
        let mut tracks: Vec<usize> = frames.iter().map(|f| f.track).collect();
        tracks.sort_unstable();
        tracks.dedup();
        Self {
            frames: frames.len(),
            voices: tracks.len(),
            loudest_dbfs: frames
                .iter()
                .map(|f| rms_dbfs(&f.samples))
                .fold(SILENCE_DBFS, f32::max),
        }
    }
}

/// Where heard voices go besides the level report: the speakers, when there are some.
pub type HeardSink = Arc<dyn Fn(usize, &[i16]) + Send + Sync>;

/// Logs what is heard, every [`REPORT_INTERVAL`], and hands it to `sink`, until the voices stop.
pub async fn listen(mut heard: mpsc::UnboundedReceiver<HeardFrame>, sink: Option<HeardSink>) {
    let mut window = Vec::new();
    let mut report = tokio::time::interval(REPORT_INTERVAL);
    report.tick().await;
    loop {
        tokio::select! {
            frame = heard.recv() => match frame {
                Some(frame) => {
                    if let Some(sink) = &sink {
                        sink(frame.track, &frame.samples);
                    }
                    window.push(frame);
                }
                None => return,
            },
            _ = report.tick() => {
                let r = HeardReport::of(&window);
                tracing::info!(frames = r.frames, voices = r.voices, loudest_dbfs = r.loudest_dbfs, "voice heard");
                window.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_counts_voices_and_finds_the_loudest_frame() {
        let frame = |track, amplitude: i16| HeardFrame {
            track,
            decoded_at: std::time::Instant::now(),
            rtp_timestamp: 0,
            samples: (0..FRAME_SAMPLES)
                .map(|i| if i % 2 == 0 { amplitude } else { -amplitude })
                .collect(),
        };
        let r = HeardReport::of(&[frame(0, 0), frame(1, 16384), frame(0, 3277)]);
        assert_eq!((r.frames, r.voices), (3, 2));
        assert!((r.loudest_dbfs + 6.02).abs() < 0.05, "{}", r.loudest_dbfs);
        assert_eq!(HeardReport::of(&[]).loudest_dbfs, SILENCE_DBFS);
    }
}
