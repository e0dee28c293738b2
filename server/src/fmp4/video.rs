//! The video track writer: H.264 access units as relayed (Annex B, with their 32-bit RTP
//! timestamps) into an init segment and media fragments.
//!
//! - Media time is the RTP timestamp's distance from the first keyframe's, unwrapped, at
//!   90 kHz: [`rtp_timestamp_at`](super::rtp_timestamp_at) maps it back exactly.
//! - The first sample is a keyframe; what comes before is dropped and counted.
//! - A sample lasts until the next one's decode time, so a lost frame stretches the one
//!   before it and the timeline has no holes (MSE stalls at holes). The last sample is held
//!   until the next arrives, or given the previous duration at [`VideoTrackWriter::finish`].
//! - A fragment is cut at a sample boundary once 1 s is buffered, or earlier, from 0.5 s,
//!   when a keyframe arrives, so keyframes usually begin fragments. With a 4 s keyframe
//!   interval most fragments still begin with a non-keyframe: [`Fragment`] says which do.
//! - The sample entry is `avc3`: SPS and PPS stay in the keyframes' samples, so one init
//!   segment serves every picture size the encoder switches to.

use super::fragment::{Fragment, FragmentBuilder};
use super::h264::{self, H264Error, NAL_PPS, NAL_SPS};
use super::init::{TrackKind, TrackSpec, init_segment};
use super::{VIDEO_TIMESCALE, rtp_timestamp_at};
use mp4_atom::{Avc3, Visual};

const TRACK_ID: u32 = 1;
/// Cut a fragment once this much is buffered...
const FRAGMENT_TICKS: u64 = VIDEO_TIMESCALE as u64;
/// ...or, when a keyframe arrives, once this much is.
const FRAGMENT_TICKS_BEFORE_KEYFRAME: u64 = FRAGMENT_TICKS / 2;
/// The last sample's duration when no earlier one tells: one frame at 30 fps.
const NOMINAL_SAMPLE_TICKS: u32 = VIDEO_TIMESCALE / 30;

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("the access unit is not valid H.264: {0}")]
    H264(#[from] H264Error),
    #[error("RTP timestamp {got} does not follow {previous}; the access unit is dropped")]
    TimestampNotIncreasing { previous: u32, got: u32 },
    #[error("the first keyframe carries no SPS and PPS; it is dropped")]
    KeyframeWithoutParameterSets,
    #[error("a picture of {width}x{height} is larger than MP4 can describe")]
    PictureTooLarge { width: u32, height: u32 },
    #[error("an access unit of {0} bytes is too large for one sample")]
    SampleTooLarge(usize),
    #[error("encoding a box failed: {0}")]
    Encode(#[from] mp4_atom::Error),
}

/// What a push gives the recorder to append to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoOutput {
    /// The init segment, once, when the first keyframe arrives: the file's first bytes.
    Init(Vec<u8>),
    Fragment(Fragment),
}

struct PendingSample {
    decode_time: u64,
    keyframe: bool,
    data: Vec<u8>,
}

/// The timeline once the first keyframe fixed its origin.
struct Timeline {
    first_rtp: u32,
    last_rtp: u32,
    last_decode_time: u64,
}

impl Timeline {
    /// The decode time of `rtp`, which must come after the last one (wrap included: a step
    /// of less than 2^31 forward).
    fn decode_time(&self, rtp: u32) -> Option<u64> {
        let step = rtp.wrapping_sub(self.last_rtp) as i32;
        (step > 0).then(|| self.last_decode_time + step as u64)
    }
}

/// Writes one H.264 track as fragmented MP4. Every error leaves the writer usable: the access
/// unit that caused it is not recorded.
#[derive(Default)]
pub struct VideoTrackWriter {
    timeline: Option<Timeline>,
    fragments: Option<FragmentBuilder>,
    pending: Option<PendingSample>,
    last_duration: Option<u32>,
    dropped_before_keyframe: u64,
    dimensions: Option<(u32, u32)>,
}

impl VideoTrackWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one access unit (Annex B, as relayed) with its RTP timestamp (90 kHz) and
    /// whether it is a keyframe. Gives the init segment at the first keyframe, and a
    /// fragment whenever one is cut.
    pub fn push(
        &mut self,
        access_unit: &[u8],
        rtp_timestamp: u32,
        keyframe: bool,
    ) -> Result<Option<VideoOutput>, VideoError> {
        let Some(timeline) = &self.timeline else {
            return self.start(access_unit, rtp_timestamp, keyframe);
        };
        let decode_time =
            timeline
                .decode_time(rtp_timestamp)
                .ok_or(VideoError::TimestampNotIncreasing {
                    previous: timeline.last_rtp,
                    got: rtp_timestamp,
                })?;
        let data = sample_bytes(access_unit)?;
        if keyframe {
            self.note_dimensions(access_unit);
        }
        self.timeline = self.timeline.take().map(|t| Timeline {
            last_rtp: rtp_timestamp,
            last_decode_time: decode_time,
            ..t
        });
        let next = PendingSample {
            decode_time,
            keyframe,
            data,
        };
        let (Some(fragments), Some(previous)) = (&mut self.fragments, self.pending.take()) else {
            self.pending = Some(next);
            return Ok(None);
        };
        // Below 2^31 ticks: the timeline's steps are.
        let duration = (decode_time - previous.decode_time) as u32;
        fragments.push(duration, previous.keyframe, &previous.data);
        self.last_duration = Some(duration);
        self.pending = Some(next);
        let buffered = fragments.buffered();
        let cut =
            buffered >= FRAGMENT_TICKS || (keyframe && buffered >= FRAGMENT_TICKS_BEFORE_KEYFRAME);
        if !cut {
            return Ok(None);
        }
        Ok(fragments.take()?.map(VideoOutput::Fragment))
    }

    /// The first keyframe: it fixes the timeline's origin and the init segment.
    fn start(
        &mut self,
        access_unit: &[u8],
        rtp_timestamp: u32,
        keyframe: bool,
    ) -> Result<Option<VideoOutput>, VideoError> {
        if !keyframe {
            self.dropped_before_keyframe += 1;
            return Ok(None);
        }
        let result = self.start_with_keyframe(access_unit, rtp_timestamp);
        if result.is_err() {
            self.dropped_before_keyframe += 1;
        }
        result.map(Some)
    }

    fn start_with_keyframe(
        &mut self,
        access_unit: &[u8],
        rtp_timestamp: u32,
    ) -> Result<VideoOutput, VideoError> {
        let units = h264::annex_b_nal_units(access_unit)?;
        let find = |kind| units.iter().find(|u| h264::nal_type(u) == kind);
        let (Some(sps), Some(pps)) = (find(NAL_SPS), find(NAL_PPS)) else {
            return Err(VideoError::KeyframeWithoutParameterSets);
        };
        let (width, height) = h264::sps_dimensions(sps)?;
        let too_large = || VideoError::PictureTooLarge { width, height };
        let spec = TrackSpec {
            track_id: TRACK_ID,
            kind: TrackKind::Video,
            timescale: VIDEO_TIMESCALE,
            codec: Avc3 {
                visual: Visual {
                    data_reference_index: 1,
                    width: u16::try_from(width).map_err(|_| too_large())?,
                    height: u16::try_from(height).map_err(|_| too_large())?,
                    ..Default::default()
                },
                // avc3 may list parameter sets too: the first ones help players that read
                // the profile and size before decoding.
                avcc: h264::decoder_config(sps, pps)?,
                ..Default::default()
            }
            .into(),
            width: width as u16,
            height: height as u16,
        };
        let init = init_segment(&spec)?;
        let data = sample_bytes(access_unit)?;
        self.timeline = Some(Timeline {
            first_rtp: rtp_timestamp,
            last_rtp: rtp_timestamp,
            last_decode_time: 0,
        });
        self.fragments = Some(FragmentBuilder::new(TRACK_ID, 0));
        self.pending = Some(PendingSample {
            decode_time: 0,
            keyframe: true,
            data,
        });
        self.dimensions = Some((width, height));
        Ok(VideoOutput::Init(init))
    }

    fn note_dimensions(&mut self, access_unit: &[u8]) {
        let units = h264::annex_b_nal_units(access_unit).unwrap_or_default();
        if let Some(sps) = units.iter().find(|u| h264::nal_type(u) == NAL_SPS)
            && let Ok(size) = h264::sps_dimensions(sps)
        {
            self.dimensions = Some(size);
        }
    }

    /// Ends the track: the held last sample gets the previous sample's duration (or one
    /// frame at 30 fps) and the buffered samples become the last fragment.
    pub fn finish(&mut self) -> Result<Option<Fragment>, VideoError> {
        let Some(fragments) = &mut self.fragments else {
            return Ok(None);
        };
        if let Some(last) = self.pending.take() {
            let duration = self.last_duration.unwrap_or(NOMINAL_SAMPLE_TICKS);
            fragments.push(duration, last.keyframe, &last.data);
        }
        Ok(fragments.take()?)
    }

    /// The first keyframe's RTP timestamp: media time 0.
    pub fn first_rtp_timestamp(&self) -> Option<u32> {
        self.timeline.as_ref().map(|t| t.first_rtp)
    }

    /// The RTP timestamp of the frame at `media_time` (90 kHz ticks), once the timeline began.
    pub fn rtp_timestamp_at(&self, media_time: u64) -> Option<u32> {
        self.first_rtp_timestamp()
            .map(|first| rtp_timestamp_at(first, media_time))
    }

    /// The media time of an RTP timestamp within 2^31 ticks (6.6 hours) of the last one
    /// pushed, before or after it; `None` before the timeline began or before its origin.
    pub fn media_time_of(&self, rtp_timestamp: u32) -> Option<u64> {
        let timeline = self.timeline.as_ref()?;
        let step = i64::from(rtp_timestamp.wrapping_sub(timeline.last_rtp) as i32);
        u64::try_from(timeline.last_decode_time as i64 + step).ok()
    }

    /// Access units dropped before the first keyframe.
    pub fn dropped_before_keyframe(&self) -> u64 {
        self.dropped_before_keyframe
    }

    /// The picture size of the latest keyframe's SPS.
    pub fn dimensions(&self) -> Option<(u32, u32)> {
        self.dimensions
    }
}

fn sample_bytes(access_unit: &[u8]) -> Result<Vec<u8>, VideoError> {
    if u32::try_from(access_unit.len()).is_err() {
        return Err(VideoError::SampleTooLarge(access_unit.len()));
    }
    let mut data = Vec::with_capacity(access_unit.len() + 8);
    h264::annex_b_to_sample(access_unit, &mut data)?;
    Ok(data)
}
