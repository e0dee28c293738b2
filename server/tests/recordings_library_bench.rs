//! How fast the library lists with 10,000 recordings stored: figures printed, never asserted
//! (`BENCHMARKS.md`, Recording). Ignored by default; run it with
//! `cargo test --release -p spotter-server --test recordings_library_bench -- --ignored --nocapture`.
//!
//! The recordings are written through the store as the server writes them (events, then the
//! stopped catalog entry, whose listing is folded on save) into a real redb file, then a
//! real server on that data directory answers `GET /api/recordings` over HTTP.

mod common;

use glam::Vec3;
use spotter_protocol::{
    Anchor, Annotation, AnnotationKind, EquipmentInfo, JournalEvent, Participant, Pose,
    RecordedMedia, RecordingId, RecordingInfo, Role, RoomChange, RoomId, RoomSnapshot,
};
use spotter_server::store::{Appended, RedbStore, RoomStore};
use std::time::Instant;

const RECORDINGS: u64 = 10_000;
const ROOMS: u64 = 25;
const EQUIPMENT: u64 = 40;
/// Recordings start over this span before `EPOCH_MS`.
const SPAN_MS: u64 = 365 * 24 * 3600 * 1000;
const EPOCH_MS: u64 = 1_767_225_600_000;
const RUNS: usize = 40;

/// xorshift64: the same library on every run.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn person(n: u64, role: Role) -> Participant {
    Participant {
        id: format!("p-{n}").as_str().into(),
        role,
        name: format!("Person {n}"),
        muted: false,
        away: false,
    }
}

fn mark(n: u64, equipment: u64) -> Annotation {
    Annotation {
        id: format!("a-{n}").as_str().into(),
        kind: AnnotationKind::Arrow,
        author: "p-2".into(),
        color: "#ff2d95".into(),
        anchor: Anchor::Equipment {
            equipment_id: format!("eq-{equipment}").as_str().into(),
            pose: Pose::new(Vec3::new(1.0, 0.0, 2.0), glam::Quat::IDENTITY),
        },
        points: vec![Vec3::new(0.1, 0.5, 0.3), Vec3::new(0.2, 0.6, 0.3)],
        frame_rtp_timestamp: 90_000,
        surface: spotter_protocol::SurfaceQuality::Exact,
        acknowledged_by: None,
    }
}

/// Recording `n`: its stopped entry (a room of 3 with 4 marks already placed) and its events
/// (up to 2 joiners, up to 6 marks placed on the room's equipment, a few mutes).
fn recording(n: u64, dice: &mut Dice) -> (RecordingInfo, Vec<Appended>) {
    let room = RoomId::new(format!("line-{}", dice.below(ROOMS)));
    let started_at_ms = EPOCH_MS - SPAN_MS + dice.below(SPAN_MS);
    let equipment: Vec<_> = (0..EQUIPMENT)
        .map(|e| EquipmentInfo {
            id: format!("eq-{e}").as_str().into(),
            name: format!("Machine {e}"),
        })
        .collect();
    let info = RecordingInfo {
        recording_id: RecordingId::fresh(n),
        room: room.clone(),
        started_at_ms,
        started_by: Some("p-2".into()),
        stopped_at_ms: Some(started_at_ms + 600_000),
        stopped_by: Some("p-2".into()),
        stop_reason: None,
        initial: RoomSnapshot {
            room: room.clone(),
            participants: vec![
                person(1, Role::Technician),
                person(2, Role::Expert),
                person(3, Role::Observer),
            ],
            annotations: (0..4).map(|a| mark(a, dice.below(EQUIPMENT))).collect(),
            equipment,
            recording: None,
            version: 4,
        },
        media: Some(RecordedMedia {
            first_rtp_timestamp: 0,
            started_at_ms: started_at_ms + 400,
        }),
        voices: vec![],
    };
    let mut changes = Vec::new();
    for j in 0..dice.below(3) {
        changes.push(RoomChange::Joined {
            participant: person(10 + j, Role::Expert),
        });
    }
    for m in 0..dice.below(7) {
        changes.push(RoomChange::MarkResolved {
            annotation: mark(10 + m, dice.below(EQUIPMENT)),
        });
        changes.push(RoomChange::Muted {
            participant_id: "p-2".into(),
            muted: m % 2 == 0,
        });
    }
    let events = changes
        .into_iter()
        .zip(1..)
        .map(|(change, seq)| Appended {
            room: room.clone(),
            event: JournalEvent {
                seq,
                at_ms: started_at_ms + seq * 1000,
                change,
            },
            recording: Some(info.recording_id.clone()),
        })
        .collect();
    (info, events)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn listing_10000_recordings() {
    let dir = std::env::temp_dir().join(format!("spotter-library-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let began = Instant::now();
    {
        let store = RedbStore::open(&dir).unwrap();
        let mut dice = Dice(0x5eed_1234_abcd_0001);
        for n in 0..RECORDINGS {
            let (info, events) = recording(n, &mut dice);
            store.append(&events).unwrap();
            store.save_recording(&info).unwrap();
        }
    }
    println!(
        "stored {RECORDINGS} recordings in {:.1} s (each: events, then the stopped entry)",
        began.elapsed().as_secs_f64()
    );
    let server = common::start_with_data_dir(Some(dir)).await;
    let (month_from, month_to) = (
        EPOCH_MS - SPAN_MS / 2,
        EPOCH_MS - SPAN_MS / 2 + SPAN_MS / 12,
    );
    let scenarios = [
        ("unfiltered (limit 200)", String::new()),
        ("unfiltered, limit 1000", "limit=1000".to_owned()),
        ("by room", "room=line-7".to_owned()),
        (
            "by date (one month)",
            format!("from={month_from}&to={month_to}"),
        ),
        ("by equipment", "equipment=eq-12".to_owned()),
        (
            "room + date + equipment",
            format!("room=line-7&equipment=eq-12&from={month_from}&to={month_to}"),
        ),
    ];
    println!("\n| list | matched | returned | p50 ms | p95 ms |\n|---|---|---|---|---|");
    for (what, query) in scenarios {
        let path = format!("/api/recordings?{query}");
        let (status, first) = server.get(&path).await;
        assert_eq!(status, 200, "{first}");
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let began = Instant::now();
            let (status, _) = server.get(&path).await;
            times.push(began.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(status, 200);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| {what} | {} | {} | {:.1} | {:.1} |",
            first["total"],
            first["recordings"].as_array().unwrap().len(),
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }
}
