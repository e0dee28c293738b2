//! Journaling a room's changes: each gets the next sequence number and the server's time, is
//! applied to the room's state by the fold, and is queued to storage, all under the room's
//! lock, so that storage, the live state and everyone's messages see changes in one order.

use super::Room;
use crate::store::StoredRoom;
use spotter_protocol::{ErrorCode, JournalEvent, RoomChange};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Room {
    /// Journals one change and applies it; returns the event.
    pub(super) fn record(&mut self, change: RoomChange) -> JournalEvent {
        // The room's clock never runs backwards, even when the machine's does.
        let at_ms = unix_now_ms().max(self.state.last_at_ms);
        let event = JournalEvent {
            seq: self.state.last_seq + 1,
            at_ms,
            change,
        };
        // Made while a recording runs (its own stop included), the event is the recording's
        // too.
        let recording = match &event.change {
            RoomChange::RecordingStopped { recording_id, .. } => Some(recording_id.clone()),
            _ => None,
        };
        self.state.apply(&event);
        let recording = recording.or_else(|| {
            self.state
                .recording
                .as_ref()
                .map(|r| r.recording_id.clone())
        });
        self.persister
            .append(&self.id, event.clone(), recording.as_ref());
        event
    }

    /// A room stored before the journal existed: its annotations become journal events (in
    /// the order of their ids, the only order it kept), once, and its counters keep ids from
    /// being handed out again.
    pub(super) fn upgrade_legacy(&mut self, stored: &StoredRoom) {
        if !stored.journal.is_empty() {
            return;
        }
        for entry in &stored.legacy_annotations {
            self.record(RoomChange::MarkResolved {
                annotation: entry.annotation.clone(),
            });
        }
        let mut deleted: Vec<_> = stored
            .legacy_annotations
            .iter()
            .filter_map(|e| e.deleted_in_version.map(|v| (v, e)))
            .collect();
        deleted.sort_by_key(|(version, _)| *version);
        for (_, entry) in deleted {
            self.record(RoomChange::MarkDeleted {
                annotation_id: entry.annotation.id.clone(),
                by: entry.annotation.author.clone(),
            });
        }
        self.state
            .annotations
            .raise_counters(stored.legacy_version, stored.legacy_last_id);
    }

    /// At start-up nobody is connected: whoever the journal still has in the room left, the
    /// marks still waiting for a headset failed, and a recording still running stopped (the
    /// previous run ended without saying so: a crash, or a kill).
    pub(super) fn close_last_run(&mut self) {
        for participant in self.state.participants.clone() {
            self.record(RoomChange::Left {
                participant_id: participant.id,
            });
        }
        for (annotation_id, _) in self.state.annotations.pending() {
            self.record(RoomChange::MarkFailed {
                annotation_id,
                code: ErrorCode::NoTechnician,
            });
        }
        if self.state.recording.is_some() {
            let _ = self.stop_recording(None, Some("the server stopped while recording".into()));
        }
    }
}
