//! What the technician sees and the stream does not: drawn on render layer [`OWN_VIEW_ONLY`],
//! which only own-view cameras (the window's, the headset's eyes) render; the streamed camera
//! renders layer 0 alone. A row of lights locked to the head in the top-right corner, so the
//! wearer always knows: red while the room records, amber while their microphone is muted,
//! green while the headset is in the room, and a small blue dot for each other person there
//! (up to four). The status panel beside them says the same in words (`status_panel`).

use super::scene_spawn::{head_camera, perspective};
use crate::recording::{RecordingIndicator, RecordingRequest};
use crate::room_status::RoomStatus;
use bevy::camera::RenderTarget;
use bevy::camera::visibility::RenderLayers;
use bevy::math::Affine3A;
use bevy::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::mpsc as tokio_mpsc;

/// The render layer of what only the wearer sees.
pub const OWN_VIEW_ONLY: usize = 1;

/// A camera showing the wearer's own view: the scene and the wearer-only layer. In XR mode the
/// left eye carries the lights, and both eyes see them (one place in the head, so both eyes
/// agree on where it is).
#[derive(Component)]
pub struct OwnView;

/// Another eye showing the own view from beside the `OwnView` one (XR mode: the right eye).
/// What sits near the view's left edge is placed so that this eye sees it whole too: at the
/// lights' distance the eyes' views are a few centimetres apart.
#[derive(Component)]
pub struct OtherEye;

/// A light in the corner of the wearer's view; `x` is its place across the view (NDC), `size`
/// its radius against the others'.
#[derive(Component)]
struct Light {
    kind: LightKind,
    x: f32,
    size: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LightKind {
    Recording,
    Muted,
    InRoom,
    /// Lit while more than this many others are in the room.
    Others(usize),
}

#[derive(Resource)]
pub(super) struct Indicator {
    updates: Mutex<mpsc::Receiver<RecordingIndicator>>,
    shown: RecordingIndicator,
    muted: Arc<AtomicBool>,
    room: tokio::sync::watch::Receiver<RoomStatus>,
}

/// Where the technician's start/stop requests go (the session).
#[derive(Resource)]
#[cfg_attr(not(feature = "window"), allow(dead_code))]
struct Requests(tokio_mpsc::UnboundedSender<RecordingRequest>);

/// The lights' distance in front of the eye (past the cameras' 5 cm near plane, nearer than
/// any equipment the wearer can stand at; far enough that both eyes converge on it), their
/// size and place as fractions of the view.
pub(super) const LIGHT_DISTANCE: f32 = 0.5;
const LIGHT_RADIUS: f32 = 0.05;
const LIGHT_Y: f32 = 0.8;
const OTHERS_SHOWN: usize = 4;
/// The others' dots: the first's place across the view (NDC), the step left to the next,
/// their size against the other lights'.
const OTHERS_FROM: f32 = 0.38;
const OTHERS_STEP: f32 = 0.09;
const OTHER_SIZE: f32 = 0.6;
/// Where the row's leftmost dot ends on its left (NDC across, for a view about as wide as it
/// is tall: an eye's): what beside the lights must stay left of.
pub(super) const LIGHTS_LEFT_EDGE: f32 =
    OTHERS_FROM - OTHERS_STEP * (OTHERS_SHOWN - 1) as f32 - 2.0 * LIGHT_RADIUS * OTHER_SIZE;
const OTHER_COLOR: Color = Color::srgb(0.2, 0.45, 0.95);

/// The row, right to left: kind, place across the view (NDC), size, colour.
fn lights() -> Vec<(LightKind, f32, f32, Color)> {
    let mut row = vec![
        (
            LightKind::Recording,
            0.85,
            1.0,
            Color::srgb(0.93, 0.08, 0.08),
        ),
        (LightKind::Muted, 0.68, 1.0, Color::srgb(0.95, 0.62, 0.05)),
        (LightKind::InRoom, 0.51, 1.0, Color::srgb(0.1, 0.8, 0.3)),
    ];
    for n in 0..OTHERS_SHOWN {
        row.push((
            LightKind::Others(n),
            OTHERS_FROM - OTHERS_STEP * n as f32,
            OTHER_SIZE,
            OTHER_COLOR,
        ));
    }
    row
}

impl Indicator {
    fn is_on(&self, kind: LightKind) -> bool {
        match kind {
            LightKind::Recording => self.shown.recording,
            LightKind::Muted => self.muted.load(Ordering::Relaxed),
            LightKind::InRoom => self.room.borrow().in_room(),
            LightKind::Others(n) => self.room.borrow().others.len() > n,
        }
    }

    /// What the lights show, for the status panel to say in words: the room, the microphone,
    /// the recording.
    pub(super) fn shown(
        &self,
    ) -> (
        tokio::sync::watch::Ref<'_, RoomStatus>,
        bool,
        &RecordingIndicator,
    ) {
        (
            self.room.borrow(),
            self.muted.load(Ordering::Relaxed),
            &self.shown,
        )
    }
}

/// The lights' systems: the status panel reads what they took in, after them.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct LightsSet;

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
    updates: mpsc::Receiver<RecordingIndicator>,
    muted: Arc<AtomicBool>,
    room: tokio::sync::watch::Receiver<RoomStatus>,
    requests: tokio_mpsc::UnboundedSender<RecordingRequest>,
) {
    app.insert_resource(Indicator {
        updates: Mutex::new(updates),
        shown: RecordingIndicator::default(),
        muted,
        room,
    })
    .insert_resource(Requests(requests))
    .add_systems(
        Update,
        (attach_lights, show_indicator, show_states, place_lights)
            .chain()
            .in_set(LightsSet),
    );
    super::status_panel::add(app);
    #[cfg(feature = "window")]
    app.add_systems(Update, toggle_on_key);
}

/// Gives every new own-view camera its lights, as children so that they move with the head.
fn attach_lights(
    mut commands: Commands,
    cameras: Query<Entity, Added<OwnView>>,
    indicator: Res<Indicator>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    for camera in &cameras {
        for (kind, x, size, color) in lights() {
            commands.spawn((
                Light { kind, x, size },
                Mesh3d(meshes.add(Circle::new(1.0))),
                // Unlit: the same colour whatever the factory's light.
                MeshMaterial3d(materials.add(StandardMaterial {
                    base_color: color,
                    unlit: true,
                    ..default()
                })),
                // Placed by `place_lights` once the camera's projection is known.
                Transform::from_scale(Vec3::ZERO),
                visibility(indicator.is_on(kind)),
                RenderLayers::layer(OWN_VIEW_ONLY),
                ChildOf(camera),
            ));
        }
    }
}

/// Where a light at `x` across and `y` up the view (NDC, -1..1) sits in front of a camera with
/// `clip_from_view`, `distance` ahead, and its radius for `fraction` of the view's height.
/// Any projection: a window's symmetric one, or an eye's asymmetric one from the runtime.
pub(super) fn light_place(
    clip_from_view: Mat4,
    x: f32,
    y: f32,
    distance: f32,
    fraction: f32,
) -> (Vec3, f32) {
    let view_from_clip = clip_from_view.inverse();
    let ahead = |x: f32, y: f32| {
        seen_on_own_plane(view_from_clip, Affine3A::IDENTITY, x, y, distance).unwrap_or(Vec3::ZERO)
    };
    let height = (ahead(x, 1.0) - ahead(x, -1.0)).length();
    (ahead(x, y), height * fraction)
}

/// Where the ray of a camera with `view_from_clip` (its projection's inverse), standing at
/// `own_from_camera` in the own view's frame (the identity for the own view itself), through
/// (x, y) (NDC) meets the own view's plane `distance` ahead; in the own view's frame. None when
/// the ray does not go ahead of the own view.
pub(super) fn seen_on_own_plane(
    view_from_clip: Mat4,
    own_from_camera: Affine3A,
    x: f32,
    y: f32,
    distance: f32,
) -> Option<Vec3> {
    // A point on the ray (the near plane: depth 1 in reverse Z), in the own view's frame.
    let on_ray = view_from_clip.project_point3(Vec3::new(x, y, 1.0));
    let origin = Vec3::from(own_from_camera.translation);
    let dir = own_from_camera.transform_vector3(on_ray);
    if dir.z > -1e-6 {
        return None;
    }
    let along = (-distance - origin.z) / dir.z;
    (along > 0.0).then(|| origin + dir * along)
}

/// The camera's projection, or None while it cannot place anything: an eye's before the
/// runtime has sent its views.
pub(super) fn usable_projection(projection: &Projection) -> Option<Mat4> {
    let clip_from_view = projection.get_clip_from_view();
    (clip_from_view.is_finite() && clip_from_view.determinant().abs() >= 1e-12)
        .then_some(clip_from_view)
}

fn place_lights(
    cameras: Query<&Projection, With<OwnView>>,
    mut lights: Query<(&Light, &ChildOf, &mut Transform)>,
) {
    for (light, parent, mut transform) in &mut lights {
        let Ok(projection) = cameras.get(parent.parent()) else {
            continue;
        };
        let Some(clip_from_view) = usable_projection(projection) else {
            continue;
        };
        let (at, radius) = light_place(
            clip_from_view,
            light.x,
            LIGHT_Y,
            LIGHT_DISTANCE,
            LIGHT_RADIUS * light.size,
        );
        transform.set_if_neq(Transform::from_translation(at).with_scale(Vec3::splat(radius)));
    }
}

fn visibility(on: bool) -> Visibility {
    if on {
        Visibility::Visible
    } else {
        Visibility::Hidden
    }
}

fn show_indicator(mut indicator: ResMut<Indicator>, mut lights: Query<(&Light, &mut Visibility)>) {
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
    for (light, mut shown) in &mut lights {
        if light.kind == LightKind::Recording {
            shown.set_if_neq(visibility(latest.recording));
        }
    }
    match &latest.started_by {
        _ if !latest.recording => tracing::info!("recording light off"),
        Some(by) => tracing::info!(started_by = %by, "recording light on"),
        None => tracing::info!(started_by = "the server", "recording light on"),
    }
    indicator.shown = latest;
}

/// The lights that follow a state rather than a message: mute, in the room, the others.
fn show_states(indicator: Res<Indicator>, mut lights: Query<(&Light, &mut Visibility)>) {
    for (light, mut shown) in &mut lights {
        if light.kind != LightKind::Recording {
            shown.set_if_neq(visibility(indicator.is_on(light.kind)));
        }
    }
}

/// R in the window starts or stops the room's recording.
#[cfg(feature = "window")]
fn toggle_on_key(keys: Option<Res<ButtonInput<KeyCode>>>, requests: Res<Requests>) {
    if keys.is_some_and(|keys| keys.just_pressed(KeyCode::KeyR)) {
        let _ = requests.0.send(RecordingRequest::Toggle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where `view` lands in normalised device coordinates.
    fn ndc(clip_from_view: Mat4, view: Vec3) -> Vec2 {
        clip_from_view.project_point3(view).truncate()
    }

    #[test]
    fn the_right_eyes_corner_lands_an_eye_apart_on_the_left_eyes_plane_and_shows_at_its_corner() {
        let eye = Mat4::frustum_rh(-0.06, 0.04, -0.055, 0.045, 0.05, 1000.0);
        let (left_corner, _) = light_place(eye, -0.95, 0.9, 0.5, 0.0);
        // Parallel eyes 64 mm apart: the right one's corner is 64 mm further right.
        let right_from_left = Affine3A::from_translation(Vec3::new(0.064, 0.0, 0.0));
        let right_corner =
            seen_on_own_plane(eye.inverse(), right_from_left, -0.95, 0.9, 0.5).unwrap();
        assert!((right_corner - left_corner - Vec3::new(0.064, 0.0, 0.0)).length() < 1e-4);
        let in_right_eye = ndc(
            eye,
            right_from_left.inverse().transform_point3(right_corner),
        );
        assert!(
            (in_right_eye - Vec2::new(-0.95, 0.9)).length() < 1e-3,
            "{in_right_eye}"
        );
        // A camera looking the other way never sees the own view's plane.
        let behind = Affine3A::from_rotation_y(std::f32::consts::PI);
        assert_eq!(
            seen_on_own_plane(eye.inverse(), behind, 0.0, 0.0, 0.5),
            None
        );
    }

    #[test]
    fn a_light_sits_where_each_projection_shows_its_corner_at_the_same_size() {
        let window = Mat4::perspective_infinite_reverse_rh(50f32.to_radians(), 16.0 / 9.0, 0.05);
        // An eye's view is asymmetric: more to the outside than to the nose, more below.
        let eye = Mat4::frustum_rh(-0.06, 0.04, -0.055, 0.045, 0.05, 1000.0);
        for clip_from_view in [window, eye] {
            let (at, radius) = light_place(clip_from_view, 0.85, 0.8, 0.5, 0.05);
            assert!((at.z + 0.5).abs() < 1e-4, "{at}");
            let shown = ndc(clip_from_view, at);
            assert!((shown - Vec2::new(0.85, 0.8)).length() < 1e-3, "{shown}");
            // A twentieth of the view's height, whatever its field of view.
            let top = ndc(clip_from_view, at + Vec3::Y * radius);
            assert!(((top.y - shown.y) - 0.1).abs() < 2e-3, "{top} vs {shown}");
        }
    }
}
