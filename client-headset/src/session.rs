//! The headset's network side: joins the room as technician, publishes the encoded video and
//! each frame's metadata, and answers the server's resolve requests.

use crate::encoder::EncodedFrame;
use crate::frame_history::FrameHistory;
use crate::render::AnnotationUpdate;
use crate::resolve::resolve;
use crate::scene::FactoryScene;
use crate::voice;
use anyhow::Context;
use spotter_peer::{AudioPublisher, Peer, PeerOptions, Signaling, VideoPublisher, VoiceListener};
use spotter_protocol::{
    ClientMessage, EquipmentInfo, FrameMeta, Role, ServerMessage, VIDEO_CLOCK_RATE,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Whether to talk (the simulated headset's speech-like signal).
    pub talk: bool,
}

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

/// Runs until the server closes the connection.
pub async fn run(
    config: SessionConfig,
    scene: FactoryScene,
    mut links: SessionLinks,
) -> anyhow::Result<()> {
    let mut signaling = Signaling::connect(&ws_url(&config.server)).await?;
    let joined = signaling
        .join(&config.room, &config.token, &config.name)
        .await?;
    if joined.role != Role::Technician {
        anyhow::bail!(
            "this invite is for a {}; the headset needs a technician's invite",
            joined.role
        );
    }
    tracing::info!(participant = %joined.participant_id, room = %config.room, "joined as technician");
    let _ = links
        .annotations
        .send(AnnotationUpdate::Replace(joined.snapshot.annotations));
    signaling.send(&ClientMessage::Equipment {
        items: scene
            .equipment
            .iter()
            .map(|e| EquipmentInfo {
                id: e.id.clone(),
                name: e.name.clone(),
            })
            .collect(),
    })?;

    let mut peer = Peer::new(&PeerOptions::for_server(is_loopback(&config.server))).await?;
    let (mut publisher, mut keyframe_requests) = VideoPublisher::add_to(&peer).await?;
    let voice_out = if config.talk {
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
    if let Some(publisher) = voice_out {
        tokio::spawn(async move {
            if let Err(e) = voice::talk_simulated(publisher).await {
                tracing::warn!("voice stopped: {e:#}");
            }
        });
    }
    tokio::spawn(voice::listen(voices_in.frames()));

    let mut history = FrameHistory::default();
    let mut clock = RtpClock {
        origin: rand::random(),
        first_capture_us: None,
    };
    for message in early {
        handle_message(message, &signaling, &history, &scene, &links)?;
    }
    loop {
        tokio::select! {
            frame = links.frames.recv() => {
                let Some(OutgoingFrame { encoded, mut meta }) = frame else { break };
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
                    anyhow::bail!("the server closed the signaling connection");
                };
                handle_message(message, &signaling, &history, &scene, &links)?;
            }
        }
    }
    peer.close().await;
    Ok(())
}

fn handle_message(
    message: ServerMessage,
    signaling: &Signaling,
    history: &FrameHistory,
    scene: &FactoryScene,
    links: &SessionLinks,
) -> anyhow::Result<()> {
    match message {
        ServerMessage::ResolveRequest(request) => {
            let reply = match resolve(&request, history, scene) {
                Ok(annotation) => ClientMessage::Resolved { annotation },
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
        ServerMessage::Closing { message } => anyhow::bail!("the server closed: {message}"),
        ServerMessage::ParticipantJoined { participant } => {
            tracing::info!(id = %participant.id, role = %participant.role, "participant joined")
        }
        _ => {}
    }
    Ok(())
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
