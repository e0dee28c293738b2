//! The simulated technician's head motion: standing still, looking left and right across the
//! line, with a little nod, so that the view keeps moving as a real wearer's does.

use crate::scene::CameraScript;
use glam::{Quat, Vec3};
use spotter_protocol::{Intrinsics, Pose};
use std::f32::consts::TAU;

impl CameraScript {
    /// The camera pose `t` seconds into the script.
    pub fn pose_at(&self, t: f32) -> Pose {
        let base = Pose::looking_at(self.position, self.look_at);
        let phase = TAU * t / self.period_s;
        let yaw = self.sweep_deg.to_radians() * phase.sin();
        let pitch = 0.04 * (phase * 1.7).sin();
        let sway = Vec3::new(0.1 * (phase * 0.5).sin(), 0.02 * (phase * 2.0).sin(), 0.0);
        Pose::new(
            self.position + sway,
            (Quat::from_rotation_y(yaw) * base.rotation * Quat::from_rotation_x(pitch)).normalize(),
        )
    }

    pub fn intrinsics(&self, width: u32, height: u32) -> Intrinsics {
        Intrinsics::from_vertical_fov(self.fov_y_deg.to_radians(), width, height)
    }
}
