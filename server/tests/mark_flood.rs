//! A flood of marks does not starve the headset: each expert may place a few marks a second
//! and the room a few more, the headset's answers to the server's requests never count against
//! its own message budget, and an expert marking at a person's pace keeps every mark.
//!
//! The technician here is a signaling client that answers every request at once, as the
//! headset's resolver does (the real headset is exercised end to end in client-web/e2e).

mod common;

use common::next_message;
use glam::{Vec2, Vec3};
use spotter_peer::Signaling;
use spotter_protocol::{
    Anchor, Annotation, AnnotationKind, AnnotationRequest, ClientMessage, ErrorCode, Pose, Role,
    ServerMessage,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn mark(client_ref: u32) -> ClientMessage {
    ClientMessage::Annotate {
        client_ref,
        request: AnnotationRequest {
            kind: AnnotationKind::Point,
            frame_rtp_timestamp: 90_000,
            points: vec![Vec2::new(0.5, 0.5)],
            color: "#ff2d95".into(),
        },
    }
}

/// What the headset heard and said.
#[derive(Default)]
struct HeadsetCounts {
    requests: AtomicU64,
    throttled: AtomicU64,
}

/// Answers every resolve request with a mark on the pump; counts requests and any throttling.
fn answering_headset(mut technician: Signaling) -> Arc<HeadsetCounts> {
    let counts = Arc::new(HeadsetCounts::default());
    let seen = counts.clone();
    tokio::spawn(async move {
        while let Some(message) = technician.recv().await {
            match message {
                ServerMessage::ResolveRequest(request) => {
                    seen.requests.fetch_add(1, Ordering::Relaxed);
                    let annotation = Annotation {
                        id: request.annotation_id,
                        kind: request.request.kind,
                        author: request.author,
                        color: request.request.color,
                        anchor: Anchor::World {
                            pose: Pose::new(Vec3::ZERO, glam::Quat::IDENTITY),
                        },
                        points: vec![Vec3::new(0.0, 0.6, 0.3)],
                        frame_rtp_timestamp: request.request.frame_rtp_timestamp,
                        surface: spotter_protocol::SurfaceQuality::Exact,
                        acknowledged_by: None,
                    };
                    let _ = technician.send(&ClientMessage::Resolved { annotation });
                }
                ServerMessage::Error {
                    code: ErrorCode::LimitReached,
                    ..
                } => {
                    seen.throttled.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            }
        }
    });
    counts
}

/// What a flooding expert got back.
#[derive(Debug, Default)]
struct FloodResult {
    accepted: u64,
    refused: HashMap<String, u64>,
}

/// Sends `per_second` marks a second for `seconds`, reading every answer meanwhile.
async fn flood(mut expert: Signaling, per_second: u32, seconds: u32) -> FloodResult {
    let mut result = FloodResult::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / per_second);
    let end = tokio::time::Instant::now() + Duration::from_secs(seconds.into());
    let mut sent = 0;
    loop {
        tokio::select! {
            _ = tick.tick(), if tokio::time::Instant::now() < end => {
                sent += 1;
                expert.send(&mark(sent)).unwrap();
            }
            message = expert.recv_timeout(Duration::from_secs(2)) => match message {
                Ok(ServerMessage::AnnotationAccepted { .. }) => result.accepted += 1,
                Ok(ServerMessage::Error { code: ErrorCode::LimitReached, message, .. }) => {
                    *result.refused.entry(message).or_default() += 1;
                }
                Ok(_) => {}
                Err(_) => return result,
            },
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_flooding_experts_leave_a_third_experts_marks_and_the_headset_untouched() {
    let server = common::start().await;
    let (technician, _) = server.join(Role::Technician, "Tom").await;
    let headset = answering_headset(technician);
    let flooders: Vec<_> = ["Flo", "Fred"]
        .into_iter()
        .map(|name| {
            let server_ws = server.ws.clone();
            let token = server.token_for("demo", Role::Expert, name);
            tokio::spawn(async move {
                let mut expert = Signaling::connect(&server_ws).await.unwrap();
                expert.join("demo", &token, name).await.unwrap();
                flood(expert, 45, 10).await
            })
        })
        .collect();

    let (mut careful, _) = server.join(Role::Expert, "Ana").await;
    let mut placed = 0;
    for client_ref in 1..=10 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        careful.send(&mark(client_ref)).unwrap();
        let id = loop {
            match next_message(&mut careful).await {
                ServerMessage::AnnotationAccepted {
                    client_ref: r,
                    annotation_id,
                } if r == client_ref => {
                    break annotation_id;
                }
                ServerMessage::Error { code, message, .. } => {
                    panic!("mark {client_ref}: {code}: {message}")
                }
                _ => {}
            }
        };
        loop {
            match next_message(&mut careful).await {
                ServerMessage::AnnotationAdded { annotation } if annotation.id == id => break,
                ServerMessage::Error {
                    code,
                    message,
                    annotation_id: Some(a),
                    ..
                } if a == id => {
                    panic!("mark {client_ref}: {code}: {message}")
                }
                _ => {}
            }
        }
        placed += 1;
    }
    assert_eq!(placed, 10, "every mark placed at a person's pace");

    for flooder in flooders {
        let result = flooder.await.unwrap();
        // The burst of 10, then 5 a second for the ten seconds.
        assert!((50..=65).contains(&result.accepted), "{result:?}");
        assert_eq!(result.refused.len(), 1, "{result:?}");
        let (message, refused) = result.refused.iter().next().unwrap();
        assert!(message.contains("at most 5 a second each"), "{message}");
        assert!(*refused > 300, "{result:?}");
    }
    let requests = headset.requests.load(Ordering::Relaxed);
    assert!(
        (110..=140).contains(&requests),
        "the headset was asked {requests} times"
    );
    assert_eq!(
        headset.throttled.load(Ordering::Relaxed),
        0,
        "its answers are not throttled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_experts_together_are_held_to_the_rooms_rate() {
    let server = common::start_with(None, |c| {
        c.limits.room_marks_per_second = 10;
        c.limits.room_mark_burst = 10;
    })
    .await;
    let (technician, _) = server.join(Role::Technician, "Tom").await;
    let headset = answering_headset(technician);
    let experts: Vec<_> = (0..6)
        .map(|i| {
            let server_ws = server.ws.clone();
            let name = format!("Expert {i}");
            let token = server.token_for("demo", Role::Expert, &name);
            tokio::spawn(async move {
                let mut expert = Signaling::connect(&server_ws).await.unwrap();
                expert.join("demo", &token, &name).await.unwrap();
                // Each within its own allowance: 4 a second.
                flood(expert, 4, 5).await
            })
        })
        .collect();
    let mut accepted = 0;
    let mut room_refusals = 0;
    for expert in experts {
        let result = expert.await.unwrap();
        accepted += result.accepted;
        room_refusals += result
            .refused
            .iter()
            .filter(|(m, _)| m.contains("10 marks a second, the most it takes"))
            .map(|(_, n)| n)
            .sum::<u64>();
    }
    // 120 asked for over five seconds; the room's burst of 10 and 10 a second let about 60.
    assert!((55..=70).contains(&accepted), "{accepted} accepted");
    assert!(
        room_refusals >= 45,
        "{room_refusals} refused by the room's limit"
    );
    assert_eq!(headset.requests.load(Ordering::Relaxed), accepted);
}
