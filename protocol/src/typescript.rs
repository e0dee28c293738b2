//! The TypeScript declarations of the wire types, for `client-web/src/generated/protocol.ts`.

use crate::*;
use ts_rs::{Config, TS};

/// Where the generated file lives, relative to the workspace root.
pub const TYPESCRIPT_BINDINGS_PATH: &str = "client-web/src/generated/protocol.ts";

/// Every wire type as one self-contained TypeScript module.
pub fn typescript_bindings() -> String {
    let cfg = Config::new().with_large_int("number");
    let decls = [
        RoomId::decl(&cfg),
        ParticipantId::decl(&cfg),
        AnnotationId::decl(&cfg),
        EquipmentId::decl(&cfg),
        RecordingId::decl(&cfg),
        Role::decl(&cfg),
        ErrorCode::decl(&cfg),
        Pose::decl(&cfg),
        Intrinsics::decl(&cfg),
        FrameMeta::decl(&cfg),
        AnnotationKind::decl(&cfg),
        AnnotationRequest::decl(&cfg),
        ResolveRequest::decl(&cfg),
        Anchor::decl(&cfg),
        SurfaceQuality::decl(&cfg),
        Annotation::decl(&cfg),
        EquipmentInfo::decl(&cfg),
        Participant::decl(&cfg),
        RecordingStatus::decl(&cfg),
        RoomSnapshot::decl(&cfg),
        RoomChange::decl(&cfg),
        JournalEvent::decl(&cfg),
        RecordedMedia::decl(&cfg),
        RecordedVoice::decl(&cfg),
        RecordingInfo::decl(&cfg),
        Bookmark::decl(&cfg),
        RecordingParticipant::decl(&cfg),
        MarkedEquipment::decl(&cfg),
        RecordingListing::decl(&cfg),
        RecordingList::decl(&cfg),
        ClientMessage::decl(&cfg),
        ServerMessage::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust crate `spotter-protocol` by its test `ts_bindings`.\n\
         // Do not edit: change the Rust types and run `UPDATE_BINDINGS=1 cargo test -p spotter-protocol`.\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.push_str(&format!(
        "export const FRAMES_CHANNEL = {FRAMES_CHANNEL:?};\nexport const VIDEO_CLOCK_RATE = {VIDEO_CLOCK_RATE};\nexport const MAX_MESSAGE_BYTES = {MAX_MESSAGE_BYTES};\n"
    ));
    out
}
