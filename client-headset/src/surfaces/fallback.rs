//! What stands in when nothing measured is under the expert's point: the floor of the runtime's
//! tracking space (STAGE, whose origin is on the floor), then a point a fixed distance along
//! the ray. Both are estimates: a mark on a machine the headset knows nothing of lands on the
//! floor behind it, or in the air in front of it, and the mark says so.

use super::{SurfaceHit, Surfaces};
use glam::Vec3;
use spotter_protocol::{Pose, SurfaceQuality};

/// Farther than this, a floor hit is too grazing to mean anything (metres; a large room).
pub const FLOOR_REACH_M: f32 = 10.0;
/// Where a mark lands when nothing is met: about where a technician's work is (metres).
pub const ALONG_THE_RAY_M: f32 = 1.5;

/// The plane y = 0 of the tracking space.
pub struct StageFloor {
    world_from_stage: Pose,
}

impl StageFloor {
    pub fn new(world_from_stage: Pose) -> Self {
        Self { world_from_stage }
    }
}

impl Surfaces for StageFloor {
    fn cast_ray(&self, origin: Vec3, dir: Vec3) -> Option<SurfaceHit> {
        let local_origin = self.world_from_stage.to_local(origin);
        let local_dir = self.world_from_stage.rotation.inverse() * dir;
        if local_dir.y >= -1e-6 || local_origin.y <= 0.0 {
            // Level or upwards, or from under the floor: it is never met.
            return None;
        }
        let distance = -local_origin.y / local_dir.y;
        (distance <= FLOOR_REACH_M).then(|| SurfaceHit {
            point: origin + dir * distance,
            distance,
            equipment: None,
            quality: SurfaceQuality::Estimate,
        })
    }

    fn describe(&self) -> String {
        "the tracking space's floor".into()
    }
}

/// A point `distance` metres along every ray.
pub struct AlongTheRay {
    pub distance: f32,
}

impl Default for AlongTheRay {
    fn default() -> Self {
        Self {
            distance: ALONG_THE_RAY_M,
        }
    }
}

impl Surfaces for AlongTheRay {
    fn cast_ray(&self, origin: Vec3, dir: Vec3) -> Option<SurfaceHit> {
        Some(SurfaceHit {
            point: origin + dir * self.distance,
            distance: self.distance,
            equipment: None,
            quality: SurfaceQuality::Estimate,
        })
    }

    fn describe(&self) -> String {
        format!("{} m along the ray", self.distance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Quat;

    #[test]
    fn the_floor_is_the_tracking_spaces_wherever_it_stands_in_the_world() {
        // The stage stands 3 m to the right, turned a quarter to the left, on a raised
        // platform 0.5 m up.
        let floor = StageFloor::new(Pose::new(
            Vec3::new(3.0, 0.5, 0.0),
            Quat::from_rotation_y(std::f32::consts::FRAC_PI_2),
        ));
        let eye = Vec3::new(3.0, 2.1, 0.0);
        let hit = floor
            .cast_ray(eye, Vec3::new(1.0, -1.0, 0.0).normalize())
            .unwrap();
        assert!(
            (hit.point - Vec3::new(4.6, 0.5, 0.0)).length() < 1e-4,
            "{hit:?}"
        );
        assert!((hit.distance - 1.6 * 2f32.sqrt()).abs() < 1e-4);
        assert_eq!(hit.quality, SurfaceQuality::Estimate);
    }

    #[test]
    fn the_floor_is_not_met_level_upwards_from_below_or_beyond_its_reach() {
        let floor = StageFloor::new(Pose::IDENTITY);
        let eye = Vec3::new(0.0, 1.6, 0.0);
        assert_eq!(floor.cast_ray(eye, Vec3::NEG_Z), None);
        assert_eq!(floor.cast_ray(eye, Vec3::Y), None);
        assert_eq!(floor.cast_ray(Vec3::new(0.0, -1.0, 0.0), Vec3::NEG_Y), None);
        // 1.6 m down over 20 m ahead: 20 m away, past the reach.
        let grazing = Vec3::new(0.0, -1.6, -20.0).normalize();
        assert_eq!(floor.cast_ray(eye, grazing), None);
    }

    #[test]
    fn along_the_ray_is_always_met_at_its_distance() {
        let along = AlongTheRay { distance: 2.0 };
        let hit = along.cast_ray(Vec3::ONE, Vec3::X).unwrap();
        assert_eq!(hit.point, Vec3::new(3.0, 1.0, 1.0));
        assert_eq!(hit.quality, SurfaceQuality::Estimate);
    }
}
