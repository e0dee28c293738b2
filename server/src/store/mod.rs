//! Embedded storage of rooms and their annotations (redb, one file in the data directory), and
//! the writer thread that applies changes in the order the rooms made them.
//!
//! The rest of the server sees only [`RoomStore`] and [`Persister`]; a clustered deployment
//! implements the trait over a shared database instead.

mod persister;
mod redb_store;

pub use persister::Persister;
pub use redb_store::RedbStore;

use serde::{Deserialize, Serialize};
use spotter_protocol::{Annotation, RoomId};
use std::collections::BTreeMap;

/// An annotation as stored: live, or a tombstone with the version that deleted it, so that a
/// replay can apply every change in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAnnotation {
    pub annotation: Annotation,
    pub deleted_in_version: Option<u64>,
}

/// A room's annotations and counters as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredRoom {
    /// Oldest first.
    pub entries: Vec<StoredAnnotation>,
    /// The room's annotation version.
    pub version: u64,
    /// The highest annotation sequence number handed out, so ids are never reused.
    pub last_id: u64,
}

/// Where rooms and annotations persist.
pub trait RoomStore: Send + Sync {
    fn load(&self) -> anyhow::Result<BTreeMap<RoomId, StoredRoom>>;
    fn create_room(&self, room: &RoomId) -> anyhow::Result<()>;
    /// Records one change, atomically: the entry as it now is, and the room's counters.
    fn save(
        &self,
        room: &RoomId,
        entry: &StoredAnnotation,
        version: u64,
        last_id: u64,
    ) -> anyhow::Result<()>;
}
