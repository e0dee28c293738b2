//! Sinks: consumers of a room's media beside the viewers, with no peer connection (the
//! recorder). A sink gets the publisher's video exactly as relayed to viewers, every voice
//! and every frame record, through a bounded queue; see `sink_gate.rs` for how its video
//! starts and resumes on keyframes.

use bytes::Bytes;
use spotter_protocol::ParticipantId;
use std::time::Instant;
use tokio::sync::mpsc;

/// Items a sink's queue holds (a few seconds of video, voices and records); when it is full,
/// what comes is dropped and the sink's video skips to the next keyframe.
pub const SINK_QUEUE: usize = 256;

/// Names one attached sink inside the SFU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SinkId(pub u64);

/// One item of a room's media, as the relay passed it on.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkMedia {
    /// One access unit of the publisher's video (H.264, Annex B), exactly as relayed to
    /// viewers, with the publisher's RTP timestamp (90 kHz).
    Video {
        rtp_timestamp: u32,
        data: Bytes,
        keyframe: bool,
        /// When its first packet arrived.
        arrived: Instant,
    },
    /// One Opus frame of a talker, with the talker's RTP timestamp (48 kHz).
    Voice {
        talker: ParticipantId,
        rtp_timestamp: u32,
        data: Bytes,
        /// When its packet arrived.
        arrived: Instant,
    },
    /// A frame record (`FrameMeta` JSON) exactly as relayed to viewers.
    FrameRecord { data: Bytes, arrived: Instant },
}

/// What a sink receives. Dropping it detaches the sink.
pub type SinkReceiver = mpsc::Receiver<SinkMedia>;
