//! Spotter's wire protocol: every message that crosses a process boundary.
//!
//! 1. Signaling (WebSocket, JSON): [`ClientMessage`] from a participant to the server,
//!    [`ServerMessage`] back. Parse client input with [`ClientMessage::parse`], which checks size,
//!    shape and values and answers a specific [`ErrorCode`].
//! 2. Frame metadata ([`FrameMeta`], JSON on the `frames` data channel): the pose and intrinsics of
//!    every video frame, keyed by the frame's RTP timestamp.
//! 3. Annotations: an expert's [`AnnotationRequest`] in image coordinates becomes, once the headset
//!    has resolved it in 3D, an [`Annotation`] attached to an [`Anchor`].
//!
//! 4. The journal ([`JournalEvent`]): every change in a room, in order, on the server's clock;
//!    what recordings replay.
//! 5. The recordings' library ([`RecordingListing`]): one compact line per recording.
//!
//! The TypeScript types of the web client are generated from these (see `tests/ts_bindings.rs`).

mod annotation;
mod error;
mod frame;
mod geometry;
mod ids;
mod journal;
mod library;
mod role;
mod signaling;

pub use annotation::{
    Anchor, Annotation, AnnotationKind, AnnotationRequest, ResolveRequest, SurfaceQuality,
    is_valid_color,
};
pub use error::{ErrorCode, ProtocolError};
pub use frame::{FrameMeta, MAX_FRAME_META_BYTES};
pub use geometry::{Intrinsics, Pose};
pub use ids::{
    AnnotationId, EquipmentId, ParticipantId, RecordingId, RoomId, is_valid_id, is_valid_room_name,
};
pub use journal::{
    Bookmark, JournalEvent, RecordedMedia, RecordedVoice, RecordingInfo, RecordingStatus,
    RoomChange,
};
pub use library::{MarkedEquipment, RecordingList, RecordingListing, RecordingParticipant};
pub use role::{Action, Role};
pub use signaling::{
    ClientMessage, EquipmentInfo, MAX_MESSAGE_BYTES, MAX_TOKEN_BYTES, Participant, RoomSnapshot,
    ServerMessage, check_name, check_text,
};

/// Name of the data channel that carries [`FrameMeta`] from the headset to every expert.
pub const FRAMES_CHANNEL: &str = "frames";

/// RTP clock rate of video (RFC 6184): frame timestamps count 1/90000 s.
pub const VIDEO_CLOCK_RATE: u32 = 90_000;

mod typescript;
pub use typescript::{TYPESCRIPT_BINDINGS_PATH, typescript_bindings};
