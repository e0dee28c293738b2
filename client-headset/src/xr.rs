//! The OpenXR mode.
//!
//! On a headset the frames come from the runtime's passthrough camera and the poses from its
//! tracking; everything after that (frame history, resolving, publishing, anchoring) is the
//! code the simulated mode already runs. This release does not drive an OpenXR runtime yet:
//! with the `xr` feature the binary accepts `--mode xr` and says so at start-up.

/// The plugins `--mode xr` will run: Bevy with OpenXR driving the session, the views and
/// rendering. Built with the `xr` feature so that this path keeps compiling against the Bevy
/// the rest of the headset uses.
#[cfg(feature = "xr")]
pub fn xr_plugins() -> bevy::app::PluginGroupBuilder {
    bevy_mod_openxr::add_xr_plugins(bevy::DefaultPlugins)
}

/// Why the OpenXR mode cannot start, in words for the person who launched it.
pub fn unavailable_reason() -> &'static str {
    if cfg!(feature = "xr") {
        "the OpenXR mode is not available yet in this release: run with --mode headless or --mode window"
    } else {
        "this build has no OpenXR support: rebuild with `--features xr` (OpenXR itself is not available yet in this release)"
    }
}
