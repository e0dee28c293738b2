//! The words of the wearer's status panel: the connection, who else is in the room, the
//! microphone, and the recording — the lights beside it say the same at a glance.

use crate::recording::RecordingIndicator;
use crate::room_status::RoomStatus;

/// At most this many names; the rest are counted ("and 2 more"), so the panel stays small.
const NAMES_SHOWN: usize = 3;

/// The panel's lines, top to bottom.
pub fn status_lines(room: &RoomStatus, muted: bool, recording: &RecordingIndicator) -> Vec<String> {
    let mut lines = Vec::new();
    if !room.in_room() {
        lines.push("Not in the room: connecting".to_owned());
    } else if room.others.is_empty() {
        lines.push("In the room, nobody else here".to_owned());
    } else {
        lines.push("In the room with".to_owned());
        let mut names: Vec<String> = room
            .others
            .iter()
            .take(NAMES_SHOWN)
            .map(|p| format!("{} ({})", p.name, p.role))
            .collect();
        let more = room.others.len().saturating_sub(NAMES_SHOWN);
        if more > 0 {
            names.push(format!("and {more} more"));
        }
        lines.extend(names.into_iter().map(|n| format!("  {n}")));
    }
    if muted {
        lines.push("Microphone muted".to_owned());
    }
    if recording.recording {
        lines.push(match &recording.started_by {
            None => "REC: recorded by the server".to_owned(),
            Some(id) => match room.who(id) {
                Some(who) => format!("REC: started by {who}"),
                None => "REC: recording".to_owned(),
            },
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room_status::Person;
    use spotter_protocol::Role;

    fn person(id: &str, name: &str, role: Role) -> Person {
        Person {
            id: id.into(),
            name: name.into(),
            role,
        }
    }

    fn in_room(others: Vec<Person>) -> RoomStatus {
        RoomStatus {
            me: Some("p-me".into()),
            others,
        }
    }

    #[test]
    fn the_panel_names_who_is_there_and_says_mute_and_who_records() {
        let room = in_room(vec![
            person("p-ana", "Ana", Role::Expert),
            person("p-olga", "Olga", Role::Observer),
        ]);
        let recording = RecordingIndicator {
            recording: true,
            started_by: Some("p-ana".into()),
        };
        assert_eq!(
            status_lines(&room, true, &recording),
            [
                "In the room with",
                "  Ana (expert)",
                "  Olga (observer)",
                "Microphone muted",
                "REC: started by Ana"
            ]
        );
        let own = RecordingIndicator {
            recording: true,
            started_by: Some("p-me".into()),
        };
        assert_eq!(
            status_lines(&room, false, &own).last().unwrap(),
            "REC: started by you"
        );
        let auto = RecordingIndicator {
            recording: true,
            started_by: None,
        };
        assert_eq!(
            status_lines(&room, false, &auto).last().unwrap(),
            "REC: recorded by the server"
        );
    }

    #[test]
    fn alone_out_of_the_room_and_a_crowd_each_read_plainly() {
        let off = RecordingIndicator::default();
        assert_eq!(
            status_lines(&in_room(vec![]), false, &off),
            ["In the room, nobody else here"]
        );
        assert_eq!(
            status_lines(&RoomStatus::default(), true, &off),
            ["Not in the room: connecting", "Microphone muted"]
        );
        let crowd: Vec<Person> = (0..5)
            .map(|i| person(&format!("p-{i}"), &format!("Expert {i}"), Role::Expert))
            .collect();
        let lines = status_lines(&in_room(crowd), false, &off);
        assert_eq!(lines.len(), 1 + NAMES_SHOWN + 1, "{lines:?}");
        assert_eq!(lines.last().unwrap(), "  and 2 more");
    }
}
