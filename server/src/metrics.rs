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
    /// Items meant for a sink (the recorder) that it had no room for, or that were withheld
    /// because they followed such a hole.
    pub sink_media_dropped: AtomicU64,
    /// Each connected peer's link, updated once a second by the SFU.
    pub links: crate::sfu::link_stats::LinkTable,
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
    let relay_metrics: [(&str, &str, &str, &AtomicU64); 12] = [
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
        (
            "spotter_sink_media_dropped_total",
            "counter",
            "Media items a sink (the recorder) could not take, or that followed one it could not.",
            &relay.sink_media_dropped,
        ),
    ];
    for (name, kind, help, value) in relay_metrics {
        metric(name, kind, help, &plain(value.load(Ordering::Relaxed)));
    }
    render_links(&mut out, relay);
    out
}

/// Per-peer link figures, labelled by room, participant and role.
fn render_links(out: &mut String, relay: &RelayMetrics) {
    let links = relay.links.lock().unwrap();
    let mut rows: Vec<_> = links.iter().collect();
    rows.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    type Field = fn(&crate::sfu::link_stats::LinkStats) -> Option<f64>;
    let fields: [(&str, &str, &str, Field); 9] = [
        (
            "spotter_peer_rtt_seconds",
            "gauge",
            "Round-trip time to the peer.",
            |l| l.rtt.map(|d| d.as_secs_f64()),
        ),
        (
            "spotter_peer_loss_in_ratio",
            "gauge",
            "Fraction of the peer's packets to the server that were lost.",
            |l| l.loss_in.map(f64::from),
        ),
        (
            "spotter_peer_loss_out_ratio",
            "gauge",
            "Fraction of the server's packets to the peer that were lost.",
            |l| l.loss_out.map(f64::from),
        ),
        (
            "spotter_peer_nacks_sent_total",
            "counter",
            "NACKs the server sent the peer (asking it to resend).",
            |l| Some(l.nacks_sent() as f64),
        ),
        (
            "spotter_peer_nacks_received_total",
            "counter",
            "NACKs the peer sent the server.",
            |l| Some(l.nacks_received() as f64),
        ),
        (
            "spotter_peer_bytes_in_total",
            "counter",
            "Bytes received from the peer.",
            |l| Some(l.bytes_in as f64),
        ),
        (
            "spotter_peer_bytes_out_total",
            "counter",
            "Bytes sent to the peer.",
            |l| Some(l.bytes_out as f64),
        ),
        (
            "spotter_peer_over_tcp",
            "gauge",
            "1 when the peer's media goes over TCP (UDP blocked).",
            |l| Some(if l.over_tcp { 1.0 } else { 0.0 }),
        ),
        (
            "spotter_peer_downlink_estimate_bps",
            "gauge",
            "The server's estimate of its path to a viewer (the slowest caps the publisher).",
            |l| l.downlink,
        ),
    ];
    for (name, kind, help, field) in fields {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (participant, link) in &rows {
            if let Some(value) = field(link) {
                let _ = writeln!(
                    out,
                    "{name}{{room=\"{}\",participant=\"{participant}\",role=\"{}\"}} {value}",
                    link.room, link.role
                );
            }
        }
    }
}
