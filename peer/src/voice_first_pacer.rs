//! A pacer that never holds voice behind video.
//!
//! `webrtc`'s pacer keeps one queue for every RTP packet: on a thin link a keyframe's packets
//! (tens of kilobytes) sit in front of the voice packets sent after them, and the technician's
//! voice stalls for as long as the keyframe takes to drain. Here voice leaves at once and is
//! charged to the same budget, so the video behind it waits a little longer instead (str0m's
//! pacer does the same on the server). Video, retransmissions included, is paced as before.
//!
//! Retransmissions are only worth sending while they can still arrive in time. On a link the
//! estimate has just dropped under, a burst of losses brings a burst of NACKs; queued behind the
//! video they arrive late, are asked for again, and crowd out the new frames (measured behind a
//! 300 kbit/s cap: more packets resent than sent). So a retransmission is refused when the queue
//! ahead of it would hold it longer than `RETRANSMISSION_MAX_WAIT`, and dropped at release if it
//! waited that long anyway.

use rtc::interceptor::{Attribute, Interceptor, Pacer, Packet, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use rtc::shared::marshal::MarshalSize;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
/// Video packets held at most; arrivals beyond are refused (the receiver asks for them again).
const VIDEO_QUEUE_LIMIT: usize = 1000;
/// The longest a retransmission may wait here: past this the receiver has asked again or given
/// the frame up.
const RETRANSMISSION_MAX_WAIT: Duration = Duration::from_millis(200);

/// What the pacer did not send, for the application to report.
#[derive(Debug, Default)]
pub struct PacerDrops {
    /// Retransmissions refused or dropped for being too late.
    pub late_retransmissions: AtomicU64,
    /// Video refused because the queue was full.
    pub refused_video: AtomicU64,
}

pub struct VoiceFirstPacer {
    bucket: Pacer,
    /// The latest instant the bucket was refilled at: retransmissions are stamped with their
    /// NACK's arrival, which may be earlier, and must not refill the same time twice.
    clock: Option<Instant>,
    /// The SSRCs of this peer's audio streams.
    voice: HashSet<u32>,
    /// Queued video, each packet with its size in bits (measured once).
    video: VecDeque<(f64, TaggedPacket)>,
    /// The bits in `video`.
    video_bits: f64,
    drops: Arc<PacerDrops>,
    /// Packets free to go now: RTCP, voice, and video the budget released.
    write: VecDeque<TaggedPacket>,
    read: VecDeque<TaggedPacket>,
}

impl VoiceFirstPacer {
    /// Paced at `initial_bps` until congestion control sets another rate: the estimator's own
    /// starting value, which it does not announce (it only announces changes).
    pub fn new(initial_bps: f64, drops: Arc<PacerDrops>) -> Self {
        Self {
            bucket: Pacer::new(initial_bps),
            clock: None,
            voice: HashSet::new(),
            video: VecDeque::new(),
            video_bits: 0.0,
            drops,
            write: VecDeque::new(),
            read: VecDeque::new(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let now = self.clock.map_or(now, |c| c.max(now));
        self.clock = Some(now);
        self.bucket.refill(now);
    }

    /// How long the video queued now takes to leave at the current rate.
    fn queue_delay(&self) -> Duration {
        let rate = self.bucket.target_bitrate();
        if rate <= 0.0 {
            return Duration::MAX;
        }
        let owed = self.video_bits - self.bucket.budget_bits();
        Duration::from_secs_f64(owed.max(0.0) / rate)
    }

    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

fn is_retransmission(packet: &TaggedPacket) -> bool {
    packet.message.get(&Attribute::Retransmission).is_some()
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for VoiceFirstPacer {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        // Congestion control (wire-side of this) attaches its new target to the feedback packet
        // that produced it, on its way in.
        if let Some(Attribute::TargetBitrateChanged { bits_per_second }) =
            msg.message.get(&Attribute::TargetBitrateChanged {
                bits_per_second: 0.0,
            })
        {
            self.bucket.set_target_bitrate(*bits_per_second);
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        // RTCP (feedback is only useful fresh) is not paced.
        let Packet::Rtp(rtp) = &msg.message.packet else {
            self.write.push_back(msg);
            return Ok(());
        };
        let (ssrc, bits) = (rtp.header.ssrc, (rtp.marshal_size() * 8) as f64);
        self.refill(msg.now);
        if self.voice.contains(&ssrc) {
            // Charged, so the budget stays honest: the video behind waits for it.
            self.bucket.consume(bits);
            self.write.push_back(msg);
        } else if is_retransmission(&msg) && self.queue_delay() > RETRANSMISSION_MAX_WAIT {
            Self::count(&self.drops.late_retransmissions);
        } else if self.video.len() < VIDEO_QUEUE_LIMIT {
            self.video_bits += bits;
            self.video.push_back((bits, msg));
        } else {
            Self::count(&self.drops.refused_video);
        }
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.write.pop_front()
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.refill(now);
        while let Some(&(bits, _)) = self.video.front() {
            if !self.bucket.can_release(bits) {
                break;
            }
            let (_, mut packet) = self.video.pop_front().expect("front just checked");
            self.video_bits -= bits;
            if is_retransmission(&packet)
                && now.saturating_duration_since(packet.now) > RETRANSMISSION_MAX_WAIT
            {
                Self::count(&self.drops.late_retransmissions);
                continue;
            }
            self.bucket.consume(bits);
            // It departs now: what records departures downstream must see this instant, not
            // the one it was queued at, or the queueing is charged to the network.
            packet.now = now;
            self.write.push_back(packet);
        }
        Ok(())
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        let &(bits, _) = self.video.front()?;
        // A microsecond late: the deadline is rounded to nanoseconds, and a wake-up a hair early
        // would find the budget still short and ask to be woken at the same instant again.
        self.bucket
            .releasable_at(bits)
            .map(|at| at + Duration::from_micros(1))
    }
}

impl Interceptor for VoiceFirstPacer {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if info.mime_type.to_ascii_lowercase().starts_with("audio/") {
            self.voice.insert(info.ssrc);
        }
    }
    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.voice.remove(&info.ssrc);
    }
    fn bind_remote_stream(&mut self, _: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _: &StreamInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::interceptor::AttributedPacket;
    use rtc::shared::{TransportContext, TransportMessage};

    const VOICE: u32 = 1;
    const VIDEO: u32 = 2;

    fn rtp(ssrc: u32, sequence_number: u16, payload: usize, now: Instant) -> TaggedPacket {
        let mut packet = rtc::rtp::Packet::default();
        packet.header.ssrc = ssrc;
        packet.header.sequence_number = sequence_number;
        packet.payload = vec![0u8; payload].into();
        TransportMessage {
            now,
            transport: TransportContext::default(),
            message: AttributedPacket::new(Packet::Rtp(packet)),
        }
    }

    fn ssrc_of(p: &TaggedPacket) -> u32 {
        match &p.message.packet {
            Packet::Rtp(rtp) => rtp.header.ssrc,
            _ => 0,
        }
    }

    /// Wakes the pacer at each deadline it asks for until the video queue is empty; returns
    /// what it released and the instant of the last release.
    fn drain(pacer: &mut VoiceFirstPacer, from: Instant) -> (Vec<TaggedPacket>, Instant) {
        let (mut released, mut at) = (Vec::new(), from);
        while let Some(next) = pacer.poll_timeout() {
            assert!(
                next < from + Duration::from_secs(10),
                "the queue never drains"
            );
            at = next;
            pacer.handle_timeout(at).unwrap();
            released.extend(std::iter::from_fn(|| pacer.poll_write()));
        }
        (released, at)
    }

    fn pacer() -> VoiceFirstPacer {
        let mut pacer = VoiceFirstPacer::new(300_000.0, Arc::default());
        pacer.bind_local_stream(&StreamInfo {
            ssrc: VOICE,
            mime_type: "audio/opus".into(),
            ..Default::default()
        });
        pacer.bind_local_stream(&StreamInfo {
            ssrc: VIDEO,
            mime_type: "video/H264".into(),
            ..Default::default()
        });
        pacer
    }

    #[test]
    fn voice_leaves_at_once_while_a_keyframe_drains_at_the_paced_rate() {
        let t0 = Instant::now();
        let mut pacer = pacer();
        // A 36 kB keyframe at 300 kbit/s: about a second's worth.
        for seq in 0..30 {
            pacer.handle_write(rtp(VIDEO, seq, 1200, t0)).unwrap();
        }
        pacer.handle_timeout(t0).unwrap();
        let first: Vec<_> = std::iter::from_fn(|| pacer.poll_write()).collect();
        assert!(
            first.len() < 30,
            "video is paced: {} left at once",
            first.len()
        );

        pacer.handle_write(rtp(VOICE, 0, 80, t0)).unwrap();
        assert_eq!(
            pacer.poll_write().map(|p| ssrc_of(&p)),
            Some(VOICE),
            "voice does not wait"
        );

        // The rest of the keyframe leaves over the next second, not at once.
        let (rest, at) = drain(&mut pacer, t0);
        assert_eq!(first.len() + rest.len(), 30);
        let drained = at.duration_since(t0);
        assert!(
            drained > Duration::from_millis(700) && drained < Duration::from_millis(1300),
            "{drained:?}"
        );
    }

    fn retransmission(sequence_number: u16, now: Instant) -> TaggedPacket {
        let mut packet = rtp(VIDEO, sequence_number, 1200, now);
        packet.message.add(Attribute::Retransmission);
        packet
    }

    #[test]
    fn a_retransmission_that_would_arrive_too_late_is_not_sent() {
        let t0 = Instant::now();
        let mut pacer = pacer();
        // Behind 100 ms of video (300 kbit/s): still worth sending.
        for seq in 0..3 {
            pacer.handle_write(rtp(VIDEO, seq, 1200, t0)).unwrap();
        }
        pacer.handle_write(retransmission(100, t0)).unwrap();
        // Behind over 200 ms: refused.
        for seq in 3..12 {
            pacer.handle_write(rtp(VIDEO, seq, 1200, t0)).unwrap();
        }
        pacer.handle_write(retransmission(101, t0)).unwrap();
        assert_eq!(pacer.drops.late_retransmissions.load(Ordering::Relaxed), 1);

        // The queued one is sent when its turn comes within the limit...
        let (sent, late) = drain(&mut pacer, t0);
        assert_eq!(sent.len(), 13, "12 new packets and one retransmission");

        // ...but one that waited too long (the rate fell meanwhile) is dropped at release.
        pacer.handle_write(rtp(VIDEO, 12, 1200, late)).unwrap();
        pacer.handle_write(retransmission(102, late)).unwrap();
        assert_eq!(
            pacer.drops.late_retransmissions.load(Ordering::Relaxed),
            1,
            "accepted: 32 ms of video ahead"
        );
        pacer.bucket.set_target_bitrate(30_000.0);
        let (released, _) = drain(&mut pacer, late);
        assert_eq!(released.len(), 1, "only the new packet left");
        assert!(!is_retransmission(&released[0]));
        assert_eq!(pacer.drops.late_retransmissions.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn the_rate_follows_congestion_control() {
        let t0 = Instant::now();
        let mut pacer = pacer();
        let mut feedback = rtp(VIDEO, 0, 0, t0);
        feedback.message.packet = Packet::Rtcp(vec![]);
        feedback.message.add(Attribute::TargetBitrateChanged {
            bits_per_second: 50_000.0,
        });
        pacer.handle_read(feedback).unwrap();
        assert!(
            pacer.poll_read().is_some(),
            "the feedback goes on to the application"
        );
        assert_eq!(pacer.bucket.target_bitrate(), 50_000.0);
    }
}
