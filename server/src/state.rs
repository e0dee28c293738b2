//! What every request handler shares.

use crate::auth::Auth;
use crate::config::LimitsConfig;
use crate::connection_caps::ConnectionCaps;
use crate::http::FailedAttempts;
use crate::http::origin::OriginPolicy;
use crate::metrics::RelayMetrics;
use crate::recording::RecordingLibrary;
use crate::rooms::RoomRegistry;
use crate::sfu::SfuHandle;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub rooms: RoomRegistry,
    pub sfu: SfuHandle,
    pub limits: LimitsConfig,
    /// Signaling WebSockets open now, per source address and in all.
    pub websocket_caps: Arc<ConnectionCaps>,
    pub relay_metrics: Arc<RelayMetrics>,
    pub auth: Auth,
    /// Failed admin-key attempts per source address, to slow down guessing.
    pub admin_attempts: Arc<FailedAttempts>,
    /// Base of invite links (`https://spotter.plant.example`): `[http] public_url`, else the
    /// bound address.
    pub base_url: String,
    /// Lifetime of an invite whose request does not say.
    pub invite_ttl: std::time::Duration,
    /// Which browser pages may open the signaling socket.
    pub origins: Arc<OriginPolicy>,
    /// The recordings' catalog and files, for the library and the player.
    pub recordings: RecordingLibrary,
    /// `[recording] trainers_may_delete`.
    pub trainers_may_delete: bool,
    /// Trainers' invites to the recordings of several rooms, or all.
    pub library_invites: crate::recording::access::LibraryInvites,
}
