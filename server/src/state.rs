//! What every request handler shares.

use crate::auth::Auth;
use crate::config::LimitsConfig;
use crate::metrics::RelayMetrics;
use crate::rooms::RoomRegistry;
use crate::sfu::SfuHandle;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub rooms: RoomRegistry,
    pub sfu: SfuHandle,
    pub limits: LimitsConfig,
    pub relay_metrics: Arc<RelayMetrics>,
    pub auth: Auth,
    /// Base of invite links; `None`: the address each admin request came to.
    pub public_url: Option<String>,
    /// `https` when the server terminates TLS, else `http`.
    pub scheme: &'static str,
    /// Lifetime of an invite whose request does not say.
    pub invite_ttl: std::time::Duration,
}
