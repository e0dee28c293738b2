//! The WebSocket transport of a signaling [`Session`].

use crate::session::Session;
use crate::state::AppState;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use spotter_protocol::{ErrorCode, ProtocolError, ServerMessage};
use tokio::sync::mpsc;

/// Frames above this close the connection; between [`spotter_protocol::MAX_MESSAGE_BYTES`] and
/// this, the client gets a `message_too_large` error and the connection stays open.
const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Messages queued for a participant before newer ones are dropped.
const OUTBOX_CAPACITY: usize = 256;

pub async fn upgrade(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    ws.max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| serve(socket, state))
}

async fn serve(socket: WebSocket, state: AppState) {
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut outgoing) = mpsc::channel::<ServerMessage>(OUTBOX_CAPACITY);
    let writer = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            if sink
                .send(Message::Text(message.to_json().into()))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    let mut session = Session::new(state, outbox);
    while let Some(Ok(message)) = stream.next().await {
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
