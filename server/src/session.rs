//! One participant's signaling session: the state machine behind a WebSocket, independent of
//! the socket so that it reads as the protocol does.

use crate::rate::RateLimit;
use crate::rooms::Outbox;
use crate::state::AppState;
use spotter_protocol::{
    Action, ClientMessage, ErrorCode, Participant, ParticipantId, ProtocolError, Role, RoomId,
    ServerMessage,
};
use std::time::Duration;

/// How long the headset has to resolve an annotation before its author is told it timed out.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

struct Joined {
    room: RoomId,
    participant: ParticipantId,
    role: Role,
}

pub struct Session {
    state: AppState,
    outbox: Outbox,
    joined: Option<Joined>,
    rate: RateLimit,
    /// Whether the client was told it is being throttled (told once per episode).
    throttled: bool,
}

/// An answer to a request of the server (a mark to place).
fn is_answer(message: &ClientMessage) -> bool {
    matches!(
        message,
        ClientMessage::Resolved { .. } | ClientMessage::ResolveFailed { .. }
    )
}

impl Session {
    pub fn new(state: AppState, outbox: Outbox) -> Self {
        let rate = RateLimit::new(state.limits.messages_per_second, state.limits.message_burst);
        Self {
            state,
            outbox,
            joined: None,
            rate,
            throttled: false,
        }
    }

    pub fn is_joined(&self) -> bool {
        self.joined.is_some()
    }

    /// Handles one text message; every failure is answered with a specific error and the
    /// session stays usable.
    pub async fn handle_text(&mut self, text: &str) {
        let parsed = ClientMessage::parse(text);
        // The headset's answers to the server's own requests are not its budget to spend:
        // each answers a mark the room's limits already let through, and throttling them
        // would fail experts' marks (see `is_answer`).
        let answer = parsed.as_ref().is_ok_and(is_answer);
        if !answer && !self.rate.allow(std::time::Instant::now()) {
            self.throttled().await;
            return;
        }
        if !answer {
            self.throttled = false;
        }
        let result = match parsed {
            Ok(message) => self.handle(message).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            // An answer to nothing pending is no answer: it costs what any message does.
            if answer && !self.rate.allow(std::time::Instant::now()) {
                self.throttled().await;
                return;
            }
            self.send(ServerMessage::error(e)).await;
        }
    }

    /// A binary message: refused, and counted against the rate like any message.
    pub async fn refuse_binary(&mut self) {
        if !self.rate.allow(std::time::Instant::now()) {
            self.throttled().await;
            return;
        }
        self.send(ServerMessage::error(ProtocolError::new(
            ErrorCode::MalformedMessage,
            "signaling messages are JSON text, not binary",
        )))
        .await;
    }

    /// A message was dropped for the rate: the client hears of it once per episode.
    async fn throttled(&mut self) {
        if !std::mem::replace(&mut self.throttled, true) {
            let limit = self.state.limits.messages_per_second;
            self.send(ServerMessage::error(ProtocolError::new(
                ErrorCode::LimitReached,
                format!(
                    "too many messages: at most {limit} a second; messages are dropped until the rate falls"
                ),
            )))
            .await;
        }
    }

    pub async fn send(&self, message: ServerMessage) {
        self.outbox.send(message).await;
    }

    /// The connection closed: leave the room and drop the media connection.
    pub async fn close(self) {
        if let Some(joined) = self.joined {
            tracing::info!(participant = %joined.participant, room = %joined.room, "left");
            self.state.rooms.leave(&joined.room, &joined.participant);
            self.state.sfu.disconnect(joined.participant).await;
        }
    }

    fn joined(&self, action: Option<Action>) -> Result<&Joined, ProtocolError> {
        let joined = self
            .joined
            .as_ref()
            .ok_or_else(|| ProtocolError::new(ErrorCode::NotJoined, "join a room first"))?;
        if let Some(action) = action
            && !joined.role.may(action)
        {
            return Err(ProtocolError::new(
                ErrorCode::Forbidden,
                format!("a {} may not {action}", joined.role),
            ));
        }
        Ok(joined)
    }

    async fn handle(&mut self, message: ClientMessage) -> Result<(), ProtocolError> {
        match message {
            ClientMessage::Join {
                room,
                token,
                name,
                resume,
            } => self.join(room, token, name, resume).await,
            ClientMessage::Offer { sdp } => {
                let joined = self.joined(None)?;
                let answer = self
                    .state
                    .sfu
                    .connect(
                        joined.participant.clone(),
                        joined.room.clone(),
                        joined.role,
                        sdp,
                    )
                    .await?;
                self.send(ServerMessage::Answer { sdp: answer }).await;
                Ok(())
            }
            ClientMessage::Annotate {
                client_ref,
                request,
            } => {
                let result = self.joined(Some(Action::Annotate)).and_then(|j| {
                    self.state
                        .rooms
                        .request_annotation(&j.room, &j.participant, client_ref, request)
                        .map(|id| (j.room.clone(), id))
                });
                match result {
                    Ok((room, id)) => {
                        let rooms = self.state.rooms.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(RESOLVE_TIMEOUT).await;
                            // Already answered by the headset: nothing to do.
                            let _ = rooms.fail_annotation(
                                &room,
                                &id,
                                ErrorCode::HeadsetTimeout,
                                "the headset did not place the annotation in time".into(),
                            );
                        });
                    }
                    Err(e) => {
                        self.send(ServerMessage::Error {
                            code: e.code,
                            message: e.message,
                            client_ref: Some(client_ref),
                            annotation_id: None,
                        })
                        .await
                    }
                }
                Ok(())
            }
            ClientMessage::DeleteAnnotation { annotation_id } => {
                let joined = self.joined(Some(Action::DeleteAnnotation))?;
                self.state.rooms.delete_annotation(
                    &joined.room,
                    &joined.participant,
                    &annotation_id,
                )
            }
            ClientMessage::Resolved { annotation } => {
                let joined = self.joined(Some(Action::ResolveAnnotation))?;
                self.state
                    .rooms
                    .resolve_annotation(&joined.room, annotation)
                    .map(drop)
            }
            ClientMessage::Equipment { items } => {
                let joined = self.joined(Some(Action::Publish))?;
                self.state.rooms.set_equipment(&joined.room, items)
            }
            ClientMessage::SetMuted { muted } => {
                let joined = self.joined(Some(Action::Talk))?;
                self.state
                    .rooms
                    .set_muted(&joined.room, &joined.participant, muted)
            }
            ClientMessage::AcknowledgeMark { annotation_id } => {
                let joined = self.joined(Some(Action::ResolveAnnotation))?;
                self.state.rooms.acknowledge_annotation(
                    &joined.room,
                    &joined.participant,
                    &annotation_id,
                )
            }
            ClientMessage::SetAway { away } => {
                let joined = self.joined(Some(Action::Publish))?;
                self.state
                    .rooms
                    .set_away(&joined.room, &joined.participant, away)
            }
            ClientMessage::StartRecording => {
                let joined = self.joined(Some(Action::Record))?;
                let recording = self
                    .state
                    .rooms
                    .start_recording(&joined.room, Some(&joined.participant))?;
                tracing::info!(room = %joined.room, participant = %joined.participant, recording = %recording.recording_id, "recording started");
                Ok(())
            }
            ClientMessage::StopRecording => {
                let joined = self.joined(Some(Action::Record))?;
                let recording = self.state.rooms.stop_recording(
                    &joined.room,
                    Some(&joined.participant),
                    None,
                )?;
                tracing::info!(room = %joined.room, participant = %joined.participant, %recording, "recording stopped");
                Ok(())
            }
            ClientMessage::ResolveFailed {
                annotation_id,
                code,
                message,
            } => {
                let joined = self.joined(Some(Action::ResolveAnnotation))?;
                if self
                    .state
                    .rooms
                    .fail_annotation(&joined.room, &annotation_id, code, message)
                {
                    Ok(())
                } else {
                    Err(ProtocolError::new(
                        ErrorCode::UnknownAnnotation,
                        format!("no pending annotation {annotation_id}"),
                    ))
                }
            }
        }
    }

    async fn join(
        &mut self,
        room: RoomId,
        token: String,
        name: String,
        resume: Option<String>,
    ) -> Result<(), ProtocolError> {
        if self.joined.is_some() {
            return Err(ProtocolError::new(
                ErrorCode::AlreadyJoined,
                "this connection already joined a room",
            ));
        }
        let claims = self.state.auth.verify(&token, &room)?;
        let role = claims.role;
        let participant = ParticipantId::new(format!("p-{:016x}", rand::random::<u64>()));
        let info = Participant {
            id: participant.clone(),
            role,
            // The name the invite was made out to, else the one the person typed.
            name: claims
                .name
                .clone()
                .unwrap_or_else(|| name.trim().to_owned()),
            muted: false,
            away: false,
        };
        let replaced =
            self.state
                .rooms
                .join(&room, info, &claims, self.outbox.clone(), resume.as_deref())?;
        if let Some(old) = replaced {
            tracing::info!(%participant, %old, %room, "rejoined after a lost connection; the old connection is replaced");
            self.state.sfu.disconnect(old).await;
        }
        tracing::info!(%participant, %room, %role, subject = %claims.sub, "joined");
        self.joined = Some(Joined {
            room,
            participant,
            role,
        });
        Ok(())
    }
}
