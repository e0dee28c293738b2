//! The WebSocket transport of a signaling [`Session`].

use super::api::ApiError;
use crate::connection_caps::Slot;
use crate::rooms::Outbox;
use crate::session::Session;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use spotter_protocol::{ErrorCode, ProtocolError, ServerMessage};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

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
/// How long a connection the server closes may take to send its last messages.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if !state
        .origins
        .allows(&headers, uri.authority().map(|a| a.as_str()))
    {
        // Before a slot is taken, and closed after the answer: a refused page holds nothing.
        // Debug formatting quotes whatever a client sent.
        tracing::info!(origin = ?headers.get(header::ORIGIN), "refused a signaling socket to another site's page");
        let error = ApiError(ProtocolError::new(
            ErrorCode::Forbidden,
            "a page of another site may not open this server's signaling socket \
             (its operator can allow an origin with [http] allowed_origins)",
        ));
        return ([(header::CONNECTION, "close")], error).into_response();
    }
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
    let (sink, stream) = socket.split();
    let (outbox, outgoing) = Outbox::new(OUTBOX_CAPACITY);
    let (finish, finishing) = oneshot::channel();
    let mut writer = tokio::spawn(write(sink, outgoing, finishing));
    let join_timeout = Duration::from_secs(state.limits.join_timeout_seconds);
    let mut session = Session::new(state, outbox.clone());
    let ending = read(stream, &mut session, &outbox, join_timeout, peer).await;
    session.close().await;
    if ending == Ending::ClosedByServer {
        // The server removed this participant, or it never joined: the messages saying why go
        // out before the socket closes, unless the client stopped reading.
        let _ = finish.send(());
        if tokio::time::timeout(FLUSH_TIMEOUT, &mut writer)
            .await
            .is_ok()
        {
            return;
        }
    }
    writer.abort();
}

#[derive(Debug, PartialEq)]
enum Ending {
    /// The client closed, went silent, or its messages could not be queued.
    Ended,
    /// The server closes the connection: it asked to ([`Outbox::close`]), or the client did
    /// not join in time.
    ClosedByServer,
}

/// Hands the client's messages to `session` until the connection ends.
async fn read(
    mut stream: SplitStream<WebSocket>,
    session: &mut Session,
    outbox: &Outbox,
    join_timeout: Duration,
    peer: SocketAddr,
) -> Ending {
    let join_deadline = tokio::time::Instant::now() + join_timeout;
    loop {
        let message = tokio::select! {
            // A participant the server removed sends nothing more, even with messages waiting.
            biased;
            _ = outbox.close_requested() => return Ending::ClosedByServer,
            _ = outbox.overflowed() => return Ending::Ended,
            // A connection that never joins holds a socket and memory for nothing.
            _ = tokio::time::sleep_until(join_deadline), if !session.is_joined() => {
                tracing::info!(from = %peer, "a connection did not join within {join_timeout:?}; closing");
                session
                    .send(ServerMessage::error(ProtocolError::new(
                        ErrorCode::NotJoined,
                        format!("no join within {} s; closing the connection", join_timeout.as_secs()),
                    )))
                    .await;
                return Ending::ClosedByServer;
            }
            next = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => match next {
                Ok(Some(Ok(message))) => message,
                Ok(_) => return Ending::Ended,
                Err(_) => {
                    tracing::info!("no sign of life from a participant for {IDLE_TIMEOUT:?}; closing");
                    return Ending::Ended;
                }
            },
        };
        match message {
            Message::Text(text) => session.handle_text(text.as_str()).await,
            Message::Binary(_) => session.refuse_binary().await,
            Message::Close(_) => return Ending::Ended,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

/// Sends the queued messages and the pings; once told to `finish`, sends what is still queued
/// and closes the socket.
async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    mut outgoing: mpsc::Receiver<ServerMessage>,
    mut finish: oneshot::Receiver<()>,
) {
    let mut ping = tokio::time::interval(PING_INTERVAL);
    loop {
        let frame = tokio::select! {
            message = outgoing.recv() => match message {
                Some(message) => text(&message),
                None => return,
            },
            _ = ping.tick() => Message::Ping(Default::default()),
            _ = &mut finish => break,
        };
        if sink.send(frame).await.is_err() {
            return;
        }
    }
    outgoing.close();
    while let Some(message) = outgoing.recv().await {
        if sink.send(text(&message)).await.is_err() {
            return;
        }
    }
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code: close_code::NORMAL,
            reason: "closed by the server".into(),
        })))
        .await;
}

fn text(message: &ServerMessage) -> Message {
    Message::Text(message.to_json().into())
}
