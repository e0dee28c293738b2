//! The recordings' library over HTTP, as a trainer's page uses it: the list, one recording
//! with its events, its files by byte range; and every bad request refused with its own code.

mod common;

use common::video::publish;
use common::{LOOPBACK, TestServer, next_message};
use spotter_protocol::{ClientMessage, Role, ServerMessage};
use std::time::Duration;

/// A short recording of room `demo`: 3 s of video, started and stopped by an expert.
async fn record(server: &TestServer) -> String {
    let mut publisher = publish(server).await;
    let (mut expert, _) = server.join(Role::Expert, "Eve").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    expert.send(&ClientMessage::StartRecording).unwrap();
    let ServerMessage::RecordingStarted { recording } = next_message(&mut expert).await else {
        panic!("the recording did not start");
    };
    publisher
        .send_frames(0..90, Duration::from_millis(33))
        .await;
    expert.send(&ClientMessage::StopRecording).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    recording.recording_id.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trainer_lists_opens_and_reads_a_recording_of_their_room_and_nothing_else() {
    let server = common::start().await;
    let id = record(&server).await;
    let trainer = server.token("demo", Role::Trainer);
    let recording = format!("/api/recordings/{id}");

    let (status, list) = server
        .request("GET", "/api/recordings", Some(&trainer), None)
        .await;
    assert_eq!(status, 200, "{list}");
    let listed = list["recordings"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["recording_id"], id.as_str());
    assert_eq!(listed[0]["room"], "demo");
    assert!(listed[0]["stopped_at_ms"].is_u64());
    assert_eq!(list["total"], 1);
    // The list is compact: the room at the start and the events come with the recording.
    assert!(listed[0].get("initial").is_none(), "{list}");

    let (status, one) = server
        .request("GET", &recording, Some(&trainer), None)
        .await;
    assert_eq!(status, 200, "{one}");
    let kinds: Vec<_> = one["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["change"]["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("recording_started"));
    assert_eq!(kinds.last().map(String::as_str), Some("recording_stopped"));
    assert!(one["recording"]["media"]["first_rtp_timestamp"].is_u64());
    let events_before = one["events"].clone();

    // The index the player fetches a window of fragments by: back to back from the init
    // segment to the end of what plays, each starting where the one before ended.
    let index = &one["video"]["index"];
    assert_eq!(index["timescale"], 90_000, "{index}");
    let fragments = index["fragments"].as_array().unwrap();
    assert!(fragments.len() >= 2, "{index}");
    let (mut at, mut time) = (index["init_bytes"].as_u64().unwrap(), None);
    assert_eq!(
        fragments[0][4], 1,
        "the first fragment begins on a keyframe: {index}"
    );
    for f in fragments {
        let [offset, len, start, duration, keyframe] =
            [0, 1, 2, 3, 4].map(|i| f[i].as_u64().unwrap());
        assert!(keyframe <= 1, "{index}");
        assert_eq!(offset, at, "{index}");
        assert!(time.is_none_or(|t| t == start), "{index}");
        (at, time) = (offset + len, Some(start + duration));
    }
    assert_eq!(Some(at), one["video"]["playable_bytes"].as_u64());

    // The video by byte range, as MSE takes it: the first 8 bytes are the `ftyp` box head.
    let file = format!("/api/recordings/{id}/files/video.mp4");
    let host = server.http.strip_prefix("http://").unwrap().to_owned();
    let ranged = |range: &'static str| {
        let (file, host, trainer) = (file.clone(), host.clone(), trainer.clone());
        let server = &server;
        async move {
            server
                .raw_request(
                    LOOPBACK,
                    "GET",
                    &file,
                    &[("Host", &host), ("Range", range)],
                    Some(&trainer),
                    None,
                )
                .await
        }
    };
    let (status, head, body) = ranged("bytes=4-7").await;
    assert_eq!((status, body.as_str()), (206, "ftyp"), "{head}");
    let (status, _, _) = ranged("bytes=900000000-").await;
    assert_eq!(status, 416, "a range past the end");

    // Bad requests, each with its own answer.
    let code = |v: &serde_json::Value| v["code"].as_str().unwrap_or_default().to_owned();
    let cases = [
        (
            "/api/recordings/r-0000000000000001".to_owned(),
            Some(trainer.clone()),
            404,
            "unknown_recording",
        ),
        (
            "/api/recordings/..%2F..%2Fetc".to_owned(),
            Some(trainer.clone()),
            400,
            "invalid_value",
        ),
        (
            format!("/api/recordings/{id}/files/spotter.redb"),
            Some(trainer.clone()),
            404,
            "unknown_recording",
        ),
        (
            format!("/api/recordings/{id}/files/voice-9.mp4"),
            Some(trainer.clone()),
            404,
            "unknown_recording",
        ),
        (
            format!("/api/recordings/{id}"),
            Some(server.token("other", Role::Trainer)),
            403,
            "wrong_room",
        ),
        (
            "/api/recordings?room=demo".to_owned(),
            Some(server.token("other", Role::Trainer)),
            403,
            "wrong_room",
        ),
        (
            format!("/api/recordings/{id}"),
            Some(server.token("demo", Role::Expert)),
            403,
            "forbidden",
        ),
        (format!("/api/recordings/{id}"), None, 401, "unauthorized"),
    ];
    for (path, credential, status, expected) in cases {
        let (got, body) = server
            .request("GET", &path, credential.as_deref(), None)
            .await;
        assert_eq!(
            (got, code(&body)),
            (status, expected.to_owned()),
            "{path}: {body}"
        );
    }
    // Exported: one MP4 that ffprobe reads, as long as the recording.
    let (head, mp4) = common::recordings::export(&server, &id, &trainer).await;
    assert!(
        head.to_ascii_lowercase()
            .contains("content-disposition: attachment"),
        "{head}"
    );
    let (codec, duration) = common::recordings::ffprobe(&mp4, &id);
    assert_eq!(codec, "h264");
    // Frames 0..90 at 30 a second, from the first keyframe the recording saw (frame 0 or 30).
    assert!((1.9..=3.1).contains(&duration), "{duration} s");

    // Bookmarks: chapters beside the recorded events, which stay as they were.
    let bookmarks = format!("/api/recordings/{id}/bookmarks");
    let add = |time: u64, note: &str| serde_json::json!({ "media_time_ms": time, "note": note });
    for (n, (time, note)) in [(1500, "Opening the panel"), (200, "The pump")]
        .into_iter()
        .enumerate()
    {
        let (status, added) = server
            .request("POST", &bookmarks, Some(&trainer), Some(&add(time, note)))
            .await;
        assert_eq!(
            (status, added["bookmark_id"].as_u64()),
            (201, Some(n as u64 + 1)),
            "{added}"
        );
    }
    let refusals = [
        (
            Some(trainer.clone()),
            serde_json::json!({ "media_time_ms": 1 }),
            400,
            "malformed_message",
        ),
        (
            Some(trainer.clone()),
            add(10, "go --> here"),
            400,
            "invalid_value",
        ),
        (Some(trainer.clone()), add(10, "a\nb"), 400, "invalid_value"),
        (
            Some(trainer.clone()),
            add(60_000, "after the end"),
            400,
            "invalid_value",
        ),
        (
            Some(server.token("demo", Role::Expert)),
            add(10, "not mine"),
            403,
            "forbidden",
        ),
    ];
    for (credential, body, status, expected) in refusals {
        let (got, answer) = server
            .request("POST", &bookmarks, credential.as_deref(), Some(&body))
            .await;
        assert_eq!(
            (got, code(&answer)),
            (status, expected.to_owned()),
            "{body}: {answer}"
        );
    }
    let (status, one) = server
        .request("GET", &recording, Some(&trainer), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["bookmarks"].as_array().unwrap().len(), 2);
    assert_eq!(one["events"], events_before, "recorded events unchanged");
    let vtt = server
        .request_text(
            "GET",
            &format!("/api/recordings/{id}/chapters.vtt"),
            Some(&trainer),
            None,
        )
        .await
        .1;
    assert!(
        vtt.starts_with(
            "WEBVTT\n\n1\n00:00:00.200 --> 00:00:01.500\nThe pump\n\n2\n00:00:01.500 --> "
        ),
        "{vtt}"
    );
    let (status, sidecar) = server
        .request(
            "GET",
            &format!("/api/recordings/{id}/export.json"),
            Some(&trainer),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(sidecar["bookmarks"].as_array().unwrap().len(), 2);
    assert_eq!(sidecar["events"], events_before);
    // The frame records of the frames sent while it recorded, as the headset stamped them.
    let frames = sidecar["frames"].as_array().unwrap();
    assert!(frames.len() >= 45, "{} frame records", frames.len());
    for frame in frames {
        let rtp = frame["rtp_timestamp"].as_u64().unwrap();
        assert!(rtp.is_multiple_of(3000) && rtp < 90 * 3000, "{frame}");
    }

    // The admin sees every room's recordings.
    let (status, all) = server.get("/api/recordings").await;
    assert_eq!(
        (status, all["recordings"].as_array().unwrap().len()),
        (200, 1)
    );

    // The video's last moment, which the player can show, even past the stop's wall-clock
    // duration.
    let video = std::fs::read(
        server
            .data_dir
            .join("recordings")
            .join(&id)
            .join("video.mp4"),
    )
    .unwrap();
    let video_end_ms = spotter_server::fmp4::scan_bytes(&video).unwrap().end_time() / 90;
    let (status, at_end) = server
        .request(
            "POST",
            &bookmarks,
            Some(&trainer),
            Some(&add(video_end_ms, "The end")),
        )
        .await;
    assert_eq!(status, 201, "{at_end}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_recording_removes_it_and_the_audit_log_keeps_who_did() {
    let server = common::start_with(None, |c| c.recording.trainers_may_delete = false).await;
    let id = record(&server).await;
    let path = format!("/api/recordings/{id}");
    let trainer = server.token("demo", Role::Trainer);
    let code = |v: &serde_json::Value| v["code"].as_str().unwrap_or_default().to_owned();

    let (status, body) = server.request("DELETE", &path, Some(&trainer), None).await;
    assert_eq!(
        (status, code(&body)),
        (403, "forbidden".to_owned()),
        "{body}"
    );
    let (status, body) = server
        .request("DELETE", &path, Some(common::ADMIN_KEY), None)
        .await;
    assert_eq!(
        (status, body["deleted"].as_str()),
        (200, Some(id.as_str())),
        "{body}"
    );
    let (status, body) = server.request("GET", &path, Some(&trainer), None).await;
    assert_eq!((status, code(&body)), (404, "unknown_recording".to_owned()));
    assert!(
        !server.data_dir.join("recordings").join(&id).exists(),
        "its files are gone"
    );
    let (status, body) = server
        .request("DELETE", &path, Some(common::ADMIN_KEY), None)
        .await;
    assert_eq!((status, code(&body)), (404, "unknown_recording".to_owned()));
    let (_, audit) = server.get("/api/admin/audit").await;
    let log = audit["audit"].as_array().unwrap();
    assert_eq!(log.len(), 1, "{audit}");
    assert_eq!(log[0]["recording_id"], id.as_str());
    assert_eq!(log[0]["by"], "the administrator");
    let (status, _) = server
        .request("GET", "/api/admin/audit", Some(&trainer), None)
        .await;
    assert_eq!(status, 401, "the audit log is the admin's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_allowed_a_trainer_deletes_but_never_a_running_recording() {
    let server = common::start_with(None, |c| c.recording.trainers_may_delete = true).await;
    let trainer = server.token("demo", Role::Trainer);
    let (mut expert, _) = server.join(Role::Expert, "Eve").await;
    expert.send(&ClientMessage::StartRecording).unwrap();
    let ServerMessage::RecordingStarted { recording } = next_message(&mut expert).await else {
        panic!("the recording did not start");
    };
    let path = format!("/api/recordings/{}", recording.recording_id);
    // Its catalog entry is written a moment after the start is announced.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = server.request("DELETE", &path, Some(&trainer), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_value")),
        "{body}"
    );
    expert.send(&ClientMessage::StopRecording).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = server.request("DELETE", &path, Some(&trainer), None).await;
    assert_eq!(status, 200, "{body}");
    let (_, audit) = server.get("/api/admin/audit").await;
    assert_eq!(audit["audit"][0]["by"], "test-trainer", "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_video_file_is_named_and_plays_up_to_the_damage() {
    let server = common::start().await;
    let id = record(&server).await;
    let path = format!("/api/recordings/{id}");
    let (status, before) = server.get(&path).await;
    assert_eq!(status, 200);
    assert!(before["video"]["damage"].is_null(), "{before}");
    let playable = before["video"]["playable_bytes"].as_u64().unwrap();
    let file = server
        .data_dir
        .join("recordings")
        .join(&id)
        .join("video.mp4");
    let mut bytes = std::fs::read(&file).unwrap();
    assert_eq!(playable, bytes.len() as u64, "a whole file plays whole");
    // The second fragment's box header, damaged.
    let scanned = spotter_server::fmp4::scan_bytes(&bytes).unwrap();
    let second = scanned.fragments[1].offset as usize;
    // Its type, zeroed (a size past the end would read as a file cut by a crash instead).
    bytes[second + 4..second + 8].copy_from_slice(&[0; 4]);
    std::fs::write(&file, &bytes).unwrap();

    let (status, after) = server.get(&path).await;
    assert_eq!(status, 200, "the recording still opens");
    assert_eq!(
        after["video"]["playable_bytes"].as_u64(),
        Some(second as u64)
    );
    let damage = after["video"]["damage"].as_str().unwrap();
    assert!(damage.contains(&format!("byte {second}")), "{damage}");
    assert_eq!(
        after["events"], before["events"],
        "its events are untouched"
    );
}
