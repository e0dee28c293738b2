//! Starting and stopping a room's recording: journaled like every change (so the recording
//! itself says who started and stopped it) and shown to everyone in the room.

use super::{RoomRegistry, unknown_room};
use spotter_protocol::{
    ErrorCode, ParticipantId, ProtocolError, RecordingId, RecordingStatus, RoomChange, RoomId,
    ServerMessage,
};

impl RoomRegistry {
    /// Starts recording `room`; `by` is absent when the server starts it (`[recording] auto`).
    pub fn start_recording(
        &self,
        room: &RoomId,
        by: Option<&ParticipantId>,
    ) -> Result<RecordingStatus, ProtocolError> {
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        if let Some(running) = &r.state.recording {
            return Err(ProtocolError::new(
                ErrorCode::AlreadyRecording,
                format!("the room is already recording ({})", running.recording_id),
            ));
        }
        r.record(RoomChange::RecordingStarted {
            recording_id: RecordingId::fresh(rand::random()),
            by: by.cloned(),
        });
        let recording = r.state.recording.clone().ok_or_else(|| {
            ProtocolError::new(ErrorCode::Internal, "the recording did not start")
        })?;
        r.broadcast(&ServerMessage::RecordingStarted {
            recording: recording.clone(),
        });
        Ok(recording)
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
        let r = rooms.get_mut(room).ok_or_else(unknown_room)?;
        let recording_id = r
            .state
            .recording
            .as_ref()
            .map(|running| running.recording_id.clone())
            .ok_or_else(|| {
                ProtocolError::new(ErrorCode::NotRecording, "the room is not recording")
            })?;
        let change = RoomChange::RecordingStopped {
            recording_id: recording_id.clone(),
            by: by.cloned(),
            reason: reason.clone(),
        };
        r.record(change);
        r.broadcast(&ServerMessage::RecordingStopped {
            recording_id: recording_id.clone(),
            by: by.cloned(),
            reason,
        });
        Ok(recording_id)
    }
}
