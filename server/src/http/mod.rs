//! The HTTP surface: REST API, WebSocket signaling and the web client's files.

mod admin;
mod admin_revoke;
mod api;
mod credential_throttle;
mod serve;
mod web;
mod ws;

pub use credential_throttle::FailedAttempts;
pub use serve::serve;

use crate::state::AppState;
use axum::Router;
use axum::middleware;
use axum::routing::{delete, get, post};
use std::path::Path;

pub fn app(state: AppState, web_dir: &Path) -> Router {
    // The calls that take a credential, where refused ones are counted per address.
    let guarded = Router::new()
        .route("/api/rooms/{room}", get(api::room))
        .route("/api/admin/rooms", post(admin::create_room))
        .route(
            "/api/admin/rooms/{room}/invites",
            post(admin::create_invite),
        )
        .route("/api/admin/rooms/{room}", delete(admin_revoke::delete_room))
        .route(
            "/api/admin/rooms/{room}/invites",
            delete(admin_revoke::revoke_all_invites),
        )
        .route(
            "/api/admin/rooms/{room}/invites/{invite_id}",
            delete(admin_revoke::revoke_invite),
        )
        .route("/metrics", get(api::metrics))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            credential_throttle::guard,
        ));
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/ws", get(ws::upgrade))
        .merge(guarded)
        .fallback_service(web::service(web_dir))
        .with_state(state)
}
