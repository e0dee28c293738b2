//! Spawns the factory scene, the light and the head camera from [`FactoryScene`].

use super::RenderConfig;
use crate::scene::{FactoryScene, Part, parse_color};
use bevy::camera::RenderTarget;
use bevy::core_pipeline::tonemapping::{DebandDither, Tonemapping};
use bevy::prelude::*;

/// Marks the camera(s) that follow the head pose.
#[derive(Component)]
pub struct HeadCamera;

#[derive(Resource)]
pub struct Scene(pub FactoryScene);

pub fn color(hex: &str) -> Color {
    let [r, g, b] = parse_color(hex);
    Color::srgb(r, g, b)
}

pub fn add(app: &mut App, config: RenderConfig) {
    app.insert_resource(Scene(config.scene.clone()));
    // A real camera's picture is the world: only the marks are drawn over it.
    if matches!(config.frame_source, super::FrameSource::Virtual) {
        app.add_systems(Startup, spawn_scene);
    }
}

fn spawn_scene(
    mut commands: Commands,
    scene: Res<Scene>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let scene = &scene.0;
    let mut material = |hex: &str| {
        materials.add(StandardMaterial {
            base_color: color(hex),
            perceptual_roughness: 0.8,
            ..default()
        })
    };
    let floor = Plane3d::default()
        .mesh()
        .size(scene.floor.half_size * 2.0, scene.floor.half_size * 2.0);
    commands.spawn((
        Mesh3d(meshes.add(floor)),
        MeshMaterial3d(material(&scene.floor.color)),
        Transform::default(),
    ));
    for equipment in &scene.equipment {
        let pose = equipment.pose();
        let parent = commands
            .spawn((
                Name::new(equipment.id.to_string()),
                Transform::from_translation(pose.position).with_rotation(pose.rotation),
                Visibility::default(),
            ))
            .id();
        for part in &equipment.parts {
            let (mesh, offset, hex): (Mesh, Vec3, &str) = match part {
                Part::Box {
                    size,
                    offset,
                    color,
                } => (Cuboid::from_size(*size).into(), *offset, color),
                Part::Cylinder {
                    radius,
                    height,
                    offset,
                    color,
                } => (
                    Cylinder::new(*radius, *height).mesh().resolution(48).into(),
                    *offset,
                    color,
                ),
            };
            commands.spawn((
                Mesh3d(meshes.add(mesh)),
                MeshMaterial3d(material(hex)),
                Transform::from_translation(offset),
                ChildOf(parent),
            ));
        }
    }
    commands.spawn((
        DirectionalLight {
            illuminance: 6_000.0,
            shadow_maps_enabled: false,
            ..default()
        },
        Transform::from_xyz(3.0, 8.0, 5.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
}

/// The components of a camera that renders what the head sees.
/// A symmetric perspective of vertical field of view `fov_y` (radians).
pub fn perspective(fov_y: f32) -> Projection {
    Projection::Perspective(PerspectiveProjection {
        fov: fov_y,
        near: 0.05,
        ..default()
    })
}

pub fn head_camera(projection: Projection, target: RenderTarget, order: isize) -> impl Bundle {
    (
        HeadCamera,
        Camera3d::default(),
        Camera { order, ..default() },
        target,
        projection,
        Msaa::Off,
        Tonemapping::None,
        DebandDither::Disabled,
        Transform::default(),
    )
}
