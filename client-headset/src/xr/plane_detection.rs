//! XR_EXT_plane_detection, where the runtime offers it: every few seconds a detection around
//! the wearer's head, and once it is done its planes replace the ones marks resolve on
//! (`surfaces::planes`), so a mark on a table or a wall that the runtime measured is a `Plane`,
//! not an estimate.
//!
//! Not exercised here: Monado offers no plane detection (nor any of the other scene
//! extensions), so this runs only on a runtime that does. What is tested here is what it feeds:
//! a detection's locations turned into planes (below) and resolving on them
//! (`surfaces/planes.rs`). Only the extents' rectangle is used, not the contour polygons: the
//! extension leaves the polygons' axes in the plane open, and the rectangle needs no such
//! reading.

use crate::surfaces::planes::{DetectedPlane, DetectedPlanes};
use bevy::math::Isometry3d;
use bevy::prelude::*;
use bevy_mod_openxr::init::should_run_frame_loop;
use bevy_mod_openxr::resources::{OxrFrameState, OxrInstance};
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_openxr::spaces::OxrSpaceExt;
use bevy_mod_xr::session::{XrPreDestroySession, XrSessionCreated};
use bevy_mod_xr::spaces::{XrPrimaryReferenceSpace, XrReferenceSpace};
use openxr::sys;
use openxr::sys::Handle as _;
use std::time::{Duration, Instant};

/// How often a new detection starts once one is done.
const DETECT_EVERY: Duration = Duration::from_secs(3);
/// The detection's box around the head: a factory bay (metres).
const AROUND_THE_HEAD_M: sys::Extent3DfEXT = sys::Extent3DfEXT {
    width: 20.0,
    height: 8.0,
    depth: 20.0,
};
const MAX_PLANES: u32 = 64;

#[derive(Resource)]
struct Detector {
    handle: sys::PlaneDetectorEXT,
    view: XrReferenceSpace,
    /// A detection is under way.
    pending: bool,
    last_done: Option<Instant>,
}

impl Detector {
    fn destroy(&self, fns: &openxr::raw::PlaneDetectionEXT, session: &OxrSession) {
        // SAFETY: the detector was made on this session, which is still live, and is not used
        // after this.
        unsafe { (fns.destroy_plane_detector)(self.handle) };
        if let Err(e) = session.destroy_space(*self.view) {
            tracing::debug!("plane detection's head space: {e}");
        }
    }
}

#[derive(Resource, Clone)]
struct Planes(DetectedPlanes);

pub fn add(app: &mut App, planes: DetectedPlanes) {
    app.insert_resource(Planes(planes))
        .add_systems(XrSessionCreated, create_detector)
        .add_systems(XrPreDestroySession, destroy_detector)
        .add_systems(
            Update,
            detect
                .run_if(should_run_frame_loop)
                .run_if(resource_exists::<OxrFrameState>)
                .run_if(resource_exists::<Detector>),
        );
}

fn fns(instance: &OxrInstance) -> Option<&openxr::raw::PlaneDetectionEXT> {
    instance.exts().ext_plane_detection.as_ref()
}

fn create_detector(instance: Res<OxrInstance>, session: Res<OxrSession>, mut commands: Commands) {
    let Some(fns) = fns(&instance) else {
        return;
    };
    let view = match session
        .create_reference_space(openxr::ReferenceSpaceType::VIEW, Isometry3d::IDENTITY)
    {
        Ok(view) => view,
        Err(e) => {
            tracing::warn!("plane detection: no head space ({e}); marks stay estimates");
            return;
        }
    };
    let info = sys::PlaneDetectorCreateInfoEXT {
        ty: sys::PlaneDetectorCreateInfoEXT::TYPE,
        next: std::ptr::null(),
        flags: sys::PlaneDetectorFlagsEXT::EMPTY,
    };
    let mut handle = sys::PlaneDetectorEXT::NULL;
    // SAFETY: the session is live (this runs on its creation), `info` is a valid create info
    // and `handle` receives the new detector.
    let result = unsafe { (fns.create_plane_detector)(session.as_raw(), &info, &mut handle) };
    if result != sys::Result::SUCCESS {
        tracing::warn!("plane detection: the runtime refused a detector ({result:?})");
        return;
    }
    tracing::info!("plane detection: marks resolve on the planes the runtime detects");
    commands.insert_resource(Detector {
        handle,
        view,
        pending: false,
        last_done: None,
    });
}

fn destroy_detector(
    instance: Res<OxrInstance>,
    session: Res<OxrSession>,
    detector: Option<Res<Detector>>,
    mut commands: Commands,
) {
    if let (Some(fns), Some(detector)) = (fns(&instance), detector) {
        detector.destroy(fns, &session);
    }
    commands.remove_resource::<Detector>();
}

/// Each frame: one step of the detector; on an error it is of no more use and goes.
fn detect(
    instance: Res<OxrInstance>,
    session: Res<OxrSession>,
    stage: Res<XrPrimaryReferenceSpace>,
    frame: Res<OxrFrameState>,
    planes: Res<Planes>,
    mut detector: ResMut<Detector>,
    mut commands: Commands,
) {
    let Some(fns) = fns(&instance) else {
        return;
    };
    let stage = stage.as_raw_openxr_space();
    if let Err(why) = step(
        fns,
        &mut detector,
        stage,
        frame.predicted_display_time,
        &planes.0,
    ) {
        tracing::warn!("plane detection stops ({why}); marks off the known planes are estimates");
        detector.destroy(fns, &session);
        commands.remove_resource::<Detector>();
    }
}

/// Begins a detection when one is due, or takes a finished one's planes into `planes`.
fn step(
    fns: &openxr::raw::PlaneDetectionEXT,
    detector: &mut Detector,
    stage: sys::Space,
    time: openxr::Time,
    planes: &DetectedPlanes,
) -> Result<(), String> {
    if !detector.pending {
        if detector
            .last_done
            .is_some_and(|t| t.elapsed() < DETECT_EVERY)
        {
            return Ok(());
        }
        let begin = sys::PlaneDetectorBeginInfoEXT {
            ty: sys::PlaneDetectorBeginInfoEXT::TYPE,
            next: std::ptr::null(),
            base_space: detector.view.as_raw_openxr_space(),
            time,
            orientation_count: 0,
            orientations: std::ptr::null(),
            semantic_type_count: 0,
            semantic_types: std::ptr::null(),
            max_planes: MAX_PLANES,
            min_area: 0.05,
            bounding_box_pose: openxr::Posef::IDENTITY,
            bounding_box_extent: AROUND_THE_HEAD_M,
        };
        // SAFETY: a live detector and a valid begin info, its pointers null with counts 0.
        let result = unsafe { (fns.begin_plane_detection)(detector.handle, &begin) };
        succeeded(result, "xrBeginPlaneDetectionEXT")?;
        detector.pending = true;
        return Ok(());
    }
    let mut state = sys::PlaneDetectionStateEXT::NONE;
    // SAFETY: a live detector; `state` receives its state.
    let result = unsafe { (fns.get_plane_detection_state)(detector.handle, &mut state) };
    succeeded(result, "xrGetPlaneDetectionStateEXT")?;
    match state {
        sys::PlaneDetectionStateEXT::PENDING => return Ok(()),
        sys::PlaneDetectionStateEXT::FATAL => {
            return Err("the runtime's detection failed for good".into());
        }
        _ => {}
    }
    // Done, or an error to retry, or no detection: the next begins at the usual pace.
    detector.pending = false;
    detector.last_done = Some(Instant::now());
    if state == sys::PlaneDetectionStateEXT::DONE {
        match locations(fns, detector.handle, stage, time) {
            Ok(found) => {
                let detected = from_locations(&found);
                if detected.len() != planes.len() {
                    tracing::info!("plane detection: {} planes", detected.len());
                }
                planes.replace(detected);
            }
            Err(result) => tracing::warn!("plane detection: xrGetPlaneDetectionsEXT: {result:?}"),
        }
    }
    Ok(())
}

fn succeeded(result: sys::Result, call: &str) -> Result<(), String> {
    match result {
        sys::Result::SUCCESS => Ok(()),
        failed => Err(format!("{call}: {failed:?}")),
    }
}

/// The finished detection's planes in `base` (the two-call idiom: count, then fill).
fn locations(
    fns: &openxr::raw::PlaneDetectionEXT,
    detector: sys::PlaneDetectorEXT,
    base: sys::Space,
    time: openxr::Time,
) -> Result<Vec<sys::PlaneDetectorLocationEXT>, sys::Result> {
    let info = sys::PlaneDetectorGetInfoEXT {
        ty: sys::PlaneDetectorGetInfoEXT::TYPE,
        next: std::ptr::null(),
        base_space: base,
        time,
    };
    let mut out = sys::PlaneDetectorLocationsEXT {
        ty: sys::PlaneDetectorLocationsEXT::TYPE,
        next: std::ptr::null_mut(),
        plane_location_capacity_input: 0,
        plane_location_count_output: 0,
        plane_locations: std::ptr::null_mut(),
    };
    // SAFETY: a done detection; capacity 0 asks for the count only.
    let result = unsafe { (fns.get_plane_detections)(detector, &info, &mut out) };
    if result != sys::Result::SUCCESS {
        return Err(result);
    }
    // As many as the runtime has (it was asked for at most MAX_PLANES): a smaller capacity
    // would be refused, not cut.
    let count = out.plane_location_count_output;
    let mut found = vec![empty_location(); count as usize];
    out.plane_location_capacity_input = count;
    out.plane_locations = found.as_mut_ptr();
    // SAFETY: `found` holds `count` initialised locations for the runtime to fill.
    let result = unsafe { (fns.get_plane_detections)(detector, &info, &mut out) };
    if result != sys::Result::SUCCESS {
        return Err(result);
    }
    found.truncate(out.plane_location_count_output.min(count) as usize);
    Ok(found)
}

fn empty_location() -> sys::PlaneDetectorLocationEXT {
    sys::PlaneDetectorLocationEXT {
        ty: sys::PlaneDetectorLocationEXT::TYPE,
        next: std::ptr::null_mut(),
        plane_id: 0,
        location_flags: sys::SpaceLocationFlags::EMPTY,
        pose: openxr::Posef::IDENTITY,
        extents: sys::Extent2Df {
            width: 0.0,
            height: 0.0,
        },
        orientation: sys::PlaneDetectorOrientationEXT::ARBITRARY,
        semantic_type: sys::PlaneDetectorSemanticTypeEXT::UNDEFINED,
        polygon_buffer_count: 0,
    }
}

/// The located planes, in the tracking space: one whose pose is not fully valid, or with no
/// area or not-finite numbers, is left out rather than guessed.
fn from_locations(found: &[sys::PlaneDetectorLocationEXT]) -> Vec<DetectedPlane> {
    let valid =
        sys::SpaceLocationFlags::POSITION_VALID | sys::SpaceLocationFlags::ORIENTATION_VALID;
    found
        .iter()
        .filter(|l| l.location_flags.contains(valid))
        .map(|l| DetectedPlane {
            stage_from_plane: super::tracking::pose(&l.pose),
            width: l.extents.width,
            depth: l.extents.height,
        })
        .filter(|p| {
            p.stage_from_plane.is_valid()
                && p.width.is_finite()
                && p.depth.is_finite()
                && p.width > 0.0
                && p.depth > 0.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Vec3;

    fn location(
        flags: sys::SpaceLocationFlags,
        y: f32,
        width: f32,
        height: f32,
    ) -> sys::PlaneDetectorLocationEXT {
        let mut l = empty_location();
        l.location_flags = flags;
        l.pose.position = sys::Vector3f { x: 0.5, y, z: -2.0 };
        l.extents = sys::Extent2Df { width, height };
        l
    }

    #[test]
    fn valid_located_planes_become_rectangles_in_the_tracking_space_and_the_rest_are_left_out() {
        let valid =
            sys::SpaceLocationFlags::POSITION_VALID | sys::SpaceLocationFlags::ORIENTATION_VALID;
        let found = [
            location(valid, 0.9, 1.2, 0.8),
            location(sys::SpaceLocationFlags::ORIENTATION_VALID, 0.7, 1.0, 1.0),
            location(valid, 1.0, 0.0, 2.0),
            location(valid, f32::NAN, 1.0, 1.0),
        ];
        let planes = from_locations(&found);
        assert_eq!(planes.len(), 1, "{planes:?}");
        assert_eq!(
            planes[0].stage_from_plane.position,
            Vec3::new(0.5, 0.9, -2.0)
        );
        assert_eq!((planes[0].width, planes[0].depth), (1.2, 0.8));
    }
}
