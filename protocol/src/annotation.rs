//! Annotations: requested by an expert in image coordinates, resolved in 3D by the headset.

use crate::geometry::Pose;
use crate::ids::{AnnotationId, EquipmentId, ParticipantId};
use glam::{Vec2, Vec3};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AnnotationKind {
    /// A marker on one spot: one point.
    Point,
    /// An arrow: two points, tail then head; the head marks the spot.
    Arrow,
}

impl AnnotationKind {
    /// How many image points a request of this kind carries.
    pub fn point_count(self) -> usize {
        match self {
            AnnotationKind::Point => 1,
            AnnotationKind::Arrow => 2,
        }
    }
}

/// An expert's mark, as drawn on one video frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AnnotationRequest {
    pub kind: AnnotationKind,
    /// RTP timestamp of the frame the mark was drawn on.
    pub frame_rtp_timestamp: u32,
    /// Normalised image coordinates (`0..1`, origin top-left), as many as the kind needs.
    #[ts(type = "Array<[number, number]>")]
    pub points: Vec<Vec2>,
    /// `#rrggbb`.
    pub color: String,
}

/// Sent by the server to the room's headset: resolve this mark in 3D.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ResolveRequest {
    pub annotation_id: AnnotationId,
    pub author: ParticipantId,
    pub request: AnnotationRequest,
}

/// What an annotation is attached to. Its points are expressed in this anchor's frame, so the
/// annotation moves with the equipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Anchor {
    /// A piece of equipment; `pose` is its pose in the headset's world when resolved.
    Equipment {
        equipment_id: EquipmentId,
        pose: Pose,
    },
    /// A fixed place in the headset's world (a floor or a wall).
    World { pose: Pose },
}

impl Anchor {
    pub fn pose(&self) -> &Pose {
        match self {
            Anchor::Equipment { pose, .. } | Anchor::World { pose } => pose,
        }
    }

    pub fn equipment_id(&self) -> Option<&EquipmentId> {
        match self {
            Anchor::Equipment { equipment_id, .. } => Some(equipment_id),
            Anchor::World { .. } => None,
        }
    }
}

/// How far a resolved mark's position can be trusted: what the ray through the expert's point
/// met. The page and the headset show it, so nobody takes a guess for a measurement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SurfaceQuality {
    /// On a surface the headset knows exactly: the virtual scene the wearer sees. Marks stored
    /// before the field existed came from there.
    #[default]
    Exact,
    /// On the runtime's mesh of the room.
    Mesh,
    /// On a plane the runtime detected.
    Plane,
    /// Guessed: nothing known under the point, so the floor behind it or a fixed distance.
    Estimate,
}

/// A resolved annotation: the authoritative form every client renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Annotation {
    pub id: AnnotationId,
    pub kind: AnnotationKind,
    pub author: ParticipantId,
    pub color: String,
    pub anchor: Anchor,
    /// Points in the anchor's frame, metres; for an arrow, tail then head.
    #[ts(type = "Array<[number, number, number]>")]
    pub points: Vec<Vec3>,
    /// The frame it was drawn on.
    pub frame_rtp_timestamp: u32,
    /// What its position rests on.
    #[serde(default)]
    pub surface: SurfaceQuality,
    /// The technician who acknowledged it (saw it and is on it); set by the server.
    #[serde(default)]
    pub acknowledged_by: Option<ParticipantId>,
}

impl Annotation {
    /// The points in the headset's world frame.
    pub fn world_points(&self) -> Vec<Vec3> {
        let pose = self.anchor.pose();
        self.points.iter().map(|p| pose.to_world(*p)).collect()
    }
}

/// Whether `s` is a `#rrggbb` colour.
pub fn is_valid_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}
