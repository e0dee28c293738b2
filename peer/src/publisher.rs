//! Publishing H.264 with the application's own RTP timestamps.

use crate::connection::{Peer, h264_codec};
use crate::keyframe::is_keyframe_request;
use anyhow::Context;
use bytes::Bytes;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp::codec::h264::H264Payloader;
use rtc::rtp::packetizer::Payloader;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use std::sync::Arc;
use tokio::sync::mpsc;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit, RtpSender};

/// RTP payload size: keeps packets under a 1280-byte path MTU with SRTP and headers.
const MAX_PAYLOAD: usize = 1188;

pub struct VideoPublisher {
    track: Arc<TrackLocalStaticRTP>,
    sender: Arc<dyn RtpSender>,
    payloader: H264Payloader,
    ssrc: u32,
    sequence: u16,
    payload_type: Option<u8>,
}

impl VideoPublisher {
    /// Adds a send-only H.264 track to `peer` (before its offer). Keyframe requests from the
    /// other side arrive on the returned receiver.
    pub async fn add_to(peer: &Peer) -> anyhow::Result<(Self, mpsc::UnboundedReceiver<()>)> {
        let ssrc: u32 = rand::random();
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            "spotter-headset".to_owned(),
            "first-person-view".to_owned(),
            "video".to_owned(),
            RtpCodecKind::Video,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec: h264_codec(),
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
        let (keyframes_tx, keyframes) = mpsc::unbounded_channel();
        let poller = track.clone();
        tokio::spawn(async move {
            while let Some(event) = poller.poll().await {
                if let TrackLocalEvent::OnRtcpPacket(packets) = event
                    && packets.iter().any(|p| is_keyframe_request(p.as_ref()))
                    && keyframes_tx.send(()).is_err()
                {
                    break;
                }
            }
        });
        let publisher = Self {
            track,
            sender,
            payloader: H264Payloader::default(),
            ssrc,
            sequence: rand::random(),
            payload_type: None,
        };
        Ok((publisher, keyframes))
    }

    /// Sends one Annex-B access unit as the frame with RTP timestamp `rtp_timestamp`.
    /// Call after the answer was applied.
    pub async fn send_access_unit(
        &mut self,
        access_unit: Bytes,
        rtp_timestamp: u32,
    ) -> anyhow::Result<()> {
        let payload_type = match self.payload_type {
            Some(pt) => pt,
            None => {
                let parameters = self.sender.get_parameters().await?;
                let pt = parameters
                    .rtp_parameters
                    .codecs
                    .first()
                    .map(|c| c.payload_type)
                    .context("no video codec was negotiated")?;
                self.payload_type = Some(pt);
                pt
            }
        };
        let payloads = self.payloader.payload(MAX_PAYLOAD, &access_unit)?;
        let count = payloads.len();
        for (i, payload) in payloads.into_iter().enumerate() {
            let packet = rtc::rtp::Packet {
                header: rtc::rtp::Header {
                    version: 2,
                    marker: i + 1 == count,
                    payload_type,
                    sequence_number: self.sequence,
                    timestamp: rtp_timestamp,
                    ssrc: self.ssrc,
                    ..Default::default()
                },
                payload,
            };
            self.sequence = self.sequence.wrapping_add(1);
            self.track.write_rtp(packet).await?;
        }
        Ok(())
    }
}
