//! The HTTP surface: REST API, WebSocket signaling and the web client's files.

mod admin;
mod api;
mod ws;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

pub fn app(state: AppState, web_dir: &Path) -> Router {
    let web = ServeDir::new(web_dir).fallback(ServeFile::new(web_dir.join("index.html")));
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/api/rooms/{room}", get(api::room))
        .route("/api/admin/rooms", post(admin::create_room))
        .route(
            "/api/admin/rooms/{room}/invites",
            post(admin::create_invite),
        )
        .route("/metrics", get(api::metrics))
        .route("/ws", get(ws::upgrade))
        .fallback_service(web)
        .with_state(state)
}
