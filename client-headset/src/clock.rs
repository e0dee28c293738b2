//! The headset's clocks: the wall clock, in the unit frame metadata uses, and CLOCK_MONOTONIC,
//! the clock OpenXR runtimes and camera drivers stamp their times on.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch: capture times, comparable with the browser's clock on
/// the same machine (glass-to-glass measurements).
pub fn unix_time_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// CLOCK_MONOTONIC now, ns (what XR_KHR_convert_timespec_time converts to, and what V4L2
/// drivers stamp pictures with).
pub fn monotonic_ns() -> i64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given and nothing else.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec * 1_000_000_000 + now.tv_nsec
}
