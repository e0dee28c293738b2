//! Rooms: who is in them, and their state. Every change is journaled ([`JournalEvent`]) and
//! applied by the one fold of `state.rs`; every operation is a short critical section over
//! plain data; messages to participants go out through their bounded queues.

mod annotations;
mod invites;
mod journal;
mod recording;
mod revocation;
mod state;

pub use annotations::{AnnotationState, MAX_ANNOTATIONS, Pending};
pub use invites::{Invites, fresh_epoch};
pub use journal::unix_now_ms;
pub use state::RoomState;

use crate::auth::{Claims, Issued, unix_now};
use crate::config::LimitsConfig;
use crate::store::{Persister, StoredRoom};

use crate::rate::RateLimit;
use crate::recording::RecorderHook;
use spotter_protocol::{
    Annotation, AnnotationId, AnnotationRequest, EquipmentInfo, ErrorCode, Participant,
    ParticipantId, ProtocolError, ResolveRequest, Role, RoomChange, RoomId, RoomSnapshot,
    ServerMessage,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};

/// How long a reply may wait for room in a participant's queue.
const REPLY_WAIT: Duration = Duration::from_secs(5);

/// The bounded queue of messages to one participant's connection.
#[derive(Clone)]
pub struct Outbox {
    queue: mpsc::Sender<ServerMessage>,
    overflowed: Arc<Notify>,
    close_requested: Arc<Notify>,
}

impl Outbox {
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<ServerMessage>) {
        let (queue, receiver) = mpsc::channel(capacity);
        let outbox = Self {
            queue,
            overflowed: Arc::new(Notify::new()),
            close_requested: Arc::new(Notify::new()),
        };
        (outbox, receiver)
    }

    /// Queues a message without waiting. A participant whose queue is full has stopped
    /// reading: its connection is closed (see [`Outbox::overflowed`]) so that it reconnects
    /// and starts again from a fresh snapshot, instead of going on with messages missing.
    pub fn deliver(&self, message: ServerMessage) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.queue.try_send(message) {
            tracing::warn!("a participant's queue is full; closing its connection");
            self.overflowed.notify_one();
        }
    }

    /// Queues a message, waiting a little for room in the queue (a reply to the participant's
    /// own request: it waits for the participant, no one else). A participant that does not
    /// make room in that time has stopped reading: its connection is closed, as in
    /// [`Outbox::deliver`], rather than held open, waiting, for good.
    pub async fn send(&self, message: ServerMessage) {
        match tokio::time::timeout(REPLY_WAIT, self.queue.send(message)).await {
            Ok(_) => {}
            Err(_) => {
                tracing::warn!("a participant stopped reading its replies; closing its connection");
                self.overflowed.notify_one();
            }
        }
    }

    /// Completes once a message could not be queued.
    pub async fn overflowed(&self) {
        self.overflowed.notified().await
    }

    /// Asks the connection to close once the messages already queued (the reason it is being
    /// closed, say) have been sent: the participant was removed by the server.
    pub fn close(&self) {
        self.close_requested.notify_one();
    }

    /// Completes once [`Outbox::close`] was called (also if it was called before this).
    pub async fn close_requested(&self) {
        self.close_requested.notified().await
    }
}

/// A participant's connection. Who they are (name, role, mute) is in the room's state.
struct Member {
    id: ParticipantId,
    /// Who the access token was issued to (the invite id for an invite): a rejoin may replace
    /// only its own participant, and revoking the invite removes the participant.
    subject: String,
    /// The secret a rejoin presents to replace this member.
    resume_key: String,
    outbox: Outbox,
    /// The marks this member may still place now.
    marks: RateLimit,
}

struct Room {
    id: RoomId,
    members: Vec<Member>,
    /// The room's journal folded: participants, annotations, equipment, recording.
    state: RoomState,
    /// Where journal events go, in the order they are made (under the room's lock).
    persister: Persister,
    /// Where recordings' starts and stops go, in the same order.
    recorder: RecorderHook,
    /// `[recording] auto`: the room records while its headset is in.
    auto_record: bool,
    /// The marks the room may still send its headset now, everyone's together.
    marks: RateLimit,
    invites: Invites,
}

impl Room {
    fn new(id: RoomId, state: RoomState, invites: Invites, registry: &RoomRegistry) -> Self {
        let limits = &registry.limits;
        Self {
            id,
            members: Vec::new(),
            state,
            persister: registry.persister.clone(),
            recorder: registry.recorder.clone(),
            auto_record: registry.auto_record,
            marks: RateLimit::new(limits.room_marks_per_second, limits.room_mark_burst),
            invites,
        }
    }

    /// Takes a mark from the author's allowance and the room's, or says which is spent. A mark
    /// refused by the room costs its author nothing.
    fn take_mark(
        &mut self,
        author: &ParticipantId,
        limits: &LimitsConfig,
    ) -> Result<(), ProtocolError> {
        let now = Instant::now();
        let member = self
            .members
            .iter_mut()
            .find(|m| &m.id == author)
            .ok_or_else(|| ProtocolError::new(ErrorCode::NotJoined, "not in this room"))?;
        if member.marks.wait(now) > Duration::ZERO {
            return Err(ProtocolError::new(
                ErrorCode::LimitReached,
                format!(
                    "too many marks: at most {} a second each; wait a moment",
                    limits.marks_per_second
                ),
            ));
        }
        if !self.marks.allow(now) {
            return Err(ProtocolError::new(
                ErrorCode::LimitReached,
                format!(
                    "the room's headset is placing {} marks a second, the most it takes; try again in a moment",
                    limits.room_marks_per_second
                ),
            ));
        }
        member.marks.allow(now);
        Ok(())
    }

    fn snapshot(&self) -> RoomSnapshot {
        RoomSnapshot {
            room: self.id.clone(),
            participants: self.state.participants.clone(),
            annotations: self.state.annotations.snapshot(),
            equipment: self.state.equipment.clone(),
            recording: self.state.recording.clone(),
            version: self.state.annotations.version(),
        }
    }

    fn broadcast(&self, message: &ServerMessage) {
        for member in &self.members {
            member.outbox.deliver(message.clone());
        }
    }

    fn send_to(&self, id: &ParticipantId, message: ServerMessage) {
        if let Some(member) = self.members.iter().find(|m| &m.id == id) {
            member.outbox.deliver(message);
        }
    }

    /// Removes the member at `index` and tells the others; a technician's pending requests fail.
    fn remove_member(&mut self, index: usize) -> Member {
        let member = self.members.remove(index);
        let was_technician = self
            .state
            .participant(&member.id)
            .is_some_and(|p| p.role == Role::Technician);
        self.record(RoomChange::Left {
            participant_id: member.id.clone(),
        });
        if was_technician {
            self.fail_all_pending("the headset left before placing the annotation");
            self.stop_auto_recording();
        }
        self.broadcast(&ServerMessage::ParticipantLeft {
            participant_id: member.id.clone(),
        });
        member
    }

    /// Fails every mark waiting for the headset, telling each author why.
    fn fail_all_pending(&mut self, why: &str) {
        for (annotation_id, _) in self.state.annotations.pending() {
            self.fail(&annotation_id, ErrorCode::NoTechnician, why.to_owned());
        }
    }

    /// Fails one pending mark and tells its author; `false` when it was not pending.
    fn fail(&mut self, annotation_id: &AnnotationId, code: ErrorCode, message: String) -> bool {
        let Some((change, pending)) = self.state.annotations.fail(annotation_id, code) else {
            return false;
        };
        self.record(change);
        let message = failure(code, message, annotation_id.clone(), &pending);
        self.send_to(&pending.author, message);
        true
    }

    fn technician(&self) -> Option<&Member> {
        let technician = self
            .state
            .participants
            .iter()
            .find(|p| p.role == Role::Technician)?;
        self.members.iter().find(|m| m.id == technician.id)
    }
}

/// What a node holds, by kind.
pub struct Counts {
    pub rooms: u64,
    pub participants: Vec<(Role, u64)>,
    pub annotations: u64,
}

/// Every room on this node.
#[derive(Clone)]
pub struct RoomRegistry {
    rooms: Arc<Mutex<HashMap<RoomId, Room>>>,
    limits: LimitsConfig,
    /// Changes are queued to storage under the room lock, so they are stored in the order
    /// everyone sees them.
    persister: Persister,
    /// Where recordings' starts and stops go, also under the room lock.
    recorder: RecorderHook,
    /// `[recording] auto`: a room starts recording when its headset joins.
    auto_record: bool,
}

fn unknown_room() -> ProtocolError {
    ProtocolError::new(
        ErrorCode::UnknownRoom,
        "this room does not exist on this server",
    )
}

impl RoomRegistry {
    pub fn new(persister: Persister, limits: LimitsConfig) -> Self {
        Self {
            rooms: Arc::default(),
            limits,
            persister,
            recorder: RecorderHook::default(),
            auto_record: false,
        }
    }

    /// Tells `recorder` of every recording started and stopped; with `auto_record`, every
    /// room records while its headset is in.
    pub fn with_recorder(mut self, recorder: RecorderHook, auto_record: bool) -> Self {
        self.recorder = recorder;
        self.auto_record = auto_record;
        self
    }

    /// Creates `room` as stored if it does not exist yet: its journal folded, and closed
    /// where the last run left it open (nobody is in a room when the server starts).
    pub fn ensure_room(&self, room: RoomId, mut stored: StoredRoom) -> Result<(), ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        if rooms.contains_key(&room) {
            return Ok(());
        }
        if rooms.len() >= self.limits.rooms {
            return Err(self.too_many_rooms());
        }
        let invites = std::mem::take(&mut stored.invites);
        let invites = Invites::from_stored(stored.invite_epoch, invites, unix_now());
        let mut r = Room::new(
            room.clone(),
            RoomState::fold(&stored.journal),
            invites,
            self,
        );
        r.upgrade_legacy(&stored);
        r.close_last_run();
        rooms.insert(room, r);
        Ok(())
    }

    /// Creates an empty room with a fresh invite epoch, stored; `false` when it already exists.
    pub fn create_room(&self, room: &RoomId) -> Result<bool, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        if rooms.contains_key(room) {
            return Ok(false);
        }
        if rooms.len() >= self.limits.rooms {
            return Err(self.too_many_rooms());
        }
        let invites = Invites::fresh();
        self.persister.create_room(room, invites.epoch());
        let r = Room::new(room.clone(), RoomState::default(), invites, self);
        rooms.insert(room.clone(), r);
        Ok(true)
    }

    /// An invite for `room`, signed by `sign` with the room's invite epoch and remembered (so
    /// that it can be revoked), both under the room's lock: an invite issued while every
    /// invite of the room is being revoked is either revoked too or of the new epoch.
    pub fn issue_invite(
        &self,
        room: &RoomId,
        sign: impl FnOnce(u64) -> anyhow::Result<Issued>,
    ) -> Result<Issued, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        let issued = sign(r.invites.epoch()).map_err(|e| {
            tracing::error!(%room, "signing an invite failed: {e:#}");
            ProtocolError::new(ErrorCode::Internal, "the invite could not be signed")
        })?;
        let change = r
            .invites
            .record(&issued.claims.sub, issued.claims.exp, unix_now());
        self.persister.save_invite(
            room,
            &issued.claims.sub,
            change.invite,
            change.forget_before,
        );
        Ok(issued)
    }

    /// `invite_revoked` when the invite of these claims was revoked (`unknown_room` when the
    /// room is gone).
    pub fn check_invite(&self, room: &RoomId, claims: &Claims) -> Result<(), ProtocolError> {
        let rooms = self.rooms.lock().unwrap();
        rooms
            .get(room)
            .ok_or_else(unknown_room)?
            .invites
            .check(claims)
    }

    fn too_many_rooms(&self) -> ProtocolError {
        ProtocolError::new(
            ErrorCode::LimitReached,
            format!("this node holds at most {} rooms", self.limits.rooms),
        )
    }

    /// How much this node holds, for metrics.
    pub fn counts(&self) -> Counts {
        let rooms = self.rooms.lock().unwrap();
        let mut counts = Counts {
            rooms: rooms.len() as u64,
            participants: Role::ALL.iter().map(|r| (*r, 0)).collect(),
            annotations: 0,
        };
        for room in rooms.values() {
            counts.annotations += room.state.annotations.live() as u64;
            for participant in &room.state.participants {
                if let Some(entry) = counts
                    .participants
                    .iter_mut()
                    .find(|(r, _)| *r == participant.role)
                {
                    entry.1 += 1;
                }
            }
        }
        counts
    }

    /// Tells every participant of every room that the server is shutting down.
    pub fn announce_closing(&self, message: &str) {
        let closing = ServerMessage::Closing {
            message: message.to_owned(),
        };
        for room in self.rooms.lock().unwrap().values() {
            room.broadcast(&closing);
        }
    }

    /// The headset's equipment list: kept for the room and sent to everyone.
    pub fn set_equipment(
        &self,
        room: &RoomId,
        items: Vec<EquipmentInfo>,
    ) -> Result<(), ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        r.record(RoomChange::Equipment {
            items: items.clone(),
        });
        r.broadcast(&ServerMessage::EquipmentUpdated { items });
        Ok(())
    }

    /// `unknown_room` unless this node holds `room`.
    pub fn check_exists(&self, room: &RoomId) -> Result<(), ProtocolError> {
        if self.rooms.lock().unwrap().contains_key(room) {
            Ok(())
        } else {
            Err(unknown_room())
        }
    }

    pub fn snapshot(&self, room: &RoomId) -> Result<RoomSnapshot, ProtocolError> {
        let rooms = self.rooms.lock().unwrap();
        let r = rooms.get(room).ok_or_else(unknown_room)?;
        Ok(r.snapshot())
    }

    /// Adds a participant: it gets `joined` with the room as it is now, the others hear of it.
    /// Both happen under the lock, so no change can reach the newcomer before its snapshot.
    /// `resume` is the resume key of the participant this client was before it lost its
    /// connection: if the room still holds it under the same invite, it is replaced (its old
    /// connection is told so) and its id returned, so the caller can drop its media.
    pub fn join(
        &self,
        room: &RoomId,
        info: Participant,
        invite: &Claims,
        outbox: Outbox,
        resume: Option<&str>,
    ) -> Result<Option<ParticipantId>, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        // Checked under the lock, so a revocation either refuses this join or finds the
        // participant in the room and removes it.
        r.invites.check(invite)?;
        let subject = invite.sub.as_str();
        let replaced = resume
            .and_then(|key| {
                r.members
                    .iter()
                    .position(|m| m.resume_key == key && m.subject == subject)
            })
            .map(|index| {
                let old = r.remove_member(index);
                old.outbox.deliver(ServerMessage::Closing {
                    message: "this participant joined again on a new connection".into(),
                });
                old.id
            });
        if r.members.len() >= self.limits.participants_per_room {
            return Err(ProtocolError::new(
                ErrorCode::LimitReached,
                format!(
                    "room {room} is full: at most {} participants",
                    self.limits.participants_per_room
                ),
            ));
        }
        if info.role == Role::Technician && r.technician().is_some() {
            return Err(ProtocolError::new(
                ErrorCode::TechnicianPresent,
                format!("room {room} already has a technician"),
            ));
        }
        r.record(RoomChange::Joined {
            participant: info.clone(),
        });
        r.broadcast(&ServerMessage::ParticipantJoined {
            participant: info.clone(),
        });
        let resume_key = format!("{:032x}", rand::random::<u128>());
        r.members.push(Member {
            id: info.id.clone(),
            subject: subject.to_owned(),
            resume_key: resume_key.clone(),
            outbox: outbox.clone(),
            marks: RateLimit::new(self.limits.marks_per_second, self.limits.mark_burst),
        });
        outbox.deliver(ServerMessage::Joined {
            participant_id: info.id,
            role: info.role,
            snapshot: r.snapshot(),
            resume_key,
        });
        if info.role == Role::Technician {
            r.start_auto_recording();
        }
        Ok(replaced)
    }

    /// Records that a participant muted or unmuted, and tells everyone.
    pub fn set_muted(
        &self,
        room: &RoomId,
        id: &ParticipantId,
        muted: bool,
    ) -> Result<(), ProtocolError> {
        self.update_participant(
            room,
            id,
            |p| p.muted != muted,
            || RoomChange::Muted {
                participant_id: id.clone(),
                muted,
            },
        )
    }

    /// Records that the technician went away (the headset off) or came back, and tells everyone.
    pub fn set_away(
        &self,
        room: &RoomId,
        id: &ParticipantId,
        away: bool,
    ) -> Result<(), ProtocolError> {
        self.update_participant(
            room,
            id,
            |p| p.away != away,
            || RoomChange::Away {
                participant_id: id.clone(),
                away,
            },
        )
    }

    /// Records `change` when `changes` says it changes participant `id`, and tells everyone
    /// the participant as it is then.
    fn update_participant(
        &self,
        room: &RoomId,
        id: &ParticipantId,
        changes: impl FnOnce(&Participant) -> bool,
        change: impl FnOnce() -> RoomChange,
    ) -> Result<(), ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        let participant = r
            .state
            .participant(id)
            .ok_or_else(|| ProtocolError::new(ErrorCode::NotJoined, "not in this room"))?;
        if changes(participant) {
            r.record(change());
            if let Some(participant) = r.state.participant(id).cloned() {
                r.broadcast(&ServerMessage::ParticipantUpdated { participant });
            }
        }
        Ok(())
    }

    /// Removes a participant. When the technician leaves, requests waiting for its headset fail.
    pub fn leave(&self, room: &RoomId, id: &ParticipantId) {
        let mut rooms = self.rooms.lock().unwrap();
        let Some(r) = rooms.get_mut(room) else { return };
        if let Some(index) = r.members.iter().position(|m| &m.id == id) {
            r.remove_member(index);
        }
    }

    /// An expert's mark: sent to the headset for resolution.
    pub fn request_annotation(
        &self,
        room: &RoomId,
        author: &ParticipantId,
        client_ref: u32,
        request: AnnotationRequest,
    ) -> Result<AnnotationId, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        let technician_outbox = r.technician().map(|t| t.outbox.clone()).ok_or_else(|| {
            ProtocolError::new(
                ErrorCode::NoTechnician,
                "no headset is in the room to place the annotation",
            )
        })?;
        let (annotation_id, change) =
            r.state
                .annotations
                .request(author, client_ref, request.clone())?;
        r.take_mark(author, &self.limits)?;
        r.record(change);
        technician_outbox.deliver(ServerMessage::ResolveRequest(ResolveRequest {
            annotation_id: annotation_id.clone(),
            author: author.clone(),
            request,
        }));
        r.send_to(
            author,
            ServerMessage::AnnotationAccepted {
                client_ref,
                annotation_id: annotation_id.clone(),
            },
        );
        Ok(annotation_id)
    }

    /// The headset's resolution: stored, then sent to everyone.
    pub fn resolve_annotation(
        &self,
        room: &RoomId,
        annotation: Annotation,
    ) -> Result<Annotation, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        let (annotation, change) = r.state.annotations.resolve(annotation)?;
        r.record(change);
        r.broadcast(&ServerMessage::AnnotationAdded {
            annotation: annotation.clone(),
        });
        Ok(annotation)
    }

    /// The headset could not resolve a request (or did not answer): tell its author. Returns
    /// whether the request was still pending.
    pub fn fail_annotation(
        &self,
        room: &RoomId,
        annotation_id: &AnnotationId,
        code: ErrorCode,
        message: String,
    ) -> bool {
        let mut rooms = self.rooms.lock().unwrap();
        rooms
            .get_mut(room)
            .is_some_and(|r| r.fail(annotation_id, code, message))
    }

    pub fn delete_annotation(
        &self,
        room: &RoomId,
        by: &ParticipantId,
        annotation_id: &AnnotationId,
    ) -> Result<(), ProtocolError> {
        self.change_live_mark(
            room,
            |marks| marks.delete(annotation_id, by),
            || ServerMessage::AnnotationDeleted {
                annotation_id: annotation_id.clone(),
                by: by.clone(),
            },
        )
    }

    /// The technician acknowledged a mark: journaled, and everyone is told.
    pub fn acknowledge_annotation(
        &self,
        room: &RoomId,
        by: &ParticipantId,
        annotation_id: &AnnotationId,
    ) -> Result<(), ProtocolError> {
        self.change_live_mark(
            room,
            |marks| marks.acknowledge(annotation_id, by),
            || ServerMessage::AnnotationAcknowledged {
                annotation_id: annotation_id.clone(),
                by: by.clone(),
            },
        )
    }

    /// Journals the change `checked` makes of a live mark and tells everyone `message`.
    fn change_live_mark(
        &self,
        room: &RoomId,
        checked: impl FnOnce(&AnnotationState) -> Result<RoomChange, ProtocolError>,
        message: impl FnOnce() -> ServerMessage,
    ) -> Result<(), ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        let change = checked(&r.state.annotations)?;
        r.record(change);
        r.broadcast(&message());
        Ok(())
    }
}

fn failure(
    code: ErrorCode,
    message: String,
    annotation_id: AnnotationId,
    pending: &Pending,
) -> ServerMessage {
    ServerMessage::Error {
        code,
        message,
        client_ref: Some(pending.client_ref),
        annotation_id: Some(annotation_id),
    }
}

#[cfg(test)]
mod journal_tests;
