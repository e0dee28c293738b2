//! One recording of the library: `GET /api/recordings/{id}` (the catalog entry and the
//! events), `GET /api/recordings/{id}/files/{name}` (video, voices, frame records; byte
//! ranges, for the player), its exports, bookmarks and deletion. For the admin key, or a
//! token whose role may replay, for the recordings of the rooms it opens
//! (`recording/access.rs`). The list is `recordings_list.rs`.

use super::api::{ApiError, bearer};
use crate::recording::RecordingLibrary;
use crate::recording::access::{Access, Caller, RecordingsToken, RoomScope};
use crate::recording::writer::VIDEO_FILE;
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use spotter_protocol::{Action, Bookmark, ErrorCode, ProtocolError, RecordingInfo, Role};

/// What the credential of the request opens: the admin key every room's recordings, a
/// library invite its rooms', a trainer's room invite its room's.
pub(super) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<Access, ProtocolError> {
    let Some(credential) = bearer(headers) else {
        return Err(ProtocolError::new(
            ErrorCode::Unauthorized,
            "this call needs a trainer's access token or the admin key: Authorization: Bearer <token>",
        ));
    };
    if state.auth.check_admin(Some(credential)).is_ok() {
        return Ok(Access {
            rooms: RoomScope::All,
            caller: Caller::Admin,
        });
    }
    match state.auth.decode::<RecordingsToken>(credential)? {
        RecordingsToken::Library(claims) => {
            state.library_invites.check(&claims)?;
            person(claims.library, claims.role, claims.name, claims.sub)
        }
        RecordingsToken::Room(claims) => {
            state.rooms.check_invite(&claims.room, &claims)?;
            let rooms = RoomScope::one(claims.room);
            person(rooms, claims.role, claims.name, claims.sub)
        }
    }
}

/// A person's access to `rooms`, if their role may replay.
fn person(
    rooms: RoomScope,
    role: Role,
    name: Option<String>,
    subject: String,
) -> Result<Access, ProtocolError> {
    if !role.may(Action::Replay) {
        return Err(ProtocolError::new(
            ErrorCode::Forbidden,
            format!("a {role} may not {}", Action::Replay),
        ));
    }
    Ok(Access {
        rooms,
        caller: Caller::Person(name.unwrap_or(subject)),
    })
}

pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (_, info) = open(&state, &headers, &id)?;
    let events = state.recordings.events(&info.recording_id)?;
    let bookmarks = state.recordings.bookmarks(&info.recording_id)?;
    let duration_ms = RecordingLibrary::duration_ms(&info);
    let scanned = info.clone();
    // What of each media file plays: the player fetches only that much.
    let (video, voices) = blocking(&state.recordings, move |l| {
        let video = l.media_status(&scanned, VIDEO_FILE)?;
        let voices = (scanned.voices.iter())
            .map(|v| l.media_status(&scanned, &v.file))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((video, voices))
    })
    .await?;
    Ok(Json(json!({
        "recording": info,
        "duration_ms": duration_ms,
        "video": video,
        "voices": voices,
        "events": events,
        "bookmarks": bookmarks,
    })))
}

/// The recording `id`, if the credential opens it.
fn open(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<(Access, RecordingInfo), ProtocolError> {
    let access = authorize(state, headers)?;
    let info = state.recordings.get(id)?;
    access.rooms.check(&info.room)?;
    Ok((access, info))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBookmark {
    media_time_ms: u64,
    note: String,
}

/// `POST /api/recordings/{id}/bookmarks`: a trainer's chapter mark, with a note.
pub async fn add_bookmark(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<NewBookmark>, axum::extract::rejection::JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Bookmark>), ApiError> {
    let (access, info) = open(&state, &headers, &id)?;
    let Json(new) = body.map_err(super::admin::bad_body)?;
    let by = access.caller.to_string();
    let bookmark = blocking(&state.recordings, move |l| {
        l.add_bookmark(&info, new.media_time_ms, &new.note, by)
    })
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(bookmark)))
}

/// `DELETE /api/recordings/{id}`: the admin key, or a trainer's token where
/// `[recording] trainers_may_delete` allows it. Media and events go; the audit log keeps the
/// deletion.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (access, info) = open(&state, &headers, &id)?;
    let by = match access.caller {
        Caller::Admin => access.caller.to_string(),
        Caller::Person(_) if state.trainers_may_delete => access.caller.to_string(),
        Caller::Person(_) => {
            return Err(ApiError(ProtocolError::new(
                ErrorCode::Forbidden,
                "deleting recordings takes the admin key here ([recording] trainers_may_delete is off)",
            )));
        }
    };
    let deleted = info.recording_id.clone();
    blocking(&state.recordings, move |l| l.delete(&info, &by)).await?;
    Ok(Json(json!({ "deleted": deleted })))
}

/// `GET /api/admin/audit`: what was deleted, by whom, when (the admin key).
pub async fn audit(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.auth.check_admin(bearer(&headers))?;
    Ok(Json(json!({ "audit": state.recordings.audit_log()? })))
}

/// Runs a blocking library call (a database read or write, a file read) off the async
/// workers.
pub(super) async fn blocking<T: Send + 'static>(
    library: &RecordingLibrary,
    call: impl FnOnce(&RecordingLibrary) -> Result<T, ProtocolError> + Send + 'static,
) -> Result<T, ProtocolError> {
    let library = library.clone();
    tokio::task::spawn_blocking(move || call(&library))
        .await
        .map_err(|_| ProtocolError::new(ErrorCode::Internal, "the server stopped the request"))?
}

/// `GET /api/recordings/{id}/chapters.vtt`: the bookmarks as WebVTT chapters.
pub async fn chapters(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, info) = open(&state, &headers, &id)?;
    let bookmarks = state.recordings.bookmarks(&info.recording_id)?;
    let duration = RecordingLibrary::duration_ms(&info).unwrap_or(0);
    let vtt = crate::recording::chapters::webvtt(&bookmarks, duration);
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/vtt; charset=utf-8")],
        vtt,
    )
        .into_response())
}

/// `GET /api/recordings/{id}/export.json`: the sidecar of the exported MP4: the recording,
/// its events, its bookmarks and every frame record (pose and intrinsics by RTP timestamp).
pub async fn sidecar(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (_, info) = open(&state, &headers, &id)?;
    let events = state.recordings.events(&info.recording_id)?;
    let bookmarks = state.recordings.bookmarks(&info.recording_id)?;
    let read = info.clone();
    let (frames, damaged) = blocking(&state.recordings, move |l| l.frame_records(&read)).await?;
    Ok(Json(json!({
        "recording": info,
        "duration_ms": RecordingLibrary::duration_ms(&info),
        "events": events,
        "bookmarks": bookmarks,
        "frames": frames,
        "damaged_frame_records": damaged,
    })))
}

pub async fn file(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    let (_, info) = open(&state, request.headers(), &id)?;
    let path = state.recordings.file(&info, &name)?;
    serve_file(path, &info, &name, request).await
}

/// `GET /api/recordings/{id}/export.mp4`: one MP4 of the video and every voice, as recorded
/// (remuxed, never transcoded), for ffmpeg, VLC or a video editor.
pub async fn export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let (_, info) = open(&state, request.headers(), &id)?;
    let exported = info.clone();
    let path = blocking(&state.recordings, move |l| l.export(&exported)).await?;
    let mut response = serve_file(path, &info, "export.mp4", request).await?;
    let attachment = format!(
        "attachment; filename=\"spotter-{}-{}.mp4\"",
        info.room, info.recording_id
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&attachment) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

async fn serve_file(
    path: std::path::PathBuf,
    info: &RecordingInfo,
    name: &str,
    request: Request,
) -> Result<Response, ApiError> {
    let mut serve = tower_http::services::ServeFile::new(path);
    match serve.try_call(request).await {
        Ok(response) => Ok(response.map(Body::new).into_response()),
        Err(e) => {
            tracing::error!(recording = %info.recording_id, file = name, "serving a recording's file failed: {e}");
            Err(ApiError(ProtocolError::new(
                ErrorCode::Internal,
                "the recording's file could not be read",
            )))
        }
    }
}
