//! The authoritative annotation state of one room: a pure, versioned state machine.
//!
//! An expert's request becomes *pending* under a fresh id; the headset's answer either resolves
//! it (it becomes visible to everyone) or fails it. Deleted annotations stay as tombstones with
//! the version that deleted them, so a replay can apply the changes in order. Every change
//! returns the entry to store.

use crate::store::{StoredAnnotation, StoredRoom};
use spotter_protocol::{
    Annotation, AnnotationId, AnnotationRequest, ErrorCode, ParticipantId, ProtocolError,
};
use std::collections::HashMap;

/// Live and pending annotations a room may hold; a mark beyond it is refused.
pub const MAX_ANNOTATIONS: usize = 500;

/// A request sent to the headset and not yet answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub author: ParticipantId,
    pub client_ref: u32,
    pub request: AnnotationRequest,
}

#[derive(Debug, Default)]
pub struct AnnotationState {
    entries: Vec<StoredAnnotation>,
    live: usize,
    pending: HashMap<AnnotationId, Pending>,
    last_id: u64,
    version: u64,
}

impl AnnotationState {
    /// The state as stored.
    pub fn from_stored(stored: StoredRoom) -> Self {
        let highest = stored
            .entries
            .iter()
            .filter_map(|e| e.annotation.id.sequence())
            .max()
            .unwrap_or(0);
        Self {
            live: stored
                .entries
                .iter()
                .filter(|e| e.deleted_in_version.is_none())
                .count(),
            entries: stored.entries,
            pending: HashMap::new(),
            last_id: stored.last_id.max(highest),
            version: stored.version,
        }
    }

    /// Records a request and returns the id the headset must resolve it under.
    pub fn request(&mut self, pending: Pending) -> Result<AnnotationId, ProtocolError> {
        if self.live + self.pending.len() >= MAX_ANNOTATIONS {
            return Err(ProtocolError::new(
                ErrorCode::LimitReached,
                format!(
                    "the room holds {MAX_ANNOTATIONS} marks, the most it may: delete some first"
                ),
            ));
        }
        self.last_id += 1;
        let id = AnnotationId::from_sequence(self.last_id);
        self.pending.insert(id.clone(), pending);
        Ok(id)
    }

    /// Accepts the headset's resolution of a pending request. The author, colour and frame come
    /// from the request, not from the headset.
    pub fn resolve(
        &mut self,
        mut annotation: Annotation,
    ) -> Result<&StoredAnnotation, ProtocolError> {
        let pending = self.pending.remove(&annotation.id).ok_or_else(|| {
            ProtocolError::new(
                ErrorCode::UnknownAnnotation,
                format!("no pending annotation {}", annotation.id),
            )
        })?;
        if annotation.kind != pending.request.kind {
            self.pending.insert(annotation.id.clone(), pending);
            return Err(ProtocolError::new(
                ErrorCode::InvalidValue,
                "resolved annotation is of another kind than requested",
            ));
        }
        annotation.author = pending.author;
        annotation.color = pending.request.color;
        annotation.frame_rtp_timestamp = pending.request.frame_rtp_timestamp;
        self.version += 1;
        self.live += 1;
        self.entries.push(StoredAnnotation {
            annotation,
            deleted_in_version: None,
        });
        Ok(self.entries.last().expect("just pushed"))
    }

    /// Removes a pending request that failed or timed out, returning who asked for it.
    pub fn fail(&mut self, id: &AnnotationId) -> Option<Pending> {
        self.pending.remove(id)
    }

    /// Pending requests, e.g. to fail them all when the headset leaves.
    pub fn take_all_pending(&mut self) -> Vec<(AnnotationId, Pending)> {
        self.pending.drain().collect()
    }

    /// Deletes a live annotation, keeping it as a tombstone.
    pub fn delete(&mut self, id: &AnnotationId) -> Result<&StoredAnnotation, ProtocolError> {
        let entry = self
            .entries
            .iter_mut()
            .find(|e| &e.annotation.id == id && e.deleted_in_version.is_none())
            .ok_or_else(|| {
                ProtocolError::new(
                    ErrorCode::UnknownAnnotation,
                    format!("annotation {id} does not exist or was already deleted"),
                )
            })?;
        self.version += 1;
        self.live -= 1;
        entry.deleted_in_version = Some(self.version);
        Ok(entry)
    }

    /// The live annotations, oldest first: what a late joiner receives.
    pub fn snapshot(&self) -> Vec<Annotation> {
        self.entries
            .iter()
            .filter(|e| e.deleted_in_version.is_none())
            .map(|e| e.annotation.clone())
            .collect()
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// How many annotations are live (not deleted).
    pub fn live(&self) -> usize {
        self.live
    }

    /// The highest id sequence number handed out so far.
    pub fn last_id(&self) -> u64 {
        self.last_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::{Vec2, Vec3};
    use spotter_protocol::{Anchor, AnnotationKind, Pose};

    fn point_request() -> Pending {
        Pending {
            author: "p-expert".into(),
            client_ref: 9,
            request: AnnotationRequest {
                kind: AnnotationKind::Point,
                frame_rtp_timestamp: 4242,
                points: vec![Vec2::new(0.5, 0.5)],
                color: "#ff2d95".into(),
            },
        }
    }

    fn resolved(id: &AnnotationId) -> Annotation {
        Annotation {
            id: id.clone(),
            kind: AnnotationKind::Point,
            author: "spoofed".into(),
            color: "#000000".into(),
            anchor: Anchor::Equipment {
                equipment_id: "pump-1".into(),
                pose: Pose::IDENTITY,
            },
            points: vec![Vec3::new(0.0, 0.5, 0.3)],
            frame_rtp_timestamp: 0,
        }
    }

    #[test]
    fn a_request_becomes_visible_only_once_resolved() {
        let mut state = AnnotationState::default();
        let id = state.request(point_request()).unwrap();
        assert!(state.snapshot().is_empty());
        assert_eq!(state.version(), 0);
        let added = state.resolve(resolved(&id)).unwrap().annotation.clone();
        assert_eq!(
            added.author.as_str(),
            "p-expert",
            "author comes from the request"
        );
        assert_eq!(added.color, "#ff2d95");
        assert_eq!(added.frame_rtp_timestamp, 4242);
        assert_eq!(state.snapshot(), vec![added]);
        assert_eq!(state.version(), 1);
    }

    #[test]
    fn resolving_twice_or_an_unknown_id_is_refused() {
        let mut state = AnnotationState::default();
        let id = state.request(point_request()).unwrap();
        state.resolve(resolved(&id)).unwrap();
        let err = state.resolve(resolved(&id)).unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownAnnotation);
        assert_eq!(state.snapshot().len(), 1);
    }

    #[test]
    fn a_failed_request_leaves_nothing_behind() {
        let mut state = AnnotationState::default();
        let id = state.request(point_request()).unwrap();
        let pending = state.fail(&id).unwrap();
        assert_eq!(pending.client_ref, 9);
        assert!(state.fail(&id).is_none());
        assert!(state.resolve(resolved(&id)).is_err());
        assert!(state.snapshot().is_empty());
    }

    #[test]
    fn delete_leaves_a_tombstone_and_bumps_the_version() {
        let mut state = AnnotationState::default();
        let a = state.request(point_request()).unwrap();
        let b = state.request(point_request()).unwrap();
        assert_ne!(a, b);
        state.resolve(resolved(&a)).unwrap();
        state.resolve(resolved(&b)).unwrap();
        let tombstone = state.delete(&a).unwrap();
        assert_eq!(tombstone.deleted_in_version, Some(3));
        assert_eq!(state.version(), 3);
        let ids: Vec<_> = state.snapshot().into_iter().map(|x| x.id).collect();
        assert_eq!(ids, vec![b]);
        assert_eq!(
            state.delete(&a).unwrap_err().code,
            ErrorCode::UnknownAnnotation
        );
    }

    #[test]
    fn a_late_joiner_snapshot_holds_every_live_annotation_in_order() {
        let mut state = AnnotationState::default();
        let ids: Vec<_> = (0..5)
            .map(|_| state.request(point_request()).unwrap())
            .collect();
        for id in ids.iter().rev() {
            state.resolve(resolved(id)).unwrap();
        }
        let snapshot: Vec<_> = state.snapshot().into_iter().map(|a| a.id).collect();
        assert_eq!(snapshot, ids.iter().rev().cloned().collect::<Vec<_>>());
    }

    #[test]
    fn reloaded_state_never_reuses_an_id_even_of_a_deleted_newest_mark() {
        let mut state = AnnotationState::default();
        let a = state.request(point_request()).unwrap();
        state.resolve(resolved(&a)).unwrap();
        let b = state.request(point_request()).unwrap();
        let stored_b = state.resolve(resolved(&b)).unwrap().clone();
        let tombstone = state.delete(&b).unwrap().clone();
        let stored = StoredRoom {
            entries: vec![
                StoredAnnotation {
                    annotation: state.snapshot()[0].clone(),
                    deleted_in_version: None,
                },
                tombstone,
            ],
            version: state.version(),
            last_id: state.last_id(),
            ..StoredRoom::default()
        };
        let mut reloaded = AnnotationState::from_stored(stored);
        assert_eq!(reloaded.version(), 3);
        assert_eq!(reloaded.snapshot().len(), 1);
        let next = reloaded.request(point_request()).unwrap();
        assert!(next != a && next != stored_b.annotation.id, "{next} reused");
    }

    #[test]
    fn a_full_room_refuses_more_marks() {
        let mut state = AnnotationState::default();
        for _ in 0..MAX_ANNOTATIONS {
            state.request(point_request()).unwrap();
        }
        let err = state.request(point_request()).unwrap_err();
        assert_eq!(err.code, ErrorCode::LimitReached);
    }
}
