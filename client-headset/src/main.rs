//! `spotter-headset`: the technician's client. `--mode headless` (default) renders the demo
//! factory offscreen, `--mode window` also shows it on the desktop, `--mode xr` (built with the
//! `xr` feature) runs on an OpenXR headset: the runtime tracks the head, both eyes show the
//! room's marks, and the stream is the factory rendered from the tracked head.

use clap::{Parser, ValueEnum};
use spotter_headset::camera::calibration::Calibration;
use spotter_headset::camera::feed::{CameraFeed, TestPattern};
use spotter_headset::camera::undistort::Undistort;
use spotter_headset::camera_rig::CameraRig;
use spotter_headset::clock::unix_time_us;
use spotter_headset::encoder::VideoEncoder;
use spotter_headset::frame_records::{FrameRecord, FrameRecords};
use spotter_headset::microphone_mute::MuteRequest;
use spotter_headset::rate::RateFollower;
use spotter_headset::recording::RecordingRequest;
use spotter_headset::render::{
    self, CapturedFrame, Display, EyePicturesLink, FrameClock, FrameSource, RenderConfig,
    RenderLinks,
};
use spotter_headset::scene::{FactoryScene, default_scene_path};
use spotter_headset::session::{self, OutgoingFrame, SessionConfig, SessionLinks};
use spotter_headset::surfaces::KnownWorld;
use spotter_headset::surfaces::planes::DetectedPlanes;
use spotter_headset::voice::{HeardSink, VoiceSource};
use spotter_headset::wearer_commands::WearerCommand;
use spotter_protocol::FrameMeta;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::Instant;
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
enum Voice {
    Simulated,
    Microphone,
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    /// Simulated headset rendering offscreen (no window, no GPU needed).
    Headless,
    /// Simulated headset shown in a desktop window.
    Window,
    /// An OpenXR headset (the runtime the system's OpenXR loader finds).
    Xr,
}

#[derive(Debug, Parser)]
#[command(
    name = "spotter-headset",
    version,
    about = "Spotter's headset client (technician)"
)]
struct Args {
    /// The Spotter server.
    #[arg(long, env = "SPOTTER_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    #[arg(long, default_value = "demo")]
    room: String,
    /// A technician's access token for the room (the `token` of an invite from the admin API).
    #[arg(long, env = "SPOTTER_TOKEN", hide_env_values = true)]
    token: String,
    #[arg(long, default_value = "Technician (simulated)")]
    name: String,
    #[arg(long, value_enum, default_value = "headless")]
    mode: Mode,
    /// The factory scene to render.
    #[arg(long)]
    scene: Option<PathBuf>,
    #[arg(long, default_value_t = 640)]
    width: u32,
    #[arg(long, default_value_t = 360)]
    height: u32,
    /// Highest frame rate to render and send.
    #[arg(long, default_value_t = 30.0)]
    fps: f32,
    /// The technician's voice: a speech-like test signal, the microphone (built with the
    /// `audio-device` feature), or none.
    #[arg(long, value_enum, default_value = "simulated")]
    voice: Voice,
    /// The microphone's cpal device id (e.g. `alsa:default`); the system default otherwise.
    #[arg(long)]
    audio_device: Option<String>,
    /// Play the voices heard on the speakers (built with the `audio-device` feature).
    #[arg(long)]
    speakers: bool,
    /// The speakers' cpal device id; the system default otherwise.
    #[arg(long)]
    audio_output: Option<String>,
    /// Video bitrate, bits per second.
    #[arg(long, default_value_t = 1_500_000)]
    bitrate: u32,
    /// Write every streamed frame's pose and times to this file, one JSON line per frame.
    #[arg(long)]
    frame_records: Option<PathBuf>,
    /// Where the `eyes` command writes what each eye shows (`--mode xr`): a PNG an eye and a
    /// JSON file with each eye's pose and field of view, as submitted to the runtime.
    #[arg(long)]
    eye_pictures: Option<PathBuf>,
    /// What the expert sees (`--mode xr`): `virtual` (the factory rendered from the tracked
    /// head), a camera on the headset by its Video4Linux2 device (`/dev/video0`; a build with
    /// `--features camera`), or `test-pattern` (colour bars standing in for a camera). With a
    /// camera the marks are drawn over its pictures and resolve on the floor or ahead
    /// (estimates).
    #[arg(long, default_value = "virtual")]
    frame_source: String,
    /// The camera's calibration file (TOML: its intrinsics and its place on the head; see
    /// `client-headset/src/camera/calibration.rs`). A camera needs one; it sets the size.
    #[arg(long)]
    camera_calibration: Option<PathBuf>,
}

/// The frame source the arguments ask for, with the camera's feed when it is one.
fn frame_source(args: &Args) -> anyhow::Result<(FrameSource, Option<Box<dyn CameraFeed>>)> {
    let source = args.frame_source.as_str();
    if source == "virtual" {
        return Ok((FrameSource::Virtual, None));
    }
    anyhow::ensure!(
        matches!(args.mode, Mode::Xr),
        "--frame-source {source} needs --mode xr: a camera's pose comes from the OpenXR \
         runtime's head tracking"
    );
    let calibration = match (&args.camera_calibration, source) {
        (Some(path), _) => Calibration::load(path)?,
        // The pattern's own lens: what the virtual camera has, between the eyes.
        (None, "test-pattern") => Calibration {
            intrinsics: spotter_protocol::Intrinsics::from_vertical_fov(
                60f32.to_radians(),
                args.width,
                args.height,
            ),
            distortion: Default::default(),
            head_from_camera: spotter_protocol::Pose::IDENTITY,
        },
        (None, _) => anyhow::bail!(
            "--frame-source {source} needs --camera-calibration FILE: without the camera's lens \
             and its place on the head every mark would land in the wrong place"
        ),
    };
    let (width, height) = (calibration.intrinsics.width, calibration.intrinsics.height);
    let feed: Box<dyn CameraFeed> = if source == "test-pattern" {
        Box::new(TestPattern::new(width, height, args.fps))
    } else {
        open_camera(std::path::Path::new(source), width, height)?
    };
    Ok((FrameSource::Camera(calibration), Some(feed)))
}

#[cfg(feature = "camera")]
fn open_camera(
    path: &std::path::Path,
    width: u32,
    height: u32,
) -> anyhow::Result<Box<dyn CameraFeed>> {
    Ok(Box::new(
        spotter_headset::camera::v4l2::CameraCapture::open(path, width, height)?,
    ))
}

#[cfg(not(feature = "camera"))]
fn open_camera(path: &std::path::Path, _: u32, _: u32) -> anyhow::Result<Box<dyn CameraFeed>> {
    anyhow::bail!(
        "cannot open the camera {}: this build has no camera support (rebuild with `--features \
         camera`)",
        path.display()
    )
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let display = match args.mode {
        Mode::Headless => Display::Headless,
        Mode::Window => Display::Window,
        #[cfg(feature = "xr")]
        Mode::Xr => Display::Xr,
        #[cfg(not(feature = "xr"))]
        Mode::Xr => {
            eprintln!(
                "spotter-headset: {}",
                spotter_headset::xr::unavailable_reason()
            );
            std::process::exit(2);
        }
    };
    let records = args
        .frame_records
        .as_deref()
        .map(FrameRecords::create)
        .transpose()?;
    anyhow::ensure!(
        args.width % 2 == 0 && args.height % 2 == 0,
        "width and height must be even for H.264"
    );
    let scene = FactoryScene::load(&args.scene.clone().unwrap_or_else(default_scene_path))?;
    let (frame_source, camera_feed) = frame_source(&args)?;
    // A camera's pictures set the stream's size.
    let (width, height) = match &frame_source {
        FrameSource::Virtual => (args.width, args.height),
        FrameSource::Camera(calibration) => {
            (calibration.intrinsics.width, calibration.intrinsics.height)
        }
    };
    let camera_pictures = match (camera_feed, &frame_source) {
        (Some(feed), FrameSource::Camera(c)) => Some(spotter_headset::camera::feed::spawn(
            feed,
            Undistort::new(c.intrinsics, c.distortion),
        )?),
        _ => None,
    };

    let (captured_tx, captured_rx) = std_mpsc::sync_channel::<CapturedFrame>(1);
    let (outgoing_tx, outgoing_rx) = mpsc::channel::<OutgoingFrame>(2);
    let (annotations_tx, annotations_rx) = std_mpsc::channel();
    let keyframe_wanted = Arc::new(AtomicBool::new(true));
    let (recording_requests_tx, recording_requests) = mpsc::unbounded_channel();
    let (recording_shown, recording_rx) = std_mpsc::channel();
    let (away_tx, away_rx) = tokio::sync::watch::channel(false);
    let (mute_requests_tx, mute_requests) = mpsc::unbounded_channel();
    let (acknowledge_tx, acknowledge_requests) = mpsc::unbounded_channel();
    let (room_status_tx, room_status_rx) = tokio::sync::watch::channel(Default::default());
    let muted = Arc::new(AtomicBool::new(false));
    let (eye_pictures_tx, eye_pictures) = match &args.eye_pictures {
        Some(dir) => {
            anyhow::ensure!(
                matches!(args.mode, Mode::Xr),
                "--eye-pictures needs --mode xr: only a headset has eyes to picture"
            );
            std::fs::create_dir_all(dir).map_err(|e| {
                anyhow::anyhow!(
                    "cannot make the eye pictures' folder {}: {e}",
                    dir.display()
                )
            })?;
            let (tx, requests) = std_mpsc::channel();
            let link = EyePicturesLink {
                dir: dir.clone(),
                requests,
            };
            (Some(tx), Some(link))
        }
        None => (None, None),
    };
    read_commands(CommandLinks {
        recording: recording_requests_tx.clone(),
        mute: mute_requests_tx.clone(),
        acknowledge: acknowledge_tx.clone(),
        eye_pictures: eye_pictures_tx,
    })?;
    let estimate_bps = Arc::new(AtomicU64::new(0));

    let encoder = VideoEncoder::new(width, height, args.fps, args.bitrate)?;
    let wanted = keyframe_wanted.clone();
    let estimate = estimate_bps.clone();
    let follower = RateFollower::new(args.bitrate, width, height, args.fps);
    let fps = args.fps;
    std::thread::Builder::new()
        .name("encoder".into())
        .spawn(move || {
            encode_loop(
                encoder,
                captured_rx,
                outgoing_tx,
                EncoderControl {
                    keyframe_wanted: wanted,
                    estimate_bps: estimate,
                    follower,
                    fps,
                },
                records,
            )
        })?;

    // The microphone's frames, when the voice comes from it (opened on the network thread).
    let (mic_tx, mut mic_frames) = if args.voice == Voice::Microphone {
        let (tx, rx) = mpsc::channel(50);
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    let session_config = SessionConfig {
        server: args.server.clone(),
        room: args.room.clone(),
        token: args.token.clone(),
        name: args.name.clone(),
        voice: match args.voice {
            Voice::Simulated => VoiceSource::Simulated,
            Voice::Off => VoiceSource::Off,
            Voice::Microphone => VoiceSource::Microphone(Arc::new(tokio::sync::Mutex::new(
                mic_frames.take().expect("the microphone's frames"),
            ))),
        },
        video_bitrate: args.bitrate,
    };
    let session_muted = muted.clone();
    // What the runtime's plane detection finds (XR mode, a camera source), for resolving.
    let detected_planes = DetectedPlanes::default();
    let known_world = match &frame_source {
        FrameSource::Virtual => KnownWorld::virtual_scene(&scene),
        // The fallbacks stand in the world the camera rig places the tracking space in.
        FrameSource::Camera(calibration) => KnownWorld::real_world(
            CameraRig::on_real_camera(calibration.head_from_camera).world_from_stage,
            detected_planes.clone(),
        ),
    };
    let audio_device = args.audio_device.clone();
    let (speakers_wanted, audio_output) = (args.speakers, args.audio_output.clone());
    std::thread::Builder::new()
        .name("network".into())
        .spawn(move || {
            // The microphone's stream lives on this thread, for as long as the session runs.
            let _microphone = match mic_tx {
                Some(tx) => match open_microphone(audio_device.as_deref(), tx) {
                    Ok(mic) => Some(mic),
                    Err(e) => {
                        eprintln!("spotter-headset: {e:#}");
                        std::process::exit(1);
                    }
                },
                None => None,
            };
            let speakers = if speakers_wanted {
                match open_speakers(audio_output.as_deref()) {
                    Ok(speakers) => Some(speakers),
                    Err(e) => {
                        eprintln!("spotter-headset: {e:#}");
                        std::process::exit(1);
                    }
                }
            } else {
                None
            };
            let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
            let links = SessionLinks {
                frames: outgoing_rx,
                annotations: annotations_tx,
                keyframe_wanted,
                estimate_bps,
                heard: speakers.as_ref().map(|(_, sink)| sink.clone()),
                recording_requests,
                recording_shown,
                away: away_rx,
                mute_requests,
                acknowledge_requests,
                room_status: room_status_tx,
                muted: session_muted,
            };
            if let Err(e) = runtime.block_on(session::run(session_config, known_world, links)) {
                eprintln!("spotter-headset: {e:#}");
                std::process::exit(1);
            }
            std::process::exit(0);
        })?;

    let config = RenderConfig {
        width,
        height,
        fps: args.fps,
        display,
        scene,
        clock: FrameClock::RealTime,
        frame_source,
    };
    let exit = render::build_app(
        config,
        RenderLinks {
            frames: captured_tx,
            annotations: annotations_rx,
            recording: recording_rx,
            recording_requests: recording_requests_tx,
            camera: camera_pictures,
            away: away_tx,
            mute_requests: mute_requests_tx,
            acknowledge_requests: acknowledge_tx,
            muted,
            room_status: room_status_rx,
            eye_pictures,
            detected_planes,
        },
    )
    .run();
    // The renderer only ends on its own in XR mode, when the runtime ends the session; the
    // process's end closes the signaling connection, and the room sees the technician leave.
    match exit {
        bevy::app::AppExit::Success => Ok(()),
        bevy::app::AppExit::Error(code) => std::process::exit(i32::from(code.get())),
    }
}

/// Where the wearer's commands go.
struct CommandLinks {
    recording: mpsc::UnboundedSender<RecordingRequest>,
    mute: mpsc::UnboundedSender<MuteRequest>,
    acknowledge: mpsc::UnboundedSender<()>,
    /// `Some` with `--eye-pictures DIR` in XR mode.
    eye_pictures: Option<std_mpsc::Sender<()>>,
}

/// Reads the wearer's commands from standard input, one a line (see `wearer_commands`).
fn read_commands(links: CommandLinks) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("commands".into())
        .spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { return };
                let sent = match WearerCommand::parse(&line) {
                    Ok(None) => true,
                    Ok(Some(WearerCommand::Recording(request))) => {
                        links.recording.send(request).is_ok()
                    }
                    Ok(Some(WearerCommand::Mute(request))) => links.mute.send(request).is_ok(),
                    Ok(Some(WearerCommand::Acknowledge)) => links.acknowledge.send(()).is_ok(),
                    Ok(Some(WearerCommand::EyePictures)) => match &links.eye_pictures {
                        Some(eyes) => eyes.send(()).is_ok(),
                        None => {
                            eprintln!(
                                "spotter-headset: 'eyes' writes the eyes' pictures in --mode xr \
                                 with --eye-pictures DIR"
                            );
                            true
                        }
                    },
                    Err(e) => {
                        eprintln!("spotter-headset: {e}");
                        true
                    }
                };
                if !sent {
                    return;
                }
            }
        })?;
    Ok(())
}

/// The microphone's stream, kept open for the session.
#[cfg(feature = "audio-device")]
type Microphone = spotter_headset::microphone::Microphone;
#[cfg(not(feature = "audio-device"))]
type Microphone = ();

#[cfg(feature = "audio-device")]
fn open_microphone(
    device: Option<&str>,
    frames: mpsc::Sender<[i16; spotter_peer::voice::FRAME_SAMPLES]>,
) -> anyhow::Result<Microphone> {
    spotter_headset::microphone::open(device, frames)
}

#[cfg(not(feature = "audio-device"))]
fn open_microphone(
    _device: Option<&str>,
    _frames: mpsc::Sender<[i16; spotter_peer::voice::FRAME_SAMPLES]>,
) -> anyhow::Result<Microphone> {
    anyhow::bail!(
        "this headset was built without the microphone: rebuild with --features audio-device"
    )
}

/// The speakers and what queues voice on them.
#[cfg(feature = "audio-device")]
fn open_speakers(
    device: Option<&str>,
) -> anyhow::Result<(spotter_headset::speakers::Speakers, HeardSink)> {
    let speakers = spotter_headset::speakers::open(device)?;
    let player = speakers.player();
    let sink: HeardSink = Arc::new(move |track, samples| player.play(track, samples));
    Ok((speakers, sink))
}

#[cfg(not(feature = "audio-device"))]
fn open_speakers(_device: Option<&str>) -> anyhow::Result<((), HeardSink)> {
    anyhow::bail!("this headset was built without speakers: rebuild with --features audio-device")
}

/// What steers the encoder besides the frames.
struct EncoderControl {
    keyframe_wanted: Arc<AtomicBool>,
    /// Congestion control's estimate less what retransmissions take: what new video and voice
    /// may use (bits per second, 0: none yet).
    estimate_bps: Arc<AtomicU64>,
    follower: RateFollower,
    fps: f32,
}

/// Encodes rendered frames as they come; reports the frame rate and how long frames take from
/// capture (the pose they were rendered with) to encoded, every 5 s.
fn encode_loop(
    mut encoder: VideoEncoder,
    frames: std_mpsc::Receiver<CapturedFrame>,
    out: mpsc::Sender<OutgoingFrame>,
    mut control: EncoderControl,
    mut records: Option<FrameRecords>,
) {
    let mut window_start = Instant::now();
    let mut count = 0u32;
    let mut capture_to_encoded_ms = 0.0f64;
    for frame in frames {
        let estimate = control.estimate_bps.load(Ordering::Relaxed);
        if estimate > 0
            && let Some(bps) = control.follower.update(estimate as f64, Instant::now())
        {
            // A new size restarts the encoder; the bitrate then applies to the new stream.
            // The follower only offers sizes the encoder can take (`scales_exactly`).
            if let Err(e) = encoder.set_scale(control.follower.rung().scale) {
                tracing::warn!("{e:#}");
            }
            if let Err(e) = encoder.set_bitrate(bps) {
                tracing::warn!("{e:#}");
            }
            let (width, height) = encoder.encoded_size();
            tracing::info!(
                estimate_kbps = estimate / 1000,
                video_kbps = bps / 1000,
                size = %format!("{width}x{height}"),
                fps = control.follower.kept_fps(control.fps),
                "following the network's estimate"
            );
        }
        if !control.follower.keep_frame() {
            continue;
        }
        let keyframe = control.keyframe_wanted.swap(false, Ordering::Relaxed);
        let encoded = match encoder.encode(&frame.rgba, frame.capture_time_us / 1000, keyframe) {
            Ok(encoded) => encoded,
            Err(e) => {
                tracing::error!("encoding failed: {e}");
                continue;
            }
        };
        let meta = FrameMeta {
            rtp_timestamp: 0,
            pose: frame.pose,
            intrinsics: frame.intrinsics,
            capture_time_us: frame.capture_time_us,
        };
        if out.blocking_send(OutgoingFrame { encoded, meta }).is_err() {
            return;
        }
        if let Some(writer) = &mut records {
            let record = FrameRecord {
                capture_time_us: frame.capture_time_us,
                pose: frame.pose,
                tracking: frame.tracking,
            };
            if let Err(e) = writer.write(&record) {
                tracing::error!("writing the frame records: {e}; no more are written");
                records = None;
            }
        }
        count += 1;
        capture_to_encoded_ms +=
            (unix_time_us().saturating_sub(frame.capture_time_us)) as f64 / 1000.0;
        let elapsed = window_start.elapsed().as_secs_f32();
        if elapsed >= 5.0 {
            tracing::info!(
                fps = count as f32 / elapsed,
                capture_to_encoded_ms = capture_to_encoded_ms / f64::from(count),
                video_kbps = control.follower.video_bps() / 1000,
                estimate_kbps = control.estimate_bps.load(Ordering::Relaxed) / 1000,
                size = %{
                    let (width, height) = encoder.encoded_size();
                    format!("{width}x{height}")
                },
                "headset frames per second"
            );
            window_start = Instant::now();
            count = 0;
            capture_to_encoded_ms = 0.0;
        }
    }
}
