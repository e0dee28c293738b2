//! The HTTP surface: REST API, WebSocket signaling and the web client's files.

mod admin;
mod admin_library;
mod admin_revoke;
mod api;
mod credential_throttle;
pub mod origin;
mod recordings;
mod recordings_list;
mod serve;
mod web;
mod ws;

pub use credential_throttle::FailedAttempts;
pub use serve::serve;

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::routing::{delete, get, post};
use std::path::Path;
use tower_http::set_header::SetResponseHeaderLayer;

/// Headers on every response, the API's too: no type sniffing (a JSON error quoting a
/// client's input is not HTML), no framing, and no `Referer` sent on from a page whose address
/// carried an invite token. The page's own headers are in [`web`].
const EVERY_RESPONSE: [(header::HeaderName, &str); 3] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
];

pub fn app(state: AppState, web_dir: &Path) -> Router {
    // The calls that take a credential, where refused ones are counted per address.
    let guarded = Router::new()
        .route("/api/rooms/{room}", get(api::room))
        .route("/api/recordings", get(recordings_list::list))
        .route(
            "/api/recordings/{id}",
            get(recordings::one).delete(recordings::delete),
        )
        .route("/api/admin/audit", get(recordings::audit))
        .route("/api/recordings/{id}/files/{name}", get(recordings::file))
        .route("/api/recordings/{id}/export.mp4", get(recordings::export))
        .route("/api/recordings/{id}/export.json", get(recordings::sidecar))
        .route(
            "/api/recordings/{id}/chapters.vtt",
            get(recordings::chapters),
        )
        .route(
            "/api/recordings/{id}/bookmarks",
            axum::routing::post(recordings::add_bookmark),
        )
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
        .route(
            "/api/admin/library-invites",
            post(admin_library::create).delete(admin_library::revoke_all),
        )
        .route(
            "/api/admin/library-invites/{invite_id}",
            delete(admin_library::revoke),
        )
        .route("/metrics", get(api::metrics))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            credential_throttle::guard,
        ));
    let app = Router::new()
        .route("/healthz", get(api::healthz))
        .route("/ws", get(ws::upgrade))
        .merge(guarded)
        .fallback_service(web::service(web_dir))
        .with_state(state);
    EVERY_RESPONSE.into_iter().fold(app, |app, (name, value)| {
        app.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ))
    })
}
