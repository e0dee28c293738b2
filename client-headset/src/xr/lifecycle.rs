//! The session's life: its states in the log (FOCUSED is when the wearer sees the room), the
//! frame loop's rate, and a clean end when the runtime ends the session or goes away — the app
//! exits with a clear message, and the room sees the technician leave.

use bevy::app::AppExit;
use bevy::prelude::*;
use bevy_mod_openxr::init::should_run_frame_loop;
use bevy_mod_openxr::poll_events::{OxrEventHandlerExt, OxrEventIn};
use bevy_mod_openxr::render::OxrWaitFrameSystem;
use bevy_mod_openxr::resources::{OxrFrameState, OxrFrameWaiter, OxrSessionStarted};
use bevy_mod_xr::session::{XrFirst, XrHandleEvents};
use std::time::Instant;

/// Frames the runtime asked for, for the rate in the log.
#[derive(Resource)]
struct FrameLoop {
    since: Instant,
    frames: u32,
    rendered: u32,
    total: u64,
}

pub fn add(app: &mut App) {
    app.insert_resource(FrameLoop {
        since: Instant::now(),
        frames: 0,
        rendered: 0,
        total: 0,
    })
    .add_oxr_event_handler(on_runtime_event)
    .add_systems(
        XrFirst,
        wait_frame
            .run_if(should_run_frame_loop)
            .in_set(OxrWaitFrameSystem)
            .in_set(XrHandleEvents::FrameLoop),
    );
}

/// Ends the process before anything starts, with `why`.
pub fn fail(why: &str) -> ! {
    eprintln!("spotter-headset: {why}");
    std::process::exit(2);
}

/// Waits for the runtime's next frame (it paces the loop). An error means the runtime can no
/// longer run the session: stop the frame loop, so that nothing else calls it, and leave.
fn wait_frame(
    waiter: Option<ResMut<OxrFrameWaiter>>,
    mut started: ResMut<OxrSessionStarted>,
    mut frame_loop: ResMut<FrameLoop>,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(mut waiter) = waiter else {
        return;
    };
    match waiter.wait() {
        Ok(state) => {
            count(&mut frame_loop, state.should_render);
            commands.insert_resource(OxrFrameState(state));
        }
        Err(e) => {
            started.0 = false;
            commands.remove_resource::<OxrFrameState>();
            end(
                &mut exit,
                &format!("the OpenXR runtime stopped answering ({e})"),
                1,
            );
        }
    }
}

fn count(frame_loop: &mut FrameLoop, rendered: bool) {
    frame_loop.frames += 1;
    frame_loop.total += 1;
    frame_loop.rendered += u32::from(rendered);
    let elapsed = frame_loop.since.elapsed().as_secs_f32();
    if elapsed >= 5.0 {
        tracing::info!(
            fps = frame_loop.frames as f32 / elapsed,
            rendered = frame_loop.rendered,
            total = frame_loop.total,
            "XR frame loop"
        );
        frame_loop.since = Instant::now();
        frame_loop.frames = 0;
        frame_loop.rendered = 0;
    }
}

fn on_runtime_event(
    event: OxrEventIn,
    mut started: ResMut<OxrSessionStarted>,
    mut exit: MessageWriter<AppExit>,
    mut previous: Local<Option<openxr::SessionState>>,
) {
    match *event {
        openxr::Event::SessionStateChanged(change) => {
            let state = change.state();
            tracing::info!("XR session state: {}", state_name(state));
            let was = previous.replace(state);
            match state {
                openxr::SessionState::EXITING => {
                    end(&mut exit, "the OpenXR runtime closed the session", 0);
                }
                openxr::SessionState::LOSS_PENDING => {
                    started.0 = false;
                    end(&mut exit, "the OpenXR runtime lost the session", 1);
                }
                // Every session passes through VISIBLE on its way to FOCUSED; coming down
                // from FOCUSED is what means the wearer lost the input.
                openxr::SessionState::VISIBLE if was == Some(openxr::SessionState::FOCUSED) => {
                    tracing::info!(
                        "the wearer sees the room but the runtime has the input (a system menu, \
                         or the headset taken off)"
                    )
                }
                _ => {}
            }
        }
        openxr::Event::InstanceLossPending(_) => {
            started.0 = false;
            end(&mut exit, "the OpenXR runtime is going away", 1);
        }
        _ => {}
    }
}

fn end(exit: &mut MessageWriter<AppExit>, why: &str, code: u8) {
    tracing::error!("{why}: leaving the room");
    exit.write(match std::num::NonZeroU8::new(code) {
        Some(code) => AppExit::Error(code),
        None => AppExit::Success,
    });
}

fn state_name(state: openxr::SessionState) -> &'static str {
    match state {
        openxr::SessionState::IDLE => "IDLE",
        openxr::SessionState::READY => "READY",
        openxr::SessionState::SYNCHRONIZED => "SYNCHRONIZED",
        openxr::SessionState::VISIBLE => "VISIBLE",
        openxr::SessionState::FOCUSED => "FOCUSED",
        openxr::SessionState::STOPPING => "STOPPING",
        openxr::SessionState::LOSS_PENDING => "LOSS_PENDING",
        openxr::SessionState::EXITING => "EXITING",
        _ => "UNKNOWN",
    }
}
