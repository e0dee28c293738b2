//! Starting and stopping a room's recording as a participant would, and reading what it made.

use super::{LOOPBACK, TestServer, next_message};
use spotter_peer::Signaling;
use spotter_protocol::{ClientMessage, RecordingStatus, ServerMessage};
use std::time::Duration;

/// Starts the room's recording and waits until the room says it started.
pub async fn start_recording(participant: &mut Signaling) -> RecordingStatus {
    participant.send(&ClientMessage::StartRecording).unwrap();
    loop {
        if let ServerMessage::RecordingStarted { recording } = next_message(participant).await {
            return recording;
        }
    }
}

/// Stops it, and waits for the stopped entry (and its listing) to be stored.
pub async fn stop_recording(participant: &mut Signaling) {
    participant.send(&ClientMessage::StopRecording).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// What ffprobe (Debian's ffmpeg) reads in an MP4: the first stream's codec and the duration.
pub fn ffprobe(mp4: &[u8], name: &str) -> (String, f64) {
    let path = std::env::temp_dir().join(format!("spotter-probe-{name}.mp4"));
    std::fs::write(&path, mp4).unwrap();
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name:format=duration",
            "-of",
            "json",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe (Debian's ffmpeg) runs");
    let _ = std::fs::remove_file(&path);
    let probed: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    let codec = probed["streams"][0]["codec_name"]
        .as_str()
        .unwrap_or_default();
    let duration = probed["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok());
    (
        codec.to_owned(),
        duration.unwrap_or_else(|| panic!("no duration: {probed}")),
    )
}

/// `GET /api/recordings/{id}/export.mp4` with `credential`: the response's head and the MP4,
/// once the server answered 200.
pub async fn export(server: &TestServer, id: &str, credential: &str) -> (String, Vec<u8>) {
    let host = server.http.strip_prefix("http://").unwrap().to_owned();
    let (status, head, mp4) = super::http_request_bytes(
        LOOPBACK,
        server.http_addr(),
        "GET",
        &format!("/api/recordings/{id}/export.mp4"),
        &[("Host", &host)],
        Some(credential),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{head}");
    (head, mp4)
}
