//! The admin API's revocations: one invite, every invite of a room, or the room itself. Like
//! the rest of the admin API, every call needs the admin key. Whoever is in the room on what
//! is revoked is disconnected, media included.

use super::api::{ApiError, bearer, parse_room};
use crate::rooms::RoomRegistry;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Serialize;
use spotter_protocol::{ParticipantId, ProtocolError, RoomId};

#[derive(Debug, Serialize)]
pub struct InvitesRevoked {
    pub room: RoomId,
    /// The invite revoked; absent when every invite of the room was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_id: Option<String>,
    /// How many participants were in the room on what was revoked, and were disconnected.
    pub disconnected: usize,
}

#[derive(Debug, Serialize)]
pub struct RoomDeleted {
    pub room: RoomId,
    /// How many participants were in the room, and were disconnected.
    pub disconnected: usize,
}

/// `DELETE /api/admin/rooms/{room}/invites/{invite_id}`: revokes one invite.
pub async fn revoke_invite(
    State(state): State<AppState>,
    Path((room, invite_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<InvitesRevoked>, ApiError> {
    let (room, disconnected) = remove(&state, &headers, &room, |rooms, room| {
        rooms.revoke_invite(room, &invite_id)
    })
    .await?;
    tracing::info!(%room, invite = %invite_id, disconnected, "invite revoked");
    Ok(Json(InvitesRevoked {
        room,
        invite_id: Some(invite_id),
        disconnected,
    }))
}

/// `DELETE /api/admin/rooms/{room}/invites`: revokes every invite of the room issued so far.
pub async fn revoke_all_invites(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
) -> Result<Json<InvitesRevoked>, ApiError> {
    let (room, disconnected) =
        remove(&state, &headers, &room, RoomRegistry::revoke_all_invites).await?;
    tracing::info!(%room, disconnected, "every invite of the room revoked");
    Ok(Json(InvitesRevoked {
        room,
        invite_id: None,
        disconnected,
    }))
}

/// `DELETE /api/admin/rooms/{room}`: deletes the room, its annotations and its invites.
pub async fn delete_room(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
) -> Result<Json<RoomDeleted>, ApiError> {
    let (room, disconnected) = remove(&state, &headers, &room, RoomRegistry::delete_room).await?;
    tracing::info!(%room, disconnected, "room deleted through the admin API");
    Ok(Json(RoomDeleted { room, disconnected }))
}

/// With the admin key, has the rooms apply `removal` to `room` and drops the media of the
/// participants it removed; returns the room and how many they were.
async fn remove(
    state: &AppState,
    headers: &HeaderMap,
    room: &str,
    removal: impl FnOnce(&RoomRegistry, &RoomId) -> Result<Vec<ParticipantId>, ProtocolError>,
) -> Result<(RoomId, usize), ApiError> {
    state.auth.check_admin(bearer(headers))?;
    let room = parse_room(room)?;
    let removed = removal(&state.rooms, &room)?;
    let disconnected = removed.len();
    for participant in removed {
        state.sfu.disconnect(participant).await;
    }
    Ok((room, disconnected))
}
