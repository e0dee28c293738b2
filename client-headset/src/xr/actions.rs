//! The wearer's controller buttons and pinches (OpenXR actions): one toggles their microphone,
//! one starts or stops the room's recording, one acknowledges the newest mark — the requests
//! `mute` / `unmute`, `toggle` and `ack` make on standard input. Bindings are suggested for the
//! common controllers, and for bare hands where the runtime offers XR_EXT_hand_interaction; the
//! runtime maps them onto whatever the wearer holds, and says which suggestions it accepted
//! (logged at start-up).

use crate::microphone_mute::MuteRequest;
use crate::recording::RecordingRequest;
use bevy::prelude::*;
use bevy_mod_openxr::exts::OxrEnabledExtensions;
use bevy_mod_openxr::openxr_session_running;
use bevy_mod_openxr::resources::OxrInstance;
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_xr::session::XrSessionCreated;
use tokio::sync::mpsc::UnboundedSender;

/// One interaction profile's suggested inputs.
pub struct ProfileBindings {
    pub profile: &'static str,
    /// Left hand: the microphone and the recording (the right stays free for the work).
    pub mute: &'static str,
    /// None where no input is distinct enough to start a recording by mistake.
    pub record: Option<&'static str>,
    /// Right hand's main button: "seen, on it".
    pub acknowledge: &'static str,
}

pub const SUGGESTED_BINDINGS: [ProfileBindings; 5] = [
    ProfileBindings {
        profile: "/interaction_profiles/khr/simple_controller",
        mute: "/user/hand/left/input/select/click",
        record: Some("/user/hand/left/input/menu/click"),
        acknowledge: "/user/hand/right/input/select/click",
    },
    ProfileBindings {
        profile: "/interaction_profiles/oculus/touch_controller",
        mute: "/user/hand/left/input/x/click",
        record: Some("/user/hand/left/input/y/click"),
        acknowledge: "/user/hand/right/input/a/click",
    },
    ProfileBindings {
        profile: "/interaction_profiles/valve/index_controller",
        mute: "/user/hand/left/input/a/click",
        record: Some("/user/hand/left/input/b/click"),
        acknowledge: "/user/hand/right/input/a/click",
    },
    ProfileBindings {
        profile: "/interaction_profiles/htc/vive_controller",
        mute: "/user/hand/left/input/menu/click",
        record: Some("/user/hand/left/input/trackpad/click"),
        acknowledge: "/user/hand/right/input/trackpad/click",
    },
    ProfileBindings {
        profile: "/interaction_profiles/microsoft/motion_controller",
        mute: "/user/hand/left/input/menu/click",
        record: Some("/user/hand/left/input/thumbstick/click"),
        acknowledge: "/user/hand/right/input/thumbstick/click",
    },
];

/// Bare hands (XR_EXT_hand_interaction): a left pinch mutes, a right pinch acknowledges. The
/// runtime turns the pinch's strength into a press. Recording has no gesture: the others the
/// profile has (aim-activate, grasp) are a pinch again on some runtimes, or a hand closing on
/// a tool, and a recording started by accident records people who did not ask for it.
pub const PINCH_BINDINGS: ProfileBindings = ProfileBindings {
    profile: "/interaction_profiles/ext/hand_interaction_ext",
    mute: "/user/hand/left/input/pinch_ext/value",
    record: None,
    acknowledge: "/user/hand/right/input/pinch_ext/value",
};

/// The profiles to suggest: the controllers', and bare hands' where the runtime enabled the
/// extension that names them (suggesting an unknown profile is an error).
pub fn profiles_to_suggest(hand_interaction: bool) -> Vec<&'static ProfileBindings> {
    let mut profiles: Vec<_> = SUGGESTED_BINDINGS.iter().collect();
    if hand_interaction {
        profiles.push(&PINCH_BINDINGS);
    }
    profiles
}

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
fn create_actions(
    instance: Res<OxrInstance>,
    session: Res<OxrSession>,
    enabled: Res<OxrEnabledExtensions>,
    mut commands: Commands,
) {
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
    let hand_interaction = enabled.raw().ext_hand_interaction;
    let profiles = profiles_to_suggest(hand_interaction);
    let mut accepted = 0;
    for p in &profiles {
        let path = |s: &str| instance.string_to_path(s);
        let suggested = (|| {
            let mut bindings = vec![
                openxr::Binding::new(&actions.mute, path(p.mute)?),
                openxr::Binding::new(&actions.acknowledge, path(p.acknowledge)?),
            ];
            if let Some(record) = p.record {
                bindings.push(openxr::Binding::new(&actions.record, path(record)?));
            }
            instance.suggest_interaction_profile_bindings(path(p.profile)?, &bindings)
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
        "OpenXR actions: bindings accepted for {accepted} of {} interaction profiles ({})",
        profiles.len(),
        if hand_interaction {
            "controllers and pinches"
        } else {
            "controllers; no pinches: the runtime has no XR_EXT_hand_interaction"
        }
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
    fn every_profile_binds_each_action_to_its_own_input_on_its_hand() {
        let mut profiles = std::collections::HashSet::new();
        for p in profiles_to_suggest(true) {
            assert!(
                p.profile.starts_with("/interaction_profiles/"),
                "{}",
                p.profile
            );
            assert!(profiles.insert(p.profile), "{} twice", p.profile);
            let mut inputs = vec![(p.mute, "left"), (p.acknowledge, "right")];
            inputs.extend(p.record.map(|record| (record, "left")));
            for (binding, hand) in inputs {
                assert!(
                    binding.starts_with(&format!("/user/hand/{hand}/input/")),
                    "{binding}"
                );
                assert!(
                    binding.ends_with("/click") || binding.ends_with("_ext/value"),
                    "a button or a pinch: {binding}"
                );
            }
            assert_ne!(Some(p.mute), p.record, "{}", p.profile);
        }
    }

    #[test]
    fn pinches_are_suggested_only_where_the_runtime_has_the_extension() {
        let pinch = |hands| {
            profiles_to_suggest(hands)
                .iter()
                .any(|p| p.profile == PINCH_BINDINGS.profile)
        };
        assert!(pinch(true));
        assert!(!pinch(false));
        assert_eq!(profiles_to_suggest(false).len(), SUGGESTED_BINDINGS.len());
        // Every controller profile can start a recording; only bare hands cannot.
        assert!(SUGGESTED_BINDINGS.iter().all(|p| p.record.is_some()));
    }
}
