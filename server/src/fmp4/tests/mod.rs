//! Tests of the container, read back by independent demuxers: ffprobe and ffmpeg (Debian's
//! `ffmpeg` package, which `scripts/test` installs), on real H.264 from OpenH264 and real
//! Opus from libopus.

mod export;
mod scan;
mod video;
mod voice;

use super::{Fragment, VideoOutput, VideoTrackWriter, VoiceTrackWriter};
use openh264::OpenH264API;
use openh264::encoder::{Encoder, EncoderConfig, FrameType};
use openh264::formats::{RgbSliceU8, YUVBuffer};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// One encoded access unit, as str0m's depacketiser gives it: Annex B, SPS/PPS before IDRs.
pub struct Frame {
    pub annex_b: Vec<u8>,
    pub keyframe: bool,
}

/// `count` frames of a moving pattern at `width`x`height`, keyframes at `keyframes` (the
/// first frame is always one).
pub fn encode(width: usize, height: usize, count: usize, keyframes: &[usize]) -> Vec<Frame> {
    let config = EncoderConfig::new().skip_frames(false);
    let mut encoder = Encoder::with_api_config(OpenH264API::from_source(), config).unwrap();
    let mut rgb = vec![0u8; width * height * 3];
    (0..count)
        .map(|i| {
            for (p, px) in rgb.chunks_exact_mut(3).enumerate() {
                let (x, y) = (p % width, p / width);
                px.copy_from_slice(&[(x + i * 3) as u8, (y * 2 + i) as u8, (x ^ y) as u8]);
            }
            let yuv = YUVBuffer::from_rgb8_source(RgbSliceU8::new(&rgb, (width, height)));
            if keyframes.contains(&i) {
                encoder.force_intra_frame();
            }
            let stream = encoder.encode(&yuv).unwrap();
            Frame {
                keyframe: matches!(stream.frame_type(), FrameType::IDR),
                annex_b: stream.to_vec(),
            }
        })
        .collect()
}

/// The file a video writer produces for `frames` pushed at `timestamps`.
pub fn write_video(frames: &[(&Frame, u32)]) -> (Vec<u8>, Vec<Fragment>, VideoTrackWriter) {
    let mut writer = VideoTrackWriter::new();
    let mut file = Vec::new();
    let mut fragments = Vec::new();
    let mut keep = |output: VideoOutput, file: &mut Vec<u8>| match output {
        VideoOutput::Init(init) => file.extend_from_slice(&init),
        VideoOutput::Fragment(fragment) => {
            file.extend_from_slice(&fragment.bytes);
            fragments.push(fragment);
        }
    };
    for (frame, rtp) in frames {
        if let Some(output) = writer.push(&frame.annex_b, *rtp, frame.keyframe).unwrap() {
            keep(output, &mut file);
        }
    }
    if let Some(last) = writer.finish().unwrap() {
        keep(VideoOutput::Fragment(last), &mut file);
    }
    (file, fragments, writer)
}

/// Real Opus: `count` 20 ms packets of a tone, mono.
pub fn opus_packets(count: usize) -> Vec<Vec<u8>> {
    let mut encoder =
        ::opus::Encoder::new(48_000, ::opus::Channels::Mono, ::opus::Application::Voip).unwrap();
    (0..count)
        .map(|i| {
            let pcm: Vec<i16> = (0..960)
                .map(|n| {
                    let t = (i * 960 + n) as f32 / 48_000.0;
                    ((t * 440.0 * std::f32::consts::TAU).sin() * 8000.0) as i16
                })
                .collect();
            encoder.encode_vec(&pcm, 4000).unwrap()
        })
        .collect()
}

/// The file a voice writer produces, and its fragments.
pub fn write_voice(
    writer: &mut VoiceTrackWriter,
    packets: &[(&[u8], u32)],
    end: Option<u64>,
) -> (Vec<u8>, Vec<Fragment>) {
    let mut fragments = Vec::new();
    for (packet, rtp) in packets {
        fragments.extend(writer.push(packet, *rtp).unwrap());
    }
    fragments.extend(writer.finish(end).unwrap());
    let mut file = writer.init_segment().to_vec();
    for fragment in &fragments {
        file.extend_from_slice(&fragment.bytes);
    }
    (file, fragments)
}

/// A file in the temporary directory, removed when dropped.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(name: &str, bytes: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!("spotter-fmp4-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// ffprobe's JSON for `bytes` with these `-show_*` options.
pub fn ffprobe(bytes: &[u8], name: &str, args: &[&str]) -> Value {
    let file = TempFile::new(name, bytes);
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json"])
        .args(args)
        .arg(&file.0)
        .output()
        .expect("ffprobe runs (Debian's ffmpeg package; scripts/test installs it)");
    assert!(
        output.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// ffmpeg decodes every stream of `bytes` without a single error.
pub fn assert_decodes(bytes: &[u8], name: &str) {
    let file = TempFile::new(name, bytes);
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-xerror", "-i"])
        .arg(&file.0)
        .args(["-map", "0", "-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "ffmpeg could not decode: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A JSON number given as a number or a string.
pub fn num(value: &Value) -> f64 {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// The RTP timestamp of frame `g` of [`recorded_video`]: 30 fps from just before the 32-bit
/// wrap, which comes at frame 100.
pub fn frame_rtp(g: usize) -> u32 {
    (u32::MAX - 3000 * 100 + 1).wrapping_add(3000 * g as u32)
}

/// A recording: 55 frames of 160x96 before a keyframe (dropped), a forced keyframe at
/// frame 150, frame 100 lost, then the encoder switching to 96x64 at frame 200 (a keyframe
/// with its new SPS), 60 frames of it. The pushed access units, and what the writer made.
pub struct RecordedVideo {
    /// (access unit, RTP timestamp, keyframe, frame number) of every access unit recorded.
    pub recorded: Vec<(Vec<u8>, u32, bool, usize)>,
    pub file: Vec<u8>,
    pub fragments: Vec<Fragment>,
    pub first_rtp: Option<u32>,
    pub dropped: u64,
    pub last_size: Option<(u32, u32)>,
}

pub fn recorded_video() -> &'static RecordedVideo {
    static VIDEO: std::sync::OnceLock<RecordedVideo> = std::sync::OnceLock::new();
    VIDEO.get_or_init(|| {
        let large = encode(160, 96, 200, &[60, 150]);
        let small = encode(96, 64, 60, &[]);
        let pushed: Vec<(&Frame, u32, usize)> = (5..200)
            .filter(|&g| g != 100)
            .map(|g| (&large[g], frame_rtp(g), g))
            .chain(
                small
                    .iter()
                    .enumerate()
                    .map(|(j, f)| (f, frame_rtp(200 + j), 200 + j)),
            )
            .collect();
        let input: Vec<(&Frame, u32)> = pushed.iter().map(|&(f, rtp, _)| (f, rtp)).collect();
        let (file, fragments, writer) = write_video(&input);
        RecordedVideo {
            recorded: pushed
                .iter()
                .filter(|(_, _, g)| *g >= 60)
                .map(|&(f, rtp, g)| (f.annex_b.clone(), rtp, f.keyframe, g))
                .collect(),
            file,
            fragments,
            first_rtp: writer.first_rtp_timestamp(),
            dropped: writer.dropped_before_keyframe(),
            last_size: writer.dimensions(),
        }
    })
}
