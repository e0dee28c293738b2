//! Send-side congestion control for a publisher: Google Congestion Control over transport-wide
//! feedback (TWCC), as the `webrtc` crate provides it, with its target bitrate published where
//! the application can read it (the encoder follows it).

use rtc::interceptor::{BandwidthEstimator, EstimatorStats, Gcc, PacketReport};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The range a publisher's estimate moves in, bits per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BitrateRange {
    pub initial: f64,
    pub min: f64,
    pub max: f64,
}

/// The current target bitrate (bits per second), shared with the application.
#[derive(Clone, Debug)]
pub struct TargetBitrate(Arc<AtomicU64>);

impl TargetBitrate {
    pub fn bps(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// The estimator inside the interceptor chain: delegates to GCC and publishes its target after
/// every call that can change it.
pub struct PublishingEstimator {
    inner: Gcc,
    target: TargetBitrate,
}

impl PublishingEstimator {
    pub fn new(range: BitrateRange) -> (Self, TargetBitrate) {
        let inner = Gcc::new(range.initial, range.min, range.max);
        let target = TargetBitrate(Arc::new(AtomicU64::new(inner.target_bitrate().to_bits())));
        (
            Self {
                inner,
                target: target.clone(),
            },
            target,
        )
    }

    fn publish(&self) {
        self.target
            .0
            .store(self.inner.target_bitrate().to_bits(), Ordering::Relaxed);
    }
}

impl BandwidthEstimator for PublishingEstimator {
    fn on_reports(&mut self, now: Instant, reports: &[PacketReport]) {
        self.inner.on_reports(now, reports);
        self.publish();
    }

    fn target_bitrate(&self) -> f64 {
        self.inner.target_bitrate()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.inner.handle_timeout(now);
        self.publish();
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.inner.poll_timeout()
    }

    fn stats(&self) -> EstimatorStats {
        self.inner.stats()
    }
}
