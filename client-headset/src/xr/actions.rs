//! The wearer's controller buttons (OpenXR actions): one toggles their microphone, one starts
//! or stops the room's recording, one acknowledges the newest mark — the requests `mute` /
//! `unmute`, `toggle` and `ack` make on standard input. Bindings are suggested for the common controllers; the runtime maps them onto
//! whatever the wearer holds, and says which suggestions it accepted (logged at start-up).

use crate::microphone_mute::MuteRequest;
use crate::recording::RecordingRequest;
use bevy::prelude::*;
use bevy_mod_openxr::openxr_session_running;
use bevy_mod_openxr::resources::OxrInstance;
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_xr::session::XrSessionCreated;
use tokio::sync::mpsc::UnboundedSender;

/// One controller profile's suggested buttons.
pub struct ProfileBindings {
    pub profile: &'static str,
    /// Left hand: the microphone and the recording (the right stays free for the work).
    pub mute: &'static str,
    pub record: &'static str,
    /// Right hand's main button: "seen, on it".
    pub acknowledge: &'static str,
}

pub const SUGGESTED_BINDINGS: [ProfileBindings; 5] = [
    ProfileBindings {
        profile: "/interaction_profiles/khr/simple_controller",
        mute: "/user/hand/left/input/select/click",
        record: "/user/hand/left/input/menu/click",
        acknowledge: "/user/hand/right/input/select/click",
    },
    ProfileBindings {
        profile: "/interaction_profiles/oculus/touch_controller",
        mute: "/user/hand/left/input/x/click",
        record: "/user/hand/left/input/y/click",
        acknowledge: "/user/hand/right/input/a/click",
    },
    ProfileBindings {
        profile: "/interaction_profiles/valve/index_controller",
        mute: "/user/hand/left/input/a/click",
        record: "/user/hand/left/input/b/click",
        acknowledge: "/user/hand/right/input/a/click",
    },
    ProfileBindings {
        profile: "/interaction_profiles/htc/vive_controller",
        mute: "/user/hand/left/input/menu/click",
        record: "/user/hand/left/input/trackpad/click",
        acknowledge: "/user/hand/right/input/trackpad/click",
    },
    ProfileBindings {
        profile: "/interaction_profiles/microsoft/motion_controller",
        mute: "/user/hand/left/input/menu/click",
        record: "/user/hand/left/input/thumbstick/click",
        acknowledge: "/user/hand/right/input/thumbstick/click",
    },
];

#[derive(Resource)]
struct Requests {
    recording: UnboundedSender<RecordingRequest>,
    microphone: UnboundedSender<MuteRequest>,
    acknowledge: UnboundedSender<()>,
}

#[derive(Resource)]
struct WearerActions {
    set: openxr::ActionSet,
    mute: openxr::Action<bool>,
    record: openxr::Action<bool>,
    acknowledge: openxr::Action<bool>,
}

pub fn add(
    app: &mut App,
    recording: UnboundedSender<RecordingRequest>,
    microphone: UnboundedSender<MuteRequest>,
    acknowledge: UnboundedSender<()>,
) {
    app.insert_resource(Requests {
        recording,
        microphone,
        acknowledge,
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
        let acknowledge = set.create_action("acknowledge", "Acknowledge the newest mark", &[])?;
        Ok(WearerActions {
            set,
            mute,
            record,
            acknowledge,
        })
    })();
    let actions = match made {
        Ok(actions) => actions,
        Err(e) => {
            tracing::warn!("OpenXR actions could not be made ({e}): no controller buttons");
            return;
        }
    };
    let mut accepted = 0;
    for p in &SUGGESTED_BINDINGS {
        let path = |s: &str| instance.string_to_path(s);
        let suggested = (|| {
            instance.suggest_interaction_profile_bindings(
                path(p.profile)?,
                &[
                    openxr::Binding::new(&actions.mute, path(p.mute)?),
                    openxr::Binding::new(&actions.record, path(p.record)?),
                    openxr::Binding::new(&actions.acknowledge, path(p.acknowledge)?),
                ],
            )
        })();
        match suggested {
            Ok(()) => accepted += 1,
            Err(e) => tracing::warn!("the runtime refused the bindings for {}: {e}", p.profile),
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
    if pressed(&actions.acknowledge) {
        let _ = requests.acknowledge.send(());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_binds_each_action_to_its_own_button() {
        let mut profiles = std::collections::HashSet::new();
        for p in &SUGGESTED_BINDINGS {
            assert!(
                p.profile.starts_with("/interaction_profiles/"),
                "{}",
                p.profile
            );
            assert!(profiles.insert(p.profile), "{} twice", p.profile);
            for (binding, hand) in [
                (p.mute, "left"),
                (p.record, "left"),
                (p.acknowledge, "right"),
            ] {
                assert!(
                    binding.starts_with(&format!("/user/hand/{hand}/input/")),
                    "{binding}"
                );
                assert!(binding.ends_with("/click"), "a button: {binding}");
            }
            assert_ne!(p.mute, p.record, "{}", p.profile);
        }
    }
}
