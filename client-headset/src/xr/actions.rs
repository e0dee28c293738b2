//! The wearer's controller buttons (OpenXR actions): one toggles their microphone, one starts
//! or stops the room's recording — the requests `mute`/`unmute` and `toggle` make on standard
//! input. Bindings are suggested for the common controllers; the runtime maps them onto
//! whatever the wearer holds, and says which suggestions it accepted (logged at start-up).

use crate::microphone_mute::MuteRequest;
use crate::recording::RecordingRequest;
use bevy::prelude::*;
use bevy_mod_openxr::openxr_session_running;
use bevy_mod_openxr::resources::OxrInstance;
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_xr::session::XrSessionCreated;
use tokio::sync::mpsc::UnboundedSender;

/// Per controller profile: the button that toggles the microphone, and the one that toggles
/// the recording. Left hand, so the right stays free for the work (and for pointing).
pub const SUGGESTED_BINDINGS: [(&str, &str, &str); 5] = [
    (
        "/interaction_profiles/khr/simple_controller",
        "/user/hand/left/input/select/click",
        "/user/hand/left/input/menu/click",
    ),
    (
        "/interaction_profiles/oculus/touch_controller",
        "/user/hand/left/input/x/click",
        "/user/hand/left/input/y/click",
    ),
    (
        "/interaction_profiles/valve/index_controller",
        "/user/hand/left/input/a/click",
        "/user/hand/left/input/b/click",
    ),
    (
        "/interaction_profiles/htc/vive_controller",
        "/user/hand/left/input/menu/click",
        "/user/hand/left/input/trackpad/click",
    ),
    (
        "/interaction_profiles/microsoft/motion_controller",
        "/user/hand/left/input/menu/click",
        "/user/hand/left/input/thumbstick/click",
    ),
];

#[derive(Resource)]
struct Requests {
    recording: UnboundedSender<RecordingRequest>,
    microphone: UnboundedSender<MuteRequest>,
}

#[derive(Resource)]
struct WearerActions {
    set: openxr::ActionSet,
    mute: openxr::Action<bool>,
    record: openxr::Action<bool>,
}

pub fn add(
    app: &mut App,
    recording: UnboundedSender<RecordingRequest>,
    microphone: UnboundedSender<MuteRequest>,
) {
    app.insert_resource(Requests {
        recording,
        microphone,
    })
    .add_systems(XrSessionCreated, create_actions)
    .add_systems(
        PreUpdate,
        read_buttons
            .run_if(openxr_session_running)
            .run_if(resource_exists::<WearerActions>),
    );
}

/// Makes the actions, suggests their bindings and attaches them to the new session. Without
/// them the headset still works: the wearer's requests come from standard input.
fn create_actions(instance: Res<OxrInstance>, session: Res<OxrSession>, mut commands: Commands) {
    let made = (|| -> openxr::Result<WearerActions> {
        let set = instance.create_action_set("spotter", "Spotter", 0)?;
        let mute = set.create_action("toggle_mute", "Mute or unmute the microphone", &[])?;
        let record = set.create_action("toggle_recording", "Start or stop recording", &[])?;
        Ok(WearerActions { set, mute, record })
    })();
    let actions = match made {
        Ok(actions) => actions,
        Err(e) => {
            tracing::warn!("OpenXR actions could not be made ({e}): no controller buttons");
            return;
        }
    };
    let mut accepted = 0;
    for (profile, mute, record) in SUGGESTED_BINDINGS {
        let suggested = (|| {
            instance.suggest_interaction_profile_bindings(
                instance.string_to_path(profile)?,
                &[
                    openxr::Binding::new(&actions.mute, instance.string_to_path(mute)?),
                    openxr::Binding::new(&actions.record, instance.string_to_path(record)?),
                ],
            )
        })();
        match suggested {
            Ok(()) => accepted += 1,
            Err(e) => tracing::warn!("the runtime refused the bindings for {profile}: {e}"),
        }
    }
    if let Err(e) = session.attach_action_sets(&[&actions.set]) {
        tracing::warn!("OpenXR actions could not be attached ({e}): no controller buttons");
        return;
    }
    tracing::info!(
        "OpenXR actions: bindings accepted for {accepted} of {} controller profiles",
        SUGGESTED_BINDINGS.len()
    );
    commands.insert_resource(actions);
}

/// A button's press (not its hold) makes one request.
fn read_buttons(
    session: Res<OxrSession>,
    actions: Res<WearerActions>,
    requests: Res<Requests>,
    mut warned: Local<bool>,
) {
    if let Err(e) = session.sync_actions(&[openxr::ActiveActionSet::new(&actions.set)]) {
        if !std::mem::replace(&mut *warned, true) {
            tracing::warn!("reading the controller buttons: {e}");
        }
        return;
    }
    let pressed = |action: &openxr::Action<bool>| {
        action
            .state(&session, openxr::Path::NULL)
            .is_ok_and(|s| s.is_active && s.changed_since_last_sync && s.current_state)
    };
    if pressed(&actions.mute) {
        let _ = requests.microphone.send(MuteRequest::Toggle);
    }
    if pressed(&actions.record) {
        let _ = requests.recording.send(RecordingRequest::Toggle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_binds_both_buttons_to_different_left_hand_inputs() {
        let mut profiles = std::collections::HashSet::new();
        for (profile, mute, record) in SUGGESTED_BINDINGS {
            assert!(profile.starts_with("/interaction_profiles/"), "{profile}");
            assert!(profiles.insert(profile), "{profile} twice");
            for binding in [mute, record] {
                assert!(binding.starts_with("/user/hand/left/input/"), "{binding}");
                assert!(binding.ends_with("/click"), "a button: {binding}");
            }
            assert_ne!(mute, record, "{profile}");
        }
    }
}
