//! [`RoomStore`] on redb: one file in the data directory.

use super::redb_listings::{RECORDING_LISTINGS, listings, save_listing};
use super::{Appended, RoomStore, StoredAnnotation, StoredInvite, StoredInvites, StoredRoom};
use anyhow::Context;
use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, Table, TableDefinition,
    WriteTransaction,
};
use spotter_protocol::{
    Bookmark, JournalEvent, RecordingId, RecordingInfo, RecordingListing, RoomId,
};
use std::collections::BTreeMap;
use std::path::Path;

/// Room → (annotation version, last annotation id) as counted before the journal; (0, 0) for
/// rooms created since.
const ROOMS: TableDefinition<&str, (u64, u64)> = TableDefinition::new("rooms");
/// (room, seq) → the `JournalEvent` as JSON: the room's journal in order.
const JOURNAL: TableDefinition<(&str, u64), &str> = TableDefinition::new("journal");
/// Recording id → its `RecordingInfo` as JSON.
pub(super) const RECORDINGS: TableDefinition<&str, &str> = TableDefinition::new("recordings");
/// (recording id, seq) → a `JournalEvent` of its room made while it recorded, as JSON: the
/// recording keeps its events when the room is deleted.
pub(super) const RECORDING_EVENTS: TableDefinition<(&str, u64), &str> =
    TableDefinition::new("recording_events");
/// (recording id, bookmark id) → a trainer's `Bookmark` as JSON.
const BOOKMARKS: TableDefinition<(&str, u64), &str> = TableDefinition::new("bookmarks");
/// n → an audit record as JSON (a recording's deletion: which, of which room, by whom, when).
const AUDIT: TableDefinition<u64, &str> = TableDefinition::new("audit");
/// Before the journal: (room, annotation sequence number) → the `StoredAnnotation` as JSON.
/// Read to turn old rooms' annotations into journal events, never written.
const ANNOTATIONS: TableDefinition<(&str, u64), &str> = TableDefinition::new("annotations");
/// Room → its invite epoch. A table of its own, so databases written before it still open:
/// their rooms have no row here, and epoch 0.
const INVITE_EPOCHS: TableDefinition<&str, u64> = TableDefinition::new("invite_epochs");
/// (room, invite id) → (expiry in Unix seconds, revoked).
const INVITES: TableDefinition<(&str, &str), (u64, bool)> = TableDefinition::new("invites");

type InviteTable<'t> = Table<'t, (&'static str, &'static str), (u64, bool)>;

pub struct RedbStore {
    pub(super) db: Database,
}

impl RedbStore {
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        crate::private_dir::create_private_dir(dir)?;
        let path = dir.join("spotter.redb");
        let db = Database::create(&path)
            .with_context(|| format!("opening the database {}", path.display()))?;
        crate::private_dir::make_private(&path)?;
        let store = Self { db };
        store.write(|txn| {
            txn.open_table(ROOMS)?;
            txn.open_table(JOURNAL)?;
            txn.open_table(RECORDINGS)?;
            txn.open_table(RECORDING_LISTINGS)?;
            txn.open_table(RECORDING_EVENTS)?;
            txn.open_table(BOOKMARKS)?;
            txn.open_table(AUDIT)?;
            txn.open_table(ANNOTATIONS)?;
            txn.open_table(INVITE_EPOCHS)?;
            txn.open_table(INVITES)?;
            Ok(())
        })?;
        Ok(store)
    }

    /// Runs `change` in one write transaction: all of it is stored, or none.
    pub(super) fn write(
        &self,
        change: impl FnOnce(&WriteTransaction) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let txn = self.db.begin_write()?;
        change(&txn)?;
        txn.commit()?;
        Ok(())
    }
}

impl RoomStore for RedbStore {
    fn load(&self) -> anyhow::Result<BTreeMap<RoomId, StoredRoom>> {
        let txn = self.db.begin_read()?;
        let mut rooms = load_rooms(&txn)?;
        load_journals(&txn, &mut rooms)?;
        load_annotations(&txn, &mut rooms)?;
        load_invites(&txn, &mut rooms)?;
        Ok(rooms)
    }

    fn create_room(&self, room: &RoomId, invite_epoch: u64) -> anyhow::Result<()> {
        self.write(|txn| {
            let mut rooms = txn.open_table(ROOMS)?;
            if rooms.get(room.as_str())?.is_none() {
                rooms.insert(room.as_str(), (0, 0))?;
                txn.open_table(INVITE_EPOCHS)?
                    .insert(room.as_str(), invite_epoch)?;
            }
            Ok(())
        })
    }

    fn append(&self, events: &[Appended]) -> anyhow::Result<()> {
        let rows = events
            .iter()
            .map(|a| Ok((a, serde_json::to_string(&a.event)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        self.write(|txn| {
            let mut journal = txn.open_table(JOURNAL)?;
            let mut recorded = txn.open_table(RECORDING_EVENTS)?;
            for (a, json) in &rows {
                journal.insert((a.room.as_str(), a.event.seq), json.as_str())?;
                if let Some(recording) = &a.recording {
                    recorded.insert((recording.as_str(), a.event.seq), json.as_str())?;
                }
            }
            Ok(())
        })
    }

    fn save_recording(&self, info: &RecordingInfo) -> anyhow::Result<()> {
        let json = serde_json::to_string(info)?;
        self.write(|txn| {
            txn.open_table(RECORDINGS)?
                .insert(info.recording_id.as_str(), json.as_str())?;
            save_listing(txn, info)
        })
    }

    fn recording(&self, id: &RecordingId) -> anyhow::Result<Option<RecordingInfo>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RECORDINGS)?;
        let Some(json) = table.get(id.as_str())? else {
            return Ok(None);
        };
        let info = serde_json::from_str(json.value())
            .with_context(|| format!("the catalog entry of recording {id} is damaged"))?;
        Ok(Some(info))
    }

    fn recordings(&self) -> anyhow::Result<Vec<RecordingInfo>> {
        let txn = self.db.begin_read()?;
        let mut all = Vec::new();
        for entry in txn.open_table(RECORDINGS)?.iter()? {
            let (id, json) = entry?;
            match serde_json::from_str::<RecordingInfo>(json.value()) {
                Ok(info) => all.push(info),
                // One damaged entry must not hide the rest of the library.
                Err(e) => {
                    tracing::error!(
                        recording = id.value(),
                        "a damaged catalog entry is left out: {e}"
                    )
                }
            }
        }
        all.sort_by_key(|r| r.started_at_ms);
        Ok(all)
    }

    fn recording_listings(&self) -> anyhow::Result<Vec<RecordingListing>> {
        listings(&self.db)
    }

    fn add_bookmark(&self, id: &RecordingId, mut bookmark: Bookmark) -> anyhow::Result<Bookmark> {
        self.write(|txn| {
            let mut bookmarks = txn.open_table(BOOKMARKS)?;
            let last = bookmarks
                .range((id.as_str(), 0)..=(id.as_str(), u64::MAX))?
                .next_back()
                .transpose()?
                .map_or(0, |(key, _)| key.value().1);
            bookmark.bookmark_id = last + 1;
            let json = serde_json::to_string(&bookmark)?;
            bookmarks.insert((id.as_str(), bookmark.bookmark_id), json.as_str())?;
            Ok(())
        })?;
        Ok(bookmark)
    }

    fn bookmarks(&self, id: &RecordingId) -> anyhow::Result<Vec<Bookmark>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(BOOKMARKS)?;
        let mut bookmarks = Vec::new();
        for entry in table.range((id.as_str(), 0)..=(id.as_str(), u64::MAX))? {
            let (key, json) = entry?;
            let bookmark = serde_json::from_str(json.value()).with_context(|| {
                format!("bookmark {} of recording {id} is damaged", key.value().1)
            })?;
            bookmarks.push(bookmark);
        }
        Ok(bookmarks)
    }

    fn delete_recording(&self, id: &RecordingId, audit: &serde_json::Value) -> anyhow::Result<()> {
        let audit = audit.to_string();
        self.write(|txn| {
            txn.open_table(RECORDINGS)?.remove(id.as_str())?;
            txn.open_table(RECORDING_LISTINGS)?.remove(id.as_str())?;
            let everything = || (id.as_str(), 0)..=(id.as_str(), u64::MAX);
            txn.open_table(RECORDING_EVENTS)?
                .retain_in(everything(), |_, _| false)?;
            txn.open_table(BOOKMARKS)?
                .retain_in(everything(), |_, _| false)?;
            let mut log = txn.open_table(AUDIT)?;
            let next = log.last()?.map_or(1, |(n, _)| n.value() + 1);
            log.insert(next, audit.as_str())?;
            Ok(())
        })
    }

    fn audit_log(&self) -> anyhow::Result<Vec<serde_json::Value>> {
        let txn = self.db.begin_read()?;
        let mut log = Vec::new();
        for entry in txn.open_table(AUDIT)?.iter()? {
            let (n, json) = entry?;
            let record = serde_json::from_str(json.value())
                .with_context(|| format!("audit record {} is damaged", n.value()))?;
            log.push(record);
        }
        Ok(log)
    }

    fn recording_events(&self, id: &RecordingId) -> anyhow::Result<Vec<JournalEvent>> {
        let txn = self.db.begin_read()?;
        recorded_events(&txn.open_table(RECORDING_EVENTS)?, id)?.collect()
    }

    fn save_invite(
        &self,
        room: &RoomId,
        invite_id: &str,
        invite: StoredInvite,
        forget_before: u64,
    ) -> anyhow::Result<()> {
        self.write(|txn| {
            let mut invites = txn.open_table(INVITES)?;
            invites.insert(
                (room.as_str(), invite_id),
                (invite.expires_at, invite.revoked),
            )?;
            remove_invites(&mut invites, room, |expires_at| expires_at < forget_before)
        })
    }

    fn replace_invite_epoch(&self, room: &RoomId, invite_epoch: u64) -> anyhow::Result<()> {
        self.write(|txn| {
            txn.open_table(INVITE_EPOCHS)?
                .insert(room.as_str(), invite_epoch)?;
            remove_invites(&mut txn.open_table(INVITES)?, room, |_| true)
        })
    }

    fn scope_invites(&self, scope: &str) -> anyhow::Result<Option<StoredInvites>> {
        let txn = self.db.begin_read()?;
        let Some(epoch) = txn
            .open_table(INVITE_EPOCHS)?
            .get(scope)?
            .map(|e| e.value())
        else {
            return Ok(None);
        };
        let invites = invites_in_scope(&txn.open_table(INVITES)?, scope)?;
        Ok(Some((epoch, invites.into_iter().collect())))
    }

    fn delete_room(&self, room: &RoomId) -> anyhow::Result<()> {
        self.write(|txn| {
            txn.open_table(ROOMS)?.remove(room.as_str())?;
            txn.open_table(INVITE_EPOCHS)?.remove(room.as_str())?;
            let everything = || (room.as_str(), 0)..=(room.as_str(), u64::MAX);
            txn.open_table(JOURNAL)?
                .retain_in(everything(), |_, _| false)?;
            txn.open_table(ANNOTATIONS)?
                .retain_in(everything(), |_, _| false)?;
            remove_invites(&mut txn.open_table(INVITES)?, room, |_| true)
        })
    }
}

/// The events stored for recording `id`, in order, each parsed (an error names a damaged one).
pub(super) fn recorded_events<'t>(
    table: &'t impl ReadableTable<(&'static str, u64), &'static str>,
    id: &'t RecordingId,
) -> anyhow::Result<impl Iterator<Item = anyhow::Result<JournalEvent>> + 't> {
    let range = table.range((id.as_str(), 0)..=(id.as_str(), u64::MAX))?;
    Ok(range.map(move |entry| {
        let (key, json) = entry?;
        serde_json::from_str(json.value())
            .with_context(|| format!("event {} of recording {id} is damaged", key.value().1))
    }))
}

fn load_rooms(txn: &ReadTransaction) -> anyhow::Result<BTreeMap<RoomId, StoredRoom>> {
    let mut rooms = BTreeMap::new();
    let epochs = txn.open_table(INVITE_EPOCHS)?;
    for entry in txn.open_table(ROOMS)?.iter()? {
        let (room, counters) = entry?;
        let (legacy_version, legacy_last_id) = counters.value();
        let invite_epoch = epochs.get(room.value())?.map_or(0, |e| e.value());
        rooms.insert(
            RoomId::new(room.value()),
            StoredRoom {
                legacy_version,
                legacy_last_id,
                invite_epoch,
                ..StoredRoom::default()
            },
        );
    }
    Ok(rooms)
}

/// Each room's journal, in order. A damaged event stops the load with where it is: folding the
/// journal without it would give a state nobody saw.
fn load_journals(
    txn: &ReadTransaction,
    rooms: &mut BTreeMap<RoomId, StoredRoom>,
) -> anyhow::Result<()> {
    for entry in txn.open_table(JOURNAL)?.iter()? {
        let (key, json) = entry?;
        let (room, seq) = key.value();
        let event: JournalEvent = serde_json::from_str(json.value())
            .with_context(|| format!("event {seq} of the journal of room {room} is damaged"))?;
        if let Some(stored) = rooms.get_mut(&RoomId::new(room)) {
            stored.journal.push(event);
        }
    }
    Ok(())
}

fn load_annotations(
    txn: &ReadTransaction,
    rooms: &mut BTreeMap<RoomId, StoredRoom>,
) -> anyhow::Result<()> {
    for entry in txn.open_table(ANNOTATIONS)?.iter()? {
        let (key, json) = entry?;
        let (room, _) = key.value();
        let stored: StoredAnnotation = serde_json::from_str(json.value())
            .with_context(|| format!("a stored annotation of room {room} is corrupt"))?;
        rooms
            .entry(RoomId::new(room))
            .or_default()
            .legacy_annotations
            .push(stored);
    }
    Ok(())
}

fn load_invites(
    txn: &ReadTransaction,
    rooms: &mut BTreeMap<RoomId, StoredRoom>,
) -> anyhow::Result<()> {
    for entry in txn.open_table(INVITES)?.iter()? {
        let (key, value) = entry?;
        let (room, invite_id) = key.value();
        // A room is deleted with its invites, so every invite has its room.
        if let Some(stored) = rooms.get_mut(&RoomId::new(room)) {
            (stored.invites).insert(invite_id.to_owned(), stored_invite(value.value()));
        }
    }
    Ok(())
}

fn stored_invite((expires_at, revoked): (u64, bool)) -> StoredInvite {
    StoredInvite {
        expires_at,
        revoked,
    }
}

/// The invites issued in `scope` (a room's name, or the library's scope), by id.
fn invites_in_scope(
    invites: &impl ReadableTable<(&'static str, &'static str), (u64, bool)>,
    scope: &str,
) -> anyhow::Result<Vec<(String, StoredInvite)>> {
    let mut found = Vec::new();
    for entry in invites.range((scope, "")..)? {
        let (key, value) = entry?;
        let (of_scope, invite_id) = key.value();
        if of_scope != scope {
            break;
        }
        found.push((invite_id.to_owned(), stored_invite(value.value())));
    }
    Ok(found)
}

/// Removes the invites of `room` whose expiry `forget` picks.
fn remove_invites(
    invites: &mut InviteTable<'_>,
    room: &RoomId,
    forget: impl Fn(u64) -> bool,
) -> anyhow::Result<()> {
    for (invite_id, invite) in invites_in_scope(invites, room.as_str())? {
        if forget(invite.expires_at) {
            invites.remove((room.as_str(), invite_id.as_str()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Persister;
    use glam::Vec3;
    use spotter_protocol::{Anchor, Annotation, AnnotationKind, Pose, RoomChange};

    fn entry(id: &str, deleted_in_version: Option<u64>) -> StoredAnnotation {
        StoredAnnotation {
            annotation: Annotation {
                id: id.into(),
                kind: AnnotationKind::Point,
                author: "p-1".into(),
                color: "#ff2d95".into(),
                anchor: Anchor::World {
                    pose: Pose::IDENTITY,
                },
                points: vec![Vec3::new(1.0, 0.0, 2.0)],
                frame_rtp_timestamp: 1,
                surface: spotter_protocol::SurfaceQuality::Exact,
                acknowledged_by: None,
            },
            deleted_in_version,
        }
    }

    /// A data directory of its own for each test.
    fn data_dir(test: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("spotter-store-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn invite(expires_at: u64, revoked: bool) -> StoredInvite {
        StoredInvite {
            expires_at,
            revoked,
        }
    }

    fn resolved(seq: u64, id: &str) -> (RoomId, JournalEvent) {
        let event = JournalEvent {
            seq,
            at_ms: 1_000 + seq,
            change: RoomChange::MarkResolved {
                annotation: entry(id, None).annotation,
            },
        };
        (RoomId::new("demo"), event)
    }

    #[test]
    fn journal_events_survive_a_reopen_in_the_order_they_happened() {
        let dir = data_dir("journal");
        let room = RoomId::new("demo");
        let events = [resolved(1, "a-10"), resolved(2, "a-2"), resolved(3, "a-1")];
        {
            let persister = Persister::start(std::sync::Arc::new(RedbStore::open(&dir).unwrap()));
            persister.create_room(&room, 5);
            for (room, event) in &events {
                persister.append(room, event.clone(), None);
            }
            persister.stop();
        }
        let store = RedbStore::open(&dir).unwrap();
        let stored = &store.load().unwrap()[&room];
        let journal: Vec<_> = events.iter().map(|(_, e)| e.clone()).collect();
        assert_eq!(stored.journal, journal, "in journal order, not in id order");
        // Creating an existing room keeps its journal and its invite epoch.
        store.create_room(&room, 99).unwrap();
        let reloaded = &store.load().unwrap()[&room];
        assert_eq!((reloaded.journal.len(), reloaded.invite_epoch), (3, 5));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_journal_event_is_named_when_loading() {
        let dir = data_dir("damaged");
        let store = RedbStore::open(&dir).unwrap();
        store.create_room(&RoomId::new("demo"), 1).unwrap();
        let (room, event) = resolved(1, "a-1");
        store
            .append(&[Appended {
                room,
                event,
                recording: None,
            }])
            .unwrap();
        store
            .write(|txn| {
                txn.open_table(JOURNAL)?
                    .insert(("demo", 2), "{\"seq\":2,\"at_ms")?;
                Ok(())
            })
            .unwrap();
        let err = format!("{:#}", store.load().unwrap_err());
        assert!(
            err.contains("event 2 of the journal of room demo is damaged"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_database_from_before_the_journal_still_gives_its_marks_and_counters() {
        let dir = data_dir("legacy");
        let store = RedbStore::open(&dir).unwrap();
        store
            .write(|txn| {
                txn.open_table(ROOMS)?.insert("demo", (4, 10))?;
                let mut annotations = txn.open_table(ANNOTATIONS)?;
                for (n, deleted) in [(1, None), (2, Some(4)), (10, None)] {
                    let json = serde_json::to_string(&entry(&format!("a-{n}"), deleted))?;
                    annotations.insert(("demo", n), json.as_str())?;
                }
                Ok(())
            })
            .unwrap();
        let stored = &store.load().unwrap()[&RoomId::new("demo")];
        let ids: Vec<_> = stored
            .legacy_annotations
            .iter()
            .map(|e| (e.annotation.id.as_str(), e.deleted_in_version))
            .collect();
        assert_eq!(ids, [("a-1", None), ("a-2", Some(4)), ("a-10", None)]);
        assert_eq!((stored.legacy_version, stored.legacy_last_id), (4, 10));
        assert!(stored.journal.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn revocations_and_deletions_survive_a_reopen() {
        let dir = data_dir("revocations");
        let (line_1, line_2) = (RoomId::new("line-1"), RoomId::new("line-2"));
        {
            let persister = Persister::start(std::sync::Arc::new(RedbStore::open(&dir).unwrap()));
            persister.create_room(&line_1, 7);
            persister.save_invite(&line_1, "invite-a", invite(2000, false), 1000);
            persister.save_invite(&line_1, "invite-b", invite(2000, false), 1000);
            persister.save_invite(&line_1, "invite-a", invite(2000, true), 1000);
            // Expired long ago: forgotten by the next write of the room's invites.
            persister.save_invite(&line_1, "invite-old", invite(500, true), 400);
            persister.save_invite(&line_1, "invite-c", invite(3000, false), 1000);
            persister.create_room(&line_2, 8);
            let (_, event) = resolved(1, "a-1");
            persister.append(&line_2, event, None);
            persister.save_invite(&line_2, "invite-d", invite(2000, false), 1000);
            persister.replace_invite_epoch(&line_2, 9);
            persister.stop();
        }
        let rooms = RedbStore::open(&dir).unwrap().load().unwrap();
        let first = &rooms[&line_1];
        assert_eq!(first.invite_epoch, 7);
        let invites: Vec<_> = first
            .invites
            .iter()
            .map(|(id, i)| (id.as_str(), i.revoked))
            .collect();
        assert_eq!(
            invites,
            [("invite-a", true), ("invite-b", false), ("invite-c", false)]
        );
        // Revoking all: a new epoch, and the old epoch's invites are no longer listed.
        let second = &rooms[&line_2];
        assert_eq!((second.invite_epoch, second.invites.len()), (9, 0));

        {
            let persister = Persister::start(std::sync::Arc::new(RedbStore::open(&dir).unwrap()));
            persister.delete_room(&line_2);
            persister.create_room(&line_2, 10);
            persister.stop();
        }
        let rooms = RedbStore::open(&dir).unwrap().load().unwrap();
        assert_eq!(rooms[&line_1].invites.len(), 3, "another room is untouched");
        let recreated = &rooms[&line_2];
        assert_eq!(
            (
                recreated.invite_epoch,
                recreated.journal.len(),
                recreated.legacy_version
            ),
            (10, 0, 0),
            "a room created again after its deletion starts empty, with a new epoch"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
