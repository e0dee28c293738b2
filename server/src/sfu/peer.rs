//! One participant's peer connection as the SFU sees it.

use spotter_protocol::{Action, ErrorCode, ParticipantId, ProtocolError, Role, RoomId};
use std::net::SocketAddr;
use std::time::Instant;
use str0m::change::SdpOffer;
use str0m::channel::ChannelId;
use str0m::media::Mid;
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
    /// The `frames` data channel, once open.
    pub frames_channel: Option<ChannelId>,
    /// Publisher: when we last asked it for a keyframe.
    pub last_keyframe_request: Option<Instant>,
    /// Since when ICE has been disconnected; it may recover, so the peer is kept a while.
    pub disconnected_since: Option<Instant>,
}

impl Peer {
    /// Builds the peer's `Rtc` from its offer and returns it with the SDP answer.
    pub fn from_offer(
        participant: ParticipantId,
        room: RoomId,
        role: Role,
        offer: &str,
        media_addr: SocketAddr,
    ) -> Result<(Self, String), ProtocolError> {
        let rejected = |what: String| ProtocolError::new(ErrorCode::SdpRejected, what);
        if offer_sends_media(offer) && !role.may(Action::Publish) {
            return Err(ProtocolError::new(
                ErrorCode::Forbidden,
                format!("a {role} may not publish media"),
            ));
        }
        let offer = SdpOffer::from_sdp_string(offer)
            .map_err(|e| rejected(format!("the offer is not valid SDP: {e}")))?;
        let mut rtc = Rtc::builder()
            .clear_codecs()
            .enable_h264(true)
            .build(Instant::now());
        let candidate = Candidate::host(media_addr, "udp")
            .map_err(|e| ProtocolError::new(ErrorCode::Internal, format!("candidate: {e}")))?;
        rtc.add_local_candidate(candidate);
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| rejected(format!("the offer cannot be answered: {e}")))?;
        let peer = Peer {
            participant,
            room,
            role,
            rtc,
            connected: false,
            video_in: None,
            video_out: None,
            frames_channel: None,
            last_keyframe_request: None,
            disconnected_since: None,
        };
        Ok((peer, answer.to_sdp_string()))
    }
}

impl Peer {
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

/// Whether an SDP offer asks to send audio or video (a `sendonly` or `sendrecv` media section).
pub fn offer_sends_media(sdp: &str) -> bool {
    let mut in_media = false;
    let mut sends = false;
    // A media section without a direction attribute is sendrecv.
    let mut section_direction_seen = false;
    for line in sdp.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("m=") {
            if in_media && !section_direction_seen {
                sends = true;
            }
            in_media = rest.starts_with("audio") || rest.starts_with("video");
            section_direction_seen = false;
        } else if in_media {
            match line {
                "a=sendonly" | "a=sendrecv" => {
                    sends = true;
                    section_direction_seen = true;
                }
                "a=recvonly" | "a=inactive" => section_direction_seen = true,
                _ => {}
            }
        }
    }
    sends || (in_media && !section_direction_seen)
}

#[cfg(test)]
mod tests {
    use super::offer_sends_media;

    #[test]
    fn detects_offers_that_send_media() {
        let recv = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
        assert!(!offer_sends_media(recv));
        let send = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n";
        assert!(offer_sends_media(send));
        let implicit =
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\nm=video 9 x 96\r\na=recvonly\r\n";
        assert!(offer_sends_media(implicit), "no direction means sendrecv");
        let data_only = "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
        assert!(!offer_sends_media(data_only));
    }
}
