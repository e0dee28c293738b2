//! Export: a recording's video file and voice files (fragmented, possibly cut by a crash)
//! into ONE progressive MP4 for ffmpeg or VLC: `moov` first with full sample tables, then
//! one `mdat`. Samples are copied, never transcoded; each fragment's samples stay one chunk,
//! and chunks of all tracks are interleaved by time so a player reading front to back finds
//! audio and video together.

use super::init::{TrackKind, TrackSpec, ftyp, trak};
use super::scan::{SampleInfo, ScanError, ScannedFile, scan_with_samples};
use mp4_atom::{
    Co64, Encode, FourCC, Header, Moov, Mvhd, Stbl, Stco, Stsc, StscEntry, Stss, Stsz, StszSamples,
    Stts, SttsEntry,
};
use std::io::{Read, Seek, SeekFrom, Write};

/// The movie timescale (`mvhd`, `tkhd` durations): milliseconds.
const MOVIE_TIMESCALE: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the video file cannot be read: {0}")]
    Video(ScanError),
    #[error("voice file {index} cannot be read: {source}")]
    Voice { index: usize, source: ScanError },
    #[error("the video file holds no video track")]
    NotVideo,
    #[error("voice file {0} holds no voice track")]
    NotVoice(usize),
    #[error("the video file holds no complete fragment")]
    EmptyVideo,
    #[error("reading a sample or writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("encoding a box failed: {0}")]
    Encode(#[from] mp4_atom::Error),
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// Bytes written.
    pub bytes: u64,
    /// The longest track's duration, in milliseconds.
    pub duration_ms: u64,
    /// Samples of each track written: the video's, then each voice's (an empty voice file
    /// is left out and counts 0).
    pub samples: Vec<u64>,
}

/// A run of samples contiguous in the source: one chunk in the export.
struct Chunk {
    source_offset: u64,
    len: u64,
    samples: u32,
    start_time: u64,
}

struct Track {
    spec: TrackSpec,
    samples: Vec<SampleInfo>,
    chunks: Vec<Chunk>,
    duration: u64,
    source: usize,
}

/// Writes one MP4 holding `video`'s H.264 track and every voice's Opus track to `out`.
pub fn export_mp4<R: Read + Seek, W: Write>(
    video: &mut R,
    voices: &mut [R],
    out: &mut W,
) -> Result<ExportSummary, ExportError> {
    let mut tracks = vec![read_track(video, 0).map_err(ExportError::Video)?];
    if tracks[0].spec.kind != TrackKind::Video {
        return Err(ExportError::NotVideo);
    }
    if tracks[0].samples.is_empty() {
        return Err(ExportError::EmptyVideo);
    }
    let mut samples = vec![tracks[0].samples.len() as u64];
    for (index, voice) in voices.iter_mut().enumerate() {
        let track =
            read_track(voice, index + 1).map_err(|source| ExportError::Voice { index, source })?;
        if track.spec.kind != TrackKind::Voice {
            return Err(ExportError::NotVoice(index));
        }
        samples.push(track.samples.len() as u64);
        if !track.samples.is_empty() {
            tracks.push(track);
        }
    }
    for (i, track) in tracks.iter_mut().enumerate() {
        track.spec.track_id = i as u32 + 1;
    }

    let order = interleave(&tracks);
    let data_len: u64 = tracks.iter().flat_map(|t| &t.chunks).map(|c| c.len).sum();
    let mut head = Vec::new();
    ftyp(TrackKind::Video).encode(&mut head)?;
    // Offsets are fixed-size fields, so the moov's size does not depend on their values:
    // encode once to learn it, then again with the real ones.
    let large = {
        let probe = moov(&tracks, &order, 0, true)?;
        head.len() as u64 + encoded_len(&probe)? + 16 + data_len > u64::from(u32::MAX)
    };
    let moov_len = encoded_len(&moov(&tracks, &order, 0, large)?)?;
    let mut mdat_header = Vec::new();
    Header {
        kind: FourCC::new(b"mdat"),
        size: Some(data_len as usize),
    }
    .encode(&mut mdat_header)?;
    let data_start = head.len() as u64 + moov_len + mdat_header.len() as u64;
    moov(&tracks, &order, data_start, large)?.encode(&mut head)?;
    head.extend_from_slice(&mdat_header);
    out.write_all(&head)?;

    let mut sources: Vec<&mut R> = std::iter::once(video).chain(voices.iter_mut()).collect();
    for &(t, c) in &order {
        let chunk = &tracks[t].chunks[c];
        let source = &mut sources[tracks[t].source];
        source.seek(SeekFrom::Start(chunk.source_offset))?;
        let copied = std::io::copy(&mut source.by_ref().take(chunk.len), out)?;
        if copied != chunk.len {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
    }
    let duration_ms = tracks
        .iter()
        .map(|t| movie_time(t.duration, t.spec.timescale))
        .max()
        .unwrap_or(0);
    Ok(ExportSummary {
        bytes: head.len() as u64 + data_len,
        duration_ms,
        samples,
    })
}

fn read_track<R: Read + Seek>(reader: &mut R, source: usize) -> Result<Track, ScanError> {
    let mut samples = Vec::new();
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut time = 0u64;
    let file: ScannedFile = scan_with_samples(reader, |fragment, fragment_samples| {
        time = fragment.base_decode_time;
        let mut contiguous_end = None;
        for sample in fragment_samples {
            match chunks.last_mut() {
                Some(chunk) if contiguous_end == Some(sample.offset) => {
                    chunk.len += u64::from(sample.size);
                    chunk.samples += 1;
                }
                _ => chunks.push(Chunk {
                    source_offset: sample.offset,
                    len: u64::from(sample.size),
                    samples: 1,
                    start_time: time,
                }),
            }
            contiguous_end = Some(sample.offset + u64::from(sample.size));
            time = time.saturating_add(u64::from(sample.duration));
            samples.push(sample);
        }
    })?;
    let duration = samples.iter().map(|s| u64::from(s.duration)).sum();
    Ok(Track {
        spec: file.track,
        samples,
        chunks,
        duration,
        source,
    })
}

/// Every chunk as (track, chunk), ordered by start time across tracks.
fn interleave(tracks: &[Track]) -> Vec<(usize, usize)> {
    let mut order: Vec<(usize, usize)> = tracks
        .iter()
        .enumerate()
        .flat_map(|(t, track)| (0..track.chunks.len()).map(move |c| (t, c)))
        .collect();
    // By start time in microseconds, finer than any sample; ties by track.
    order.sort_by_key(|&(t, c)| {
        let track = &tracks[t];
        let seconds_scaled =
            u128::from(track.chunks[c].start_time) * 1_000_000 / u128::from(track.spec.timescale);
        (seconds_scaled, t)
    });
    order
}

/// The `moov`, with chunk offsets counted from `data_start` in `order`.
fn moov(
    tracks: &[Track],
    order: &[(usize, usize)],
    data_start: u64,
    large_offsets: bool,
) -> Result<Moov, ExportError> {
    let mut offsets: Vec<Vec<u64>> = tracks.iter().map(|t| vec![0; t.chunks.len()]).collect();
    let mut at = data_start;
    for &(t, c) in order {
        offsets[t][c] = at;
        at += tracks[t].chunks[c].len;
    }
    let duration_ms = tracks
        .iter()
        .map(|t| movie_time(t.duration, t.spec.timescale))
        .max()
        .unwrap_or(0);
    let trak = tracks
        .iter()
        .zip(offsets)
        .map(|(track, offsets)| {
            let stbl = sample_tables(track, offsets, large_offsets);
            let movie_duration = movie_time(track.duration, track.spec.timescale);
            trak(&track.spec, stbl, track.duration, movie_duration)
        })
        .collect();
    Ok(Moov {
        mvhd: Mvhd {
            timescale: MOVIE_TIMESCALE,
            duration: duration_ms,
            rate: 1.into(),
            volume: 1.into(),
            next_track_id: tracks.len() as u32 + 1,
            ..Default::default()
        },
        trak,
        ..Default::default()
    })
}

fn sample_tables(track: &Track, offsets: Vec<u64>, large_offsets: bool) -> Stbl {
    let mut stts: Vec<SttsEntry> = Vec::new();
    for sample in &track.samples {
        match stts.last_mut() {
            Some(e) if e.sample_delta == sample.duration => e.sample_count += 1,
            _ => stts.push(SttsEntry {
                sample_count: 1,
                sample_delta: sample.duration,
            }),
        }
    }
    let mut stsc: Vec<StscEntry> = Vec::new();
    for (i, chunk) in track.chunks.iter().enumerate() {
        if stsc
            .last()
            .is_none_or(|e| e.samples_per_chunk != chunk.samples)
        {
            stsc.push(StscEntry {
                first_chunk: i as u32 + 1,
                samples_per_chunk: chunk.samples,
                sample_description_index: 1,
            });
        }
    }
    let sync: Vec<u32> = (1..)
        .zip(&track.samples)
        .filter(|(_, s)| s.sync)
        .map(|(n, _)| n)
        .collect();
    // No stss means every sample is a sync sample.
    let stss = (sync.len() < track.samples.len()).then_some(Stss { entries: sync });
    let (stco, co64) = if large_offsets {
        (None, Some(Co64 { entries: offsets }))
    } else {
        let entries = offsets.into_iter().map(|o| o as u32).collect();
        (Some(Stco { entries }), None)
    };
    Stbl {
        stts: Stts { entries: stts },
        stss,
        stsc: Stsc { entries: stsc },
        stsz: Stsz {
            samples: StszSamples::Different {
                sizes: track.samples.iter().map(|s| s.size).collect(),
            },
        },
        stco,
        co64,
        ..Default::default()
    }
}

/// `duration` ticks of `timescale` in movie time, rounded up so no track looks shorter.
fn movie_time(duration: u64, timescale: u32) -> u64 {
    let scaled = u128::from(duration) * u128::from(MOVIE_TIMESCALE);
    scaled.div_ceil(u128::from(timescale.max(1))) as u64
}

fn encoded_len(moov: &Moov) -> Result<u64, ExportError> {
    let mut bytes = Vec::new();
    moov.encode(&mut bytes)?;
    Ok(bytes.len() as u64)
}
