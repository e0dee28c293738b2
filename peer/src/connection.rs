//! A peer connection with the SFU: built, offered (non-trickle) and answered.

use crate::congestion::{BitrateRange, PublishingEstimator, TargetBitrate};
use crate::feedback::FeedbackToApp;
use crate::voice_first_pacer::{PacerDrops, VoiceFirstPacer};
use anyhow::Context;
use rtc::ice::mdns::MulticastDnsMode;
use rtc::interceptor::CongestionControlBuilder;
use rtc::interceptor::Slot;
use rtc::peer_connection::configuration::interceptor_registry::configure_twcc;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_H264, MIME_TYPE_RTX};
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodec, RTCRtpCodecParameters, RtpCodecKind};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use webrtc::data_channel::{DataChannel, DataChannelEvent, RTCDataChannelInit};
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCIceGatheringState, RTCPeerConnectionState, RTCSessionDescription, Registry,
    SettingEngineBuilder, StatsSelector, register_default_interceptors,
};

const ICE_CHECK_INTERVAL: Duration = Duration::from_millis(100);
const ICE_CHECKS_PER_PAIR: u16 = 14;

/// The payload type the peers offer H.264 on; its retransmissions (RTX) use the next one.
const H264_PAYLOAD_TYPE: u8 = 102;

/// The H.264 flavour every Spotter peer uses: constrained baseline, packetization mode 1,
/// which browsers decode in hardware or with OpenH264.
pub fn h264_codec() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_H264.to_owned(),
        clock_rate: spotter_protocol::VIDEO_CLOCK_RATE,
        channels: 0,
        sdp_fmtp_line: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
            .to_owned(),
        rtcp_feedback: vec![],
    }
}

pub struct PeerOptions {
    /// The local address to bind (and so the only host candidate). `webrtc` skips loopback
    /// when given 0.0.0.0, so a server on loopback needs 127.0.0.1 here.
    pub bind_ip: IpAddr,
    /// A publisher's send-side congestion control (TWCC + GCC); `None` for receivers.
    pub congestion: Option<BitrateRange>,
}

impl PeerOptions {
    /// Loopback when the server is on loopback, every interface otherwise.
    pub fn for_server(server_host_is_loopback: bool) -> Self {
        Self {
            bind_ip: if server_host_is_loopback {
                IpAddr::from([127, 0, 0, 1])
            } else {
                IpAddr::from([0, 0, 0, 0])
            },
            congestion: None,
        }
    }

    /// With send-side congestion control: the bitrate to send follows the path's estimate.
    pub fn with_congestion_control(mut self, range: BitrateRange) -> Self {
        self.congestion = Some(range);
        self
    }
}

struct Handler {
    gathered: watch::Sender<bool>,
    state: watch::Sender<RTCPeerConnectionState>,
    video_tracks: mpsc::UnboundedSender<Arc<dyn TrackRemote>>,
    audio_tracks: mpsc::UnboundedSender<Arc<dyn TrackRemote>>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(true);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        tracing::debug!(?state, "peer connection state");
        let _ = self.state.send(state);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = match track.kind().await {
            RtpCodecKind::Audio => self.audio_tracks.send(track),
            _ => self.video_tracks.send(track),
        };
    }
}

/// The sending side of the `frames` data channel.
pub struct FramesChannel {
    channel: Arc<dyn DataChannel>,
    open: Arc<AtomicBool>,
}

impl FramesChannel {
    /// Sends one record; returns whether it went out. Until the channel is open records are
    /// dropped: on an unordered channel an early message could overtake the channel's opening
    /// and be discarded by the other side anyway.
    pub async fn send(&self, text: &str) -> bool {
        self.open.load(Ordering::Acquire) && self.channel.send_text(text).await.is_ok()
    }
}

/// Cumulative counts of a sender's video packets and their repair.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct VideoRepairs {
    pub packets_sent: u64,
    /// Packets sent again (on the RTX stream) in answer to NACKs.
    pub retransmitted_packets: u64,
    pub retransmitted_bytes: u64,
    /// Retransmissions the pacer did not send: they would have arrived too late.
    pub late_retransmissions: u64,
    /// Video the pacer refused because its queue was full.
    pub refused_video: u64,
}

/// A peer connection and what it reports.
pub struct Peer {
    pub pc: Arc<dyn PeerConnection>,
    gathered: watch::Receiver<bool>,
    state: watch::Receiver<RTCPeerConnectionState>,
    pub(crate) video_tracks: Option<mpsc::UnboundedReceiver<Arc<dyn TrackRemote>>>,
    pub(crate) audio_tracks: Option<mpsc::UnboundedReceiver<Arc<dyn TrackRemote>>>,
    target_bitrate: Option<TargetBitrate>,
    pacer_drops: Arc<PacerDrops>,
}

impl Peer {
    pub async fn new(options: &PeerOptions) -> anyhow::Result<Self> {
        let mut media = MediaEngine::default();
        media.register_codec(
            RTCRtpCodecParameters {
                rtp_codec: h264_codec(),
                payload_type: H264_PAYLOAD_TYPE,
            },
            RtpCodecKind::Video,
        )?;
        // Retransmissions on their own stream (RFC 4588). Without a negotiated RTX stream the
        // SFU (str0m) never asks for a lost packet again, and loss is repaired by keyframes only.
        media.register_codec(
            RTCRtpCodecParameters {
                rtp_codec: RTCRtpCodec {
                    mime_type: MIME_TYPE_RTX.to_owned(),
                    clock_rate: spotter_protocol::VIDEO_CLOCK_RATE,
                    channels: 0,
                    sdp_fmtp_line: format!("apt={H264_PAYLOAD_TYPE}"),
                    rtcp_feedback: vec![],
                },
                payload_type: H264_PAYLOAD_TYPE + 1,
            },
            RtpCodecKind::Video,
        )?;
        media.register_codec(
            RTCRtpCodecParameters {
                rtp_codec: crate::voice::opus_codec(),
                payload_type: 111,
            },
            RtpCodecKind::Audio,
        )?;
        let mut target_bitrate = None;
        let pacer_drops = Arc::new(PacerDrops::default());
        let registry = match options.congestion {
            Some(range) => {
                let (estimator, target) = PublishingEstimator::new(range);
                target_bitrate = Some(target);
                // What `configure_congestion_control` assembles, but with a pacer that lets
                // voice through ahead of video.
                configure_twcc(Registry::new(), &mut media)?
                    .with(
                        Slot::CongestionControl,
                        CongestionControlBuilder::new(estimator).build(),
                    )
                    .with(
                        Slot::Pacer,
                        VoiceFirstPacer::new(range.initial, pacer_drops.clone()),
                    )
            }
            None => Registry::new(),
        };
        let registry = register_default_interceptors(registry, &mut media)?
            .with(Slot::from(14_000), FeedbackToApp::default());
        let settings = SettingEngineBuilder::new()
            .with_multicast_dns_mode(MulticastDnsMode::Disabled)
            // A connectivity check every 100 ms instead of the crate's 200 ms, which made
            // joining take 0.4 s on loopback (not faster: the server must have checked the
            // pair itself before our nomination, or it drops our DTLS hello, which is resent
            // only after 1 s); as many attempts as before in time (1.4 s) before a candidate
            // pair is given up.
            .with_ice_connection_attempts(Some(ICE_CHECK_INTERVAL), Some(ICE_CHECKS_PER_PAIR))
            .build();
        let (gathered_tx, gathered) = watch::channel(false);
        let (state_tx, state) = watch::channel(RTCPeerConnectionState::New);
        let (video_tracks_tx, video_tracks) = mpsc::unbounded_channel();
        let (audio_tracks_tx, audio_tracks) = mpsc::unbounded_channel();
        let pc = PeerConnectionBuilder::new()
            .with_media_engine(media)
            .with_interceptor_registry(registry)
            .with_setting_engine(settings)
            .with_handler(Arc::new(Handler {
                gathered: gathered_tx,
                state: state_tx,
                video_tracks: video_tracks_tx,
                audio_tracks: audio_tracks_tx,
            }))
            .with_udp_addrs(vec![format!("{}:0", options.bind_ip)])
            .build()
            .await
            .context("building the peer connection")?;
        Ok(Self {
            pc: Arc::new(pc),
            gathered,
            state,
            video_tracks: Some(video_tracks),
            audio_tracks: Some(audio_tracks),
            target_bitrate,
            pacer_drops,
        })
    }

    /// The congestion controller's target, when this peer was built with one.
    pub fn target_bitrate(&self) -> Option<TargetBitrate> {
        self.target_bitrate.clone()
    }

    /// What this peer's video senders were asked to resend, and did (cumulative).
    pub async fn video_repairs(&self) -> VideoRepairs {
        let report = self
            .pc
            .get_stats(std::time::Instant::now(), StatsSelector::None)
            .await;
        report
            .outbound_rtp_streams()
            .filter(|s| s.sent_rtp_stream_stats.rtp_stream_stats.kind == RtpCodecKind::Video)
            .fold(
                VideoRepairs {
                    late_retransmissions: self
                        .pacer_drops
                        .late_retransmissions
                        .load(Ordering::Relaxed),
                    refused_video: self.pacer_drops.refused_video.load(Ordering::Relaxed),
                    ..VideoRepairs::default()
                },
                |sum, s| VideoRepairs {
                    packets_sent: sum.packets_sent + s.sent_rtp_stream_stats.packets_sent,
                    retransmitted_packets: sum.retransmitted_packets + s.retransmitted_packets_sent,
                    retransmitted_bytes: sum.retransmitted_bytes + s.retransmitted_bytes_sent,
                    ..sum
                },
            )
    }

    /// Creates the offer and waits until every candidate is in it.
    pub async fn create_offer(&mut self) -> anyhow::Result<String> {
        let offer = self.pc.create_offer(None).await?;
        self.pc.set_local_description(offer).await?;
        self.local_description_when_gathered().await
    }

    /// Answers an offer from the other side (Janus offers to its subscribers) and waits
    /// until every candidate is in the answer.
    pub async fn answer(&mut self, offer: String) -> anyhow::Result<String> {
        self.pc
            .set_remote_description(RTCSessionDescription::offer(offer)?)
            .await?;
        let answer = self.pc.create_answer(None).await?;
        self.pc.set_local_description(answer).await?;
        self.local_description_when_gathered().await
    }

    async fn local_description_when_gathered(&mut self) -> anyhow::Result<String> {
        tokio::time::timeout(Duration::from_secs(10), self.gathered.wait_for(|g| *g))
            .await
            .context("ICE gathering did not complete")??;
        Ok(self
            .pc
            .local_description()
            .await
            .context("no local description")?
            .sdp)
    }

    pub async fn accept_answer(&self, sdp: String) -> anyhow::Result<()> {
        self.pc
            .set_remote_description(RTCSessionDescription::answer(sdp)?)
            .await?;
        Ok(())
    }

    /// Waits until the connection is up, or fails.
    pub async fn connected(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let state = tokio::time::timeout(
            timeout,
            self.state.wait_for(|s| {
                matches!(
                    s,
                    RTCPeerConnectionState::Connected | RTCPeerConnectionState::Failed
                )
            }),
        )
        .await
        .context("the peer connection did not connect in time")??
        .to_owned();
        anyhow::ensure!(
            state == RTCPeerConnectionState::Connected,
            "the peer connection failed"
        );
        Ok(())
    }

    /// Watches the connection state.
    pub fn state(&self) -> watch::Receiver<RTCPeerConnectionState> {
        self.state.clone()
    }

    /// Creates the `frames` data channel (unordered, no retransmissions: a late pose is
    /// useless, the next frame brings a fresh one). Incoming text messages go to the returned
    /// receiver.
    pub async fn frames_channel(
        &self,
    ) -> anyhow::Result<(FramesChannel, mpsc::UnboundedReceiver<String>)> {
        let channel = self
            .pc
            .create_data_channel(
                spotter_protocol::FRAMES_CHANNEL,
                Some(RTCDataChannelInit {
                    ordered: false,
                    max_retransmits: Some(0),
                    ..Default::default()
                }),
            )
            .await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let open = Arc::new(AtomicBool::new(false));
        let poller = channel.clone();
        let opened = open.clone();
        tokio::spawn(async move {
            while let Some(event) = poller.poll().await {
                match event {
                    DataChannelEvent::OnOpen => opened.store(true, Ordering::Release),
                    DataChannelEvent::OnMessage(message) => {
                        if let Ok(text) = String::from_utf8(message.data.to_vec()) {
                            let _ = tx.send(text);
                        }
                    }
                    DataChannelEvent::OnClose => break,
                    _ => {}
                }
            }
            opened.store(false, Ordering::Release);
        });
        Ok((FramesChannel { channel, open }, rx))
    }

    pub async fn close(&self) {
        let _ = self.pc.close().await;
    }
}
