//! The servers under test, each a separate process on this host, driven through its own
//! signaling: Spotter's WebSocket with invites from its admin API, Janus's VideoRoom over its
//! HTTP REST API. Both relay the same clip to the same `webrtc` peers.

pub mod janus;
pub mod spotter;

use crate::process::Usage;
use spotter_peer::{Peer, VideoPublisher, VideoSubscriber};
use tokio::sync::mpsc;

pub enum Sfu {
    Spotter(spotter::Spotter),
    Janus(janus::Janus),
}

/// A participant's peer connection and what keeps it in the room.
pub struct Joined {
    pub peer: Peer,
    membership: Membership,
}

enum Membership {
    /// Spotter: the signaling socket; closing it leaves.
    Spotter(#[allow(dead_code)] spotter_peer::Signaling),
    Janus(janus::Session),
}

impl Joined {
    /// Leaves the room as a client would: hangs up and closes its signaling.
    pub async fn leave(self) {
        self.peer.close().await;
        match self.membership {
            Membership::Spotter(signaling) => drop(signaling),
            Membership::Janus(session) => session.destroy().await,
        }
    }
}

pub struct Publishing {
    pub joined: Joined,
    pub video: VideoPublisher,
    pub keyframe_requests: mpsc::UnboundedReceiver<()>,
}

impl Sfu {
    pub fn name(&self) -> &'static str {
        match self {
            Sfu::Spotter(_) => "Spotter",
            Sfu::Janus(_) => "Janus",
        }
    }

    /// The server process's CPU time and memory.
    pub fn usage(&mut self) -> anyhow::Result<Usage> {
        let process = match self {
            Sfu::Spotter(s) => &mut s.process,
            Sfu::Janus(j) => &mut j.process,
        };
        process.check_running()?;
        process.usage()
    }

    /// Makes room `room` ready for a publisher and its subscribers.
    pub async fn prepare_room(&self, room: u32) -> anyhow::Result<()> {
        match self {
            Sfu::Spotter(s) => s.prepare_room(room).await,
            Sfu::Janus(j) => j.prepare_room(room).await,
        }
    }

    /// Joins `room` as its publisher (the headset) and connects the media.
    pub async fn publish(&self, room: u32) -> anyhow::Result<Publishing> {
        match self {
            Sfu::Spotter(s) => s.publish(room).await,
            Sfu::Janus(j) => j.publish(room).await,
        }
    }

    /// Joins `room` as a viewer (an expert) of its publisher and connects the media.
    pub async fn subscribe(&self, room: u32) -> anyhow::Result<(Joined, VideoSubscriber)> {
        match self {
            Sfu::Spotter(s) => s.subscribe(room).await,
            Sfu::Janus(j) => j.subscribe(room).await,
        }
    }
}

/// The peer connection every load client uses: bound to the address the server listens on,
/// no congestion control (the clip plays at its own bitrate).
async fn new_peer(ip: std::net::IpAddr) -> anyhow::Result<Peer> {
    Peer::new(&spotter_peer::PeerOptions {
        bind_ip: ip,
        congestion: None,
    })
    .await
}

/// How long a peer connection may take to connect on loopback, however loaded.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
