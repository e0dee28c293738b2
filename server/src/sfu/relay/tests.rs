//! The core driven by hand with fake time: no socket, no runtime.

use super::*;
use bytes::Bytes;
use std::sync::atomic::Ordering;

fn relay(now: Instant) -> Relay {
    Relay::new(
        "127.0.0.1:3478".parse().unwrap(),
        Arc::new(RelayMetrics::default()),
        now,
    )
}

fn outputs(relay: &mut Relay) -> (Vec<RelayOutput>, Instant) {
    let mut out = Vec::new();
    loop {
        match relay.poll_output() {
            RelayOutput::Timeout(at) => return (out, at),
            other => out.push(other),
        }
    }
}

fn attach(relay: &mut Relay, now: Instant, sink: u64) {
    relay.handle_input(
        now,
        RelayInput::Command(RelayCommand::AttachSink {
            sink: SinkId(sink),
            room: RoomId::new("demo"),
        }),
    );
}

fn video(keyframe: bool, arrived: Instant) -> SinkMedia {
    SinkMedia::Video {
        rtp_timestamp: 9000,
        data: Bytes::from_static(&[0, 0, 0, 1, 0x65]),
        keyframe,
        arrived,
    }
}

#[test]
fn an_idle_core_wakes_within_max_sleep_of_its_latest_input() {
    let t0 = Instant::now();
    let mut relay = relay(t0);
    assert!(matches!(relay.poll_output(), RelayOutput::Timeout(at) if at == t0 + MAX_SLEEP));
    let later = t0 + Duration::from_secs(3);
    relay.handle_input(later, RelayInput::Timeout);
    assert!(matches!(relay.poll_output(), RelayOutput::Timeout(at) if at == later + MAX_SLEEP));
}

#[test]
fn a_bad_offer_is_answered_with_an_error_and_adds_no_peer() {
    let t0 = Instant::now();
    let mut relay = relay(t0);
    relay.handle_input(
        t0,
        RelayInput::Command(RelayCommand::Connect {
            participant: ParticipantId::new("p1"),
            room: RoomId::new("demo"),
            role: Role::Expert,
            offer: "v=0\r\nnot sdp".into(),
        }),
    );
    let (out, _) = outputs(&mut relay);
    assert!(
        matches!(&out[..], [RelayOutput::Answer { answer: Err(e), .. }] if e.code == ErrorCode::SdpRejected),
        "{out:?}"
    );
    assert!(relay.peers.is_empty());
}

#[test]
fn a_datagram_nobody_accepts_is_ignored() {
    let t0 = Instant::now();
    let mut relay = relay(t0);
    relay.handle_input(
        t0,
        RelayInput::Receive {
            proto: Protocol::Udp,
            source: "127.0.0.1:5000".parse().unwrap(),
            contents: &[0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
        },
    );
    assert!(outputs(&mut relay).0.is_empty());
}

#[test]
fn a_sink_attached_before_the_publisher_waits_for_a_keyframe() {
    let t0 = Instant::now();
    let mut relay = relay(t0);
    attach(&mut relay, t0, 1);
    assert!(outputs(&mut relay).0.is_empty());
    assert!(relay.sinks[0].gate.waiting());
    assert_eq!(
        relay.metrics.keyframe_requests.load(Ordering::Relaxed),
        0,
        "no publisher to ask yet"
    );
    // Nobody was asked, so the first frame that is not a keyframe will ask at once.
    assert!(relay.sinks[0].gate.should_ask(t0));
}

#[test]
fn a_full_sink_withholds_its_queued_video_but_not_voices_or_records() {
    let t0 = Instant::now();
    let mut relay = relay(t0);
    attach(&mut relay, t0, 1);
    attach(&mut relay, t0, 2);
    let room = RoomId::new("demo");
    for sink in &mut relay.sinks {
        sink.gate.admit(true, true);
    }
    for id in [1, 2] {
        relay.outputs.push_back(RelayOutput::Sink {
            sink: SinkId(id),
            media: video(false, t0),
        });
    }
    relay.give_sinks(&room, || SinkMedia::FrameRecord {
        data: Bytes::from_static(b"{}"),
        arrived: t0,
    });
    relay.handle_input(t0, RelayInput::SinkFull(SinkId(1)));
    let (out, _) = outputs(&mut relay);
    let kinds: Vec<(u64, bool)> = out
        .iter()
        .map(|o| match o {
            RelayOutput::Sink { sink, media } => (sink.0, matches!(media, SinkMedia::Video { .. })),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [(2, true), (1, false), (2, false)],
        "sink 1's video after the hole is withheld, its record is not"
    );
    assert!(relay.sinks[0].gate.waiting(), "sink 1 waits for a keyframe");
    assert!(!relay.sinks[1].gate.waiting(), "sink 2 goes on");
    assert_eq!(
        relay.metrics.sink_media_dropped.load(Ordering::Relaxed),
        2,
        "the item it could not take and the frame withheld"
    );
}

#[test]
fn a_detached_sink_gets_nothing_more() {
    let t0 = Instant::now();
    let mut relay = relay(t0);
    attach(&mut relay, t0, 1);
    relay.give_sinks(&RoomId::new("demo"), || SinkMedia::FrameRecord {
        data: Bytes::from_static(b"{}"),
        arrived: t0,
    });
    relay.handle_input(
        t0,
        RelayInput::Command(RelayCommand::DetachSink { sink: SinkId(1) }),
    );
    assert!(outputs(&mut relay).0.is_empty(), "queued items are dropped");
    assert!(relay.sinks.is_empty());
    relay.give_sinks(&RoomId::new("demo"), || video(true, t0));
    assert!(outputs(&mut relay).0.is_empty());
}
