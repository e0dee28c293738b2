//! The SFU: every peer connection of this node on one UDP socket, driven by str0m.
//!
//! str0m is sans-IO: each peer is an `Rtc` state machine. One task ([`forwarder::Forwarder`])
//! owns the socket and all of them:
//! 1. a datagram arrives → the `Rtc` that `accepts` it gets it as `Input::Receive`;
//! 2. a command arrives (a participant's SDP offer, or its departure) → a peer is added or removed;
//! 3. the earliest `Output::Timeout` passes → the peers whose timeout it is get `Input::Timeout`;
//! 4. after each of these, the peers given input or changed are drained of `Output`s:
//!    `Transmit`s go to the socket, `Event`s are routed: the technician's video frames and
//!    frame metadata to every subscriber of its room, subscribers' keyframe requests to the
//!    technician (throttled).
//!
//! Video is forwarded frame by frame without transcoding; str0m writes the RTP timestamp it is
//! given, and we give it the publisher's own, so `rtpTimestamp` in the browser identifies the
//! headset's frame and its pose.

mod forwarder;
pub mod link_stats;
mod offer;
mod peer;
mod tcp;

use spotter_protocol::{ErrorCode, ParticipantId, ProtocolError, Role, RoomId};
use std::net::SocketAddr;
use tokio::sync::{mpsc, oneshot};

/// What the signaling side asks of the SFU.
pub enum Command {
    /// Answer `offer` for a participant (replacing its earlier connection, if any).
    Connect {
        participant: ParticipantId,
        room: RoomId,
        role: Role,
        offer: String,
        reply: oneshot::Sender<Result<String, ProtocolError>>,
    },
    /// The participant left: drop its connection.
    Disconnect { participant: ParticipantId },
}

/// A cheap handle to the SFU task.
#[derive(Clone)]
pub struct SfuHandle {
    commands: mpsc::Sender<Command>,
    media_addr: SocketAddr,
}

impl SfuHandle {
    /// Binds `bind` and starts the SFU task. `advertised` is the address put in candidates
    /// (the public address behind a 1:1 NAT); by default the bound address. `tcp_caps` bound
    /// the ICE-TCP connections held at once.
    pub async fn start(
        bind: SocketAddr,
        advertised_ip: Option<std::net::IpAddr>,
        metrics: std::sync::Arc<crate::metrics::RelayMetrics>,
        tcp_caps: std::sync::Arc<crate::connection_caps::ConnectionCaps>,
    ) -> anyhow::Result<Self> {
        str0m::crypto::from_feature_flags().install_process_default();
        let socket = tokio::net::UdpSocket::bind(bind).await?;
        let mut media_addr = socket.local_addr()?;
        if let Some(ip) = advertised_ip {
            media_addr.set_ip(ip);
        }
        anyhow::ensure!(
            !media_addr.ip().is_unspecified(),
            "the media socket is bound to {bind}: set the address to advertise to peers"
        );
        // ICE-TCP on the same port number, for networks that block UDP.
        let tcp_bind = SocketAddr::new(bind.ip(), socket.local_addr()?.port());
        let listener = tokio::net::TcpListener::bind(tcp_bind)
            .await
            .map_err(|e| anyhow::anyhow!("binding TCP {tcp_bind} for ICE-TCP: {e}"))?;
        let (tcp_events_tx, tcp_events) = mpsc::channel(1024);
        tokio::spawn(tcp::accept(
            listener,
            tcp_events_tx,
            tcp_caps,
            tcp::Timeouts::DEFAULT,
        ));
        let (commands, rx) = mpsc::channel(64);
        let forwarder = forwarder::Forwarder::new(socket, media_addr, metrics);
        tokio::spawn(forwarder.run(rx, tcp_events));
        tracing::info!(%media_addr, "SFU listening (UDP, and TCP for networks that block UDP)");
        Ok(Self {
            commands,
            media_addr,
        })
    }

    pub fn media_addr(&self) -> SocketAddr {
        self.media_addr
    }

    /// Answers a participant's offer.
    pub async fn connect(
        &self,
        participant: ParticipantId,
        room: RoomId,
        role: Role,
        offer: String,
    ) -> Result<String, ProtocolError> {
        let (reply, answer) = oneshot::channel();
        let gone = || ProtocolError::new(ErrorCode::Internal, "the media relay is not running");
        self.commands
            .send(Command::Connect {
                participant,
                room,
                role,
                offer,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    pub async fn disconnect(&self, participant: ParticipantId) {
        let _ = self
            .commands
            .send(Command::Disconnect { participant })
            .await;
    }
}
