//! The recordings as the library shows them: their catalog entries and events (from the
//! store) and their files (in the recordings directory).

use super::writer::{FRAMES_FILE, VIDEO_FILE};
use crate::store::RoomStore;
use spotter_protocol::{
    ErrorCode, JournalEvent, ProtocolError, RecordingId, RecordingInfo, RoomId,
};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Closed when the server stops, so that the database closes with the store's writer.
#[derive(Clone)]
pub struct RecordingLibrary {
    store: Arc<Mutex<Option<Arc<dyn RoomStore>>>>,
    dir: PathBuf,
}

fn unknown(id: &RecordingId) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::UnknownRecording,
        format!("there is no recording {id} on this server"),
    )
}

fn unreadable(e: anyhow::Error) -> ProtocolError {
    tracing::error!("reading the recordings' catalog failed: {e:#}");
    ProtocolError::new(
        ErrorCode::Internal,
        "the recordings' catalog could not be read",
    )
}

impl RecordingLibrary {
    pub fn new(store: Arc<dyn RoomStore>, dir: PathBuf) -> Self {
        Self {
            store: Arc::new(Mutex::new(Some(store))),
            dir,
        }
    }

    /// Lets go of the store (the server is stopping).
    pub fn close(&self) {
        self.store.lock().unwrap().take();
    }

    fn store(&self) -> Result<Arc<dyn RoomStore>, ProtocolError> {
        self.store
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| ProtocolError::new(ErrorCode::Internal, "the server is shutting down"))
    }

    /// The recordings, oldest first; of `room` only when given.
    pub fn list(&self, room: Option<&RoomId>) -> Result<Vec<RecordingInfo>, ProtocolError> {
        let mut all = self.store()?.recordings().map_err(unreadable)?;
        all.retain(|r| room.is_none_or(|room| &r.room == room));
        Ok(all)
    }

    /// A recording's entry, `unknown_recording` when there is none (`invalid_value` for
    /// something that is not a recording id at all).
    pub fn get(&self, id: &str) -> Result<RecordingInfo, ProtocolError> {
        if !RecordingId::is_well_formed(id) {
            return Err(ProtocolError::new(
                ErrorCode::InvalidValue,
                "a recording id is r- and 16 hexadecimal digits",
            ));
        }
        let id = RecordingId::new(id);
        self.store()?
            .recording(&id)
            .map_err(unreadable)?
            .ok_or_else(|| unknown(&id))
    }

    pub fn events(&self, id: &RecordingId) -> Result<Vec<JournalEvent>, ProtocolError> {
        self.store()?.recording_events(id).map_err(unreadable)
    }

    /// The path of one of the recording's files: its video, a voice it lists, or its frame
    /// records; any other name is `unknown_recording` (nothing else is served from there).
    pub fn file(&self, info: &RecordingInfo, name: &str) -> Result<PathBuf, ProtocolError> {
        let known =
            name == VIDEO_FILE || name == FRAMES_FILE || info.voices.iter().any(|v| v.file == name);
        if !known {
            return Err(ProtocolError::new(
                ErrorCode::UnknownRecording,
                format!("recording {} has no file {name:?}", info.recording_id),
            ));
        }
        let path = self.dir.join(info.recording_id.as_str()).join(name);
        if !path.is_file() {
            return Err(ProtocolError::new(
                ErrorCode::UnknownRecording,
                format!(
                    "the file {name} of recording {} is missing on disk",
                    info.recording_id
                ),
            ));
        }
        Ok(path)
    }
}
