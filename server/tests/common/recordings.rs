//! Starting and stopping a room's recording as a participant would.

use super::next_message;
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
