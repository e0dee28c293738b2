//! The session's life: its states in the log (FOCUSED is when the wearer sees the room), the
//! frame loop's rate, the wearer's presence (a session that drops out of FOCUSED means the
//! headset is off their head, or a system menu has their view: the room shows them away), and
//! a clean end when the runtime ends the session or goes away — the app exits with a clear
//! message, and the room sees the technician leave.

use bevy::app::AppExit;
use bevy::prelude::*;
use bevy_mod_openxr::init::should_run_frame_loop;
use bevy_mod_openxr::openxr_session_available;
use bevy_mod_openxr::poll_events::OxrEventIn;
use bevy_mod_openxr::render::OxrWaitFrameSystem;
use bevy_mod_openxr::resources::{OxrFrameState, OxrFrameWaiter, OxrInstance, OxrSessionStarted};
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_xr::session::{XrFirst, XrHandleEvents, XrRequestExitMessage, session_created};
use std::time::Instant;

/// Frames the runtime asked for, for the rate in the log.
#[derive(Resource)]
struct FrameLoop {
    since: Instant,
    frames: u32,
    rendered: u32,
    total: u64,
}

/// Where the wearer's presence goes (the session thread tells the room).
#[derive(Resource)]
struct Presence(tokio::sync::watch::Sender<bool>);

pub fn add(app: &mut App, away: tokio::sync::watch::Sender<bool>) {
    app.insert_resource(Presence(away));
    app.insert_resource(FrameLoop {
        since: Instant::now(),
        frames: 0,
        rendered: 0,
        total: 0,
    })
    .add_systems(
        XrFirst,
        poll_events
            .in_set(XrHandleEvents::Poll)
            .run_if(openxr_session_available),
    )
    .add_systems(
        XrFirst,
        wait_frame
            .run_if(should_run_frame_loop)
            .in_set(OxrWaitFrameSystem)
            .in_set(XrHandleEvents::FrameLoop),
    );
    super::replace_crate_system(
        app.world_mut(),
        XrFirst,
        bevy_mod_openxr::poll_events::poll_events,
    );
    app.add_systems(
        XrFirst,
        request_exit
            .run_if(session_created)
            .run_if(on_message::<XrRequestExitMessage>)
            .in_set(XrHandleEvents::SessionStateUpdateEvents),
    );
    super::replace_crate_system(
        app.world_mut(),
        XrFirst,
        bevy_mod_openxr::init::request_exit_xr_session,
    );
}

/// Asks the runtime to end the session (the app is exiting). A runtime that has gone has no
/// session to end.
fn request_exit(session: Res<OxrSession>) {
    if let Err(e) = session.request_exit() {
        tracing::info!("the OpenXR session could not be ended ({e}): it is already gone");
    }
}

/// Ends the process before anything starts, with `why`.
pub fn fail(why: &str) -> ! {
    eprintln!("spotter-headset: {why}");
    std::process::exit(2);
}

/// Hands the runtime's events to bevy_mod_openxr's handler (the session's state) and to ours.
/// An error means the runtime has gone: leave.
fn poll_events(world: &mut World) {
    let instance = world.resource::<OxrInstance>().clone();
    let mut buffer = openxr::EventDataBuffer::default();
    loop {
        match instance.poll_event(&mut buffer) {
            Ok(Some(event)) => {
                if let Err(e) =
                    world.run_system_cached_with(bevy_mod_openxr::init::handle_events, event)
                {
                    tracing::error!("bevy_mod_openxr's event handler could not run: {e}");
                }
                if let Err(e) = world.run_system_cached_with(on_runtime_event, event) {
                    tracing::error!("the headset's event handler could not run: {e}");
                }
            }
            Ok(None) => return,
            Err(e) => {
                world.resource_mut::<OxrSessionStarted>().0 = false;
                world.write_message(leave(
                    &format!("the OpenXR runtime stopped answering ({e})"),
                    1,
                ));
                return;
            }
        }
    }
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
            // The last frame state stays: systems outside the frame loop (the crate's space
            // updates) still read it until the app has exited.
            started.0 = false;
            exit.write(leave(
                &format!("the OpenXR runtime stopped answering ({e})"),
                1,
            ));
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

/// Whether the wearer is away after the session enters `state`; `None` when it says nothing
/// new. Only a session that was FOCUSED can lose its wearer: the states before the first
/// FOCUSED are the start, not an absence.
fn away_after(state: openxr::SessionState, been_focused: bool) -> Option<bool> {
    match state {
        openxr::SessionState::FOCUSED => Some(false),
        openxr::SessionState::VISIBLE
        | openxr::SessionState::SYNCHRONIZED
        | openxr::SessionState::IDLE
        | openxr::SessionState::STOPPING
            if been_focused =>
        {
            Some(true)
        }
        _ => None,
    }
}

fn on_runtime_event(
    event: OxrEventIn,
    mut started: ResMut<OxrSessionStarted>,
    mut exit: MessageWriter<AppExit>,
    presence: Res<Presence>,
    mut previous: Local<Option<openxr::SessionState>>,
    mut been_focused: Local<bool>,
) {
    match *event {
        openxr::Event::SessionStateChanged(change) => {
            let state = change.state();
            tracing::info!("XR session state: {}", state_name(state));
            if let Some(away) = away_after(state, *been_focused) {
                presence
                    .0
                    .send_if_modified(|was| std::mem::replace(was, away) != away);
            }
            *been_focused |= state == openxr::SessionState::FOCUSED;
            let was = previous.replace(state);
            match state {
                openxr::SessionState::EXITING => {
                    exit.write(leave("the OpenXR runtime closed the session", 0));
                }
                openxr::SessionState::LOSS_PENDING => {
                    started.0 = false;
                    exit.write(leave("the OpenXR runtime lost the session", 1));
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
            exit.write(leave("the OpenXR runtime is going away", 1));
        }
        _ => {}
    }
}

/// Logs why the headset leaves and gives the exit that ends the app with `code`.
fn leave(why: &str, code: u8) -> AppExit {
    tracing::error!("{why}: leaving the room");
    match std::num::NonZeroU8::new(code) {
        Some(code) => AppExit::Error(code),
        None => AppExit::Success,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use openxr::SessionState as S;

    #[test]
    fn the_wearer_is_away_when_a_focused_session_drops_and_back_when_it_refocuses() {
        // Starting up passes through these states: nobody is away yet.
        for state in [S::IDLE, S::READY, S::SYNCHRONIZED, S::VISIBLE] {
            assert_eq!(away_after(state, false), None, "{state:?}");
        }
        assert_eq!(away_after(S::FOCUSED, false), Some(false));
        // The headset taken off: the runtime drops the session out of FOCUSED.
        for state in [S::VISIBLE, S::SYNCHRONIZED, S::IDLE, S::STOPPING] {
            assert_eq!(away_after(state, true), Some(true), "{state:?}");
        }
        assert_eq!(away_after(S::FOCUSED, true), Some(false));
        // Ending is not being away: the room sees the technician leave.
        assert_eq!(away_after(S::EXITING, true), None);
        assert_eq!(away_after(S::LOSS_PENDING, true), None);
    }
}
