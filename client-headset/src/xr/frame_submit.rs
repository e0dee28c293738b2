//! The render world's half of the frame loop — begin the frame, take a swapchain image, wait
//! for it, release it, end the frame — in place of bevy_mod_openxr's systems, which panic when
//! the runtime goes away between two calls (a forced unwrap on `xrReleaseSwapchainImage`).
//!
//! Here the first failed call marks the runtime lost: nothing more is sent to it, and the main
//! world's `xrWaitFrame`, which fails too, ends the app with its message (see `lifecycle`). What
//! an upstream change would give: `docs/decisions/xr-runtime-loss.md`.

use bevy::prelude::*;
use bevy::render::texture::ManualTextureViews;
use bevy::render::{Render, RenderApp};
use bevy_mod_openxr::environment_blend_mode::OxrEnvironmentBlendModes;
use bevy_mod_openxr::init::should_run_frame_loop;
use bevy_mod_openxr::render as crate_render;
use bevy_mod_openxr::resources::{
    OxrCurrentSessionConfig, OxrFrameState, OxrFrameStream, OxrRenderLayers, OxrSwapchain,
    OxrSwapchainImages,
};
use bevy_mod_xr::session::XrRenderSystems;

/// Set in the render world once a call to the runtime has failed: the runtime is gone.
#[derive(Resource, Default)]
struct RuntimeLost(bool);

/// The swapchain image of this frame is held (acquired and waited) and must be released.
#[derive(Resource, Default)]
struct ImageHeld(bool);

pub fn add(app: &mut App) {
    let render_app = app.sub_app_mut(RenderApp);
    let world = render_app.world_mut();
    super::replace_crate_system(world, Render, crate_render::begin_frame);
    super::replace_crate_system(world, Render, crate_render::insert_texture_views);
    super::replace_crate_system(world, Render, crate_render::wait_image);
    super::replace_crate_system(world, Render, crate_render::release_image);
    super::replace_crate_system(world, Render, crate_render::end_frame);
    render_app
        .init_resource::<RuntimeLost>()
        .init_resource::<ImageHeld>()
        .add_systems(
            Render,
            (begin_frame, take_image)
                .chain()
                .before(crate_render::locate_views)
                .in_set(XrRenderSystems::PreRender)
                .run_if(should_run_frame_loop),
        )
        .add_systems(
            Render,
            wait_image
                .after(crate_render::update_views_render_world)
                .in_set(XrRenderSystems::PreRender)
                .run_if(should_run_frame_loop),
        )
        .add_systems(
            Render,
            (release_image, end_frame)
                .chain()
                .in_set(XrRenderSystems::PostRender)
                .run_if(should_run_frame_loop),
        );
}

/// Marks the runtime lost on `result`'s error, once, with the call that failed.
fn check<T, E: std::fmt::Display>(
    result: Result<T, E>,
    call: &str,
    lost: &mut RuntimeLost,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(e) => {
            if !lost.0 {
                tracing::warn!("OpenXR {call} failed ({e}): no more frames go to the runtime");
            }
            lost.0 = true;
            None
        }
    }
}

fn begin_frame(mut stream: ResMut<OxrFrameStream>, mut lost: ResMut<RuntimeLost>) {
    if !lost.0 {
        check(stream.begin(), "xrBeginFrame", &mut lost);
    }
}

/// Acquires this frame's image and points both eyes' texture views at its two layers.
fn take_image(
    images: Res<OxrSwapchainImages>,
    mut swapchain: ResMut<OxrSwapchain>,
    mut views: ResMut<ManualTextureViews>,
    config: Res<OxrCurrentSessionConfig>,
    frame: Res<OxrFrameState>,
    mut lost: ResMut<RuntimeLost>,
) {
    if lost.0 || !frame.should_render {
        return;
    }
    let Some(index) = check(
        swapchain.acquire_image(),
        "xrAcquireSwapchainImage",
        &mut lost,
    ) else {
        return;
    };
    let Some(image) = images.get(index as usize) else {
        tracing::warn!("the runtime gave swapchain image {index}, which it never listed");
        lost.0 = true;
        return;
    };
    for eye in 0..2 {
        crate_render::add_texture_view(&mut views, image, &config, eye);
    }
}

fn wait_image(
    mut swapchain: ResMut<OxrSwapchain>,
    frame: Res<OxrFrameState>,
    mut lost: ResMut<RuntimeLost>,
    mut held: ResMut<ImageHeld>,
) {
    if lost.0 || !frame.should_render {
        return;
    }
    let waited = swapchain.wait_image(openxr::Duration::INFINITE);
    held.0 = check(waited, "xrWaitSwapchainImage", &mut lost).is_some();
}

fn release_image(
    mut swapchain: ResMut<OxrSwapchain>,
    mut lost: ResMut<RuntimeLost>,
    mut held: ResMut<ImageHeld>,
) {
    if lost.0 || !std::mem::take(&mut held.0) {
        return;
    }
    check(
        swapchain.release_image(),
        "xrReleaseSwapchainImage",
        &mut lost,
    );
}

/// Ends the frame with the projection layers, or with none when nothing was rendered.
fn end_frame(world: &mut World) {
    if world.resource::<RuntimeLost>().0 {
        return;
    }
    let ended = world.resource_scope::<OxrFrameStream, _>(|world, mut stream| {
        let frame = world.resource::<OxrFrameState>();
        let layers: Vec<_> = if frame.should_render {
            world
                .resource::<OxrRenderLayers>()
                .iter()
                .filter_map(|layer| layer.get(world))
                .collect()
        } else {
            Vec::new()
        };
        let layers: Vec<_> = layers.iter().map(Box::as_ref).collect();
        stream.end(
            frame.predicted_display_time,
            world.resource::<OxrEnvironmentBlendModes>().blend_mode(),
            &layers,
        )
    });
    check(
        ended,
        "xrEndFrame",
        &mut world.resource_mut::<RuntimeLost>(),
    );
}
