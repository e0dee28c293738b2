//! Shows resolved annotations in the scene: in world space, attached to their anchor, so they
//! are in the headset's view and in its video. A mark whose position is a guess (no known
//! surface under it) is drawn inside a faint halo as wide as the doubt, so the wearer does not
//! take it for a measured spot; the mark itself stays solid, its colour legible over any
//! background.

use super::scene_spawn::color;
use bevy::prelude::*;
use spotter_protocol::{Annotation, AnnotationId, AnnotationKind, SurfaceQuality};
use std::sync::{Mutex, mpsc};

pub enum AnnotationUpdate {
    /// Everything the room holds (on join).
    Replace(Vec<Annotation>),
    Added(Annotation),
    Deleted(AnnotationId),
}

#[derive(Resource)]
struct Updates(Mutex<mpsc::Receiver<AnnotationUpdate>>);

#[derive(Component)]
struct Shown(AnnotationId);

/// Sizes in metres, legible at a few metres on a headset.
const POINT_RADIUS: f32 = 0.04;
const SHAFT_RADIUS: f32 = 0.012;
const HEAD_RADIUS: f32 = 0.035;
const HEAD_LENGTH: f32 = 0.09;

/// How a mark is drawn for what its position rests on: a guess gets a halo around its spot.
fn halo_radius(surface: SurfaceQuality) -> Option<f32> {
    match surface {
        SurfaceQuality::Exact | SurfaceQuality::Mesh | SurfaceQuality::Plane => None,
        SurfaceQuality::Estimate => Some(POINT_RADIUS * 3.0),
    }
}

const HALO_OPACITY: f32 = 0.2;

pub fn add(app: &mut App, updates: mpsc::Receiver<AnnotationUpdate>) {
    app.insert_resource(Updates(Mutex::new(updates)))
        .add_systems(Update, apply_updates);
}

fn apply_updates(
    mut commands: Commands,
    updates: Res<Updates>,
    shown: Query<(Entity, &Shown)>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let Ok(receiver) = updates.0.lock() else {
        return;
    };
    for update in receiver.try_iter() {
        let remove = |id: Option<&AnnotationId>, commands: &mut Commands| {
            for (entity, s) in &shown {
                if id.is_none_or(|id| &s.0 == id) {
                    commands.entity(entity).despawn();
                }
            }
        };
        match update {
            AnnotationUpdate::Replace(all) => {
                remove(None, &mut commands);
                for annotation in &all {
                    spawn(&mut commands, annotation, &mut meshes, &mut materials);
                }
            }
            AnnotationUpdate::Added(annotation) => {
                spawn(&mut commands, &annotation, &mut meshes, &mut materials);
                // The frame rendered after this update is the first to show it; its capture
                // time is taken in this same update (the latency benchmark reads this line).
                tracing::info!(
                    id = %annotation.id,
                    shown_at_unix_us = crate::clock::unix_time_us(),
                    "annotation in the view"
                );
            }
            AnnotationUpdate::Deleted(id) => remove(Some(&id), &mut commands),
        }
    }
}

fn spawn(
    commands: &mut Commands,
    annotation: &Annotation,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) {
    // Unlit, so the colour reads the same whatever the light.
    let tinted = |opacity: f32| StandardMaterial {
        base_color: color(&annotation.color).with_alpha(opacity),
        unlit: true,
        alpha_mode: if opacity < 1.0 {
            AlphaMode::Blend
        } else {
            AlphaMode::Opaque
        },
        ..default()
    };
    let material = materials.add(tinted(1.0));
    let points = annotation.world_points();
    let parent = commands
        .spawn((
            Shown(annotation.id.clone()),
            Transform::default(),
            Visibility::default(),
        ))
        .id();
    match (annotation.kind, points.as_slice()) {
        (AnnotationKind::Point, [p]) => {
            commands.spawn((
                Mesh3d(meshes.add(Sphere::new(POINT_RADIUS))),
                MeshMaterial3d(material),
                Transform::from_translation(*p),
                ChildOf(parent),
            ));
        }
        (AnnotationKind::Arrow, [tail, head]) => {
            let direction = (*head - *tail).normalize_or(Vec3::Y);
            let length = (*head - *tail).length().max(HEAD_LENGTH * 1.5);
            let rotation = Quat::from_rotation_arc(Vec3::Y, direction);
            let shaft_length = length - HEAD_LENGTH;
            let shaft_centre = *head - direction * (HEAD_LENGTH + shaft_length / 2.0);
            commands.spawn((
                Mesh3d(meshes.add(Cylinder::new(SHAFT_RADIUS, shaft_length))),
                MeshMaterial3d(material.clone()),
                Transform::from_translation(shaft_centre).with_rotation(rotation),
                ChildOf(parent),
            ));
            // The cone's tip touches the marked spot.
            commands.spawn((
                Mesh3d(meshes.add(Cone::new(HEAD_RADIUS, HEAD_LENGTH))),
                MeshMaterial3d(material),
                Transform::from_translation(*head - direction * HEAD_LENGTH / 2.0)
                    .with_rotation(rotation),
                ChildOf(parent),
            ));
        }
        _ => tracing::warn!(id = %annotation.id, "annotation with the wrong number of points"),
    }
    if let (Some(radius), Some(spot)) = (halo_radius(annotation.surface), points.last()) {
        commands.spawn((
            Mesh3d(meshes.add(Sphere::new(radius))),
            MeshMaterial3d(materials.add(tinted(HALO_OPACITY))),
            Transform::from_translation(*spot),
            ChildOf(parent),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guessed_mark_has_a_halo_wider_than_itself_and_measured_ones_none() {
        assert!(halo_radius(SurfaceQuality::Estimate).is_some_and(|r| r > POINT_RADIUS * 2.0));
        for measured in [
            SurfaceQuality::Exact,
            SurfaceQuality::Mesh,
            SurfaceQuality::Plane,
        ] {
            assert_eq!(halo_radius(measured), None);
        }
    }
}
