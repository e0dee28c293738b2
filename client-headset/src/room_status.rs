//! What the wearer's status panel says of the room: whether the headset is in it, and who else
//! is (experts and observers, by name), kept by the session from the join snapshot and the
//! joined/left messages.

use spotter_protocol::{ParticipantId, Role, RoomSnapshot, ServerMessage};

/// Someone else in the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: ParticipantId,
    pub name: String,
    pub role: Role,
}

/// What the panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoomStatus {
    /// The headset's own participant id while in the room (joined, and not since lost).
    pub me: Option<ParticipantId>,
    /// The others in the room, in the order they came.
    pub others: Vec<Person>,
}

impl RoomStatus {
    /// In the room as `me`, with the others the join snapshot lists.
    pub fn joined(me: &ParticipantId, snapshot: &RoomSnapshot) -> Self {
        let mut status = Self {
            me: Some(me.clone()),
            others: Vec::new(),
        };
        for p in &snapshot.participants {
            status.add(p);
        }
        status
    }

    pub fn in_room(&self) -> bool {
        self.me.is_some()
    }

    fn add(&mut self, p: &spotter_protocol::Participant) -> bool {
        if Some(&p.id) == self.me.as_ref() || self.others.iter().any(|o| o.id == p.id) {
            return false;
        }
        self.others.push(Person {
            id: p.id.clone(),
            name: p.name.clone(),
            role: p.role,
        });
        true
    }

    /// Follows a message; true when who is in the room changed.
    pub fn follow(&mut self, message: &ServerMessage) -> bool {
        match message {
            ServerMessage::ParticipantJoined { participant } => self.add(participant),
            ServerMessage::ParticipantLeft { participant_id } => {
                let before = self.others.len();
                self.others.retain(|p| &p.id != participant_id);
                self.others.len() != before
            }
            _ => false,
        }
    }

    /// Who `id` is, in words for the wearer: "you", a name, or None when not in the room.
    pub fn who(&self, id: &ParticipantId) -> Option<&str> {
        if self.me.as_ref() == Some(id) {
            return Some("you");
        }
        self.others
            .iter()
            .find(|p| &p.id == id)
            .map(|p| p.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotter_protocol::Participant;

    fn person(id: &str, name: &str, role: Role) -> Participant {
        Participant {
            id: id.into(),
            role,
            name: name.into(),
            muted: false,
            away: false,
        }
    }

    fn names(status: &RoomStatus) -> Vec<&str> {
        status.others.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn the_others_are_named_from_the_snapshot_and_follow_joins_and_leaves() {
        let mut snapshot: RoomSnapshot = serde_json::from_value(serde_json::json!({
            "room": "demo", "participants": [], "annotations": [], "equipment": [],
            "recording": null, "version": 0
        }))
        .unwrap();
        snapshot.participants = vec![
            person("p-me", "Tech", Role::Technician),
            person("p-ana", "Ana", Role::Expert),
        ];
        let mut people = RoomStatus::joined(&"p-me".into(), &snapshot);
        assert!(people.in_room());
        assert!(!RoomStatus::default().in_room());
        assert_eq!(names(&people), ["Ana"]);
        assert!(people.follow(&ServerMessage::ParticipantJoined {
            participant: person("p-olga", "Olga", Role::Observer)
        }));
        assert!(
            !people.follow(&ServerMessage::ParticipantJoined {
                participant: person("p-me", "Tech", Role::Technician)
            }),
            "not oneself"
        );
        assert!(
            !people.follow(&ServerMessage::ParticipantJoined {
                participant: person("p-olga", "Olga", Role::Observer)
            }),
            "not twice"
        );
        assert_eq!(names(&people), ["Ana", "Olga"]);
        assert_eq!(people.others[1].role, Role::Observer);
        assert!(people.follow(&ServerMessage::ParticipantLeft {
            participant_id: "p-ana".into()
        }));
        assert!(!people.follow(&ServerMessage::ParticipantLeft {
            participant_id: "p-ana".into()
        }));
        assert_eq!(names(&people), ["Olga"]);
        assert_eq!(people.who(&"p-me".into()), Some("you"));
        assert_eq!(people.who(&"p-olga".into()), Some("Olga"));
        assert_eq!(people.who(&"p-ana".into()), None, "gone");
    }
}
