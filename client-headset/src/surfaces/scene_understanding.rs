//! What a runtime can tell of the room's surfaces, found from the OpenXR extensions it offers.
//! Read at start-up and logged. Marks resolve on XR_EXT_plane_detection's planes where it is
//! offered (`planes`, `xr/plane_detection.rs`); the other extensions are recognised but not
//! read yet. No runtime here offers any of them (Monado offers none), so none is exercised
//! against a runtime; off the virtual scene marks fall back to the floor and a fixed distance
//! (`fallback`), marked as estimates.

use spotter_protocol::SurfaceQuality;

/// An extension through which a runtime reports surfaces, and the quality its hits would have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SceneSource {
    pub extension: &'static str,
    pub gives: SurfaceQuality,
    /// Whether marks resolve on it.
    pub read: bool,
}

/// The extensions Spotter knows of, best first.
pub const KNOWN: &[SceneSource] = &[
    SceneSource {
        extension: "XR_META_spatial_entity_mesh",
        gives: SurfaceQuality::Mesh,
        read: false,
    },
    SceneSource {
        extension: "XR_MSFT_scene_understanding",
        gives: SurfaceQuality::Mesh,
        read: false,
    },
    SceneSource {
        extension: "XR_EXT_spatial_plane_tracking",
        gives: SurfaceQuality::Plane,
        read: false,
    },
    SceneSource {
        extension: "XR_EXT_plane_detection",
        gives: SurfaceQuality::Plane,
        read: true,
    },
    SceneSource {
        extension: "XR_FB_scene",
        gives: SurfaceQuality::Plane,
        read: false,
    },
    SceneSource {
        extension: "XR_ANDROID_raycast",
        gives: SurfaceQuality::Plane,
        read: false,
    },
];

/// The known sources among the runtime's `extensions`, best first.
pub fn offered<'a>(extensions: impl IntoIterator<Item = &'a str>) -> Vec<SceneSource> {
    let extensions: Vec<&str> = extensions.into_iter().collect();
    KNOWN
        .iter()
        .filter(|source| extensions.contains(&source.extension))
        .copied()
        .collect()
}

/// For the log at start-up: what the runtime offers, and what marks land on meanwhile.
pub fn summary(offered: &[SceneSource]) -> String {
    if offered.is_empty() {
        return "the OpenXR runtime offers no scene understanding (planes, meshes, raycasts): \
                marks off the virtual scene are estimates"
            .into();
    }
    let names: Vec<&str> = offered.iter().map(|s| s.extension).collect();
    let read: Vec<&str> = offered
        .iter()
        .filter(|s| s.read)
        .map(|s| s.extension)
        .collect();
    if read.is_empty() {
        return format!(
            "the OpenXR runtime offers {}; Spotter does not resolve on them yet, so marks off \
             the virtual scene are estimates",
            names.join(", ")
        );
    }
    format!(
        "the OpenXR runtime offers {}; marks over a camera's pictures resolve on {}'s planes, \
         and elsewhere are estimates",
        names.join(", "),
        read.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_without_scene_extensions_offers_nothing() {
        // What Monado offers here.
        let monado = [
            "XR_KHR_vulkan_enable2",
            "XR_KHR_convert_timespec_time",
            "XR_MND_headless",
            "XR_EXT_hand_tracking",
        ];
        let offered = offered(monado);
        assert!(offered.is_empty());
        assert!(summary(&offered).contains("no scene understanding"));
    }

    #[test]
    fn meshes_come_before_planes_whatever_order_the_runtime_lists_them() {
        let quest = [
            "XR_FB_scene",
            "XR_KHR_vulkan_enable2",
            "XR_META_spatial_entity_mesh",
        ];
        let offered = offered(quest);
        assert_eq!(
            offered.iter().map(|s| s.extension).collect::<Vec<_>>(),
            ["XR_META_spatial_entity_mesh", "XR_FB_scene"]
        );
        assert_eq!(offered[0].gives, SurfaceQuality::Mesh);
        assert_eq!(offered[1].gives, SurfaceQuality::Plane);
        assert!(summary(&offered).contains("XR_META_spatial_entity_mesh, XR_FB_scene"));
        assert!(summary(&offered).contains("does not resolve on them"));
    }

    #[test]
    fn plane_detection_is_the_one_marks_resolve_on() {
        let offered = offered(["XR_EXT_plane_detection", "XR_FB_scene"]);
        assert_eq!(
            offered
                .iter()
                .filter(|s| s.read)
                .map(|s| s.extension)
                .collect::<Vec<_>>(),
            ["XR_EXT_plane_detection"]
        );
        assert!(
            summary(&offered).contains("resolve on XR_EXT_plane_detection's planes"),
            "{}",
            summary(&offered)
        );
    }
}
