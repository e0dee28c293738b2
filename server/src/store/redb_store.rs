//! [`RoomStore`] on redb: one file in the data directory.

use super::{RoomStore, StoredAnnotation, StoredRoom};
use anyhow::Context;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use spotter_protocol::RoomId;
use std::collections::BTreeMap;
use std::path::Path;

/// Room → (annotation version, last annotation id).
const ROOMS: TableDefinition<&str, (u64, u64)> = TableDefinition::new("rooms");
/// (room, annotation sequence number) → the `StoredAnnotation` as JSON, so a room's
/// annotations list in creation order.
const ANNOTATIONS: TableDefinition<(&str, u64), &str> = TableDefinition::new("annotations");

pub struct RedbStore {
    db: Database,
}

impl RedbStore {
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the data directory {}", dir.display()))?;
        let path = dir.join("spotter.redb");
        let db = Database::create(&path)
            .with_context(|| format!("opening the database {}", path.display()))?;
        let txn = db.begin_write()?;
        txn.open_table(ROOMS)?;
        txn.open_table(ANNOTATIONS)?;
        txn.commit()?;
        Ok(Self { db })
    }
}

impl RoomStore for RedbStore {
    fn load(&self) -> anyhow::Result<BTreeMap<RoomId, StoredRoom>> {
        let txn = self.db.begin_read()?;
        let mut rooms: BTreeMap<RoomId, StoredRoom> = BTreeMap::new();
        for entry in txn.open_table(ROOMS)?.iter()? {
            let (room, counters) = entry?;
            let (version, last_id) = counters.value();
            rooms.insert(
                RoomId::new(room.value()),
                StoredRoom {
                    entries: Vec::new(),
                    version,
                    last_id,
                },
            );
        }
        for entry in txn.open_table(ANNOTATIONS)?.iter()? {
            let (key, json) = entry?;
            let (room, _) = key.value();
            let stored: StoredAnnotation = serde_json::from_str(json.value())
                .with_context(|| format!("a stored annotation of room {room} is corrupt"))?;
            rooms
                .entry(RoomId::new(room))
                .or_default()
                .entries
                .push(stored);
        }
        Ok(rooms)
    }

    fn create_room(&self, room: &RoomId) -> anyhow::Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut rooms = txn.open_table(ROOMS)?;
            if rooms.get(room.as_str())?.is_none() {
                rooms.insert(room.as_str(), (0, 0))?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    fn save(
        &self,
        room: &RoomId,
        entry: &StoredAnnotation,
        version: u64,
        last_id: u64,
    ) -> anyhow::Result<()> {
        let json = serde_json::to_string(entry)?;
        let sequence = entry
            .annotation
            .id
            .sequence()
            .context("annotation id without a sequence number")?;
        let txn = self.db.begin_write()?;
        txn.open_table(ANNOTATIONS)?
            .insert((room.as_str(), sequence), json.as_str())?;
        txn.open_table(ROOMS)?
            .insert(room.as_str(), (version, last_id))?;
        txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Persister;
    use glam::Vec3;
    use spotter_protocol::{Anchor, Annotation, AnnotationKind, Pose};

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
            },
            deleted_in_version,
        }
    }

    #[test]
    fn changes_survive_a_reopen_in_order_with_tombstones_and_counters() {
        let dir = std::env::temp_dir().join(format!("spotter-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let room = RoomId::new("demo");
        {
            let persister = Persister::start(Box::new(RedbStore::open(&dir).unwrap()));
            persister.save(&room, entry("a-1", None), 1, 1);
            persister.save(&room, entry("a-2", None), 2, 2);
            persister.save(&room, entry("a-10", None), 3, 10);
            persister.save(&room, entry("a-2", Some(4)), 4, 10);
            persister.stop();
        }
        let store = RedbStore::open(&dir).unwrap();
        let rooms = store.load().unwrap();
        let stored = &rooms[&room];
        let ids: Vec<_> = stored
            .entries
            .iter()
            .map(|e| (e.annotation.id.as_str(), e.deleted_in_version))
            .collect();
        assert_eq!(ids, [("a-1", None), ("a-2", Some(4)), ("a-10", None)]);
        assert_eq!((stored.version, stored.last_id), (4, 10));
        // Creating an existing room keeps its counters.
        store.create_room(&room).unwrap();
        assert_eq!(store.load().unwrap()[&room].version, 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
