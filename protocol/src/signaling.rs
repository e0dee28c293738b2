//! Signaling messages over the WebSocket, and the validation of everything a client sends.

use crate::annotation::{Annotation, AnnotationRequest, ResolveRequest, is_valid_color};
use crate::error::{ErrorCode, ProtocolError};
use crate::ids::{
    AnnotationId, EquipmentId, ParticipantId, RecordingId, RoomId, is_valid_id, is_valid_room_name,
};
use crate::journal::RecordingStatus;
use crate::role::Role;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Largest signaling message accepted, in bytes. An SDP offer is a few kilobytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
const MAX_NAME_CHARS: usize = 64;
const MAX_SDP_BYTES: usize = 32 * 1024;
/// Longest access token accepted; Spotter's are about 300 bytes.
pub const MAX_TOKEN_BYTES: usize = 4096;
const MAX_ERROR_MESSAGE_CHARS: usize = 500;
const MAX_EQUIPMENT: usize = 200;
/// Resolved points and anchors lie within this distance of the headset's origin (metres): a
/// factory hall, with room to spare.
const MAX_COORDINATE: f32 = 1000.0;

/// From a participant to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Join `room` with an access token (from an invite) that names the room and the role; the
    /// first message of every connection. `name` is shown to others unless the token names the
    /// person.
    Join {
        room: RoomId,
        token: String,
        name: String,
        /// After a lost connection: the `resume_key` of the previous `joined`. The server
        /// replaces that participant (if it still holds it, joined with the same token identity)
        /// instead of refusing a second technician or showing a ghost.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        resume: Option<String>,
    },
    /// A WebRTC offer for this participant's one peer connection with the SFU.
    Offer { sdp: String },
    /// Expert: place a mark. `client_ref` is echoed back so the page can match the answer.
    Annotate {
        client_ref: u32,
        request: AnnotationRequest,
    },
    /// Expert: remove an annotation for everyone.
    DeleteAnnotation { annotation_id: AnnotationId },
    /// Technician: the annotation asked for by a [`ServerMessage::ResolveRequest`], resolved.
    Resolved { annotation: Annotation },
    /// Technician: the equipment its scene knows (id and name), so that people see names.
    Equipment { items: Vec<EquipmentInfo> },
    /// Technician: the annotation could not be resolved.
    ResolveFailed {
        annotation_id: AnnotationId,
        code: ErrorCode,
        message: String,
    },
    /// Technician or expert: the microphone was muted or unmuted (everyone is shown it).
    SetMuted { muted: bool },
    /// Technician: the wearer acknowledges the mark (has seen it and is on it).
    AcknowledgeMark { annotation_id: AnnotationId },
    /// Technician: the wearer took the headset off or the runtime took their view (`away`),
    /// or came back; everyone is shown it.
    SetAway { away: bool },
    /// Expert or technician: start recording the room (everyone is shown it).
    StartRecording,
    /// Expert or technician: stop the room's recording.
    StopRecording,
}

/// From the server to a participant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The join succeeded; `snapshot` is the whole room as it is now.
    Joined {
        participant_id: ParticipantId,
        role: Role,
        snapshot: RoomSnapshot,
        /// Private to this participant: sent back in `join.resume` after a lost connection.
        resume_key: String,
    },
    Answer {
        sdp: String,
    },
    ParticipantJoined {
        participant: Participant,
    },
    ParticipantLeft {
        participant_id: ParticipantId,
    },
    /// A participant's state changed (muted or unmuted, away or back).
    ParticipantUpdated {
        participant: Participant,
    },
    /// The server took the mark and sent it to the headset under `annotation_id`.
    AnnotationAccepted {
        client_ref: u32,
        annotation_id: AnnotationId,
    },
    AnnotationAdded {
        annotation: Annotation,
    },
    AnnotationDeleted {
        annotation_id: AnnotationId,
        by: ParticipantId,
    },
    /// The technician acknowledged a mark.
    AnnotationAcknowledged {
        annotation_id: AnnotationId,
        by: ParticipantId,
    },
    /// To the technician: resolve this mark.
    ResolveRequest(ResolveRequest),
    /// The equipment the room's headset knows changed.
    EquipmentUpdated {
        items: Vec<EquipmentInfo>,
    },
    /// The room started recording: every page and the headset show it while it runs.
    RecordingStarted {
        recording: RecordingStatus,
    },
    /// The room's recording stopped: by a participant, or by the server (`by` absent), which
    /// then says why (a full disk, the headset left).
    RecordingStopped {
        recording_id: RecordingId,
        by: Option<ParticipantId>,
        reason: Option<String>,
    },
    /// The server is shutting down; the connection closes next.
    Closing {
        message: String,
    },
    Error {
        code: ErrorCode,
        message: String,
        /// Set when the error answers an `annotate` message.
        client_ref: Option<u32>,
        /// Set when the error concerns one annotation.
        annotation_id: Option<AnnotationId>,
    },
}

impl ServerMessage {
    pub fn error(err: ProtocolError) -> Self {
        ServerMessage::Error {
            code: err.code,
            message: err.message,
            client_ref: None,
            annotation_id: None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialise")
    }
}

/// A piece of equipment as people see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EquipmentInfo {
    pub id: EquipmentId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Participant {
    pub id: ParticipantId,
    pub role: Role,
    pub name: String,
    /// Whether their microphone is muted (false for roles that do not talk).
    #[serde(default)]
    pub muted: bool,
    /// Whether they are connected but not there: a technician whose headset is off their head.
    #[serde(default)]
    pub away: bool,
}

/// A room as it is now: what a late joiner receives, and what `GET /api/rooms/{room}` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RoomSnapshot {
    pub room: RoomId,
    pub participants: Vec<Participant>,
    pub annotations: Vec<Annotation>,
    /// The equipment the room's headset reported (kept when it leaves).
    pub equipment: Vec<EquipmentInfo>,
    /// The recording running now, if any.
    pub recording: Option<RecordingStatus>,
    /// Increases with every change to the room's annotations.
    #[ts(type = "number")]
    pub version: u64,
}

impl ClientMessage {
    /// Parses and validates one message from a client. Every failure names what is wrong.
    pub fn parse(text: &str) -> Result<Self, ProtocolError> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(ProtocolError::new(
                ErrorCode::MessageTooLarge,
                format!(
                    "message is {} bytes; the limit is {MAX_MESSAGE_BYTES}",
                    text.len()
                ),
            ));
        }
        let message: ClientMessage = serde_json::from_str(text).map_err(|e| {
            ProtocolError::new(
                ErrorCode::MalformedMessage,
                format!("not a valid message: {e}"),
            )
        })?;
        message.validate()?;
        Ok(message)
    }

    fn validate(&self) -> Result<(), ProtocolError> {
        let invalid = |msg: String| Err(ProtocolError::new(ErrorCode::InvalidValue, msg));
        match self {
            ClientMessage::Join {
                room,
                name,
                token,
                resume,
            } => {
                if resume.as_ref().is_some_and(|k| k.len() > 64) {
                    return invalid("a resume key is at most 64 characters".into());
                }
                if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
                    return Err(ProtocolError::new(
                        ErrorCode::InvalidToken,
                        if token.is_empty() {
                            "no access token: join with an invite link".to_owned()
                        } else {
                            format!("an access token is at most {MAX_TOKEN_BYTES} bytes")
                        },
                    ));
                }
                if !is_valid_room_name(room.as_str()) {
                    return invalid(format!(
                        "room name {:?} must be 1-64 letters, digits, '-' or '_'",
                        truncate(room.as_str(), 80)
                    ));
                }
                if let Err(why) = check_name(name) {
                    return invalid(why);
                }
            }
            ClientMessage::Offer { sdp } => {
                if sdp.len() > MAX_SDP_BYTES || !sdp.starts_with("v=0") {
                    return invalid("offer is not an SDP document of at most 32 KiB".into());
                }
            }
            ClientMessage::Annotate { request, .. } => validate_request(request)?,
            ClientMessage::DeleteAnnotation { .. }
            | ClientMessage::SetMuted { .. }
            | ClientMessage::SetAway { .. }
            | ClientMessage::AcknowledgeMark { .. }
            | ClientMessage::StartRecording
            | ClientMessage::StopRecording => {}
            ClientMessage::Equipment { items } => {
                if items.len() > MAX_EQUIPMENT {
                    return invalid(format!("at most {MAX_EQUIPMENT} pieces of equipment"));
                }
                for item in items {
                    if !is_valid_id(item.id.as_str()) {
                        return invalid(
                            "equipment ids are 1-64 letters, digits, '-' or '_'".into(),
                        );
                    }
                    if let Err(why) = check_name(&item.name) {
                        return invalid(format!("equipment {}: {why}", item.id));
                    }
                }
            }
            ClientMessage::Resolved { annotation } => validate_resolved(annotation)?,
            ClientMessage::ResolveFailed { code, message, .. } => {
                if !matches!(
                    code,
                    ErrorCode::NoSurface | ErrorCode::FrameGone | ErrorCode::InvalidValue
                ) {
                    return invalid(format!(
                        "a headset reports no_surface, frame_gone or invalid_value, not {code}"
                    ));
                }
                if message.chars().count() > MAX_ERROR_MESSAGE_CHARS {
                    return invalid("failure message is too long".into());
                }
            }
        }
        Ok(())
    }
}

/// Whether `name` is a valid name for a person or a piece of equipment (1–64 characters once
/// trimmed, none of them control or invisible formatting characters); if not, why, in words
/// for the person.
///
/// Invisible formatting characters (Unicode category Cf: bidirectional overrides such as
/// U+202E, zero-width spaces such as U+200B) are refused: with them a name can read as
/// someone else's, backwards, or as nothing at all.
pub fn check_name(name: &str) -> Result<(), String> {
    check_text(name, MAX_NAME_CHARS, "a name")
}

/// Whether `text` is 1–`max_chars` characters once trimmed, none of them control or invisible
/// formatting characters (see [`check_name`]); if not, why, for the person (`what` is how
/// the text is called: "a name", "a note").
pub fn check_text(text: &str, max_chars: usize, what: &str) -> Result<(), String> {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max_chars {
        return Err(format!("{what} is 1-{max_chars} characters"));
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "{what} may not contain control characters (U+{:04X})",
            u32::from(c)
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.general_category() == GeneralCategory::Format)
    {
        return Err(format!(
            "{what} may not contain invisible formatting characters (U+{:04X})",
            u32::from(c)
        ));
    }
    Ok(())
}

fn validate_resolved(annotation: &Annotation) -> Result<(), ProtocolError> {
    let invalid = |msg: String| Err(ProtocolError::new(ErrorCode::InvalidValue, msg));
    let expected = annotation.kind.point_count();
    if annotation.points.len() != expected {
        return invalid(format!(
            "a resolved {:?} annotation has {expected} points, not {}",
            annotation.kind,
            annotation.points.len()
        ));
    }
    let pose = annotation.anchor.pose();
    let in_range = |v: glam::Vec3| v.is_finite() && v.abs().max_element() <= MAX_COORDINATE;
    if !annotation.points.iter().all(|p| in_range(*p))
        || !pose.is_valid()
        || !in_range(pose.position)
    {
        return invalid(format!(
            "resolved points and anchors must be finite and within {MAX_COORDINATE} m"
        ));
    }
    if let Some(id) = annotation.anchor.equipment_id()
        && !is_valid_id(id.as_str())
    {
        return invalid("equipment ids are 1-64 letters, digits, '-' or '_'".into());
    }
    Ok(())
}

fn validate_request(request: &AnnotationRequest) -> Result<(), ProtocolError> {
    let invalid = |msg: String| Err(ProtocolError::new(ErrorCode::InvalidValue, msg));
    let expected = request.kind.point_count();
    if request.points.len() != expected {
        return invalid(format!(
            "{:?} needs {expected} point(s), got {}",
            request.kind,
            request.points.len()
        ));
    }
    for p in &request.points {
        if !p.is_finite() || !(0.0..=1.0).contains(&p.x) || !(0.0..=1.0).contains(&p.y) {
            return invalid(format!(
                "point ({}, {}) is outside the image; use normalised coordinates 0..1",
                p.x, p.y
            ));
        }
    }
    if !is_valid_color(&request.color) {
        return invalid(format!(
            "colour {:?} must be #rrggbb",
            truncate(&request.color, 20)
        ));
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
