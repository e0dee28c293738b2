//! A camera lens's distortion taken out of its pictures, so that everything after them — the
//! marks drawn over the picture, the frame's intrinsics the expert's page projects with, the
//! resolver — can count on a pinhole camera. The calibration's Brown–Conrady coefficients
//! (OpenCV's k1, k2, p1, p2, k3) say where each straight-through ray lands on the sensor; a map
//! made once from them says, for each pixel of the straightened picture, which four pixels of
//! the camera's to blend. Applied on the camera thread, a lookup and a blend per pixel.

use super::calibration::Distortion;
use spotter_protocol::Intrinsics;

/// Where the straight ray through normalised image point (`x`, `y`) lands through the lens
/// (normalised too: pixels are `fx * x + cx`, `fy * y + cy`).
pub fn distort(d: &Distortion, x: f32, y: f32) -> (f32, f32) {
    let r2 = x * x + y * y;
    let radial = 1.0 + r2 * (d.k1 + r2 * (d.k2 + r2 * d.k3));
    (
        x * radial + 2.0 * d.p1 * x * y + d.p2 * (r2 + 2.0 * x * x),
        y * radial + d.p1 * (r2 + 2.0 * y * y) + 2.0 * d.p2 * x * y,
    )
}

/// One pixel of the straightened picture: the camera pixel at its top-left and the blend
/// toward the next column and row (in 256ths); `None` where the ray falls off the sensor.
#[derive(Clone, Copy)]
struct Tap {
    index: u32,
    wx: u16,
    wy: u16,
}

pub struct Undistort {
    width: u32,
    height: u32,
    taps: Vec<Option<Tap>>,
}

impl Undistort {
    /// The map for a camera with `k` and `d`; `None` when the lens has no distortion (the
    /// pictures are used as they come).
    pub fn new(k: Intrinsics, d: Distortion) -> Option<Self> {
        if d == Distortion::default() {
            return None;
        }
        let (w, h) = (k.width, k.height);
        let mut taps = Vec::with_capacity(w as usize * h as usize);
        // A camera pixel's centre is at +0.5: the sensor spans -0.5 to w - 0.5 in centres.
        let inside = |s: f32, size: u32| (-0.5..=size as f32 - 0.5).contains(&s);
        // The pixel left of (above) `s` and the blend toward the next, in 256ths; at the last
        // pixel, the one before it with a full blend, so the next is always on the sensor.
        let tap = |s: f32, size: u32| {
            let s = s.clamp(0.0, (size - 1) as f32);
            let before = (s as u32).min(size - 2);
            (before, ((s - before as f32) * 256.0).round() as u16)
        };
        for v in 0..h {
            for u in 0..w {
                let x = (u as f32 + 0.5 - k.cx) / k.fx;
                let y = (v as f32 + 0.5 - k.cy) / k.fy;
                let (xd, yd) = distort(&d, x, y);
                let sx = k.fx * xd + k.cx - 0.5;
                let sy = k.fy * yd + k.cy - 0.5;
                taps.push((inside(sx, w) && inside(sy, h)).then(|| {
                    let ((x0, wx), (y0, wy)) = (tap(sx, w), tap(sy, h));
                    Tap {
                        index: y0 * w + x0,
                        wx,
                        wy,
                    }
                }));
            }
        }
        Some(Self {
            width: w,
            height: h,
            taps,
        })
    }

    /// The pictures' size it was made for: the calibration's.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The straightened picture of `camera` (RGBA, of `size()`: the feed is checked once, see
    /// `feed::spawn`) into `straight`, every pixel written; black where the lens saw nothing.
    pub fn apply(&self, camera: &[u8], straight: &mut Vec<u8>) {
        let w = self.width as usize;
        debug_assert_eq!(
            camera.len(),
            self.taps.len() * 4,
            "a picture of another size"
        );
        straight.resize(self.taps.len() * 4, 0);
        for (out, tap) in straight.chunks_exact_mut(4).zip(&self.taps) {
            let Some(Tap { index, wx, wy }) = *tap else {
                out.copy_from_slice(&[0, 0, 0, 255]);
                continue;
            };
            let i = index as usize * 4;
            let (wx, wy) = (wx as u32, wy as u32);
            for c in 0..4 {
                let at = |offset: usize| camera[i + offset + c] as u32;
                let top = at(0) * (256 - wx) + at(4) * wx;
                let bottom = at(w * 4) * (256 - wx) + at(w * 4 + 4) * wx;
                out[c] = ((top * (256 - wy) + bottom * wy + (1 << 15)) >> 16) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = 320;
    const H: u32 = 240;

    fn lens() -> Intrinsics {
        Intrinsics {
            fx: 260.0,
            fy: 260.0,
            cx: 161.0,
            cy: 119.0,
            width: W,
            height: H,
        }
    }

    /// Strong barrel distortion with a little tangential: a wide-angle webcam's.
    const BARREL: Distortion = Distortion {
        k1: -0.28,
        k2: 0.09,
        p1: 0.001,
        p2: -0.0015,
        k3: 0.0,
    };

    /// The ideal image point that `distort` sends to the distorted point (`xd`, `yd`): found
    /// by fixed-point iteration, as OpenCV's undistortPoints does (for the test's picture only).
    fn undistort_point(d: &Distortion, xd: f32, yd: f32) -> (f32, f32) {
        let (mut x, mut y) = (xd, yd);
        for _ in 0..50 {
            let (dx, dy) = distort(d, x, y);
            x += xd - dx;
            y += yd - dy;
        }
        (x, y)
    }

    /// What the camera sees of black upright lines 5 pixels wide, every 40 pixels of a
    /// pinhole picture, on white: each camera pixel shows the point its ray came from.
    fn camera_picture_of_grid(k: Intrinsics, d: &Distortion) -> Vec<u8> {
        let mut rgba = Vec::new();
        for v in 0..k.height {
            for u in 0..k.width {
                let xd = (u as f32 + 0.5 - k.cx) / k.fx;
                let yd = (v as f32 + 0.5 - k.cy) / k.fy;
                let (x, _) = undistort_point(d, xd, yd);
                let iu = k.fx * x + k.cx;
                let c = if (iu - 40.0 * (iu / 40.0).round()).abs() < 2.5 {
                    0
                } else {
                    255
                };
                rgba.extend_from_slice(&[c, c, c, 255]);
            }
        }
        rgba
    }

    /// How dark column `u` is down the picture's middle three-quarters (0 white, 1 black).
    fn column_darkness(rgba: &[u8], u: u32) -> f32 {
        let rows = H / 8..H * 7 / 8;
        let n = rows.len() as f32;
        rows.map(|v| 1.0 - rgba[((v * W + u) * 4) as usize] as f32 / 255.0)
            .sum::<f32>()
            / n
    }

    #[test]
    fn a_grid_seen_through_a_barrel_lens_comes_out_straight() {
        let k = lens();
        let camera = camera_picture_of_grid(k, &BARREL);
        let undistort = Undistort::new(k, BARREL).unwrap();
        let mut straight = Vec::new();
        undistort.apply(&camera, &mut straight);
        assert_eq!(straight.len(), camera.len());
        // The lines away from the centre: straight after, bent before.
        for u in [40, 80, 240, 280] {
            let after = column_darkness(&straight, u);
            let before = column_darkness(&camera, u);
            // Dark all the way down the column after; before, the bent line crosses it or
            // runs beside it for part of the way only.
            assert!(after > 0.95, "line at column {u}: {after:.2} dark after");
            assert!(before < 0.6, "the lens bent it: {before:.2} dark before");
        }
        // Between lines the straightened picture is white.
        assert!(column_darkness(&straight, 60) < 0.05);
    }

    #[test]
    fn no_distortion_means_no_map_and_a_feed_of_another_size_is_refused() {
        assert!(Undistort::new(lens(), Distortion::default()).is_none());
        let undistort = Undistort::new(lens(), BARREL);
        let small = Box::new(crate::camera::feed::TestPattern::new(16, 16, 30.0));
        let refused = crate::camera::feed::spawn(small, undistort)
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("16x16") && refused.contains("320x240"),
            "{refused}"
        );
    }

    #[test]
    fn the_coefficients_mean_what_they_mean_to_opencv() {
        // OpenCV's model worked out by hand for this point (k3 and both tangential terms, p1
        // and p2 different, so a swap or a sign shows).
        let d = Distortion {
            k1: -0.28,
            k2: 0.09,
            p1: 0.001,
            p2: -0.0015,
            k3: 0.01,
        };
        let (x, y) = distort(&d, 0.3, -0.2);
        assert!((x - 0.288_958).abs() < 1e-6, "{x}");
        assert!((y + 0.192_638_6).abs() < 1e-6, "{y}");
    }

    #[test]
    fn a_nearly_perfect_lens_keeps_every_edge_pixel() {
        let slight = Distortion {
            p1: 1e-5,
            ..Distortion::default()
        };
        let undistort = Undistort::new(lens(), slight).unwrap();
        let grey = [128u8, 128, 128, 255].repeat((W * H) as usize);
        let mut straight = Vec::new();
        undistort.apply(&grey, &mut straight);
        let black = straight.chunks(4).filter(|p| p[0] < 100).count();
        assert_eq!(
            black, 0,
            "no black edge where the lens saw the picture's own"
        );
    }

    #[test]
    fn the_centre_is_unmoved_and_barrel_pulls_the_edges_in() {
        let (x, y) = distort(&BARREL, 0.0, 0.0);
        assert!(x.abs() < 1e-6 && y.abs() < 1e-6, "{x} {y}");
        let (xd, _) = distort(&BARREL, 0.6, 0.0);
        assert!(xd < 0.6 && xd > 0.5, "{xd}");
    }
}
