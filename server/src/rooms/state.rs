//! A room's state as its journal makes it: the fold of its events, by one pure function.
//!
//! The live room applies each change here as it journals it, a restarted server folds the
//! stored journal, and a replay folds a recording's events up to the moment shown: all three
//! get the same state from the same events, in the same order.

use super::annotations::AnnotationState;
use spotter_protocol::{
    EquipmentInfo, JournalEvent, Participant, ParticipantId, RecordingStatus, RoomChange,
};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoomState {
    /// In the order they joined.
    pub participants: Vec<Participant>,
    pub annotations: AnnotationState,
    /// What the headset reported; kept when it leaves, replaced when one reports again.
    pub equipment: Vec<EquipmentInfo>,
    pub recording: Option<RecordingStatus>,
    /// The last event applied: the next one is `last_seq + 1`.
    pub last_seq: u64,
    /// Its time, so that the room's clock never runs backwards.
    pub last_at_ms: u64,
}

impl RoomState {
    /// The state the events make, applied in order.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a JournalEvent>) -> Self {
        let mut state = Self::default();
        for event in events {
            state.apply(event);
        }
        state
    }

    /// Applies one event. Total: an event the state does not expect (the journal is the
    /// authority, whatever the state thinks) changes what it names and nothing else.
    pub fn apply(&mut self, event: &JournalEvent) {
        self.last_seq = event.seq;
        self.last_at_ms = self.last_at_ms.max(event.at_ms);
        match &event.change {
            RoomChange::Joined { participant } => {
                self.participants.retain(|p| p.id != participant.id);
                self.participants.push(participant.clone());
            }
            RoomChange::Left { participant_id } => {
                self.participants.retain(|p| &p.id != participant_id)
            }
            RoomChange::Muted {
                participant_id,
                muted,
            } => {
                if let Some(p) = self.participant_mut(participant_id) {
                    p.muted = *muted;
                }
            }
            RoomChange::Away {
                participant_id,
                away,
            } => {
                if let Some(p) = self.participant_mut(participant_id) {
                    p.away = *away;
                }
            }
            RoomChange::Equipment { items } => self.equipment = items.clone(),
            RoomChange::RecordingStarted { recording_id, by } => {
                self.recording = Some(RecordingStatus {
                    recording_id: recording_id.clone(),
                    started_by: by.clone(),
                    started_at_ms: event.at_ms,
                })
            }
            RoomChange::RecordingStopped { recording_id, .. } => {
                if self
                    .recording
                    .as_ref()
                    .is_some_and(|r| &r.recording_id == recording_id)
                {
                    self.recording = None;
                }
            }
            RoomChange::MarkRequested { .. }
            | RoomChange::MarkResolved { .. }
            | RoomChange::MarkFailed { .. }
            | RoomChange::MarkDeleted { .. }
            | RoomChange::MarkAcknowledged { .. } => self.annotations.apply(&event.change),
        }
    }

    pub fn participant(&self, id: &ParticipantId) -> Option<&Participant> {
        self.participants.iter().find(|p| &p.id == id)
    }

    fn participant_mut(&mut self, id: &ParticipantId) -> Option<&mut Participant> {
        self.participants.iter_mut().find(|p| &p.id == id)
    }
}
