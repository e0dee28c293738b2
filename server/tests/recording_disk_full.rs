//! A full disk stops the recording, says why to the room, and leaves the live session alone.
//! The recordings directory is a tiny tmpfs (this needs root, as the end-to-end tests do).

mod common;

use common::next_message;
use common::video::{access_units, annex_b, frame_nals, publish, subscribe};
use spotter_protocol::{ClientMessage, Role, ServerMessage};
use std::process::Command;
use std::time::Duration;

struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_recording_with_the_reason_and_the_video_goes_on() {
    let data_dir = std::env::temp_dir().join(format!("spotter-full-{}", std::process::id()));
    let recordings = data_dir.join("recordings");
    std::fs::create_dir_all(&recordings).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&recordings)
        .status()
        .expect("mount runs");
    assert!(mounted.success(), "mounting a tmpfs needs root");
    let _unmount = Mounted(recordings.clone());

    let server = common::start_with_data_dir(Some(data_dir.clone())).await;
    let mut publisher = publish(&server).await;
    let mut viewer = subscribe(&server, "Ana").await;
    let (mut expert, _) = server.join(Role::Expert, "Eve").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    expert.send(&ClientMessage::StartRecording).unwrap();
    assert!(matches!(
        next_message(&mut expert).await,
        ServerMessage::RecordingStarted { .. }
    ));

    let mut stopped = None;
    let mut i = 0u32;
    while stopped.is_none() && i < 600 {
        let unit = annex_b(&frame_nals(i, i.is_multiple_of(30)));
        publisher
            .video
            .send_access_unit(unit, i * 3000)
            .await
            .unwrap();
        i += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
        if let Ok(ServerMessage::RecordingStopped { by, reason, .. }) =
            expert.recv_timeout(Duration::from_millis(1)).await
        {
            stopped = Some((by, reason));
        }
    }
    let (by, reason) = stopped.expect("the recording stopped when the disk filled");
    assert_eq!(by, None, "stopped by the server");
    assert_eq!(reason.as_deref(), Some("the server's disk is full"));

    // The live session goes on: frames sent after the stop still reach the viewer.
    let after = i;
    publisher
        .send_frames(after..after + 30, Duration::from_millis(20))
        .await;
    let viewed = access_units(&viewer.packets_until((after + 29) * 3000).await);
    assert!(
        viewed.iter().any(|(t, _)| *t == (after + 29) * 3000),
        "the viewer still gets the video"
    );
    drop(server);
}
