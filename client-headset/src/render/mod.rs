//! Bevy renders the factory and the resolved annotations from the scripted or tracked camera
//! pose, and hands every frame, stamped with the pose it was drawn with, to the encoder.
//!
//! Headless mode renders into an image on Mesa's lavapipe when there is no GPU; window mode
//! also shows the same view on screen for a person at a desktop; XR mode also renders both
//! eyes of an OpenXR headset, the head tracked by its runtime (see [`crate::xr`]).

mod annotations;
mod camera_picture;
mod capture;
mod hud;
mod intrinsics_projection;
mod scene_spawn;
mod status_panel;

pub use annotations::AnnotationUpdate;
pub use camera_picture::NewPicture;
pub use capture::{CameraPose, CapturedFrame, PoseSourceSet, TrackingStamp};
pub use hud::{OWN_VIEW_ONLY, OtherEye, OwnView, own_view_camera};

use crate::camera::calibration::Calibration;
use crate::camera::feed::CameraFrame;
use crate::recording::{RecordingIndicator, RecordingRequest};
use crate::scene::FactoryScene;
use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::settings::{Backends, RenderCreation, WgpuSettings};
use bevy::window::ExitCondition;
use std::sync::mpsc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// No window: render into an image only.
    Headless,
    /// Also show the view in a desktop window.
    Window,
    /// Also show the view in an OpenXR headset, whose runtime tracks the head and paces the
    /// frames.
    #[cfg(feature = "xr")]
    Xr,
}

/// How the simulated head's clock advances between frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameClock {
    /// With the wall clock, at most `fps` frames per second; frames the encoder has no time
    /// for are dropped (a live headset).
    RealTime,
    /// One frame period per frame, as fast as the machine renders, and no frame dropped (a
    /// recording: its motion plays back smoothly at `fps` however slowly it was rendered).
    FixedStep,
}

/// Where the streamed picture comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameSource {
    /// The factory scene rendered from the camera's pose (VR training, the tests).
    Virtual,
    /// A real camera's pictures (`RenderLinks::camera`), the marks drawn over them through its
    /// calibrated lens from where it was on the tracked head; no virtual scene.
    Camera(Calibration),
}

#[derive(Clone)]
pub struct RenderConfig {
    pub width: u32,
    pub height: u32,
    /// Upper bound on rendered frames per second.
    pub fps: f32,
    pub display: Display,
    pub scene: FactoryScene,
    pub clock: FrameClock,
    pub frame_source: FrameSource,
}

/// The renderer's links to the rest of the headset.
pub struct RenderLinks {
    /// Every rendered frame; when the encoder falls behind, frames are dropped, not queued.
    pub frames: mpsc::SyncSender<CapturedFrame>,
    /// Annotations to show or remove.
    pub annotations: mpsc::Receiver<AnnotationUpdate>,
    /// The room's recording, for the light in the wearer's own view.
    pub recording: mpsc::Receiver<RecordingIndicator>,
    /// The wearer's requests to start or stop it (the R key in window mode).
    pub recording_requests: tokio::sync::mpsc::UnboundedSender<RecordingRequest>,
    /// The camera's pictures, for `FrameSource::Camera`.
    pub camera: Option<mpsc::Receiver<CameraFrame>>,
    /// Set when the wearer takes the headset off (XR mode: from the session's state).
    pub away: tokio::sync::watch::Sender<bool>,
    /// In the room or not, and how many others are, for the lights in the wearer's view.
    pub room_status: tokio::sync::watch::Receiver<crate::room_status::RoomStatus>,
    /// Whether the wearer's microphone is muted, for the light in their view.
    pub muted: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The wearer's mute and unmute (XR mode: a controller button).
    pub mute_requests: tokio::sync::mpsc::UnboundedSender<crate::microphone_mute::MuteRequest>,
    /// The wearer acknowledges the newest mark (XR mode: a controller button).
    pub acknowledge_requests: tokio::sync::mpsc::UnboundedSender<()>,
    /// XR mode: the `eyes` command's requests for what each eye shows.
    pub eye_pictures: Option<EyePicturesLink>,
    /// XR mode with a camera: where the runtime's detected planes go, for resolving.
    pub detected_planes: crate::surfaces::planes::DetectedPlanes,
}

/// `--eye-pictures DIR`: each request writes what the eyes show now into `dir`.
pub struct EyePicturesLink {
    pub dir: std::path::PathBuf,
    pub requests: mpsc::Receiver<()>,
}

/// What the OpenXR mode reports to the session: the wearer's presence and their buttons.
#[cfg(feature = "xr")]
pub struct XrLinks {
    pub away: tokio::sync::watch::Sender<bool>,
    pub recording_requests: tokio::sync::mpsc::UnboundedSender<RecordingRequest>,
    pub mute_requests: tokio::sync::mpsc::UnboundedSender<crate::microphone_mute::MuteRequest>,
    pub acknowledge_requests: tokio::sync::mpsc::UnboundedSender<()>,
    pub eye_pictures: Option<EyePicturesLink>,
    pub detected_planes: crate::surfaces::planes::DetectedPlanes,
}

/// Builds the app; `app.run()` renders until the process ends.
pub fn build_app(config: RenderConfig, links: RenderLinks) -> App {
    let mut app = App::new();
    let window = config.display == Display::Window;
    let primary_window = window.then(|| Window {
        title: format!("Spotter headset (simulated) — {}", config.scene.name),
        resolution: (config.width, config.height).into(),
        ..default()
    });
    let plugins = DefaultPlugins.build().set(WindowPlugin {
        primary_window,
        exit_condition: match window {
            false => ExitCondition::DontExit,
            true => ExitCondition::OnPrimaryClosed,
        },
        ..default()
    });
    #[cfg(feature = "window")]
    let plugins = match window {
        false => plugins.disable::<bevy::winit::WinitPlugin>(),
        true => plugins,
    };
    // Pipelined rendering overlaps a frame's rendering with the next frame's update: a frame of
    // latency (35 ms measured at 640x360 on two cores) for no frame rate gained here.
    let plugins = plugins.disable::<bevy::render::pipelined_rendering::PipelinedRenderingPlugin>();
    let plugins = match config.display {
        #[cfg(feature = "xr")]
        Display::Xr => crate::xr::plugins(plugins),
        Display::Headless | Display::Window => plugins.set(RenderPlugin {
            render_creation: RenderCreation::Automatic(Box::new(WgpuSettings {
                backends: Some(Backends::VULKAN),
                ..default()
            })),
            // Otherwise the first frames are blank while shaders compile.
            synchronous_pipeline_compilation: true,
            ..default()
        }),
    };
    app.add_plugins(plugins);
    let frame_period = Duration::from_secs_f32(1.0 / config.fps);
    match config.display {
        Display::Headless => {
            app.add_plugins(ScheduleRunnerPlugin::run_loop(match config.clock {
                FrameClock::RealTime => frame_period,
                FrameClock::FixedStep => Duration::ZERO,
            }));
        }
        Display::Window => {}
        // The runtime paces the frames (xrWaitFrame); the short wait only keeps the loop from
        // spinning while no session runs.
        #[cfg(feature = "xr")]
        Display::Xr => {
            app.add_plugins(ScheduleRunnerPlugin::run_loop(Duration::from_millis(2)));
        }
    }
    if config.clock == FrameClock::FixedStep {
        app.insert_resource(bevy::time::TimeUpdateStrategy::ManualDuration(frame_period));
    }
    app.insert_resource(GlobalAmbientLight {
        color: Color::WHITE,
        brightness: 600.0,
        ..default()
    });
    let clear = match config.frame_source {
        FrameSource::Virtual => scene_spawn::color(&config.scene.sky_color),
        FrameSource::Camera(_) => Color::BLACK,
    };
    app.insert_resource(ClearColor(clear));
    scene_spawn::add(&mut app, config.clone());
    if let (FrameSource::Camera(calibration), Some(pictures)) = (&config.frame_source, links.camera)
    {
        camera_picture::add(&mut app, calibration, pictures);
    }
    capture::add(&mut app, &config, links.frames);
    annotations::add(&mut app, links.annotations);
    #[cfg(feature = "xr")]
    let recording_requests_for_xr = links.recording_requests.clone();
    hud::add(
        &mut app,
        links.recording,
        links.muted,
        links.room_status,
        links.recording_requests,
    );
    #[cfg(feature = "xr")]
    if config.display == Display::Xr {
        crate::xr::add(
            &mut app,
            &config,
            XrLinks {
                away: links.away,
                recording_requests: recording_requests_for_xr,
                mute_requests: links.mute_requests,
                acknowledge_requests: links.acknowledge_requests,
                eye_pictures: links.eye_pictures,
                detected_planes: links.detected_planes,
            },
        );
    }
    app
}
