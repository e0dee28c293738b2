//! Recording: a room's media written to disk beside its journal.
//!
//! The rooms decide when a recording starts and stops (journaled, shown to everyone) and tell
//! the recorder through a [`RecorderHook`], under the room's lock, so the recorder sees starts
//! and stops in the order the room made them. For each recording the recorder attaches a sink
//! to the room in the SFU (no peer connection) and hands what it receives to a writer thread
//! (`writer.rs`: fragmented MP4 per track, frame records), which keeps the catalog entry
//! (`RecordingInfo`) up to date as the media begins and voices join. A failed write (a full
//! disk) stops the recording with the reason, told to the room; the live session goes on.

pub mod access;
pub mod chapters;
pub mod library;
pub mod listing;
pub mod query;
pub mod retention;
mod service;
pub mod writer;

pub use library::RecordingLibrary;
pub use service::start;

use spotter_protocol::{ParticipantId, RecordingId, RecordingInfo, RoomId};
use tokio::sync::mpsc;

/// What the rooms tell the recorder.
#[derive(Debug)]
pub enum RecorderCommand {
    Start(Box<RecordingInfo>),
    Stop {
        room: RoomId,
        recording_id: RecordingId,
        stopped_at_ms: u64,
        by: Option<ParticipantId>,
        reason: Option<String>,
    },
}

/// The rooms' end of the recorder's command queue. The default goes nowhere (a server or a
/// test without a recorder).
#[derive(Clone, Default)]
pub struct RecorderHook(Option<mpsc::UnboundedSender<RecorderCommand>>);

impl RecorderHook {
    /// A hook and the receiver the recorder service reads.
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<RecorderCommand>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self(Some(sender)), receiver)
    }

    pub fn send(&self, command: RecorderCommand) {
        if let Some(sender) = &self.0
            && sender.send(command).is_err()
        {
            tracing::error!("the recorder is not running; a recording command was lost");
        }
    }
}
