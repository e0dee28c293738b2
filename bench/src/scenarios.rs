//! The scenarios: rooms of one publisher and some subscribers held for a measured window, and
//! subscribers joining and leaving over and over.

use crate::load::publisher::{PlaybackStats, SentLog, play};
use crate::load::stream_check::{Counters, ExpectedFrames};
use crate::load::subscriber::{Receiving, receive};
use crate::process::Usage;
use crate::sfu::{Joined, Sfu};
use futures_util::StreamExt;
use serde::Serialize;
use spotter_peer::clip::Clip;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Subscribers joining at once (a browser tab each, in a real room).
pub const JOINING_AT_ONCE: usize = 8;

pub struct Load {
    pub clip: Arc<Clip>,
    pub expected: Arc<ExpectedFrames>,
    /// After everyone joined, before measuring.
    pub settle: Duration,
    pub window: Duration,
}

/// What one load held for one window showed.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    pub server: String,
    pub rooms: u32,
    pub subscribers_per_room: usize,
    /// Subscribers that joined and received video.
    pub subscribers: usize,
    pub failed_joins: usize,
    pub window_s: f64,
    pub server_cpu_s: f64,
    pub packets: u64,
    pub megabits: f64,
    pub cpu_us_per_packet: f64,
    pub cpu_ms_per_megabit: f64,
    /// Packets that never arrived, of those the server numbered in the window, percent.
    pub loss_percent: f64,
    /// Frames that did not arrive whole and intact, of those sent in the window, percent
    /// (also counts what a server dropped before numbering its packets).
    pub frame_loss_percent: f64,
    /// RFC 3550 interarrival jitter at the subscribers: mean and worst.
    pub jitter_ms_mean: f64,
    pub jitter_ms_max: f64,
    /// Publisher's send → subscriber's receive, every packet in the window.
    pub transit_ms_p50: f64,
    pub transit_ms_p99: f64,
    pub frames_intact: u64,
    pub frames_corrupt: u64,
    pub frames_lost: u64,
    pub unknown_timestamps: u64,
    pub keyframe_requests: u64,
    pub join_ms_p50: f64,
    pub join_ms_p95: f64,
    /// Joining → first intact keyframe (the first picture a decoder could show).
    pub picture_ms_p50: f64,
    pub picture_ms_p95: f64,
    /// Server memory with everyone connected less before, per participant.
    pub memory_kib_per_participant: f64,
    pub server_rss_mib: f64,
    /// The load generator's own CPU use (cores): near 2 means the generator was the limit.
    pub generator_cores: f64,
}

struct Room {
    publisher: Joined,
    playback: tokio::task::JoinHandle<()>,
    stats: Arc<PlaybackStats>,
    subscribers: Vec<(Joined, Receiving)>,
}

/// `rooms` rooms of one publisher and `per_room` subscribers each, held for the load's window.
pub async fn hold_rooms(
    sfu: &mut Sfu,
    rooms: u32,
    per_room: usize,
    load: &Load,
) -> anyhow::Result<LoadResult> {
    let before = sfu.usage()?;
    let mut held = Vec::new();
    let mut failed_joins = 0;
    for room in 1..=rooms {
        let (publisher, playback, log, stats) = start_publishing(sfu, room, load).await?;
        let sfu_ref = &*sfu;
        let joins: Vec<_> = futures_util::stream::iter(0..per_room)
            .map(|_| {
                let log = log.clone();
                async move {
                    let since = Instant::now();
                    let (joined, video) = sfu_ref.subscribe(room).await?;
                    anyhow::Ok((joined, receive(video, log, load.expected.clone(), since)))
                }
            })
            .buffer_unordered(JOINING_AT_ONCE)
            .collect()
            .await;
        let mut subscribers = Vec::new();
        for join in joins {
            match join {
                Ok(subscriber) => subscribers.push(subscriber),
                Err(e) => {
                    failed_joins += 1;
                    tracing::warn!("{}: a subscriber failed to join: {e:#}", sfu.name());
                }
            }
        }
        held.push(Room {
            publisher,
            playback,
            stats,
            subscribers,
        });
    }
    tokio::time::sleep(load.settle).await;

    let counters = |held: &[Room]| -> Vec<Counters> {
        held.iter()
            .flat_map(|r| &r.subscribers)
            .map(|(_, r)| {
                let mut check = r.check.lock().unwrap();
                check.take_transits();
                check.counters()
            })
            .collect()
    };
    let generator_start = Usage::of("self")?;
    let server_start = sfu.usage()?;
    let start_counts = counters(&held);
    let requests_start: u64 = held.iter().map(|r| keyframe_requests(&r.stats)).sum();
    let started = Instant::now();
    tokio::time::sleep(load.window).await;
    let mut transits = Vec::new();
    let mut jitters = Vec::new();
    let mut end_counts = Vec::new();
    for (_, receiving) in held.iter().flat_map(|r| &r.subscribers) {
        let mut check = receiving.check.lock().unwrap();
        transits.extend(check.take_transits());
        jitters.push(check.jitter_ms());
        end_counts.push(check.counters());
    }
    let window_s = started.elapsed().as_secs_f64();
    let server_end = sfu.usage()?;
    let generator_end = Usage::of("self")?;
    let requests_end: u64 = held.iter().map(|r| keyframe_requests(&r.stats)).sum();

    let delta = sum_deltas(&start_counts, &end_counts);
    let receivers = || held.iter().flat_map(|r| &r.subscribers).map(|(_, r)| r);
    let mut join_ms: Vec<f64> = receivers()
        .filter_map(Receiving::first_packet_after)
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    let mut picture_ms: Vec<f64> = receivers()
        .filter_map(Receiving::first_picture_after)
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    let mut transit_ms: Vec<f64> = transits.iter().map(|us| f64::from(*us) / 1000.0).collect();
    let subscribers = end_counts.len();
    let participants = held.len() + subscribers;
    let server_cpu_s = server_end.cpu_seconds - server_start.cpu_seconds;
    let megabits = delta.bytes as f64 * 8.0 / 1e6;
    let result = LoadResult {
        server: sfu.name().to_owned(),
        rooms,
        subscribers_per_room: per_room,
        subscribers,
        failed_joins,
        window_s,
        server_cpu_s,
        packets: delta.packets,
        megabits,
        cpu_us_per_packet: server_cpu_s * 1e6 / delta.packets.max(1) as f64,
        cpu_ms_per_megabit: server_cpu_s * 1e3 / megabits.max(1e-9),
        loss_percent: 100.0 * delta.expected.saturating_sub(delta.unique) as f64
            / delta.expected.max(1) as f64,
        frame_loss_percent: 100.0 * (delta.frames_lost + delta.frames_corrupt) as f64
            / (delta.frames_intact + delta.frames_lost + delta.frames_corrupt).max(1) as f64,
        jitter_ms_mean: jitters.iter().sum::<f64>() / jitters.len().max(1) as f64,
        jitter_ms_max: jitters.iter().copied().fold(0.0, f64::max),
        transit_ms_p50: percentile(&mut transit_ms, 50.0),
        transit_ms_p99: percentile(&mut transit_ms, 99.0),
        frames_intact: delta.frames_intact,
        frames_corrupt: delta.frames_corrupt,
        frames_lost: delta.frames_lost,
        unknown_timestamps: delta.unknown_timestamps,
        keyframe_requests: requests_end - requests_start,
        join_ms_p50: percentile(&mut join_ms, 50.0),
        join_ms_p95: percentile(&mut join_ms, 95.0),
        picture_ms_p50: percentile(&mut picture_ms, 50.0),
        picture_ms_p95: percentile(&mut picture_ms, 95.0),
        memory_kib_per_participant: (server_end.rss_bytes as f64 - before.rss_bytes as f64)
            / 1024.0
            / participants.max(1) as f64,
        server_rss_mib: mib(server_end.rss_bytes),
        generator_cores: (generator_end.cpu_seconds - generator_start.cpu_seconds) / window_s,
    };
    for room in held {
        room.playback.abort();
        for (joined, receiving) in room.subscribers {
            drop(receiving);
            joined.leave().await;
        }
        room.publisher.leave().await;
    }
    // Let the server tear the connections down before the next scenario measures it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(result)
}

/// Prepares `room`, joins it as its publisher and starts playing the clip there.
async fn start_publishing(
    sfu: &Sfu,
    room: u32,
    load: &Load,
) -> anyhow::Result<(
    Joined,
    tokio::task::JoinHandle<()>,
    Arc<SentLog>,
    Arc<PlaybackStats>,
)> {
    sfu.prepare_room(room).await?;
    let publishing = sfu.publish(room).await?;
    let log = Arc::new(SentLog::new(rand::random(), load.clip.format.fps));
    let stats = Arc::new(PlaybackStats::default());
    let playback = play(
        load.clip.clone(),
        publishing.video,
        publishing.keyframe_requests,
        log.clone(),
        stats.clone(),
    );
    Ok((publishing.joined, playback, log, stats))
}

fn keyframe_requests(stats: &PlaybackStats) -> u64 {
    stats
        .keyframe_requests
        .load(std::sync::atomic::Ordering::Relaxed)
}

fn sum_deltas(start: &[Counters], end: &[Counters]) -> Counters {
    let mut sum = Counters::default();
    for (a, b) in start.iter().zip(end) {
        sum.packets += b.packets - a.packets;
        sum.bytes += b.bytes - a.bytes;
        sum.duplicates += b.duplicates - a.duplicates;
        sum.expected += b.expected - a.expected;
        sum.unique += b.unique - a.unique;
        sum.frames_intact += b.frames_intact - a.frames_intact;
        sum.frames_corrupt += b.frames_corrupt - a.frames_corrupt;
        sum.frames_lost += b.frames_lost - a.frames_lost;
        sum.unknown_timestamps += b.unknown_timestamps - a.unknown_timestamps;
    }
    sum
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// The `p`th percentile (nearest rank) of `values`, NaN when empty.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// Memory over many joins and leaves.
#[derive(Debug, Clone, Serialize)]
pub struct ChurnResult {
    pub server: String,
    pub cycles: usize,
    pub failed: usize,
    /// (cycles done, server RSS in MiB), sampled every tenth of the run.
    pub rss_mib: Vec<(usize, f64)>,
    /// RSS at the end less at the first sample (after a tenth of the cycles warmed it up).
    pub growth_mib: f64,
    /// The load generator's own RSS at the same points: its peers are the `webrtc` crate's,
    /// as the headset's are (webrtc-rs #906 reported peer connections leaking).
    pub generator_rss_mib: Vec<(usize, f64)>,
    pub generator_growth_mib: f64,
    pub join_ms_p50: f64,
    pub join_ms_p95: f64,
    pub picture_ms_p50: f64,
    pub picture_ms_p95: f64,
}

/// `cycles` subscribers join a room with a publisher, wait for their first picture (an intact
/// keyframe) and leave, `at_once` at a time.
pub async fn churn(
    sfu: &mut Sfu,
    cycles: usize,
    at_once: usize,
    load: &Load,
) -> anyhow::Result<ChurnResult> {
    let room = 1;
    let (publisher, playback, log, _) = start_publishing(sfu, room, load).await?;
    let step = (cycles / 10).max(1);
    let mut rss_mib = Vec::new();
    let mut generator_rss_mib = Vec::new();
    let mut join_ms = Vec::new();
    let mut picture_ms = Vec::new();
    let mut failed = 0;
    let mut done = 0;
    while done < cycles {
        let batch = step.min(cycles - done);
        let sfu_ref = &*sfu;
        let results: Vec<anyhow::Result<(f64, f64)>> = futures_util::stream::iter(0..batch)
            .map(|_| {
                let log = log.clone();
                async move {
                    let since = Instant::now();
                    let (joined, video) = sfu_ref.subscribe(room).await?;
                    let receiving = receive(video, log, load.expected.clone(), since);
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while receiving.first_picture_after().is_none() && Instant::now() < deadline {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    let times = (
                        receiving.first_packet_after(),
                        receiving.first_picture_after(),
                    );
                    drop(receiving);
                    joined.leave().await;
                    match times {
                        (Some(packet), Some(picture)) => Ok((
                            packet.as_secs_f64() * 1000.0,
                            picture.as_secs_f64() * 1000.0,
                        )),
                        _ => Err(anyhow::anyhow!("no picture in 10 s")),
                    }
                }
            })
            .buffer_unordered(at_once)
            .collect()
            .await;
        for result in results {
            match result {
                Ok((packet, picture)) => {
                    join_ms.push(packet);
                    picture_ms.push(picture);
                }
                Err(e) => {
                    failed += 1;
                    tracing::warn!("{}: a join/leave cycle failed: {e:#}", sfu.name());
                }
            }
        }
        done += batch;
        // Let the server finish tearing down the batch's connections.
        tokio::time::sleep(Duration::from_millis(500)).await;
        rss_mib.push((done, mib(sfu.usage()?.rss_bytes)));
        generator_rss_mib.push((done, mib(Usage::of("self")?.rss_bytes)));
    }
    playback.abort();
    publisher.leave().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let growth = |samples: &[(usize, f64)]| match (samples.first(), samples.last()) {
        (Some(first), Some(last)) => last.1 - first.1,
        _ => 0.0,
    };
    Ok(ChurnResult {
        server: sfu.name().to_owned(),
        cycles,
        failed,
        growth_mib: growth(&rss_mib),
        rss_mib,
        generator_growth_mib: growth(&generator_rss_mib),
        generator_rss_mib,
        join_ms_p50: percentile(&mut join_ms, 50.0),
        join_ms_p95: percentile(&mut join_ms, 95.0),
        picture_ms_p50: percentile(&mut picture_ms, 50.0),
        picture_ms_p95: percentile(&mut picture_ms, 95.0),
    })
}
