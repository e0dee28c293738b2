//! The room's recording as the technician sees it: whether it runs and who started it (for the
//! light in the headset's own view), and the technician's own requests to start or stop it.

use spotter_protocol::{ClientMessage, ParticipantId, RecordingStatus, ServerMessage};

/// What the room is recording, kept from the join snapshot and the started/stopped messages.
#[derive(Debug, Default)]
pub struct RoomRecording {
    running: Option<RecordingStatus>,
}

/// What the headset's own view shows: the light while the room records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordingIndicator {
    pub recording: bool,
    /// Who started it; absent when the server did (`[recording] auto`).
    pub started_by: Option<ParticipantId>,
}

/// The technician asks to start or stop the room's recording: a key in window mode, a line
/// on standard input otherwise (what a voice command or a controller button will send).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingRequest {
    Start,
    Stop,
    /// Start when the room is not recording, stop when it is.
    Toggle,
}

impl RecordingRequest {
    /// The standard-input command: `record`, `stop` or `toggle`.
    pub fn parse(line: &str) -> Result<Self, String> {
        match line.trim() {
            "record" => Ok(Self::Start),
            "stop" => Ok(Self::Stop),
            "toggle" => Ok(Self::Toggle),
            other => Err(format!(
                "unknown command '{other}' (commands: record, stop, toggle)"
            )),
        }
    }
}

impl RoomRecording {
    pub fn new(running: Option<RecordingStatus>) -> Self {
        Self { running }
    }

    /// Follows a message from the server; true when the recording started or stopped.
    pub fn follow(&mut self, message: &ServerMessage) -> bool {
        match message {
            ServerMessage::RecordingStarted { recording } => {
                self.running = Some(recording.clone());
                true
            }
            ServerMessage::RecordingStopped { recording_id, .. } => {
                let was_running = self
                    .running
                    .as_ref()
                    .is_some_and(|r| &r.recording_id == recording_id);
                if was_running {
                    self.running = None;
                }
                was_running
            }
            _ => false,
        }
    }

    pub fn indicator(&self) -> RecordingIndicator {
        RecordingIndicator {
            recording: self.running.is_some(),
            started_by: self.running.as_ref().and_then(|r| r.started_by.clone()),
        }
    }

    /// The message that carries out `request`, if any: starting a room that already records
    /// (or stopping one that does not) needs none; the server would refuse it anyway.
    pub fn message_for(&self, request: RecordingRequest) -> Option<ClientMessage> {
        let recording = self.running.is_some();
        match (request, recording) {
            (RecordingRequest::Start, false) | (RecordingRequest::Toggle, false) => {
                Some(ClientMessage::StartRecording)
            }
            (RecordingRequest::Stop, true) | (RecordingRequest::Toggle, true) => {
                Some(ClientMessage::StopRecording)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotter_protocol::RecordingId;

    fn status(id: &str, by: Option<&str>) -> RecordingStatus {
        RecordingStatus {
            recording_id: RecordingId::from(id),
            started_by: by.map(ParticipantId::from),
            started_at_ms: 1,
        }
    }

    #[test]
    fn the_indicator_follows_the_rooms_recording_and_who_started_it() {
        let mut room = RoomRecording::new(None);
        assert_eq!(room.indicator(), RecordingIndicator::default());
        let started = ServerMessage::RecordingStarted {
            recording: status("r-0000000000000001", Some("p-2")),
        };
        assert!(room.follow(&started));
        assert_eq!(
            room.indicator(),
            RecordingIndicator {
                recording: true,
                started_by: Some(ParticipantId::from("p-2")),
            }
        );
        // A stop for some other recording (a stale message) leaves the light on.
        let stale = ServerMessage::RecordingStopped {
            recording_id: RecordingId::from("r-0000000000000009"),
            by: None,
            reason: None,
        };
        assert!(!room.follow(&stale));
        assert!(room.indicator().recording);
        let stopped = ServerMessage::RecordingStopped {
            recording_id: RecordingId::from("r-0000000000000001"),
            by: None,
            reason: Some("the disk is full".into()),
        };
        assert!(room.follow(&stopped));
        assert!(!room.indicator().recording);
    }

    #[test]
    fn a_room_joined_while_it_records_shows_the_light_and_a_toggle_stops_it() {
        let room = RoomRecording::new(Some(status("r-0000000000000001", None)));
        assert_eq!(
            room.indicator(),
            RecordingIndicator {
                recording: true,
                started_by: None,
            }
        );
        assert_eq!(
            room.message_for(RecordingRequest::Toggle),
            Some(ClientMessage::StopRecording)
        );
        assert_eq!(
            room.message_for(RecordingRequest::Stop),
            Some(ClientMessage::StopRecording)
        );
        assert_eq!(room.message_for(RecordingRequest::Start), None);
        let idle = RoomRecording::new(None);
        assert_eq!(
            idle.message_for(RecordingRequest::Toggle),
            Some(ClientMessage::StartRecording)
        );
        assert_eq!(idle.message_for(RecordingRequest::Stop), None);
    }

    #[test]
    fn standard_input_commands_name_each_request_and_refuse_others() {
        assert_eq!(
            RecordingRequest::parse("record\n"),
            Ok(RecordingRequest::Start)
        );
        assert_eq!(RecordingRequest::parse(" stop"), Ok(RecordingRequest::Stop));
        assert_eq!(
            RecordingRequest::parse("toggle"),
            Ok(RecordingRequest::Toggle)
        );
        let refused = RecordingRequest::parse("rec").unwrap_err();
        assert!(refused.contains("'rec'") && refused.contains("record, stop, toggle"));
    }
}
