//! A send-only RTP track added to a peer: what the video and voice publishers share.

use crate::connection::Peer;
use anyhow::Context;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use std::sync::Arc;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit, RtpSender};

pub struct SendTrack {
    pub track: Arc<TrackLocalStaticRTP>,
    sender: Arc<dyn RtpSender>,
    pub ssrc: u32,
    payload_type: Option<u8>,
}

impl SendTrack {
    /// Adds a send-only track of `codec` to `peer` (before its offer), with a random SSRC.
    pub async fn add_to(
        peer: &Peer,
        kind: RtpCodecKind,
        codec: RTCRtpCodec,
        stream_id: &str,
        track_id: &str,
    ) -> anyhow::Result<Self> {
        let ssrc: u32 = rand::random();
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            stream_id.to_owned(),
            track_id.to_owned(),
            track_id.to_owned(),
            kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec,
                ..Default::default()
            }],
        )));
        let transceiver = peer
            .pc
            .add_transceiver_from_track(
                track.clone() as Arc<dyn TrackLocal>,
                Some(RTCRtpTransceiverInit {
                    direction: RTCRtpTransceiverDirection::Sendonly,
                    ..Default::default()
                }),
            )
            .await?;
        let sender = transceiver.sender().await?.context("no RTP sender")?;
        Ok(Self {
            track,
            sender,
            ssrc,
            payload_type: None,
        })
    }

    /// The negotiated payload type (known once the answer was applied).
    pub async fn payload_type(&mut self) -> anyhow::Result<u8> {
        if let Some(pt) = self.payload_type {
            return Ok(pt);
        }
        let parameters = self.sender.get_parameters().await?;
        let pt = parameters
            .rtp_parameters
            .codecs
            .first()
            .map(|c| c.payload_type)
            .context("no codec was negotiated for this track")?;
        self.payload_type = Some(pt);
        Ok(pt)
    }
}
