//! Roles and the one matrix of what each may do. The server consults [`Role::may`] for every
//! message; clients use it only to hide what would be refused anyway.

use serde::{Deserialize, Serialize};
use std::fmt;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Wears the headset: publishes video, voice and frame metadata, resolves annotations.
    Technician,
    /// Watches live, talks and annotates.
    Expert,
    /// Watches and listens live, writes and says nothing.
    Observer,
    /// Replays the room's recorded sessions; may watch live.
    Trainer,
}

/// Something a participant asks the server to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Send video, frame metadata and the equipment list into the room.
    Publish,
    /// Send voice into the room.
    Talk,
    /// Hear the room's voices.
    Listen,
    /// Receive the room's video and frame metadata.
    Subscribe,
    /// Read the room's state (participants, annotations) through the API.
    ReadRoom,
    /// Ask for a new annotation.
    Annotate,
    /// Delete an annotation.
    DeleteAnnotation,
    /// Answer a resolve request with a resolved annotation (or why it failed).
    ResolveAnnotation,
    /// Start and stop the room's recording.
    Record,
    /// List and replay the room's recordings. (Deleting one takes the admin key.)
    Replay,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Publish,
        Action::Talk,
        Action::Listen,
        Action::Subscribe,
        Action::ReadRoom,
        Action::Annotate,
        Action::DeleteAnnotation,
        Action::ResolveAnnotation,
        Action::Record,
        Action::Replay,
    ];
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Technician,
        Role::Expert,
        Role::Observer,
        Role::Trainer,
    ];

    /// The role matrix.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Technician => matches!(
                action,
                Publish | Talk | Listen | ReadRoom | ResolveAnnotation | Record
            ),
            Role::Expert => matches!(
                action,
                Talk | Listen | Subscribe | ReadRoom | Annotate | DeleteAnnotation | Record
            ),
            Role::Observer => matches!(action, Listen | Subscribe | ReadRoom),
            Role::Trainer => matches!(action, Listen | Subscribe | ReadRoom | Replay),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Technician => "technician",
            Role::Expert => "expert",
            Role::Observer => "observer",
            Role::Trainer => "trainer",
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Publish => "publish video",
            Action::Talk => "send voice",
            Action::Listen => "hear voices",
            Action::Subscribe => "receive video",
            Action::ReadRoom => "read the room",
            Action::Annotate => "annotate",
            Action::DeleteAnnotation => "delete annotations",
            Action::ResolveAnnotation => "resolve annotations",
            Action::Record => "start or stop recording",
            Action::Replay => "replay recordings",
        })
    }
}
