//! What every request handler shares.

use crate::rooms::RoomRegistry;
use crate::sfu::SfuHandle;
use crate::store::RoomStore;
use spotter_protocol::{Annotation, AnnotationId, RoomId};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub rooms: RoomRegistry,
    pub sfu: SfuHandle,
    pub store: Arc<dyn RoomStore>,
}

impl AppState {
    /// Stores a resolved annotation. A storage failure is logged: the live session goes on and
    /// the annotation stays in memory.
    pub fn persist_put(&self, room: &RoomId, annotation: &Annotation) {
        if let Err(e) = self.store.put_annotation(room, annotation) {
            tracing::error!(%room, id = %annotation.id, "storing an annotation failed: {e:#}");
        }
    }

    pub fn persist_delete(&self, room: &RoomId, id: &AnnotationId) {
        if let Err(e) = self.store.delete_annotation(room, id) {
            tracing::error!(%room, %id, "deleting a stored annotation failed: {e:#}");
        }
    }
}
