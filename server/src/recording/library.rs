//! The recordings as the library shows them: their listings, catalog entries and events
//! (from the store) and their files (in the recordings directory).

use super::listing::listing;
use super::query::LibraryQuery;
use super::writer::{FRAMES_FILE, VIDEO_FILE};
use crate::store::RoomStore;
use spotter_protocol::{
    Bookmark, ErrorCode, FrameMeta, JournalEvent, ProtocolError, RecordingId, RecordingInfo,
    RecordingList, RecordingListing,
};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The exported MP4, kept in the recording's directory once made.
pub const EXPORT_FILE: &str = "export.mp4";

/// Closed when the server stops, so that the database closes with the store's writer.
#[derive(Clone)]
pub struct RecordingLibrary {
    store: Arc<Mutex<Option<Arc<dyn RoomStore>>>>,
    dir: PathBuf,
}

fn unknown(id: &RecordingId) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::UnknownRecording,
        format!("there is no recording {id} on this server"),
    )
}

fn unreadable(e: anyhow::Error) -> ProtocolError {
    tracing::error!("reading the recordings' catalog failed: {e:#}");
    ProtocolError::new(
        ErrorCode::Internal,
        "the recordings' catalog could not be read",
    )
}

impl RecordingLibrary {
    pub fn new(store: Arc<dyn RoomStore>, dir: PathBuf) -> Self {
        Self {
            store: Arc::new(Mutex::new(Some(store))),
            dir,
        }
    }

    /// Lets go of the store (the server is stopping).
    pub fn close(&self) {
        self.store.lock().unwrap().take();
    }

    fn store(&self) -> Result<Arc<dyn RoomStore>, ProtocolError> {
        self.store
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| ProtocolError::new(ErrorCode::Internal, "the server is shutting down"))
    }

    /// Every recording's listing, in no particular order. A running one's is folded again
    /// now (its marks and joiners change as it records; there are few at a time).
    pub fn listings(&self) -> Result<Vec<RecordingListing>, ProtocolError> {
        let store = self.store()?;
        let mut all = store.recording_listings().map_err(unreadable)?;
        let now = crate::rooms::unix_now_ms();
        for listed in all.iter_mut().filter(|l| l.stopped_at_ms.is_none()) {
            let id = &listed.recording_id;
            match (store.recording(id), store.recording_events(id)) {
                (Ok(Some(info)), Ok(events)) => *listed = listing(&info, &events, now),
                // Listed as last saved.
                _ => tracing::warn!(recording = %id, "a running recording could not be refolded"),
            }
        }
        Ok(all)
    }

    /// The recordings `query` asks for, newest first.
    pub fn list(&self, query: &LibraryQuery) -> Result<RecordingList, ProtocolError> {
        Ok(query.apply(self.listings()?))
    }

    /// A recording's entry, `unknown_recording` when there is none (`invalid_value` for
    /// something that is not a recording id at all).
    pub fn get(&self, id: &str) -> Result<RecordingInfo, ProtocolError> {
        if !RecordingId::is_well_formed(id) {
            return Err(ProtocolError::new(
                ErrorCode::InvalidValue,
                "a recording id is r- and 16 hexadecimal digits",
            ));
        }
        let id = RecordingId::new(id);
        self.store()?
            .recording(&id)
            .map_err(unreadable)?
            .ok_or_else(|| unknown(&id))
    }

    pub fn events(&self, id: &RecordingId) -> Result<Vec<JournalEvent>, ProtocolError> {
        self.store()?.recording_events(id).map_err(unreadable)
    }

    pub fn bookmarks(&self, id: &RecordingId) -> Result<Vec<Bookmark>, ProtocolError> {
        self.store()?.bookmarks(id).map_err(unreadable)
    }

    /// How long the recording's media runs, in ms, as of now (see [`super::listing::duration_ms`]).
    pub fn duration_ms(info: &RecordingInfo) -> Option<u64> {
        super::listing::duration_ms(info, crate::rooms::unix_now_ms())
    }

    /// Adds a trainer's bookmark: a new entry beside the recorded events, which stay as they
    /// were. Blocking (a database write).
    pub fn add_bookmark(
        &self,
        info: &RecordingInfo,
        media_time_ms: u64,
        note: &str,
        by: String,
    ) -> Result<Bookmark, ProtocolError> {
        let invalid = |why: String| ProtocolError::new(ErrorCode::InvalidValue, why);
        super::chapters::check_note(note).map_err(invalid)?;
        let duration = Self::duration_ms(info)
            .ok_or_else(|| invalid("the recording has no video yet to bookmark".into()))?;
        // The player's clock is the video's own timeline, which can run past the stop's
        // wall-clock duration (the first keyframe arrived later than the frames after it).
        let duration = duration.max(self.video_end_ms(info).unwrap_or(0));
        if media_time_ms > duration {
            return Err(invalid(format!(
                "{media_time_ms} ms is past the recording's end ({duration} ms)"
            )));
        }
        let bookmark = Bookmark {
            bookmark_id: 0,
            media_time_ms,
            note: note.trim().to_owned(),
            by,
            created_at_ms: crate::rooms::unix_now_ms(),
        };
        self.store()?
            .add_bookmark(&info.recording_id, bookmark)
            .map_err(unreadable)
    }

    /// The frame records as stored (pose and intrinsics of each video frame). A line that does
    /// not parse (cut by a crash, damaged) is left out and counted. Blocking.
    pub fn frame_records(
        &self,
        info: &RecordingInfo,
    ) -> Result<(Vec<FrameMeta>, usize), ProtocolError> {
        let path = self.file(info, FRAMES_FILE)?;
        let text = std::fs::read(&path).map_err(|e| {
            tracing::error!(recording = %info.recording_id, "reading the frame records: {e}");
            ProtocolError::new(ErrorCode::Internal, "the frame records could not be read")
        })?;
        let mut damaged = 0;
        let records = text
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .filter_map(|line| {
                let parsed = FrameMeta::parse(line).ok();
                damaged += usize::from(parsed.is_none());
                parsed
            })
            .collect();
        Ok((records, damaged))
    }

    /// Deletes a stopped recording: its files, its catalog entry, events and bookmarks; the
    /// deletion stays in the audit log. Blocking.
    pub fn delete(&self, info: &RecordingInfo, by: &str) -> Result<(), ProtocolError> {
        if info.stopped_at_ms.is_none() {
            return Err(ProtocolError::new(
                ErrorCode::InvalidValue,
                "the recording is still running: stop it before deleting it",
            ));
        }
        let audit = serde_json::json!({
            "action": "recording_deleted",
            "recording_id": info.recording_id,
            "room": info.room,
            "started_at_ms": info.started_at_ms,
            "by": by,
            "at_ms": crate::rooms::unix_now_ms(),
        });
        // The entry first: a crash between the two leaves files nobody lists, never an
        // entry whose media is gone.
        self.store()?
            .delete_recording(&info.recording_id, &audit)
            .map_err(unreadable)?;
        let dir = self.dir.join(info.recording_id.as_str());
        if let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::error!(recording = %info.recording_id, "its files could not be removed: {e}");
        }
        tracing::info!(recording = %info.recording_id, room = %info.room, by, "recording deleted");
        Ok(())
    }

    pub fn audit_log(&self) -> Result<Vec<serde_json::Value>, ProtocolError> {
        self.store()?.audit_log().map_err(unreadable)
    }

    /// Where the video's timeline ends, ms: the end of its last complete fragment.
    fn video_end_ms(&self, info: &RecordingInfo) -> Option<u64> {
        let mut file = std::fs::File::open(self.file(info, VIDEO_FILE).ok()?).ok()?;
        let ticks = crate::fmp4::scan(&mut file).ok()?.end_time();
        Some(ticks * 1000 / u64::from(crate::fmp4::VIDEO_TIMESCALE))
    }

    /// What of a media file (`video.mp4`, a voice) plays: the bytes up to the end of its last
    /// complete fragment before any damage (a crash cuts the last one; a damaged box ends it
    /// there), and the damage, named. Blocking (reads the boxes' headers).
    pub fn media_status(
        &self,
        info: &RecordingInfo,
        name: &str,
    ) -> Result<serde_json::Value, ProtocolError> {
        let Ok(path) = self.file(info, name) else {
            return Ok(serde_json::json!({ "playable_bytes": 0, "damage": null }));
        };
        let scanned = std::fs::File::open(&path)
            .map_err(crate::fmp4::ScanError::Io)
            .and_then(|mut file| crate::fmp4::scan(&mut file));
        Ok(match scanned {
            Ok(scanned) => {
                let end = scanned
                    .fragments
                    .last()
                    .map_or(scanned.init.end, |f| f.offset + f.len);
                // The player fetches a window around the playhead by these, so a recording
                // longer than the browser's media buffer still plays to its end.
                // Not every fragment begins on a keyframe (`docs/decisions/recording-container.md`):
                // the last figure says which do, so the player holds whole keyframe groups.
                let fragments: Vec<[u64; 5]> = (scanned.fragments.iter())
                    .map(|f| {
                        let keyframe = u64::from(f.starts_with_keyframe);
                        [f.offset, f.len, f.base_decode_time, f.duration, keyframe]
                    })
                    .collect();
                serde_json::json!({
                    "playable_bytes": end,
                    "fragments": scanned.fragments.len(),
                    "damage": null,
                    "index": {
                        "init_bytes": scanned.init.end,
                        "timescale": scanned.timescale,
                        "fragments": fragments,
                    },
                })
            }
            Err(e) => {
                tracing::warn!(recording = %info.recording_id, file = name, "damaged: {e}");
                serde_json::json!({
                    "playable_bytes": e.offset().unwrap_or(0),
                    "damage": format!("the file {name} is damaged: {e}; it plays up to there"),
                })
            }
        })
    }

    /// The recording as one standard MP4 (its video and every voice, remuxed), made once
    /// and kept beside its files: a stopped recording no longer changes. Blocking: call it
    /// off the async workers.
    pub fn export(&self, info: &RecordingInfo) -> Result<PathBuf, ProtocolError> {
        if info.stopped_at_ms.is_none() {
            return Err(ProtocolError::new(
                ErrorCode::InvalidValue,
                "the recording is still running: stop it before exporting it",
            ));
        }
        let dir = self.dir.join(info.recording_id.as_str());
        let export = dir.join(EXPORT_FILE);
        if export.is_file() {
            return Ok(export);
        }
        let failed = |what: String| {
            tracing::error!(recording = %info.recording_id, "export failed: {what}");
            ProtocolError::new(
                ErrorCode::RecordingFailed,
                format!("the recording could not be exported: {what}"),
            )
        };
        let open = |name: &str| {
            std::fs::File::open(dir.join(name)).map_err(|e| failed(format!("{name}: {e}")))
        };
        let mut video = open(VIDEO_FILE)?;
        let mut voices = info
            .voices
            .iter()
            .map(|v| open(&v.file))
            .collect::<Result<Vec<_>, _>>()?;
        // Written under another name and renamed: a half-written export is never served.
        let partial = dir.join(format!("{EXPORT_FILE}.partial"));
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&partial).map_err(|e| failed(e.to_string()))?,
        );
        crate::fmp4::export_mp4(&mut video, &mut voices, &mut out)
            .map_err(|e| failed(e.to_string()))?;
        out.into_inner()
            .map_err(|e| failed(e.to_string()))?
            .sync_all()
            .map_err(|e| failed(e.to_string()))?;
        std::fs::rename(&partial, &export).map_err(|e| failed(e.to_string()))?;
        Ok(export)
    }

    /// The path of one of the recording's files: its video, a voice it lists, or its frame
    /// records; any other name is `unknown_recording` (nothing else is served from there).
    pub fn file(&self, info: &RecordingInfo, name: &str) -> Result<PathBuf, ProtocolError> {
        let known =
            name == VIDEO_FILE || name == FRAMES_FILE || info.voices.iter().any(|v| v.file == name);
        if !known {
            return Err(ProtocolError::new(
                ErrorCode::UnknownRecording,
                format!("recording {} has no file {name:?}", info.recording_id),
            ));
        }
        let path = self.dir.join(info.recording_id.as_str()).join(name);
        if !path.is_file() {
            return Err(ProtocolError::new(
                ErrorCode::UnknownRecording,
                format!(
                    "the file {name} of recording {} is missing on disk",
                    info.recording_id
                ),
            ));
        }
        Ok(path)
    }
}
