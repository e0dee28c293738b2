//! H.264 encoding of rendered frames with OpenH264.

use openh264::OpenH264API;
use openh264::Timestamp;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod,
    RateControlMode, UsageType, VuiConfig,
};
use openh264::formats::{RgbaSliceU8, YUVBuffer};

/// One encoded frame: Annex-B bytes, SPS and PPS included with every keyframe.
pub struct EncodedFrame {
    pub data: Vec<u8>,
    pub keyframe: bool,
}

pub struct VideoEncoder {
    encoder: Encoder,
    yuv: YUVBuffer,
    width: usize,
    height: usize,
}

impl VideoEncoder {
    /// `width` and `height` must be even.
    pub fn new(width: u32, height: u32, fps: f32, bitrate_bps: u32) -> anyhow::Result<Self> {
        let config = EncoderConfig::new()
            .bitrate(BitRate::from_bps(bitrate_bps))
            .max_frame_rate(FrameRate::from_hz(fps))
            .usage_type(UsageType::CameraVideoRealTime)
            .rate_control_mode(RateControlMode::Bitrate)
            // A periodic keyframe bounds how long a decoder that lost one waits.
            .intra_frame_period(IntraFramePeriod::from_num_frames((fps * 4.0) as u32))
            .skip_frames(false)
            .complexity(Complexity::Low)
            // Background detection leaves trails of moving edges in the sky when the whole
            // view pans, as a head-worn camera always does.
            .background_detection(false)
            .vui(VuiConfig::bt601());
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)?;
        let (width, height) = (width as usize, height as usize);
        Ok(Self {
            encoder,
            yuv: YUVBuffer::new(width, height),
            width,
            height,
        })
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
        Ok(())
    }

    /// Encodes tightly packed RGBA8 (sRGB) pixels; `keyframe` forces an IDR.
    pub fn encode(
        &mut self,
        rgba: &[u8],
        timestamp_ms: u64,
        keyframe: bool,
    ) -> anyhow::Result<EncodedFrame> {
        self.yuv
            .read_rgba8(RgbaSliceU8::new(rgba, (self.width, self.height)));
        if keyframe {
            self.encoder.force_intra_frame();
        }
        let stream = self
            .encoder
            .encode_at(&self.yuv, Timestamp::from_millis(timestamp_ms))?;
        Ok(EncodedFrame {
            keyframe: matches!(stream.frame_type(), FrameType::IDR),
            data: stream.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openh264::decoder::Decoder;
    use openh264::formats::YUVSource;

    #[test]
    fn encodes_a_decodable_stream_with_keyframes_on_demand() {
        let (w, h) = (64usize, 48usize);
        let rgba: Vec<u8> = (0..w * h)
            .flat_map(|i| [200, (i % 64) as u8 * 2, 40, 255])
            .collect();
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
}
