//! The headset's speakers through cpal: every voice it hears, mixed, played as it arrives.
//! Built with the `audio-device` feature.

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use spotter_peer::voice::VOICE_CLOCK_RATE;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// A voice queued beyond this is cut: late voice is worse than a gap (200 ms at 48 kHz).
const MAX_QUEUED_SAMPLES: usize = 9600;

/// Each voice's samples waiting to be played, by track.
type Voices = Arc<Mutex<HashMap<usize, VecDeque<i16>>>>;

/// An open output; what `play` is given is heard while it lives. (A cpal stream stays on the
/// thread that made it; `player` hands out what other threads use.)
pub struct Speakers {
    _stream: cpal::Stream,
    voices: Voices,
}

/// Queues voice for the speakers from any thread.
#[derive(Clone)]
pub struct Player {
    voices: Voices,
}

impl Player {
    /// Queues 48 kHz mono samples of voice `track`.
    pub fn play(&self, track: usize, samples: &[i16]) {
        let mut voices = self.voices.lock().unwrap();
        let queue = voices.entry(track).or_default();
        queue.extend(samples);
        let excess = queue.len().saturating_sub(MAX_QUEUED_SAMPLES);
        queue.drain(..excess);
    }

    /// Samples waiting, all voices together (for tests and meters).
    pub fn queued(&self) -> usize {
        self.voices
            .lock()
            .unwrap()
            .values()
            .map(VecDeque::len)
            .sum()
    }
}

impl Speakers {
    pub fn player(&self) -> Player {
        Player {
            voices: self.voices.clone(),
        }
    }
}

/// Opens `device` (a cpal device id), or the system's default output, at 48 kHz.
pub fn open(device: Option<&str>) -> anyhow::Result<Speakers> {
    let device = crate::microphone::find_device(device, |host| {
        host.default_output_device()
            .ok_or_else(|| anyhow::anyhow!("no speakers: this system has no default output"))
    })?;
    let name = device.to_string();
    let channels = device.default_output_config()?.channels();
    let config = cpal::StreamConfig {
        channels,
        sample_rate: VOICE_CLOCK_RATE,
        buffer_size: cpal::BufferSize::Default,
    };
    let voices: Voices = Arc::default();
    let mixing = voices.clone();
    let stream = device.build_output_stream::<i16, _, _>(
        config,
        move |out: &mut [i16], _| {
            let mut voices = mixing.lock().unwrap();
            for frame in out.chunks_mut(usize::from(channels)) {
                let mixed: i32 = voices
                    .values_mut()
                    .filter_map(VecDeque::pop_front)
                    .map(i32::from)
                    .sum();
                frame.fill(mixed.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16);
            }
        },
        |e| tracing::warn!("speakers: {e}"),
        None,
    )?;
    stream.play()?;
    tracing::info!(device = %name, channels, "speakers open");
    Ok(Speakers {
        _stream: stream,
        voices,
    })
}
