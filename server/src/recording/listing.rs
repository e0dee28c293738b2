//! A recording's line in the library, folded from its catalog entry and the events made while
//! it recorded: who was there, which equipment was marked, how many marks. Pure, so the store
//! folds it once when a recording is saved stopped, and the library refolds a running one.

use spotter_protocol::{
    EquipmentId, EquipmentInfo, JournalEvent, MarkedEquipment, Participant, RecordingInfo,
    RecordingListing, RecordingParticipant, RoomChange,
};
use std::collections::HashMap;

/// How long the recording's video runs, in ms: from its first keyframe to its stop, or to
/// `now_ms` while it records; absent before the first keyframe.
pub fn duration_ms(info: &RecordingInfo, now_ms: u64) -> Option<u64> {
    let media = info.media?;
    let end = info.stopped_at_ms.unwrap_or(now_ms);
    Some(end.saturating_sub(media.started_at_ms))
}

/// The listing of `info`, given the room's `events` made while it recorded, in order.
pub fn listing(info: &RecordingInfo, events: &[JournalEvent], now_ms: u64) -> RecordingListing {
    let mut fold = Fold::default();
    info.initial
        .participants
        .iter()
        .for_each(|p| fold.arrived(p));
    fold.named(&info.initial.equipment);
    for event in events {
        match &event.change {
            RoomChange::Joined { participant } => fold.arrived(participant),
            RoomChange::Equipment { items } => fold.named(items),
            RoomChange::MarkResolved { annotation } => {
                fold.marks_placed = fold.marks_placed.saturating_add(1);
                if let Some(id) = annotation.anchor.equipment_id()
                    && !fold.marked.contains(&id)
                {
                    fold.marked.push(id);
                }
            }
            _ => {}
        }
    }
    let Fold {
        participants,
        names,
        marked,
        marks_placed,
    } = fold;
    RecordingListing {
        recording_id: info.recording_id.clone(),
        room: info.room.clone(),
        started_at_ms: info.started_at_ms,
        stopped_at_ms: info.stopped_at_ms,
        started_by: info.started_by.clone(),
        duration_ms: duration_ms(info, now_ms),
        participants,
        marked_equipment: marked
            .into_iter()
            .map(|id| MarkedEquipment {
                id: id.clone(),
                name: names.get(id).map(|name| (*name).to_owned()),
            })
            .collect(),
        marks_placed,
    }
}

#[derive(Default)]
struct Fold<'a> {
    participants: Vec<RecordingParticipant>,
    names: HashMap<&'a EquipmentId, &'a str>,
    marked: Vec<&'a EquipmentId>,
    marks_placed: u32,
}

impl<'a> Fold<'a> {
    fn arrived(&mut self, p: &Participant) {
        // A participant who rejoined under the same id is listed once.
        if !self.participants.iter().any(|known| known.id == p.id) {
            self.participants.push(RecordingParticipant {
                id: p.id.clone(),
                name: p.name.clone(),
                role: p.role,
            });
        }
    }

    /// Names accumulate: a later list wins for an id, and an item the headset no longer
    /// reports keeps the name it had when it was marked. Blank names are no names.
    fn named(&mut self, items: &'a [EquipmentInfo]) {
        for item in items.iter().filter(|i| !i.name.trim().is_empty()) {
            self.names.insert(&item.id, item.name.trim());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Vec3;
    use spotter_protocol::{
        Anchor, Annotation, AnnotationKind, Pose, RecordedMedia, RecordingId, Role, RoomSnapshot,
    };

    fn person(id: &str, role: Role, name: &str) -> Participant {
        Participant {
            id: id.into(),
            role,
            name: name.into(),
            muted: false,
            away: false,
        }
    }

    fn equipment(id: &str, name: &str) -> EquipmentInfo {
        EquipmentInfo {
            id: id.into(),
            name: name.into(),
        }
    }

    fn mark(id: &str, on: Option<&str>) -> Annotation {
        let pose = Pose::IDENTITY;
        Annotation {
            id: id.into(),
            kind: AnnotationKind::Point,
            author: "p-2".into(),
            color: "#ff2d95".into(),
            anchor: match on {
                Some(equipment) => Anchor::Equipment {
                    equipment_id: equipment.into(),
                    pose,
                },
                None => Anchor::World { pose },
            },
            points: vec![Vec3::ZERO],
            frame_rtp_timestamp: 0,
            surface: spotter_protocol::SurfaceQuality::Exact,
            acknowledged_by: None,
        }
    }

    /// Tom (technician) and Eve (expert) in the room, a mark on the pump already placed.
    fn recording() -> RecordingInfo {
        RecordingInfo {
            recording_id: RecordingId::fresh(1),
            room: "demo".into(),
            started_at_ms: 10_000,
            started_by: Some("p-2".into()),
            stopped_at_ms: Some(70_000),
            stopped_by: Some("p-2".into()),
            stop_reason: None,
            initial: RoomSnapshot {
                room: "demo".into(),
                participants: vec![
                    person("p-1", Role::Technician, "Tom"),
                    person("p-2", Role::Expert, "Eve"),
                ],
                annotations: vec![mark("a-1", Some("pump-1"))],
                equipment: vec![equipment("pump-1", "Feed pump"), equipment("panel-1", "")],
                recording: None,
                version: 1,
            },
            media: Some(RecordedMedia {
                first_rtp_timestamp: 0,
                started_at_ms: 10_500,
            }),
            voices: vec![],
        }
    }

    fn events(changes: Vec<RoomChange>) -> Vec<JournalEvent> {
        changes
            .into_iter()
            .zip(1..)
            .map(|(change, seq)| JournalEvent {
                seq,
                at_ms: 10_000 + seq,
                change,
            })
            .collect()
    }

    #[test]
    fn a_recording_with_nothing_happening_lists_who_was_there_and_no_marks() {
        let listed = listing(&recording(), &[], 99_999);
        let names: Vec<_> = listed
            .participants
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["Tom", "Eve"]);
        assert_eq!(listed.participants[0].role, Role::Technician);
        assert_eq!(
            listed.marks_placed, 0,
            "the mark already there is not counted"
        );
        assert!(listed.marked_equipment.is_empty());
        assert_eq!(listed.duration_ms, Some(59_500), "from the first keyframe");
    }

    #[test]
    fn joiners_marks_and_equipment_names_are_folded_in_order() {
        let resolved = |id, on| RoomChange::MarkResolved {
            annotation: mark(id, on),
        };
        let listed = listing(
            &recording(),
            &events(vec![
                RoomChange::Joined {
                    participant: person("p-3", Role::Expert, "Ana"),
                },
                resolved("a-2", Some("panel-1")),
                RoomChange::Left {
                    participant_id: "p-3".into(),
                },
                // Rejoined under the same id: listed once.
                RoomChange::Joined {
                    participant: person("p-3", Role::Expert, "Ana"),
                },
                resolved("a-3", None),
                resolved("a-4", Some("pump-1")),
                resolved("a-5", Some("panel-1")),
                RoomChange::MarkDeleted {
                    annotation_id: "a-5".into(),
                    by: "p-3".into(),
                },
                // The headset names the panel later, and drops the pump from its list.
                RoomChange::Equipment {
                    items: vec![equipment("panel-1", "Control panel CP-3")],
                },
                resolved("a-6", Some("valve-9")),
            ]),
            0,
        );
        let ids: Vec<_> = listed.participants.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["p-1", "p-2", "p-3"]);
        assert_eq!(listed.marks_placed, 5, "deleted and world marks included");
        let marked: Vec<_> = listed
            .marked_equipment
            .iter()
            .map(|e| (e.id.as_str(), e.name.as_deref()))
            .collect();
        assert_eq!(
            marked,
            [
                ("panel-1", Some("Control panel CP-3")),
                ("pump-1", Some("Feed pump")),
                ("valve-9", None),
            ]
        );
    }

    #[test]
    fn a_running_recording_lasts_until_now_and_one_without_video_has_no_duration() {
        let mut running = recording();
        running.stopped_at_ms = None;
        assert_eq!(duration_ms(&running, 20_500), Some(10_000));
        running.media = None;
        assert_eq!(listing(&running, &[], 20_500).duration_ms, None);
    }
}
