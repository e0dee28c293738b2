//! What a recording file on disk holds, read from box headers and `moof`s only: the init
//! segment and every complete fragment. A file cut by a crash (`kill -9`) ends in an
//! incomplete box, which is left out; a damaged box (nonsense type or size, a `moof` that does
//! not decode, samples outside their `mdat`) is an error naming its byte offset. This is what
//! lets the server serve a crashed recording with no repair step.
//!
//! A box whose size reaches past the end of the file reads as the cut: it cannot be told
//! from a damaged size.

use super::init::{TrackKind, TrackSpec};
use mp4_atom::{Decode, Moof, Moov, TrunSamples};
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::ops::Range;

/// Sample flags' `sample_is_non_sync_sample` bit.
const NON_SYNC_BIT: u32 = 0x0001_0000;
/// Bounds on boxes read whole, far above what the writers produce (a 1 s `moof` is a few
/// kB), so a damaged size cannot make the scanner allocate gigabytes.
const MAX_MOOV_BYTES: u64 = 64 << 20;
const MAX_MOOF_BYTES: u64 = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("reading the file failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file ends at byte {len}, before its init segment is complete")]
    IncompleteInit { len: u64 },
    #[error("the box at byte {offset} has no valid type ({bytes:02x?})")]
    BadBoxType { offset: u64, bytes: [u8; 4] },
    #[error("the box `{kind}` at byte {offset} has an impossible size ({size})")]
    BadBoxSize {
        offset: u64,
        kind: String,
        size: u64,
    },
    #[error("the box `{kind}` at byte {offset} is out of place: expected {expected}")]
    UnexpectedBox {
        offset: u64,
        kind: String,
        expected: &'static str,
    },
    #[error("the box `{kind}` at byte {offset} does not decode: {reason}")]
    BadBox {
        offset: u64,
        kind: &'static str,
        reason: String,
    },
    #[error("the fragment at byte {offset} points at samples outside its mdat")]
    SamplesOutsideMdat { offset: u64 },
}

impl ScanError {
    /// Where in the file the damage is, when it is damage (not a read error).
    pub fn offset(&self) -> Option<u64> {
        match self {
            ScanError::Io(_) => None,
            ScanError::IncompleteInit { .. } => Some(0),
            ScanError::BadBoxType { offset, .. }
            | ScanError::BadBoxSize { offset, .. }
            | ScanError::UnexpectedBox { offset, .. }
            | ScanError::BadBox { offset, .. }
            | ScanError::SamplesOutsideMdat { offset } => Some(*offset),
        }
    }
}

/// One complete fragment (`moof` + `mdat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedFragment {
    /// Where its `moof` begins.
    pub offset: u64,
    /// `moof` and `mdat` together.
    pub len: u64,
    pub sequence_number: u32,
    /// `tfdt`, in the track's timescale.
    pub base_decode_time: u64,
    pub duration: u64,
    pub sample_count: u32,
    pub starts_with_keyframe: bool,
}

/// What a recording file holds.
#[derive(Debug, Clone)]
pub struct ScannedFile {
    /// `ftyp` and `moov`: what a player needs first.
    pub init: Range<u64>,
    pub kind: TrackKind,
    pub timescale: u32,
    pub fragments: Vec<ScannedFragment>,
    /// Bytes after the last complete fragment: an incomplete one, cut.
    pub trailing_bytes: u64,
    pub(crate) track: TrackSpec,
    trex: TrackDefaults,
}

impl ScannedFile {
    /// The end of the last complete fragment's timeline, in the track's timescale.
    pub fn end_time(&self) -> u64 {
        self.fragments
            .last()
            .map_or(0, |f| f.base_decode_time.saturating_add(f.duration))
    }
}

/// One sample, where it lies in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SampleInfo {
    pub offset: u64,
    pub size: u32,
    pub duration: u32,
    pub sync: bool,
}

/// One sample read back from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub decode_time: u64,
    pub duration: u32,
    /// A sync sample: for video a keyframe; every voice sample is one.
    pub keyframe: bool,
    /// As stored: for H.264, 4-byte length-prefixed NAL units
    /// ([`sample_to_annex_b`](super::sample_to_annex_b) gives the relayed Annex B back).
    pub data: Vec<u8>,
}

/// The samples of one fragment that [`scan`] found in the same file.
pub fn read_fragment_samples<R: Read + Seek>(
    reader: &mut R,
    file: &ScannedFile,
    fragment: &ScannedFragment,
) -> Result<Vec<Sample>, ScanError> {
    let mut boxes = BoxReader::new(reader)?;
    let moved = || ScanError::UnexpectedBox {
        offset: fragment.offset,
        kind: "(none)".into(),
        expected: "the fragment the scan found",
    };
    let head = boxes.header(fragment.offset)?.ok_or_else(moved)?;
    expect_kind(&head, b"moof", "moof")?;
    let mdat = boxes.header(head.end)?.ok_or_else(moved)?;
    expect_kind(&mdat, b"mdat", "mdat after moof")?;
    let moof: Moof = boxes.decode(&head, MAX_MOOF_BYTES, "moof")?;
    let (fragment, infos) = fragment_of(&moof, &head, &mdat, &file.track, &file.trex)?;
    let mut decode_time = fragment.base_decode_time;
    let mut samples = Vec::with_capacity(infos.len());
    for info in infos {
        let mut data = vec![0u8; info.size as usize];
        boxes.read_at(info.offset, &mut data)?;
        samples.push(Sample {
            decode_time,
            duration: info.duration,
            keyframe: info.sync,
            data,
        });
        decode_time = decode_time.saturating_add(u64::from(info.duration));
    }
    Ok(samples)
}

/// Scans a file given whole.
pub fn scan_bytes(bytes: &[u8]) -> Result<ScannedFile, ScanError> {
    scan(&mut Cursor::new(bytes))
}

/// Scans a file through a reader.
pub fn scan<R: Read + Seek>(reader: &mut R) -> Result<ScannedFile, ScanError> {
    scan_with_samples(reader, |_, _| {})
}

/// Scans, giving each complete fragment's samples to `on_samples` (the export's way in).
pub(crate) fn scan_with_samples<R: Read + Seek>(
    reader: &mut R,
    mut on_samples: impl FnMut(&ScannedFragment, Vec<SampleInfo>),
) -> Result<ScannedFile, ScanError> {
    let mut file = BoxReader::new(reader)?;
    let len = file.len;
    let incomplete_init = || ScanError::IncompleteInit { len };
    let ftyp = file.header(0)?.ok_or_else(incomplete_init)?;
    expect_kind(&ftyp, b"ftyp", "ftyp first")?;
    let moov = file.header(ftyp.end)?.ok_or_else(incomplete_init)?;
    expect_kind(&moov, b"moov", "moov after ftyp")?;
    let moov_box: Moov = file.decode(&moov, MAX_MOOV_BYTES, "moov")?;
    let (track, trex) = track_of(&moov_box, moov.offset)?;

    let mut fragments = Vec::new();
    let mut pos = moov.end;
    while let Some(head) = file.header(pos)? {
        match &head.kind {
            b"free" | b"skip" => {
                pos = head.end;
                continue;
            }
            b"moof" => {}
            _ => {
                return Err(ScanError::UnexpectedBox {
                    offset: head.offset,
                    kind: kind_name(&head.kind),
                    expected: "moof",
                });
            }
        }
        let Some(mdat) = file.header(head.end)? else {
            break;
        };
        expect_kind(&mdat, b"mdat", "mdat after moof")?;
        let moof: Moof = file.decode(&head, MAX_MOOF_BYTES, "moof")?;
        let (fragment, samples) = fragment_of(&moof, &head, &mdat, &track, &trex)?;
        on_samples(&fragment, samples);
        fragments.push(fragment);
        pos = mdat.end;
    }
    Ok(ScannedFile {
        init: 0..moov.end,
        kind: track.kind,
        timescale: track.timescale,
        fragments,
        trailing_bytes: file.len - pos,
        track,
        trex,
    })
}

/// The defaults a `trex` gives a track's fragments.
#[derive(Debug, Clone, Copy, Default)]
struct TrackDefaults {
    duration: u32,
    size: u32,
    flags: u32,
}

fn track_of(moov: &Moov, offset: u64) -> Result<(TrackSpec, TrackDefaults), ScanError> {
    let bad = |reason: &str| ScanError::BadBox {
        offset,
        kind: "moov",
        reason: reason.into(),
    };
    let trak = moov.trak.first().ok_or_else(|| bad("no track"))?;
    let kind = match trak.mdia.hdlr.handler.as_ref() {
        b"vide" => TrackKind::Video,
        b"soun" => TrackKind::Voice,
        _ => return Err(bad("neither a video nor a sound track")),
    };
    let codec = trak.mdia.minf.stbl.stsd.codecs.first();
    let codec = codec.ok_or_else(|| bad("no sample entry"))?.clone();
    let track_id = trak.tkhd.track_id;
    let defaults = moov
        .mvex
        .iter()
        .flat_map(|mvex| &mvex.trex)
        .find(|trex| trex.track_id == track_id)
        .map(|trex| TrackDefaults {
            duration: trex.default_sample_duration,
            size: trex.default_sample_size,
            flags: trex.default_sample_flags,
        })
        .unwrap_or_default();
    let spec = TrackSpec {
        track_id,
        kind,
        timescale: trak.mdia.mdhd.timescale,
        codec,
        width: trak.tkhd.width.integer(),
        height: trak.tkhd.height.integer(),
    };
    Ok((spec, defaults))
}

fn fragment_of(
    moof: &Moof,
    head: &BoxHeader,
    mdat: &BoxHeader,
    track: &TrackSpec,
    trex: &TrackDefaults,
) -> Result<(ScannedFragment, Vec<SampleInfo>), ScanError> {
    let bad = |reason: &str| ScanError::BadBox {
        offset: head.offset,
        kind: "moof",
        reason: reason.into(),
    };
    let traf = moof
        .traf
        .iter()
        .find(|traf| traf.tfhd.track_id == track.track_id)
        .ok_or_else(|| bad("no traf for the file's track"))?;
    let tfhd = &traf.tfhd;
    let base_decode_time = traf
        .tfdt
        .as_ref()
        .ok_or_else(|| bad("no tfdt"))?
        .base_media_decode_time;
    let duration = tfhd.default_sample_duration.unwrap_or(trex.duration);
    let size = tfhd.default_sample_size.unwrap_or(trex.size);
    let flags = tfhd.default_sample_flags.unwrap_or(trex.flags);
    let audio = track.kind == TrackKind::Voice;
    let base = tfhd.base_data_offset.unwrap_or(head.offset);
    let mdat_body = mdat.body_start..mdat.end;

    let mut samples = Vec::new();
    let mut next = mdat.body_start;
    for trun in &traf.trun {
        if let Some(data_offset) = trun.data_offset {
            next = base.checked_add_signed(i64::from(data_offset)).ok_or(
                ScanError::SamplesOutsideMdat {
                    offset: head.offset,
                },
            )?;
        }
        let mut push = |entry_duration: Option<u32>, entry_size: Option<u32>, f: Option<u32>| {
            let sample = SampleInfo {
                offset: next,
                size: entry_size.unwrap_or(size),
                duration: entry_duration.unwrap_or(duration),
                sync: audio || f.unwrap_or(flags) & NON_SYNC_BIT == 0,
            };
            next = next.saturating_add(u64::from(sample.size));
            samples.push(sample);
        };
        match &trun.samples {
            TrunSamples::Explicit(entries) => {
                for e in entries {
                    push(e.duration, e.size, e.flags);
                }
            }
            TrunSamples::Inherited { count, first_flags } => {
                // Every sample has the same size; a count beyond what the mdat holds is
                // damage, not a reason to allocate.
                let room = (mdat.end - mdat.body_start) / u64::from(size.max(1));
                if u64::from(*count) > room {
                    return Err(ScanError::SamplesOutsideMdat {
                        offset: head.offset,
                    });
                }
                for i in 0..*count {
                    push(None, None, if i == 0 { *first_flags } else { None });
                }
            }
        }
    }
    let inside = samples.iter().all(|s| {
        mdat_body.contains(&s.offset) && s.offset.saturating_add(u64::from(s.size)) <= mdat_body.end
            || s.size == 0
    });
    if !inside {
        return Err(ScanError::SamplesOutsideMdat {
            offset: head.offset,
        });
    }
    let fragment = ScannedFragment {
        offset: head.offset,
        len: mdat.end - head.offset,
        sequence_number: moof.mfhd.sequence_number,
        base_decode_time,
        duration: samples.iter().map(|s| u64::from(s.duration)).sum(),
        sample_count: samples.len() as u32,
        starts_with_keyframe: samples.first().is_some_and(|s| s.sync),
    };
    Ok((fragment, samples))
}

struct BoxHeader {
    offset: u64,
    kind: [u8; 4],
    body_start: u64,
    end: u64,
}

struct BoxReader<'a, R> {
    reader: &'a mut R,
    len: u64,
}

impl<'a, R: Read + Seek> BoxReader<'a, R> {
    fn new(reader: &'a mut R) -> Result<Self, ScanError> {
        let len = reader.seek(SeekFrom::End(0))?;
        Ok(Self { reader, len })
    }

    /// The box header at `offset`, or `None` when the file ends before the box does.
    fn header(&mut self, offset: u64) -> Result<Option<BoxHeader>, ScanError> {
        if self.len.saturating_sub(offset) < 8 {
            return Ok(None);
        }
        let mut head = [0u8; 8];
        self.read_at(offset, &mut head)?;
        let kind = [head[4], head[5], head[6], head[7]];
        if !kind.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            return Err(ScanError::BadBoxType {
                offset,
                bytes: kind,
            });
        }
        let (size, header_len) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
            1 => {
                if self.len - offset < 16 {
                    return Ok(None);
                }
                let mut large = [0u8; 8];
                self.read_at(offset + 8, &mut large)?;
                (u64::from_be_bytes(large), 16)
            }
            size => (u64::from(size), 8),
        };
        // Size 0 ("to the end of the file") is never written by the writers.
        if size < header_len {
            return Err(ScanError::BadBoxSize {
                offset,
                kind: kind_name(&kind),
                size,
            });
        }
        match offset.checked_add(size) {
            Some(end) if end <= self.len => Ok(Some(BoxHeader {
                offset,
                kind,
                body_start: offset + header_len,
                end,
            })),
            _ => Ok(None),
        }
    }

    /// A whole box, header included, if it is at most `max` bytes.
    fn read_box(&mut self, head: &BoxHeader, max: u64) -> Result<Vec<u8>, ScanError> {
        let size = head.end - head.offset;
        if size > max {
            return Err(ScanError::BadBoxSize {
                offset: head.offset,
                kind: kind_name(&head.kind),
                size,
            });
        }
        let mut bytes = vec![0u8; size as usize];
        self.read_at(head.offset, &mut bytes)?;
        Ok(bytes)
    }

    /// A whole box decoded, if it is at most `max` bytes.
    fn decode<T: Decode>(
        &mut self,
        head: &BoxHeader,
        max: u64,
        kind: &'static str,
    ) -> Result<T, ScanError> {
        let bytes = self.read_box(head, max)?;
        T::decode(&mut Cursor::new(&bytes)).map_err(|e| ScanError::BadBox {
            offset: head.offset,
            kind,
            reason: e.to_string(),
        })
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), ScanError> {
        self.reader.seek(SeekFrom::Start(offset))?;
        self.reader.read_exact(buf)?;
        Ok(())
    }
}

fn expect_kind(head: &BoxHeader, kind: &[u8; 4], expected: &'static str) -> Result<(), ScanError> {
    if &head.kind == kind {
        return Ok(());
    }
    Err(ScanError::UnexpectedBox {
        offset: head.offset,
        kind: kind_name(&head.kind),
        expected,
    })
}

fn kind_name(kind: &[u8; 4]) -> String {
    String::from_utf8_lossy(kind).into_owned()
}
