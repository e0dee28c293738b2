//! The WebSocket transport of a signaling [`Session`].

use super::api::ApiError;
use crate::connection_caps::Slot;
use crate::rooms::Outbox;
use crate::session::Session;
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use spotter_protocol::{ErrorCode, ProtocolError, ServerMessage};
use std::net::SocketAddr;
use std::time::Duration;

/// Frames above this close the connection; between [`spotter_protocol::MAX_MESSAGE_BYTES`] and
/// this, the client gets a `message_too_large` error and the connection stays open.
const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Messages queued for a participant; a participant this far behind is disconnected.
const OUTBOX_CAPACITY: usize = 256;
/// The server pings every connection this often...
const PING_INTERVAL: Duration = Duration::from_secs(10);
/// ...and closes one it has not heard from (a message or a pong) for this long: a headset
/// that lost power must not hold the room's technician place.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a closing connection's last messages may take to leave.
const FLUSH_TIME: Duration = Duration::from_secs(1);

pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    let slot = match state.websocket_caps.take(peer.ip()) {
        Ok(slot) => slot,
        Err(refusal) => {
            let error = ApiError(ProtocolError::new(
                ErrorCode::LimitReached,
                refusal.to_string(),
            ));
            // Closed after the answer, so that a refused client holds no connection either.
            return ([(header::CONNECTION, "close")], error).into_response();
        }
    };
    ws.max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| serve(socket, state, peer, slot))
}

/// Serves one signaling connection; `_slot` holds its place under the WebSocket caps.
async fn serve(socket: WebSocket, state: AppState, peer: SocketAddr, _slot: Slot) {
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut outgoing) = Outbox::new(OUTBOX_CAPACITY);
    let mut writer = tokio::spawn(async move {
        let mut ping = tokio::time::interval(PING_INTERVAL);
        loop {
            let frame = tokio::select! {
                message = outgoing.recv() => match message {
                    Some(message) => Message::Text(message.to_json().into()),
                    None => break,
                },
                _ = ping.tick() => Message::Ping(Default::default()),
            };
            if sink.send(frame).await.is_err() {
                return;
            }
        }
        let _ = sink.send(Message::Close(None)).await;
    });
    let join_timeout = Duration::from_secs(state.limits.join_timeout_seconds);
    let join_deadline = tokio::time::Instant::now() + join_timeout;
    let mut session = Session::new(state, outbox.clone());
    loop {
        let message = tokio::select! {
            // A connection that never joins holds a socket and memory for nothing.
            _ = tokio::time::sleep_until(join_deadline), if !session.is_joined() => {
                tracing::info!(from = %peer, "a connection did not join within {join_timeout:?}; closing");
                session
                    .send(ServerMessage::error(ProtocolError::new(
                        ErrorCode::NotJoined,
                        format!("no join within {} s; closing the connection", join_timeout.as_secs()),
                    )))
                    .await;
                break;
            }
            next = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => match next {
                Ok(Some(Ok(message))) => message,
                Ok(_) => break,
                Err(_) => {
                    tracing::info!("no sign of life from a participant for {IDLE_TIMEOUT:?}; closing");
                    break;
                }
            },
            _ = outbox.overflowed() => break,
        };
        match message {
            Message::Text(text) => session.handle_text(text.as_str()).await,
            Message::Binary(_) => {
                session
                    .send(ServerMessage::error(ProtocolError::new(
                        ErrorCode::MalformedMessage,
                        "signaling messages are JSON text, not binary",
                    )))
                    .await
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
    session.close().await;
    drop(outbox);
    // What was queued last (why the connection closes) goes out, unless the client stopped
    // reading.
    if tokio::time::timeout(FLUSH_TIME, &mut writer).await.is_err() {
        writer.abort();
    }
}
