//! The runtime's time (XrTime, ns) against the system's clocks. OpenXR times are a runtime's
//! own; XR_KHR_convert_timespec_time ties them to CLOCK_MONOTONIC, which another process (the
//! test's pose reader) can convert back into its own runtime time, and the Unix clock gives
//! frame metadata its capture times.

pub use crate::clock::monotonic_ns;

/// Offsets between the runtime's clock and the system's, measured once per session: both are
/// steady, so a constant offset maps one onto the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeClock {
    monotonic_minus_runtime_ns: i64,
    unix_minus_monotonic_ns: i64,
}

impl RuntimeClock {
    /// From simultaneous readings of the three clocks (ns).
    pub fn from_readings(runtime_ns: i64, monotonic_ns: i64, unix_ns: i64) -> Self {
        Self {
            monotonic_minus_runtime_ns: monotonic_ns - runtime_ns,
            unix_minus_monotonic_ns: unix_ns - monotonic_ns,
        }
    }

    /// Reads the three clocks now; `None` when the runtime cannot say its time (no
    /// XR_KHR_convert_timespec_time).
    pub fn measure(instance: &bevy_mod_openxr::resources::OxrInstance) -> Option<Self> {
        instance.exts().khr_convert_timespec_time?;
        let monotonic = monotonic_ns();
        let runtime = instance.now().ok()?.as_nanos();
        Some(Self::from_readings(runtime, monotonic, unix_ns()))
    }

    /// The runtime's time at CLOCK_MONOTONIC `monotonic_ns` (a camera picture's stamp).
    pub fn runtime_ns(&self, monotonic_ns: i64) -> i64 {
        monotonic_ns - self.monotonic_minus_runtime_ns
    }

    pub fn monotonic_ns(&self, runtime_ns: i64) -> i64 {
        runtime_ns + self.monotonic_minus_runtime_ns
    }

    pub fn unix_us(&self, runtime_ns: i64) -> u64 {
        let unix_ns = self.monotonic_ns(runtime_ns) + self.unix_minus_monotonic_ns;
        u64::try_from(unix_ns / 1000).unwrap_or(0)
    }
}

fn unix_ns() -> i64 {
    crate::clock::unix_time_us() as i64 * 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_time_maps_to_the_same_instant_on_both_system_clocks() {
        // Read together: runtime 5 s, monotonic 1000 s, Unix 1.8e9 s.
        let clock = RuntimeClock::from_readings(
            5_000_000_000,
            1_000_000_000_000,
            1_800_000_000_000_000_000,
        );
        // 20 ms later on the runtime's clock is 20 ms later on the others.
        let later = 5_020_000_000;
        assert_eq!(clock.monotonic_ns(later), 1_000_020_000_000);
        assert_eq!(clock.unix_us(later), 1_800_000_000_020_000);
        assert_eq!(clock.runtime_ns(clock.monotonic_ns(later)), later);
    }

    #[test]
    fn the_monotonic_clock_moves_forward() {
        let first = monotonic_ns();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(monotonic_ns() > first);
    }
}
