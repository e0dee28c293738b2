//! Recording with real `webrtc` peers: an expert starts and stops it, and every frame a viewer
//! was relayed in between is in the recording's video file byte for byte under its RTP
//! timestamp (from the first keyframe), with its frame record; the catalog says where media
//! time begins and who started and stopped it, and the recording's events are the room's, in
//! order.

mod common;

use common::next_message;
use common::video::{access_units, annex_b, frame_nals, frame_record, publish, subscribe};
use spotter_protocol::{ClientMessage, RoomChange, RoomId, ServerMessage};
use spotter_server::fmp4::{read_fragment_samples, sample_to_annex_b, scan};
use spotter_server::store::{RedbStore, RoomStore};
use std::collections::HashSet;
use std::time::Duration;

/// Keyframes every 30 frames from frame 10: the recording starts between two.
fn is_keyframe(i: u32) -> bool {
    i % 30 == 10
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_frame_relayed_while_recording_is_in_the_file_byte_for_byte_with_its_record() {
    let server = common::start().await;
    let mut publisher = publish(&server).await;
    let mut viewer = subscribe(&server, "Ana").await;
    let (mut expert, _) = server.join(spotter_protocol::Role::Expert, "Eve").await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let origin = 4_294_000_000u32; // wraps during the recording
    let timestamp = |i: u32| origin.wrapping_add(i * 3000);
    let mut sent_records = HashSet::new();
    let mut recording_id = None;
    let (start_at, stop_at, frames) = (15, 95, 110);
    for i in 0..frames {
        if i == start_at {
            expert.send(&ClientMessage::StartRecording).unwrap();
            match next_message(&mut expert).await {
                ServerMessage::RecordingStarted { recording } => {
                    recording_id = Some(recording.recording_id)
                }
                other => panic!("{other:?}"),
            }
        }
        if i == 50 {
            expert
                .send(&ClientMessage::SetMuted { muted: true })
                .unwrap();
        }
        if i == stop_at {
            expert.send(&ClientMessage::StopRecording).unwrap();
        }
        let unit = annex_b(&frame_nals(i, is_keyframe(i)));
        publisher
            .video
            .send_access_unit(unit, timestamp(i))
            .await
            .unwrap();
        let record = frame_record(i, timestamp(i));
        if publisher.frames.send(&record).await {
            sent_records.insert(record);
        }
        tokio::time::sleep(Duration::from_millis(33)).await;
    }
    let recording_id = recording_id.unwrap();
    let viewed = access_units(&viewer.packets_until(timestamp(frames - 1)).await);
    // Let the writer close the files.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let data_dir = server.stop().await;

    let dir = data_dir.join("recordings").join(recording_id.as_str());
    let mut video = std::fs::File::open(dir.join("video.mp4")).unwrap();
    let scanned = scan(&mut video).unwrap();
    let mut recorded = Vec::new();
    for fragment in &scanned.fragments {
        for sample in read_fragment_samples(&mut video, &scanned, fragment).unwrap() {
            recorded.push((sample.decode_time, sample_to_annex_b(&sample.data).unwrap()));
        }
    }
    // The first keyframe after the start is frame 40; the stop came after frame 94 was sent.
    let first = viewed
        .iter()
        .position(|(t, _)| *t == timestamp(40))
        .expect("the viewer got frame 40");
    let (last_rtp, _) = viewed
        .iter()
        .find(|(t, _)| {
            let media_time = t.wrapping_sub(timestamp(40)) as u64;
            media_time == recorded.last().unwrap().0
        })
        .expect("the last recorded frame was relayed");
    let through = viewed.iter().position(|(t, _)| t == last_rtp).unwrap();
    assert!(
        through
            >= viewed
                .iter()
                .position(|(t, _)| *t == timestamp(stop_at - 6))
                .unwrap(),
        "the recording goes on until it is stopped"
    );
    assert_eq!(
        recorded.len(),
        through + 1 - first,
        "every relayed frame in between"
    );
    for ((media_time, data), (rtp, viewed_data)) in recorded.iter().zip(&viewed[first..]) {
        assert_eq!(
            timestamp(40).wrapping_add(*media_time as u32),
            *rtp,
            "media time maps back to the RTP timestamp"
        );
        assert_eq!(data, viewed_data, "frame {rtp}: the bytes relayed");
    }

    // The frame records, exactly as sent; the channel may drop one, on loopback few.
    let records: HashSet<String> = std::fs::read_to_string(dir.join("frames.ndjson"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(records.is_subset(&sent_records), "records stored unchanged");
    let recorded_frames_with_records = recorded
        .iter()
        .filter(|(media_time, _)| {
            let rtp = timestamp(40).wrapping_add(*media_time as u32);
            let i = rtp.wrapping_sub(origin) / 3000;
            records.contains(&frame_record(i, rtp))
        })
        .count();
    assert!(
        recorded_frames_with_records * 10 >= recorded.len() * 9,
        "{recorded_frames_with_records} of {} frames have their record",
        recorded.len()
    );

    // The catalog and the events.
    let store = RedbStore::open(&data_dir).unwrap();
    let info = store.recording(&recording_id).unwrap().unwrap();
    assert_eq!(info.room, RoomId::new("demo"));
    assert_eq!(
        info.media.unwrap().first_rtp_timestamp,
        timestamp(40),
        "media time 0 is the first keyframe"
    );
    assert!(info.stopped_at_ms.unwrap() > info.started_at_ms);
    let eve = info.started_by.clone().expect("started by a participant");
    assert_eq!(info.stopped_by.as_ref(), Some(&eve));
    assert!(
        info.initial
            .participants
            .iter()
            .any(|p| p.id == eve && p.name == "Eve")
    );
    let events = store.recording_events(&recording_id).unwrap();
    let kinds: Vec<_> = events.iter().map(|e| &e.change).collect();
    assert!(
        matches!(kinds.first(), Some(RoomChange::RecordingStarted { by: Some(by), .. }) if *by == eve)
    );
    assert!(
        matches!(kinds.last(), Some(RoomChange::RecordingStopped { by: Some(by), .. }) if *by == eve)
    );
    assert!(
        kinds
            .iter()
            .any(|c| matches!(c, RoomChange::Muted { muted: true, .. }))
    );
    let seqs: Vec<_> = events.iter().map(|e| e.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "in journal order, none missing: {seqs:?}"
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}
