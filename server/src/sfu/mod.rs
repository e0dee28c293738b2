//! The SFU: every peer connection of this node on one UDP socket, driven by str0m.
//!
//! str0m is sans-IO: each peer is an `Rtc` state machine. The forwarding core
//! ([`relay::Relay`]) is sans-IO too, one level up: it owns every `Rtc` and the sinks, is given
//! `(now, input)` and answers with outputs (packets to send, media for sinks, the next
//! timeout). One tokio task ([`forwarder::Forwarder`]) drives it, owning the socket:
//! 1. a datagram arrives → the `Rtc` that `accepts` it gets it as `Input::Receive`;
//! 2. a command arrives (a participant's SDP offer, or its departure; a sink attached) → a
//!    peer or sink is added or removed;
//! 3. the earliest timeout passes → the peers whose timeout it is get `Input::Timeout`;
//! 4. after each of these, the peers given input or changed are drained of `Output`s:
//!    `Transmit`s go to the socket, `Event`s are routed: the technician's video frames and
//!    frame metadata to every subscriber and sink of its room, voices to listeners and sinks,
//!    subscribers' keyframe requests to the technician (throttled).
//!
//! Video is forwarded frame by frame without transcoding; str0m writes the RTP timestamp it is
//! given, and we give it the publisher's own, so `rtpTimestamp` in the browser identifies the
//! headset's frame and its pose.

mod forwarder;
pub mod link_stats;
mod offer;
mod peer;
mod publisher_cap;
mod relay;
pub mod sink;
mod sink_gate;
mod tcp;
mod throttle;

pub use sink::{SinkMedia, SinkReceiver};

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
    /// Feed `room`'s media to a new sink, until its receiver is dropped.
    AttachSink {
        room: RoomId,
        reply: oneshot::Sender<SinkReceiver>,
    },
}

/// The media sockets: UDP at `bind`, and ICE-TCP on the same port number, for networks that
/// block UDP. With port 0 the system picks a free UDP port, whose number may be taken for TCP
/// (another connection's local port): then another UDP port is tried, a few times.
async fn bind_udp_and_tcp(
    bind: SocketAddr,
) -> anyhow::Result<(tokio::net::UdpSocket, tokio::net::TcpListener)> {
    const TRIES_ON_ANY_PORT: usize = 8;
    let mut tries = 0;
    loop {
        tries += 1;
        let socket = tokio::net::UdpSocket::bind(bind).await?;
        let tcp_bind = SocketAddr::new(bind.ip(), socket.local_addr()?.port());
        match tokio::net::TcpListener::bind(tcp_bind).await {
            Ok(listener) => return Ok((socket, listener)),
            Err(e)
                if bind.port() == 0
                    && e.kind() == std::io::ErrorKind::AddrInUse
                    && tries < TRIES_ON_ANY_PORT =>
            {
                tracing::debug!(%tcp_bind, "TCP port taken; another UDP port");
            }
            Err(e) => anyhow::bail!("binding TCP {tcp_bind} for ICE-TCP: {e}"),
        }
    }
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
        let (socket, listener) = bind_udp_and_tcp(bind).await?;
        let mut media_addr = socket.local_addr()?;
        if let Some(ip) = advertised_ip {
            media_addr.set_ip(ip);
        }
        anyhow::ensure!(
            !media_addr.ip().is_unspecified(),
            "the media socket is bound to {bind}: set the address to advertise to peers"
        );
        let (tcp_events_tx, tcp_events) = mpsc::channel(1024);
        tokio::spawn(tcp::accept(
            listener,
            tcp_events_tx,
            tcp_caps,
            tcp::Timeouts::DEFAULT,
        ));
        let (commands, rx) = mpsc::channel(64);
        let relay = relay::Relay::new(media_addr, metrics, std::time::Instant::now());
        let forwarder = forwarder::Forwarder::new(socket, relay);
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
        self.commands
            .send(Command::Connect {
                participant,
                room,
                role,
                offer,
                reply,
            })
            .await
            .map_err(|_| relay_gone())?;
        answer.await.map_err(|_| relay_gone())?
    }

    pub async fn disconnect(&self, participant: ParticipantId) {
        let _ = self
            .commands
            .send(Command::Disconnect { participant })
            .await;
    }

    /// Attaches a sink to `room`: the returned receiver gets the room's media (see
    /// [`SinkMedia`]), its video from a keyframe asked for at once (or when the room's
    /// publisher connects). Dropping the receiver detaches the sink.
    pub async fn attach_sink(&self, room: RoomId) -> Result<SinkReceiver, ProtocolError> {
        let (reply, receiver) = oneshot::channel();
        self.commands
            .send(Command::AttachSink { room, reply })
            .await
            .map_err(|_| relay_gone())?;
        receiver.await.map_err(|_| relay_gone())
    }
}

fn relay_gone() -> ProtocolError {
    ProtocolError::new(ErrorCode::Internal, "the media relay is not running")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn any_port_gives_udp_and_tcp_the_same_number_and_a_taken_one_is_refused_by_name() {
        let (udp, tcp) = bind_udp_and_tcp("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let port = udp.local_addr().unwrap().port();
        assert_eq!(tcp.local_addr().unwrap().port(), port);
        // Asked for that very port while it is held: refused, saying which and why.
        drop(udp);
        let asked: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let err = bind_udp_and_tcp(asked).await.unwrap_err().to_string();
        assert!(
            err.contains(&format!("binding TCP {asked} for ICE-TCP")),
            "{err}"
        );
    }
}
