//! Revoking invites and deleting rooms. Whoever is in the room on a revoked invite is removed
//! at once: an invite is revoked because it leaked, and the person using it now is the one it
//! leaked to. Each returns the participants removed, whose media the caller drops.

use super::{Member, Room, RoomRegistry, unknown_room};
use crate::auth::unix_now;
use spotter_protocol::{ParticipantId, ProtocolError, RoomId, ServerMessage};

impl RoomRegistry {
    /// Revokes one invite of `room` and removes whoever is in the room on it.
    pub fn revoke_invite(
        &self,
        room: &RoomId,
        invite_id: &str,
    ) -> Result<Vec<ParticipantId>, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        let change = r.invites.revoke(invite_id, unix_now())?;
        self.persister
            .save_invite(room, invite_id, change.invite, change.forget_before);
        Ok(r.expel(|m| m.subject == invite_id, &revoked_notice()))
    }

    /// Revokes every invite of `room` issued so far and removes everyone in it: they all
    /// joined on one. Invites issued afterwards work.
    pub fn revoke_all_invites(&self, room: &RoomId) -> Result<Vec<ParticipantId>, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        let epoch = r.invites.revoke_all();
        self.persister.replace_invite_epoch(room, epoch);
        Ok(r.expel(|_| true, &revoked_notice()))
    }

    /// Deletes `room` with its annotations and invites; everyone in it is told and
    /// disconnected. A room created again under the name has a new invite epoch, so the old
    /// invites stay refused.
    pub fn delete_room(&self, room: &RoomId) -> Result<Vec<ParticipantId>, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.remove(room).ok_or_else(unknown_room)?;
        self.persister.delete_room(room);
        let closing = ServerMessage::Closing {
            message: format!("room {room} was deleted by an administrator"),
        };
        Ok(r.members
            .into_iter()
            .map(|member| member.close_with(closing.clone()))
            .collect())
    }
}

impl Room {
    /// Removes the members `expelled` picks, each told with `notice` and its connection
    /// closed; the others see them leave.
    fn expel(
        &mut self,
        expelled: impl Fn(&Member) -> bool,
        notice: &ServerMessage,
    ) -> Vec<ParticipantId> {
        let mut removed = Vec::new();
        while let Some(index) = self.members.iter().position(&expelled) {
            let member = self.remove_member(index);
            removed.push(member.close_with(notice.clone()));
        }
        removed
    }
}

impl Member {
    /// Sends `notice` as the connection's last message, then closes it.
    fn close_with(self, notice: ServerMessage) -> ParticipantId {
        self.outbox.deliver(notice);
        self.outbox.close();
        self.id
    }
}

fn revoked_notice() -> ServerMessage {
    ServerMessage::error(super::invites::revoked())
}
