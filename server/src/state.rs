//! What every request handler shares.

use crate::rooms::RoomRegistry;
use crate::sfu::SfuHandle;

#[derive(Clone)]
pub struct AppState {
    pub rooms: RoomRegistry,
    pub sfu: SfuHandle,
}
