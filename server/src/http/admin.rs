//! The admin API: creates rooms and invite links. Every call needs the admin key from the
//! configuration (`Authorization: Bearer <key>`).

use super::api::{ApiError, bearer, parse_room};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use spotter_protocol::{Action, ErrorCode, ProtocolError, Role, RoomId, check_name};
use std::time::Duration;

/// The longest an invite may live: a month.
const MAX_INVITE_TTL: Duration = Duration::from_secs(31 * 24 * 3600);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    pub room: String,
}

#[derive(Debug, Serialize)]
pub struct RoomCreated {
    pub room: RoomId,
    /// False when the room already existed (it is kept as it was).
    pub created: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    pub role: Role,
    /// The person's name, shown to others; unset, they type it.
    #[serde(default)]
    pub name: Option<String>,
    /// Lifetime in seconds; unset, `[auth] invite_ttl_seconds`.
    #[serde(default)]
    pub ttl_seconds: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Invite {
    pub room: RoomId,
    pub role: Role,
    /// What revokes this invite: `DELETE /api/admin/rooms/{room}/invites/{invite_id}`.
    pub invite_id: String,
    /// The access token (for the headset, or any client that is not a browser).
    pub token: String,
    /// The link to open in a browser: the live room.
    pub url: String,
    /// For a role that may replay (a trainer): the link to the room's recordings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recordings_url: Option<String>,
    /// Unix time, seconds.
    pub expires_at: u64,
}

/// `POST /api/admin/rooms`: creates a room (stored; kept across restarts).
pub async fn create_room(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<CreateRoom>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<RoomCreated>), ApiError> {
    state.auth.check_admin(bearer(&headers))?;
    let Json(body) = body.map_err(bad_body)?;
    let room = parse_room(&body.room)?;
    let created = state.rooms.create_room(&room)?;
    if created {
        tracing::info!(%room, "room created through the admin API");
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(RoomCreated { room, created })))
}

/// `POST /api/admin/rooms/{room}/invites`: a signed invite for one role in one room.
pub async fn create_invite(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
    body: Result<Json<CreateInvite>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Invite>), ApiError> {
    state.auth.check_admin(bearer(&headers))?;
    let Json(body) = body.map_err(bad_body)?;
    let room = parse_room(&room)?;
    // Only rooms that exist get invites: a typo in the room fails here, not at the door.
    state.rooms.check_exists(&room)?;
    let name = invite_name(body.name)?;
    let ttl = invite_ttl(&state, body.ttl_seconds)?;
    let subject = format!("invite-{:016x}", rand::random::<u64>());
    let issued = state.rooms.issue_invite(&room, |epoch| {
        state
            .auth
            .issue(&room, body.role, subject, name, ttl, epoch)
    })?;
    let url = format!("{}/?room={room}&token={}", state.base_url, issued.token);
    let recordings_url = (body.role.may(Action::Replay))
        .then(|| format!("{}/recordings?token={}", state.base_url, issued.token));
    tracing::info!(%room, role = %body.role, subject = %issued.claims.sub, "invite issued");
    Ok((
        StatusCode::CREATED,
        Json(Invite {
            room,
            role: body.role,
            invite_id: issued.claims.sub,
            token: issued.token,
            url,
            recordings_url,
            expires_at: issued.claims.exp,
        }),
    ))
}

/// The name an invite gives its holder, trimmed, if it is a name people can be shown.
pub(super) fn invite_name(name: Option<String>) -> Result<Option<String>, ApiError> {
    let name = name.map(|n| n.trim().to_owned());
    if let Some(Err(why)) = name.as_deref().map(check_name) {
        return Err(invalid(why));
    }
    Ok(name)
}

/// An invite's lifetime: `ttl_seconds` if asked, else `[auth] invite_ttl_seconds`.
pub(super) fn invite_ttl(state: &AppState, ttl_seconds: Option<u64>) -> Result<Duration, ApiError> {
    let ttl = ttl_seconds.map_or(state.invite_ttl, Duration::from_secs);
    if ttl.is_zero() || ttl > MAX_INVITE_TTL {
        return Err(invalid(format!(
            "ttl_seconds must be 1 to {}",
            MAX_INVITE_TTL.as_secs()
        )));
    }
    Ok(ttl)
}

pub(super) fn invalid(why: impl Into<String>) -> ApiError {
    ApiError(ProtocolError::new(ErrorCode::InvalidValue, why))
}

pub(super) fn bad_body(e: axum::extract::rejection::JsonRejection) -> ApiError {
    ApiError(ProtocolError::new(
        ErrorCode::MalformedMessage,
        format!(
            "the request body is not what this call takes: {}",
            e.body_text()
        ),
    ))
}
