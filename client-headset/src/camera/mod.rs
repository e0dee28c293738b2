//! A real camera fixed to the headset, the `v4l2` frame source: its calibration
//! ([`calibration`]: intrinsics and its place on the head), its pictures in the renderer's
//! format ([`pixels`]) and, with the `camera` feature, capture through Video4Linux2 ([`v4l2`]).

pub mod calibration;
pub mod pixels;
#[cfg(feature = "camera")]
pub mod v4l2;
