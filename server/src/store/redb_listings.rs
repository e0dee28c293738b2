//! The recordings' listings in redb: a table beside the catalog, written in the same
//! transaction as each entry, so the library lists 10,000 recordings by parsing small
//! listings instead of every entry with its initial snapshot
//! (`docs/decisions/recording-library-index.md`).

use super::redb_store::{RECORDING_EVENTS, RECORDINGS, recorded_events};
use crate::recording::listing::listing;
use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};
use spotter_protocol::{RecordingId, RecordingInfo, RecordingListing};

/// Recording id → its `RecordingListing` as JSON.
pub(super) const RECORDING_LISTINGS: TableDefinition<&str, &str> =
    TableDefinition::new("recording_listings");

/// Folds and writes `info`'s listing from the events stored for it so far. A damaged event is
/// left out of it (and logged) rather than failing the save of the entry.
pub(super) fn save_listing(txn: &WriteTransaction, info: &RecordingInfo) -> anyhow::Result<()> {
    let table = txn.open_table(RECORDING_EVENTS)?;
    let events: Vec<_> = recorded_events(&table, &info.recording_id)?
        .filter_map(|event| {
            event
                .inspect_err(|e| tracing::error!("left out of the recording's listing: {e:#}"))
                .ok()
        })
        .collect();
    let listed = listing(info, &events, crate::rooms::unix_now_ms());
    let json = serde_json::to_string(&listed)?;
    txn.open_table(RECORDING_LISTINGS)?
        .insert(info.recording_id.as_str(), json.as_str())?;
    Ok(())
}

/// Every listing; first those of entries saved before listings existed are folded and saved.
pub(super) fn listings(db: &Database) -> anyhow::Result<Vec<RecordingListing>> {
    fill_missing(db)?;
    let txn = db.begin_read()?;
    let table = txn.open_table(RECORDING_LISTINGS)?;
    let mut all = Vec::with_capacity(usize::try_from(table.len()?).unwrap_or(0));
    for entry in table.iter()? {
        let (id, json) = entry?;
        match serde_json::from_str(json.value()) {
            Ok(listed) => all.push(listed),
            // One damaged listing must not hide the rest of the library.
            Err(e) => tracing::error!(recording = id.value(), "a damaged listing is left out: {e}"),
        }
    }
    Ok(all)
}

/// Both tables are written together, so they hold as many rows unless entries predate the
/// listings (or an entry is damaged: it is logged and stays unlisted, as it was before).
fn fill_missing(db: &Database) -> anyhow::Result<()> {
    let missing = {
        let txn = db.begin_read()?;
        let (catalog, listed) = (
            txn.open_table(RECORDINGS)?,
            txn.open_table(RECORDING_LISTINGS)?,
        );
        if catalog.len()? == listed.len()? {
            return Ok(());
        }
        let mut missing = Vec::new();
        for entry in catalog.iter()? {
            let (id, _) = entry?;
            if listed.get(id.value())?.is_none() {
                missing.push(RecordingId::new(id.value()));
            }
        }
        missing
    };
    let txn = db.begin_write()?;
    let mut saved = 0;
    for id in &missing {
        let json = txn
            .open_table(RECORDINGS)?
            .get(id.as_str())?
            .map(|j| j.value().to_owned());
        // Deleted meanwhile, or damaged (logged where the catalog is read).
        let Some(Ok(info)) = json.map(|j| serde_json::from_str::<RecordingInfo>(&j)) else {
            continue;
        };
        save_listing(&txn, &info)?;
        saved += 1;
    }
    if saved == 0 {
        txn.abort()?;
        return Ok(());
    }
    txn.commit()?;
    tracing::info!(
        saved,
        "listed the recordings saved before the library's listings"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Appended, RedbStore, RoomStore};
    use spotter_protocol::{JournalEvent, Participant, Role, RoomChange, RoomId, RoomSnapshot};

    fn info(n: u64) -> RecordingInfo {
        RecordingInfo {
            recording_id: RecordingId::fresh(n),
            room: "demo".into(),
            started_at_ms: n,
            started_by: None,
            stopped_at_ms: Some(n + 10),
            stopped_by: None,
            stop_reason: None,
            initial: RoomSnapshot {
                room: "demo".into(),
                participants: vec![],
                annotations: vec![],
                equipment: vec![],
                recording: None,
                version: 0,
            },
            media: None,
            voices: vec![],
        }
    }

    fn joined(recording: &RecordingInfo, seq: u64, name: &str) -> Appended {
        Appended {
            room: RoomId::new("demo"),
            event: JournalEvent {
                seq,
                at_ms: seq,
                change: RoomChange::Joined {
                    participant: Participant {
                        id: format!("p-{seq}").as_str().into(),
                        role: Role::Expert,
                        name: name.into(),
                        muted: false,
                        away: false,
                    },
                },
            },
            recording: Some(recording.recording_id.clone()),
        }
    }

    fn names(listing: &RecordingListing) -> Vec<&str> {
        listing
            .participants
            .iter()
            .map(|p| p.name.as_str())
            .collect()
    }

    #[test]
    fn an_entry_from_before_listings_is_folded_once_then_deletion_removes_both() {
        let dir = std::env::temp_dir().join(format!("spotter-listings-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = RedbStore::open(&dir).unwrap();
        let (old, new) = (info(1), info(2));
        store.append(&[joined(&old, 1, "Ana")]).unwrap();
        store.save_recording(&new).unwrap();
        // Written as the server did before listings: the catalog entry alone.
        store
            .write(|txn| {
                let json = serde_json::to_string(&old)?;
                txn.open_table(RECORDINGS)?
                    .insert(old.recording_id.as_str(), json.as_str())?;
                txn.open_table(RECORDINGS)?
                    .insert(RecordingId::fresh(3).as_str(), "{damaged")?;
                Ok(())
            })
            .unwrap();

        let mut listed = store.recording_listings().unwrap();
        listed.sort_by_key(|l| l.started_at_ms);
        let ids: Vec<_> = listed.iter().map(|l| l.recording_id.clone()).collect();
        assert_eq!(ids, [old.recording_id.clone(), new.recording_id.clone()]);
        assert_eq!(names(&listed[0]), ["Ana"], "folded from its events");
        let saved = store.db.begin_read().unwrap();
        let saved = saved.open_table(RECORDING_LISTINGS).unwrap();
        assert!(
            saved.get(old.recording_id.as_str()).unwrap().is_some(),
            "and saved"
        );

        store
            .delete_recording(&old.recording_id, &serde_json::json!({}))
            .unwrap();
        let left: Vec<_> = store
            .recording_listings()
            .unwrap()
            .into_iter()
            .map(|l| l.recording_id)
            .collect();
        assert_eq!(left, [new.recording_id]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
