//! The headset's wall clock, in the unit frame metadata uses.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch: capture times, comparable with the browser's clock on
/// the same machine (glass-to-glass measurements).
pub fn unix_time_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
