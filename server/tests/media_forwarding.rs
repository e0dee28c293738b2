//! Real WebRTC peers (the `webrtc` crate) through the SFU: one publisher's video reaches two
//! subscribers intact, in order, with the publisher's RTP timestamps; its frame metadata
//! records arrive unchanged (on an unordered channel, so order is not checked).

mod common;

use common::video::{self, access_units, annex_b, frame_record, publish, subscribe};

use spotter_peer::ReceivedPacket;
use spotter_peer::clip::nal_units;
use std::collections::BTreeMap;
use std::time::Duration;

const FRAMES: u32 = 90;
const TIMESTAMP_ORIGIN: u32 = u32::MAX - 45 * 3000; // wraps half-way through

/// Frame `i`'s NAL units: a keyframe every 30 frames.
fn frame_nals(i: u32) -> Vec<Vec<u8>> {
    video::frame_nals(i, i.is_multiple_of(30))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_publishers_video_reaches_two_subscribers_intact_and_in_order() {
    let server = common::start().await;

    let mut publisher = publish(&server).await;
    let (video, meta_channel) = (&mut publisher.video, &publisher.frames);

    let mut subscribers = vec![
        subscribe(&server, "Ana").await,
        subscribe(&server, "Ben").await,
    ];
    // Give the data channels a moment to open end to end.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut sent_records = std::collections::HashSet::new();
    for i in 0..FRAMES {
        let timestamp = TIMESTAMP_ORIGIN.wrapping_add(i * 3000);
        let record = frame_record(i, timestamp);
        // Every tenth frame, a malformed record the SFU must not pass on to the experts.
        if i % 10 == 5 {
            meta_channel.send(r#"{"rtp_timestamp":"soon"}"#).await;
        }
        video
            .send_access_unit(annex_b(&frame_nals(i)), timestamp)
            .await
            .unwrap();
        if meta_channel.send(&record).await {
            sent_records.insert(record);
        }
        tokio::time::sleep(Duration::from_millis(33)).await;
    }

    let last_timestamp = TIMESTAMP_ORIGIN.wrapping_add((FRAMES - 1) * 3000);
    for subscriber in &mut subscribers {
        let received = subscriber.packets_until(last_timestamp).await;
        check_stream(&received);
        let mut received_records = std::collections::HashSet::new();
        while let Ok(text) = subscriber.frames_meta.try_recv() {
            assert!(
                sent_records.contains(&text),
                "a record was altered or a malformed one relayed: {text}"
            );
            assert!(received_records.insert(text), "a record arrived twice");
        }
        // Loopback loses nothing, but the channel may drop records by design: most must arrive.
        assert!(
            received_records.len() as u32 > FRAMES * 9 / 10,
            "only {} of {} frame records arrived",
            received_records.len(),
            sent_records.len()
        );
    }

    // The relay's metrics saw it: every frame in, forwarded to both, bad records dropped.
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
    let metrics = server.get_text("/metrics").await;
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in\n{metrics}"))
    };
    assert_eq!(value("spotter_video_frames_in_total"), u64::from(FRAMES));
    assert_eq!(
        value("spotter_video_frames_out_total"),
        2 * u64::from(FRAMES)
    );
    assert_eq!(
        value("spotter_video_bytes_out_total"),
        2 * value("spotter_video_bytes_in_total")
    );
    assert_eq!(
        value("spotter_frame_records_dropped_total"),
        u64::from(FRAMES / 10)
    );
    assert_eq!(value("spotter_participants{role=\"expert\"}"), 2);
    assert_eq!(value("spotter_peers"), 3);
    assert!(
        value("spotter_keyframe_requests_total") >= 2,
        "one per subscriber that connected"
    );

    // Each peer's link: bytes both ways, no loss on loopback, a round-trip time once reports
    // have crossed (str0m computes them every second).
    let peer_values = |name: &str, role: &str| -> Vec<f64> {
        metrics
            .lines()
            .filter(|l| {
                l.starts_with(&format!("{name}{{")) && l.contains(&format!("role=\"{role}\""))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
            .collect()
    };
    let technician_in = peer_values("spotter_peer_bytes_in_total", "technician");
    assert_eq!(technician_in.len(), 1, "{metrics}");
    // Updated once a second, so they may trail the forwarding counters by up to a second.
    assert!(
        technician_in[0] > value("spotter_video_bytes_in_total") as f64 / 2.0,
        "{metrics}"
    );
    let experts_out = peer_values("spotter_peer_bytes_out_total", "expert");
    assert_eq!(experts_out.len(), 2);
    assert!(experts_out.iter().all(|b| *b > 0.0));
    for loss in peer_values("spotter_peer_loss_in_ratio", "technician") {
        assert!(loss < 0.01, "loopback loses nothing: {loss}");
    }
    let rtts: Vec<f64> = ["technician", "expert"]
        .iter()
        .flat_map(|r| peer_values("spotter_peer_rtt_seconds", r))
        .collect();
    assert!(
        !rtts.is_empty() && rtts.iter().all(|r| (0.0..0.5).contains(r)),
        "{rtts:?}"
    );
}

/// Every packet in order, none missing, and every frame's bytes as sent under its timestamp.
fn check_stream(received: &[ReceivedPacket]) {
    assert!(!received.is_empty(), "no video arrived");
    for pair in received.windows(2) {
        assert_eq!(
            pair[1].sequence_number,
            pair[0].sequence_number.wrapping_add(1),
            "packets out of order or missing"
        );
    }
    let units = access_units(received);
    let order: Vec<u32> = units.iter().map(|(t, _)| *t).collect();
    let frames: BTreeMap<u32, Vec<u8>> = units.into_iter().collect();
    // The first frame forwarded to a new subscriber is a keyframe; from there on, all of them.
    let first = order[0].wrapping_sub(TIMESTAMP_ORIGIN) / 3000;
    assert!(first.is_multiple_of(30), "forwarding starts on a keyframe");
    assert_eq!(
        order.len() as u32,
        FRAMES - first,
        "every frame from the first keyframe on"
    );
    for (k, timestamp) in order.iter().enumerate() {
        let i = first + k as u32;
        assert_eq!(
            *timestamp,
            TIMESTAMP_ORIGIN.wrapping_add(i * 3000),
            "RTP timestamp kept"
        );
        let nals = nal_units(&frames[timestamp]);
        assert_eq!(nals, frame_nals(i), "frame {i} arrived intact");
    }
}
