//! The OpenXR mode (`--mode xr`, built with the `xr` feature): Bevy with bevy_mod_openxr on
//! Vulkan runs an OpenXR session, renders the factory and the room's marks world-locked in both
//! eyes, and tracks the head; the streamed camera (the virtual frame source) renders the same
//! world from the tracked head, so everything after the frame (frame history, resolving,
//! publishing, anchoring) is the code the simulated mode runs.
//!
//! - [`tracking`]: the head located at each frame's predicted display time, composed with the
//!   camera rig, is the streamed frame's pose;
//! - [`clock`]: the runtime's time against CLOCK_MONOTONIC and the Unix clock;
//! - [`lifecycle`]: the session's states in the log, and a clean end when the runtime goes;
//! - [`actions`]: the wearer's controller buttons and pinches (mute, recording, acknowledge);
//! - [`eye_pictures`]: what each eye shows, written on the wearer's `eyes` command;
//! - [`plane_detection`]: the runtime's planes, where it offers XR_EXT_plane_detection, for
//!   resolving marks over a camera's pictures;
//! - [`frame_submit`]: the render world's frame calls, which stop, rather than panic, when the
//!   runtime has gone.

#[cfg(feature = "xr")]
mod actions;
#[cfg(feature = "xr")]
mod clock;
#[cfg(feature = "xr")]
mod eye_pictures;
#[cfg(feature = "xr")]
mod eye_shots;
#[cfg(feature = "xr")]
mod frame_submit;
#[cfg(feature = "xr")]
mod lifecycle;
#[cfg(feature = "xr")]
mod plane_detection;
#[cfg(feature = "xr")]
mod tracking;

#[cfg(feature = "xr")]
pub use clock::{RuntimeClock, monotonic_ns};

#[cfg(feature = "xr")]
use crate::render::{OWN_VIEW_ONLY, RenderConfig};
#[cfg(feature = "xr")]
use bevy::prelude::*;

/// The plugins `--mode xr` runs: `plugins` (Bevy's, without a window) with OpenXR driving the
/// session, the views and rendering.
#[cfg(feature = "xr")]
pub fn plugins(plugins: bevy::app::PluginGroupBuilder) -> bevy::app::PluginGroupBuilder {
    use bevy_mod_openxr::exts::OxrExtensions;
    use bevy_mod_openxr::init::OxrInitPlugin;
    use bevy_mod_openxr::render::OxrRenderPlugin;
    use bevy_mod_openxr::types::AppInfo;
    let mut exts = OxrExtensions::default();
    // The runtime's time against the system's clocks: frames' capture times.
    exts.raw_mut().khr_convert_timespec_time = true;
    // Bare hands' pinches as buttons (`actions`); dropped, with a warning, where not offered.
    exts.raw_mut().ext_hand_interaction = true;
    // The room's planes to resolve marks on (`plane_detection`); likewise.
    exts.raw_mut().ext_plane_detection = true;
    bevy_mod_openxr::add_xr_plugins(plugins)
        .set(OxrInitPlugin {
            app_info: AppInfo {
                name: "Spotter headset".into(),
                ..default()
            },
            exts,
            // Otherwise the first frames are blank while shaders compile.
            synchronous_pipeline_compilation: true,
            ..default()
        })
        .set(OxrRenderPlugin {
            spawn_cameras: true,
            // Ours handles a runtime that has gone (the plugin's would panic).
            default_wait_frame: false,
        })
        .disable::<bevy_mod_openxr::features::handtracking::HandTrackingPlugin>()
}

/// The OpenXR parts of the app `render::build_app` makes for `--mode xr`.
#[cfg(feature = "xr")]
pub fn add(app: &mut App, config: &RenderConfig, links: crate::render::XrLinks) {
    if app.world().get_resource::<bevy_mod_xr::session::XrState>()
        == Some(&bevy_mod_xr::session::XrState::Unavailable)
    {
        // bevy_mod_openxr logged why (no runtime, no Vulkan support, ...).
        lifecycle::fail("no OpenXR runtime could be started (see the error above)");
    }
    tracking::add(app, config);
    lifecycle::add(app, links.away);
    actions::add(
        app,
        links.recording_requests,
        links.mute_requests,
        links.acknowledge_requests,
    );
    frame_submit::add(app);
    if let Some(link) = links.eye_pictures {
        eye_pictures::add(app, link);
    }
    // Over a camera's pictures marks resolve on the real room; the virtual scene is exact.
    if matches!(config.frame_source, crate::render::FrameSource::Camera(_)) {
        plane_detection::add(app, links.detected_planes);
    }
    app.add_systems(Update, eyes_see_own_view).add_systems(
        bevy_mod_xr::session::XrSessionCreated,
        report_scene_understanding,
    );
}

/// Says at start-up what the runtime can tell of the room's surfaces (see `surfaces`).
#[cfg(feature = "xr")]
fn report_scene_understanding(instance: Res<bevy_mod_openxr::resources::OxrInstance>) {
    use crate::surfaces::scene_understanding::{offered, summary};
    match instance.entry().enumerate_extensions() {
        Ok(available) => {
            let names: Vec<&str> = available
                .names()
                .into_iter()
                .filter_map(|name| std::str::from_utf8(name).ok())
                .map(|name| name.trim_end_matches('\0'))
                .collect();
            tracing::info!("{}", summary(&offered(names)));
        }
        Err(e) => tracing::warn!("the OpenXR runtime's extensions could not be listed: {e}"),
    }
}

/// Takes one of bevy_mod_openxr's systems out of `schedule`, for ours to stand in its place
/// (the order around it is kept). Its calls to the runtime panic when the runtime has gone;
/// ours end the session with a message (`docs/decisions/xr-runtime-loss.md`).
#[cfg(feature = "xr")]
fn replace_crate_system<M>(
    world: &mut World,
    schedule: impl bevy::ecs::schedule::ScheduleLabel,
    system: impl bevy::ecs::schedule::IntoSystemSet<M>,
) {
    use bevy::ecs::schedule::ScheduleCleanupPolicy;
    let name = std::any::type_name_of_val(&system);
    let removed = world.schedule_scope(schedule, |world, schedule| {
        schedule.remove_systems_in_set(system, world, ScheduleCleanupPolicy::RemoveSystemsOnly)
    });
    if !matches!(removed, Ok(1)) {
        // A newer bevy_mod_openxr laid its systems out otherwise: say so rather than run the
        // runtime's calls twice a frame.
        lifecycle::fail(&format!(
            "bevy_mod_openxr's {name} is not where this build expects it ({removed:?})"
        ));
    }
}

/// The eyes show what only the wearer sees too (the recording and mute lights). The left eye
/// carries the lights; both render them, from one place in the head.
#[cfg(feature = "xr")]
fn eyes_see_own_view(
    mut commands: Commands,
    eyes: Query<(Entity, &bevy_mod_xr::camera::XrCamera), Added<bevy_mod_xr::camera::XrCamera>>,
) {
    for (eye, camera) in &eyes {
        let mut eye = commands.entity(eye);
        eye.insert(bevy::camera::visibility::RenderLayers::from_layers(&[
            0,
            OWN_VIEW_ONLY,
        ]));
        if camera.0 == 0 {
            eye.insert(crate::render::OwnView);
        } else {
            eye.insert(crate::render::OtherEye);
        }
    }
}

/// Why the OpenXR mode cannot start, in words for the person who launched it.
#[cfg(not(feature = "xr"))]
pub fn unavailable_reason() -> &'static str {
    "this build has no OpenXR support: rebuild with `--features xr`"
}
