//! The admin API's library invites: a trainer's link to the recordings of several rooms, or of
//! every room, and their revocation. Every call needs the admin key.

use super::admin::{bad_body, invalid, invite_name, invite_ttl};
use super::api::{ApiError, bearer, parse_room};
use super::recordings::blocking;
use crate::recording::access::RoomScope;
use crate::recording::query::LibraryQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;
use spotter_protocol::{ProtocolError, RoomId};
use std::collections::BTreeSet;

/// The most rooms one library invite names (they travel in its token, in every request).
const MAX_ROOMS: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateLibraryInvite {
    /// The rooms whose recordings it opens; or `all_rooms`.
    #[serde(default)]
    pub rooms: Option<Vec<String>>,
    /// Every room's recordings, those of rooms made later too.
    #[serde(default)]
    pub all_rooms: bool,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub ttl_seconds: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct LibraryInvite {
    pub library: RoomScope,
    /// What revokes it: `DELETE /api/admin/library-invites/{invite_id}`.
    pub invite_id: String,
    pub token: String,
    /// The link to open in a browser: the library.
    pub recordings_url: String,
    /// Unix time, seconds.
    pub expires_at: u64,
}

/// `POST /api/admin/library-invites`: a trainer's invite to the recordings of `rooms`, or of
/// every room. It joins no live room.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<CreateLibraryInvite>, JsonRejection>,
) -> Result<(StatusCode, Json<LibraryInvite>), ApiError> {
    state.auth.check_admin(bearer(&headers))?;
    let Json(body) = body.map_err(bad_body)?;
    let scope = match (body.rooms, body.all_rooms) {
        (None, true) => RoomScope::All,
        (Some(rooms), false) => RoomScope::Rooms(known_rooms(&state, rooms).await?),
        (Some(_), true) => return Err(invalid("give either rooms or all_rooms, not both")),
        (None, false) => {
            return Err(invalid(
                "name the rooms whose recordings the invite opens (rooms), or all_rooms: true",
            ));
        }
    };
    let name = invite_name(body.name)?;
    let ttl = invite_ttl(&state, body.ttl_seconds)?;
    let (token, claims) = state.library_invites.issue(&state.auth, scope, name, ttl)?;
    tracing::info!(subject = %claims.sub, library = %claims.library, "library invite issued");
    Ok((
        StatusCode::CREATED,
        Json(LibraryInvite {
            recordings_url: format!("{}/recordings?token={token}", state.base_url),
            library: claims.library,
            invite_id: claims.sub,
            token,
            expires_at: claims.exp,
        }),
    ))
}

/// The rooms named, each a room that exists or has recordings: a typo fails here, not in
/// the trainer's empty library.
async fn known_rooms(state: &AppState, names: Vec<String>) -> Result<BTreeSet<RoomId>, ApiError> {
    if names.is_empty() || names.len() > MAX_ROOMS {
        return Err(invalid(format!(
            "rooms lists 1 to {MAX_ROOMS} rooms (or use all_rooms: true)"
        )));
    }
    let mut rooms = BTreeSet::new();
    for name in names {
        let room = parse_room(&name)?;
        if state.rooms.check_exists(&room).is_err() && !has_recordings(state, &room).await? {
            return Err(invalid(format!(
                "there is no room {room} and no recording of one"
            )));
        }
        rooms.insert(room);
    }
    Ok(rooms)
}

async fn has_recordings(state: &AppState, room: &RoomId) -> Result<bool, ProtocolError> {
    let query = LibraryQuery {
        room: Some(room.clone()),
        limit: 1,
        ..LibraryQuery::default()
    };
    let list = blocking(&state.recordings, move |l| l.list(&query)).await?;
    Ok(list.total > 0)
}

/// `DELETE /api/admin/library-invites/{invite_id}`: revokes one library invite.
pub async fn revoke(
    State(state): State<AppState>,
    Path(invite_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.auth.check_admin(bearer(&headers))?;
    state.library_invites.revoke(&invite_id)?;
    tracing::info!(invite = %invite_id, "library invite revoked");
    Ok(Json(json!({ "invite_id": invite_id })))
}

/// `DELETE /api/admin/library-invites`: revokes every library invite issued so far.
pub async fn revoke_all(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.auth.check_admin(bearer(&headers))?;
    state.library_invites.revoke_all();
    tracing::info!("every library invite revoked");
    Ok(Json(json!({ "revoked": "all" })))
}
