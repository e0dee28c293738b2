//! What every request handler shares.

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
}
