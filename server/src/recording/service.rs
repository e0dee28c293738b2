//! The recorder service: one task reading the rooms' commands, and per recording a task that
//! moves the room's sink into a writer thread (file writes stay off the async workers).

use super::RecorderCommand;
use super::writer::{Progress, RecordingError, RecordingWriter};
use crate::rooms::{RoomRegistry, unix_now_ms};
use crate::sfu::sink::SINK_QUEUE;
use crate::sfu::{SfuHandle, SinkMedia};
use crate::store::Persister;
use spotter_protocol::{ParticipantId, RecordedMedia, RecordedVoice, RecordingId, RecordingInfo};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// How a recording ended, from the room.
#[derive(Debug, Default)]
struct Stopped {
    stopped_at_ms: u64,
    by: Option<ParticipantId>,
    reason: Option<String>,
}

enum Item {
    Media(SinkMedia),
    Stop(Stopped, Instant),
}

/// Everything a recording task needs.
#[derive(Clone)]
struct Context {
    dir: PathBuf,
    sfu: SfuHandle,
    rooms: RoomRegistry,
    persister: Persister,
}

/// Starts the recorder: recordings go to `dir/<recording id>/`.
pub fn start(
    mut commands: mpsc::UnboundedReceiver<RecorderCommand>,
    dir: PathBuf,
    sfu: SfuHandle,
    rooms: RoomRegistry,
    persister: Persister,
) {
    let context = Context {
        dir,
        sfu,
        rooms,
        persister,
    };
    tokio::spawn(async move {
        let mut running: HashMap<RecordingId, oneshot::Sender<Stopped>> = HashMap::new();
        while let Some(command) = commands.recv().await {
            match command {
                RecorderCommand::Start(info) => {
                    let (stop, stopped) = oneshot::channel();
                    running.insert(info.recording_id.clone(), stop);
                    tokio::spawn(record(*info, context.clone(), stopped));
                }
                RecorderCommand::Stop {
                    room,
                    recording_id,
                    stopped_at_ms,
                    by,
                    reason,
                } => {
                    let stopped = Stopped {
                        stopped_at_ms,
                        by,
                        reason,
                    };
                    match running.remove(&recording_id) {
                        // A task that already ended (its write failed) saved its own end.
                        Some(stop) => drop(stop.send(stopped)),
                        // Not recording in this run: the last run was killed while it
                        // recorded, and the room closes it now.
                        None => context.persister.close_interrupted_recording(
                            &room,
                            &recording_id,
                            stopped.stopped_at_ms,
                            stopped.reason,
                        ),
                    }
                }
            }
        }
    });
}

/// One recording: the room's sink, forwarded to the writer thread until the room stops it.
async fn record(info: RecordingInfo, context: Context, mut stopped: oneshot::Receiver<Stopped>) {
    let room = info.room.clone();
    let mut sink = match context.sfu.attach_sink(room.clone()).await {
        Ok(sink) => sink,
        Err(e) => {
            tracing::error!(%room, "the recording could not reach the media relay: {e}");
            return;
        }
    };
    let (items, queue) = std::sync::mpsc::sync_channel::<Item>(SINK_QUEUE * 4);
    let writer_context = context.clone();
    let writer = std::thread::Builder::new()
        .name(format!("recording {}", info.recording_id))
        .spawn(move || write(info, queue, writer_context));
    if let Err(e) = writer {
        tracing::error!(%room, "the recording's writer thread could not start: {e}");
        return;
    }
    loop {
        tokio::select! {
            media = sink.recv() => match media {
                // A writer that fell this far behind loses the item; the video resumes at
                // the next keyframe the relay gates on.
                Some(media) => if items.try_send(Item::Media(media)).is_err() {
                    tracing::debug!(%room, "the recording's writer is behind; an item is dropped");
                },
                // The relay stopped (the server is shutting down): the files are closed.
                None => {
                    let end = Stopped {
                        stopped_at_ms: unix_now_ms(),
                        by: None,
                        reason: Some("the server stopped".into()),
                    };
                    finish(items, end).await;
                    return;
                }
            },
            end = &mut stopped => {
                finish(items, end.unwrap_or_default()).await;
                return;
            }
        }
    }
}

/// Tells the writer thread to close the files, waiting for room in its queue.
async fn finish(items: std::sync::mpsc::SyncSender<Item>, end: Stopped) {
    let _ = tokio::task::spawn_blocking(move || items.send(Item::Stop(end, Instant::now()))).await;
}

/// The writer thread: files, and the catalog entry as it changes.
fn write(mut info: RecordingInfo, queue: std::sync::mpsc::Receiver<Item>, context: Context) {
    let dir = context.dir.join(info.recording_id.as_str());
    let failed = |info: &mut RecordingInfo, e: RecordingError| {
        let reason = match e {
            RecordingError::DiskFull => "the server's disk is full".to_owned(),
            other => format!("the recording could not be written ({other})"),
        };
        tracing::error!(recording = %info.recording_id, room = %info.room, "recording stopped: {reason}");
        info.stopped_at_ms = Some(unix_now_ms());
        info.stop_reason = Some(reason.clone());
        // Journaled and told to the room; the live session goes on. Stopped first, so the
        // entry is saved behind the recording's last event and its listing has them all.
        let _ = context.rooms.stop_recording(&info.room, None, Some(reason));
        context.persister.save_recording(info.clone());
    };
    let mut writer = match RecordingWriter::create(&dir, Instant::now()) {
        Ok(writer) => writer,
        Err(e) => return failed(&mut info, e),
    };
    for item in queue {
        match item {
            Item::Media(media) => match writer.write(media) {
                Ok(None) => {}
                Ok(Some(progress)) => {
                    note(&mut info, progress);
                    context.persister.save_recording(info.clone());
                }
                Err(e) => return failed(&mut info, e),
            },
            Item::Stop(stopped, ended) => {
                if let Err(e) = writer.finish(ended) {
                    return failed(&mut info, e);
                }
                info.stopped_at_ms = Some(stopped.stopped_at_ms);
                info.stopped_by = stopped.by;
                info.stop_reason = stopped.reason;
                context.persister.save_recording(info);
                return;
            }
        }
    }
}

fn note(info: &mut RecordingInfo, progress: Progress) {
    match progress {
        Progress::MediaStarted {
            first_rtp_timestamp,
            arrived,
        } => {
            let ago = arrived.elapsed().as_millis() as u64;
            info.media = Some(RecordedMedia {
                first_rtp_timestamp,
                started_at_ms: unix_now_ms().saturating_sub(ago),
            });
        }
        Progress::VoiceAdded { talker, n } => info.voices.push(RecordedVoice {
            participant_id: talker,
            file: super::writer::voice_file(n),
        }),
    }
}
