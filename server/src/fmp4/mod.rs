//! The recording's media container, sans-IO: fragmented MP4 that a browser plays with Media
//! Source Extensions, and the plain MP4 exported for ffmpeg or VLC. Everything here turns
//! bytes into bytes; the recorder owns the files.
//!
//! - [`video`]: the technician's H.264, one access unit at a time (Annex B, as relayed), into
//!   an init segment and ~1 s fragments whose media time is the RTP timestamp's distance from
//!   the first keyframe's;
//! - [`voice`]: one talker's Opus packets into their own file, the timeline filled with
//!   silence before the first packet and in gaps;
//! - [`scan`]: what a file on disk holds, a crash-cut one included: the init segment and the
//!   complete fragments;
//! - [`export`]: one progressive MP4 from a video file and any voice files, remuxed.
//!
//! Boxes are encoded and decoded with the `mp4-atom` crate (why:
//! `docs/decisions/recording-container.md`).

pub mod export;
mod fragment;
pub mod h264;
mod init;
mod opus;
pub mod scan;
pub mod video;
pub mod voice;

#[cfg(test)]
pub(crate) mod tests;

pub use export::{ExportError, ExportSummary, export_mp4};
pub use fragment::Fragment;
pub use h264::{H264Error, annex_b_to_sample, sample_to_annex_b};
pub use init::TrackKind;
pub use opus::{OpusError, opus_packet_duration};
pub use scan::{
    Sample, ScanError, ScannedFile, ScannedFragment, read_fragment_samples, scan, scan_bytes,
};
pub use video::{VideoError, VideoOutput, VideoTrackWriter};
pub use voice::{VoiceError, VoiceTrackWriter};

/// The video track's timescale: the RTP clock of H.264, so media time and RTP timestamps
/// differ by a constant.
pub const VIDEO_TIMESCALE: u32 = 90_000;
/// The voice tracks' timescale: Opus's RTP clock.
pub const VOICE_TIMESCALE: u32 = 48_000;

/// The 32-bit RTP timestamp of the frame at `media_time` (ticks of [`VIDEO_TIMESCALE`] on
/// the video track), given the first keyframe's RTP timestamp. The inverse of the writer's
/// mapping, wrap included.
pub fn rtp_timestamp_at(first_rtp_timestamp: u32, media_time: u64) -> u32 {
    // Truncation is the point: RTP timestamps are media time modulo 2^32.
    first_rtp_timestamp.wrapping_add(media_time as u32)
}
