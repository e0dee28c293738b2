//! The headset's microphone through cpal (ALSA on Linux; AAudio on Android headsets), as 20 ms
//! mono frames at 48 kHz for the voice publisher. Built with the `audio-device` feature.

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use spotter_peer::FrameAssembler;
use spotter_peer::voice::{FRAME_SAMPLES, VOICE_CLOCK_RATE};
use tokio::sync::mpsc;

/// The device with cpal id `id`, or the default one `default` picks.
pub(crate) fn find_device(
    id: Option<&str>,
    default: impl FnOnce(&cpal::Host) -> anyhow::Result<cpal::Device>,
) -> anyhow::Result<cpal::Device> {
    let host = cpal::default_host();
    let Some(id) = id else {
        return default(&host);
    };
    let parsed = id
        .parse()
        .map_err(|e| anyhow::anyhow!("{id:?} is not an audio device id: {e}"))?;
    host.device_by_id(&parsed)
        .ok_or_else(|| anyhow::anyhow!("no audio device {id:?}"))
}

/// An open microphone; frames flow while it lives. (A cpal stream stays on the thread that
/// made it.)
pub struct Microphone {
    _stream: cpal::Stream,
}

/// Opens `device` (a cpal device id such as `alsa:default`), or the system's default input, at
/// 48 kHz. Frames go to `frames`; when its reader falls behind they are dropped, as a live
/// microphone must not queue.
pub fn open(
    device: Option<&str>,
    frames: mpsc::Sender<[i16; FRAME_SAMPLES]>,
) -> anyhow::Result<Microphone> {
    let device = find_device(device, |host| {
        host.default_input_device()
            .ok_or_else(|| anyhow::anyhow!("no microphone: this system has no default input"))
    })?;
    let name = device.to_string();
    let default = device.default_input_config()?;
    let channels = default.channels();
    let config = cpal::StreamConfig {
        channels,
        sample_rate: VOICE_CLOCK_RATE,
        buffer_size: cpal::BufferSize::Default,
    };
    let mut assembler = FrameAssembler::new(channels);
    let mut send = move |samples: &[i16]| {
        assembler.push(samples, |frame| {
            let _ = frames.try_send(frame);
        })
    };
    let on_error = |e: cpal::Error| tracing::warn!("microphone: {e}");
    let stream = match default.sample_format() {
        cpal::SampleFormat::I16 => device.build_input_stream::<i16, _, _>(
            config,
            move |data: &[i16], _| send(data),
            on_error,
            None,
        )?,
        cpal::SampleFormat::F32 => {
            let mut converted = Vec::new();
            device.build_input_stream::<f32, _, _>(
                config,
                move |data: &[f32], _| {
                    converted.clear();
                    converted.extend(data.iter().map(|s| (s.clamp(-1.0, 1.0) * 32767.0) as i16));
                    send(&converted);
                },
                on_error,
                None,
            )?
        }
        other => anyhow::bail!(
            "the microphone {name} delivers {other:?} samples; Spotter takes i16 or f32"
        ),
    };
    stream.play()?;
    tracing::info!(device = %name, channels, "microphone open");
    Ok(Microphone { _stream: stream })
}
