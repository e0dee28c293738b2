//! `[recording] retention_days`: recordings stopped longer ago than that are deleted (with an
//! audit record each), checked at start and then every hour.

use super::RecordingLibrary;
use spotter_protocol::RecordingListing;
use std::time::Duration;

const CHECK_INTERVAL: Duration = Duration::from_secs(3600);
const DAY_MS: u64 = 24 * 3600 * 1000;

/// The recordings `days` old at `now_ms` (since they stopped); running ones never are.
pub fn expired(recordings: &[RecordingListing], now_ms: u64, days: u64) -> Vec<&RecordingListing> {
    let cutoff = now_ms.saturating_sub(days.saturating_mul(DAY_MS));
    recordings
        .iter()
        .filter(|r| r.stopped_at_ms.is_some_and(|stopped| stopped < cutoff))
        .collect()
}

/// Deletes expired recordings now and every hour.
pub fn start(library: RecordingLibrary, days: u64) {
    let by = format!("retention ({days} days)");
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(CHECK_INTERVAL);
        loop {
            interval.tick().await;
            let (library, by) = (library.clone(), by.clone());
            let swept = tokio::task::spawn_blocking(move || {
                let Ok(all) = library.listings() else { return };
                for listed in expired(&all, crate::rooms::unix_now_ms(), days) {
                    let deleted = library
                        .get(listed.recording_id.as_str())
                        .and_then(|info| library.delete(&info, &by));
                    if let Err(e) = deleted {
                        tracing::error!(recording = %listed.recording_id, "retention could not delete it: {e}");
                    }
                }
            });
            if swept.await.is_err() {
                tracing::error!("the retention sweep stopped");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotter_protocol::RecordingId;

    fn recording(n: u64, stopped_at_ms: Option<u64>) -> RecordingListing {
        RecordingListing {
            recording_id: RecordingId::fresh(n),
            room: "demo".into(),
            started_at_ms: 0,
            stopped_at_ms,
            started_by: None,
            duration_ms: None,
            participants: vec![],
            marked_equipment: vec![],
            marks_placed: 0,
        }
    }

    #[test]
    fn only_recordings_stopped_longer_ago_than_the_retention_expire() {
        let now = 100 * DAY_MS;
        let all = [
            recording(1, Some(now - 31 * DAY_MS)),
            recording(2, Some(now - 29 * DAY_MS)),
            recording(3, None),
            recording(4, Some(now - 30 * DAY_MS - 1)),
        ];
        let ids: Vec<_> = expired(&all, now, 30)
            .iter()
            .map(|r| r.recording_id.clone())
            .collect();
        assert_eq!(ids, [RecordingId::fresh(1), RecordingId::fresh(4)]);
        assert!(expired(&all, now, 365).is_empty());
    }
}
