//! Places the streamed camera where the pose source says (the simulated wearer's script, or
//! an OpenXR runtime's tracking) and reads every rendered frame back, stamped with the pose it
//! was rendered with.
//!
//! A read-back frame arrives after the update that posed it (the next one, as the render world
//! waits for the GPU each frame; more without that). So each frame gets its own short-lived
//! readback entity carrying that frame's pose: the readback is requested in the same extract
//! as the camera transform, and the completion names the entity.

use super::camera_picture::{self, Background};
use super::hud::own_view_camera;
use super::scene_spawn::{HeadCamera, Scene, head_camera, perspective};
use super::{Display, FrameClock, FrameSource, RenderConfig};
use crate::clock::unix_time_us;
use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::gpu_readback::{Readback, ReadbackComplete};
use bevy::render::render_resource::{PollType, TextureFormat, TextureUsages};
use bevy::render::renderer::RenderDevice;
use bevy::render::{Render, RenderApp, RenderSystems};
use bevy::window::WindowRef;
use spotter_protocol::{Intrinsics, Pose};
use std::sync::mpsc;

/// A rendered frame: tightly packed sRGB RGBA8 pixels and what the headset knew when it drew it.
pub struct CapturedFrame {
    pub rgba: Vec<u8>,
    pub pose: Pose,
    pub intrinsics: Intrinsics,
    pub capture_time_us: u64,
    /// What the runtime said, when the head is tracked.
    pub tracking: Option<TrackingStamp>,
}

/// The streamed camera's pose for the frame this update renders, written by the pose source
/// (in [`PoseSourceSet`]); no frame is captured before there is one.
#[derive(Resource, Debug, Clone, Copy)]
pub struct CameraPose {
    pub pose: Pose,
    /// When the picture is of (Unix µs).
    pub capture_time_us: u64,
    pub tracking: Option<TrackingStamp>,
}

/// A tracked frame's times and head pose as the OpenXR runtime gave them, so that a frame's
/// pose can be checked against the runtime's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TrackingStamp {
    /// The runtime's time the head was located at (XrTime, ns).
    pub runtime_time_ns: i64,
    /// The same instant on CLOCK_MONOTONIC (ns), which other processes can convert.
    pub monotonic_ns: i64,
    /// The head (VIEW space) in the tracking space (STAGE).
    pub head_in_stage: Pose,
}

/// The systems that write [`CameraPose`] each update.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoseSourceSet;

#[derive(Resource)]
struct Capture {
    target: Handle<Image>,
    intrinsics: Intrinsics,
    fov_y: f32,
    display: Display,
    clock: FrameClock,
    frames: mpsc::SyncSender<CapturedFrame>,
}

/// The pose a frame was rendered with, on that frame's readback entity.
#[derive(Component)]
struct FrameStamp(CameraPose);

pub fn add(app: &mut App, config: &RenderConfig, frames: mpsc::SyncSender<CapturedFrame>) {
    let mut image = Image::new_target_texture(
        config.width,
        config.height,
        TextureFormat::Rgba8UnormSrgb,
        None,
    );
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    let target = app.world_mut().resource_mut::<Assets<Image>>().add(image);
    app.insert_resource(Capture {
        target,
        intrinsics: match &config.frame_source {
            FrameSource::Virtual => config.scene.camera.intrinsics(config.width, config.height),
            FrameSource::Camera(calibration) => calibration.intrinsics,
        },
        fov_y: config.scene.camera.fov_y_deg.to_radians(),
        display: config.display,
        clock: config.clock,
        frames,
    })
    .add_systems(Startup, spawn_cameras)
    .add_systems(
        Update,
        (place_head_camera, request_readback)
            .chain()
            .after(PoseSourceSet),
    )
    .add_observer(on_readback);
    // In XR mode the runtime's tracking is the pose source (`crate::xr`).
    if matches!(config.display, Display::Headless | Display::Window) {
        app.add_systems(Update, follow_script.in_set(PoseSourceSet));
    }
    if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
        render_app.add_systems(Render, wait_for_readback.in_set(RenderSystems::PostCleanup));
    }
}

/// Waits for this frame's GPU work, so the readback requested with it is mapped now and
/// reaches the encoder with the next update instead of one frame later (about 40 ms at
/// 640x360 here). On a software rasteriser the wait costs no frame rate: the same cores do
/// the work either way.
fn wait_for_readback(device: Res<RenderDevice>) {
    if let Err(e) = device.poll(PollType::wait_indefinitely()) {
        tracing::warn!("waiting for the GPU: {e}");
    }
}

fn spawn_cameras(
    mut commands: Commands,
    capture: Res<Capture>,
    camera_picture: Option<Res<Background>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let target = RenderTarget::Image(capture.target.clone().into());
    match camera_picture {
        Some(background) => camera_picture::spawn_streamed_camera(
            &mut commands,
            target,
            &background,
            &mut meshes,
            &mut materials,
        ),
        None => {
            commands.spawn(head_camera(perspective(capture.fov_y), target, 0));
        }
    }
    if capture.display == Display::Window {
        commands.spawn(own_view_camera(
            capture.fov_y,
            RenderTarget::Window(WindowRef::Primary),
            1,
        ));
    }
}

/// The simulated wearer's pose source: the scene's scripted look-around.
fn follow_script(time: Res<Time>, scene: Res<Scene>, mut commands: Commands) {
    commands.insert_resource(CameraPose {
        pose: scene.0.camera.pose_at(time.elapsed_secs()),
        capture_time_us: unix_time_us(),
        tracking: None,
    });
}

/// The head's cameras (the streamed one, and the window's) render only once there is a pose
/// to render from.
fn place_head_camera(
    pose: Option<Res<CameraPose>>,
    mut cameras: Query<(&mut Transform, &mut Camera), With<HeadCamera>>,
) {
    for (mut transform, mut camera) in &mut cameras {
        match &pose {
            Some(pose) => {
                *transform = Transform::from_translation(pose.pose.position)
                    .with_rotation(pose.pose.rotation);
                camera.is_active = true;
            }
            None => camera.is_active = false,
        }
    }
}

fn request_readback(
    mut commands: Commands,
    capture: Res<Capture>,
    pose: Option<Res<CameraPose>>,
    requested: Query<Entity, (With<Readback>, With<FrameStamp>)>,
) {
    // Each readback entity reads exactly one frame: the one extracted with its pose.
    for entity in &requested {
        commands.entity(entity).remove::<Readback>();
    }
    let Some(pose) = pose else {
        return;
    };
    commands.spawn((Readback::texture(capture.target.clone()), FrameStamp(*pose)));
}

fn on_readback(
    event: On<ReadbackComplete>,
    stamps: Query<&FrameStamp>,
    capture: Res<Capture>,
    mut commands: Commands,
) {
    let Ok(stamp) = stamps.get(event.entity) else {
        return;
    };
    let (width, height) = (
        capture.intrinsics.width as usize,
        capture.intrinsics.height as usize,
    );
    let rgba = unpad_rows(&event.data, width, height);
    let frame = CapturedFrame {
        rgba,
        pose: stamp.0.pose,
        intrinsics: capture.intrinsics,
        capture_time_us: stamp.0.capture_time_us,
        tracking: stamp.0.tracking,
    };
    match capture.clock {
        // A full queue means the encoder is behind: drop this frame rather than add latency.
        FrameClock::RealTime => {
            let _ = capture.frames.try_send(frame);
        }
        // A recording keeps every frame: rendering waits for the encoder.
        FrameClock::FixedStep => {
            let _ = capture.frames.send(frame);
        }
    }
    commands.entity(event.entity).despawn();
}

/// GPU copies pad each row to 256 bytes; the encoder wants them packed.
fn unpad_rows(data: &[u8], width: usize, height: usize) -> Vec<u8> {
    let row = width * 4;
    let padded = row.div_ceil(256) * 256;
    if padded == row {
        return data[..row * height].to_vec();
    }
    data.chunks(padded)
        .take(height)
        .flat_map(|r| &r[..row])
        .copied()
        .collect()
}
