//! Embedded storage of rooms and their annotations (redb, one file in the data directory), and
//! the writer thread that applies changes in the order the rooms made them.
//!
//! The rest of the server sees only [`RoomStore`] and [`Persister`]; a clustered deployment
//! implements the trait over a shared database instead.

use anyhow::Context;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use spotter_protocol::{Annotation, RoomId};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

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
        crate::private_dir::create_private_dir(dir)?;
        let path = dir.join("spotter.redb");
        let db = Database::create(&path)
            .with_context(|| format!("opening the database {}", path.display()))?;
        crate::private_dir::make_private(&path)?;
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

enum Job {
    Save {
        room: RoomId,
        entry: Box<StoredAnnotation>,
        version: u64,
        last_id: u64,
    },
    CreateRoom(RoomId),
    Stop,
}

/// Applies changes on its own thread, in the order they were queued: rooms queue a change
/// under their lock, so storage sees changes in the order clients do, and no request waits
/// for a disk.
#[derive(Clone)]
pub struct Persister {
    jobs: mpsc::Sender<Job>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Persister {
    pub fn start(store: Box<dyn RoomStore>) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("store".into())
            .spawn(move || {
                for job in queue {
                    match job {
                        Job::Save {
                            room,
                            entry,
                            version,
                            last_id,
                        } => {
                            if let Err(e) = store.save(&room, &entry, version, last_id) {
                                // The live room keeps the change; only its durability is lost.
                                tracing::error!(%room, id = %entry.annotation.id, "storing a change failed: {e:#}");
                            }
                        }
                        Job::CreateRoom(room) => {
                            if let Err(e) = store.create_room(&room) {
                                tracing::error!(%room, "storing a new room failed: {e:#}");
                            }
                        }
                        Job::Stop => break,
                    }
                }
            })
            .expect("spawning the store thread");
        Self {
            jobs,
            thread: Arc::new(Mutex::new(Some(thread))),
        }
    }

    /// Queues one change.
    pub fn save(&self, room: &RoomId, entry: StoredAnnotation, version: u64, last_id: u64) {
        let job = Job::Save {
            room: room.clone(),
            entry: Box::new(entry),
            version,
            last_id,
        };
        if self.jobs.send(job).is_err() {
            tracing::error!(%room, "storage is stopped; a change was not stored");
        }
    }

    /// Queues the creation of a room (kept if it exists).
    pub fn create_room(&self, room: &RoomId) {
        if self.jobs.send(Job::CreateRoom(room.clone())).is_err() {
            tracing::error!(%room, "storage is stopped; a new room was not stored");
        }
    }

    /// Writes everything queued, then closes the store.
    pub fn stop(&self) {
        let _ = self.jobs.send(Job::Stop);
        if let Some(thread) = self.thread.lock().unwrap().take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Vec3;
    use spotter_protocol::{Anchor, AnnotationKind, Pose};

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
