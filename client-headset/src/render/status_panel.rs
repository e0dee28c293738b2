//! The wearer's status panel in words, head-locked in the top-left corner of their own view
//! (the window's, the headset's eyes; never the stream): the connection, who else is in the
//! room, mute and the recording (`status_lines`). Drawn into a picture only when its words
//! change, and logged then, so a test reads them (the test runtime's 320×240 eyes are too
//! small to read words from). In XR it stands where both eyes see it whole.

use super::hud::{
    Indicator, LIGHT_DISTANCE, LIGHTS_LEFT_EDGE, LightsSet, OWN_VIEW_ONLY, OtherEye, OwnView,
    light_place, seen_on_own_plane, usable_projection,
};
use crate::recording::RecordingIndicator;
use crate::room_status::RoomStatus;
use crate::status_lines::status_lines;
use crate::text_image::draw_lines;
use bevy::asset::RenderAssetUsages;
use bevy::camera::visibility::RenderLayers;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

/// The picture's size in pixels and its letters' height: room for every line `status_lines`
/// makes (seven at most) at a legible size.
const PICTURE_W: u32 = 512;
const PICTURE_H: u32 = 224;
const LETTER_PX: f32 = 24.0;
/// Where its top-left corner is in the view (NDC) and its height as a fraction of the view's;
/// it stands as far ahead as the lights.
const CORNER: Vec2 = Vec2::new(-0.95, 0.9);
const HEIGHT_FRACTION: f32 = 0.3;
/// Its right edge at most this far across (NDC): left of the lights' row.
const MAX_RIGHT: f32 = LIGHTS_LEFT_EDGE;

#[derive(Resource)]
struct PanelPicture {
    image: Handle<Image>,
    material: Handle<StandardMaterial>,
    /// What the picture says: the room, mute, the recording it was drawn from.
    drawn_from: Option<(RoomStatus, bool, RecordingIndicator)>,
}

#[derive(Component)]
struct StatusPanel;

pub(super) fn add(app: &mut App) {
    let image = Image::new_fill(
        Extent3d {
            width: PICTURE_W,
            height: PICTURE_H,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        &[0, 0, 0, 0],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD | RenderAssetUsages::MAIN_WORLD,
    );
    let image = app.world_mut().resource_mut::<Assets<Image>>().add(image);
    let material = app
        .world_mut()
        .resource_mut::<Assets<StandardMaterial>>()
        .add(StandardMaterial {
            base_color_texture: Some(image.clone()),
            // Unlit and blended: the picture's own colours, and clear where it has no plate.
            unlit: true,
            alpha_mode: AlphaMode::Blend,
            ..default()
        });
    app.insert_resource(PanelPicture {
        image,
        material,
        drawn_from: None,
    })
    .add_systems(
        Update,
        (attach_panel, write_panel.after(LightsSet), place_panel).chain(),
    );
}

fn attach_panel(
    mut commands: Commands,
    cameras: Query<Entity, Added<OwnView>>,
    panel: Res<PanelPicture>,
    mut meshes: ResMut<Assets<Mesh>>,
) {
    for camera in &cameras {
        commands.spawn((
            StatusPanel,
            Mesh3d(meshes.add(Rectangle::new(1.0, 1.0))),
            MeshMaterial3d(panel.material.clone()),
            // Placed by `place_panel` once the camera's projection is known.
            Transform::from_scale(Vec3::ZERO),
            RenderLayers::layer(OWN_VIEW_ONLY),
            ChildOf(camera),
        ));
    }
}

/// Redraws the picture when what it says changes (compared in place: nothing is made per
/// frame).
fn write_panel(
    indicator: Res<Indicator>,
    mut panel: ResMut<PanelPicture>,
    mut images: ResMut<Assets<Image>>,
) {
    let (shown_room, muted, recording) = indicator.shown();
    if panel
        .drawn_from
        .as_ref()
        .is_some_and(|(r, m, rec)| *r == *shown_room && *m == muted && rec == recording)
    {
        return;
    }
    // A copy (kept as what the picture was drawn from): the session is not held up while the
    // letters are drawn.
    let room = shown_room.clone();
    drop(shown_room);
    let lines = status_lines(&room, muted, recording);
    tracing::info!(panel = %lines.join(" | "), "status panel");
    let picture = draw_lines(&lines, LETTER_PX, PICTURE_W, PICTURE_H);
    if let Some(mut image) = images.get_mut(&panel.image) {
        image.data = Some(picture.rgba);
    }
    panel.drawn_from = Some((room, muted, recording.clone()));
}

fn place_panel(
    cameras: Query<(&Projection, &GlobalTransform), With<OwnView>>,
    other_eyes: Query<(&Projection, &GlobalTransform), With<OtherEye>>,
    mut panels: Query<(&ChildOf, &mut Transform), With<StatusPanel>>,
) {
    for (parent, mut transform) in &mut panels {
        let Ok((projection, own)) = cameras.get(parent.parent()) else {
            continue;
        };
        let Some(clip_from_view) = usable_projection(projection) else {
            continue;
        };
        let (mut corner, height) = light_place(
            clip_from_view,
            CORNER.x,
            CORNER.y,
            LIGHT_DISTANCE,
            HEIGHT_FRACTION,
        );
        // Inside the other eye too: its corner is further right (and the right eye's view,
        // seen from the left one, starts further right at this distance).
        let own_from_world = own.affine().inverse();
        for (projection, eye) in &other_eyes {
            let seen = usable_projection(projection).and_then(|clip| {
                let own_from_eye = own_from_world * eye.affine();
                seen_on_own_plane(
                    clip.inverse(),
                    own_from_eye,
                    CORNER.x,
                    CORNER.y,
                    LIGHT_DISTANCE,
                )
            });
            if let Some(seen) = seen {
                corner.x = corner.x.max(seen.x);
                corner.y = corner.y.min(seen.y);
            }
        }
        // As wide as its height asks, but never past the middle of the view, where the lights
        // begin: an eye's view is nearly as tall as it is wide.
        let (middle, _) = light_place(clip_from_view, MAX_RIGHT, CORNER.y, LIGHT_DISTANCE, 0.0);
        let width = (height * PICTURE_W as f32 / PICTURE_H as f32).min(middle.x - corner.x);
        let size = Vec2::new(width, width * PICTURE_H as f32 / PICTURE_W as f32);
        let centre = corner + Vec3::new(size.x / 2.0, -size.y / 2.0, 0.0);
        transform.set_if_neq(Transform::from_translation(centre).with_scale(size.extend(1.0)));
    }
}
