//! `spotter-record-clip`: renders the simulated headset's view with a fixed frame period and
//! records it as encoded H.264 (`spotter_peer::clip`), for the load generator to play back.
//! Rendering runs as fast as the machine allows; the clip plays back smoothly at `--fps`.

use clap::Parser;
use spotter_headset::encoder::VideoEncoder;
use spotter_headset::render::{
    self, CapturedFrame, Display, FrameClock, FrameSource, RenderConfig, RenderLinks,
};
use spotter_headset::scene::{FactoryScene, default_scene_path};
use spotter_peer::clip::{ClipFormat, ClipWriter};
use std::path::PathBuf;
use std::sync::mpsc;

#[derive(Debug, Parser)]
#[command(
    name = "spotter-record-clip",
    about = "Records the simulated headset's view as an H.264 clip"
)]
struct Args {
    /// Where to write the clip.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 1280)]
    width: u32,
    #[arg(long, default_value_t = 720)]
    height: u32,
    #[arg(long, default_value_t = 30.0)]
    fps: f32,
    /// Target bitrate, bits per second.
    #[arg(long, default_value_t = 2_500_000)]
    bitrate: u32,
    /// Length of the clip, seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f32,
    /// Camera-like sensor noise added to every pixel, ± this many levels (of 255). A real
    /// headset films real equipment through a noisy sensor; the clean render alone encodes at
    /// about half the bitrate a camera's picture needs at 720p.
    #[arg(long, default_value_t = 4)]
    grain: u8,
    /// The factory scene to render.
    #[arg(long)]
    scene: Option<PathBuf>,
}

/// Adds ± `amplitude` of noise to each colour channel, different in every frame.
fn add_grain(rgba: &mut [u8], amplitude: u8, seed: u64) {
    if amplitude == 0 {
        return;
    }
    let span = 2 * u32::from(amplitude) + 1;
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for pixel in rgba.chunks_exact_mut(4) {
        // xorshift64: cheap, and deterministic so a clip records the same each time.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for (c, value) in pixel[..3].iter_mut().enumerate() {
            let noise = ((state >> (c * 16)) as u32 % span) as i32 - i32::from(amplitude);
            *value = (i32::from(*value) + noise).clamp(0, 255) as u8;
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.width % 2 == 0 && args.height % 2 == 0,
        "width and height must be even for H.264"
    );
    let scene = FactoryScene::load(&args.scene.clone().unwrap_or_else(default_scene_path))?;
    let format = ClipFormat {
        width: args.width,
        height: args.height,
        fps: args.fps,
    };
    let frame_count = (args.seconds * args.fps).round().max(1.0) as usize;
    let mut writer = ClipWriter::create(&args.out, format)?;
    let mut encoder = VideoEncoder::new(args.width, args.height, args.fps, args.bitrate)?;
    let (frames_tx, frames) = mpsc::sync_channel::<CapturedFrame>(2);
    let (_annotations, annotations_rx) = mpsc::channel();
    // A clip shows no recording light and takes no requests.
    let (_recording, recording_rx) = mpsc::channel();
    let (recording_requests, _) = tokio::sync::mpsc::unbounded_channel();
    let out = args.out.clone();
    let frame_ms = 1000.0 / f64::from(args.fps);
    let grain = args.grain;
    std::thread::spawn(move || {
        let result = (|| -> anyhow::Result<u64> {
            let mut bytes = 0u64;
            for (i, mut frame) in frames.iter().take(frame_count).enumerate() {
                add_grain(&mut frame.rgba, grain, i as u64);
                let encoded = encoder.encode(&frame.rgba, (i as f64 * frame_ms) as u64, i == 0)?;
                writer.write_frame(encoded.keyframe, &encoded.data)?;
                bytes += encoded.data.len() as u64;
            }
            writer.finish()?;
            Ok(bytes)
        })();
        match result {
            Ok(bytes) => {
                let seconds = frame_count as f64 / f64::from(format.fps);
                println!(
                    "recorded {frame_count} frames ({}x{} at {} frames/s, {:.0} kbit/s) to {}",
                    format.width,
                    format.height,
                    format.fps,
                    bytes as f64 * 8.0 / seconds / 1000.0,
                    out.display()
                );
                std::process::exit(0);
            }
            Err(e) => {
                eprintln!("spotter-record-clip: {e:#}");
                std::process::exit(1);
            }
        }
    });
    render::build_app(
        RenderConfig {
            width: args.width,
            height: args.height,
            fps: args.fps,
            display: Display::Headless,
            scene,
            clock: FrameClock::FixedStep,
            frame_source: FrameSource::Virtual,
        },
        RenderLinks {
            frames: frames_tx,
            annotations: annotations_rx,
            recording: recording_rx,
            recording_requests,
            camera: None,
            away: tokio::sync::watch::channel(false).0,
            mute_requests: tokio::sync::mpsc::unbounded_channel().0,
            acknowledge_requests: tokio::sync::mpsc::unbounded_channel().0,
            eye_pictures: None,
            detected_planes: Default::default(),
            room_status: tokio::sync::watch::channel(Default::default()).1,
            muted: Default::default(),
        },
    )
    .run();
    // The encoder thread ends the process once the clip is written.
    anyhow::bail!("the renderer stopped before the clip was recorded")
}
