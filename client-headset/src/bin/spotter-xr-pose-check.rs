//! `spotter-xr-pose-check RECORDS`: reads a headset's `--frame-records` and asks the OpenXR
//! runtime itself, from this separate process, where the head (VIEW space) was in STAGE at
//! each frame's time, then prints how far the recorded poses are from the runtime's and how
//! much they moved. It fails when the poses did not follow the runtime's head: too few frames,
//! no movement, or a recorded pose away from the runtime's. A test's independent reader: it
//! shares no code with the headset's tracking.
//!
//! It runs a headless session (XR_MND_headless, as Monado offers) and maps times through
//! CLOCK_MONOTONIC (XR_KHR_convert_timespec_time): the records carry that clock's reading.

use anyhow::{Context, bail};
use glam::{Quat, Vec3};
use serde::Deserialize;
use spotter_headset::xr::monotonic_ns;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Record {
    tracking: Option<Tracking>,
}

#[derive(Deserialize)]
struct Tracking {
    monotonic_ns: i64,
    head_in_stage: Pose,
}

#[derive(Deserialize, Clone, Copy)]
struct Pose {
    position: Vec3,
    rotation: Quat,
}

/// What the check demands of the records.
const LEAST_FRAMES: usize = 50;
const MOST_POSITION_ERROR_M: f32 = 0.005;
const MOST_ANGLE_ERROR_DEG: f32 = 0.5;

fn main() -> anyhow::Result<()> {
    let path: PathBuf = std::env::args_os()
        .nth(1)
        .context("usage: spotter-xr-pose-check FRAME_RECORDS")?
        .into();
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the frame records {}", path.display()))?;
    let mut tracked = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let record: Record = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a frame record", path.display(), i + 1))?;
        tracked.extend(record.tracking);
    }
    if tracked.len() < LEAST_FRAMES {
        bail!(
            "{} tracked frames recorded: at least {LEAST_FRAMES} wanted",
            tracked.len()
        );
    }

    // SAFETY: loading the system's OpenXR loader, as any OpenXR application does.
    let entry = unsafe { openxr::Entry::load() }.context("loading the OpenXR loader")?;
    let available = entry.enumerate_extensions()?;
    if !available.mnd_headless || !available.khr_convert_timespec_time {
        bail!("the runtime offers no headless session or no time conversion");
    }
    let mut extensions = openxr::ExtensionSet::default();
    extensions.mnd_headless = true;
    extensions.khr_convert_timespec_time = true;
    let instance = entry.create_instance(
        &openxr::ApplicationInfo {
            application_name: "spotter-xr-pose-check",
            ..Default::default()
        },
        &extensions,
        &[],
    )?;
    let system = instance.system(openxr::FormFactor::HEAD_MOUNTED_DISPLAY)?;
    // SAFETY: a headless session takes no graphics handles.
    let (session, _waiter, _stream) = unsafe {
        instance.create_session::<openxr::Headless>(system, &openxr::headless::SessionCreateInfo {})
    }?;
    let view = session
        .create_reference_space(openxr::ReferenceSpaceType::VIEW, openxr::Posef::IDENTITY)?;
    let stage = session
        .create_reference_space(openxr::ReferenceSpaceType::STAGE, openxr::Posef::IDENTITY)?;
    let runtime_minus_monotonic = instance.now()?.as_nanos() - monotonic_ns();

    let (mut worst_m, mut worst_deg) = (0f32, 0f32);
    let (first, mut moved_m, mut turned_deg) = (tracked[0].head_in_stage, 0f32, 0f32);
    for frame in &tracked {
        let time = openxr::Time::from_nanos(frame.monotonic_ns + runtime_minus_monotonic);
        let location = view.locate(&stage, time)?;
        let p = location.pose;
        let runtime = Pose {
            position: Vec3::new(p.position.x, p.position.y, p.position.z),
            rotation: Quat::from_xyzw(
                p.orientation.x,
                p.orientation.y,
                p.orientation.z,
                p.orientation.w,
            ),
        };
        let recorded = frame.head_in_stage;
        worst_m = worst_m.max(recorded.position.distance(runtime.position));
        worst_deg = worst_deg.max(
            recorded
                .rotation
                .angle_between(runtime.rotation)
                .to_degrees(),
        );
        moved_m = moved_m.max(recorded.position.distance(first.position));
        turned_deg = turned_deg.max(recorded.rotation.angle_between(first.rotation).to_degrees());
    }
    println!(
        "{} tracked frames: the head moved up to {:.1} mm and turned up to {:.2}° from the first; \
         against the runtime's pose at each frame's time: at most {:.3} mm and {:.3}° off",
        tracked.len(),
        moved_m * 1000.0,
        turned_deg,
        worst_m * 1000.0,
        worst_deg
    );
    if moved_m < 1e-4 && turned_deg < 0.01 {
        bail!("the recorded poses never changed: they do not follow the runtime's head");
    }
    if worst_m > MOST_POSITION_ERROR_M || worst_deg > MOST_ANGLE_ERROR_DEG {
        bail!("the recorded poses are not the runtime's");
    }
    Ok(())
}
