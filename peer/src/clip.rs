//! A recorded H.264 clip: frames encoded once from a real render (`spotter-record-clip`) and
//! played back by the load generator, which so spends no CPU encoding.
//!
//! File layout: one JSON header line (`{"width":1280,"height":720,"fps":30.0}`), then per
//! frame a flag byte (1: keyframe), the length (u32, little-endian) and the Annex-B bytes.

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Write};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClipFormat {
    pub width: u32,
    pub height: u32,
    pub fps: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClipFrame {
    pub keyframe: bool,
    /// One Annex-B access unit.
    pub data: Bytes,
}

#[derive(Debug, Clone)]
pub struct Clip {
    pub format: ClipFormat,
    pub frames: Vec<ClipFrame>,
}

/// Frames larger than this are a corrupt file, not video.
const MAX_FRAME_BYTES: usize = 16 << 20;

impl Clip {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&bytes).with_context(|| format!("in the clip {}", path.display()))
    }

    pub fn parse(bytes: &[u8]) -> anyhow::Result<Self> {
        let header_end = bytes
            .iter()
            .position(|b| *b == b'\n')
            .context("no header line")?;
        let format: ClipFormat =
            serde_json::from_slice(&bytes[..header_end]).context("unreadable header")?;
        ensure!(format.fps > 0.0, "the frame rate must be positive");
        let mut rest = &bytes[header_end + 1..];
        let mut frames = Vec::new();
        while !rest.is_empty() {
            ensure!(rest.len() >= 5, "frame {} is cut short", frames.len());
            let keyframe = match rest[0] {
                0 => false,
                1 => true,
                other => bail!("frame {}: flag byte {other}", frames.len()),
            };
            let length = u32::from_le_bytes(rest[1..5].try_into().expect("4 bytes")) as usize;
            ensure!(
                length <= MAX_FRAME_BYTES && rest.len() >= 5 + length,
                "frame {} is cut short or too large ({length} bytes)",
                frames.len()
            );
            frames.push(ClipFrame {
                keyframe,
                data: Bytes::copy_from_slice(&rest[5..5 + length]),
            });
            rest = &rest[5 + length..];
        }
        ensure!(
            frames.first().is_some_and(|f| f.keyframe),
            "a clip must start with a keyframe"
        );
        Ok(Self { format, frames })
    }

    /// The clip's average bitrate when played at its frame rate.
    pub fn bitrate_bps(&self) -> f64 {
        let bytes: usize = self.frames.iter().map(|f| f.data.len()).sum();
        bytes as f64 * 8.0 * f64::from(self.format.fps) / self.frames.len() as f64
    }

    /// The first keyframe at or after frame `from`, wrapping around (a clip starts with one).
    pub fn next_keyframe(&self, from: usize) -> usize {
        (from..self.frames.len())
            .find(|&i| self.frames[i].keyframe)
            .unwrap_or(0)
    }
}

/// The NAL units of an Annex-B byte stream (3- or 4-byte start codes).
pub fn nal_units(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push((i, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::new();
    for (k, &(_, begin)) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(data.len(), |&(code, _)| code);
        // A 4-byte start code's leading zero belongs to it, not to the NAL before.
        if k + 1 < starts.len() && end > begin && data[end - 1] == 0 {
            end -= 1;
        }
        nals.push(&data[begin..end]);
    }
    nals
}

/// Writes a clip frame by frame.
pub struct ClipWriter {
    out: BufWriter<std::fs::File>,
    frames: usize,
}

impl ClipWriter {
    pub fn create(path: &Path, format: ClipFormat) -> anyhow::Result<Self> {
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = BufWriter::new(file);
        serde_json::to_writer(&mut out, &format)?;
        out.write_all(b"\n")?;
        Ok(Self { out, frames: 0 })
    }

    pub fn write_frame(&mut self, keyframe: bool, access_unit: &[u8]) -> anyhow::Result<()> {
        ensure!(
            self.frames > 0 || keyframe,
            "a clip must start with a keyframe"
        );
        ensure!(access_unit.len() <= MAX_FRAME_BYTES, "frame too large");
        self.out.write_all(&[u8::from(keyframe)])?;
        self.out
            .write_all(&(access_unit.len() as u32).to_le_bytes())?;
        self.out.write_all(access_unit)?;
        self.frames += 1;
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<usize> {
        self.out.flush()?;
        Ok(self.frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A three-frame clip's bytes, written through a file named after the test (tests run
    /// in parallel).
    fn sample(test: &str) -> Vec<u8> {
        let path = std::env::temp_dir().join(format!("{test}-{}.h264", std::process::id()));
        let format = ClipFormat {
            width: 64,
            height: 48,
            fps: 30.0,
        };
        let mut writer = ClipWriter::create(&path, format).unwrap();
        assert!(
            writer.write_frame(false, b"x").is_err(),
            "starts on a keyframe"
        );
        writer.write_frame(true, &[0, 0, 0, 1, 0x67, 1, 2]).unwrap();
        writer.write_frame(false, &[0, 0, 0, 1, 0x41, 9]).unwrap();
        writer.write_frame(true, &[0, 0, 0, 1, 0x65, 3]).unwrap();
        assert_eq!(writer.finish().unwrap(), 3);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        bytes
    }

    #[test]
    fn a_written_clip_reads_back_frame_for_frame() {
        let clip = Clip::parse(&sample("clip-reads-back")).unwrap();
        assert_eq!(clip.format.width, 64);
        assert_eq!(clip.frames.len(), 3);
        assert_eq!(&clip.frames[1].data[..], &[0, 0, 0, 1, 0x41, 9]);
        assert_eq!(clip.next_keyframe(1), 2);
        assert_eq!(clip.next_keyframe(3), 0, "wraps to the start");
        // 7 + 6 + 6 bytes over 3 frames at 30 frames/s.
        assert!((clip.bitrate_bps() - 19.0 * 8.0 * 10.0).abs() < 1e-9);
    }

    #[test]
    fn a_damaged_clip_is_refused_with_the_reason() {
        let bytes = sample("clip-damaged");
        let cut = Clip::parse(&bytes[..bytes.len() - 2]).unwrap_err();
        assert!(
            format!("{cut:#}").contains("frame 2 is cut short"),
            "{cut:#}"
        );
        let no_header = Clip::parse(b"no newline").unwrap_err();
        assert!(format!("{no_header:#}").contains("no header line"));
        let mut bad_flag = bytes.clone();
        let first_frame = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
        bad_flag[first_frame] = 7;
        let flag = Clip::parse(&bad_flag).unwrap_err();
        assert!(format!("{flag:#}").contains("flag byte 7"), "{flag:#}");
    }
}
