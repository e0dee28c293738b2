//! Rooms: who is in them, and their annotation state. Every operation is a short critical
//! section over plain data; messages to participants go out through their bounded queues.

mod annotations;

pub use annotations::{AnnotationState, Pending};

use spotter_protocol::{
    Annotation, AnnotationId, AnnotationRequest, ErrorCode, Participant, ParticipantId,
    ProtocolError, ResolveRequest, Role, RoomId, RoomSnapshot, ServerMessage,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// The queue of messages to one participant's connection.
pub type Outbox = mpsc::Sender<ServerMessage>;

struct Member {
    info: Participant,
    outbox: Outbox,
}

#[derive(Default)]
struct Room {
    members: Vec<Member>,
    annotations: AnnotationState,
}

impl Room {
    fn snapshot(&self, room: &RoomId) -> RoomSnapshot {
        RoomSnapshot {
            room: room.clone(),
            participants: self.members.iter().map(|m| m.info.clone()).collect(),
            annotations: self.annotations.snapshot(),
            version: self.annotations.version(),
        }
    }

    fn broadcast(&self, message: &ServerMessage) {
        for member in &self.members {
            deliver(&member.outbox, message.clone());
        }
    }

    fn send_to(&self, id: &ParticipantId, message: ServerMessage) {
        if let Some(member) = self.members.iter().find(|m| &m.info.id == id) {
            deliver(&member.outbox, message);
        }
    }

    fn technician(&self) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.info.role == Role::Technician)
    }
}

/// A message to a participant whose queue is full is dropped and logged: a stalled client
/// must not stall the room. Its connection closes when it stops reading.
fn deliver(outbox: &Outbox, message: ServerMessage) {
    if let Err(e) = outbox.try_send(message) {
        tracing::warn!("dropping a message to a participant: {e}");
    }
}

/// Every room on this node.
#[derive(Clone, Default)]
pub struct RoomRegistry {
    rooms: Arc<Mutex<HashMap<RoomId, Room>>>,
}

fn unknown_room(room: &RoomId) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::UnknownRoom,
        format!("room {room:?} does not exist on this server"),
    )
}

impl RoomRegistry {
    /// Creates `room` with `annotations` if it does not exist yet.
    pub fn ensure_room(&self, room: RoomId, annotations: Vec<Annotation>) {
        self.rooms
            .lock()
            .unwrap()
            .entry(room)
            .or_insert_with(|| Room {
                members: Vec::new(),
                annotations: AnnotationState::from_annotations(annotations),
            });
    }

    pub fn snapshot(&self, room: &RoomId) -> Result<RoomSnapshot, ProtocolError> {
        let rooms = self.rooms.lock().unwrap();
        let r = rooms.get(room).ok_or_else(|| unknown_room(room))?;
        Ok(r.snapshot(room))
    }

    /// Adds a participant; the others hear of it. Returns the room as the newcomer sees it.
    pub fn join(
        &self,
        room: &RoomId,
        info: Participant,
        outbox: Outbox,
    ) -> Result<RoomSnapshot, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(|| unknown_room(room))?;
        if info.role == Role::Technician && r.technician().is_some() {
            return Err(ProtocolError::new(
                ErrorCode::TechnicianPresent,
                format!("room {room} already has a technician"),
            ));
        }
        r.broadcast(&ServerMessage::ParticipantJoined {
            participant: info.clone(),
        });
        r.members.push(Member { info, outbox });
        Ok(r.snapshot(room))
    }

    /// Removes a participant. When the technician leaves, requests waiting for its headset fail.
    pub fn leave(&self, room: &RoomId, id: &ParticipantId) {
        let mut rooms = self.rooms.lock().unwrap();
        let Some(r) = rooms.get_mut(room) else { return };
        let Some(index) = r.members.iter().position(|m| &m.info.id == id) else {
            return;
        };
        let member = r.members.remove(index);
        if member.info.role == Role::Technician {
            for (annotation_id, pending) in r.annotations.take_all_pending() {
                let message = failure(
                    ErrorCode::NoTechnician,
                    "the headset left before placing the annotation".into(),
                    annotation_id,
                    &pending,
                );
                r.send_to(&pending.author, message);
            }
        }
        r.broadcast(&ServerMessage::ParticipantLeft {
            participant_id: id.clone(),
        });
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
        let r = rooms.get_mut(room).ok_or_else(|| unknown_room(room))?;
        let technician_outbox = r.technician().map(|t| t.outbox.clone()).ok_or_else(|| {
            ProtocolError::new(
                ErrorCode::NoTechnician,
                "no headset is in the room to place the annotation",
            )
        })?;
        let annotation_id = r.annotations.request(Pending {
            author: author.clone(),
            client_ref,
            request: request.clone(),
        });
        deliver(
            &technician_outbox,
            ServerMessage::ResolveRequest(ResolveRequest {
                annotation_id: annotation_id.clone(),
                author: author.clone(),
                request,
            }),
        );
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
        let r = rooms.get_mut(room).ok_or_else(|| unknown_room(room))?;
        let annotation = r.annotations.resolve(annotation)?;
        r.broadcast(&ServerMessage::AnnotationAdded {
            annotation: annotation.clone(),
        });
        Ok(annotation)
    }

    /// The headset could not resolve a request (or did not answer): tell its author.
    pub fn fail_annotation(
        &self,
        room: &RoomId,
        annotation_id: &AnnotationId,
        code: ErrorCode,
        message: String,
    ) {
        let mut rooms = self.rooms.lock().unwrap();
        let Some(r) = rooms.get_mut(room) else { return };
        if let Some(pending) = r.annotations.fail(annotation_id) {
            let message = failure(code, message, annotation_id.clone(), &pending);
            r.send_to(&pending.author, message);
        }
    }

    pub fn delete_annotation(
        &self,
        room: &RoomId,
        by: &ParticipantId,
        annotation_id: &AnnotationId,
    ) -> Result<(), ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(|| unknown_room(room))?;
        r.annotations.delete(annotation_id)?;
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
