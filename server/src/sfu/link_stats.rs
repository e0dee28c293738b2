//! Per-peer network figures from str0m's statistics (once a second): round-trip time, loss each
//! way, NACKs each way and bytes each way, published for `/metrics`.

use spotter_protocol::{ParticipantId, Role, RoomId};
use std::collections::HashMap;
use std::time::Duration;
use str0m::media::Mid;
use str0m::stats::{MediaEgressStats, MediaIngressStats, PeerStats};

/// How often each peer's statistics are computed.
pub const STATS_INTERVAL: Duration = Duration::from_secs(1);

/// One peer's link as the server sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkStats {
    pub room: RoomId,
    pub role: Role,
    pub rtt: Option<Duration>,
    /// Fraction of the peer's packets to us that were lost.
    pub loss_in: Option<f32>,
    /// Fraction of our packets to the peer that were lost.
    pub loss_out: Option<f32>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// NACKs we sent asking this peer to resend (by media stream, cumulative).
    nacks_sent: HashMap<Mid, u64>,
    /// NACKs this peer sent us (by media stream, cumulative).
    nacks_received: HashMap<Mid, u64>,
    /// Whether this is TCP (ICE-TCP) rather than UDP.
    pub over_tcp: bool,
    /// The estimate of the server-to-peer path (bits per second), for viewers with feedback.
    pub downlink: Option<f64>,
}

impl LinkStats {
    pub fn new(room: RoomId, role: Role) -> Self {
        Self {
            room,
            role,
            rtt: None,
            loss_in: None,
            loss_out: None,
            bytes_in: 0,
            bytes_out: 0,
            nacks_sent: HashMap::new(),
            nacks_received: HashMap::new(),
            over_tcp: false,
            downlink: None,
        }
    }

    pub fn peer(&mut self, s: &PeerStats) {
        self.rtt = s.rtt;
        self.loss_in = s.ingress_loss_fraction;
        self.loss_out = s.egress_loss_fraction;
        self.bytes_in = s.peer_bytes_rx;
        self.bytes_out = s.peer_bytes_tx;
        if let Some(pair) = &s.selected_candidate_pair {
            self.over_tcp = pair.protocol == str0m::net::Protocol::Tcp;
        }
    }

    pub fn ingress(&mut self, s: &MediaIngressStats) {
        self.nacks_sent.insert(s.mid, s.nacks);
    }

    pub fn egress(&mut self, s: &MediaEgressStats) {
        self.nacks_received.insert(s.mid, s.nacks);
    }

    pub fn nacks_sent(&self) -> u64 {
        self.nacks_sent.values().sum()
    }

    pub fn nacks_received(&self) -> u64 {
        self.nacks_received.values().sum()
    }
}

/// The latest figures of every connected peer, by participant.
pub type LinkTable = std::sync::Mutex<HashMap<ParticipantId, LinkStats>>;
