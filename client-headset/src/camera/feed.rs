//! Where the camera frame source's pictures come from — a Video4Linux2 camera, or a test
//! pattern that stands in for one where no camera exists (these build machines, CI) — and the
//! thread that takes them, so the renderer always finds the newest picture waiting.

use super::pixels::{Picture, PixelFormat, to_rgba};
use super::undistort::Undistort;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One picture, in RGBA.
#[derive(Default)]
pub struct CameraFrame {
    pub rgba: Vec<u8>,
    /// When it was captured, on CLOCK_MONOTONIC.
    pub monotonic_ns: i64,
    /// The feed's frame counter: a gap is a dropped picture.
    pub sequence: u32,
}

pub trait CameraFeed: Send {
    fn picture(&self) -> Picture;
    /// Waits for the next picture and converts it into `frame`.
    fn next_into(&mut self, frame: &mut CameraFrame) -> anyhow::Result<()>;
}

/// Takes pictures from `feed` on a thread of its own, straightened through `lens` where the
/// calibration has a distortion; the renderer gets the newest (a slow renderer skips pictures
/// rather than showing old ones). The thread ends with the feed's first error, logged, or when
/// the renderer is gone.
pub fn spawn(
    mut feed: Box<dyn CameraFeed>,
    lens: Option<Undistort>,
) -> anyhow::Result<mpsc::Receiver<CameraFrame>> {
    if let Some(lens) = &lens {
        let picture = feed.picture();
        let (width, height) = lens.size();
        // A picture of another size would put every mark in the wrong place.
        anyhow::ensure!(
            (picture.width, picture.height) == (width, height),
            "the camera gives {}x{} pictures and its calibration is for {width}x{height}",
            picture.width,
            picture.height
        );
    }
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("camera".into())
        .spawn(move || {
            let mut straight = Vec::new();
            loop {
                let mut frame = CameraFrame::default();
                if let Err(e) = feed.next_into(&mut frame) {
                    tracing::error!("the camera stopped: {e:#}");
                    return;
                }
                if let Some(lens) = &lens {
                    lens.apply(&frame.rgba, &mut straight);
                    std::mem::swap(&mut frame.rgba, &mut straight);
                }
                match tx.try_send(frame) {
                    Ok(()) | Err(mpsc::TrySendError::Full(_)) => {}
                    Err(mpsc::TrySendError::Disconnected(_)) => return,
                }
            }
        })?;
    Ok(rx)
}

/// A camera's colour bars, as YUYV (BT.601 limited-range codes), drifting left a bar a second
/// so consecutive pictures differ. It goes through the same conversion a camera's pictures do.
pub struct TestPattern {
    picture: Picture,
    period: Duration,
    started: Instant,
    next_at: Instant,
    sequence: u32,
    yuyv: Vec<u8>,
}

/// White, yellow, cyan, green, blue, grey, black: none near the marks' pink.
pub const BARS_YUV: [[u8; 3]; 7] = [
    [235, 128, 128],
    [210, 16, 146],
    [170, 166, 16],
    [145, 54, 34],
    [41, 240, 110],
    [126, 128, 128],
    [16, 128, 128],
];

impl TestPattern {
    pub fn new(width: u32, height: u32, fps: f32) -> Self {
        let now = Instant::now();
        Self {
            picture: Picture::packed(PixelFormat::Yuyv, width, height),
            period: Duration::from_secs_f32(1.0 / fps),
            started: now,
            next_at: now,
            sequence: 0,
            yuyv: Vec::new(),
        }
    }

    /// The bar at column `x`, `elapsed` into the pattern.
    fn bar(&self, x: u32, elapsed: Duration) -> [u8; 3] {
        let width = self.picture.width as f32;
        let bar_width = width / BARS_YUV.len() as f32;
        let shifted = (x as f32 + elapsed.as_secs_f32() * bar_width).rem_euclid(width);
        BARS_YUV[((shifted / bar_width) as usize).min(BARS_YUV.len() - 1)]
    }
}

impl CameraFeed for TestPattern {
    fn picture(&self) -> Picture {
        self.picture
    }

    fn next_into(&mut self, frame: &mut CameraFrame) -> anyhow::Result<()> {
        let now = Instant::now();
        if self.next_at > now {
            std::thread::sleep(self.next_at - now);
        }
        self.next_at = self.next_at.max(now) + self.period;
        frame.monotonic_ns = crate::clock::monotonic_ns();
        let elapsed = self.started.elapsed();
        let (width, height) = (self.picture.width, self.picture.height);
        let mut row = Vec::with_capacity(width as usize * 2);
        for x in (0..width).step_by(2) {
            let [y, u, v] = self.bar(x, elapsed);
            row.extend_from_slice(&[y, u, y, v]);
        }
        self.yuyv.clear();
        for _ in 0..height {
            self.yuyv.extend_from_slice(&row);
        }
        to_rgba(self.picture, &self.yuyv, &mut frame.rgba)?;
        frame.sequence = self.sequence;
        self.sequence += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_pattern_is_colour_bars_that_drift_and_are_stamped_in_order() {
        let mut pattern = TestPattern::new(70, 4, 50.0);
        let mut first = CameraFrame::default();
        pattern.next_into(&mut first).unwrap();
        assert_eq!(first.rgba.len(), 70 * 4 * 4);
        // The first bar is white, the second yellow.
        assert!(
            first.rgba[..3].iter().all(|&c| c > 250),
            "{:?}",
            &first.rgba[..4]
        );
        let yellow = &first.rgba[15 * 4..15 * 4 + 3];
        assert!(
            yellow[0] > 240 && yellow[1] > 240 && yellow[2] < 15,
            "{yellow:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
        let mut later = CameraFrame::default();
        pattern.next_into(&mut later).unwrap();
        assert_ne!(first.rgba, later.rgba, "the bars drift");
        assert_eq!(later.sequence, first.sequence + 1);
        assert!(later.monotonic_ns > first.monotonic_ns);
    }

    #[test]
    fn the_camera_thread_hands_over_pictures_until_the_feed_fails() {
        struct Failing(u32);
        impl CameraFeed for Failing {
            fn picture(&self) -> Picture {
                Picture::packed(PixelFormat::Yuyv, 2, 2)
            }
            fn next_into(&mut self, frame: &mut CameraFrame) -> anyhow::Result<()> {
                self.0 += 1;
                anyhow::ensure!(self.0 < 3, "unplugged");
                frame.sequence = self.0;
                Ok(())
            }
        }
        let pictures = spawn(Box::new(Failing(0)), None).unwrap();
        let got: Vec<u32> = pictures.iter().map(|f| f.sequence).collect();
        // At most one picture waits; the thread's end closes the channel.
        assert!(!got.is_empty() && got.iter().all(|&s| s < 3), "{got:?}");
    }
}
