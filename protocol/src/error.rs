//! Errors a client can be told about, with a machine-readable code.

use serde::{Deserialize, Serialize};
use std::fmt;
use ts_rs::TS;

/// Machine-readable error codes. Clients switch on these; the message is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The message is not valid JSON or not a known message shape.
    MalformedMessage,
    /// The message is larger than [`crate::MAX_MESSAGE_BYTES`].
    MessageTooLarge,
    /// A value is out of range: a point outside the image, a bad colour, a non-finite number.
    InvalidValue,
    /// The room does not exist on this server.
    UnknownRoom,
    /// The participant must join a room before doing this.
    NotJoined,
    /// The connection already joined a room.
    AlreadyJoined,
    /// The participant's role does not allow this action.
    Forbidden,
    /// The room already has a technician.
    TechnicianPresent,
    /// No headset is in the room to resolve the annotation.
    NoTechnician,
    /// The headset did not answer in time.
    HeadsetTimeout,
    /// The mark points at nothing the headset can attach it to (sky, or beyond range).
    NoSurface,
    /// The frame the mark was drawn on is no longer in the headset's history.
    FrameGone,
    /// The annotation does not exist (or was deleted).
    UnknownAnnotation,
    /// The SDP offer could not be used.
    SdpRejected,
    /// A limit of the server was reached (e.g. annotations per room).
    LimitReached,
    /// The access token is not one this server signed: malformed, altered, or from another
    /// server.
    InvalidToken,
    /// The access token expired; the person needs a new invite.
    TokenExpired,
    /// The access token is for another room.
    WrongRoom,
    /// The invite was revoked by an administrator: on its own, with every invite of its room,
    /// or with the room; the person needs a new invite.
    InviteRevoked,
    /// The admin API was asked to revoke an invite its room does not know: never issued by
    /// this server, expired, or already revoked with every invite of the room.
    UnknownInvite,
    /// No recording of this id exists (it never did, or it was deleted).
    UnknownRecording,
    /// The room is already recording.
    AlreadyRecording,
    /// The room is not recording.
    NotRecording,
    /// The recording could not be written (a full disk, say); the live session goes on.
    RecordingFailed,
    /// The admin API was called without the admin key, or with a wrong one.
    Unauthorized,
    /// The server failed; details are in its log.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedMessage => "malformed_message",
            ErrorCode::MessageTooLarge => "message_too_large",
            ErrorCode::InvalidValue => "invalid_value",
            ErrorCode::UnknownRoom => "unknown_room",
            ErrorCode::NotJoined => "not_joined",
            ErrorCode::AlreadyJoined => "already_joined",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::TechnicianPresent => "technician_present",
            ErrorCode::NoTechnician => "no_technician",
            ErrorCode::HeadsetTimeout => "headset_timeout",
            ErrorCode::NoSurface => "no_surface",
            ErrorCode::FrameGone => "frame_gone",
            ErrorCode::UnknownAnnotation => "unknown_annotation",
            ErrorCode::SdpRejected => "sdp_rejected",
            ErrorCode::LimitReached => "limit_reached",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::WrongRoom => "wrong_room",
            ErrorCode::InviteRevoked => "invite_revoked",
            ErrorCode::UnknownInvite => "unknown_invite",
            ErrorCode::UnknownRecording => "unknown_recording",
            ErrorCode::AlreadyRecording => "already_recording",
            ErrorCode::NotRecording => "not_recording",
            ErrorCode::RecordingFailed => "recording_failed",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with its code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProtocolError {
    pub code: ErrorCode,
    pub message: String,
}

impl ProtocolError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}
