//! Distinct id types, so a room name is never passed where a participant id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use ts_rs::TS;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

string_id!(
    /// A room: one piece of work on one machine, e.g. `demo` or `press-7-hydraulics`.
    RoomId
);
string_id!(
    /// A participant's id for the life of one connection, assigned by the server.
    ParticipantId
);
string_id!(
    /// An annotation's id, assigned by the server when the expert asks for it.
    AnnotationId
);
string_id!(
    /// A recording of a room, assigned by the server when it starts: `r-` and 16 hex digits.
    RecordingId
);
string_id!(
    /// A piece of equipment in the factory registry (`assets/factory.json`), e.g. `pump-1`.
    EquipmentId
);

impl AnnotationId {
    /// The id of the `n`th annotation of a room: `a-n`.
    pub fn from_sequence(n: u64) -> Self {
        Self(format!("a-{n}"))
    }

    /// `n` for an id `a-n`.
    pub fn sequence(&self) -> Option<u64> {
        self.0.strip_prefix("a-")?.parse().ok()
    }
}

impl RecordingId {
    /// A new random id.
    pub fn fresh(random: u64) -> Self {
        Self(format!("r-{random:016x}"))
    }

    /// Whether `s` has the shape of a recording id (checked before any lookup).
    pub fn is_well_formed(s: &str) -> bool {
        s.strip_prefix("r-")
            .is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    }
}

/// Whether `s` is acceptable as a room name: 1–64 characters of `[A-Za-z0-9_-]`.
pub fn is_valid_room_name(s: &str) -> bool {
    is_valid_id(s)
}

/// Whether `s` is a well-formed id (room, equipment): 1–64 characters of `[A-Za-z0-9_-]`.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
