//! A projection that renders exactly what a calibrated camera sees: its focal lengths and
//! principal point in pixels, so marks drawn over its picture land on the pixels the expert's
//! overlay projects them to (a symmetric perspective would shift them by the principal point's
//! offset from the centre). Reverse-Z with an infinite far plane, as Bevy's perspective.

use bevy::camera::{CameraProjection, SubCameraView};
use bevy::math::{Mat4, Vec3A, Vec4};
use spotter_protocol::Intrinsics;

#[derive(Debug, Clone, Copy)]
pub struct IntrinsicsProjection {
    pub intrinsics: Intrinsics,
    pub near: f32,
}

/// Farthest distance frustum culling considers (metres): beyond any mark.
const FAR: f32 = 1000.0;

impl IntrinsicsProjection {
    pub fn new(intrinsics: Intrinsics) -> Self {
        Self {
            intrinsics,
            near: 0.05,
        }
    }

    /// The view-space point at `distance` ahead seen at pixel (u, v).
    fn at_pixel(&self, u: f32, v: f32, distance: f32) -> Vec3A {
        let k = &self.intrinsics;
        Vec3A::new(
            (u - k.cx) / k.fx * distance,
            -(v - k.cy) / k.fy * distance,
            -distance,
        )
    }
}

impl CameraProjection for IntrinsicsProjection {
    fn get_clip_from_view(&self) -> Mat4 {
        let k = &self.intrinsics;
        let (w, h) = (k.width as f32, k.height as f32);
        // x_ndc = (2u / w - 1) with u = cx + fx·x/(−z); y_ndc = (1 − 2v / h), v = cy − fy·y/(−z).
        Mat4::from_cols(
            Vec4::new(2.0 * k.fx / w, 0.0, 0.0, 0.0),
            Vec4::new(0.0, 2.0 * k.fy / h, 0.0, 0.0),
            Vec4::new(1.0 - 2.0 * k.cx / w, 2.0 * k.cy / h - 1.0, 0.0, -1.0),
            Vec4::new(0.0, 0.0, self.near, 0.0),
        )
    }

    fn get_clip_from_view_for_sub(&self, _sub_view: &SubCameraView) -> Mat4 {
        self.get_clip_from_view()
    }

    /// The calibration fixes the picture's size; the target is made to match it.
    fn update(&mut self, _width: f32, _height: f32) {}

    fn far(&self) -> f32 {
        FAR
    }

    fn get_frustum_corners(&self, z_near: f32, z_far: f32) -> [Vec3A; 8] {
        let (w, h) = (self.intrinsics.width as f32, self.intrinsics.height as f32);
        let (near, far) = (z_near.abs(), z_far.abs());
        [
            self.at_pixel(w, h, near),
            self.at_pixel(w, 0.0, near),
            self.at_pixel(0.0, 0.0, near),
            self.at_pixel(0.0, h, near),
            self.at_pixel(w, h, far),
            self.at_pixel(w, 0.0, far),
            self.at_pixel(0.0, 0.0, far),
            self.at_pixel(0.0, h, far),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::math::Vec3;
    use spotter_protocol::Pose;

    #[test]
    fn a_point_lands_on_the_pixel_the_intrinsics_project_it_to() {
        // An off-centre principal point and unequal focal lengths, as real calibrations have.
        let k = Intrinsics {
            fx: 900.0,
            fy: 880.0,
            cx: 610.0,
            cy: 380.0,
            width: 1280,
            height: 720,
        };
        let clip_from_view = IntrinsicsProjection::new(k).get_clip_from_view();
        for view in [
            Vec3::new(0.3, -0.2, -2.0),
            Vec3::new(-1.0, 0.5, -4.0),
            Vec3::new(0.0, 0.0, -0.5),
        ] {
            let clip = clip_from_view * view.extend(1.0);
            let ndc = clip.truncate() / clip.w;
            let pixel = bevy::math::Vec2::new(
                (ndc.x + 1.0) / 2.0 * k.width as f32,
                (1.0 - ndc.y) / 2.0 * k.height as f32,
            );
            let want = k.project(&Pose::IDENTITY, view).unwrap();
            assert!((pixel - want).length() < 1e-3, "{pixel} vs {want}");
            // Reverse Z: nearer is larger, inside 0..1.
            assert!(ndc.z > 0.0 && ndc.z <= 1.0);
        }
    }
}
