//! The writer thread: applies changes to a [`RoomStore`] in the order the rooms queued them.

use super::{Appended, RoomStore, StoredInvite};
use spotter_protocol::{JournalEvent, RecordingId, RecordingInfo, RoomId};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

enum Job {
    /// Journal events, of one room or several: consecutive appends are written together.
    Append(Vec<Appended>),
    SaveRecording(Box<RecordingInfo>),
    CloseInterruptedRecording {
        room: RoomId,
        recording: RecordingId,
        stopped_at_ms: u64,
        reason: Option<String>,
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
            Job::Append(_) => "a room's journal events",
            Job::SaveRecording(_) | Job::CloseInterruptedRecording { .. } => {
                "a recording's catalog entry"
            }
            Job::CreateRoom { .. } => "a new room",
            Job::SaveInvite { .. } => "an invite",
            Job::ReplaceInviteEpoch { .. } => "the revocation of a room's invites",
            Job::DeleteRoom(_) => "a room's deletion",
            Job::Stop => "nothing",
        }
    }

    fn room(&self) -> Option<&RoomId> {
        match self {
            Job::Append(events) => events.first().map(|a| &a.room),
            Job::SaveRecording(info) => Some(&info.room),
            Job::CloseInterruptedRecording { room, .. } => Some(room),
            Job::CreateRoom { room, .. }
            | Job::SaveInvite { room, .. }
            | Job::ReplaceInviteEpoch { room, .. }
            | Job::DeleteRoom(room) => Some(room),
            Job::Stop => None,
        }
    }

    fn apply(&self, store: &dyn RoomStore) -> anyhow::Result<()> {
        match self {
            Job::Append(events) => store.append(events),
            Job::SaveRecording(info) => store.save_recording(info),
            Job::CloseInterruptedRecording {
                recording,
                stopped_at_ms,
                reason,
                ..
            } => store.close_interrupted_recording(recording, *stopped_at_ms, reason.clone()),
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
    pub fn start(store: Arc<dyn RoomStore>) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("store".into())
            .spawn(move || {
                let mut next = None;
                while let Some(job) = next.take().or_else(|| queue.recv().ok()) {
                    if matches!(job, Job::Stop) {
                        break;
                    }
                    // Events queued meanwhile go into the same transaction: one commit (one
                    // sync to disk) for a burst of changes.
                    let job = match job {
                        Job::Append(mut events) => {
                            while let Ok(queued) = queue.try_recv() {
                                match queued {
                                    Job::Append(more) => events.extend(more),
                                    other => {
                                        next = Some(other);
                                        break;
                                    }
                                }
                            }
                            Job::Append(events)
                        }
                        other => other,
                    };
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

    /// Queues an event of `room`'s journal, made while `recording` ran (if any).
    pub fn append(&self, room: &RoomId, event: JournalEvent, recording: Option<&RecordingId>) {
        self.queue(Job::Append(vec![Appended {
            room: room.clone(),
            event,
            recording: recording.cloned(),
        }]));
    }

    /// Queues the closing of a recording the last run was killed in the middle of.
    pub fn close_interrupted_recording(
        &self,
        room: &RoomId,
        recording: &RecordingId,
        stopped_at_ms: u64,
        reason: Option<String>,
    ) {
        self.queue(Job::CloseInterruptedRecording {
            room: room.clone(),
            recording: recording.clone(),
            stopped_at_ms,
            reason,
        });
    }

    /// Queues a recording's catalog entry as it now is.
    pub fn save_recording(&self, info: RecordingInfo) {
        self.queue(Job::SaveRecording(Box::new(info)));
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
