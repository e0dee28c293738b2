//! The authoritative annotation state of one room: a pure, versioned state machine over the
//! room's journal.
//!
//! An expert's request becomes *pending* under a fresh id; the headset's answer either resolves
//! it (it becomes visible to everyone) or fails it. Deleted annotations stay as tombstones with
//! the version that deleted them. Each operation only checks and returns the change to
//! journal; [`AnnotationState::apply`] makes it, so that the live room and a fold of the
//! journal (after a restart, or in a replay) go through the same code.

use crate::store::StoredAnnotation;
use spotter_protocol::{
    Annotation, AnnotationId, AnnotationRequest, ErrorCode, ParticipantId, ProtocolError,
    RoomChange,
};
use std::collections::BTreeMap;

/// Live and pending annotations a room may hold; a mark beyond it is refused.
pub const MAX_ANNOTATIONS: usize = 500;

/// A request sent to the headset and not yet answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub author: ParticipantId,
    pub client_ref: u32,
    pub request: AnnotationRequest,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnnotationState {
    /// In the order they were resolved, tombstones included.
    entries: Vec<StoredAnnotation>,
    live: usize,
    pending: BTreeMap<AnnotationId, Pending>,
    last_id: u64,
    version: u64,
}

impl AnnotationState {
    /// A request, checked: the fresh id it gets, and the change that makes it pending.
    pub fn request(
        &self,
        author: &ParticipantId,
        client_ref: u32,
        request: AnnotationRequest,
    ) -> Result<(AnnotationId, RoomChange), ProtocolError> {
        if self.live + self.pending.len() >= MAX_ANNOTATIONS {
            return Err(ProtocolError::new(
                ErrorCode::LimitReached,
                format!(
                    "the room holds {MAX_ANNOTATIONS} marks, the most it may: delete some first"
                ),
            ));
        }
        let annotation_id = AnnotationId::from_sequence(self.last_id + 1);
        let change = RoomChange::MarkRequested {
            annotation_id: annotation_id.clone(),
            author: author.clone(),
            client_ref,
            request,
        };
        Ok((annotation_id, change))
    }

    /// The headset's resolution of a pending request, checked. The author, colour and frame
    /// come from the request, not from the headset. Returns the annotation as it will be shown,
    /// and the change.
    pub fn resolve(
        &self,
        mut annotation: Annotation,
    ) -> Result<(Annotation, RoomChange), ProtocolError> {
        let pending = self.pending.get(&annotation.id).ok_or_else(|| {
            ProtocolError::new(
                ErrorCode::UnknownAnnotation,
                format!("no pending annotation {}", annotation.id),
            )
        })?;
        if annotation.kind != pending.request.kind {
            return Err(ProtocolError::new(
                ErrorCode::InvalidValue,
                "resolved annotation is of another kind than requested",
            ));
        }
        annotation.author = pending.author.clone();
        annotation.color = pending.request.color.clone();
        annotation.frame_rtp_timestamp = pending.request.frame_rtp_timestamp;
        // Nobody has seen it yet, whatever the headset sent.
        annotation.acknowledged_by = None;
        let change = RoomChange::MarkResolved {
            annotation: annotation.clone(),
        };
        Ok((annotation, change))
    }

    /// A pending request that failed or timed out: the change, and who asked for it.
    pub fn fail(&self, id: &AnnotationId, code: ErrorCode) -> Option<(RoomChange, Pending)> {
        let pending = self.pending.get(id)?.clone();
        let change = RoomChange::MarkFailed {
            annotation_id: id.clone(),
            code,
        };
        Some((change, pending))
    }

    /// The pending requests, e.g. to fail them all when the headset leaves.
    pub fn pending(&self) -> Vec<(AnnotationId, Pending)> {
        self.pending
            .iter()
            .map(|(id, p)| (id.clone(), p.clone()))
            .collect()
    }

    /// The deletion of a live annotation, checked.
    pub fn delete(
        &self,
        id: &AnnotationId,
        by: &ParticipantId,
    ) -> Result<RoomChange, ProtocolError> {
        self.ensure_live(id)?;
        Ok(RoomChange::MarkDeleted {
            annotation_id: id.clone(),
            by: by.clone(),
        })
    }

    /// The technician `by` acknowledging mark `id`.
    pub fn acknowledge(
        &self,
        id: &AnnotationId,
        by: &ParticipantId,
    ) -> Result<RoomChange, ProtocolError> {
        self.ensure_live(id)?;
        Ok(RoomChange::MarkAcknowledged {
            annotation_id: id.clone(),
            by: by.clone(),
        })
    }

    /// Makes a change (one of the mark changes; the others are not this state's).
    pub fn apply(&mut self, change: &RoomChange) {
        match change {
            RoomChange::MarkRequested {
                annotation_id,
                author,
                client_ref,
                request,
            } => {
                self.note_id(annotation_id);
                let pending = Pending {
                    author: author.clone(),
                    client_ref: *client_ref,
                    request: request.clone(),
                };
                self.pending.insert(annotation_id.clone(), pending);
            }
            RoomChange::MarkResolved { annotation } => {
                self.note_id(&annotation.id);
                self.pending.remove(&annotation.id);
                self.version += 1;
                self.live += 1;
                self.entries.push(StoredAnnotation {
                    annotation: annotation.clone(),
                    deleted_in_version: None,
                });
            }
            RoomChange::MarkFailed { annotation_id, .. } => {
                self.pending.remove(annotation_id);
            }
            RoomChange::MarkAcknowledged { annotation_id, by } => {
                if let Some(entry) = self.live_entry_mut(annotation_id) {
                    entry.annotation.acknowledged_by = Some(by.clone());
                }
            }
            RoomChange::MarkDeleted { annotation_id, .. } => {
                let version = self.version + 1;
                if let Some(entry) = self.live_entry_mut(annotation_id) {
                    entry.deleted_in_version = Some(version);
                    self.version = version;
                    self.live -= 1;
                }
            }
            _ => {}
        }
    }

    /// Keeps ids and the version above what a database written before the journal counted,
    /// so that no id is handed out twice across the upgrade.
    pub fn raise_counters(&mut self, version: u64, last_id: u64) {
        self.version = self.version.max(version);
        self.last_id = self.last_id.max(last_id);
    }

    fn note_id(&mut self, id: &AnnotationId) {
        if let Some(n) = id.sequence() {
            self.last_id = self.last_id.max(n);
        }
    }

    /// Mark `id` is there to change; the error otherwise.
    fn ensure_live(&self, id: &AnnotationId) -> Result<(), ProtocolError> {
        match self.live_entry(id) {
            Some(_) => Ok(()),
            None => Err(ProtocolError::new(
                ErrorCode::UnknownAnnotation,
                format!("annotation {id} does not exist or was already deleted"),
            )),
        }
    }

    fn live_entry(&self, id: &AnnotationId) -> Option<&StoredAnnotation> {
        self.entries
            .iter()
            .find(|e| &e.annotation.id == id && e.deleted_in_version.is_none())
    }

    fn live_entry_mut(&mut self, id: &AnnotationId) -> Option<&mut StoredAnnotation> {
        self.entries
            .iter_mut()
            .find(|e| &e.annotation.id == id && e.deleted_in_version.is_none())
    }

    /// The live annotations in the order they were resolved: what a late joiner receives.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::{Vec2, Vec3};
    use spotter_protocol::{Anchor, AnnotationKind, Pose};

    fn expert() -> ParticipantId {
        "p-expert".into()
    }

    fn point_request() -> AnnotationRequest {
        AnnotationRequest {
            kind: AnnotationKind::Point,
            frame_rtp_timestamp: 4242,
            points: vec![Vec2::new(0.5, 0.5)],
            color: "#ff2d95".into(),
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
            surface: spotter_protocol::SurfaceQuality::Exact,
            acknowledged_by: None,
        }
    }

    /// Applies a checked change, as the room does once it is journaled.
    fn make(state: &mut AnnotationState, change: Result<RoomChange, ProtocolError>) -> RoomChange {
        let change = change.unwrap();
        state.apply(&change);
        change
    }

    fn request(state: &mut AnnotationState) -> AnnotationId {
        let (id, change) = state.request(&expert(), 9, point_request()).unwrap();
        state.apply(&change);
        id
    }

    fn resolve(state: &mut AnnotationState, id: &AnnotationId) -> Annotation {
        let (annotation, change) = state.resolve(resolved(id)).unwrap();
        state.apply(&change);
        annotation
    }

    #[test]
    fn a_request_becomes_visible_only_once_resolved() {
        let mut state = AnnotationState::default();
        let id = request(&mut state);
        assert!(state.snapshot().is_empty());
        assert_eq!(state.version(), 0);
        let added = resolve(&mut state, &id);
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
    fn checking_a_change_changes_nothing() {
        let mut state = AnnotationState::default();
        let id = request(&mut state);
        let before = state.clone();
        state.resolve(resolved(&id)).unwrap();
        state.delete(&id, &expert()).unwrap_err();
        state.request(&expert(), 1, point_request()).unwrap();
        assert_eq!(state, before);
    }

    #[test]
    fn resolving_twice_or_an_unknown_id_is_refused() {
        let mut state = AnnotationState::default();
        let id = request(&mut state);
        resolve(&mut state, &id);
        let err = state.resolve(resolved(&id)).unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownAnnotation);
        assert_eq!(state.snapshot().len(), 1);
    }

    #[test]
    fn a_failed_request_leaves_nothing_behind() {
        let mut state = AnnotationState::default();
        let id = request(&mut state);
        let (change, pending) = state.fail(&id, ErrorCode::NoSurface).unwrap();
        assert_eq!(pending.client_ref, 9);
        state.apply(&change);
        assert!(state.fail(&id, ErrorCode::NoSurface).is_none());
        assert!(state.resolve(resolved(&id)).is_err());
        assert!(state.snapshot().is_empty());
    }

    #[test]
    fn delete_leaves_a_tombstone_and_bumps_the_version() {
        let mut state = AnnotationState::default();
        let a = request(&mut state);
        let b = request(&mut state);
        assert_ne!(a, b);
        resolve(&mut state, &a);
        resolve(&mut state, &b);
        let deletion = state.delete(&a, &expert());
        make(&mut state, deletion);
        assert_eq!(state.version(), 3);
        let ids: Vec<_> = state.snapshot().into_iter().map(|x| x.id).collect();
        assert_eq!(ids, vec![b]);
        assert_eq!(
            state.delete(&a, &expert()).unwrap_err().code,
            ErrorCode::UnknownAnnotation
        );
    }

    #[test]
    fn a_late_joiner_snapshot_holds_every_live_annotation_in_the_order_resolved() {
        let mut state = AnnotationState::default();
        let ids: Vec<_> = (0..5).map(|_| request(&mut state)).collect();
        for id in ids.iter().rev() {
            resolve(&mut state, id);
        }
        let snapshot: Vec<_> = state.snapshot().into_iter().map(|a| a.id).collect();
        assert_eq!(snapshot, ids.iter().rev().cloned().collect::<Vec<_>>());
    }

    #[test]
    fn the_changes_replayed_give_the_same_state_and_never_reuse_an_id() {
        let mut live = AnnotationState::default();
        let mut journal = Vec::new();
        let (a, b) = (
            AnnotationId::from_sequence(1),
            AnnotationId::from_sequence(2),
        );
        type Step<'a> = &'a dyn Fn(&AnnotationState) -> Result<RoomChange, ProtocolError>;
        let steps: [Step; 5] = [
            &|s| s.request(&expert(), 1, point_request()).map(|(_, c)| c),
            &|s| s.request(&expert(), 2, point_request()).map(|(_, c)| c),
            // Resolved in the other order than requested: the replay keeps the order resolved.
            &|s| s.resolve(resolved(&b)).map(|(_, c)| c),
            &|s| s.resolve(resolved(&a)).map(|(_, c)| c),
            &|s| s.delete(&a, &expert()),
        ];
        for step in steps {
            let checked = step(&live);
            journal.push(make(&mut live, checked));
        }

        let mut replayed = AnnotationState::default();
        for change in &journal {
            replayed.apply(change);
        }
        assert_eq!(replayed, live);
        let (next, _) = replayed.request(&expert(), 3, point_request()).unwrap();
        assert_eq!(
            next,
            AnnotationId::from_sequence(3),
            "ids are not handed out again"
        );
    }

    #[test]
    fn a_full_room_refuses_more_marks() {
        let mut state = AnnotationState::default();
        for _ in 0..MAX_ANNOTATIONS {
            request(&mut state);
        }
        let err = state.request(&expert(), 1, point_request()).unwrap_err();
        assert_eq!(err.code, ErrorCode::LimitReached);
    }
}
