//! The authoritative annotation state of one room: a pure, versioned state machine.
//!
//! An expert's request becomes *pending* under a fresh id; the headset's answer either resolves
//! it (it becomes visible to everyone) or fails it. Deleted annotations stay as tombstones with
//! the version that deleted them, so a replay can apply the changes in order.

use spotter_protocol::{
    Annotation, AnnotationId, AnnotationRequest, ErrorCode, ParticipantId, ProtocolError,
};
use std::collections::HashMap;

/// A request sent to the headset and not yet answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub author: ParticipantId,
    pub client_ref: u32,
    pub request: AnnotationRequest,
}

#[derive(Debug, Clone)]
struct Entry {
    annotation: Annotation,
    deleted_in_version: Option<u64>,
}

#[derive(Debug, Default)]
pub struct AnnotationState {
    entries: Vec<Entry>,
    pending: HashMap<AnnotationId, Pending>,
    next_id: u64,
    version: u64,
}

impl AnnotationState {
    /// A state holding `annotations` (as loaded from storage), at version `annotations.len()`.
    pub fn from_annotations(annotations: Vec<Annotation>) -> Self {
        let next_id = annotations
            .iter()
            .filter_map(|a| a.id.as_str().strip_prefix("a-")?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        Self {
            version: annotations.len() as u64,
            entries: annotations
                .into_iter()
                .map(|annotation| Entry {
                    annotation,
                    deleted_in_version: None,
                })
                .collect(),
            pending: HashMap::new(),
            next_id,
        }
    }

    /// Records a request and returns the id the headset must resolve it under.
    pub fn request(&mut self, pending: Pending) -> AnnotationId {
        self.next_id += 1;
        let id = AnnotationId::new(format!("a-{}", self.next_id));
        self.pending.insert(id.clone(), pending);
        id
    }

    /// Accepts the headset's resolution of a pending request. The author and colour come from
    /// the request, not from the headset.
    pub fn resolve(&mut self, mut annotation: Annotation) -> Result<Annotation, ProtocolError> {
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
        self.entries.push(Entry {
            annotation: annotation.clone(),
            deleted_in_version: None,
        });
        Ok(annotation)
    }

    /// Removes a pending request that failed or timed out, returning who asked for it.
    pub fn fail(&mut self, id: &AnnotationId) -> Option<Pending> {
        self.pending.remove(id)
    }

    /// Pending requests, e.g. to fail them all when the headset leaves.
    pub fn take_all_pending(&mut self) -> Vec<(AnnotationId, Pending)> {
        self.pending.drain().collect()
    }

    pub fn delete(&mut self, id: &AnnotationId) -> Result<(), ProtocolError> {
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
        entry.deleted_in_version = Some(self.version);
        Ok(())
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
        let id = state.request(point_request());
        assert!(state.snapshot().is_empty());
        assert_eq!(state.version(), 0);
        let added = state.resolve(resolved(&id)).unwrap();
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
        let id = state.request(point_request());
        state.resolve(resolved(&id)).unwrap();
        let err = state.resolve(resolved(&id)).unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownAnnotation);
        assert_eq!(state.snapshot().len(), 1);
    }

    #[test]
    fn a_failed_request_leaves_nothing_behind() {
        let mut state = AnnotationState::default();
        let id = state.request(point_request());
        let pending = state.fail(&id).unwrap();
        assert_eq!(pending.client_ref, 9);
        assert!(state.fail(&id).is_none());
        assert!(state.resolve(resolved(&id)).is_err());
        assert!(state.snapshot().is_empty());
    }

    #[test]
    fn delete_removes_from_the_snapshot_and_bumps_the_version() {
        let mut state = AnnotationState::default();
        let a = state.request(point_request());
        let b = state.request(point_request());
        assert_ne!(a, b);
        state.resolve(resolved(&a)).unwrap();
        state.resolve(resolved(&b)).unwrap();
        state.delete(&a).unwrap();
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
        let ids: Vec<_> = (0..5).map(|_| state.request(point_request())).collect();
        for id in ids.iter().rev() {
            state.resolve(resolved(id)).unwrap();
        }
        let snapshot: Vec<_> = state.snapshot().into_iter().map(|a| a.id).collect();
        assert_eq!(snapshot, ids.iter().rev().cloned().collect::<Vec<_>>());
        // Reloaded from storage, new ids do not collide with old ones.
        let mut reloaded = AnnotationState::from_annotations(state.snapshot());
        let next = reloaded.request(point_request());
        assert!(!ids.contains(&next), "{next} collides");
    }
}
