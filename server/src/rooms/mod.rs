//! Rooms: who is in them, and their annotation state. Every operation is a short critical
//! section over plain data; messages to participants go out through their bounded queues.

mod annotations;
mod invites;
mod revocation;

pub use annotations::{AnnotationState, MAX_ANNOTATIONS, Pending};
pub use invites::fresh_epoch;

use crate::auth::{Claims, Issued, unix_now};
use crate::config::LimitsConfig;
use crate::store::{Persister, StoredRoom};
use invites::Invites;

use crate::rate::RateLimit;
use spotter_protocol::{
    Annotation, AnnotationId, AnnotationRequest, EquipmentInfo, ErrorCode, Participant,
    ParticipantId, ProtocolError, ResolveRequest, Role, RoomId, RoomSnapshot, ServerMessage,
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

struct Member {
    info: Participant,
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
    members: Vec<Member>,
    annotations: AnnotationState,
    /// What the headset reported; kept when it leaves, replaced when one reports again.
    equipment: Vec<EquipmentInfo>,
    /// The marks the room may still send its headset now, everyone's together.
    marks: RateLimit,
    invites: Invites,
}

impl Room {
    fn new(annotations: AnnotationState, invites: Invites, limits: &LimitsConfig) -> Self {
        Self {
            members: Vec::new(),
            annotations,
            equipment: Vec::new(),
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
            .find(|m| &m.info.id == author)
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

    fn snapshot(&self, room: &RoomId) -> RoomSnapshot {
        RoomSnapshot {
            room: room.clone(),
            participants: self.members.iter().map(|m| m.info.clone()).collect(),
            annotations: self.annotations.snapshot(),
            equipment: self.equipment.clone(),
            version: self.annotations.version(),
        }
    }

    fn broadcast(&self, message: &ServerMessage) {
        for member in &self.members {
            member.outbox.deliver(message.clone());
        }
    }

    fn send_to(&self, id: &ParticipantId, message: ServerMessage) {
        if let Some(member) = self.members.iter().find(|m| &m.info.id == id) {
            member.outbox.deliver(message);
        }
    }

    /// Removes the member at `index` and tells the others; a technician's pending requests fail.
    fn remove_member(&mut self, index: usize) -> Member {
        let member = self.members.remove(index);
        if member.info.role == Role::Technician {
            for (annotation_id, pending) in self.annotations.take_all_pending() {
                let message = failure(
                    ErrorCode::NoTechnician,
                    "the headset left before placing the annotation".into(),
                    annotation_id,
                    &pending,
                );
                self.send_to(&pending.author, message);
            }
        }
        self.broadcast(&ServerMessage::ParticipantLeft {
            participant_id: member.info.id.clone(),
        });
        member
    }

    fn technician(&self) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.info.role == Role::Technician)
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
        }
    }

    /// Creates `room` as stored if it does not exist yet.
    pub fn ensure_room(&self, room: RoomId, mut stored: StoredRoom) -> Result<(), ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        if !rooms.contains_key(&room) && rooms.len() >= self.limits.rooms {
            return Err(self.too_many_rooms());
        }
        let invites = std::mem::take(&mut stored.invites);
        let invites = Invites::from_stored(stored.invite_epoch, invites, unix_now());
        rooms.entry(room).or_insert_with(|| {
            Room::new(AnnotationState::from_stored(stored), invites, &self.limits)
        });
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
        rooms.insert(
            room.clone(),
            Room::new(AnnotationState::default(), invites, &self.limits),
        );
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
            counts.annotations += room.annotations.live() as u64;
            for member in &room.members {
                if let Some(entry) = counts
                    .participants
                    .iter_mut()
                    .find(|(r, _)| *r == member.info.role)
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
        r.equipment = items.clone();
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
        Ok(r.snapshot(room))
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
                old.info.id
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
        r.broadcast(&ServerMessage::ParticipantJoined {
            participant: info.clone(),
        });
        let resume_key = format!("{:032x}", rand::random::<u128>());
        r.members.push(Member {
            info: info.clone(),
            subject: subject.to_owned(),
            resume_key: resume_key.clone(),
            outbox: outbox.clone(),
            marks: RateLimit::new(self.limits.marks_per_second, self.limits.mark_burst),
        });
        outbox.deliver(ServerMessage::Joined {
            participant_id: info.id,
            role: info.role,
            snapshot: r.snapshot(room),
            resume_key,
        });
        Ok(replaced)
    }

    /// Records that a participant muted or unmuted, and tells everyone.
    pub fn set_muted(
        &self,
        room: &RoomId,
        id: &ParticipantId,
        muted: bool,
    ) -> Result<(), ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        let member = r
            .members
            .iter_mut()
            .find(|m| &m.info.id == id)
            .ok_or_else(|| ProtocolError::new(ErrorCode::NotJoined, "not in this room"))?;
        if member.info.muted != muted {
            member.info.muted = muted;
            let participant = member.info.clone();
            r.broadcast(&ServerMessage::ParticipantUpdated { participant });
        }
        Ok(())
    }

    /// Removes a participant. When the technician leaves, requests waiting for its headset fail.
    pub fn leave(&self, room: &RoomId, id: &ParticipantId) {
        let mut rooms = self.rooms.lock().unwrap();
        let Some(r) = rooms.get_mut(room) else { return };
        if let Some(index) = r.members.iter().position(|m| &m.info.id == id) {
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
        r.take_mark(author, &self.limits)?;
        let annotation_id = r.annotations.request(Pending {
            author: author.clone(),
            client_ref,
            request: request.clone(),
        })?;
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
        let entry = r.annotations.resolve(annotation)?.clone();
        let annotation = entry.annotation.clone();
        let (version, last_id) = (r.annotations.version(), r.annotations.last_id());
        self.persister.save(room, entry, version, last_id);
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
        let Some(r) = rooms.get_mut(room) else {
            return false;
        };
        let Some(pending) = r.annotations.fail(annotation_id) else {
            return false;
        };
        let message = failure(code, message, annotation_id.clone(), &pending);
        r.send_to(&pending.author, message);
        true
    }

    pub fn delete_annotation(
        &self,
        room: &RoomId,
        by: &ParticipantId,
        annotation_id: &AnnotationId,
    ) -> Result<(), ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        let tombstone = r.annotations.delete(annotation_id)?.clone();
        let (version, last_id) = (r.annotations.version(), r.annotations.last_id());
        self.persister.save(room, tombstone, version, last_id);
        r.broadcast(&ServerMessage::AnnotationDeleted {
            annotation_id: annotation_id.clone(),
            by: by.clone(),
        });
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
