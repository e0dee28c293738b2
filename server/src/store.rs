//! Embedded storage of rooms and their annotations (redb, one file in the data directory).
//!
//! The rest of the server sees only [`RoomStore`]; a clustered deployment implements it over
//! a shared database instead.

use anyhow::Context;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use spotter_protocol::{Annotation, AnnotationId, RoomId};
use std::collections::BTreeMap;
use std::path::Path;

/// Where rooms and annotations persist.
pub trait RoomStore: Send + Sync {
    /// Every stored room with its live annotations, oldest first.
    fn load(&self) -> anyhow::Result<BTreeMap<RoomId, Vec<Annotation>>>;
    fn create_room(&self, room: &RoomId) -> anyhow::Result<()>;
    fn put_annotation(&self, room: &RoomId, annotation: &Annotation) -> anyhow::Result<()>;
    fn delete_annotation(&self, room: &RoomId, id: &AnnotationId) -> anyhow::Result<()>;
}

const ROOMS: TableDefinition<&str, ()> = TableDefinition::new("rooms");
/// Key: `room \0 sequence`, so a room's annotations list in creation order.
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

fn sequence_of(id: &AnnotationId) -> u64 {
    id.as_str()
        .strip_prefix("a-")
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

impl RoomStore for RedbStore {
    fn load(&self) -> anyhow::Result<BTreeMap<RoomId, Vec<Annotation>>> {
        let txn = self.db.begin_read()?;
        let mut rooms: BTreeMap<RoomId, Vec<Annotation>> = BTreeMap::new();
        for entry in txn.open_table(ROOMS)?.iter()? {
            let (room, _) = entry?;
            rooms.insert(RoomId::new(room.value()), Vec::new());
        }
        for entry in txn.open_table(ANNOTATIONS)?.iter()? {
            let (key, json) = entry?;
            let (room, _) = key.value();
            let annotation: Annotation = serde_json::from_str(json.value())
                .with_context(|| format!("a stored annotation of room {room} is corrupt"))?;
            rooms.entry(RoomId::new(room)).or_default().push(annotation);
        }
        Ok(rooms)
    }

    fn create_room(&self, room: &RoomId) -> anyhow::Result<()> {
        let txn = self.db.begin_write()?;
        txn.open_table(ROOMS)?.insert(room.as_str(), ())?;
        txn.commit()?;
        Ok(())
    }

    fn put_annotation(&self, room: &RoomId, annotation: &Annotation) -> anyhow::Result<()> {
        let json = serde_json::to_string(annotation)?;
        let txn = self.db.begin_write()?;
        txn.open_table(ANNOTATIONS)?
            .insert((room.as_str(), sequence_of(&annotation.id)), json.as_str())?;
        txn.commit()?;
        Ok(())
    }

    fn delete_annotation(&self, room: &RoomId, id: &AnnotationId) -> anyhow::Result<()> {
        let txn = self.db.begin_write()?;
        txn.open_table(ANNOTATIONS)?
            .remove((room.as_str(), sequence_of(id)))?;
        txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Vec3;
    use spotter_protocol::{Anchor, AnnotationKind, Pose};

    fn annotation(id: &str) -> Annotation {
        Annotation {
            id: id.into(),
            kind: AnnotationKind::Point,
            author: "p-1".into(),
            color: "#ff2d95".into(),
            anchor: Anchor::World {
                pose: Pose::IDENTITY,
            },
            points: vec![Vec3::new(1.0, 0.0, 2.0)],
            frame_rtp_timestamp: 1,
        }
    }

    #[test]
    fn annotations_survive_a_reopen_in_order_and_deletes_stick() {
        let dir = std::env::temp_dir().join(format!("spotter-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let room = RoomId::new("demo");
        {
            let store = RedbStore::open(&dir).unwrap();
            store.create_room(&room).unwrap();
            for id in ["a-1", "a-2", "a-10"] {
                store.put_annotation(&room, &annotation(id)).unwrap();
            }
            store.delete_annotation(&room, &"a-2".into()).unwrap();
        }
        let store = RedbStore::open(&dir).unwrap();
        let rooms = store.load().unwrap();
        let ids: Vec<_> = rooms[&room].iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a-1", "a-10"]);
        assert_eq!(rooms[&room][0], annotation("a-1"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
