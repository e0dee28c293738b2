//! `GET /api/recordings?room=&equipment=&from=&to=&limit=`: the library's listings, newest
//! first, with how many matched. A trainer's token lists its room's; the admin key every
//! room's, or `room`'s.

use super::api::{ApiError, parse_room};
use super::recordings::{authorize, blocking};
use crate::recording::query::{LibraryQuery, MAX_LIMIT};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use spotter_protocol::{EquipmentId, ErrorCode, ProtocolError, RecordingList, is_valid_id};

/// The query as sent: every value is checked by [`parse`], so each bad one gets its own
/// sentence.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    room: Option<String>,
    equipment: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
}

fn invalid(why: impl Into<String>) -> ProtocolError {
    ProtocolError::new(ErrorCode::InvalidValue, why)
}

fn parse(query: ListQuery) -> Result<LibraryQuery, ApiError> {
    let epoch_ms = |name: &str, value: Option<String>| {
        value
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    invalid(format!(
                        "{name} must be milliseconds since the Unix epoch (a whole number, such as 1767225600000)"
                    ))
                })
            })
            .transpose()
    };
    let from_ms = epoch_ms("from", query.from)?;
    let to_ms = epoch_ms("to", query.to)?;
    if let (Some(from), Some(to)) = (from_ms, to_ms)
        && from >= to
    {
        return Err(invalid(
            "from must be before to: the list takes recordings started at or after from and before to",
        )
        .into());
    }
    let equipment = query
        .equipment
        .map(|id| match is_valid_id(&id) {
            true => Ok(EquipmentId::new(id)),
            false => Err(invalid(
                "equipment ids are 1-64 letters, digits, '-' or '_'",
            )),
        })
        .transpose()?;
    let limit = match query.limit {
        None => LibraryQuery::default().limit,
        Some(limit) => limit
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                invalid(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}"
                ))
            })?,
    };
    Ok(LibraryQuery {
        room: query.room.as_deref().map(parse_room).transpose()?,
        equipment,
        from_ms,
        to_ms,
        limit,
        ..LibraryQuery::default()
    })
}

pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<RecordingList>, ApiError> {
    let access = authorize(&state, &headers)?;
    // Serde's text would name the fields it expected; this sentence does, in plain words.
    let Query(query) = query.map_err(|_| {
        invalid("the list takes the query parameters room, equipment, from, to and limit, each at most once")
    })?;
    let mut query = parse(query)?;
    if let Some(room) = &query.room {
        access.rooms.check(room)?;
    }
    query.within = access.rooms;
    // Thousands of listings are read and parsed: off the async workers.
    let list = blocking(&state.recordings, move |l| l.list(&query)).await?;
    Ok(Json(list))
}
