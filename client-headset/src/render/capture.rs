//! Moves the head camera along the script and reads every rendered frame back, stamped with
//! the pose it was rendered with.
//!
//! A read-back frame arrives after the update that posed it (the next one, as the render world
//! waits for the GPU each frame; more without that). So each frame gets its own short-lived
//! readback entity carrying that frame's pose: the readback is requested in the same extract
//! as the camera transform, and the completion names the entity.

use super::hud::own_view_camera;
use super::scene_spawn::{HeadCamera, Scene, head_camera};
use super::{Display, FrameClock, RenderConfig};
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
}

#[derive(Resource)]
struct Capture {
    target: Handle<Image>,
    intrinsics: Intrinsics,
    fov_y: f32,
    display: Display,
    clock: FrameClock,
    frames: mpsc::SyncSender<CapturedFrame>,
}

#[derive(Component)]
struct FrameStamp {
    pose: Pose,
    capture_time_us: u64,
}

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
        intrinsics: config.scene.camera.intrinsics(config.width, config.height),
        fov_y: config.scene.camera.fov_y_deg.to_radians(),
        display: config.display,
        clock: config.clock,
        frames,
    })
    .add_systems(Startup, spawn_cameras)
    .add_systems(Update, (move_head, request_readback).chain())
    .add_observer(on_readback);
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

fn spawn_cameras(mut commands: Commands, capture: Res<Capture>) {
    commands.spawn(head_camera(
        capture.fov_y,
        RenderTarget::Image(capture.target.clone().into()),
        0,
    ));
    if capture.display == Display::Window {
        commands.spawn(own_view_camera(
            capture.fov_y,
            RenderTarget::Window(WindowRef::Primary),
            1,
        ));
    }
}

fn move_head(
    time: Res<Time>,
    scene: Res<Scene>,
    mut cameras: Query<&mut Transform, With<HeadCamera>>,
) {
    let pose = scene.0.camera.pose_at(time.elapsed_secs());
    for mut transform in &mut cameras {
        *transform = Transform::from_translation(pose.position).with_rotation(pose.rotation);
    }
}

fn request_readback(
    mut commands: Commands,
    capture: Res<Capture>,
    cameras: Query<&Transform, With<HeadCamera>>,
    requested: Query<Entity, (With<Readback>, With<FrameStamp>)>,
) {
    // Each readback entity reads exactly one frame: the one extracted with its pose.
    for entity in &requested {
        commands.entity(entity).remove::<Readback>();
    }
    let Some(transform) = cameras.iter().next() else {
        return;
    };
    commands.spawn((
        Readback::texture(capture.target.clone()),
        FrameStamp {
            pose: Pose::new(transform.translation, transform.rotation),
            capture_time_us: unix_time_us(),
        },
    ));
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
        pose: stamp.pose,
        intrinsics: capture.intrinsics,
        capture_time_us: stamp.capture_time_us,
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
