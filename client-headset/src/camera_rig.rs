//! Where the streamed camera is when the head is tracked: the runtime tracks the head in its
//! own space (OpenXR's STAGE: origin on the floor), that space stands somewhere in the world
//! the marks are anchored in, and the camera is fixed on the head (its extrinsics). A frame's
//! pose is the three composed, so what comes after it (frame history, resolving, the expert's
//! overlay) does not care whether the head was simulated or tracked.

use crate::scene::FactoryScene;
use glam::{Quat, Vec3};
use spotter_protocol::Pose;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraRig {
    /// The tracking space's origin and axes in the world.
    pub world_from_stage: Pose,
    /// The camera in the head's frame (OpenXR's VIEW space: between the eyes, -Z forward).
    pub head_from_camera: Pose,
}

impl CameraRig {
    /// A rig whose camera is the head's own view (the virtual camera renders from between
    /// the eyes), standing where the scene's scripted technician stands: on the floor below
    /// the script's camera, facing what it looks at.
    pub fn standing_in(scene: &FactoryScene) -> Self {
        let script = &scene.camera;
        let ahead = script.look_at - script.position;
        // The yaw that turns -Z (the way a STAGE space faces) towards the look-at point.
        let yaw = (-ahead.x).atan2(-ahead.z);
        Self {
            world_from_stage: Pose::new(
                Vec3::new(script.position.x, 0.0, script.position.z),
                Quat::from_rotation_y(yaw),
            ),
            head_from_camera: Pose::IDENTITY,
        }
    }

    /// A real camera on the head: no virtual scene stands anywhere, so the world is the
    /// tracking space itself, and the camera sits where its calibration says.
    pub fn on_real_camera(head_from_camera: Pose) -> Self {
        Self {
            world_from_stage: Pose::IDENTITY,
            head_from_camera,
        }
    }

    /// The camera's pose in the world for a head tracked at `stage_from_head`.
    pub fn camera_in_world(&self, stage_from_head: &Pose) -> Pose {
        self.world_from_stage
            .compose(stage_from_head)
            .compose(&self.head_from_camera)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::default_scene_path;
    use std::f32::consts::FRAC_PI_2;

    fn close(a: Vec3, b: Vec3) -> bool {
        (a - b).length() < 1e-4
    }

    #[test]
    fn a_camera_on_the_forehead_moves_and_turns_with_the_head() {
        let rig = CameraRig {
            world_from_stage: Pose::IDENTITY,
            // 8 cm in front of the eyes, 3 cm up, looking the same way.
            head_from_camera: Pose::new(Vec3::new(0.0, 0.03, -0.08), Quat::IDENTITY),
        };
        let facing_forward = Pose::new(Vec3::new(0.0, 1.6, 0.0), Quat::IDENTITY);
        let camera = rig.camera_in_world(&facing_forward);
        assert!(close(camera.position, Vec3::new(0.0, 1.63, -0.08)));
        // Turned 90° to the left, the camera is 8 cm to the head's left, and looks left.
        let turned_left = Pose::new(Vec3::new(0.0, 1.6, 0.0), Quat::from_rotation_y(FRAC_PI_2));
        let camera = rig.camera_in_world(&turned_left);
        assert!(
            close(camera.position, Vec3::new(-0.08, 1.63, 0.0)),
            "{camera:?}"
        );
        assert!(close(camera.rotation * Vec3::NEG_Z, Vec3::NEG_X));
    }

    #[test]
    fn a_tilted_camera_looks_down_from_where_the_head_looks() {
        let rig = CameraRig {
            world_from_stage: Pose::IDENTITY,
            head_from_camera: Pose::new(Vec3::ZERO, Quat::from_rotation_x(-FRAC_PI_2)),
        };
        let camera = rig.camera_in_world(&Pose::IDENTITY);
        assert!(close(camera.rotation * Vec3::NEG_Z, Vec3::NEG_Y));
    }

    #[test]
    fn the_stage_stands_under_the_scripted_camera_facing_the_equipment() {
        let scene = FactoryScene::load(&default_scene_path()).expect("the demo factory");
        let rig = CameraRig::standing_in(&scene);
        // A head 1.6 m above the STAGE origin, looking straight ahead (STAGE -Z), stands
        // where the script's camera is and looks towards its look-at point, level.
        let head = Pose::new(Vec3::new(0.0, scene.camera.position.y, 0.0), Quat::IDENTITY);
        let camera = rig.camera_in_world(&head);
        assert!(close(camera.position, scene.camera.position), "{camera:?}");
        let ahead = scene.camera.look_at - scene.camera.position;
        let level_ahead = Vec3::new(ahead.x, 0.0, ahead.z).normalize();
        assert!(close(camera.rotation * Vec3::NEG_Z, level_ahead));
    }
}
