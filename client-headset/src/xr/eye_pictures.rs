//! `--eye-pictures DIR` and the wearer's `eyes` command: what each eye was shown in one frame,
//! written as `eyes-N-left.png`, `eyes-N-right.png` and then `eyes-N.json`, which gives each
//! eye's pose in the world and field of view as that frame submitted them to the runtime (the
//! compositor shows the pictures with them). For a person checking what the wearer saw, and for
//! the tests, which find a mark in both eyes where each eye's view projects it.
//!
//! The pictures are Bevy's screenshots of the eyes' swapchain views; the views are the ones the
//! render world located for that same frame (bevy_mod_openxr locates them again just before
//! rendering), taken in the render world when the screenshots go with the frame.

use super::eye_shots::{EyeView, Fov, Shot, write_shot};
use super::tracking::pose;
use crate::render::EyePicturesLink;
use bevy::camera::{ManualTextureViewHandle, RenderTarget};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::render::{Render, RenderApp};
use bevy_mod_openxr::init::should_run_frame_loop;
use bevy_mod_openxr::render as crate_render;
use bevy_mod_openxr::resources::{OxrFrameState, OxrViews};
use bevy_mod_xr::camera::XrCamera;
use bevy_mod_xr::session::{XrRenderSystems, XrRootTransform};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A shot not complete after this is dropped (its screenshots were skipped: the views went).
const SHOT_EXPIRES: Duration = Duration::from_secs(5);

/// Requests taken in the main world, completed by both worlds.
#[derive(Default)]
struct Pending {
    /// The shot whose views the render world takes with the frame it renders next, and that
    /// frame's display time (the main world's, which the render world gets extracted).
    wanted: Option<(u64, openxr::Time)>,
    shots: BTreeMap<u64, Asked>,
}

struct Asked {
    at: Instant,
    screenshots: Vec<Entity>,
    shot: Shot,
}

#[derive(Resource, Clone, Default)]
struct Shared(Arc<Mutex<Pending>>);

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        // A panic elsewhere while holding it leaves plain data: still usable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Resource)]
struct Requests {
    dir: PathBuf,
    requests: Mutex<std::sync::mpsc::Receiver<()>>,
    next: u64,
}

pub fn add(app: &mut App, link: EyePicturesLink) {
    let shared = Shared::default();
    app.insert_resource(shared.clone())
        .insert_resource(Requests {
            dir: link.dir,
            requests: Mutex::new(link.requests),
            next: 1,
        })
        .add_systems(
            Update,
            (
                take_request
                    .run_if(should_run_frame_loop)
                    .run_if(resource_exists::<OxrFrameState>),
                write_complete,
            ),
        );
    app.sub_app_mut(RenderApp)
        .insert_resource(shared)
        .add_systems(
            Render,
            note_views
                .after(crate_render::update_views_render_world)
                .in_set(XrRenderSystems::PreRender)
                .run_if(should_run_frame_loop),
        );
}

/// On a request, a screenshot of each eye's view goes with this frame, if the runtime has it
/// drawn (otherwise the eyes' views hold no image of ours to read, and the request waits).
fn take_request(
    mut requests: ResMut<Requests>,
    shared: Res<Shared>,
    frame: Res<OxrFrameState>,
    eyes: Query<(&XrCamera, &RenderTarget)>,
    mut commands: Commands,
) {
    if !frame.should_render {
        return;
    }
    let asked = {
        let receiver = requests
            .requests
            .get_mut()
            .unwrap_or_else(|p| p.into_inner());
        receiver.try_iter().count() > 0
    };
    if !asked {
        return;
    }
    let views: Vec<(u32, ManualTextureViewHandle)> = eyes
        .iter()
        .filter_map(|(eye, target)| match target {
            RenderTarget::TextureView(handle) => Some((eye.0, *handle)),
            _ => None,
        })
        .collect();
    if views.len() != 2 {
        tracing::warn!(
            "the eyes' pictures were asked for before the session shows both eyes ({} views)",
            views.len()
        );
        return;
    }
    let number = requests.next;
    requests.next += 1;
    let screenshots = views
        .into_iter()
        .map(|(eye, handle)| {
            let shared = shared.clone();
            commands
                .spawn(Screenshot::texture_view(handle))
                .observe(move |captured: On<ScreenshotCaptured>| {
                    if let Some(asked) = shared.lock().shots.get_mut(&number) {
                        asked.shot.set_picture(eye as usize, &captured.image);
                    }
                })
                .id()
        })
        .collect();
    let mut pending = shared.lock();
    pending.wanted = Some((number, frame.predicted_display_time));
    pending.shots.insert(
        number,
        Asked {
            at: Instant::now(),
            screenshots,
            shot: Shot::default(),
        },
    );
}

/// Render world: the views this frame renders and submits, for the shot wanted.
fn note_views(
    shared: Res<Shared>,
    views: Res<OxrViews>,
    root: Res<XrRootTransform>,
    frame: Res<OxrFrameState>,
) {
    let mut pending = shared.lock();
    let Some((number, time)) = pending.wanted.take() else {
        return;
    };
    let Some(Asked { shot, .. }) = pending.shots.get_mut(&number) else {
        return;
    };
    // Not the frame the screenshots went with: its views would not be the pictures'.
    if frame.predicted_display_time != time || !frame.should_render || views.len() < 2 {
        shot.unusable = true;
        return;
    }
    let root = root.0.compute_transform();
    let world_from_stage = spotter_protocol::Pose::new(root.translation, root.rotation);
    for (eye, view) in views.iter().take(2).enumerate() {
        shot.views[eye] = Some(EyeView {
            pose: world_from_stage.compose(&pose(&view.pose)),
            fov: Fov {
                angle_left: view.fov.angle_left,
                angle_right: view.fov.angle_right,
                angle_up: view.fov.angle_up,
                angle_down: view.fov.angle_down,
            },
        });
    }
}

/// Writes each shot whose pictures and views are all there, on a thread of its own (PNG
/// encoding would hold up the frame); drops one that cannot be, or has waited too long.
fn write_complete(shared: Res<Shared>, requests: Res<Requests>, mut commands: Commands) {
    let finished: Vec<(u64, Asked)> = shared
        .lock()
        .shots
        .extract_if(.., |_, a| {
            a.shot.is_complete() || a.shot.unusable || a.at.elapsed() > SHOT_EXPIRES
        })
        .collect();
    for (
        number,
        Asked {
            screenshots, shot, ..
        },
    ) in finished
    {
        if !shot.is_complete() {
            // A screenshot Bevy skipped stays; ours to remove.
            for screenshot in screenshots {
                commands.entity(screenshot).try_despawn();
            }
            tracing::warn!(
                "eye pictures {number} not written: the frame's pictures and views did not \
                 both arrive; ask again"
            );
            continue;
        }
        let dir = requests.dir.clone();
        let spawned = std::thread::Builder::new()
            .name("eye-pictures".into())
            .spawn(move || match write_shot(&dir, number, &shot) {
                Ok(json) => tracing::info!("eye pictures written: {}", json.display()),
                Err(e) => tracing::warn!("eye pictures {number} not written: {e:#}"),
            });
        if let Err(e) = spawned {
            tracing::warn!("eye pictures {number} not written: {e}");
        }
    }
}
