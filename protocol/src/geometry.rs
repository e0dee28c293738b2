//! Poses and the pinhole camera model shared by the headset (which renders and ray-casts) and
//! the web client (which projects annotations onto the video; `client-web/src/overlay/camera.ts`
//! mirrors this file).
//!
//! Conventions, the same as Bevy's and three.js's: right-handed, metres, +Y up; a camera looks
//! along its local -Z with +X to the right. Pixel coordinates start at the image's top-left
//! corner with +v pointing down; normalised image coordinates are pixels divided by the size.

use glam::{Quat, Vec2, Vec3};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A rigid transform from a local frame to the world frame (for a camera: camera → world).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct Pose {
    #[ts(type = "[number, number, number]")]
    pub position: Vec3,
    /// Unit quaternion as `[x, y, z, w]`.
    #[ts(type = "[number, number, number, number]")]
    pub rotation: Quat,
}

impl Pose {
    pub const IDENTITY: Pose = Pose {
        position: Vec3::ZERO,
        rotation: Quat::IDENTITY,
    };

    pub fn new(position: Vec3, rotation: Quat) -> Self {
        Self { position, rotation }
    }

    /// A pose at `position` whose -Z axis points at `target`, with +Y as close to world up as
    /// possible.
    pub fn looking_at(position: Vec3, target: Vec3) -> Self {
        let forward = (target - position).normalize();
        let right = forward.cross(Vec3::Y).normalize();
        let up = right.cross(forward);
        let rotation = Quat::from_mat3(&glam::Mat3::from_cols(right, up, -forward));
        Self::new(position, rotation.normalize())
    }

    pub fn to_world(&self, local: Vec3) -> Vec3 {
        self.rotation * local + self.position
    }

    pub fn to_local(&self, world: Vec3) -> Vec3 {
        self.rotation.inverse() * (world - self.position)
    }

    /// `local`, a pose given in this pose's frame, in this pose's parent frame: for
    /// `world_from_head.compose(&head_from_camera)`, the camera in the world.
    pub fn compose(&self, local: &Pose) -> Pose {
        Pose::new(
            self.to_world(local.position),
            (self.rotation * local.rotation).normalize(),
        )
    }

    /// Whether every number is finite and the rotation is a unit quaternion.
    pub fn is_valid(&self) -> bool {
        self.position.is_finite()
            && self.rotation.is_finite()
            && (self.rotation.length() - 1.0).abs() < 1e-3
    }
}

/// Pinhole intrinsics of one video frame, in pixels of that frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct Intrinsics {
    pub fx: f32,
    pub fy: f32,
    pub cx: f32,
    pub cy: f32,
    pub width: u32,
    pub height: u32,
}

impl Intrinsics {
    /// Square pixels, principal point at the centre, vertical field of view `fov_y` in radians:
    /// what a symmetric perspective projection (Bevy's, three.js's) renders.
    pub fn from_vertical_fov(fov_y: f32, width: u32, height: u32) -> Self {
        let fy = height as f32 / 2.0 / (fov_y / 2.0).tan();
        Self {
            fx: fy,
            fy,
            cx: width as f32 / 2.0,
            cy: height as f32 / 2.0,
            width,
            height,
        }
    }

    pub fn is_valid(&self) -> bool {
        [self.fx, self.fy, self.cx, self.cy]
            .iter()
            .all(|v| v.is_finite())
            && self.fx > 0.0
            && self.fy > 0.0
            && self.width > 0
            && self.height > 0
    }

    /// Pixel position of a world point seen by a camera at `camera`, or `None` when the point
    /// is behind the camera.
    pub fn project(&self, camera: &Pose, world: Vec3) -> Option<Vec2> {
        let p = camera.to_local(world);
        if p.z >= -1e-6 {
            return None;
        }
        let depth = -p.z;
        Some(Vec2::new(
            self.cx + self.fx * p.x / depth,
            self.cy - self.fy * p.y / depth,
        ))
    }

    /// The world-space ray through `pixel`: origin at the camera, unit direction.
    pub fn ray(&self, camera: &Pose, pixel: Vec2) -> (Vec3, Vec3) {
        let local = Vec3::new(
            (pixel.x - self.cx) / self.fx,
            -(pixel.y - self.cy) / self.fy,
            -1.0,
        );
        (camera.position, (camera.rotation * local).normalize())
    }

    /// Pixels from normalised image coordinates (`0..1` across the frame).
    pub fn pixel_from_normalized(&self, normalized: Vec2) -> Vec2 {
        normalized * Vec2::new(self.width as f32, self.height as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera() -> (Pose, Intrinsics) {
        (
            Pose::looking_at(Vec3::new(1.0, 1.6, 4.0), Vec3::new(-0.5, 0.8, 0.0)),
            Intrinsics::from_vertical_fov(60f32.to_radians(), 1280, 720),
        )
    }

    #[test]
    fn a_composed_pose_maps_points_as_both_poses_in_turn() {
        let (world_from_head, _) = camera();
        let head_from_camera =
            Pose::new(Vec3::new(0.03, -0.05, -0.08), Quat::from_rotation_x(-0.2));
        let world_from_camera = world_from_head.compose(&head_from_camera);
        for local in [Vec3::ZERO, Vec3::new(0.5, -1.0, -2.0)] {
            let step_by_step = world_from_head.to_world(head_from_camera.to_world(local));
            let at_once = world_from_camera.to_world(local);
            assert!(
                (step_by_step - at_once).length() < 1e-5,
                "{step_by_step} vs {at_once}"
            );
        }
        assert!(world_from_camera.is_valid());
        assert_eq!(Pose::IDENTITY.compose(&head_from_camera), head_from_camera);
    }

    #[test]
    fn project_then_unproject_returns_to_the_same_point() {
        let (pose, k) = camera();
        for world in [
            Vec3::new(-0.5, 0.8, 0.0),
            Vec3::new(0.3, 0.1, -1.0),
            Vec3::new(-2.0, 2.0, 1.0),
        ] {
            let pixel = k.project(&pose, world).expect("in front of the camera");
            let (origin, dir) = k.ray(&pose, pixel);
            let distance = (world - origin).length();
            let back = origin + dir * distance;
            assert!(
                (back - world).length() < 1e-4,
                "{world} came back as {back}"
            );
        }
    }

    #[test]
    fn the_looked_at_point_projects_to_the_image_centre() {
        let (pose, k) = camera();
        let pixel = k.project(&pose, Vec3::new(-0.5, 0.8, 0.0)).unwrap();
        assert!((pixel - Vec2::new(640.0, 360.0)).length() < 1e-3, "{pixel}");
    }

    #[test]
    fn up_and_right_in_the_world_are_up_and_right_in_the_image() {
        let pose = Pose::looking_at(Vec3::new(0.0, 0.0, 5.0), Vec3::ZERO);
        let k = Intrinsics::from_vertical_fov(1.0, 640, 360);
        let right = k.project(&pose, Vec3::X).unwrap();
        let up = k.project(&pose, Vec3::Y).unwrap();
        assert!(right.x > 320.0 && (right.y - 180.0).abs() < 1e-3);
        assert!(up.y < 180.0 && (up.x - 320.0).abs() < 1e-3);
    }

    #[test]
    fn points_behind_the_camera_do_not_project() {
        let (pose, k) = camera();
        assert_eq!(k.project(&pose, Vec3::new(2.0, 2.0, 8.0)), None);
    }

    #[test]
    fn local_and_world_transforms_are_inverse() {
        let anchor = Pose::new(
            Vec3::new(2.0, 0.0, -1.0),
            Quat::from_rotation_y(0.7) * Quat::from_rotation_x(-0.2),
        );
        let local = Vec3::new(0.1, 0.5, -0.3);
        let world = anchor.to_world(local);
        assert!((anchor.to_local(world) - local).length() < 1e-5);
        // A quarter turn about Y maps local +X onto world -Z.
        let turned = Pose::new(
            Vec3::ZERO,
            Quat::from_rotation_y(std::f32::consts::FRAC_PI_2),
        );
        assert!((turned.to_world(Vec3::X) - Vec3::NEG_Z).length() < 1e-5);
    }

    #[test]
    fn invalid_numbers_are_detected() {
        let mut pose = Pose::IDENTITY;
        assert!(pose.is_valid());
        pose.position.x = f32::NAN;
        assert!(!pose.is_valid());
        let mut k = Intrinsics::from_vertical_fov(1.0, 640, 360);
        assert!(k.is_valid());
        k.fx = 0.0;
        assert!(!k.is_valid());
    }
}
