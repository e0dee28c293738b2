//! The journal is the room: folded, it gives the live state, and a restarted server gets the
//! same room back from it, in the same order.

use super::*;
use crate::store::{RedbStore, RoomStore};
use glam::{Vec2, Vec3};
use spotter_protocol::{Anchor, AnnotationKind, Pose};

fn claims(role: Role, sub: &str) -> Claims {
    Claims {
        iss: "test".into(),
        sub: sub.into(),
        room: RoomId::new("demo"),
        role,
        name: None,
        epoch: 0,
        iat: 0,
        exp: u64::MAX,
    }
}

fn participant(id: &str, role: Role) -> Participant {
    Participant {
        id: id.into(),
        role,
        name: format!("{role} {id}"),
        muted: false,
        away: false,
    }
}

fn mark() -> AnnotationRequest {
    AnnotationRequest {
        kind: AnnotationKind::Point,
        frame_rtp_timestamp: 90_000,
        points: vec![Vec2::new(0.4, 0.6)],
        color: "#ff2d95".into(),
    }
}

fn resolution(id: &AnnotationId) -> Annotation {
    Annotation {
        id: id.clone(),
        kind: AnnotationKind::Point,
        author: "headset".into(),
        color: "#000000".into(),
        anchor: Anchor::Equipment {
            equipment_id: "pump-1".into(),
            pose: Pose::IDENTITY,
        },
        points: vec![Vec3::new(0.0, 0.5, 0.3)],
        frame_rtp_timestamp: 0,
        surface: spotter_protocol::SurfaceQuality::Exact,
        acknowledged_by: None,
    }
}

fn data_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("spotter-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A registry on a fresh database holding `room`, as the server starts with `--room`.
fn open_with_room(dir: &std::path::Path, room: &RoomId) -> (Persister, RoomRegistry) {
    let store = RedbStore::open(dir).unwrap();
    store.create_room(room, 0).unwrap();
    let stored = store.load().unwrap().remove(room).unwrap();
    let persister = Persister::start(std::sync::Arc::new(store));
    let registry = RoomRegistry::new(persister.clone(), LimitsConfig::default());
    registry.ensure_room(room.clone(), stored).unwrap();
    (persister, registry)
}

/// The headset `p-tech` and the expert `p-expert` join `room`; returns the expert and the
/// queues, which must live as long as the members.
fn join_technician_and_expert(
    registry: &RoomRegistry,
    room: &RoomId,
) -> (Participant, [mpsc::Receiver<ServerMessage>; 2]) {
    let (headset, headset_queue) = Outbox::new(256);
    let (expert, expert_queue) = Outbox::new(256);
    let technician = participant("p-tech", Role::Technician);
    let expert_info = participant("p-expert", Role::Expert);
    registry
        .join(
            room,
            technician,
            &claims(Role::Technician, "i-1"),
            headset,
            None,
        )
        .unwrap();
    registry
        .join(
            room,
            expert_info.clone(),
            &claims(Role::Expert, "i-2"),
            expert,
            None,
        )
        .unwrap();
    (expert_info, [headset_queue, expert_queue])
}

fn live_state(registry: &RoomRegistry, room: &RoomId) -> RoomState {
    registry.rooms.lock().unwrap()[room].state.clone()
}

#[test]
fn the_journal_folded_is_the_live_state_and_a_restart_keeps_the_order() {
    let dir = data_dir();
    let room = RoomId::new("demo");
    let (persister, registry) = open_with_room(&dir, &room);
    let (expert_info, _queues) = join_technician_and_expert(&registry, &room);
    let items = vec![EquipmentInfo {
        id: "pump-1".into(),
        name: "Pump P-1".into(),
    }];
    registry.set_equipment(&room, items).unwrap();
    registry
        .start_recording(&room, Some(&expert_info.id))
        .unwrap();
    let ids: Vec<_> = (0..3)
        .map(|n| {
            registry
                .request_annotation(&room, &expert_info.id, n, mark())
                .unwrap()
        })
        .collect();
    // Resolved out of id order: the third first.
    registry
        .resolve_annotation(&room, resolution(&ids[2]))
        .unwrap();
    registry
        .resolve_annotation(&room, resolution(&ids[0]))
        .unwrap();
    assert!(registry.fail_annotation(&room, &ids[1], ErrorCode::NoSurface, "sky".into()));
    registry
        .delete_annotation(&room, &expert_info.id, &ids[0])
        .unwrap();
    let again = registry
        .request_annotation(&room, &expert_info.id, 4, mark())
        .unwrap();
    registry
        .resolve_annotation(&room, resolution(&again))
        .unwrap();
    registry.set_muted(&room, &expert_info.id, true).unwrap();
    registry
        .stop_recording(&room, Some(&expert_info.id), None)
        .unwrap();
    let live = live_state(&registry, &room);
    let snapshot = registry.snapshot(&room).unwrap();
    persister.stop();

    let stored = RedbStore::open(&dir)
        .unwrap()
        .load()
        .unwrap()
        .remove(&room)
        .unwrap();
    assert_eq!(stored.journal.len() as u64, live.last_seq);
    let seqs: Vec<_> = stored.journal.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=live.last_seq).collect::<Vec<_>>(), "no gaps");
    assert_eq!(
        RoomState::fold(&stored.journal),
        live,
        "the fold is the live state"
    );

    // Restarted: the same marks in the same order (resolved, not id, order), nobody in.
    let persister = Persister::start(std::sync::Arc::new(RedbStore::open(&dir).unwrap()));
    let restarted = RoomRegistry::new(persister.clone(), LimitsConfig::default());
    restarted.ensure_room(room.clone(), stored).unwrap();
    let after = restarted.snapshot(&room).unwrap();
    let order = |s: &RoomSnapshot| {
        s.annotations
            .iter()
            .map(|a| a.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&after), order(&snapshot));
    assert_eq!(order(&after), vec![ids[2].clone(), again.clone()]);
    assert_eq!(
        (after.version, after.equipment.len()),
        (snapshot.version, 1)
    );
    assert!(after.participants.is_empty() && after.recording.is_none());
    // The ids go on from where they were.
    let (expert_info, _queues) = join_technician_and_expert(&restarted, &room);
    let next = restarted
        .request_annotation(&room, &expert_info.id, 5, mark())
        .unwrap();
    assert_eq!(next, AnnotationId::from_sequence(5));
    persister.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_restart_closes_what_the_last_run_left_open() {
    let dir = data_dir().with_extension("open");
    let _ = std::fs::remove_dir_all(&dir);
    let room = RoomId::new("demo");
    let (persister, registry) = open_with_room(&dir, &room);
    let (expert_info, _queues) = join_technician_and_expert(&registry, &room);
    let recording = registry.start_recording(&room, None).unwrap();
    let pending = registry
        .request_annotation(&room, &expert_info.id, 1, mark())
        .unwrap();
    // The process dies here: nobody left, nothing stopped.
    persister.stop();

    let stored = RedbStore::open(&dir)
        .unwrap()
        .load()
        .unwrap()
        .remove(&room)
        .unwrap();
    let persister = Persister::start(std::sync::Arc::new(RedbStore::open(&dir).unwrap()));
    let restarted = RoomRegistry::new(persister.clone(), LimitsConfig::default());
    restarted.ensure_room(room.clone(), stored).unwrap();
    persister.stop();
    let journal = RedbStore::open(&dir)
        .unwrap()
        .load()
        .unwrap()
        .remove(&room)
        .unwrap()
        .journal;
    let closing: Vec<_> = journal
        .iter()
        .rev()
        .take(4)
        .map(|e| e.change.clone())
        .collect();
    assert!(closing.contains(&RoomChange::RecordingStopped {
        recording_id: recording.recording_id,
        by: None,
        reason: Some("the server stopped while recording".into()),
    }));
    assert!(closing.contains(&RoomChange::MarkFailed {
        annotation_id: pending,
        code: ErrorCode::NoTechnician,
    }));
    let state = RoomState::fold(&journal);
    assert!(state.participants.is_empty() && state.recording.is_none());
    assert!(state.annotations.pending().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_room_stored_before_the_journal_keeps_its_marks_and_ids() {
    use crate::store::StoredAnnotation;
    let dir = data_dir().with_extension("legacy");
    let _ = std::fs::remove_dir_all(&dir);
    let room = RoomId::new("demo");
    let legacy = |n: u64, deleted_in_version| StoredAnnotation {
        annotation: resolution(&AnnotationId::from_sequence(n)),
        deleted_in_version,
    };
    let stored = StoredRoom {
        legacy_annotations: vec![legacy(1, None), legacy(2, Some(4)), legacy(3, None)],
        legacy_version: 4,
        legacy_last_id: 9,
        ..StoredRoom::default()
    };
    let persister = Persister::start(std::sync::Arc::new(RedbStore::open(&dir).unwrap()));
    persister.create_room(&room, 0);
    persister.create_room(&room, 0);
    let registry = RoomRegistry::new(persister.clone(), LimitsConfig::default());
    registry.ensure_room(room.clone(), stored).unwrap();
    let snapshot = registry.snapshot(&room).unwrap();
    let ids: Vec<_> = snapshot.annotations.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["a-1", "a-3"]);
    assert_eq!(snapshot.version, 4);
    persister.stop();
    // Written to the journal once: the next start reads it from there.
    let stored = RedbStore::open(&dir)
        .unwrap()
        .load()
        .unwrap()
        .remove(&room)
        .unwrap();
    assert_eq!(
        RoomState::fold(&stored.journal)
            .annotations
            .snapshot()
            .len(),
        2
    );
    let _ = std::fs::remove_dir_all(&dir);
}
