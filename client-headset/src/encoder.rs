//! H.264 encoding of rendered frames with OpenH264.

use openh264::OpenH264API;
use openh264::Timestamp;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, RateControlMode, UsageType,
    VuiConfig,
};
use openh264::formats::{RgbaSliceU8, YUVBuffer};

/// A keyframe at least this often, in capture time: it bounds how long a decoder that lost one
/// waits, and it is the step by which a recording seeks and its player buffers. Counted in time,
/// not frames, so that it holds at whatever rate the headset renders (OpenH264's own period is
/// a number of frames: 4 s at 30 frames/s was 17 s at the 7 frames/s seen under load).
pub const KEYFRAME_INTERVAL_MS: u64 = 4000;

/// One encoded frame: Annex-B bytes, SPS and PPS included with every keyframe.
pub struct EncodedFrame {
    pub data: Vec<u8>,
    pub keyframe: bool,
}

pub struct VideoEncoder {
    encoder: Encoder,
    yuv: YUVBuffer,
    /// The rendered frames' size.
    width: usize,
    height: usize,
    fps: f32,
    bitrate_bps: u32,
    /// Encoded size = rendered size / `scale`.
    scale: usize,
    /// The scaled-down frame, when `scale` > 1.
    scaled: Vec<u8>,
    /// The capture time of the last keyframe, ms; none before the first or after a restart.
    last_keyframe_ms: Option<u64>,
}

impl VideoEncoder {
    /// `width` and `height` must be even.
    pub fn new(width: u32, height: u32, fps: f32, bitrate_bps: u32) -> anyhow::Result<Self> {
        let (width, height) = (width as usize, height as usize);
        Ok(Self {
            encoder: open_encoder(fps, bitrate_bps)?,
            yuv: YUVBuffer::new(width, height),
            width,
            height,
            fps,
            bitrate_bps,
            scale: 1,
            scaled: Vec::new(),
            last_keyframe_ms: None,
        })
    }

    /// The encoded frames' size.
    pub fn encoded_size(&self) -> (u32, u32) {
        (
            (self.width / self.scale) as u32,
            (self.height / self.scale) as u32,
        )
    }

    /// Encodes the frames to come at the rendered size divided by `scale`, which must divide
    /// it into even numbers. A new size starts a new stream: its first frame is a keyframe.
    pub fn set_scale(&mut self, scale: u32) -> anyhow::Result<()> {
        let scale = scale.max(1) as usize;
        if scale == self.scale {
            return Ok(());
        }
        let (w, h) = (self.width / scale, self.height / scale);
        anyhow::ensure!(
            scales_exactly(self.width as u32, self.height as u32, scale as u32),
            "{}x{} cannot be scaled by 1/{scale} to an even size",
            self.width,
            self.height
        );
        self.encoder = open_encoder(self.fps, self.bitrate_bps)?;
        self.yuv = YUVBuffer::new(w, h);
        self.scaled = if scale > 1 {
            vec![0; w * h * 4]
        } else {
            Vec::new()
        };
        self.scale = scale;
        self.last_keyframe_ms = None;
        Ok(())
    }

    /// Changes the target bitrate of the frames to come (no keyframe, no restart).
    pub fn set_bitrate(&mut self, bps: u32) -> anyhow::Result<()> {
        let mut info = openh264_sys2::SBitrateInfo {
            iLayer: openh264_sys2::SPATIAL_LAYER_ALL,
            iBitrate: i32::try_from(bps).unwrap_or(i32::MAX),
        };
        // SAFETY: ENCODER_OPTION_BITRATE takes a pointer to an SBitrateInfo, which lives for
        // the call; the encoder is initialised.
        let result = unsafe {
            self.encoder.raw_api().set_option(
                openh264_sys2::ENCODER_OPTION_BITRATE,
                std::ptr::addr_of_mut!(info).cast(),
            )
        };
        anyhow::ensure!(result == 0, "OpenH264 refused bitrate {bps}: {result}");
        self.bitrate_bps = bps;
        Ok(())
    }

    /// Encodes tightly packed RGBA8 (sRGB) pixels; `keyframe` forces an IDR, as does
    /// [`KEYFRAME_INTERVAL_MS`] of capture time since the last one.
    pub fn encode(
        &mut self,
        rgba: &[u8],
        timestamp_ms: u64,
        keyframe: bool,
    ) -> anyhow::Result<EncodedFrame> {
        if self.scale == 1 {
            self.yuv
                .read_rgba8(RgbaSliceU8::new(rgba, (self.width, self.height)));
        } else {
            downscale_rgba(rgba, self.width, self.scale, &mut self.scaled);
            let size = self.encoded_size();
            self.yuv.read_rgba8(RgbaSliceU8::new(
                &self.scaled,
                (size.0 as usize, size.1 as usize),
            ));
        }
        let due = self
            .last_keyframe_ms
            .is_none_or(|last| timestamp_ms.saturating_sub(last) >= KEYFRAME_INTERVAL_MS);
        if keyframe || due {
            self.encoder.force_intra_frame();
        }
        let stream = self
            .encoder
            .encode_at(&self.yuv, Timestamp::from_millis(timestamp_ms))?;
        let encoded = EncodedFrame {
            keyframe: matches!(stream.frame_type(), FrameType::IDR),
            data: stream.to_vec(),
        };
        if encoded.keyframe {
            self.last_keyframe_ms = Some(timestamp_ms);
        }
        Ok(encoded)
    }
}

/// Whether `width`x`height` divided by `scale` is whole and even, as H.264 wants.
pub fn scales_exactly(width: u32, height: u32, scale: u32) -> bool {
    width.is_multiple_of(scale)
        && height.is_multiple_of(scale)
        && (width / scale).is_multiple_of(2)
        && (height / scale).is_multiple_of(2)
}

fn open_encoder(fps: f32, bitrate_bps: u32) -> anyhow::Result<Encoder> {
    let config = EncoderConfig::new()
        .bitrate(BitRate::from_bps(bitrate_bps))
        .max_frame_rate(FrameRate::from_hz(fps))
        .usage_type(UsageType::CameraVideoRealTime)
        .rate_control_mode(RateControlMode::Bitrate)
        // No periodic keyframe of OpenH264's own: `encode` forces one by capture time.
        .skip_frames(false)
        .complexity(Complexity::Low)
        // Background detection leaves trails of moving edges in the sky when the whole
        // view pans, as a head-worn camera always does.
        .background_detection(false)
        .vui(VuiConfig::bt601());
    Ok(Encoder::with_api_config(
        OpenH264API::from_source(),
        config,
    )?)
}

/// Averages each `scale`x`scale` block of `rgba` (rows of `width` pixels) into one pixel of
/// `out`, which holds the scaled frame.
fn downscale_rgba(rgba: &[u8], width: usize, scale: usize, out: &mut [u8]) {
    let out_width = width / scale;
    let area = (scale * scale) as u32;
    for (i, pixel) in out.chunks_exact_mut(4).enumerate() {
        let (x, y) = ((i % out_width) * scale, (i / out_width) * scale);
        let mut sum = [0u32; 4];
        for row in y..y + scale {
            let start = (row * width + x) * 4;
            for source in rgba[start..start + scale * 4].chunks_exact(4) {
                for c in 0..4 {
                    sum[c] += u32::from(source[c]);
                }
            }
        }
        for c in 0..4 {
            pixel[c] = (sum[c] / area) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openh264::decoder::Decoder;
    use openh264::formats::YUVSource;

    /// A `w`x`h` picture, mostly red (200) with a green ramp across each row.
    fn reddish(w: usize, h: usize) -> Vec<u8> {
        (0..w * h)
            .flat_map(|i| [200, (i % 64) as u8 * 2, 40, 255])
            .collect()
    }

    #[test]
    fn encodes_a_decodable_stream_with_keyframes_on_demand() {
        let (w, h) = (64usize, 48usize);
        let rgba = reddish(w, h);
        let mut encoder = VideoEncoder::new(w as u32, h as u32, 30.0, 500_000).unwrap();
        let first = encoder.encode(&rgba, 0, false).unwrap();
        assert!(first.keyframe, "the first frame is a keyframe");
        assert_eq!(&first.data[..5], &[0, 0, 0, 1, 0x67], "starts with an SPS");
        let second = encoder.encode(&rgba, 33, false).unwrap();
        assert!(!second.keyframe);
        let forced = encoder.encode(&rgba, 66, true).unwrap();
        assert!(forced.keyframe);

        let mut decoder = Decoder::new().unwrap();
        let picture = decoder.decode(&forced.data).unwrap().expect("a picture");
        assert_eq!(picture.dimensions(), (w, h));
        let mut back = vec![0u8; w * h * 4];
        picture.write_rgba8(&mut back);
        // Lossy, but the dominant red survives.
        let red: f32 = back.chunks(4).map(|p| p[0] as f32).sum::<f32>() / (w * h) as f32;
        assert!((red - 200.0).abs() < 15.0, "mean red {red}");
    }

    #[test]
    fn a_keyframe_comes_every_interval_of_capture_time_whatever_the_frame_rate() {
        let (w, h) = (64usize, 48usize);
        let rgba = reddish(w, h);
        // Configured for 30 frames/s, fed 2 a second (a frame count of 4 s would be 60 s).
        let mut encoder = VideoEncoder::new(w as u32, h as u32, 30.0, 300_000).unwrap();
        let keyframes: Vec<u64> = (0..20u64)
            .map(|i| i * 500)
            .filter(|&t| encoder.encode(&rgba, t, false).unwrap().keyframe)
            .collect();
        assert_eq!(
            keyframes,
            [0, KEYFRAME_INTERVAL_MS, 2 * KEYFRAME_INTERVAL_MS]
        );
        // A forced one restarts the count from there.
        assert!(encoder.encode(&rgba, 10_000, true).unwrap().keyframe);
        assert!(!encoder.encode(&rgba, 12_000, false).unwrap().keyframe);
        assert!(encoder.encode(&rgba, 14_000, false).unwrap().keyframe);
    }

    #[test]
    fn a_smaller_scale_starts_a_new_stream_at_that_size_and_keeps_the_picture() {
        let (w, h) = (128usize, 96usize);
        // The left half red, the right half blue.
        let rgba: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                if i % w < w / 2 {
                    [220, 20, 20, 255]
                } else {
                    [20, 20, 220, 255]
                }
            })
            .collect();
        let mut encoder = VideoEncoder::new(w as u32, h as u32, 30.0, 500_000).unwrap();
        encoder.encode(&rgba, 0, false).unwrap();
        encoder.encode(&rgba, 33, false).unwrap();
        encoder.set_scale(2).unwrap();
        assert_eq!(encoder.encoded_size(), (64, 48));
        let scaled = encoder.encode(&rgba, 66, false).unwrap();
        assert!(scaled.keyframe, "a new size begins with a keyframe");
        let mut decoder = Decoder::new().unwrap();
        let picture = decoder.decode(&scaled.data).unwrap().expect("a picture");
        assert_eq!(picture.dimensions(), (64, 48));
        let mut back = vec![0u8; 64 * 48 * 4];
        picture.write_rgba8(&mut back);
        let pixel = |x: usize, y: usize| &back[(y * 64 + x) * 4..(y * 64 + x) * 4 + 3];
        assert!(
            pixel(10, 24)[0] > 150 && pixel(10, 24)[2] < 80,
            "left stays red"
        );
        assert!(
            pixel(54, 24)[2] > 150 && pixel(54, 24)[0] < 80,
            "right stays blue"
        );
        assert!(encoder.set_scale(3).is_err(), "128x96 / 3 is not whole");
    }
}
