//! `kill -9` in the middle of a recording (`[recording] auto`): started again, the server
//! lists the recording as stopped, its video file holds every complete fragment with the
//! media lost at the end under 2 s, and its events lack under 1 s. The figures are printed.

mod common;

use common::live_session::connected_peer;
use common::process::ServerProcess;
use common::video::{annex_b, frame_nals, frame_record};
use spotter_peer::{Peer, PeerOptions, Signaling, VideoPublisher};
use spotter_protocol::{ClientMessage, RoomChange};
use spotter_server::fmp4::scan;
use spotter_server::store::{RedbStore, RoomStore};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_cut_by_kill_9_is_listed_and_lacks_under_2_s_of_media() {
    let dir = std::env::temp_dir().join(format!("spotter-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = "[recording]\nauto = true\n";
    let server = ServerProcess::start(&dir, config, &[]);
    let ws = format!("ws://{}/ws", server.address);

    let mut headset = Signaling::connect(&ws).await.unwrap();
    headset
        .join("demo", &server.invite("technician").await, "Tom")
        .await
        .unwrap();
    let mut peer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
    let (mut video, _keyframe_requests) = VideoPublisher::add_to(&peer).await.unwrap();
    let (frames, _) = peer.frames_channel().await.unwrap();
    connected_peer(&mut headset, &mut peer).await;
    let mut expert = Signaling::connect(&ws).await.unwrap();
    expert
        .join("demo", &server.invite("expert").await, "Eve")
        .await
        .unwrap();

    // 6 s of video at 30 frames a second, a keyframe a second; the expert toggles mute every
    // 100 ms, so that the journal has a steady stream of events.
    let origin = 1_000_000u32;
    let mut last_toggle_sent = None;
    for i in 0..180u32 {
        let unit = annex_b(&frame_nals(i, i.is_multiple_of(30)));
        video
            .send_access_unit(unit, origin + i * 3000)
            .await
            .unwrap();
        frames.send(&frame_record(i, origin + i * 3000)).await;
        if i.is_multiple_of(3) {
            expert
                .send(&ClientMessage::SetMuted {
                    muted: i.is_multiple_of(6),
                })
                .unwrap();
            last_toggle_sent = Some(unix_ms());
        }
        tokio::time::sleep(Duration::from_millis(33)).await;
    }
    let sent_media = Duration::from_millis(179 * 3000 / 90);
    server.kill();

    // Started again: the interrupted recording is closed, and nobody is in the room.
    let server = ServerProcess::start(&dir, config, &[]);
    server.interrupt();
    let data = ServerProcess::data_dir(&dir);
    let store = RedbStore::open(&data).unwrap();
    let recordings = store.recordings().unwrap();
    assert_eq!(recordings.len(), 1, "{recordings:?}");
    let info = &recordings[0];
    assert_eq!(
        info.stop_reason.as_deref(),
        Some("the server stopped while recording")
    );
    assert!(info.stopped_at_ms.is_some(), "listed as stopped");
    let listed = store.recording_listings().unwrap();
    assert_eq!(
        (listed.len(), listed[0].stopped_at_ms),
        (1, info.stopped_at_ms),
        "the library's listing is folded when the next start closes it"
    );
    let media = info.media.expect("the media had begun");

    let mut file = std::fs::File::open(
        data.join("recordings")
            .join(info.recording_id.as_str())
            .join("video.mp4"),
    )
    .unwrap();
    let scanned = scan(&mut file).unwrap();
    let recorded = Duration::from_millis(scanned.end_time() * 1000 / 90_000);
    // The recording began at the first keyframe it saw after the headset joined.
    let began = Duration::from_millis(u64::from(media.first_rtp_timestamp - origin) / 90);
    let lost_media = sent_media.saturating_sub(began + recorded);
    println!(
        "kill -9 lost {} ms of media ({} ms recorded in {} complete fragments, {} bytes cut off)",
        lost_media.as_millis(),
        recorded.as_millis(),
        scanned.fragments.len(),
        scanned.trailing_bytes
    );
    assert!(lost_media < Duration::from_secs(2), "lost {lost_media:?}");

    let events = store.recording_events(&info.recording_id).unwrap();
    let toggles: Vec<_> = events
        .iter()
        .filter(|e| matches!(e.change, RoomChange::Muted { .. }))
        .collect();
    // Server and test share the machine's clock.
    let last_toggle_kept = toggles.last().expect("toggles were recorded").at_ms;
    let lost_events = last_toggle_sent.unwrap().saturating_sub(last_toggle_kept);
    println!(
        "kill -9 lost the events of the last {lost_events} ms ({} mute changes kept)",
        toggles.len()
    );
    assert!(
        lost_events < 1000,
        "events of the last {lost_events} ms lost"
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
