//! Placing marks the way the expert and the headset do, over signaling only.

use super::next_message;
use glam::{Vec2, Vec3};
use spotter_peer::Signaling;
use spotter_protocol::{
    Anchor, Annotation, AnnotationKind, AnnotationRequest, ClientMessage, Pose, ResolveRequest,
    ServerMessage,
};

pub fn point_at(u: f32, v: f32, client_ref: u32) -> ClientMessage {
    ClientMessage::Annotate {
        client_ref,
        request: AnnotationRequest {
            kind: AnnotationKind::Point,
            frame_rtp_timestamp: 90_000,
            points: vec![Vec2::new(u, v)],
            color: "#ff2d95".into(),
        },
    }
}

/// The next resolve request; the headset also hears of earlier annotations, which are skipped.
pub async fn resolve_request(technician: &mut Signaling) -> ResolveRequest {
    loop {
        match next_message(technician).await {
            ServerMessage::ResolveRequest(request) => return request,
            ServerMessage::AnnotationAdded { .. } | ServerMessage::AnnotationDeleted { .. } => {}
            other => panic!("expected a resolve request, got {other:?}"),
        }
    }
}

pub fn on_pump(request: &ResolveRequest) -> Annotation {
    Annotation {
        id: request.annotation_id.clone(),
        kind: request.request.kind,
        author: request.author.clone(),
        color: request.request.color.clone(),
        anchor: Anchor::Equipment {
            equipment_id: "pump-1".into(),
            pose: Pose::new(Vec3::new(-1.7, 0.0, 0.0), glam::Quat::IDENTITY),
        },
        points: vec![Vec3::new(0.0, 0.6, 0.3)],
        frame_rtp_timestamp: request.request.frame_rtp_timestamp,
        surface: spotter_protocol::SurfaceQuality::Exact,
        acknowledged_by: None,
    }
}

pub async fn added(signaling: &mut Signaling) -> Annotation {
    loop {
        match next_message(signaling).await {
            ServerMessage::AnnotationAdded { annotation } => return annotation,
            ServerMessage::AnnotationAccepted { .. } => {}
            other => panic!("expected annotation_added, got {other:?}"),
        }
    }
}

/// The whole happy path: the expert marks, the headset resolves it on the pump, the expert
/// hears it was added.
pub async fn place_on_pump(
    expert: &mut Signaling,
    technician: &mut Signaling,
    client_ref: u32,
) -> Annotation {
    expert.send(&point_at(0.5, 0.5, client_ref)).unwrap();
    let request = resolve_request(technician).await;
    technician
        .send(&ClientMessage::Resolved {
            annotation: on_pump(&request),
        })
        .unwrap();
    added(expert).await
}
