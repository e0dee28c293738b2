//! What the wearer's status lights say of the room: whether the headset is in it, and how many
//! others are (experts and observers), kept from the join snapshot and the joined/left messages.

use spotter_protocol::{ParticipantId, RoomSnapshot, ServerMessage};
use std::collections::HashSet;

/// What the lights show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomStatus {
    /// In the room (joined, and not since lost).
    pub joined: bool,
    /// The others in the room.
    pub others: usize,
}

/// The others in the room, as the headset hears of them.
#[derive(Debug, Default)]
pub struct RoomPeople {
    me: Option<ParticipantId>,
    others: HashSet<ParticipantId>,
}

impl RoomPeople {
    pub fn new(me: &ParticipantId, snapshot: &RoomSnapshot) -> Self {
        Self {
            me: Some(me.clone()),
            others: snapshot
                .participants
                .iter()
                .map(|p| p.id.clone())
                .filter(|id| id != me)
                .collect(),
        }
    }

    /// Follows a message; true when the count changed.
    pub fn follow(&mut self, message: &ServerMessage) -> bool {
        match message {
            ServerMessage::ParticipantJoined { participant }
                if Some(&participant.id) != self.me.as_ref() =>
            {
                self.others.insert(participant.id.clone())
            }
            ServerMessage::ParticipantLeft { participant_id } => self.others.remove(participant_id),
            _ => false,
        }
    }

    pub fn status(&self) -> RoomStatus {
        RoomStatus {
            joined: true,
            others: self.others.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotter_protocol::{Participant, Role};

    fn person(id: &str, role: Role) -> Participant {
        Participant {
            id: id.into(),
            role,
            name: id.into(),
            muted: false,
            away: false,
        }
    }

    #[test]
    fn the_others_are_counted_from_the_snapshot_and_follow_joins_and_leaves() {
        let mut snapshot: RoomSnapshot = serde_json::from_value(serde_json::json!({
            "room": "demo", "participants": [], "annotations": [], "equipment": [],
            "recording": null, "version": 0
        }))
        .unwrap();
        snapshot.participants = vec![
            person("p-me", Role::Technician),
            person("p-ana", Role::Expert),
        ];
        let mut people = RoomPeople::new(&"p-me".into(), &snapshot);
        assert_eq!(
            people.status(),
            RoomStatus {
                joined: true,
                others: 1
            }
        );
        assert!(people.follow(&ServerMessage::ParticipantJoined {
            participant: person("p-olga", Role::Observer)
        }));
        assert!(
            !people.follow(&ServerMessage::ParticipantJoined {
                participant: person("p-me", Role::Technician)
            }),
            "not oneself"
        );
        assert_eq!(people.status().others, 2);
        assert!(people.follow(&ServerMessage::ParticipantLeft {
            participant_id: "p-ana".into()
        }));
        assert_eq!(people.status().others, 1);
    }
}
