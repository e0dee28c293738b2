//! The WebSocket transport of a signaling [`Session`].

use crate::rooms::Outbox;
use crate::session::Session;
use crate::state::AppState;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use spotter_protocol::{ErrorCode, ProtocolError, ServerMessage};
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

pub async fn upgrade(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    ws.max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| serve(socket, state))
}

async fn serve(socket: WebSocket, state: AppState) {
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut outgoing) = Outbox::new(OUTBOX_CAPACITY);
    let writer = tokio::spawn(async move {
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
                break;
            }
        }
    });
    let mut session = Session::new(state, outbox.clone());
    loop {
        let message = tokio::select! {
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
    writer.abort();
}
