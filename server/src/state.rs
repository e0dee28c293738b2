//! What every request handler shares.

use crate::config::LimitsConfig;
use crate::rooms::RoomRegistry;
use crate::sfu::SfuHandle;

#[derive(Clone)]
pub struct AppState {
    pub rooms: RoomRegistry,
    pub sfu: SfuHandle,
    pub limits: LimitsConfig,
}
