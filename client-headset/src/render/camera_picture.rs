//! The camera frame source in the renderer: the newest picture from the headset's camera fills
//! the streamed camera's view, behind the marks, and the streamed camera sees through the
//! camera's calibrated lens from where the camera was when the picture was taken — so the
//! video shows the marks over the real equipment (mixed-reality capture).
//!
//! Each update that has a new picture puts [`NewPicture`] in the world; the pose source locates
//! the head at that picture's time (see `xr::tracking`), and the frame is captured with both.

use super::PoseSourceSet;
use super::intrinsics_projection::IntrinsicsProjection;
use super::scene_spawn::head_camera;
use crate::camera::calibration::Calibration;
use crate::camera::feed::CameraFrame;
use bevy::asset::RenderAssetUsages;
use bevy::camera::RenderTarget;
use bevy::camera::visibility::RenderLayers;
use bevy::light::NotShadowCaster;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use spotter_protocol::Intrinsics;
use std::sync::{Mutex, mpsc};

/// What only the streamed camera sees: the camera's picture.
pub const STREAM_ONLY: usize = 2;

/// The picture hangs this far ahead of the camera (metres): behind every mark, inside the
/// projection's far limit.
const PICTURE_DISTANCE: f32 = 900.0;

/// The newest camera picture, shown this update.
#[derive(Resource, Debug, Clone, Copy)]
pub struct NewPicture {
    /// When it was captured, on CLOCK_MONOTONIC.
    pub monotonic_ns: i64,
}

#[derive(Resource)]
struct Pictures(Mutex<mpsc::Receiver<CameraFrame>>);

#[derive(Resource)]
pub struct Background {
    image: Handle<Image>,
    intrinsics: Intrinsics,
}

pub fn add(app: &mut App, calibration: &Calibration, pictures: mpsc::Receiver<CameraFrame>) {
    let k = calibration.intrinsics;
    let image = Image::new_fill(
        Extent3d {
            width: k.width,
            height: k.height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        &[0, 0, 0, 255],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD | RenderAssetUsages::MAIN_WORLD,
    );
    let image = app.world_mut().resource_mut::<Assets<Image>>().add(image);
    app.insert_resource(Background {
        image,
        intrinsics: k,
    })
    .insert_resource(Pictures(Mutex::new(pictures)))
    .add_systems(Update, show_newest_picture.before(PoseSourceSet));
}

fn show_newest_picture(
    pictures: Res<Pictures>,
    background: Res<Background>,
    mut images: ResMut<Assets<Image>>,
    mut commands: Commands,
) {
    let newest = pictures.0.lock().ok().and_then(|p| p.try_iter().last());
    let Some(frame) = newest else {
        commands.remove_resource::<NewPicture>();
        return;
    };
    if let Some(mut image) = images.get_mut(&background.image) {
        image.data = Some(frame.rgba);
    }
    commands.insert_resource(NewPicture {
        monotonic_ns: frame.monotonic_ns,
    });
}

/// The streamed camera for the camera source: its lens, and the picture in front of it.
pub fn spawn_streamed_camera(
    commands: &mut Commands,
    target: RenderTarget,
    background: &Background,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) {
    let k = background.intrinsics;
    let (w, h) = (k.width as f32, k.height as f32);
    // The picture's edges on the plane PICTURE_DISTANCE ahead, through the lens.
    let size = Vec2::new(w / k.fx, h / k.fy) * PICTURE_DISTANCE;
    let centre = Vec2::new((w / 2.0 - k.cx) / k.fx, -(h / 2.0 - k.cy) / k.fy) * PICTURE_DISTANCE;
    commands
        .spawn((
            head_camera(Projection::custom(IntrinsicsProjection::new(k)), target, 0),
            RenderLayers::from_layers(&[0, STREAM_ONLY]),
        ))
        .with_child((
            Mesh3d(meshes.add(Rectangle::from_size(size))),
            MeshMaterial3d(materials.add(StandardMaterial {
                base_color_texture: Some(background.image.clone()),
                unlit: true,
                ..default()
            })),
            Transform::from_translation(centre.extend(-PICTURE_DISTANCE)),
            RenderLayers::layer(STREAM_ONLY),
            NotShadowCaster,
        ));
}
