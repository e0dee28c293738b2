//! What a subscriber checks in every packet it receives, without decoding: sequence gaps and
//! duplicates, that each frame's timestamp is one the publisher sent, that each frame's bytes
//! are the clip frame sent under it, and how long packets took (transit and RFC 3550 jitter,
//! on the one clock both ends share in this process).

use super::publisher::SentLog;
use rtc::rtp::codec::h264::H264Packet;
use rtc::rtp::packetizer::Depacketizer;
use spotter_peer::ReceivedPacket;
use spotter_peer::clip::{Clip, nal_units};
use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a frame with a missing packet waits for its repair before it counts as lost.
const GIVE_UP_AFTER: Duration = Duration::from_millis(500);
/// Sequence numbers remembered for spotting duplicates.
const SEEN_RING: usize = 8192;

/// The fingerprint of each clip frame's content, as a depacketizer gives it back.
pub struct ExpectedFrames {
    content: Vec<Content>,
    keyframes: Vec<bool>,
    by_hash: HashMap<u64, usize>,
}

impl ExpectedFrames {
    pub fn of(clip: &Clip) -> Self {
        let content: Vec<Content> = clip.frames.iter().map(|f| content_of(&f.data)).collect();
        let by_hash = content
            .iter()
            .enumerate()
            .map(|(i, c)| (c.hash, i))
            .collect();
        Self {
            content,
            keyframes: clip.frames.iter().map(|f| f.keyframe).collect(),
            by_hash,
        }
    }
}

/// An access unit's NAL units, whatever start codes separate them: their hash and total
/// length. Access unit delimiters and filler data are left out: RTP packetizers drop them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Content {
    hash: u64,
    len: usize,
}

fn content_of(annex_b: &[u8]) -> Content {
    let mut hasher = DefaultHasher::new();
    let mut len = 0;
    for nal in nal_units(annex_b) {
        let kind = nal.first().map_or(0, |b| b & 0x1f);
        if kind != 9 && kind != 12 {
            nal.hash(&mut hasher);
            len += nal.len();
        }
    }
    Content {
        hash: hasher.finish(),
        len,
    }
}

/// Whether an H.264 RTP payload begins an access unit for sure: an SPS or an access unit
/// delimiter, alone or first in a STAP-A (a keyframe from our encoders begins with its SPS).
fn begins_access_unit(payload: &[u8]) -> bool {
    let starts = |kind: u8| kind == 7 || kind == 9;
    match payload.first().map(|b| b & 0x1f) {
        Some(24) => payload.get(3).is_some_and(|b| starts(b & 0x1f)),
        Some(kind) => starts(kind),
        None => false,
    }
}

/// Cumulative counts of one subscriber's stream.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Every packet received, duplicates included (what the SFU forwarded and got here).
    pub packets: u64,
    pub bytes: u64,
    pub duplicates: u64,
    /// Sequence numbers from the first received to the highest.
    pub expected: u64,
    /// Distinct sequence numbers received.
    pub unique: u64,
    pub frames_intact: u64,
    /// Complete frames whose bytes are not the clip frame sent under their timestamp.
    pub frames_corrupt: u64,
    /// Frames sent that never arrived whole (a packet of theirs never came).
    pub frames_lost: u64,
    /// Packets whose timestamp is no frame the publisher sent.
    pub unknown_timestamps: u64,
}

struct Pending {
    timestamp: u32,
    marker: bool,
    payload: bytes::Bytes,
    arrived: Instant,
}

pub struct StreamCheck {
    log: Arc<SentLog>,
    expected: Arc<ExpectedFrames>,
    counters: Counters,
    first: Option<u64>,
    highest: Option<u64>,
    seen: Vec<u64>,
    pending: BTreeMap<u64, Pending>,
    /// The extended sequence number the next frame starts at, once a frame boundary was seen.
    next_frame_start: Option<u64>,
    /// Received timestamp − sent timestamp: an SFU may rebase timestamps (Janus does); found
    /// from the first intact frame's content.
    timestamp_offset: Option<u32>,
    /// The publisher's number of the last frame checked.
    last_frame_number: Option<u64>,
    last_transit_us: Option<f64>,
    jitter_us: f64,
    /// Transit of each packet since the last [`StreamCheck::take_transits`].
    transits_us: Vec<u32>,
    keyframe_wanted: bool,
    first_packet_at: Option<Instant>,
    first_keyframe_at: Option<Instant>,
}

impl StreamCheck {
    pub fn new(log: Arc<SentLog>, expected: Arc<ExpectedFrames>) -> Self {
        Self {
            log,
            expected,
            counters: Counters::default(),
            first: None,
            highest: None,
            seen: vec![u64::MAX; SEEN_RING],
            pending: BTreeMap::new(),
            next_frame_start: None,
            timestamp_offset: None,
            last_frame_number: None,
            last_transit_us: None,
            jitter_us: 0.0,
            transits_us: Vec::new(),
            keyframe_wanted: false,
            first_packet_at: None,
            first_keyframe_at: None,
        }
    }

    /// When the first packet arrived.
    pub fn first_packet_at(&self) -> Option<Instant> {
        self.first_packet_at
    }

    /// When the first intact keyframe was complete: the first picture a decoder could show.
    pub fn first_keyframe_at(&self) -> Option<Instant> {
        self.first_keyframe_at
    }

    pub fn counters(&self) -> Counters {
        Counters {
            expected: match (self.first, self.highest) {
                (Some(first), Some(highest)) => highest - first + 1,
                _ => 0,
            },
            ..self.counters
        }
    }

    /// RFC 3550 interarrival jitter, milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        self.jitter_us / 1000.0
    }

    pub fn take_transits(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.transits_us)
    }

    /// Whether a frame was lost since the last call (a decoder would ask for a keyframe).
    pub fn take_keyframe_wanted(&mut self) -> bool {
        std::mem::take(&mut self.keyframe_wanted)
    }

    pub fn on_packet(&mut self, packet: &ReceivedPacket, now: Instant) {
        self.first_packet_at.get_or_insert(now);
        self.counters.packets += 1;
        self.counters.bytes += packet.payload.len() as u64;
        let seq = self.extend(packet.sequence_number);
        let slot = seq as usize % SEEN_RING;
        if self.seen[slot] == seq {
            self.counters.duplicates += 1;
            return;
        }
        self.seen[slot] = seq;
        self.counters.unique += 1;
        self.first = Some(self.first.map_or(seq, |f| f.min(seq)));
        self.highest = Some(self.highest.map_or(seq, |h| h.max(seq)));
        if let Some(offset) = self.timestamp_offset {
            match self.log.find(packet.timestamp.wrapping_sub(offset)) {
                Some(sent) => self.on_transit(now.saturating_duration_since(sent.sent_at)),
                None => self.counters.unknown_timestamps += 1,
            }
        }
        if self.next_frame_start.is_some_and(|start| seq < start) {
            return; // a repair of a frame already given up on
        }
        self.pending.insert(
            seq,
            Pending {
                timestamp: packet.timestamp,
                marker: packet.marker,
                payload: packet.payload.clone(),
                arrived: now,
            },
        );
        self.assemble(now);
    }

    /// The 64-bit sequence number nearest the highest seen.
    fn extend(&self, seq: u16) -> u64 {
        match self.highest {
            None => u64::from(seq) + (1 << 32),
            Some(highest) => {
                let delta = i64::from(seq.wrapping_sub(highest as u16) as i16);
                (highest as i64 + delta) as u64
            }
        }
    }

    fn on_transit(&mut self, transit: Duration) {
        let us = transit.as_micros().min(u128::from(u32::MAX)) as u32;
        self.transits_us.push(us);
        if let Some(last) = self.last_transit_us {
            self.jitter_us += ((f64::from(us) - last).abs() - self.jitter_us) / 16.0;
        }
        self.last_transit_us = Some(f64::from(us));
    }

    fn assemble(&mut self, now: Instant) {
        loop {
            let Some(start) = self.next_frame_start else {
                if let Some((&first, packet)) = self.pending.iter().next()
                    && begins_access_unit(&packet.payload)
                {
                    self.next_frame_start = Some(first);
                    continue;
                }
                // Joined mid-frame: the first frame boundary is after the first marker.
                let Some(&marker) = self.pending.iter().find(|(_, p)| p.marker).map(|(s, _)| s)
                else {
                    return;
                };
                self.pending = self.pending.split_off(&(marker + 1));
                self.next_frame_start = Some(marker + 1);
                continue;
            };
            let mut seq = start;
            let mut end = None;
            while let Some(packet) = self.pending.get(&seq) {
                if packet.marker {
                    end = Some(seq);
                    break;
                }
                seq += 1;
            }
            if let Some(end) = end {
                let rest = self.pending.split_off(&(end + 1));
                let frame = std::mem::replace(&mut self.pending, rest);
                self.check_frame(frame.into_values().collect(), now);
                self.next_frame_start = Some(end + 1);
                continue;
            }
            // A gap: wait for the repair, up to a point, then skip to the next frame boundary
            // (the frames skipped count as lost when the next frame is checked).
            let oldest = self.pending.values().map(|p| p.arrived).min();
            let waited_too_long =
                oldest.is_some_and(|at| now.saturating_duration_since(at) > GIVE_UP_AFTER);
            let next_marker = self.pending.iter().find(|(_, p)| p.marker).map(|(s, _)| *s);
            match next_marker {
                Some(marker) if waited_too_long => {
                    self.pending = self.pending.split_off(&(marker + 1));
                    self.keyframe_wanted = true;
                    self.next_frame_start = Some(marker + 1);
                }
                _ => return,
            }
        }
    }

    fn check_frame(&mut self, mut packets: Vec<Pending>, now: Instant) {
        // Packets of more than one frame between two frame ends: the server dropped the end
        // of one frame (and maybe the start of the next) before numbering its packets, as an
        // overloaded relay does. Only the last frame's packets can make a whole frame; the
        // frames before count as lost when a later frame is checked.
        let timestamp = packets[packets.len() - 1].timestamp;
        let last_frame_from = packets
            .iter()
            .rposition(|p| p.timestamp != timestamp)
            .map_or(0, |i| i + 1);
        packets.drain(..last_frame_from);
        let mut depacketizer = H264Packet::default();
        let mut bytes = Vec::new();
        let mut readable = true;
        for packet in &packets {
            match depacketizer.depacketize(&packet.payload) {
                Ok(out) => bytes.extend_from_slice(&out),
                Err(_) => readable = false,
            }
        }
        let content = content_of(&bytes);
        if self.timestamp_offset.is_none() {
            let sent = self
                .expected
                .by_hash
                .get(&content.hash)
                .and_then(|&index| self.log.latest_with_clip_index(index));
            match sent {
                Some(sent) if readable => {
                    self.timestamp_offset =
                        Some(timestamp.wrapping_sub(self.log.rtp_timestamp(sent.frame_number)));
                }
                // Not yet known which frame this is: nothing to compare it with.
                _ => return,
            }
        }
        let offset = self.timestamp_offset.unwrap_or(0);
        // An unknown timestamp is counted per packet.
        let Some(sent) = self.log.find(timestamp.wrapping_sub(offset)) else {
            return;
        };
        if let Some(last) = self.last_frame_number {
            if sent.frame_number <= last {
                return; // counted already: a piece of a frame, or a frame sent again
            }
            self.lose_frames(sent.frame_number - last - 1);
        }
        self.last_frame_number = Some(sent.frame_number);
        let expected = self.expected.content[sent.clip_index];
        if readable && content == expected {
            self.counters.frames_intact += 1;
            if self.expected.keyframes[sent.clip_index] {
                self.first_keyframe_at.get_or_insert(now);
            }
        } else if content.len < expected.len {
            // Its first packets were dropped before the server numbered what it sent.
            self.lose_frames(1);
        } else {
            self.counters.frames_corrupt += 1;
        }
    }

    /// Counts frames that will never be shown; a decoder would ask for a keyframe.
    fn lose_frames(&mut self, count: u64) {
        if count > 0 {
            self.counters.frames_lost += count;
            self.keyframe_wanted = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::rtp::codec::h264::H264Payloader;
    use rtc::rtp::packetizer::Payloader;
    use spotter_peer::clip::{ClipFormat, ClipFrame};

    /// A keyframe (SPS, PPS, a large IDR slice) and then frames of one slice each; longer
    /// than any test sends, as a real clip is longer than the delay of any packet.
    fn clip() -> Clip {
        let frame = |i: u8| -> ClipFrame {
            let mut data = Vec::new();
            if i == 0 {
                data.extend_from_slice(&[0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f]);
                data.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80]);
                data.extend_from_slice(&[0, 0, 1, 0x65]);
                data.extend((0..3000u32).map(|k| (k % 251) as u8 | 1));
            } else {
                data.extend_from_slice(&[0, 0, 0, 1, 0x41, i]);
                data.extend((0..200u32 * u32::from(i)).map(|k| (k % 7) as u8 + 2));
            }
            ClipFrame {
                keyframe: i == 0,
                data: data.into(),
            }
        };
        Clip {
            format: ClipFormat {
                width: 64,
                height: 48,
                fps: 30.0,
            },
            frames: (0..16).map(frame).collect(),
        }
    }

    /// Packets of frames 0..count as a publisher sends them, sequence numbers from `first_seq`.
    fn packets(clip: &Clip, log: &SentLog, count: u64, first_seq: u16) -> Vec<ReceivedPacket> {
        let mut payloader = H264Payloader::default();
        let mut seq = first_seq;
        let mut out = Vec::new();
        for n in 0..count {
            let index = n as usize % clip.frames.len();
            log.record(crate::load::publisher::SentFrame {
                frame_number: n,
                clip_index: index,
                sent_at: Instant::now(),
            });
            let payloads = payloader.payload(1188, &clip.frames[index].data).unwrap();
            let last = payloads.len() - 1;
            for (k, payload) in payloads.into_iter().enumerate() {
                out.push(ReceivedPacket {
                    sequence_number: seq,
                    timestamp: log.rtp_timestamp(n),
                    marker: k == last,
                    payload,
                });
                seq = seq.wrapping_add(1);
            }
        }
        out
    }

    fn setup() -> (Clip, Arc<SentLog>, StreamCheck) {
        let clip = clip();
        let log = Arc::new(SentLog::new(1000, 30.0));
        let check = StreamCheck::new(log.clone(), Arc::new(ExpectedFrames::of(&clip)));
        (clip, log, check)
    }

    #[test]
    fn an_intact_stream_checks_out_across_the_sequence_wrap() {
        let (clip, log, mut check) = setup();
        let now = Instant::now();
        let sent = packets(&clip, &log, 12, u16::MAX - 4);
        for p in &sent {
            check.on_packet(p, now);
        }
        let c = check.counters();
        assert_eq!(c.packets, sent.len() as u64);
        assert_eq!(
            (c.expected, c.unique, c.duplicates),
            (c.packets, c.packets, 0)
        );
        assert_eq!(c.frames_intact, 12, "{c:?}");
        assert!(check.first_keyframe_at().is_some());
        assert_eq!(
            (c.frames_corrupt, c.frames_lost, c.unknown_timestamps),
            (0, 0, 0)
        );
    }

    #[test]
    fn a_rebased_timestamp_is_followed_and_a_mid_frame_start_skipped() {
        let (clip, log, mut check) = setup();
        let now = Instant::now();
        let mut sent = packets(&clip, &log, 12, 7);
        for p in &mut sent {
            p.timestamp = p.timestamp.wrapping_add(123_456);
        }
        for p in &sent[1..] {
            check.on_packet(p, now);
        }
        let c = check.counters();
        assert_eq!(
            c.frames_intact, 11,
            "all but the first, which began before it joined"
        );
        assert!(
            check.first_keyframe_at().is_none(),
            "the only keyframe was cut"
        );
        assert_eq!((c.frames_corrupt, c.unknown_timestamps), (0, 0));
        assert!(!check.take_transits().is_empty());
    }

    #[test]
    fn damage_loss_duplicates_and_late_repairs_are_each_counted() {
        let (clip, log, mut check) = setup();
        let start = Instant::now();
        let mut sent = packets(&clip, &log, 12, 100);
        // Frame 2 (one packet) corrupted.
        let corrupt = sent
            .iter()
            .position(|p| p.timestamp == log.rtp_timestamp(2))
            .unwrap();
        let mut bytes = sent[corrupt].payload.to_vec();
        *bytes.last_mut().unwrap() ^= 0xff;
        sent[corrupt].payload = bytes.into();
        // Frame 3's packet lost and never repaired; frame 4's repaired late (out of order).
        let lost = sent
            .iter()
            .position(|p| p.timestamp == log.rtp_timestamp(3))
            .unwrap();
        let late = sent
            .iter()
            .position(|p| p.timestamp == log.rtp_timestamp(4))
            .unwrap();
        let late_packet = sent[late].clone();
        for (i, p) in sent.iter().enumerate() {
            if i != lost && i != late {
                check.on_packet(p, start);
            }
            if i == 3 {
                check.on_packet(p, start); // a duplicate
            }
        }
        assert_eq!(
            check.counters().frames_intact,
            2,
            "waiting for frame 3's repair"
        );
        // The repair of frame 4 comes after frame 3 was given up on.
        check.on_packet(&late_packet, start + GIVE_UP_AFTER * 2);
        let c = check.counters();
        assert_eq!(c.duplicates, 1);
        assert_eq!(c.frames_corrupt, 1, "{c:?}");
        assert_eq!(
            c.frames_lost, 2,
            "frame 3, and frame 4 given up with it: {c:?}"
        );
        assert_eq!(c.frames_intact, 9, "frames 0, 1 and 5 to 11: {c:?}");
        assert_eq!(c.expected - c.unique, 1, "one packet never came");
        assert!(check.take_keyframe_wanted());
    }

    #[test]
    fn frames_cut_short_before_numbering_count_as_lost_not_corrupt() {
        let (clip, log, mut check) = setup();
        let now = Instant::now();
        let sent = packets(&clip, &log, 12, 500);
        // The relay dropped the end of one frame and the start of the next, then numbered
        // what it sent without a gap.
        let frame = |n: u64| -> Vec<&ReceivedPacket> {
            sent.iter()
                .filter(|p| p.timestamp == log.rtp_timestamp(n))
                .collect()
        };
        assert!(frame(0).len() > 1, "the keyframe spans packets");
        let mut seq = 500u16;
        let mut deliver = |p: &ReceivedPacket| {
            check.on_packet(
                &ReceivedPacket {
                    sequence_number: seq,
                    ..p.clone()
                },
                now,
            );
            seq = seq.wrapping_add(1);
        };
        for n in 0..12 {
            let packets = frame(n);
            match n {
                // Frame 5 loses its last packet, frame 6 its first; 7 on are whole.
                5 => packets[..packets.len() - 1].iter().for_each(|p| deliver(p)),
                6 => packets[1..].iter().for_each(|p| deliver(p)),
                _ => packets.iter().for_each(|p| deliver(p)),
            }
        }
        let c = check.counters();
        assert_eq!((c.frames_corrupt, c.frames_lost), (0, 2), "{c:?}");
        assert_eq!(c.frames_intact, 10);
        assert_eq!(c.expected, c.unique, "no gap in the sequence numbers");
        assert!(
            check.take_keyframe_wanted(),
            "a decoder would ask for a keyframe"
        );
    }

    #[test]
    fn start_codes_do_not_change_the_content() {
        let three = [0, 0, 1, 0x65, 1, 2, 0, 0, 1, 0x41, 3];
        let four = [0, 0, 0, 1, 0x65, 1, 2, 0, 0, 0, 1, 0x41, 3];
        assert_eq!(content_of(&three), content_of(&four));
        assert_eq!(content_of(&three).len, 5);
        assert_ne!(content_of(&three), content_of(&[0, 0, 1, 0x65, 1, 2]));
    }
}
