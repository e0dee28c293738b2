//! Embedded storage of rooms, their journals and their invites (redb, one file in the data
//! directory), and the writer thread that applies changes in the order the rooms made them.
//!
//! The rest of the server sees only [`RoomStore`] and [`Persister`]; a clustered deployment
//! implements the trait over a shared database instead.

mod persister;
mod redb_listings;
mod redb_store;

pub use persister::Persister;
pub use redb_store::RedbStore;

use serde::{Deserialize, Serialize};
use spotter_protocol::{
    Annotation, Bookmark, JournalEvent, RecordingId, RecordingInfo, RecordingListing, RoomId,
};
use std::collections::BTreeMap;

/// An annotation: live, or a tombstone with the version that deleted it. Databases written
/// before the journal stored these; they are turned into journal events once, on load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAnnotation {
    pub annotation: Annotation,
    pub deleted_in_version: Option<u64>,
}

/// An invite this server issued, as stored: kept until it expires, so that a revoked one
/// stays refused for as long as its token would be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredInvite {
    /// The token's expiry, Unix seconds.
    pub expires_at: u64,
    pub revoked: bool,
}

/// A room's journal and invites as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredRoom {
    /// Every change in the room, in order.
    pub journal: Vec<JournalEvent>,
    /// Written before the journal existed (then `journal` is empty), in id order.
    pub legacy_annotations: Vec<StoredAnnotation>,
    /// Before the journal: the room's annotation version, and the highest annotation sequence
    /// number handed out, so ids are never reused.
    pub legacy_version: u64,
    pub legacy_last_id: u64,
    /// Tokens that carry another epoch are refused. Rooms stored before epochs existed have 0,
    /// the epoch of tokens that carry none, so their invites keep working.
    pub invite_epoch: u64,
    /// The invites issued in the current epoch and not forgotten yet, by invite id.
    pub invites: BTreeMap<String, StoredInvite>,
}

/// A journal event to store, and the recording running when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    pub room: RoomId,
    pub event: JournalEvent,
    pub recording: Option<RecordingId>,
}

/// Where rooms, their journals, invites and the recordings' catalog persist.
pub trait RoomStore: Send + Sync {
    fn load(&self) -> anyhow::Result<BTreeMap<RoomId, StoredRoom>>;
    /// Creates `room` with `invite_epoch`, unless it exists (then it is kept as it is).
    fn create_room(&self, room: &RoomId, invite_epoch: u64) -> anyhow::Result<()>;
    /// Appends events to their rooms' journals (and to the recording running when they
    /// happened, if any), all of them or none.
    fn append(&self, events: &[Appended]) -> anyhow::Result<()>;
    /// Records a recording's catalog entry as it now is, and beside it its listing, folded
    /// from the entry and the recording's events stored so far (once stopped, it is final:
    /// the room queues every event of a recording before its stopped entry).
    fn save_recording(&self, info: &RecordingInfo) -> anyhow::Result<()>;
    fn recording(&self, id: &RecordingId) -> anyhow::Result<Option<RecordingInfo>>;
    /// Every recording, oldest first.
    fn recordings(&self) -> anyhow::Result<Vec<RecordingInfo>>;
    /// Every recording's listing as last saved, in no particular order: what the library
    /// filters, without reading the catalog entries. Entries saved before listings existed
    /// get theirs folded and saved the first time.
    fn recording_listings(&self) -> anyhow::Result<Vec<RecordingListing>>;
    /// Closes the entry of a recording that the last run was killed in the middle of (one
    /// already closed stays as it is).
    fn close_interrupted_recording(
        &self,
        id: &RecordingId,
        stopped_at_ms: u64,
        reason: Option<String>,
    ) -> anyhow::Result<()> {
        match self.recording(id)? {
            Some(mut info) if info.stopped_at_ms.is_none() => {
                info.stopped_at_ms = Some(stopped_at_ms);
                info.stop_reason = reason;
                self.save_recording(&info)
            }
            _ => Ok(()),
        }
    }
    /// Adds a bookmark to recording `id`, numbered after its last one; returns it numbered.
    fn add_bookmark(&self, id: &RecordingId, bookmark: Bookmark) -> anyhow::Result<Bookmark>;
    /// The bookmarks of recording `id`, in the order they were added.
    fn bookmarks(&self, id: &RecordingId) -> anyhow::Result<Vec<Bookmark>>;
    /// Deletes recording `id`'s catalog entry, listing, events and bookmarks, and records `audit`
    /// (what was deleted, by whom) in the audit log, in one transaction.
    fn delete_recording(&self, id: &RecordingId, audit: &serde_json::Value) -> anyhow::Result<()>;
    /// The audit log, oldest first.
    fn audit_log(&self) -> anyhow::Result<Vec<serde_json::Value>>;
    /// The room's events made while `id` recorded, in order.
    fn recording_events(&self, id: &RecordingId) -> anyhow::Result<Vec<JournalEvent>>;
    /// Records an invite of `room` as it now is (issued or revoked), and forgets the room's
    /// invites that expired before `forget_before` (Unix seconds).
    fn save_invite(
        &self,
        room: &RoomId,
        invite_id: &str,
        invite: StoredInvite,
        forget_before: u64,
    ) -> anyhow::Result<()>;
    /// Gives `room` a new invite epoch and forgets its invites: their epoch is refused now.
    fn replace_invite_epoch(&self, room: &RoomId, invite_epoch: u64) -> anyhow::Result<()>;
    /// Removes `room` with its journal and invites.
    fn delete_room(&self, room: &RoomId) -> anyhow::Result<()>;
    /// The invites and epoch stored under `scope`, a key that is no room's (the library's
    /// invites); `None` when no epoch was ever stored there.
    fn scope_invites(&self, scope: &str) -> anyhow::Result<Option<StoredInvites>>;
}

/// An invite epoch and the invites issued in it, by invite id.
pub type StoredInvites = (u64, BTreeMap<String, StoredInvite>);
