//! Receiving the room's video as raw RTP packets.

use crate::connection::Peer;
use bytes::Bytes;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};

#[derive(Debug, Clone)]
pub struct ReceivedPacket {
    pub sequence_number: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Bytes,
}

pub struct VideoSubscriber {
    track: Arc<Mutex<Option<Arc<dyn TrackRemote>>>>,
    packets: Option<mpsc::UnboundedReceiver<ReceivedPacket>>,
}

impl VideoSubscriber {
    /// Adds a receive-only video transceiver to `peer` (before its offer). The track appears
    /// with its first packet; from then on its packets stream to [`VideoSubscriber::packets`].
    pub async fn add_to(peer: &mut Peer) -> anyhow::Result<Self> {
        peer.pc
            .add_transceiver_from_kind(
                RtpCodecKind::Video,
                Some(RTCRtpTransceiverInit {
                    direction: RTCRtpTransceiverDirection::Recvonly,
                    ..Default::default()
                }),
            )
            .await?;
        let mut tracks = peer
            .video_tracks
            .take()
            .ok_or_else(|| anyhow::anyhow!("this peer already has a video subscriber"))?;
        let current = Arc::new(Mutex::new(None));
        let (tx, packets) = mpsc::unbounded_channel();
        let slot = current.clone();
        tokio::spawn(async move {
            while let Some(track) = tracks.recv().await {
                *slot.lock().unwrap() = Some(track.clone());
                while let Some(event) = track.poll().await {
                    match event {
                        TrackRemoteEvent::OnRtpPacket(packet) => {
                            let received = ReceivedPacket {
                                sequence_number: packet.header.sequence_number,
                                timestamp: packet.header.timestamp,
                                marker: packet.header.marker,
                                payload: packet.payload.clone(),
                            };
                            if tx.send(received).is_err() {
                                return;
                            }
                        }
                        TrackRemoteEvent::OnEnded => break,
                        _ => {}
                    }
                }
            }
        });
        Ok(Self {
            track: current,
            packets: Some(packets),
        })
    }

    /// The stream of received packets (taken once).
    pub fn packets(&mut self) -> mpsc::UnboundedReceiver<ReceivedPacket> {
        self.packets.take().expect("packets are taken once")
    }

    /// Asks the sender for a keyframe (once a track has arrived).
    pub async fn request_keyframe(&self) -> anyhow::Result<()> {
        let track = self.track.lock().unwrap().clone();
        if let Some(track) = track {
            let ssrc = track.ssrcs().await.first().copied().unwrap_or(0);
            track
                .write_rtcp(vec![Box::new(PictureLossIndication {
                    sender_ssrc: 0,
                    media_ssrc: ssrc,
                })])
                .await?;
        }
        Ok(())
    }
}
