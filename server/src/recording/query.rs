//! Which recordings the library lists: the filters of `GET /api/recordings`, applied to the
//! listings (pure).

use super::access::RoomScope;
use spotter_protocol::{EquipmentId, RecordingList, RecordingListing, RoomId};

/// Recordings listed when the caller names no limit.
pub const DEFAULT_LIMIT: usize = 200;
/// The most listed in one answer.
pub const MAX_LIMIT: usize = 1000;

/// What to list. `Default` lists everything, up to [`DEFAULT_LIMIT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryQuery {
    /// The rooms the caller may see.
    pub within: RoomScope,
    pub room: Option<RoomId>,
    /// Only recordings in which a mark was placed on this equipment.
    pub equipment: Option<EquipmentId>,
    /// Started at or after, ms since the Unix epoch.
    pub from_ms: Option<u64>,
    /// Started before, ms since the Unix epoch.
    pub to_ms: Option<u64>,
    pub limit: usize,
}

impl Default for LibraryQuery {
    fn default() -> Self {
        Self {
            within: RoomScope::All,
            room: None,
            equipment: None,
            from_ms: None,
            to_ms: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl LibraryQuery {
    pub fn matches(&self, listing: &RecordingListing) -> bool {
        self.within.contains(&listing.room)
            && self.room.as_ref().is_none_or(|room| &listing.room == room)
            && self
                .from_ms
                .is_none_or(|from| listing.started_at_ms >= from)
            && self.to_ms.is_none_or(|to| listing.started_at_ms < to)
            && self
                .equipment
                .as_ref()
                .is_none_or(|equipment| listing.marked_equipment.iter().any(|e| &e.id == equipment))
    }

    /// The listings that match, newest first (by start, then id, so pages are stable), cut
    /// to the limit, with how many matched.
    pub fn apply(&self, mut listings: Vec<RecordingListing>) -> RecordingList {
        listings.retain(|l| self.matches(l));
        let total = u32::try_from(listings.len()).unwrap_or(u32::MAX);
        let newest_first = |a: &RecordingListing, b: &RecordingListing| {
            (b.started_at_ms, &b.recording_id).cmp(&(a.started_at_ms, &a.recording_id))
        };
        // Only the page is sorted in full: the rest need only be known to be older.
        if listings.len() > self.limit && self.limit > 0 {
            listings.select_nth_unstable_by(self.limit - 1, newest_first);
        }
        listings.truncate(self.limit);
        listings.sort_unstable_by(newest_first);
        RecordingList {
            recordings: listings,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotter_protocol::{MarkedEquipment, RecordingId};

    fn listing(n: u64, room: &str, started_at_ms: u64, marked: &[&str]) -> RecordingListing {
        RecordingListing {
            recording_id: RecordingId::fresh(n),
            room: room.into(),
            started_at_ms,
            stopped_at_ms: Some(started_at_ms + 1),
            started_by: None,
            duration_ms: Some(1),
            participants: vec![],
            marked_equipment: marked
                .iter()
                .map(|id| MarkedEquipment {
                    id: (*id).into(),
                    name: None,
                })
                .collect(),
            marks_placed: marked.len() as u32,
        }
    }

    fn library() -> Vec<RecordingListing> {
        vec![
            listing(1, "line-1", 1_000, &["pump-1"]),
            listing(2, "line-2", 3_000, &["pump-1", "panel-1"]),
            listing(3, "line-1", 2_000, &[]),
            listing(4, "line-1", 4_000, &["panel-1"]),
            listing(5, "line-1", 3_000, &["pump-1"]),
        ]
    }

    fn ids(list: &RecordingList) -> Vec<u64> {
        list.recordings
            .iter()
            .map(|l| u64::from_str_radix(&l.recording_id.as_str()[2..], 16).unwrap())
            .collect()
    }

    #[test]
    fn everything_is_listed_newest_first_with_ties_in_a_stable_order() {
        let list = LibraryQuery::default().apply(library());
        assert_eq!((ids(&list), list.total), (vec![4, 5, 2, 3, 1], 5));
    }

    #[test]
    fn each_filter_narrows_and_they_combine() {
        let query = |adjust: fn(&mut LibraryQuery)| {
            let mut query = LibraryQuery::default();
            adjust(&mut query);
            ids(&query.apply(library()))
        };
        assert_eq!(query(|q| q.room = Some("line-1".into())), [4, 5, 3, 1]);
        assert_eq!(query(|q| q.equipment = Some("pump-1".into())), [5, 2, 1]);
        // From inclusive, to exclusive.
        assert_eq!(query(|q| q.from_ms = Some(2_000)), [4, 5, 2, 3]);
        assert_eq!(query(|q| q.to_ms = Some(3_000)), [3, 1]);
        assert_eq!(
            query(|q| {
                q.room = Some("line-1".into());
                q.equipment = Some("pump-1".into());
                q.from_ms = Some(1_001);
                q.to_ms = Some(4_000);
            }),
            [5]
        );
        assert!(query(|q| q.equipment = Some("valve-9".into())).is_empty());
        // What the credential opens bounds the rest.
        assert_eq!(query(|q| q.within = RoomScope::one("line-2".into())), [2]);
        assert!(
            query(|q| {
                q.within = RoomScope::one("line-2".into());
                q.equipment = Some("panel-1".into());
                q.to_ms = Some(3_000);
            })
            .is_empty()
        );
    }

    #[test]
    fn the_limit_keeps_the_newest_and_the_total_counts_every_match() {
        let query = LibraryQuery {
            limit: 2,
            ..LibraryQuery::default()
        };
        let list = query.apply(library());
        assert_eq!((ids(&list), list.total), (vec![4, 5], 5));
    }
}
