//! The tracked head as the streamed camera's pose source. Each frame the runtime predicts when
//! the frame will be shown; the head (VIEW space) is located in the tracking space (STAGE) at
//! that time, which is the instant the picture is of, and the camera rig turns it into the
//! camera's pose in the world. The eyes' cameras follow the same tracking space, placed in the
//! world by the same rig, so the marks stay on the equipment in the eyes and in the video.
//!
//! With a real camera (the camera frame source) the instant is the picture's capture time
//! instead, converted to the runtime's clock, and the rig's camera is the calibrated one; the
//! world is the tracking space itself, since no virtual scene stands in it.

use super::clock::{RuntimeClock, monotonic_ns};
use crate::camera_rig::CameraRig;
use crate::clock::unix_time_us;
use crate::render::{
    CameraPose, FrameSource, NewPicture, PoseSourceSet, RenderConfig, TrackingStamp,
};
use bevy::math::Isometry3d;
use bevy::prelude::*;
use bevy_mod_openxr::init::should_run_frame_loop;
use bevy_mod_openxr::resources::{OxrFrameState, OxrInstance};
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_xr::session::{XrSessionCreated, XrTrackingRoot};
use bevy_mod_xr::spaces::{XrPrimaryReferenceSpace, XrReferenceSpace};
use spotter_protocol::Pose;

#[derive(Resource)]
struct Rig {
    rig: CameraRig,
    /// Frames are streamed at most this often; the eyes render at the runtime's rate.
    capture_period_ns: i64,
    last_capture_ns: Option<i64>,
    /// Frames follow a camera's pictures, not the display.
    camera: bool,
}

/// The head's space and the session's clock, made when the session is.
#[derive(Resource)]
struct Head {
    view: XrReferenceSpace,
    clock: Option<RuntimeClock>,
}

pub fn add(app: &mut App, config: &RenderConfig) {
    let (rig, camera) = match &config.frame_source {
        FrameSource::Virtual => (CameraRig::standing_in(&config.scene), false),
        FrameSource::Camera(calibration) => (
            CameraRig::on_real_camera(calibration.head_from_camera),
            true,
        ),
    };
    app.insert_resource(Rig {
        rig,
        camera,
        capture_period_ns: (1e9 / f64::from(config.fps)) as i64,
        last_capture_ns: None,
    })
    .add_systems(Startup, place_tracking_space)
    .add_systems(XrSessionCreated, locate_head_space)
    .add_systems(
        Update,
        track_head
            .in_set(PoseSourceSet)
            .run_if(should_run_frame_loop)
            .run_if(resource_exists::<OxrFrameState>)
            .run_if(resource_exists::<Head>),
    );
}

/// The eyes' cameras are children of the tracking root: it stands where the rig's stage does.
fn place_tracking_space(rig: Res<Rig>, mut roots: Query<&mut Transform, With<XrTrackingRoot>>) {
    let stage = rig.rig.world_from_stage;
    for mut root in &mut roots {
        *root = Transform::from_translation(stage.position).with_rotation(stage.rotation);
    }
}

fn locate_head_space(session: Res<OxrSession>, instance: Res<OxrInstance>, mut commands: Commands) {
    let view = match session
        .create_reference_space(openxr::ReferenceSpaceType::VIEW, Isometry3d::IDENTITY)
    {
        Ok(view) => view,
        Err(e) => {
            tracing::error!("the runtime has no head (VIEW) space: {e}; frames are not streamed");
            return;
        }
    };
    let clock = RuntimeClock::measure(&instance);
    if clock.is_none() {
        tracing::warn!(
            "the runtime cannot convert its time (no XR_KHR_convert_timespec_time): frames are \
             stamped with the time they are rendered, not the time they show"
        );
    }
    commands.insert_resource(Head { view, clock });
}

fn track_head(
    session: Res<OxrSession>,
    stage: Res<XrPrimaryReferenceSpace>,
    frame: Res<OxrFrameState>,
    head: Res<Head>,
    picture: Option<Res<NewPicture>>,
    mut rig: ResMut<Rig>,
    mut commands: Commands,
) {
    let Some(time) = capture_time(&rig, &frame, &head, picture.as_deref()) else {
        commands.remove_resource::<CameraPose>();
        return;
    };
    let location = match session.locate_space(&head.view, &stage, time) {
        Ok(location) => location,
        Err(e) => {
            tracing::warn!("locating the head: {e}");
            commands.remove_resource::<CameraPose>();
            return;
        }
    };
    let tracked = openxr::SpaceLocationFlags::ORIENTATION_TRACKED;
    let valid =
        openxr::SpaceLocationFlags::ORIENTATION_VALID | openxr::SpaceLocationFlags::POSITION_VALID;
    if !location.location_flags.contains(valid) {
        // Tracking lost: no frame rather than a frame with a made-up pose.
        commands.remove_resource::<CameraPose>();
        return;
    }
    if !location.location_flags.contains(tracked) {
        tracing::debug!("the head's orientation is inferred, not tracked");
    }
    let head_in_stage = pose(&location.pose);
    rig.last_capture_ns = Some(time.as_nanos());
    let (capture_time_us, monotonic) = match head.clock {
        Some(clock) => (
            clock.unix_us(time.as_nanos()),
            clock.monotonic_ns(time.as_nanos()),
        ),
        None => (unix_time_us(), monotonic_ns()),
    };
    commands.insert_resource(CameraPose {
        pose: rig.rig.camera_in_world(&head_in_stage),
        capture_time_us,
        tracking: Some(TrackingStamp {
            runtime_time_ns: time.as_nanos(),
            monotonic_ns: monotonic,
            head_in_stage,
        }),
    });
}

/// The instant this update's frame is of, or `None` when no frame is due: a camera's new
/// picture, or the display's next frame at most at the capture rate.
fn capture_time(
    rig: &Rig,
    frame: &OxrFrameState,
    head: &Head,
    picture: Option<&NewPicture>,
) -> Option<openxr::Time> {
    if rig.camera {
        let picture = picture?;
        // Without the runtime's clock the head is located now, a frame or so late.
        return Some(match head.clock {
            Some(clock) => openxr::Time::from_nanos(clock.runtime_ns(picture.monotonic_ns)),
            None => frame.predicted_display_time,
        });
    }
    let time = frame.predicted_display_time;
    let due = rig
        .last_capture_ns
        .is_none_or(|last| time.as_nanos() - last >= rig.capture_period_ns * 9 / 10);
    (due && frame.should_render).then_some(time)
}

pub fn pose(p: &openxr::Posef) -> Pose {
    Pose::new(
        Vec3::new(p.position.x, p.position.y, p.position.z),
        Quat::from_xyzw(
            p.orientation.x,
            p.orientation.y,
            p.orientation.z,
            p.orientation.w,
        )
        .normalize(),
    )
}
