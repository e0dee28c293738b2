//! REST endpoints. Errors use the same codes as signaling: `{"code": ..., "message": ...}`.

use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use spotter_protocol::{ErrorCode, ProtocolError, RoomId, RoomSnapshot, is_valid_room_name};

pub struct ApiError(ProtocolError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            ErrorCode::UnknownRoom | ErrorCode::UnknownAnnotation => StatusCode::NOT_FOUND,
            ErrorCode::InvalidValue | ErrorCode::MalformedMessage => StatusCode::BAD_REQUEST,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = json!({ "code": self.0.code, "message": self.0.message });
        (status, Json(body)).into_response()
    }
}

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /api/rooms/{room}`: participants and annotations.
pub async fn room(
    State(state): State<AppState>,
    Path(room): Path<String>,
) -> Result<Json<RoomSnapshot>, ApiError> {
    if !is_valid_room_name(&room) {
        return Err(ApiError(ProtocolError::new(
            ErrorCode::InvalidValue,
            "room names are 1-64 letters, digits, '-' or '_'",
        )));
    }
    state
        .rooms
        .snapshot(&RoomId::new(room))
        .map(Json)
        .map_err(ApiError)
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(&state.rooms, &state.relay_metrics),
    )
}
