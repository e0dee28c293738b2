//! Resolving an expert's stroke in 3D: unproject through the pose of the frame it was drawn
//! on, hit what the headset knows of the world's surfaces, and attach the result to what was
//! hit, saying how far the position can be trusted.

use crate::frame_history::{FrameHistory, HISTORY_SECONDS};
use crate::surfaces::Surfaces;
use glam::Vec3;
use spotter_protocol::{
    Anchor, Annotation, AnnotationKind, ErrorCode, Pose, ProtocolError, ResolveRequest,
};

/// Resolves `request` against `surfaces`, with the frame it names from `history`.
pub fn resolve(
    request: &ResolveRequest,
    history: &FrameHistory,
    surfaces: &dyn Surfaces,
) -> Result<Annotation, ProtocolError> {
    let drawn = &request.request;
    let frame = history.get(drawn.frame_rtp_timestamp).ok_or_else(|| {
        ProtocolError::new(
            ErrorCode::FrameGone,
            format!(
                "the headset no longer holds frame {} (it keeps the last {HISTORY_SECONDS} s)",
                drawn.frame_rtp_timestamp
            ),
        )
    })?;
    let ray_through = |normalized: glam::Vec2| {
        let pixel = frame.intrinsics.pixel_from_normalized(normalized);
        frame.intrinsics.ray(&frame.pose, pixel)
    };
    // The mark's spot: the point itself, or the arrow's head.
    let spot = *drawn
        .points
        .last()
        .ok_or_else(|| ProtocolError::new(ErrorCode::InvalidValue, "the mark has no points"))?;
    let (origin, dir) = ray_through(spot);
    let hit = surfaces.cast_ray(origin, dir).ok_or_else(|| {
        ProtocolError::new(
            ErrorCode::NoSurface,
            "there is no surface under that point to attach the mark to",
        )
    })?;
    let anchor = match &hit.equipment {
        Some(id) => Anchor::Equipment {
            equipment_id: id.clone(),
            pose: surfaces.equipment_pose(id).unwrap_or(Pose::IDENTITY),
        },
        None => Anchor::World {
            pose: Pose::new(hit.point, glam::Quat::IDENTITY),
        },
    };
    let world_points: Vec<Vec3> = match drawn.kind {
        AnnotationKind::Point => vec![hit.point],
        AnnotationKind::Arrow => {
            // The tail lies in the plane through the head that faces the camera, so the arrow
            // keeps the length and direction the expert drew.
            let forward = frame.pose.rotation * Vec3::NEG_Z;
            let (tail_origin, tail_dir) = ray_through(drawn.points[0]);
            let along = tail_dir.dot(forward);
            let t = if along.abs() > 1e-6 {
                (hit.point - tail_origin).dot(forward) / along
            } else {
                hit.distance
            };
            vec![tail_origin + tail_dir * t, hit.point]
        }
    };
    let anchor_pose = *anchor.pose();
    Ok(Annotation {
        id: request.annotation_id.clone(),
        kind: drawn.kind,
        author: request.author.clone(),
        color: drawn.color.clone(),
        points: world_points
            .into_iter()
            .map(|p| anchor_pose.to_local(p))
            .collect(),
        anchor,
        frame_rtp_timestamp: drawn.frame_rtp_timestamp,
        surface: hit.quality,
        acknowledged_by: None,
    })
}
