//! A real camera fixed to the headset, the `v4l2` frame source: its calibration
//! ([`calibration`]: intrinsics, lens distortion and its place on the head), its pictures in
//! the renderer's format ([`pixels`]) and straightened ([`undistort`]), where they come from
//! ([`feed`]: a test pattern, or with the `camera` feature a Video4Linux2 camera, [`v4l2`]).

pub mod calibration;
pub mod feed;
pub mod pixels;
pub mod undistort;
#[cfg(feature = "camera")]
pub mod v4l2;
