//! One recording's files, written as the media arrives:
//!
//! - `video.mp4`: the technician's video, fragmented MP4 (init segment, then ~1 s fragments),
//!   appended fragment by fragment, so that a killed server leaves a file that plays up to
//!   its last complete fragment;
//! - `voice-N.mp4`: each talker's voice, N from 1 in the order they first spoke;
//! - `frames.ndjson`: every frame record (pose, intrinsics) exactly as relayed, one a line,
//!   flushed at least once a second and before each video fragment is written.
//!
//! The timeline's origin (media time 0) is the first keyframe's arrival: a voice's first
//! packet is placed by its arrival after that, the rest by its RTP timestamps.

use crate::fmp4::{Fragment, VOICE_TIMESCALE, VideoOutput, VideoTrackWriter, VoiceTrackWriter};
use crate::sfu::SinkMedia;
use spotter_protocol::ParticipantId;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const VIDEO_FILE: &str = "video.mp4";
pub const FRAMES_FILE: &str = "frames.ndjson";

/// The file of the `n`th talker (from 1).
pub fn voice_file(n: usize) -> String {
    format!("voice-{n}.mp4")
}

/// Frame records are flushed to the file at least this often, and before every video fragment:
/// a crash loses at most this, and none of a frame that is in the video file.
const FRAMES_FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Something the catalog must know, reported as it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The first keyframe was written: media time 0 is its RTP timestamp, and it arrived at
    /// `arrived`.
    MediaStarted {
        first_rtp_timestamp: u32,
        arrived: Instant,
    },
    /// A talker's voice is in file `voice_file(n)`.
    VoiceAdded { talker: ParticipantId, n: usize },
}

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("the disk is full")]
    DiskFull,
    #[error("writing {file} failed: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

impl RecordingError {
    fn io(file: &str, source: std::io::Error) -> Self {
        if source.raw_os_error() == Some(28) || source.kind() == std::io::ErrorKind::StorageFull {
            RecordingError::DiskFull
        } else {
            RecordingError::Io {
                file: file.to_owned(),
                source,
            }
        }
    }
}

struct VoiceTrack {
    talker: ParticipantId,
    file_name: String,
    file: File,
    writer: VoiceTrackWriter,
}

/// Counts of what could not be recorded, for the log and the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    pub video: u64,
    pub voice: u64,
}

pub struct RecordingWriter {
    dir: PathBuf,
    video: VideoTrackWriter,
    video_file: Option<File>,
    origin: Option<Instant>,
    voices: Vec<VoiceTrack>,
    frames: BufWriter<File>,
    frames_flushed: Instant,
    skipped: Skipped,
}

impl RecordingWriter {
    /// Creates the recording's directory and its frame record file.
    pub fn create(dir: &Path, now: Instant) -> Result<Self, RecordingError> {
        std::fs::create_dir_all(dir).map_err(|e| RecordingError::io("the directory", e))?;
        let frames = create(dir, FRAMES_FILE)?;
        Ok(Self {
            dir: dir.to_owned(),
            video: VideoTrackWriter::new(),
            video_file: None,
            origin: None,
            voices: Vec::new(),
            frames: BufWriter::new(frames),
            frames_flushed: now,
            skipped: Skipped::default(),
        })
    }

    /// Writes what arrived. A unit the container refuses is skipped (counted); only a failed
    /// write is an error, and it ends the recording.
    pub fn write(&mut self, media: SinkMedia) -> Result<Option<Progress>, RecordingError> {
        match media {
            SinkMedia::Video {
                rtp_timestamp,
                data,
                keyframe,
                arrived,
            } => self.video(&data, rtp_timestamp, keyframe, arrived),
            SinkMedia::Voice {
                talker,
                rtp_timestamp,
                data,
                arrived,
            } => self.voice(talker, &data, rtp_timestamp, arrived),
            SinkMedia::FrameRecord { data, arrived } => {
                let write = |frames: &mut BufWriter<File>| {
                    frames.write_all(&data)?;
                    frames.write_all(b"\n")
                };
                write(&mut self.frames).map_err(|e| RecordingError::io(FRAMES_FILE, e))?;
                if arrived.duration_since(self.frames_flushed) >= FRAMES_FLUSH_INTERVAL {
                    self.flush_frames(arrived)?;
                }
                Ok(None)
            }
        }
    }

    fn flush_frames(&mut self, now: Instant) -> Result<(), RecordingError> {
        self.frames
            .flush()
            .map_err(|e| RecordingError::io(FRAMES_FILE, e))?;
        self.frames_flushed = now;
        Ok(())
    }

    fn video(
        &mut self,
        data: &[u8],
        rtp_timestamp: u32,
        keyframe: bool,
        arrived: Instant,
    ) -> Result<Option<Progress>, RecordingError> {
        match self.video.push(data, rtp_timestamp, keyframe) {
            Ok(None) => Ok(None),
            Ok(Some(VideoOutput::Init(init))) => {
                let mut file = create(&self.dir, VIDEO_FILE)?;
                file.write_all(&init)
                    .map_err(|e| RecordingError::io(VIDEO_FILE, e))?;
                self.video_file = Some(file);
                self.origin = Some(arrived);
                Ok(Some(Progress::MediaStarted {
                    first_rtp_timestamp: rtp_timestamp,
                    arrived,
                }))
            }
            Ok(Some(VideoOutput::Fragment(fragment))) => {
                // The records of the fragment's frames reach the file before it does, so a
                // crash never leaves a frame in the file without its pose (a `kill -9` just
                // after a fragment was written left its last frames without records).
                self.flush_frames(arrived)?;
                if let Some(file) = &mut self.video_file {
                    append(file, VIDEO_FILE, &fragment)?;
                }
                Ok(None)
            }
            Err(e) => {
                self.skipped.video += 1;
                tracing::debug!("an access unit was not recorded: {e}");
                Ok(None)
            }
        }
    }

    fn voice(
        &mut self,
        talker: ParticipantId,
        packet: &[u8],
        rtp_timestamp: u32,
        arrived: Instant,
    ) -> Result<Option<Progress>, RecordingError> {
        // Before the first keyframe there is no timeline to place a voice on.
        let Some(origin) = self.origin else {
            return Ok(None);
        };
        let mut progress = None;
        let index = match self.voices.iter().position(|v| v.talker == talker) {
            Some(index) => index,
            None => {
                let offset = arrived.saturating_duration_since(origin);
                let at = offset.as_micros() as u64 * u64::from(VOICE_TIMESCALE) / 1_000_000;
                // The TOC byte's stereo flag (RFC 6716 §3.1).
                let channels = if packet.first().is_some_and(|toc| toc & 0x04 != 0) {
                    2
                } else {
                    1
                };
                let Ok(writer) = VoiceTrackWriter::new(at, channels) else {
                    self.skipped.voice += 1;
                    return Ok(None);
                };
                let n = self.voices.len() + 1;
                let file_name = voice_file(n);
                let mut file = create(&self.dir, &file_name)?;
                file.write_all(writer.init_segment())
                    .map_err(|e| RecordingError::io(&file_name, e))?;
                self.voices.push(VoiceTrack {
                    talker: talker.clone(),
                    file_name,
                    file,
                    writer,
                });
                progress = Some(Progress::VoiceAdded { talker, n });
                self.voices.len() - 1
            }
        };
        let voice = &mut self.voices[index];
        match voice.writer.push(packet, rtp_timestamp) {
            Ok(fragments) => {
                for fragment in &fragments {
                    append(&mut voice.file, &voice.file_name, fragment)?;
                }
            }
            Err(e) => {
                self.skipped.voice += 1;
                tracing::debug!("a voice packet was not recorded: {e}");
            }
        }
        Ok(progress)
    }

    /// Writes what is buffered (the last fragment of each track, the frame records) and
    /// syncs the files. `ended` is when the recording stopped: voices are filled with silence
    /// up to it.
    pub fn finish(mut self, ended: Instant) -> Result<Skipped, RecordingError> {
        if let (Some(file), Ok(Some(fragment))) = (&mut self.video_file, self.video.finish()) {
            append(file, VIDEO_FILE, &fragment)?;
        }
        let end = self.origin.map(|origin| {
            let length = ended.saturating_duration_since(origin);
            length.as_micros() as u64 * u64::from(VOICE_TIMESCALE) / 1_000_000
        });
        for voice in &mut self.voices {
            for fragment in voice.writer.finish(end).unwrap_or_default() {
                append(&mut voice.file, &voice.file_name, &fragment)?;
            }
            voice
                .file
                .sync_data()
                .map_err(|e| RecordingError::io(&voice.file_name, e))?;
        }
        if let Some(file) = &self.video_file {
            file.sync_data()
                .map_err(|e| RecordingError::io(VIDEO_FILE, e))?;
        }
        self.frames
            .flush()
            .and_then(|_| self.frames.get_ref().sync_data())
            .map_err(|e| RecordingError::io(FRAMES_FILE, e))?;
        Ok(self.skipped)
    }
}

fn create(dir: &Path, name: &str) -> Result<File, RecordingError> {
    OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(dir.join(name))
        .map_err(|e| RecordingError::io(name, e))
}

/// Appends one fragment whole: the page cache keeps it if the process dies right after.
fn append(file: &mut File, name: &str, fragment: &Fragment) -> Result<(), RecordingError> {
    file.write_all(&fragment.bytes)
        .map_err(|e| RecordingError::io(name, e))
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod writer_tests;
