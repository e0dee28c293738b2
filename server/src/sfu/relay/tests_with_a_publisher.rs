//! The core and a str0m publisher wired together in memory under one fake clock: ICE, DTLS,
//! SCTP and RTP really cross, and no time passes but what the test lets pass.

use super::*;
use crate::metrics::RelayMetrics;
use bytes::Bytes;
use spotter_protocol::{FRAMES_CHANNEL, FrameMeta, Intrinsics, Pose};
use str0m::change::SdpAnswer;
use str0m::channel::ChannelId;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::{Candidate, Event, Rtc};

const RELAY: &str = "127.0.0.1:3478";
const HEADSET: &str = "127.0.0.1:40000";
const FRAME: Duration = Duration::from_millis(33);

struct Wire {
    now: Instant,
    relay: Relay,
    headset: Rtc,
    video: Mid,
    channel: ChannelId,
    headset_events: Vec<Event>,
    sink_media: Vec<SinkMedia>,
}

impl Wire {
    /// A relay with a sink attached to `demo`, and a technician's headset connecting to it.
    fn new() -> Self {
        let now = Instant::now();
        let metrics = Arc::new(RelayMetrics::default());
        let mut relay = Relay::new(RELAY.parse().unwrap(), metrics, now);
        relay.handle_input(
            now,
            RelayInput::Command(RelayCommand::AttachSink {
                sink: SinkId(7),
                room: RoomId::new("demo"),
            }),
        );
        let mut headset = Rtc::builder().clear_codecs().enable_h264(true).build(now);
        headset.add_local_candidate(Candidate::host(HEADSET.parse().unwrap(), "udp").unwrap());
        let mut change = headset.sdp_api();
        let video = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let channel = change.add_channel(FRAMES_CHANNEL.into());
        let (offer, pending) = change.apply().unwrap();
        relay.handle_input(
            now,
            RelayInput::Command(RelayCommand::Connect {
                participant: ParticipantId::new("tom"),
                room: RoomId::new("demo"),
                role: Role::Technician,
                offer: offer.to_sdp_string(),
            }),
        );
        let mut wire = Self {
            now,
            relay,
            headset,
            video,
            channel,
            headset_events: Vec::new(),
            sink_media: Vec::new(),
        };
        let answer = wire.exchange().expect("an answer");
        let answer = SdpAnswer::from_sdp_string(&answer).unwrap();
        wire.headset
            .sdp_api()
            .accept_answer(pending, answer)
            .unwrap();
        wire
    }

    /// Carries packets both ways until neither side has more to send at this time; returns
    /// the relay's answer to an offer, if it gave one.
    fn exchange(&mut self) -> Option<String> {
        let (relay_addr, headset_addr) = (RELAY.parse().unwrap(), HEADSET.parse().unwrap());
        let mut answer = None;
        loop {
            let mut moved = false;
            while let Ok(output) = self.headset.poll_output() {
                match output {
                    Output::Transmit(t) => {
                        moved = true;
                        let contents: Vec<u8> = t.contents.into();
                        self.relay.handle_input(
                            self.now,
                            RelayInput::Receive {
                                proto: t.proto,
                                source: t.source,
                                contents: &contents,
                            },
                        );
                    }
                    Output::Event(e) => self.headset_events.push(e),
                    Output::Timeout(_) => break,
                }
            }
            loop {
                match self.relay.poll_output() {
                    RelayOutput::Transmit { contents, .. } => {
                        moved = true;
                        let receive =
                            Receive::new(Protocol::Udp, relay_addr, headset_addr, &contents);
                        let input = Input::Receive(self.now, receive.unwrap());
                        self.headset.handle_input(input).unwrap();
                    }
                    RelayOutput::Sink { media, .. } => self.sink_media.push(media),
                    RelayOutput::Answer { answer: a, .. } => answer = Some(a.unwrap()),
                    RelayOutput::Timeout(_) => break,
                }
            }
            if !moved {
                return answer;
            }
        }
    }

    /// Lets `duration` of fake time pass, giving each side its timeouts as they fall due.
    fn run_for(&mut self, duration: Duration) {
        let end = self.now + duration;
        loop {
            self.exchange();
            let headset_due = match self.headset.poll_output().unwrap() {
                Output::Timeout(t) => t,
                _ => continue,
            };
            let relay_due = match self.relay.poll_output() {
                RelayOutput::Timeout(t) => t,
                _ => continue,
            };
            let next = headset_due.min(relay_due).max(self.now);
            if next > end {
                self.now = end;
                return;
            }
            self.now = next;
            self.headset.handle_input(Input::Timeout(next)).unwrap();
            self.relay.handle_input(next, RelayInput::Timeout);
        }
    }

    fn connected(&self) -> bool {
        self.headset_events
            .iter()
            .any(|e| matches!(e, Event::Connected))
    }

    /// The headset sends frame `i` (a keyframe or not) with its frame record.
    fn send_frame(&mut self, i: u32, keyframe: bool) -> Bytes {
        let unit = access_unit(i, keyframe);
        let rtp_timestamp = 90_000 + i * 3000;
        let writer = self.headset.writer(self.video).unwrap();
        let pt = writer.payload_params().next().unwrap().pt();
        let time = MediaTime::new(u64::from(rtp_timestamp), Frequency::NINETY_KHZ);
        writer.write(pt, self.now, time, unit.to_vec()).unwrap();
        let record = serde_json::to_vec(&FrameMeta {
            rtp_timestamp,
            pose: Pose::new(glam::Vec3::ZERO, glam::Quat::IDENTITY),
            intrinsics: Intrinsics::from_vertical_fov(1.0, 640, 360),
            capture_time_us: u64::from(i) * 33_333,
        })
        .unwrap();
        if let Some(mut channel) = self.headset.channel(self.channel) {
            channel.write(false, &record).unwrap();
        }
        self.run_for(FRAME);
        unit
    }

    fn keyframe_requests(&self) -> u64 {
        self.relay.metrics.keyframe_requests.load(Ordering::Relaxed)
    }

    /// The sink's video so far: RTP timestamp, bytes, keyframe.
    fn sink_video(&self) -> Vec<(u32, Bytes, bool)> {
        self.sink_media
            .iter()
            .filter_map(|m| match m {
                SinkMedia::Video {
                    rtp_timestamp,
                    data,
                    keyframe,
                    ..
                } => Some((*rtp_timestamp, data.clone(), *keyframe)),
                _ => None,
            })
            .collect()
    }
}

/// Annex B: SPS, PPS and an IDR slice for a keyframe, else one slice.
fn access_unit(i: u32, keyframe: bool) -> Bytes {
    let slice: Vec<u8> = (0..3000).map(|j| ((j * 7 + i) % 251) as u8 + 1).collect();
    let nals = if keyframe {
        vec![
            vec![0x67, 0x42, 0xe0, 0x1f, 0x8c, 0x8d, 0x40],
            vec![0x68, 0xce, 0x3c, 0x80],
            [&[0x65][..], &slice].concat(),
        ]
    } else {
        vec![[&[0x41][..], &slice].concat()]
    };
    let mut out = Vec::new();
    for nal in nals {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&nal);
    }
    out.into()
}

fn connected_wire() -> Wire {
    let mut wire = Wire::new();
    for _ in 0..50 {
        wire.run_for(Duration::from_millis(100));
        if wire.connected() {
            // A moment more for the data channel to open.
            wire.run_for(Duration::from_millis(500));
            return wire;
        }
    }
    panic!("the headset did not connect in 5 s of fake time");
}

#[test]
fn the_sink_gets_video_from_the_first_keyframe_and_every_frame_record() {
    let mut wire = connected_wire();
    wire.send_frame(0, false);
    wire.send_frame(1, false);
    let keyframe = wire.send_frame(2, true);
    let next = wire.send_frame(3, false);
    let video = wire.sink_video();
    assert_eq!(
        video,
        [(96_000, keyframe, true), (99_000, next, false)],
        "from the keyframe on, each access unit as it was sent"
    );
    let records = wire
        .sink_media
        .iter()
        .filter(|m| matches!(m, SinkMedia::FrameRecord { .. }))
        .count();
    assert_eq!(records, 4, "frame records are not gated");
    assert!(
        wire.headset_events
            .iter()
            .any(|e| matches!(e, Event::KeyframeRequest(_))),
        "the headset was asked for a keyframe for the sink"
    );
}

#[test]
fn a_waiting_sink_asks_for_a_keyframe_at_most_once_a_second() {
    let mut wire = connected_wire();
    // Past the second of any ask made when the headset connected.
    wire.run_for(Duration::from_millis(1100));
    let before = wire.keyframe_requests();
    wire.send_frame(0, false);
    let asked = wire.keyframe_requests();
    assert_eq!(asked, before + 1, "a frame the sink cannot use: it asks");
    for i in 1..20 {
        wire.send_frame(i, false); // 20 frames: 660 ms
    }
    assert_eq!(wire.keyframe_requests(), asked, "once in the second");
    wire.run_for(Duration::from_millis(400));
    wire.send_frame(20, false);
    assert_eq!(wire.keyframe_requests(), asked + 1, "again a second later");
    assert!(wire.sink_video().is_empty(), "still no keyframe");
}

#[test]
fn after_an_item_it_could_not_take_the_sink_skips_to_the_next_keyframe_and_asks_for_it() {
    let mut wire = connected_wire();
    wire.run_for(Duration::from_millis(1100));
    let first = wire.send_frame(0, true);
    wire.relay
        .handle_input(wire.now, RelayInput::SinkFull(SinkId(7)));
    let before = wire.keyframe_requests();
    wire.send_frame(1, false);
    assert_eq!(wire.keyframe_requests(), before + 1, "it asks at once");
    let keyframe = wire.send_frame(2, true);
    let timestamps: Vec<(u32, bool)> = wire.sink_video().iter().map(|v| (v.0, v.2)).collect();
    assert_eq!(
        timestamps,
        [(90_000, true), (96_000, true)],
        "frame 1 is skipped"
    );
    assert_eq!(wire.sink_video()[0].1, first);
    assert_eq!(wire.sink_video()[1].1, keyframe);
    assert_eq!(
        wire.relay
            .metrics
            .sink_media_dropped
            .load(Ordering::Relaxed),
        1
    );
}
