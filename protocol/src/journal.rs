//! A room's history: an append-only journal of changes on the server's clock.
//!
//! Every change in a room is one [`JournalEvent`]. The live state of a room is its journal
//! folded in order, and so is a replay's state at any moment of a recording (the server and
//! the web client each fold it with one pure function).

use crate::annotation::{Annotation, AnnotationRequest};
use crate::error::ErrorCode;
use crate::ids::{AnnotationId, ParticipantId, RecordingId};
use crate::signaling::{EquipmentInfo, Participant};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One change in a room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct JournalEvent {
    /// Position in the room's journal: 1, 2, 3… with no gaps, never reused.
    #[ts(type = "number")]
    pub seq: u64,
    /// Server time of the change, milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub at_ms: u64,
    pub change: RoomChange,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoomChange {
    Joined {
        participant: Participant,
    },
    Left {
        participant_id: ParticipantId,
    },
    /// A participant muted or unmuted their microphone.
    Muted {
        participant_id: ParticipantId,
        muted: bool,
    },
    /// The technician took the headset off (`away`) or put it back on.
    Away {
        participant_id: ParticipantId,
        away: bool,
    },
    /// An expert asked for a mark; the headset was asked to resolve it.
    MarkRequested {
        annotation_id: AnnotationId,
        author: ParticipantId,
        client_ref: u32,
        request: AnnotationRequest,
    },
    /// The headset resolved a requested mark: it is visible from here on.
    MarkResolved {
        annotation: Annotation,
    },
    /// A requested mark was not placed (the headset could not resolve it, or left).
    MarkFailed {
        annotation_id: AnnotationId,
        code: ErrorCode,
    },
    MarkDeleted {
        annotation_id: AnnotationId,
        by: ParticipantId,
    },
    /// The technician acknowledged a mark.
    MarkAcknowledged {
        annotation_id: AnnotationId,
        by: ParticipantId,
    },
    /// The equipment the room's headset reported.
    Equipment {
        items: Vec<EquipmentInfo>,
    },
    /// `by` is absent when the server started it (`[recording] auto`).
    RecordingStarted {
        recording_id: RecordingId,
        by: Option<ParticipantId>,
    },
    /// `by` is absent when the server stopped it; `reason` says why in that case (a full
    /// disk, the headset left, the server restarted).
    RecordingStopped {
        recording_id: RecordingId,
        by: Option<ParticipantId>,
        reason: Option<String>,
    },
}

/// The recording a room is making, as everyone in it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecordingStatus {
    pub recording_id: RecordingId,
    pub started_by: Option<ParticipantId>,
    #[ts(type = "number")]
    pub started_at_ms: u64,
}

/// A recording in the library: when and by whom it was made, and where its media begins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RecordingInfo {
    pub recording_id: RecordingId,
    pub room: crate::ids::RoomId,
    #[ts(type = "number")]
    pub started_at_ms: u64,
    pub started_by: Option<ParticipantId>,
    /// Absent while it records, and for a recording the server was killed in the middle of
    /// until the next start closes it.
    #[ts(type = "number | null")]
    pub stopped_at_ms: Option<u64>,
    pub stopped_by: Option<ParticipantId>,
    pub stop_reason: Option<String>,
    /// The room when the recording started (the marks already placed, who was in): the
    /// replay starts from it and applies the recording's events.
    pub initial: crate::signaling::RoomSnapshot,
    /// Absent until the first keyframe arrived.
    pub media: Option<RecordedMedia>,
    pub voices: Vec<RecordedVoice>,
}

/// Where the video's media time begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecordedMedia {
    /// The RTP timestamp of media time 0 (the first keyframe): a frame at media time `t`
    /// seconds has RTP timestamp `first_rtp_timestamp + t * 90000` (mod 2^32).
    pub first_rtp_timestamp: u32,
    /// When that keyframe arrived, server time (ms since the Unix epoch): an event at
    /// `at_ms` is at media time `at_ms - started_at_ms`.
    #[ts(type = "number")]
    pub started_at_ms: u64,
}

/// One talker's voice track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecordedVoice {
    pub participant_id: ParticipantId,
    /// The file within the recording (`voice-1.mp4`).
    pub file: String,
}

/// A trainer's bookmark in a recording: a moment with a note (a chapter). Bookmarks are
/// added beside the recorded events, which never change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Bookmark {
    /// 1, 2, 3… within the recording.
    #[ts(type = "number")]
    pub bookmark_id: u64,
    /// Where, in the recording's media time (ms from its first keyframe).
    #[ts(type = "number")]
    pub media_time_ms: u64,
    pub note: String,
    /// Who added it (the name on their invite, else its id).
    pub by: String,
    #[ts(type = "number")]
    pub created_at_ms: u64,
}
