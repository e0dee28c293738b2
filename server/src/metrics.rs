//! Prometheus metrics at `GET /metrics`: the rooms' state, read when scraped, and the media
//! relay's counters, kept with atomics on the forwarding path.

use crate::rooms::RoomRegistry;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters the SFU task updates as it forwards.
#[derive(Default)]
pub struct RelayMetrics {
    pub peers: AtomicU64,
    pub video_frames_in: AtomicU64,
    pub video_bytes_in: AtomicU64,
    pub video_frames_out: AtomicU64,
    pub video_bytes_out: AtomicU64,
    pub frame_records_relayed: AtomicU64,
    pub frame_records_dropped: AtomicU64,
    pub keyframe_requests: AtomicU64,
    pub audio_frames_in: AtomicU64,
    pub audio_frames_out: AtomicU64,
    pub audio_frames_unheard: AtomicU64,
}

impl RelayMetrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// The text exposition format (version 0.0.4).
pub fn render(rooms: &RoomRegistry, relay: &RelayMetrics) -> String {
    let mut out = String::new();
    let counts = rooms.counts();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let plain = |v: u64| vec![(String::new(), v)];
    metric(
        "spotter_rooms",
        "gauge",
        "Rooms on this node.",
        &plain(counts.rooms),
    );
    let by_role: Vec<_> = counts
        .participants
        .iter()
        .map(|(role, n)| (format!("{{role=\"{role}\"}}"), *n))
        .collect();
    metric(
        "spotter_participants",
        "gauge",
        "Participants connected, by role.",
        &by_role,
    );
    metric(
        "spotter_annotations",
        "gauge",
        "Live annotations in all rooms.",
        &plain(counts.annotations),
    );
    let relay_metrics: [(&str, &str, &str, &AtomicU64); 11] = [
        (
            "spotter_peers",
            "gauge",
            "Peer connections held by the media relay.",
            &relay.peers,
        ),
        (
            "spotter_video_frames_in_total",
            "counter",
            "Video frames received from publishers.",
            &relay.video_frames_in,
        ),
        (
            "spotter_video_bytes_in_total",
            "counter",
            "Video payload bytes received from publishers.",
            &relay.video_bytes_in,
        ),
        (
            "spotter_video_frames_out_total",
            "counter",
            "Video frames forwarded to subscribers.",
            &relay.video_frames_out,
        ),
        (
            "spotter_video_bytes_out_total",
            "counter",
            "Video payload bytes forwarded to subscribers.",
            &relay.video_bytes_out,
        ),
        (
            "spotter_frame_records_relayed_total",
            "counter",
            "Frame metadata records relayed to subscribers.",
            &relay.frame_records_relayed,
        ),
        (
            "spotter_frame_records_dropped_total",
            "counter",
            "Malformed frame metadata records not relayed.",
            &relay.frame_records_dropped,
        ),
        (
            "spotter_keyframe_requests_total",
            "counter",
            "Keyframe requests sent to publishers.",
            &relay.keyframe_requests,
        ),
        (
            "spotter_audio_frames_in_total",
            "counter",
            "Voice frames (Opus) received from talkers.",
            &relay.audio_frames_in,
        ),
        (
            "spotter_audio_frames_out_total",
            "counter",
            "Voice frames forwarded to listeners.",
            &relay.audio_frames_out,
        ),
        (
            "spotter_audio_frames_unheard_total",
            "counter",
            "Voice frames a listener could not take: all its audio slots held other talkers.",
            &relay.audio_frames_unheard,
        ),
    ];
    for (name, kind, help, value) in relay_metrics {
        metric(name, kind, help, &plain(value.load(Ordering::Relaxed)));
    }
    out
}
