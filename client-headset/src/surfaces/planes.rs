//! Planes the runtime detected (XR_EXT_plane_detection: `xr/plane_detection.rs` fills them in),
//! as a surface marks resolve on. Each plane is the rectangle of its extents through its pose,
//! with the pose's +Y as its normal: the extension gives the extents along the pose's X
//! (width) and Z (height). The runtime measured them, so a hit is of `Plane` quality. Each
//! finished detection replaces the whole set; resolving reads the latest.

use super::{SurfaceHit, Surfaces};
use glam::Vec3;
use spotter_protocol::{Pose, SurfaceQuality};
use std::sync::{Arc, RwLock};

/// Farther than this, a hit on a plane is not trusted (metres; the detector's range is less).
pub const PLANE_REACH_M: f32 = 20.0;

/// A detected plane in the tracking space (STAGE).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectedPlane {
    /// Plane → stage: its centre, its normal along +Y.
    pub stage_from_plane: Pose,
    /// Along the plane's X, metres.
    pub width: f32,
    /// Along the plane's Z, metres.
    pub depth: f32,
}

impl DetectedPlane {
    /// How far along the ray (in the plane's tracking space) it meets this plane's rectangle.
    fn meet(&self, origin: Vec3, dir: Vec3) -> Option<f32> {
        let local_origin = self.stage_from_plane.to_local(origin);
        let local_dir = self.stage_from_plane.rotation.inverse() * dir;
        if local_dir.y.abs() < 1e-6 {
            // Along the plane: it is never met.
            return None;
        }
        let distance = -local_origin.y / local_dir.y;
        if !(0.0..=PLANE_REACH_M).contains(&distance) {
            return None;
        }
        let on_plane = local_origin + local_dir * distance;
        let inside = on_plane.x.abs() <= self.width / 2.0 && on_plane.z.abs() <= self.depth / 2.0;
        inside.then_some(distance)
    }
}

/// The latest planes, shared between the runtime's side (which replaces them) and resolving
/// (which reads them).
#[derive(Debug, Clone, Default)]
pub struct DetectedPlanes(Arc<RwLock<Vec<DetectedPlane>>>);

impl DetectedPlanes {
    pub fn replace(&self, planes: Vec<DetectedPlane>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = planes;
    }

    pub fn len(&self) -> usize {
        self.0.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The detected planes where the tracking space stands in the world.
pub struct PlanesInWorld {
    pub world_from_stage: Pose,
    pub planes: DetectedPlanes,
}

impl Surfaces for PlanesInWorld {
    fn cast_ray(&self, origin: Vec3, dir: Vec3) -> Option<SurfaceHit> {
        let stage_origin = self.world_from_stage.to_local(origin);
        let stage_dir = self.world_from_stage.rotation.inverse() * dir;
        let planes = self.planes.0.read().unwrap_or_else(|p| p.into_inner());
        // The stage is placed rigidly in the world: distances along the ray are the same.
        let distance = planes
            .iter()
            .filter_map(|plane| plane.meet(stage_origin, stage_dir))
            .min_by(f32::total_cmp)?;
        Some(SurfaceHit {
            point: origin + dir * distance,
            distance,
            equipment: None,
            quality: SurfaceQuality::Plane,
        })
    }

    fn describe(&self) -> String {
        "the planes the runtime detected".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Quat;
    use std::f32::consts::FRAC_PI_2;

    /// A 1.2 × 0.8 m table top at 0.9 m, 2 m ahead (−Z), and a wall 4 m ahead facing back.
    fn room() -> DetectedPlanes {
        let planes = DetectedPlanes::default();
        planes.replace(vec![
            DetectedPlane {
                stage_from_plane: Pose::new(Vec3::new(0.0, 0.9, -2.0), Quat::IDENTITY),
                width: 1.2,
                depth: 0.8,
            },
            DetectedPlane {
                // +Y turned to +Z: the normal faces the wearer.
                stage_from_plane: Pose::new(
                    Vec3::new(0.0, 1.5, -4.0),
                    Quat::from_rotation_x(FRAC_PI_2),
                ),
                width: 6.0,
                depth: 3.0,
            },
        ]);
        planes
    }

    fn in_world(planes: DetectedPlanes, world_from_stage: Pose) -> PlanesInWorld {
        PlanesInWorld {
            world_from_stage,
            planes,
        }
    }

    #[test]
    fn a_ray_lands_on_the_nearest_plane_it_meets_inside_its_extents() {
        let surfaces = in_world(room(), Pose::IDENTITY);
        let eye = Vec3::new(0.0, 1.6, 0.0);
        // Down onto the table's centre.
        let table = Vec3::new(0.0, 0.9, -2.0);
        let hit = surfaces.cast_ray(eye, (table - eye).normalize()).unwrap();
        assert!(hit.point.distance(table) < 1e-4, "{hit:?}");
        assert_eq!(hit.quality, SurfaceQuality::Plane);
        assert!((hit.distance - eye.distance(table)).abs() < 1e-4);
        // Level: over the table, onto the wall.
        let wall = surfaces.cast_ray(eye, Vec3::NEG_Z).unwrap();
        assert!(
            wall.point.distance(Vec3::new(0.0, 1.6, -4.0)) < 1e-4,
            "{wall:?}"
        );
        // Beside the table (0.7 m to its right at its height), the wall behind answers.
        let beside = Vec3::new(0.7, 0.9, -2.0);
        let past = surfaces.cast_ray(eye, (beside - eye).normalize()).unwrap();
        assert!(past.distance > 3.0, "{past:?}");
    }

    #[test]
    fn no_plane_behind_along_or_beyond_the_extents_is_met() {
        let surfaces = in_world(room(), Pose::IDENTITY);
        let eye = Vec3::new(0.0, 1.6, 0.0);
        assert_eq!(surfaces.cast_ray(eye, Vec3::Z), None, "behind the wearer");
        assert_eq!(
            surfaces.cast_ray(eye, Vec3::X),
            None,
            "along the table, beside the wall"
        );
        assert_eq!(surfaces.cast_ray(eye, Vec3::Y), None, "up");
        let past_the_wall = Vec3::new(3.5, 1.6, -4.0);
        assert_eq!(
            surfaces.cast_ray(eye, (past_the_wall - eye).normalize()),
            None,
            "beside the wall's 6 m"
        );
        assert!(
            in_world(DetectedPlanes::default(), Pose::IDENTITY)
                .cast_ray(eye, Vec3::NEG_Z)
                .is_none()
        );
    }

    #[test]
    fn planes_stand_where_the_tracking_space_does_and_a_new_detection_replaces_them() {
        let planes = room();
        // The tracking space 10 m along the world's X, turned a quarter to the left.
        let world_from_stage =
            Pose::new(Vec3::new(10.0, 0.0, 0.0), Quat::from_rotation_y(FRAC_PI_2));
        let surfaces = in_world(planes.clone(), world_from_stage);
        let eye = world_from_stage.to_world(Vec3::new(0.0, 1.6, 0.0));
        let ahead = world_from_stage.rotation * Vec3::NEG_Z;
        let wall = surfaces.cast_ray(eye, ahead).unwrap();
        assert!(
            wall.point
                .distance(world_from_stage.to_world(Vec3::new(0.0, 1.6, -4.0)))
                < 1e-4,
            "{wall:?}"
        );
        planes.replace(Vec::new());
        assert!(planes.is_empty());
        assert_eq!(surfaces.cast_ray(eye, ahead), None);
    }
}
