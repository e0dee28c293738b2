//! Starting and stopping a room's recording: journaled like every change (so the recording
//! itself says who started and stopped it), shown to everyone in the room, and handed to the
//! recorder, all under the room's lock.

use super::{Room, RoomRegistry, unknown_room};
use crate::recording::RecorderCommand;
use spotter_protocol::{
    ErrorCode, ParticipantId, ProtocolError, RecordingId, RecordingInfo, RecordingStatus,
    RoomChange, RoomId, ServerMessage,
};

impl RoomRegistry {
    /// Starts recording `room`; `by` is absent when the server starts it (`[recording] auto`).
    pub fn start_recording(
        &self,
        room: &RoomId,
        by: Option<&ParticipantId>,
    ) -> Result<RecordingStatus, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        rooms
            .get_mut(room)
            .ok_or_else(unknown_room)?
            .start_recording(by)
    }

    /// Stops the recording of `room`: by a participant, or by the server (`by` absent), which
    /// then says why in `reason`.
    pub fn stop_recording(
        &self,
        room: &RoomId,
        by: Option<&ParticipantId>,
        reason: Option<String>,
    ) -> Result<RecordingId, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        rooms
            .get_mut(room)
            .ok_or_else(unknown_room)?
            .stop_recording(by, reason)
    }
}

impl Room {
    fn start_recording(
        &mut self,
        by: Option<&ParticipantId>,
    ) -> Result<RecordingStatus, ProtocolError> {
        if let Some(running) = &self.state.recording {
            return Err(ProtocolError::new(
                ErrorCode::AlreadyRecording,
                format!("the room is already recording ({})", running.recording_id),
            ));
        }
        // The replay starts from the room as it is now, then applies what follows.
        let initial = self.snapshot();
        let event = self.record(RoomChange::RecordingStarted {
            recording_id: RecordingId::fresh(rand::random()),
            by: by.cloned(),
        });
        let recording = self.state.recording.clone().ok_or_else(|| {
            ProtocolError::new(ErrorCode::Internal, "the recording did not start")
        })?;
        let info = RecordingInfo {
            recording_id: recording.recording_id.clone(),
            room: self.id.clone(),
            started_at_ms: event.at_ms,
            started_by: by.cloned(),
            stopped_at_ms: None,
            stopped_by: None,
            stop_reason: None,
            initial,
            media: None,
            voices: Vec::new(),
        };
        // Queued behind the start event, so the catalog never lacks a recording the journal
        // has started.
        self.persister.save_recording(info.clone());
        self.recorder.send(RecorderCommand::Start(Box::new(info)));
        self.broadcast(&ServerMessage::RecordingStarted {
            recording: recording.clone(),
        });
        Ok(recording)
    }

    pub(super) fn stop_recording(
        &mut self,
        by: Option<&ParticipantId>,
        reason: Option<String>,
    ) -> Result<RecordingId, ProtocolError> {
        let recording_id = self
            .state
            .recording
            .as_ref()
            .map(|running| running.recording_id.clone())
            .ok_or_else(|| {
                ProtocolError::new(ErrorCode::NotRecording, "the room is not recording")
            })?;
        let event = self.record(RoomChange::RecordingStopped {
            recording_id: recording_id.clone(),
            by: by.cloned(),
            reason: reason.clone(),
        });
        self.recorder.send(RecorderCommand::Stop {
            room: self.id.clone(),
            recording_id: recording_id.clone(),
            stopped_at_ms: event.at_ms,
            by: by.cloned(),
            reason: reason.clone(),
        });
        self.broadcast(&ServerMessage::RecordingStopped {
            recording_id: recording_id.clone(),
            by: by.cloned(),
            reason,
        });
        Ok(recording_id)
    }

    /// `[recording] auto`: the headset arrived, so the room records (unless it already does).
    pub(super) fn start_auto_recording(&mut self) {
        if self.auto_record && self.state.recording.is_none() {
            let _ = self.start_recording(None);
        }
    }

    /// The headset left: a recording the server started ends with it (one a person started
    /// goes on: the headset may be back in a moment, and they will stop it).
    pub(super) fn stop_auto_recording(&mut self) {
        if self
            .state
            .recording
            .as_ref()
            .is_some_and(|r| r.started_by.is_none())
        {
            let _ = self.stop_recording(None, Some("the headset left".into()));
        }
    }
}
