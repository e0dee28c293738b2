//! One participant's peer connection as the SFU sees it.

use super::offer::OfferedMedia;
use super::publisher_cap::CapSchedule;
use super::throttle::KeyframeThrottle;
use spotter_protocol::{Action, ErrorCode, ParticipantId, ProtocolError, Role, RoomId};
use std::net::SocketAddr;
use std::time::Instant;
use str0m::bwe::Bitrate;
use str0m::change::SdpOffer;
use str0m::channel::ChannelId;
use str0m::media::{MediaData, Mid};
use str0m::net::TcpType;
use str0m::{Candidate, Rtc};

pub struct Peer {
    pub participant: ParticipantId,
    pub room: RoomId,
    pub role: Role,
    pub rtc: Rtc,
    /// Set once ICE and DTLS are up; media written before is lost.
    pub connected: bool,
    /// Publisher: the mid its video arrives on.
    pub video_in: Option<Mid>,
    /// Subscriber: the mid we send the room's video on.
    pub video_out: Option<Mid>,
    /// Talker: the mid its voice arrives on.
    pub audio_in: Option<Mid>,
    /// Listener: the mids we send voices on, one talker each.
    pub audio_slots: Vec<AudioSlot>,
    /// The `frames` data channel, once open.
    pub frames_channel: Option<ChannelId>,
    /// Publisher: when we last asked it for a keyframe.
    pub keyframes: KeyframeThrottle,
    /// Since when ICE has been disconnected; it may recover, so the peer is kept a while.
    pub disconnected_since: Option<Instant>,
    /// Subscriber: the estimate of its downlink, when its feedback allows one.
    pub downlink: Option<Bitrate>,
    /// Publisher: the cap we last sent it (REMB) and when.
    pub cap: CapSchedule,
    /// When its `Rtc` next needs `Input::Timeout` (its latest `Output::Timeout`).
    pub next_timeout: Instant,
    /// Its `Rtc` was given input or changed since it was last drained of output. Only such
    /// peers are drained: with hundreds of viewers, polling them all after every datagram
    /// made a busy relay fall behind.
    pub needs_poll: bool,
}

/// One of a listener's audio streams and the talker it carries. A listener offers a few; the
/// first frame of a talker takes a free slot, and a talker who leaves frees theirs.
pub struct AudioSlot {
    pub mid: Mid,
    pub talker: Option<ParticipantId>,
}

/// Voice packets a gap may wait for (a little reordering), and for how long at most.
const AUDIO_REORDERING_PACKETS: usize = 2;
const AUDIO_REORDERING_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(40);

/// See `set_initial_stun_rto` in `Peer::from_offer`.
const INITIAL_STUN_RTO: std::time::Duration = std::time::Duration::from_millis(50);

/// See `set_send_buffer_video` in `Peer::from_offer`.
const VIDEO_SEND_BUFFER_PACKETS: usize = 300;

/// A viewer's downlink is assumed this fast until its feedback says otherwise: the headset's
/// default ceiling, so a new viewer caps nothing.
pub(super) const DOWNLINK_START: Bitrate = Bitrate::kbps(1600);
/// What a viewer's estimate may climb to (see `Peer::from_offer`).
const DOWNLINK_WANTED: Bitrate = Bitrate::mbps(20);

impl Peer {
    /// Builds the peer's `Rtc` from its offer at `now` and returns it with the SDP answer.
    pub fn from_offer(
        participant: ParticipantId,
        room: RoomId,
        role: Role,
        offer: &str,
        media_addr: SocketAddr,
        now: Instant,
    ) -> Result<(Self, String), ProtocolError> {
        // str0m's errors name its parser's internals (heap offsets among them): they go to the
        // log, and the client gets a fixed message.
        let rejected = |what: &str, e: &dyn std::fmt::Display| {
            tracing::info!(%participant, "{what}: {e}");
            ProtocolError::new(ErrorCode::SdpRejected, what)
        };
        OfferedMedia::read(offer).check(role)?;
        let offer = SdpOffer::from_sdp_string(offer)
            .map_err(|e| rejected("the offer is not valid SDP", &e))?;
        let mut config = Rtc::builder()
            .clear_codecs()
            .enable_h264(true)
            .enable_opus(true, false)
            // Voice is relayed as it comes: holding it back for a lost packet (str0m's default
            // waits for 15 more, 300 ms) delivers the rest in bursts, and the listener's jitter
            // buffer grows to absorb them (1.1 s mouth-to-ear measured behind a lossy 300 kbit/s
            // link). The listener's decoder conceals a loss better than a wait does.
            .set_reordering_size_audio(AUDIO_REORDERING_PACKETS)
            .set_reordering_timeout_audio(Some(AUDIO_REORDERING_TIMEOUT))
            .set_stats_interval(Some(super::link_stats::STATS_INTERVAL))
            // Packets kept per outgoing video stream for resending (str0m's default is 1000,
            // 1.2 MB per viewer). A resend is useful for a round trip and a jitter buffer,
            // about a second at most: 300 packets hold that at 3 Mbit/s, and a whole keyframe.
            .set_send_buffer_video(VIDEO_SEND_BUFFER_PACKETS);
        // The first connectivity check usually reaches the client before it has our answer
        // and is dropped; retried after str0m's default 250 ms, the client had meanwhile
        // nominated the pair and sent its DTLS hello, which we dropped too (not connected
        // yet), and the handshake waited for its 1 s retransmission. 50 ms is RFC 8445's pace.
        config.set_initial_stun_rto(INITIAL_STUN_RTO);
        if role.may(Action::Subscribe) {
            // Estimates this viewer's downlink from its transport-wide feedback; the slowest
            // viewer's estimate caps the publisher (see `publisher_cap.rs`).
            config = config.enable_bwe(Some(DOWNLINK_START));
        }
        let mut rtc = config.build(now);
        if role.may(Action::Subscribe) {
            // str0m paces a viewer's video at 1.1 times its estimate, letting 40 ms of it out in
            // a burst: held at the start value, a 720p keyframe waited up to half a second.
            // Asking for more lets the estimate climb (by probing) as far as the path allows.
            rtc.bwe().set_bitrate(Bitrate::ZERO, DOWNLINK_WANTED);
        }
        let candidate_error = |e: str0m::error::IceError| {
            tracing::error!("the media relay's own candidate was refused: {e}");
            ProtocolError::new(
                ErrorCode::Internal,
                "the media relay cannot offer its address; the server's log says why",
            )
        };
        rtc.add_local_candidate(Candidate::host(media_addr, "udp").map_err(candidate_error)?);
        // The same port over TCP, where a firewall blocks UDP (RFC 6544, passive).
        let tcp = Candidate::builder()
            .tcp()
            .host(media_addr)
            .tcptype(TcpType::Passive)
            .build()
            .map_err(candidate_error)?;
        rtc.add_local_candidate(tcp);
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| {
                rejected(
                    "the offer cannot be answered: it asks for codecs or features the relay does not support",
                    &e,
                )
            })?;
        let peer = Peer {
            participant,
            room,
            role,
            rtc,
            connected: false,
            video_in: None,
            video_out: None,
            audio_in: None,
            audio_slots: Vec::new(),
            frames_channel: None,
            keyframes: KeyframeThrottle::default(),
            disconnected_since: None,
            downlink: None,
            cap: CapSchedule::default(),
            next_timeout: now,
            needs_poll: true,
        };
        Ok((peer, answer.to_sdp_string()))
    }
}

impl Peer {
    /// The mid that carries `talker`'s voice to this listener; a talker's first frame takes a
    /// free slot. `None` when every slot carries someone else.
    pub fn audio_slot_for(&mut self, talker: &ParticipantId) -> Option<Mid> {
        if let Some(slot) = self
            .audio_slots
            .iter()
            .find(|s| s.talker.as_ref() == Some(talker))
        {
            return Some(slot.mid);
        }
        let free = self.audio_slots.iter_mut().find(|s| s.talker.is_none())?;
        free.talker = Some(talker.clone());
        Some(free.mid)
    }

    /// Frees the slot that carried `talker` (who left), for the next talker.
    pub fn release_audio_slot(&mut self, talker: &ParticipantId) {
        for slot in &mut self.audio_slots {
            if slot.talker.as_ref() == Some(talker) {
                slot.talker = None;
            }
        }
    }

    /// Writes one relayed frame on `mid` with the sender's own timestamps; `false` when this
    /// stream cannot take it (not negotiated yet, or no matching codec).
    pub fn write_media(&mut self, mid: Mid, data: &MediaData) -> bool {
        self.needs_poll = true;
        let Some(writer) = self.rtc.writer(mid) else {
            return false;
        };
        let Some(pt) = writer.match_params(data.params) else {
            return false;
        };
        match writer.write(pt, data.network_time, data.time, data.data.clone()) {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!(participant = %self.participant, %mid, "media write: {e}");
                false
            }
        }
    }

    /// Runs a call into this peer's str0m state machine so that a panic on hostile input
    /// costs this peer (it is dropped), not the relay.
    pub fn guarded<T>(&mut self, call: impl FnOnce(&mut Rtc) -> T) -> Option<T> {
        let result = catch_panic(|| call(&mut self.rtc));
        if result.is_none() {
            tracing::error!(participant = %self.participant, "the media stack panicked on this peer's input; dropping the peer");
            self.rtc.disconnect();
        }
        result
    }
}

/// `Some` with the call's result, or `None` if it panicked.
pub fn catch_panic<T>(call: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).ok()
}
