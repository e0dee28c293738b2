//! A headset camera's calibration file (TOML): its picture's size, pinhole intrinsics and lens
//! distortion, and where it sits on the head. Written once per camera and mount; every mistake in it would put
//! every mark in the wrong place, so it is checked hard and each error names the field.
//!
//! ```toml
//! [image]
//! width = 1280
//! height = 720
//!
//! # Pixels of that picture: OpenCV's fx, fy, cx, cy as OpenCV gives them (its pixel centres
//! # are whole numbers; Spotter's picture spans 0 to width, so cx and cy gain half a pixel).
//! [intrinsics]
//! fx = 912.4
//! fy = 911.8
//! cx = 641.2
//! cy = 358.9
//!
//! # Optional: the lens's distortion (OpenCV's k1, k2, p1, p2, k3; each 0 when left out).
//! # The pictures are straightened with it before anything is drawn over them.
//! [distortion]
//! k1 = -0.21
//! k2 = 0.05
//! p1 = 0.0004
//! p2 = -0.0002
//!
//! # The camera in the head's frame (OpenXR's VIEW space: x right, y up, -z ahead), metres,
//! # and its turn from looking straight ahead: yaw (left +), pitch (up +), roll, degrees.
//! [head_from_camera]
//! position = [0.0, 0.035, -0.09]
//! yaw_pitch_roll_deg = [0.0, -10.0, 0.0]
//! ```

use glam::{EulerRot, Quat, Vec3};
use serde::Deserialize;
use spotter_protocol::{Intrinsics, Pose};
use std::path::{Path, PathBuf};

/// A camera on a headset is within this distance of the point between the eyes (metres).
pub const MAX_OFFSET_FROM_HEAD_M: f32 = 0.3;
/// H.264's largest picture side (level 6.2: 8192 × 4320).
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// Beyond this, a coefficient is not a lens but a typo (OpenCV's fits of wide-angle webcams
/// stay well within ±2).
pub const MAX_DISTORTION: f32 = 10.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub intrinsics: Intrinsics,
    pub distortion: Distortion,
    pub head_from_camera: Pose,
}

/// Brown–Conrady lens distortion, OpenCV's order and meaning: radial k1, k2, k3, tangential
/// p1, p2, on normalised image coordinates (see `undistort`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Distortion {
    pub k1: f32,
    pub k2: f32,
    pub p1: f32,
    pub p2: f32,
    pub k3: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    #[error("cannot read the camera calibration {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the camera calibration {origin} is not valid TOML of the expected shape: {message}")]
    Syntax { origin: String, message: String },
    #[error("the camera calibration {origin}: {field} {problem}")]
    Invalid {
        origin: String,
        field: &'static str,
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    image: Image,
    intrinsics: Pinhole,
    #[serde(default)]
    distortion: Distortion,
    head_from_camera: Mount,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Image {
    width: u32,
    height: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pinhole {
    fx: f32,
    fy: f32,
    cx: f32,
    cy: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mount {
    position: [f32; 3],
    #[serde(default)]
    yaw_pitch_roll_deg: [f32; 3],
}

impl Calibration {
    pub fn load(path: &Path) -> Result<Self, CalibrationError> {
        let text = std::fs::read_to_string(path).map_err(|source| CalibrationError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses the file's `text`; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, CalibrationError> {
        let file: File = toml::from_str(text).map_err(|e| CalibrationError::Syntax {
            origin: origin.into(),
            message: e.to_string().trim_end().into(),
        })?;
        let invalid = |field, problem: String| CalibrationError::Invalid {
            origin: origin.into(),
            field,
            problem,
        };
        let Image { width, height } = file.image;
        for (field, size) in [("image.width", width), ("image.height", height)] {
            if size == 0 || size % 2 != 0 || size > MAX_IMAGE_SIDE {
                return Err(invalid(
                    field,
                    format!(
                        "must be a positive even number of pixels for H.264, at most \
                         {MAX_IMAGE_SIDE} (got {size})"
                    ),
                ));
            }
        }
        let Pinhole { fx, fy, cx, cy } = file.intrinsics;
        for (field, focal) in [("intrinsics.fx", fx), ("intrinsics.fy", fy)] {
            if !(focal.is_finite() && focal > 0.0) {
                return Err(invalid(
                    field,
                    format!("must be a positive focal length in pixels (got {focal})"),
                ));
            }
        }
        for (field, centre, size) in [("intrinsics.cx", cx, width), ("intrinsics.cy", cy, height)] {
            if !(centre.is_finite() && (0.0..=size as f32).contains(&centre)) {
                return Err(invalid(
                    field,
                    format!("= {centre} lies outside the picture (0 to {size} pixels)"),
                ));
            }
        }
        let d = file.distortion;
        for (field, value) in [
            ("distortion.k1", d.k1),
            ("distortion.k2", d.k2),
            ("distortion.p1", d.p1),
            ("distortion.p2", d.p2),
            ("distortion.k3", d.k3),
        ] {
            if !(value.is_finite() && value.abs() <= MAX_DISTORTION) {
                return Err(invalid(
                    field,
                    format!(
                        "= {value} is not a lens's coefficient (within ±{MAX_DISTORTION}, \
                         OpenCV's order k1, k2, p1, p2, k3)"
                    ),
                ));
            }
        }
        let position = Vec3::from_array(file.head_from_camera.position);
        if !position.is_finite() || position.length() > MAX_OFFSET_FROM_HEAD_M {
            return Err(invalid(
                "head_from_camera.position",
                format!(
                    "is {:.2} m from the head; a camera on a headset is within \
                     {MAX_OFFSET_FROM_HEAD_M} m (metres, not millimetres)",
                    position.length()
                ),
            ));
        }
        let [yaw, pitch, roll] = file.head_from_camera.yaw_pitch_roll_deg;
        if ![yaw, pitch, roll]
            .iter()
            .all(|a| a.is_finite() && a.abs() <= 180.0)
        {
            return Err(invalid(
                "head_from_camera.yaw_pitch_roll_deg",
                format!("must be three angles within ±180° (got [{yaw}, {pitch}, {roll}])"),
            ));
        }
        Ok(Self {
            // OpenCV's pixel centres are whole numbers, Spotter's at +0.5.
            intrinsics: Intrinsics {
                fx,
                fy,
                cx: cx + 0.5,
                cy: cy + 0.5,
                width,
                height,
            },
            distortion: d,
            head_from_camera: Pose::new(
                position,
                Quat::from_euler(
                    EulerRot::YXZ,
                    yaw.to_radians(),
                    pitch.to_radians(),
                    roll.to_radians(),
                ),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[image]
width = 1280
height = 720

[intrinsics]
fx = 912.4
fy = 911.8
cx = 641.2
cy = 358.9

[head_from_camera]
position = [0.0, 0.035, -0.09]
yaw_pitch_roll_deg = [0.0, -10.0, 0.0]
"#;

    fn error(text: &str) -> String {
        Calibration::parse(text, "cam.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_calibration_gives_the_pictures_intrinsics_and_the_cameras_place_on_the_head() {
        let c = Calibration::parse(GOOD, "cam.toml").unwrap();
        assert_eq!(
            c.intrinsics,
            Intrinsics {
                fx: 912.4,
                fy: 911.8,
                cx: 641.7,
                cy: 359.4,
                width: 1280,
                height: 720
            },
            "OpenCV's principal point, in Spotter's pixel convention"
        );
        assert_eq!(c.head_from_camera.position, Vec3::new(0.0, 0.035, -0.09));
        // Pitched down 10°: it looks ahead and a little down.
        let ahead = c.head_from_camera.rotation * Vec3::NEG_Z;
        assert!(
            (ahead.y - (-10f32).to_radians().sin()).abs() < 1e-5,
            "{ahead}"
        );
        assert!(ahead.x.abs() < 1e-5);
    }

    #[test]
    fn a_lens_distortion_is_read_and_a_lens_without_one_is_a_pinhole() {
        assert_eq!(
            Calibration::parse(GOOD, "cam.toml").unwrap().distortion,
            Distortion::default()
        );
        let text = format!("{GOOD}\n[distortion]\nk1 = -0.21\nk2 = 0.05\np2 = -0.0002\n");
        let d = Calibration::parse(&text, "cam.toml").unwrap().distortion;
        assert_eq!(
            d,
            Distortion {
                k1: -0.21,
                k2: 0.05,
                p1: 0.0,
                p2: -0.0002,
                k3: 0.0
            }
        );
        let typo = error(&format!("{GOOD}\n[distortion]\nk4 = 0.1\n"));
        assert!(typo.contains("unknown field `k4`"), "{typo}");
    }

    #[test]
    fn the_turn_may_be_left_out_for_a_camera_looking_straight_ahead() {
        let text = GOOD.replace("yaw_pitch_roll_deg = [0.0, -10.0, 0.0]\n", "");
        let c = Calibration::parse(&text, "cam.toml").unwrap();
        assert_eq!(c.head_from_camera.rotation, Quat::IDENTITY);
    }

    #[test]
    fn each_mistake_is_named_with_its_field() {
        let cases = [
            (
                GOOD.replace("width = 1280", "width = 1279"),
                "image.width must be a positive even",
            ),
            (
                GOOD.replace("width = 1280", "width = 4000000000"),
                "at most 8192 (got 4000000000)",
            ),
            (
                GOOD.replace("fx = 912.4", "fx = -912.4"),
                "intrinsics.fx must be a positive focal",
            ),
            (
                GOOD.replace("cy = 358.9", "cy = 900.0"),
                "intrinsics.cy = 900 lies outside",
            ),
            (
                GOOD.replace("[0.0, 0.035, -0.09]", "[0.0, 35.0, -90.0]"),
                "is 96.57 m from the head",
            ),
            (
                GOOD.replace("[0.0, -10.0, 0.0]", "[0.0, -370.0, 0.0]"),
                "yaw_pitch_roll_deg must be three angles",
            ),
            (
                format!("{GOOD}\n[distortion]\nk1 = 250.0\n"),
                "distortion.k1 = 250 is not a lens's coefficient",
            ),
            (
                format!("{GOOD}\n[distortion]\np1 = nan\n"),
                "distortion.p1 = NaN is not",
            ),
        ];
        for (text, expected) in cases {
            let message = error(&text);
            assert!(message.contains(expected), "{message}");
            assert!(
                message.starts_with("the camera calibration cam.toml"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_missing_section_a_typo_and_broken_toml_are_refused_with_the_line() {
        let missing = error(&GOOD.replace(
            "[intrinsics]\nfx = 912.4\nfy = 911.8\ncx = 641.2\ncy = 358.9\n",
            "",
        ));
        assert!(missing.contains("missing field `intrinsics`"), "{missing}");
        let typo = error(&GOOD.replace("fy = 911.8", "fyy = 911.8"));
        assert!(typo.contains("unknown field `fyy`"), "{typo}");
        let broken = error(&GOOD.replace("height = 720", "height = "));
        assert!(broken.contains("line 4"), "{broken}");
    }

    #[test]
    fn an_unreadable_file_names_its_path() {
        let e = Calibration::load(Path::new("/nonexistent/cam.toml")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/cam.toml"), "{e}");
    }
}
