//! The writer thread: applies changes to a [`RoomStore`] in the order the rooms queued them.

use super::{RoomStore, StoredAnnotation, StoredInvite};
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
    CreateRoom {
        room: RoomId,
        invite_epoch: u64,
    },
    SaveInvite {
        room: RoomId,
        invite_id: String,
        invite: StoredInvite,
        forget_before: u64,
    },
    ReplaceInviteEpoch {
        room: RoomId,
        invite_epoch: u64,
    },
    DeleteRoom(RoomId),
    Stop,
}

impl Job {
    /// What the job stores, for the log when it fails.
    fn what(&self) -> &'static str {
        match self {
            Job::Save { .. } => "an annotation change",
            Job::CreateRoom { .. } => "a new room",
            Job::SaveInvite { .. } => "an invite",
            Job::ReplaceInviteEpoch { .. } => "the revocation of a room's invites",
            Job::DeleteRoom(_) => "a room's deletion",
            Job::Stop => "nothing",
        }
    }

    fn room(&self) -> Option<&RoomId> {
        match self {
            Job::Save { room, .. }
            | Job::CreateRoom { room, .. }
            | Job::SaveInvite { room, .. }
            | Job::ReplaceInviteEpoch { room, .. }
            | Job::DeleteRoom(room) => Some(room),
            Job::Stop => None,
        }
    }

    fn apply(&self, store: &dyn RoomStore) -> anyhow::Result<()> {
        match self {
            Job::Save {
                room,
                entry,
                version,
                last_id,
            } => store.save(room, entry, *version, *last_id),
            Job::CreateRoom { room, invite_epoch } => store.create_room(room, *invite_epoch),
            Job::SaveInvite {
                room,
                invite_id,
                invite,
                forget_before,
            } => store.save_invite(room, invite_id, *invite, *forget_before),
            Job::ReplaceInviteEpoch { room, invite_epoch } => {
                store.replace_invite_epoch(room, *invite_epoch)
            }
            Job::DeleteRoom(room) => store.delete_room(room),
            Job::Stop => Ok(()),
        }
    }
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
                    if matches!(job, Job::Stop) {
                        break;
                    }
                    if let Err(e) = job.apply(store.as_ref()) {
                        // The live room keeps the change; only its durability is lost.
                        let room = job.room().map(RoomId::as_str).unwrap_or_default();
                        tracing::error!(room, "storing {} failed: {e:#}", job.what());
                    }
                }
            })
            .expect("spawning the store thread");
        Self {
            jobs,
            thread: Arc::new(Mutex::new(Some(thread))),
        }
    }

    fn queue(&self, job: Job) {
        if let Err(mpsc::SendError(job)) = self.jobs.send(job) {
            let room = job.room().map(RoomId::as_str).unwrap_or_default();
            tracing::error!(room, "storage is stopped; {} was not stored", job.what());
        }
    }

    /// Queues one annotation change.
    pub fn save(&self, room: &RoomId, entry: StoredAnnotation, version: u64, last_id: u64) {
        self.queue(Job::Save {
            room: room.clone(),
            entry: Box::new(entry),
            version,
            last_id,
        });
    }

    /// Queues the creation of a room (kept as it is if it exists).
    pub fn create_room(&self, room: &RoomId, invite_epoch: u64) {
        self.queue(Job::CreateRoom {
            room: room.clone(),
            invite_epoch,
        });
    }

    /// Queues an invite as it now is; the room's invites expired before `forget_before` go.
    pub fn save_invite(
        &self,
        room: &RoomId,
        invite_id: &str,
        invite: StoredInvite,
        forget_before: u64,
    ) {
        self.queue(Job::SaveInvite {
            room: room.clone(),
            invite_id: invite_id.to_owned(),
            invite,
            forget_before,
        });
    }

    /// Queues a room's new invite epoch (every earlier invite revoked).
    pub fn replace_invite_epoch(&self, room: &RoomId, invite_epoch: u64) {
        self.queue(Job::ReplaceInviteEpoch {
            room: room.clone(),
            invite_epoch,
        });
    }

    /// Queues the deletion of a room with everything stored about it.
    pub fn delete_room(&self, room: &RoomId) {
        self.queue(Job::DeleteRoom(room.clone()));
    }

    /// Writes everything queued, then closes the store.
    pub fn stop(&self) {
        let _ = self.jobs.send(Job::Stop);
        if let Some(thread) = self.thread.lock().unwrap().take() {
            let _ = thread.join();
        }
    }
}
