//! Per-frame metadata, sent by the headset for every video frame it encodes.

use crate::error::{ErrorCode, ProtocolError};
use crate::geometry::{Intrinsics, Pose};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the browser needs to place 3D annotations on one displayed frame, and what the headset
/// keeps to resolve a stroke drawn on it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct FrameMeta {
    /// The RTP timestamp of the frame's packets (90 kHz clock); the SFU forwards it unchanged,
    /// so it identifies the frame end to end (`requestVideoFrameCallback`'s `rtpTimestamp`).
    pub rtp_timestamp: u32,
    /// Camera → world pose the frame was rendered (or captured) with.
    pub pose: Pose,
    pub intrinsics: Intrinsics,
    /// Capture time, microseconds since the Unix epoch on the headset's clock.
    #[ts(type = "number")]
    pub capture_time_us: u64,
}

/// A frame record is a few hundred bytes; anything much larger is not one.
pub const MAX_FRAME_META_BYTES: usize = 2048;

impl FrameMeta {
    pub fn is_valid(&self) -> bool {
        self.pose.is_valid() && self.intrinsics.is_valid()
    }

    /// Parses and checks one record from the `frames` channel.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        if bytes.len() > MAX_FRAME_META_BYTES {
            return Err(ProtocolError::new(
                ErrorCode::MessageTooLarge,
                format!("a frame record is at most {MAX_FRAME_META_BYTES} bytes"),
            ));
        }
        let meta: FrameMeta = serde_json::from_slice(bytes).map_err(|e| {
            ProtocolError::new(
                ErrorCode::MalformedMessage,
                format!("not a frame record: {e}"),
            )
        })?;
        if !meta.is_valid() {
            return Err(ProtocolError::new(
                ErrorCode::InvalidValue,
                "a frame record needs a finite pose with a unit rotation and positive intrinsics",
            ));
        }
        Ok(meta)
    }
}
