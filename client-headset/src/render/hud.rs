//! What the technician sees and the stream does not: drawn on render layer [`OWN_VIEW_ONLY`],
//! which only own-view cameras (the window's, later each eye's) render; the streamed camera
//! renders layer 0 alone. Today that is the recording light: a red dot locked to the head in the
//! top-right corner while the room records, so the wearer always knows.

use super::scene_spawn::{head_camera, perspective};
use crate::recording::{RecordingIndicator, RecordingRequest};
use bevy::camera::RenderTarget;
use bevy::camera::visibility::RenderLayers;
use bevy::prelude::*;
use std::sync::{Mutex, mpsc};
use tokio::sync::mpsc as tokio_mpsc;

/// The render layer of what only the wearer sees.
pub const OWN_VIEW_ONLY: usize = 1;

/// A camera showing the wearer's own view: the scene and the wearer-only layer.
#[derive(Component)]
pub struct OwnView;

#[derive(Component)]
struct RecordingLight;

#[derive(Resource)]
struct Indicator {
    updates: Mutex<mpsc::Receiver<RecordingIndicator>>,
    shown: RecordingIndicator,
    /// Width over height of the own view, to place the light in its corner.
    aspect: f32,
}

/// Where the technician's start/stop requests go (the session).
#[derive(Resource)]
#[cfg_attr(not(feature = "window"), allow(dead_code))]
struct Requests(tokio_mpsc::UnboundedSender<RecordingRequest>);

/// The light's distance in front of the eye (past the cameras' 5 cm near plane, nearer than
/// any equipment the wearer can stand at), its size and place as fractions of the view.
const LIGHT_DISTANCE: f32 = 0.2;
const LIGHT_RADIUS: f32 = 0.05;
const LIGHT_X: f32 = 0.85;
const LIGHT_Y: f32 = 0.8;
const LIGHT_COLOR: Color = Color::srgb(0.93, 0.08, 0.08);

/// The components of a camera that renders the wearer's own view.
pub fn own_view_camera(fov_y: f32, target: RenderTarget, order: isize) -> impl Bundle {
    (
        head_camera(perspective(fov_y), target, order),
        OwnView,
        RenderLayers::from_layers(&[0, OWN_VIEW_ONLY]),
    )
}

pub fn add(
    app: &mut App,
    aspect: f32,
    updates: mpsc::Receiver<RecordingIndicator>,
    requests: tokio_mpsc::UnboundedSender<RecordingRequest>,
) {
    app.insert_resource(Indicator {
        updates: Mutex::new(updates),
        shown: RecordingIndicator::default(),
        aspect,
    })
    .insert_resource(Requests(requests))
    .add_systems(Update, (attach_light, show_indicator).chain());
    #[cfg(feature = "window")]
    app.add_systems(Update, toggle_on_key);
}

/// Gives every new own-view camera its light, as a child so that it moves with the head.
fn attach_light(
    mut commands: Commands,
    cameras: Query<(Entity, &Projection), Added<OwnView>>,
    indicator: Res<Indicator>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    for (camera, projection) in &cameras {
        let Projection::Perspective(perspective) = projection else {
            continue;
        };
        let half_height = LIGHT_DISTANCE * (perspective.fov / 2.0).tan();
        let half_width = half_height * indicator.aspect;
        commands.spawn((
            RecordingLight,
            Mesh3d(meshes.add(Circle::new(half_height * LIGHT_RADIUS * 2.0))),
            // Unlit: the same red whatever the factory's light.
            MeshMaterial3d(materials.add(StandardMaterial {
                base_color: LIGHT_COLOR,
                unlit: true,
                ..default()
            })),
            Transform::from_xyz(half_width * LIGHT_X, half_height * LIGHT_Y, -LIGHT_DISTANCE),
            visibility(&indicator.shown),
            RenderLayers::layer(OWN_VIEW_ONLY),
            ChildOf(camera),
        ));
    }
}

fn visibility(indicator: &RecordingIndicator) -> Visibility {
    if indicator.recording {
        Visibility::Visible
    } else {
        Visibility::Hidden
    }
}

fn show_indicator(
    mut indicator: ResMut<Indicator>,
    mut lights: Query<&mut Visibility, With<RecordingLight>>,
) {
    let latest = match indicator.updates.lock() {
        Ok(updates) => updates.try_iter().last(),
        Err(_) => None,
    };
    let Some(latest) = latest else {
        return;
    };
    if latest == indicator.shown {
        return;
    }
    let shown = visibility(&latest);
    for mut light in &mut lights {
        light.set_if_neq(shown);
    }
    match &latest.started_by {
        _ if !latest.recording => tracing::info!("recording light off"),
        Some(by) => tracing::info!(started_by = %by, "recording light on"),
        None => tracing::info!(started_by = "the server", "recording light on"),
    }
    indicator.shown = latest;
}

/// R in the window starts or stops the room's recording.
#[cfg(feature = "window")]
fn toggle_on_key(keys: Option<Res<ButtonInput<KeyCode>>>, requests: Res<Requests>) {
    if keys.is_some_and(|keys| keys.just_pressed(KeyCode::KeyR)) {
        let _ = requests.0.send(RecordingRequest::Toggle);
    }
}
