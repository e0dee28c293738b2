//! `[recording] retention_days` on a real server: a recording that stopped longer ago than
//! that is deleted when the server starts (media, events, listing), the audit log says the
//! retention did it, and the rest of the library still lists, opens and plays.

mod common;

use common::TestServer;
use common::recordings::{export, ffprobe, start_recording, stop_recording};
use common::video::publish;
use spotter_protocol::{RecordingId, Role};
use spotter_server::store::{RedbStore, RoomStore};
use std::time::Duration;

const DAY_MS: u64 = 24 * 3600 * 1000;

/// Two recordings of the room with video, oldest first.
async fn two_recordings(server: &TestServer) -> [String; 2] {
    let mut headset = publish(server).await;
    let (mut eve, _) = server.join(Role::Expert, "Eve").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut ids = Vec::new();
    for frames in [0..60, 60..120] {
        let recording = start_recording(&mut eve).await;
        headset.send_frames(frames, Duration::from_millis(33)).await;
        stop_recording(&mut eve).await;
        ids.push(recording.recording_id.to_string());
    }
    [ids[0].clone(), ids[1].clone()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_what_stopped_longer_ago_and_the_rest_of_the_library_still_plays() {
    let server = common::start().await;
    let [old, kept] = two_recordings(&server).await;
    let data_dir = server.stop().await;

    // The first recording stopped 31 days ago, as if the library had kept it that long.
    {
        let store = RedbStore::open(&data_dir).unwrap();
        let mut info = store.recording(&RecordingId::new(&old)).unwrap().unwrap();
        info.started_at_ms -= 31 * DAY_MS;
        info.stopped_at_ms = info.stopped_at_ms.map(|t| t - 31 * DAY_MS);
        store.save_recording(&info).unwrap();
    }
    assert!(data_dir.join("recordings").join(&old).exists());

    let server =
        common::start_with(Some(data_dir), |c| c.recording.retention_days = Some(30)).await;
    let trainer = server.token("demo", Role::Trainer);
    let gone = format!("/api/recordings/{old}");
    // The sweep runs at start, off the request path: give it a moment.
    let mut answer = (0, serde_json::Value::Null);
    for _ in 0..50 {
        answer = server.request("GET", &gone, Some(&trainer), None).await;
        if answer.0 == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        (answer.0, answer.1["code"].as_str()),
        (404, Some("unknown_recording")),
        "{}",
        answer.1
    );
    // The entry goes first, then the files (a crash between leaves no entry without media).
    let media = server.data_dir.join("recordings").join(&old);
    for _ in 0..50 {
        if !media.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!media.exists(), "its media is gone");
    let (_, audit) = server.get("/api/admin/audit").await;
    let log = audit["audit"].as_array().unwrap();
    assert_eq!(log.len(), 1, "{audit}");
    assert_eq!(log[0]["recording_id"], old.as_str());
    assert_eq!(log[0]["by"], "retention (30 days)");

    // The recent one is listed, opens, and plays: its video read back and exported.
    let (status, list) = server
        .request("GET", "/api/recordings", Some(&trainer), None)
        .await;
    assert_eq!(status, 200, "{list}");
    let listed: Vec<_> = list["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["recording_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, [kept.as_str()]);
    let (status, one) = server
        .request(
            "GET",
            &format!("/api/recordings/{kept}"),
            Some(&trainer),
            None,
        )
        .await;
    assert_eq!(status, 200, "{one}");
    let (_, mp4) = export(&server, &kept, &trainer).await;
    let (codec, duration) = ffprobe(&mp4, &kept);
    assert_eq!(codec, "h264");
    // 60 frames at 30 a second, from the first keyframe the recording saw.
    assert!((0.9..=2.1).contains(&duration), "{duration} s");
}
