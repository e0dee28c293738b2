//! What recording costs: the same room (1 publisher, N subscribers) held on two fresh Spotter
//! processes, one recording every room (`[recording] auto = true`) and one not, side by side;
//! then what the recording wrote: bytes per hour of video, and the container's share of them.

use crate::scenarios::{self, Load, LoadResult};
use crate::sfu::{Sfu, spotter::Spotter};
use anyhow::Context;
use mp4_atom::{Any, Decode};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The recording's video file, as the recorder wrote it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedVideo {
    pub file_bytes: u64,
    /// The H.264 access units themselves (the `mdat` payloads).
    pub media_bytes: u64,
    /// The samples' durations added up.
    pub media_seconds: f64,
    pub megabytes_per_hour: f64,
    /// Everything but the access units (init segment, `moof`s, box headers), of the media.
    pub container_overhead_percent: f64,
    /// Every file of the recording (the video, any voice, the frame records), per hour.
    pub all_files_megabytes_per_hour: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordingCost {
    pub not_recording: LoadResult,
    pub recording: LoadResult,
    pub recorded: RecordedVideo,
}

pub async fn measure(
    binary: &Path,
    ip: std::net::IpAddr,
    out_dir: &Path,
    subscribers: usize,
    load: &Load,
) -> anyhow::Result<RecordingCost> {
    let mut results = Vec::new();
    for recording in [false, true] {
        let name = if recording {
            "recording"
        } else {
            "not-recording"
        };
        let dir = out_dir.join("spotter").join(name);
        let mut sfu = Sfu::Spotter(Spotter::start(binary, ip, &dir, recording).await?);
        println!("Spotter: 1 publisher -> {subscribers} subscribers, {name}");
        let result = scenarios::hold_rooms(&mut sfu, 1, subscribers, load).await?;
        crate::report::print_load(&result);
        results.push((result, dir));
    }
    let (recording, dir) = results.pop().context("the recording run")?;
    let (not_recording, _) = results.pop().context("the run without recording")?;
    // The publisher has left, so the room's recording has stopped and its files are closed.
    let recorded = read_video(&only_video_file(&dir.join("data").join("recordings"))?)?;
    println!(
        "  recorded: {:.1} s of video, {:.0} MB per hour, container {:.3}% of the media; \
         all its files {:.0} MB per hour",
        recorded.media_seconds,
        recorded.megabytes_per_hour,
        recorded.container_overhead_percent,
        recorded.all_files_megabytes_per_hour
    );
    Ok(RecordingCost {
        not_recording,
        recording,
        recorded,
    })
}

/// The one recording's `video.mp4` under `recordings`.
fn only_video_file(recordings: &Path) -> anyhow::Result<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(recordings)
        .with_context(|| format!("no recordings at {}", recordings.display()))?
    {
        let video = entry?.path().join("video.mp4");
        if video.is_file() {
            found.push(video);
        }
    }
    anyhow::ensure!(
        found.len() == 1,
        "expected one recording in {}, found {}",
        recordings.display(),
        found.len()
    );
    Ok(found.remove(0))
}

fn read_video(path: &Path) -> anyhow::Result<RecordedVideo> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rest: &[u8] = &bytes;
    let (mut media_bytes, mut ticks, mut timescale) = (0u64, 0u64, None);
    while !rest.is_empty() {
        match Any::decode(&mut rest).with_context(|| format!("reading {}", path.display()))? {
            Any::Moov(moov) => timescale = moov.trak.first().map(|t| t.mdia.mdhd.timescale),
            Any::Mdat(mdat) => media_bytes += mdat.data.len() as u64,
            Any::Moof(moof) => {
                for traf in &moof.traf {
                    let default = traf.tfhd.default_sample_duration.unwrap_or(0);
                    ticks += (traf.trun.iter())
                        .flat_map(|trun| trun.samples.iter())
                        .map(|sample| u64::from(sample.duration.unwrap_or(default)))
                        .sum::<u64>();
                }
            }
            _ => {}
        }
    }
    let timescale = timescale.with_context(|| format!("{} has no track", path.display()))?;
    let media_seconds = ticks as f64 / f64::from(timescale);
    let file_bytes = bytes.len() as u64;
    let mut all_files_bytes = 0;
    for entry in std::fs::read_dir(path.parent().context("the recording's folder")?)? {
        all_files_bytes += entry?.metadata()?.len();
    }
    let per_hour = |bytes: u64| bytes as f64 / 1e6 * 3600.0 / media_seconds.max(1e-9);
    Ok(RecordedVideo {
        file_bytes,
        media_bytes,
        media_seconds,
        megabytes_per_hour: per_hour(file_bytes),
        container_overhead_percent: 100.0 * (file_bytes - media_bytes) as f64
            / media_bytes.max(1) as f64,
        all_files_megabytes_per_hour: per_hour(all_files_bytes),
    })
}
