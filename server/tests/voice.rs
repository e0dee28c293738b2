//! Voice through the SFU with real `webrtc` peers: the technician's voice reaches every expert
//! and observer, an expert's voice reaches the technician and the other experts, each talker on
//! its own audio slot; mute state reaches everyone.

mod common;

use common::{TestServer, next_message};
use spotter_peer::voice::{FRAME_SAMPLES, rms_dbfs};
use spotter_peer::{
    AudioPublisher, HeardFrame, Peer, PeerOptions, Signaling, SpeechLikeSignal, VoiceEncoder,
    VoiceListener,
};
use spotter_protocol::{ClientMessage, Role, RoomId, ServerMessage};
use spotter_server::sfu::SinkMedia;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

struct Participant {
    _signaling: Signaling,
    _peer: Peer,
    talk: Option<AudioPublisher>,
    heard: mpsc::UnboundedReceiver<HeardFrame>,
}

async fn join(server: &TestServer, role: Role, name: &str, talks: bool) -> Participant {
    let (mut signaling, _) = server.join(role, name).await;
    let mut peer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
    let talk = if talks {
        Some(AudioPublisher::add_to(&peer).await.unwrap())
    } else {
        None
    };
    let mut listener = VoiceListener::add_to(&mut peer, 3).await.unwrap();
    let offer = peer.create_offer().await.unwrap();
    let answer = signaling.exchange_offer(offer, |_| {}).await.unwrap();
    peer.accept_answer(answer).await.unwrap();
    peer.connected(Duration::from_secs(10)).await.unwrap();
    Participant {
        _signaling: signaling,
        _peer: peer,
        talk,
        heard: listener.frames(),
    }
}

/// Talks for `frames` × 20 ms, paced like a microphone, with the signal scaled by `gain`;
/// returns when each frame left, by RTP timestamp.
async fn talk(publisher: &mut AudioPublisher, frames: usize, gain: f32) -> HashMap<u32, Instant> {
    let mut sent = HashMap::new();
    let mut signal = SpeechLikeSignal::new();
    let mut encoder = VoiceEncoder::new().unwrap();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for _ in 0..frames {
        tick.tick().await;
        let mut frame = signal.next_frame();
        for s in &mut frame {
            *s = (f32::from(*s) * gain) as i16;
        }
        let opus = encoder.encode(&frame).unwrap();
        let at = Instant::now();
        sent.insert(publisher.send_frame(opus).await.unwrap(), at);
    }
    sent
}

/// The loudest 20 ms level heard on each track so far, by track; every frame's latency (sent →
/// decoded) goes to `latencies` when its timestamp is in `sent`.
fn loudest_by_track(
    heard: &mut mpsc::UnboundedReceiver<HeardFrame>,
    sent: &HashMap<u32, Instant>,
    latencies: &mut Vec<Duration>,
) -> BTreeMap<usize, f32> {
    let mut loudest = BTreeMap::new();
    while let Ok(frame) = heard.try_recv() {
        if let Some(at) = sent.get(&frame.rtp_timestamp) {
            latencies.push(frame.decoded_at.duration_since(*at));
        }
        assert_eq!(frame.samples.len(), FRAME_SAMPLES, "20 ms frames");
        let level = rms_dbfs(&frame.samples);
        let entry = loudest.entry(frame.track).or_insert(f32::MIN);
        *entry = entry.max(level);
    }
    loudest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voices_reach_everyone_who_may_listen_each_on_its_own_slot() {
    let server = common::start().await;
    let mut technician = join(&server, Role::Technician, "Tom", true).await;
    let mut ana = join(&server, Role::Expert, "Ana", true).await;
    let mut ben = join(&server, Role::Expert, "Ben", false).await;
    let mut olga = join(&server, Role::Observer, "Olga", false).await;
    // The recorder's seat: every voice, as relayed.
    let mut sink = server.sfu().attach_sink(RoomId::new("demo")).await.unwrap();

    // The technician talks at full level, Ana 12 dB quieter, at the same time: 2 s.
    let mut tom_voice = technician.talk.take().unwrap();
    let mut ana_voice = ana.talk.take().unwrap();
    let (tom_sent, ana_sent) = tokio::join!(
        talk(&mut tom_voice, 100, 1.0),
        talk(&mut ana_voice, 100, 0.25)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut from_tom = Vec::new();
    let mut from_ana = Vec::new();
    let tom_hears = loudest_by_track(&mut technician.heard, &ana_sent, &mut from_ana);
    let ana_hears = loudest_by_track(&mut ana.heard, &tom_sent, &mut from_tom);
    let ben_hears = loudest_by_track(&mut ben.heard, &tom_sent, &mut from_tom);
    let olga_hears = loudest_by_track(&mut olga.heard, &tom_sent, &mut from_tom);
    // Mouth (frame handed to the sender) to ear (frame decoded) through the SFU on loopback:
    // a figure, not an assertion.
    let mut all: Vec<Duration> = from_tom.iter().chain(&from_ana).copied().collect();
    all.sort();
    println!(
        "voice sent → decoded through the SFU, {} frames: median {:?}, p95 {:?}",
        all.len(),
        all[all.len() / 2],
        all[all.len() * 95 / 100]
    );
    assert!(
        all.len() > 300,
        "frames were matched by RTP timestamp: {}",
        all.len()
    );
    println!(
        "levels heard (dBFS, by track): Tom {tom_hears:?}, Ana {ana_hears:?}, Ben {ben_hears:?}, Olga {olga_hears:?}"
    );

    // Talkers do not hear themselves: one voice each.
    assert_eq!(tom_hears.len(), 1, "the technician hears Ana only");
    assert_eq!(ana_hears.len(), 1, "Ana hears the technician only");
    let ana_level = tom_hears.values().next().unwrap();
    let tom_level = ana_hears.values().next().unwrap();
    assert!(
        *tom_level > -25.0,
        "the technician's voice arrives: {tom_level}"
    );
    assert!(
        (tom_level - ana_level - 12.0).abs() < 3.0,
        "each voice keeps its level: {tom_level} vs {ana_level}"
    );
    // Listeners hear both talkers, on two tracks, at their own levels.
    for (who, hears) in [("Ben", &ben_hears), ("Olga", &olga_hears)] {
        let mut levels: Vec<f32> = hears.values().copied().collect();
        levels.sort_by(f32::total_cmp);
        assert_eq!(levels.len(), 2, "{who} hears two voices");
        assert!(
            (levels[1] - levels[0] - 12.0).abs() < 3.0,
            "{who}: the two voices are not mixed up: {levels:?}"
        );
    }
    // The sink got both voices, each frame under its talker and its RTP timestamp.
    let mut sink_voices: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    while let Ok(media) = sink.try_recv() {
        let SinkMedia::Voice {
            talker,
            rtp_timestamp,
            ..
        } = media
        else {
            panic!("only voices in this room: {media:?}");
        };
        sink_voices
            .entry(talker.to_string())
            .or_default()
            .push(rtp_timestamp);
    }
    assert_eq!(
        sink_voices.len(),
        2,
        "two talkers: {:?}",
        sink_voices.keys()
    );
    for timestamps in sink_voices.values() {
        let sent = if tom_sent.contains_key(&timestamps[0]) {
            &tom_sent
        } else {
            &ana_sent
        };
        assert!(
            timestamps.iter().all(|t| sent.contains_key(t)),
            "one talker each"
        );
        assert!(timestamps.len() > 90, "{} of 100 frames", timestamps.len());
    }
    let metrics = server.get_text("/metrics").await;
    assert!(
        metrics.contains("spotter_audio_frames_in_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn mute_state_reaches_everyone_and_only_talkers_may_set_it() {
    let server = common::start().await;
    let (ana, ana_id) = server.join(Role::Expert, "Ana").await;
    let (mut olga, _) = server.join(Role::Observer, "Olga").await;
    ana.send(&ClientMessage::SetMuted { muted: true }).unwrap();
    let updated = loop {
        match olga.recv_timeout(Duration::from_secs(5)).await.unwrap() {
            ServerMessage::ParticipantUpdated { participant } => break participant,
            _ => continue,
        }
    };
    assert_eq!(
        (updated.id.as_str(), updated.muted),
        (ana_id.as_str(), true)
    );
    assert_eq!(
        server.demo_participant(&ana_id).await["muted"],
        true,
        "late joiners see it too"
    );

    olga.send(&ClientMessage::SetMuted { muted: true }).unwrap();
    match next_message(&mut olga).await {
        ServerMessage::Error { code, .. } => assert_eq!(code.as_str(), "forbidden"),
        other => panic!("{other:?}"),
    }
}
