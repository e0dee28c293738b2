//! The headset's network side: joins the room as technician, publishes the encoded video and
//! each frame's metadata, and answers the server's resolve requests.

use crate::acknowledge::RoomMarks;
use crate::encoder::EncodedFrame;
use crate::frame_history::FrameHistory;
use crate::microphone_mute::MuteRequest;
use crate::rate::RetransmissionRate;
use crate::recording::{RecordingIndicator, RecordingRequest, RoomRecording};
use crate::render::AnnotationUpdate;
use crate::resolve::resolve;
use crate::room_status::RoomStatus;
use crate::surfaces::KnownWorld;
use crate::voice;
use anyhow::Context;
use spotter_peer::{
    AudioPublisher, BitrateRange, JoinRefused, Peer, PeerOptions, RTCPeerConnectionState,
    Signaling, VideoPublisher, VoiceListener,
};
use spotter_protocol::{
    ClientMessage, ErrorCode, FrameMeta, Role, ServerMessage, VIDEO_CLOCK_RATE,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;
use tokio::sync::mpsc;

pub struct SessionConfig {
    /// `http://host:port` of the server.
    pub server: String,
    pub room: String,
    /// A technician's access token for the room.
    pub token: String,
    pub name: String,
    /// Where the technician's voice comes from.
    pub voice: voice::VoiceSource,
    /// The highest video bitrate; congestion control sends less when the path carries less.
    pub video_bitrate: u32,
}

/// Congestion control's range: the voice and overhead on top of the video's bitrate...
const AUDIO_BITRATE_ALLOWANCE: f64 = 100_000.0;
/// ...and the least it ever aims for.
const MIN_SEND_BITRATE: f64 = 120_000.0;

/// Voices the headset can hear at once (experts talking together).
const VOICE_SLOTS: usize = 3;

/// An encoded frame with everything but its RTP timestamp, which the session assigns.
pub struct OutgoingFrame {
    pub encoded: EncodedFrame,
    pub meta: FrameMeta,
}

/// What the session shares with the renderer and the encoder.
pub struct SessionLinks {
    pub frames: mpsc::Receiver<OutgoingFrame>,
    pub annotations: std_mpsc::Sender<AnnotationUpdate>,
    /// Set when a viewer asked for a keyframe; the encoder clears it.
    pub keyframe_wanted: Arc<AtomicBool>,
    /// The congestion controller's estimate for everything sent less the retransmissions' rate,
    /// and at most the slowest viewer's downlink, bits per second (0: none yet); the encoder
    /// follows it.
    pub estimate_bps: Arc<AtomicU64>,
    /// Where the voices heard are played (the speakers), if anywhere.
    pub heard: Option<voice::HeardSink>,
    /// The wearer's requests to start or stop the room's recording.
    pub recording_requests: mpsc::UnboundedReceiver<RecordingRequest>,
    /// The room's recording, for the light in the wearer's view.
    pub recording_shown: std_mpsc::Sender<RecordingIndicator>,
    /// The wearer's mute and unmute requests, and whether the microphone is muted now (kept
    /// across reconnections; the voice sender reads it for every frame).
    pub mute_requests: mpsc::UnboundedReceiver<MuteRequest>,
    /// In the room or not, and how many others are: the wearer's status lights.
    pub room_status: tokio::sync::watch::Sender<RoomStatus>,
    /// The wearer acknowledges the newest mark (a button, or `ack`).
    pub acknowledge_requests: mpsc::UnboundedReceiver<()>,
    pub muted: Arc<AtomicBool>,
    /// Whether the wearer has taken the headset off (the OpenXR session's state says so); the
    /// room is told on every change and on each join.
    pub away: tokio::sync::watch::Receiver<bool>,
}

/// Maps capture times to a 90 kHz RTP clock with a random origin (RFC 3550 §5.1).
struct RtpClock {
    origin: u32,
    first_capture_us: Option<u64>,
}

impl RtpClock {
    fn timestamp(&mut self, capture_time_us: u64) -> u32 {
        let first = *self.first_capture_us.get_or_insert(capture_time_us);
        let ticks =
            (capture_time_us.saturating_sub(first)) * u64::from(VIDEO_CLOCK_RATE) / 1_000_000;
        self.origin.wrapping_add(ticks as u32)
    }
}

fn ws_url(server: &str) -> String {
    let base = server.trim_end_matches('/');
    let base = base
        .strip_prefix("https://")
        .map(|rest| format!("wss://{rest}"))
        .or_else(|| {
            base.strip_prefix("http://")
                .map(|rest| format!("ws://{rest}"))
        })
        .unwrap_or_else(|| base.to_owned());
    format!("{base}/ws")
}

fn is_loopback(server: &str) -> bool {
    let host = server
        .split("://")
        .nth(1)
        .unwrap_or(server)
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

/// How long a lost connection waits before joining again, growing with each failed attempt.
const REJOIN_DELAYS: [Duration; 4] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(3),
];
/// Media disconnected this long counts as a lost connection (ICE may recover before).
const MEDIA_LOST_AFTER: Duration = Duration::from_secs(4);
/// A connection attempt to a server that does not answer gives up after this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The video sender's retransmissions are measured every second and logged every this many.
const REPAIRS_REPORT_EVERY: u32 = 5;

/// Why a session ended.
enum Ended {
    /// The server is shutting down.
    ServerClosed(String),
    /// The network or the server went away: join again.
    Lost(anyhow::Error),
    /// Joining again would fail the same way (a bad token, another headset in the room).
    Refused(anyhow::Error),
}

/// Runs sessions until the server closes: after a lost connection (a Wi-Fi dead spot) the
/// headset joins again with its resume key, replacing its old self in the room, and publishes
/// on a new peer connection.
pub async fn run(
    config: SessionConfig,
    world: KnownWorld,
    mut links: SessionLinks,
) -> anyhow::Result<()> {
    let mut resume = None;
    let mut attempt = 0;
    loop {
        let started = tokio::time::Instant::now();
        match run_once(&config, &world, &mut links, &mut resume).await {
            Ended::ServerClosed(message) => {
                tracing::info!("the server closed: {message}");
                return Ok(());
            }
            Ended::Refused(e) => return Err(e),
            Ended::Lost(e) => {
                links.room_status.send_replace(RoomStatus::default());
                // A session that ran a while starts the backoff over.
                if started.elapsed() > Duration::from_secs(30) {
                    attempt = 0;
                }
                let delay = REJOIN_DELAYS[attempt.min(REJOIN_DELAYS.len() - 1)];
                attempt += 1;
                tracing::warn!("connection lost: {e:#}; joining again in {delay:?}");
                discard_frames_for(&mut links, delay).await;
            }
        }
    }
}

/// Waits, dropping the frames the encoder hands over meanwhile (no one to send them to) and
/// the wearer's recording requests (no room to send them to; a late one would surprise).
async fn discard_frames_for(links: &mut SessionLinks, duration: Duration) {
    let deadline = tokio::time::sleep(duration);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return,
            frame = links.frames.recv() => if frame.is_none() { return },
            Some(()) = links.acknowledge_requests.recv() => {
                tracing::warn!("not connected to the room: the acknowledgement is dropped");
            }
            // The room is told on joining again.
            Some(request) = links.mute_requests.recv() => {
                let muted = request.apply(links.muted.load(Ordering::Relaxed));
                links.muted.store(muted, Ordering::Relaxed);
            }
            Some(request) = links.recording_requests.recv() => {
                tracing::warn!(?request, "not connected to the room: the recording request is dropped");
            }
        }
    }
}

fn classify_join_error(e: anyhow::Error) -> Ended {
    match e.downcast_ref::<JoinRefused>().map(|r| r.code) {
        Some(ErrorCode::LimitReached | ErrorCode::Internal) | None => Ended::Lost(e),
        Some(_) => Ended::Refused(e),
    }
}

/// One session: join, publish, answer, until the connection is lost or the server closes.
async fn run_once(
    config: &SessionConfig,
    world: &KnownWorld,
    links: &mut SessionLinks,
    resume: &mut Option<String>,
) -> Ended {
    let url = ws_url(&config.server);
    let mut signaling = match tokio::time::timeout(CONNECT_TIMEOUT, Signaling::connect(&url)).await
    {
        Ok(Ok(signaling)) => signaling,
        Ok(Err(e)) => return Ended::Lost(e),
        Err(_) => return Ended::Lost(anyhow::anyhow!("the server did not answer in time")),
    };
    let joined = match signaling
        .join_again(&config.room, &config.token, &config.name, resume.clone())
        .await
    {
        Ok(joined) => joined,
        Err(e) => return classify_join_error(e),
    };
    if joined.role != Role::Technician {
        return Ended::Refused(anyhow::anyhow!(
            "this invite is for a {}; the headset needs a technician's invite",
            joined.role
        ));
    }
    *resume = Some(joined.resume_key.clone());
    match publish(config, world, links, signaling, joined).await {
        Ok(ended) => ended,
        Err(e) => Ended::Lost(e),
    }
}

/// Publishes on a new peer connection and serves the room until the session ends.
async fn publish(
    config: &SessionConfig,
    world: &KnownWorld,
    links: &mut SessionLinks,
    mut signaling: Signaling,
    joined: spotter_peer::signaling::Joined,
) -> anyhow::Result<Ended> {
    tracing::info!(participant = %joined.participant_id, room = %config.room, "joined as technician");
    let recording = RoomRecording::new(joined.snapshot.recording.clone());
    let _ = links.recording_shown.send(recording.indicator());
    let marks = RoomMarks::new(&joined.snapshot.annotations);
    let people = RoomStatus::joined(&joined.participant_id, &joined.snapshot);
    let _ = links
        .annotations
        .send(AnnotationUpdate::Replace(joined.snapshot.annotations));
    signaling.send(&ClientMessage::Equipment {
        items: world.equipment.clone(),
    })?;

    let max = f64::from(config.video_bitrate) + AUDIO_BITRATE_ALLOWANCE;
    let options = PeerOptions::for_server(is_loopback(&config.server)).with_congestion_control(
        BitrateRange {
            initial: max,
            min: MIN_SEND_BITRATE,
            max,
        },
    );
    let mut peer = Peer::new(&options).await?;
    let (publisher, keyframe_requests) = VideoPublisher::add_to(&peer).await?;
    let voice_out = if !matches!(config.voice, voice::VoiceSource::Off) {
        Some(AudioPublisher::add_to(&peer).await?)
    } else {
        None
    };
    let mut voices_in = VoiceListener::add_to(&mut peer, VOICE_SLOTS).await?;
    let (frames_channel, _) = peer.frames_channel().await?;
    let offer = peer.create_offer().await?;
    let mut early = Vec::new();
    let answer = signaling.exchange_offer(offer, |m| early.push(m)).await?;
    peer.accept_answer(answer).await?;
    peer.connected(Duration::from_secs(15))
        .await
        .context("connecting media to the server")?;
    tracing::info!("publishing video");
    // Viewers need a keyframe to start from on the new connection.
    links.keyframe_wanted.store(true, Ordering::Relaxed);
    let talking = voice_out.map(|publisher| {
        let source = config.voice.clone();
        let muted = links.muted.clone();
        tokio::spawn(async move {
            if let Err(e) = voice::talk(publisher, &source, &muted).await {
                tracing::warn!("voice stopped: {e:#}");
            }
        })
    });
    let listening = tokio::spawn(voice::listen(voices_in.frames(), links.heard.clone()));
    let ended = serve(
        links,
        &mut signaling,
        &peer,
        publisher,
        keyframe_requests,
        frames_channel,
        world,
        early,
        recording,
        marks,
        people,
    )
    .await;
    if let Some(task) = talking {
        task.abort();
    }
    listening.abort();
    peer.close().await;
    ended
}

/// Sends frames and answers the room until the server closes or the connection is lost.
#[allow(clippy::too_many_arguments)]
async fn serve(
    links: &mut SessionLinks,
    signaling: &mut Signaling,
    peer: &Peer,
    mut publisher: VideoPublisher,
    mut keyframe_requests: mpsc::UnboundedReceiver<()>,
    frames_channel: spotter_peer::FramesChannel,
    world: &KnownWorld,
    early: Vec<ServerMessage>,
    mut recording: RoomRecording,
    mut marks: RoomMarks,
    mut people: RoomStatus,
) -> anyhow::Result<Ended> {
    let mut history = FrameHistory::default();
    let mut clock = RtpClock {
        origin: rand::random(),
        first_capture_us: None,
    };
    for message in early {
        marks.follow(&message);
        people.follow(&message);
        if let Some(closing) =
            handle_message(message, signaling, &history, world, links, &mut recording)?
        {
            return Ok(Ended::ServerClosed(closing));
        }
    }
    // Who is in the room, the joins and leaves heard while connecting included; from here on
    // the channel holds it, and follows the joins and leaves.
    links.room_status.send_replace(people);
    let mut media = peer.state();
    let estimate = peer.target_bitrate();
    // Set while ICE is disconnected: it may come back by itself before this passes.
    let mut media_lost_at: Option<tokio::time::Instant> = None;
    let mut repairs_tick = tokio::time::interval(Duration::from_secs(1));
    // After a stall, one tick rather than a burst of them milliseconds apart.
    repairs_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut repairs_ticks = 0u32;
    let mut retransmission = RetransmissionRate::default();
    // A new join starts present and talking: say so if the wearer is not.
    if *links.away.borrow_and_update() {
        signaling.send(&ClientMessage::SetAway { away: true })?;
    }
    if links.muted.load(Ordering::Relaxed) {
        signaling.send(&ClientMessage::SetMuted { muted: true })?;
    }
    loop {
        let lost_deadline = async {
            match media_lost_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frame = links.frames.recv() => {
                let Some(OutgoingFrame { encoded, mut meta }) = frame else {
                    return Ok(Ended::ServerClosed("the headset is stopping".into()));
                };
                if let Some(estimate) = &estimate {
                    // The uplink's estimate less retransmissions, and no more than the slowest
                    // viewer's downlink (the SFU's REMB).
                    let uplink = estimate.bps() - retransmission.bps();
                    let allowed = publisher.viewers_cap_bps().map_or(uplink, |cap| uplink.min(cap));
                    links.estimate_bps.store(allowed.max(1.0) as u64, Ordering::Relaxed);
                }
                meta.rtp_timestamp = clock.timestamp(meta.capture_time_us);
                // Recorded before sending, so a stroke drawn on this frame always finds it.
                history.push(meta);
                publisher.send_access_unit(encoded.data.into(), meta.rtp_timestamp).await?;
                // Before the channel opens the record is dropped; the next frame brings another.
                frames_channel.send(&serde_json::to_string(&meta)?).await;
            }
            Some(()) = keyframe_requests.recv() => {
                links.keyframe_wanted.store(true, Ordering::Relaxed);
            }
            message = signaling.recv() => {
                let Some(message) = message else {
                    return Ok(Ended::Lost(anyhow::anyhow!("the signaling connection closed")));
                };
                marks.follow(&message);
                links.room_status.send_if_modified(|people| people.follow(&message));
                if let Some(closing) =
                    handle_message(message, signaling, &history, world, links, &mut recording)?
                {
                    return Ok(Ended::ServerClosed(closing));
                }
            }
            Some(()) = links.acknowledge_requests.recv() => match marks.to_acknowledge() {
                Some(id) => {
                    tracing::info!(id = %id, "the wearer acknowledges the mark");
                    signaling.send(&ClientMessage::AcknowledgeMark { annotation_id: id.clone() })?;
                }
                None => tracing::info!("no mark to acknowledge"),
            },
            Some(request) = links.mute_requests.recv() => {
                let muted = request.apply(links.muted.load(Ordering::Relaxed));
                if links.muted.swap(muted, Ordering::Relaxed) != muted {
                    tracing::info!(muted, "the wearer's microphone");
                    signaling.send(&ClientMessage::SetMuted { muted })?;
                }
            }
            Ok(()) = links.away.changed() => {
                let away = *links.away.borrow_and_update();
                tracing::info!(away, "the wearer's presence changed");
                signaling.send(&ClientMessage::SetAway { away })?;
            }
            Some(request) = links.recording_requests.recv() => {
                match recording.message_for(request) {
                    Some(message) => signaling.send(&message)?,
                    None => tracing::info!(
                        ?request,
                        recording = recording.indicator().recording,
                        "nothing to do: the room's recording is already so"
                    ),
                }
            }
            changed = media.changed() => {
                if changed.is_err() {
                    return Ok(Ended::Lost(anyhow::anyhow!("the peer connection is gone")));
                }
                let state = *media.borrow_and_update();
                match state {
                    RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => {
                        return Ok(Ended::Lost(anyhow::anyhow!("media connection {state}")));
                    }
                    RTCPeerConnectionState::Disconnected => {
                        media_lost_at.get_or_insert(tokio::time::Instant::now() + MEDIA_LOST_AFTER);
                    }
                    _ => media_lost_at = None,
                }
            }
            _ = repairs_tick.tick() => {
                let r = peer.video_repairs().await;
                let rtx_bps = retransmission.update(std::time::Instant::now(), r.retransmitted_bytes);
                repairs_ticks += 1;
                if repairs_ticks.is_multiple_of(REPAIRS_REPORT_EVERY) {
                    tracing::info!(
                        packets_sent = r.packets_sent,
                        retransmitted = r.retransmitted_packets,
                        retransmit_kbps = (rtx_bps / 1000.0).round(),
                        too_late_to_resend = r.late_retransmissions,
                        refused_by_full_queue = r.refused_video,
                        "video repairs"
                    );
                }
            }
            _ = lost_deadline => {
                return Ok(Ended::Lost(anyhow::anyhow!("media disconnected for {MEDIA_LOST_AFTER:?}")));
            }
        }
    }
}

/// Acts on one message from the server; `Some` with the server's message when it is closing.
fn handle_message(
    message: ServerMessage,
    signaling: &Signaling,
    history: &FrameHistory,
    world: &KnownWorld,
    links: &SessionLinks,
    recording: &mut RoomRecording,
) -> anyhow::Result<Option<String>> {
    if recording.follow(&message) {
        let _ = links.recording_shown.send(recording.indicator());
    }
    match message {
        ServerMessage::ResolveRequest(request) => {
            let reply = match resolve(&request, history, &world.surfaces) {
                Ok(annotation) => {
                    tracing::info!(
                        id = %annotation.id,
                        on = annotation.anchor.equipment_id().map_or("the world", |id| id.as_str()),
                        surface = ?annotation.surface,
                        resolved_at_unix_us = crate::clock::unix_time_us(),
                        "mark resolved"
                    );
                    ClientMessage::Resolved { annotation }
                }
                Err(e) => {
                    tracing::info!(id = %request.annotation_id, "cannot place annotation: {e}");
                    ClientMessage::ResolveFailed {
                        annotation_id: request.annotation_id,
                        code: e.code,
                        message: e.message,
                    }
                }
            };
            signaling.send(&reply)?;
        }
        ServerMessage::AnnotationAdded { annotation } => {
            let _ = links.annotations.send(AnnotationUpdate::Added(annotation));
        }
        ServerMessage::AnnotationDeleted { annotation_id, .. } => {
            let _ = links
                .annotations
                .send(AnnotationUpdate::Deleted(annotation_id));
        }
        ServerMessage::Error { code, message, .. } => {
            tracing::warn!("server error: {code}: {message}")
        }
        ServerMessage::Closing { message } => return Ok(Some(message)),
        ServerMessage::ParticipantJoined { participant } => {
            tracing::info!(id = %participant.id, role = %participant.role, "participant joined")
        }
        _ => {}
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_become_websocket_urls() {
        assert_eq!(ws_url("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/ws");
        assert_eq!(ws_url("https://edge.plant/"), "wss://edge.plant/ws");
        assert!(is_loopback("http://127.0.0.1:8080"));
        assert!(is_loopback("http://localhost:8080"));
        assert!(!is_loopback("https://edge.plant"));
    }

    #[test]
    fn rtp_timestamps_follow_capture_time_at_90_khz_and_wrap() {
        let mut clock = RtpClock {
            origin: u32::MAX - 10,
            first_capture_us: None,
        };
        assert_eq!(clock.timestamp(5_000_000), u32::MAX - 10);
        assert_eq!(clock.timestamp(5_100_000), 9_000 - 11);
    }
}
