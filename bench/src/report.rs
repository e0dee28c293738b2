//! What the benchmark prints, and `BENCHMARKS.md`.

use crate::Results;
use crate::recording::RecordingCost;
use crate::scenarios::{ChurnResult, LoadResult};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// The loss and jitter under which a server "holds" a load.
pub const MAX_LOSS_PERCENT: f64 = 0.5;
pub const MAX_JITTER_MS: f64 = 20.0;

pub fn print_load(r: &LoadResult) {
    println!(
        "  {}: {} subscribers ({} failed to join): {:.2} µs CPU/packet, {:.1} ms CPU/Mbit, \
         loss {:.3}% of packets, {:.3}% of frames, jitter {:.2} ms (max {:.2}), transit p50 \
         {:.1} ms p99 {:.1} ms, frames {} intact / {} corrupt / {} lost, first packet p50 {:.0} ms, first picture \
         p50 {:.0} ms, {:.0} KiB/participant, \
         generator {:.2} cores",
        r.server,
        r.subscribers,
        r.failed_joins,
        r.cpu_us_per_packet,
        r.cpu_ms_per_megabit,
        r.loss_percent,
        r.frame_loss_percent,
        r.jitter_ms_mean,
        r.jitter_ms_max,
        r.transit_ms_p50,
        r.transit_ms_p99,
        r.frames_intact,
        r.frames_corrupt,
        r.frames_lost,
        r.join_ms_p50,
        r.picture_ms_p50,
        r.memory_kib_per_participant,
        r.generator_cores,
    );
}

pub fn print_churn(r: &ChurnResult) {
    println!(
        "  {}: {} cycles ({} failed), RSS MiB by cycles done [{}], growth {:+.1} MiB \
         (the load generator's {:+.1} MiB), first packet p50 {:.0} ms p95 {:.0} ms, first \
         picture p50 {:.0} ms p95 {:.0} ms",
        r.server,
        r.cycles,
        r.failed,
        rss_samples(&r.rss_mib),
        r.growth_mib,
        r.generator_growth_mib,
        r.join_ms_p50,
        r.join_ms_p95,
        r.picture_ms_p50,
        r.picture_ms_p95
    );
}

/// "cycles done: MiB" for each memory sample of a join/leave run.
fn rss_samples(samples: &[(usize, f64)]) -> String {
    let samples: Vec<String> = samples
        .iter()
        .map(|(cycles, mib)| format!("{cycles}: {mib:.1}"))
        .collect();
    samples.join(", ")
}

pub fn print_summary(results: &Results) {
    for server in servers(results) {
        if let Some(n) = largest_held(results, &server) {
            println!(
                "{server} held up to {n} subscribers (loss < {MAX_LOSS_PERCENT}%, jitter < {MAX_JITTER_MS} ms)"
            );
        } else {
            println!("{server} held none of the sizes tried");
        }
    }
}

/// The servers measured, in the order they ran.
fn servers(results: &Results) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in &results.fan_out {
        if !names.contains(&r.server) {
            names.push(r.server.clone());
        }
    }
    names
}

/// The fan-out results grouped by server.
fn fan_out_by_server(results: &Results) -> Vec<&LoadResult> {
    servers(results)
        .iter()
        .flat_map(|name| results.fan_out.iter().filter(move |r| &r.server == name))
        .collect()
}

fn holds(r: &LoadResult) -> bool {
    r.failed_joins == 0
        && r.subscribers > 0
        && r.loss_percent < MAX_LOSS_PERCENT
        && r.frame_loss_percent < MAX_LOSS_PERCENT
        && r.jitter_ms_mean < MAX_JITTER_MS
}

/// The largest fan-out a server held.
pub fn largest_held(results: &Results, server: &str) -> Option<usize> {
    results
        .fan_out
        .iter()
        .filter(|r| r.server == server && holds(r))
        .map(|r| r.subscribers_per_room)
        .max()
}

/// For the smoke run: every server delivered intact video to everyone who joined.
pub fn check_delivery(results: &Results) -> anyhow::Result<()> {
    let recording = results.recording.iter();
    let loads = (results.fan_out.iter().chain(&results.rooms)).chain(
        recording
            .clone()
            .flat_map(|c| [&c.not_recording, &c.recording]),
    );
    for c in recording {
        anyhow::ensure!(
            c.recorded.media_bytes > 0 && c.recorded.media_seconds > 0.0,
            "the recording holds no video"
        );
    }
    for r in loads {
        let what = format!(
            "{} with {} room(s) of {} subscribers",
            r.server, r.rooms, r.subscribers_per_room
        );
        anyhow::ensure!(
            r.failed_joins == 0,
            "{what}: {} joins failed",
            r.failed_joins
        );
        anyhow::ensure!(r.frames_intact > 0, "{what}: no intact frame arrived");
        anyhow::ensure!(
            r.frames_corrupt == 0 && r.unknown_timestamps == 0,
            "{what}: {} frames arrived corrupt, {} packets with unknown timestamps",
            r.frames_corrupt,
            r.unknown_timestamps
        );
    }
    for c in &results.churn {
        anyhow::ensure!(
            c.failed == 0,
            "{}: {} join/leave cycles failed",
            c.server,
            c.failed
        );
    }
    Ok(())
}

fn find<'a>(rows: &'a [LoadResult], server: &str, n: usize) -> Option<&'a LoadResult> {
    rows.iter()
        .find(|r| r.server == server && r.subscribers_per_room == n)
}

fn fmt(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "–".into(),
    }
}

/// What the report shows besides the load's results.
pub struct Extras<'a> {
    pub latency: Option<&'a Value>,
    pub notes: Option<&'a str>,
    pub command: &'a str,
    /// How the measured `spotter-server` was built.
    pub spotter_build: &'a str,
}

/// Writes the report to `path` and its plot beside it.
/// Spotter recording one room beside recording none, and what the recording wrote.
fn write_recording(w: &mut String, cost: &RecordingCost) -> anyhow::Result<()> {
    let (plain, recording) = (&cost.not_recording, &cost.recording);
    writeln!(
        w,
        "\n## What recording costs: 1 publisher → {} subscribers, recording and not\n",
        recording.subscribers_per_room
    )?;
    writeln!(
        w,
        "Two fresh Spotter processes under the same load, one with `[recording] auto = true` \
         (the room records from its first keyframe: the video to fragmented MP4, its frame \
         records, the journal).\n"
    )?;
    header(
        w,
        &[
            "",
            "µs CPU/packet",
            "CPU cores",
            "packet / frame loss %",
            "jitter ms",
        ],
    )?;
    for (name, r) in [("not recording", plain), ("recording", recording)] {
        writeln!(
            w,
            "| {name} | {:.2} | {:.2} | {:.3} / {:.3} | {:.2} |",
            r.cpu_us_per_packet,
            r.server_cpu_s / r.window_s,
            r.loss_percent,
            r.frame_loss_percent,
            r.jitter_ms_mean
        )?;
    }
    let v = &cost.recorded;
    writeln!(
        w,
        "\nThe recording: {:.1} s of video in {} bytes, of which {} are the H.264 access units: \
         **{:.0} MB per hour** at the clip's bitrate, the container (init segment, a `moof` per \
         fragment, box headers) **{:.3}%** of the media; all the recording's files {:.0} MB per \
         hour. The publishers send no voice here; a voice at 32 kbit/s adds about 15 MB per hour.",
        v.media_seconds,
        v.file_bytes,
        v.media_bytes,
        v.megabytes_per_hour,
        v.container_overhead_percent,
        v.all_files_megabytes_per_hour
    )?;
    Ok(())
}

pub fn write(path: &Path, results: &Results, extras: &Extras) -> anyhow::Result<()> {
    let command = extras.command;
    let plot_name = "benchmarks-cpu-per-packet.png";
    let plot_path = path.with_file_name(plot_name);
    let plotted = crate::plot::cpu_per_packet(&plot_path, results);
    let mut md = String::new();
    let w = &mut md;
    writeln!(w, "# Benchmarks: Spotter's SFU beside Janus\n")?;
    writeln!(
        w,
        "Generated by `{command}` (figures from one run; `bench/` holds the harness). Both \
         servers ran on this machine in turn for each scenario, each as a fresh process, under the \
         same load: real WebRTC peers (the `webrtc` crate) in one load-generator process, a \
         publisher playing a recorded H.264 clip of the simulated headset's view ({}, {:.0} kbit/s; \
         no encoding during the run) and subscribers that check every packet (sequence gaps, \
         timestamps, each frame's bytes) and send RTCP (receiver reports, NACKs, keyframe \
         requests). The traffic stays inside one network namespace of the benchmark's own. CPU is the server process's own accounting (the \
         scheduler's on-CPU time of its threads, `/proc/PID/task/*/schedstat`) over a {:.0} s \
         window; packets and megabits are what the subscribers received (video payload).\n",
        results.clip,
        results.clip_kbps,
        results.fan_out.first().map_or(0.0, |r| r.window_s)
    )?;
    writeln!(w, "{}", machine(extras.spotter_build))?;
    writeln!(
        w,
        "Janus runs its VideoRoom plugin and HTTP transport only, from a configuration the \
         harness writes (`bench/src/sfu/janus.rs`), with {}.\n",
        match results.janus_event_loops {
            0 => "a media thread per handle (its default)".to_owned(),
            n => format!("`event_loops = {n}` ({n} media threads for all handles)"),
        }
    )?;
    for skipped in &results.skipped {
        writeln!(w, "Not run: {skipped}\n")?;
    }
    let servers = servers(results);
    let mut sizes: Vec<usize> = results
        .fan_out
        .iter()
        .map(|r| r.subscribers_per_room)
        .collect();
    sizes.sort_unstable();
    sizes.dedup();

    writeln!(
        w,
        "## Server CPU per forwarded packet: 1 publisher → N subscribers\n"
    )?;
    if plotted.is_ok() {
        writeln!(w, "![CPU per forwarded packet against N]({plot_name})\n")?;
    }
    header(
        w,
        &[
            "N",
            "Spotter µs/packet",
            "Janus µs/packet",
            "Janus ÷ Spotter",
            "Spotter ms/Mbit",
            "Janus ms/Mbit",
            "Spotter cores",
            "Janus cores",
        ],
    )?;
    for &n in &sizes {
        let s = find(&results.fan_out, "Spotter", n);
        let j = find(&results.fan_out, "Janus", n);
        let ratio = match (s, j) {
            (Some(s), Some(j)) => Some(j.cpu_us_per_packet / s.cpu_us_per_packet),
            _ => None,
        };
        let cores = |r: Option<&LoadResult>| r.map(|r| r.server_cpu_s / r.window_s);
        writeln!(
            w,
            "| {n} | {} | {} | {} | {} | {} | {} | {} |",
            fmt(s.map(|r| r.cpu_us_per_packet), 2),
            fmt(j.map(|r| r.cpu_us_per_packet), 2),
            fmt(ratio, 2),
            fmt(s.map(|r| r.cpu_ms_per_megabit), 1),
            fmt(j.map(|r| r.cpu_ms_per_megabit), 1),
            fmt(cores(s), 2),
            fmt(cores(j), 2),
        )?;
    }
    if let Some(cost) = &results.recording {
        write_recording(w, cost)?;
    }
    writeln!(w, "\n## Delivery at each N\n")?;
    writeln!(
        w,
        "Loss: packets never received of those the server sent in the window (after NACK \
         repair), and frames that did not arrive whole and intact, of those the publisher sent \
         (this also counts what a server dropped before numbering its packets). Jitter: \
         RFC 3550 interarrival jitter at the subscribers (mean over them; worst in brackets). \
         Transit: publisher's send → subscriber's receive, every packet. Generator: the load \
         generator's CPU use in cores (2 cores here: near 2, the generator itself is the limit).\n"
    )?;
    header(
        w,
        &[
            "server",
            "N",
            "packet loss %",
            "frame loss %",
            "jitter ms",
            "transit p50 / p99 ms",
            "frames intact / corrupt / lost",
            "keyframe requests",
            "generator cores",
        ],
    )?;
    for r in fan_out_by_server(results) {
        load_row(w, r)?;
    }
    writeln!(
        w,
        "\n**Largest N held** (packet and frame loss under {MAX_LOSS_PERCENT}%, jitter under \
         {MAX_JITTER_MS} ms, every subscriber joined), of the sizes tried:\n"
    )?;
    for server in &servers {
        let held = largest_held(results, server);
        writeln!(
            w,
            "- {server}: {}",
            held.map_or("none".to_owned(), |n| n.to_string())
        )?;
    }
    if !results.rooms.is_empty() {
        writeln!(w, "\n## Many small rooms at once\n")?;
        header(
            w,
            &[
                "server",
                "rooms × (1 + experts)",
                "CPU µs/packet",
                "CPU cores",
                "packet / frame loss %",
                "jitter ms",
                "transit p50 / p99 ms",
                "frames intact / corrupt / lost",
                "generator cores",
            ],
        )?;
        for r in &results.rooms {
            writeln!(
                w,
                "| {} | {} × (1 + {}) | {:.2} | {:.2} | {:.3} / {:.3} | {:.2} ({:.2}) | {:.1} / {:.1} | {} / {} / {} | {:.2} |",
                r.server,
                r.rooms,
                r.subscribers_per_room,
                r.cpu_us_per_packet,
                r.server_cpu_s / r.window_s,
                r.loss_percent,
                r.frame_loss_percent,
                r.jitter_ms_mean,
                r.jitter_ms_max,
                r.transit_ms_p50,
                r.transit_ms_p99,
                r.frames_intact,
                r.frames_corrupt,
                r.frames_lost,
                r.generator_cores
            )?;
        }
    }
    writeln!(w, "\n## Memory\n")?;
    writeln!(
        w,
        "Per participant: the server's resident memory with everyone connected, less before the \
         room's publisher joined (a fresh server for each scenario), divided by the \
         participants.\n"
    )?;
    header(
        w,
        &[
            "N",
            "Spotter KiB/participant",
            "Janus KiB/participant",
            "Spotter RSS MiB",
            "Janus RSS MiB",
        ],
    )?;
    for &n in &sizes {
        let s = find(&results.fan_out, "Spotter", n);
        let j = find(&results.fan_out, "Janus", n);
        writeln!(
            w,
            "| {n} | {} | {} | {} | {} |",
            fmt(s.map(|r| r.memory_kib_per_participant), 0),
            fmt(j.map(|r| r.memory_kib_per_participant), 0),
            fmt(s.map(|r| r.server_rss_mib), 1),
            fmt(j.map(|r| r.server_rss_mib), 1),
        )?;
    }
    if !results.churn.is_empty() {
        writeln!(
            w,
            "\nOver join/leave cycles (a subscriber joins, receives its first picture, \
             leaves; several at once; a fresh server), the server's resident memory after each \
             tenth of the cycles, MiB, and the load generator's (its peers are the `webrtc` \
             crate's, as the headset's are: webrtc-rs #906 reported its peer connections \
             leaking):\n"
        )?;
        for c in &results.churn {
            writeln!(
                w,
                "- {}: {} cycles, {} failed; {}; growth from the first sample to the last \
                 {:+.1} MiB. Load generator: {}; growth {:+.1} MiB",
                c.server,
                c.cycles,
                c.failed,
                rss_samples(&c.rss_mib),
                c.growth_mib,
                rss_samples(&c.generator_rss_mib),
                c.generator_growth_mib
            )?;
        }
    }
    writeln!(w, "\n## Join time\n")?;
    writeln!(
        w,
        "From opening the signaling connection (Spotter: WebSocket; Janus: creating the HTTP \
         session) to the first video packet at the subscriber, and to the first picture: the \
         first keyframe complete and intact (a server may forward packets a decoder cannot use \
         before it).\n"
    )?;
    header(
        w,
        &[
            "server",
            "scenario",
            "first packet p50 / p95 ms",
            "first picture p50 / p95 ms",
        ],
    )?;
    for c in &results.churn {
        writeln!(
            w,
            "| {} | {} join/leave cycles | {:.0} / {:.0} | {:.0} / {:.0} |",
            c.server, c.cycles, c.join_ms_p50, c.join_ms_p95, c.picture_ms_p50, c.picture_ms_p95
        )?;
    }
    for r in fan_out_by_server(results) {
        writeln!(
            w,
            "| {} | {} subscribers joining ({} at once) | {:.0} / {:.0} | {:.0} / {:.0} |",
            r.server,
            r.subscribers,
            crate::scenarios::JOINING_AT_ONCE,
            r.join_ms_p50,
            r.join_ms_p95,
            r.picture_ms_p50,
            r.picture_ms_p95
        )?;
    }
    writeln!(
        w,
        "\n## Latency the user feels (Spotter, headless Chromium)\n"
    )?;
    match extras.latency {
        Some(latency) => write_latency(w, latency)?,
        None => writeln!(w, "Not measured in this run.")?,
    }
    if let Some(notes) = extras.notes {
        writeln!(w, "\n{notes}")?;
    }
    std::fs::write(path, md)?;
    if let Err(e) = plotted {
        println!("no plot: {e:#}");
    }
    Ok(())
}

/// A table's header row and the separator under it.
fn header(w: &mut String, columns: &[&str]) -> std::fmt::Result {
    writeln!(w, "| {} |", columns.join(" | "))?;
    writeln!(w, "|{}", "---|".repeat(columns.len()))
}

fn load_row(w: &mut String, r: &LoadResult) -> std::fmt::Result {
    writeln!(
        w,
        "| {} | {} | {:.3} | {:.3} | {:.2} ({:.2}) | {:.1} / {:.1} | {} / {} / {} | {} | {:.2} |",
        r.server,
        r.subscribers_per_room,
        r.loss_percent,
        r.frame_loss_percent,
        r.jitter_ms_mean,
        r.jitter_ms_max,
        r.transit_ms_p50,
        r.transit_ms_p99,
        r.frames_intact,
        r.frames_corrupt,
        r.frames_lost,
        r.keyframe_requests,
        r.generator_cores
    )
}

fn write_latency(w: &mut String, latency: &Value) -> std::fmt::Result {
    writeln!(
        w,
        "The server and the simulated headset (Bevy on lavapipe, OpenH264, 640x360) on \
         loopback, the expert's page in headless Chromium; one clock for all (same machine).\n"
    )?;
    header(w, &["what", "samples", "p50 ms", "p95 ms", "p99 ms"])?;
    if let Some(rows) = latency["rows"].as_array() {
        for row in rows {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} |",
                row["what"].as_str().unwrap_or("?"),
                row["samples"],
                fmt(row["p50"].as_f64(), 0),
                fmt(row["p95"].as_f64(), 0),
                fmt(row["p99"].as_f64(), 0),
            )?;
        }
    }
    Ok(())
}

/// The machine the figures come from.
fn machine(spotter_build: &str) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("unknown CPU")
        .trim()
        .to_owned();
    let cores = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / (1 << 20) as f64);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let janus = std::process::Command::new("janus")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find(|l| l.contains("Janus") || l.contains("janus"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "not installed".into());
    format!(
        "Machine: {model}, {cores} cores, {memory_gib:.0} GiB, Linux {}, no GPU. Janus: {}. \
         Spotter: {spotter_build}{}.",
        kernel.trim(),
        janus.trim(),
        std::env::var("SPOTTER_COMMIT")
            .map(|c| format!(" of {c}"))
            .unwrap_or_default()
    )
}
