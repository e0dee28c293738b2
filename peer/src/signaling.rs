//! The WebSocket signaling connection.

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use spotter_protocol::{
    ClientMessage, ErrorCode, ParticipantId, Role, RoomId, RoomSnapshot, ServerMessage,
};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// A connected signaling socket: send with [`Signaling::send`], receive with
/// [`Signaling::recv`]. A background task owns the socket.
pub struct Signaling {
    out: mpsc::UnboundedSender<Message>,
    incoming: mpsc::UnboundedReceiver<ServerMessage>,
}

/// The server refused a join; `code` says why (the error is an `anyhow` one, downcast to this).
#[derive(Debug, thiserror::Error)]
#[error("join refused: {code}: {message}")]
pub struct JoinRefused {
    pub code: ErrorCode,
    pub message: String,
}

/// What the server answered to a join.
#[derive(Debug, Clone)]
pub struct Joined {
    pub participant_id: ParticipantId,
    /// The role the token gave.
    pub role: Role,
    /// What to send in `join.resume` after a lost connection.
    pub resume_key: String,
    pub snapshot: RoomSnapshot,
}

impl Signaling {
    /// Connects to `ws_url` (e.g. `ws://127.0.0.1:8080/ws`).
    pub async fn connect(ws_url: &str) -> anyhow::Result<Self> {
        let (socket, _) = tokio_tungstenite::connect_async(ws_url)
            .await
            .with_context(|| format!("connecting to {ws_url}"))?;
        let (mut sink, mut stream) = socket.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let (in_tx, incoming) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = out_rx.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                match serde_json::from_str::<ServerMessage>(text.as_str()) {
                    Ok(message) => {
                        if in_tx.send(message).is_err() {
                            break;
                        }
                    }
                    Err(e) => tracing::warn!("unreadable server message: {e}"),
                }
            }
        });
        Ok(Self { out, incoming })
    }

    pub fn send(&self, message: &ClientMessage) -> anyhow::Result<()> {
        let json = serde_json::to_string(message)?;
        self.send_raw(Message::Text(json.into()))
    }

    /// Sends any frame, malformed ones included (for tests).
    pub fn send_raw(&self, message: Message) -> anyhow::Result<()> {
        self.out
            .send(message)
            .map_err(|_| anyhow::anyhow!("the signaling connection is closed"))
    }

    /// The next message, or `None` once the connection closed.
    pub async fn recv(&mut self) -> Option<ServerMessage> {
        self.incoming.recv().await
    }

    /// The next message within `timeout`.
    pub async fn recv_timeout(&mut self, timeout: Duration) -> anyhow::Result<ServerMessage> {
        tokio::time::timeout(timeout, self.recv())
            .await
            .context("no message from the server in time")?
            .context("the server closed the connection")
    }

    /// Joins `room` with an access token (which says the role); fails with the server's error
    /// if it refuses.
    pub async fn join(&mut self, room: &str, token: &str, name: &str) -> anyhow::Result<Joined> {
        self.join_again(room, token, name, None).await
    }

    /// Joins `room`, replacing the participant this client was before its connection was lost
    /// (`resume`: that join's `resume_key`; see [`ClientMessage::Join`]).
    pub async fn join_again(
        &mut self,
        room: &str,
        token: &str,
        name: &str,
        resume: Option<String>,
    ) -> anyhow::Result<Joined> {
        self.send(&ClientMessage::Join {
            room: RoomId::new(room),
            token: token.to_owned(),
            name: name.to_owned(),
            resume,
        })?;
        match self.recv_timeout(Duration::from_secs(10)).await? {
            ServerMessage::Joined {
                participant_id,
                role,
                snapshot,
                resume_key,
            } => Ok(Joined {
                participant_id,
                role,
                snapshot,
                resume_key,
            }),
            ServerMessage::Error { code, message, .. } => Err(JoinRefused { code, message }.into()),
            other => bail!("unexpected answer to join: {other:?}"),
        }
    }

    /// Sends an offer and waits for the answer, passing on any other message to `other`.
    pub async fn exchange_offer(
        &mut self,
        offer: String,
        mut other: impl FnMut(ServerMessage),
    ) -> anyhow::Result<String> {
        self.send(&ClientMessage::Offer { sdp: offer })?;
        loop {
            match self.recv_timeout(Duration::from_secs(10)).await? {
                ServerMessage::Answer { sdp } => return Ok(sdp),
                ServerMessage::Error { code, message, .. } => {
                    bail!("offer refused: {code}: {message}")
                }
                message => other(message),
            }
        }
    }
}
