//! Publishing H.264 with the application's own RTP timestamps.

use crate::connection::{Peer, h264_codec};
use crate::feedback::{is_keyframe_request, max_bitrate};
use crate::send_track::SendTrack;
use bytes::Bytes;
use rtc::rtp::codec::h264::H264Payloader;
use rtc::rtp::packetizer::Payloader;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};

/// RTP payload size: keeps packets under a 1280-byte path MTU with SRTP and headers.
const MAX_PAYLOAD: usize = 1188;

/// The SFU repeats the slowest viewer's bitrate about every second; one not repeated for this
/// long no longer holds (that viewer left, or the SFU stopped asking).
const VIEWERS_CAP_LIFETIME: Duration = Duration::from_secs(5);

pub struct VideoPublisher {
    out: SendTrack,
    payloader: H264Payloader,
    sequence: u16,
    /// The latest bitrate the receiving side allowed (REMB), and when it came.
    viewers_cap: Arc<Mutex<Option<(Instant, f64)>>>,
}

impl VideoPublisher {
    /// Adds a send-only H.264 track to `peer` (before its offer). Keyframe requests from the
    /// other side arrive on the returned receiver.
    pub async fn add_to(peer: &Peer) -> anyhow::Result<(Self, mpsc::UnboundedReceiver<()>)> {
        let out = SendTrack::add_to(
            peer,
            RtpCodecKind::Video,
            h264_codec(),
            "spotter-headset",
            "first-person-view",
        )
        .await?;
        let (keyframes_tx, keyframes) = mpsc::unbounded_channel();
        let viewers_cap = Arc::new(Mutex::new(None));
        let cap = viewers_cap.clone();
        let poller = out.track.clone();
        tokio::spawn(async move {
            while let Some(event) = poller.poll().await {
                let TrackLocalEvent::OnRtcpPacket(packets) = event else {
                    continue;
                };
                if let Some(bps) = packets.iter().find_map(|p| max_bitrate(p.as_ref())) {
                    *cap.lock().unwrap() = Some((Instant::now(), bps));
                }
                if packets.iter().any(|p| is_keyframe_request(p.as_ref()))
                    && keyframes_tx.send(()).is_err()
                {
                    break;
                }
            }
        });
        let publisher = Self {
            out,
            payloader: H264Payloader::default(),
            sequence: rand::random(),
            viewers_cap,
        };
        Ok((publisher, keyframes))
    }

    /// The most the viewers can take (bits per second), when the SFU said so recently.
    pub fn viewers_cap_bps(&self) -> Option<f64> {
        let (at, bps) = (*self.viewers_cap.lock().unwrap())?;
        (at.elapsed() < VIEWERS_CAP_LIFETIME).then_some(bps)
    }

    /// Sends one Annex-B access unit as the frame with RTP timestamp `rtp_timestamp`.
    /// Call after the answer was applied.
    pub async fn send_access_unit(
        &mut self,
        access_unit: Bytes,
        rtp_timestamp: u32,
    ) -> anyhow::Result<()> {
        let payload_type = self.out.payload_type().await?;
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
                    ssrc: self.out.ssrc,
                    ..Default::default()
                },
                payload,
            };
            self.sequence = self.sequence.wrapping_add(1);
            self.out.track.write_rtp(packet).await?;
        }
        Ok(())
    }
}
