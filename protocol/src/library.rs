//! The recordings' library as a trainer browses it: one compact line per recording, without
//! its initial snapshot or events (`GET /api/recordings/{id}` has those).

use crate::ids::{EquipmentId, ParticipantId, RecordingId, RoomId};
use crate::role::Role;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A recording as `GET /api/recordings` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RecordingListing {
    pub recording_id: RecordingId,
    pub room: RoomId,
    /// Server time, ms since the Unix epoch.
    #[ts(type = "number")]
    pub started_at_ms: u64,
    /// Absent while it records (and for one the server was killed in, until it is closed).
    #[ts(type = "number | null")]
    pub stopped_at_ms: Option<u64>,
    /// Absent when the server started it (`[recording] auto`); one of `participants`.
    pub started_by: Option<ParticipantId>,
    /// How long its video runs (from the first keyframe to the stop, or to now while it
    /// records); absent when no video arrived.
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
    /// Everyone in the room when it started, then everyone who joined while it recorded, in
    /// that order.
    pub participants: Vec<RecordingParticipant>,
    /// The equipment the marks placed while it recorded are anchored to, in the order first
    /// marked.
    pub marked_equipment: Vec<MarkedEquipment>,
    /// How many marks were placed (resolved by the headset) while it recorded, deleted ones
    /// included; marks already there when it started are not counted.
    pub marks_placed: u32,
}

/// Someone who was in a recorded room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecordingParticipant {
    pub id: ParticipantId,
    pub name: String,
    pub role: Role,
}

/// A piece of equipment marked in a recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MarkedEquipment {
    pub id: EquipmentId,
    /// As the room's headset named it; absent when it never did (show the id).
    pub name: Option<String>,
}

/// What `GET /api/recordings` answers: the recordings that match, newest first, up to the
/// limit asked for, and how many matched in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RecordingList {
    pub recordings: Vec<RecordingListing>,
    /// How many matched before the limit: more than `recordings` holds when it cut them.
    pub total: u32,
}
