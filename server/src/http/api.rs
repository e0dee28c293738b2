//! REST endpoints. Errors use the same codes as signaling: `{"code": ..., "message": ...}`.

use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use spotter_protocol::{
    Action, ErrorCode, ProtocolError, RoomId, RoomSnapshot, is_valid_room_name,
};

pub struct ApiError(pub ProtocolError);

impl From<ProtocolError> for ApiError {
    fn from(e: ProtocolError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            ErrorCode::UnknownRoom
            | ErrorCode::UnknownAnnotation
            | ErrorCode::UnknownInvite
            | ErrorCode::UnknownRecording => StatusCode::NOT_FOUND,
            ErrorCode::InvalidValue | ErrorCode::MalformedMessage => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized
            | ErrorCode::InvalidToken
            | ErrorCode::TokenExpired
            | ErrorCode::InviteRevoked => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::WrongRoom => StatusCode::FORBIDDEN,
            ErrorCode::LimitReached => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = json!({ "code": self.0.code, "message": self.0.message });
        (status, Json(body)).into_response()
    }
}

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The credential of an `Authorization: Bearer <credential>` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub fn parse_room(room: &str) -> Result<RoomId, ApiError> {
    if !is_valid_room_name(room) {
        return Err(ApiError(ProtocolError::new(
            ErrorCode::InvalidValue,
            "room names are 1-64 letters, digits, '-' or '_'",
        )));
    }
    Ok(RoomId::new(room))
}

/// `GET /api/rooms/{room}`: participants and annotations, for a token of the room whose role
/// may read it, or for the admin key.
pub async fn room(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
) -> Result<Json<RoomSnapshot>, ApiError> {
    let room = parse_room(&room)?;
    authorize_room(&state, &headers, &room, Action::ReadRoom)?;
    Ok(Json(state.rooms.snapshot(&room)?))
}

/// Lets in the admin key, or a token for `room` whose role may do `action`.
fn authorize_room(
    state: &AppState,
    headers: &HeaderMap,
    room: &RoomId,
    action: Action,
) -> Result<(), ProtocolError> {
    let Some(credential) = bearer(headers) else {
        return Err(ProtocolError::new(
            ErrorCode::Unauthorized,
            "this call needs an access token or the admin key: Authorization: Bearer <token>",
        ));
    };
    if state.auth.check_admin(Some(credential)).is_ok() {
        return Ok(());
    }
    let claims = state.auth.verify(credential, room)?;
    state.rooms.check_invite(room, &claims)?;
    if !claims.role.may(action) {
        return Err(ProtocolError::new(
            ErrorCode::Forbidden,
            format!("a {} may not {action}", claims.role),
        ));
    }
    Ok(())
}

/// `GET /metrics`: Prometheus text format, for the admin key or the metrics token (it names
/// rooms, participants and their traffic).
pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    state.auth.check_metrics(bearer(&headers))?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(&state.rooms, &state.relay_metrics),
    ))
}
