//! The writer thread: applies changes to a [`RoomStore`] in the order the rooms queued them.

use super::{RoomStore, StoredAnnotation};
use spotter_protocol::RoomId;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

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
