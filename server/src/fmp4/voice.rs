//! The voice track writer: one talker's Opus packets (RTP timestamps at 48 kHz) into their
//! own fragmented MP4, on the recording's timeline.
//!
//! The caller says at which media time the first packet belongs (the recorder knows from its
//! arrival); from 0 to there, and wherever the RTP timestamps jump (DTX, loss), the timeline
//! is filled with Opus silence packets, since MSE stalls at a hole. A packet lasts what its
//! TOC byte says. Fragments are cut once 1 s is buffered, like the video's.

use super::VOICE_TIMESCALE;
use super::fragment::{Fragment, FragmentBuilder};
use super::init::{TrackKind, TrackSpec, init_segment};
use super::opus::{OpusError, TICKS_PER_2_5_MS, opus_packet_duration, silence_packets};
use mp4_atom::{Audio, Dops, Opus};

const TRACK_ID: u32 = 1;
const FRAGMENT_TICKS: u64 = VOICE_TIMESCALE as u64;

#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("the Opus packet is not valid: {0}")]
    Opus(#[from] OpusError),
    #[error("RTP timestamp {got} does not follow {previous}; the packet is dropped")]
    TimestampNotIncreasing { previous: u32, got: u32 },
    #[error("{0} channels: a voice track is mono or stereo")]
    Channels(u8),
    #[error("encoding a box failed: {0}")]
    Encode(#[from] mp4_atom::Error),
}

struct RtpClock {
    last_rtp: u32,
    /// The last packet's RTP timestamp, unwrapped, counted from the first packet's.
    last_offset: u64,
}

/// Writes one talker's voice as fragmented MP4. Every error leaves the writer usable: the
/// packet that caused it is not recorded.
pub struct VoiceTrackWriter {
    init: Vec<u8>,
    first_packet_time: u64,
    fragments: FragmentBuilder,
    clock: Option<RtpClock>,
    silence_ticks: u64,
    dropped_overlapping: u64,
}

impl VoiceTrackWriter {
    /// A writer whose first packet belongs at `first_packet_time` (48 kHz ticks on the
    /// recording's timeline, rounded down to 2.5 ms, the unit silence can fill), for a
    /// stream of `channels` (1 or 2, as the SDP's `opus/48000/2` stream carries either).
    pub fn new(first_packet_time: u64, channels: u8) -> Result<Self, VoiceError> {
        if !(1..=2).contains(&channels) {
            return Err(VoiceError::Channels(channels));
        }
        let spec = TrackSpec {
            track_id: TRACK_ID,
            kind: TrackKind::Voice,
            timescale: VOICE_TIMESCALE,
            codec: Opus {
                audio: Audio {
                    data_reference_index: 1,
                    channel_count: u16::from(channels),
                    sample_size: 16,
                    sample_rate: 48_000u16.into(),
                },
                dops: Dops {
                    output_channel_count: channels,
                    // A live stream has no encoder delay to skip: media time stays the RTP
                    // clock's.
                    pre_skip: 0,
                    input_sample_rate: VOICE_TIMESCALE,
                    output_gain: 0,
                    channel_mapping: None,
                },
                btrt: None,
            }
            .into(),
            width: 0,
            height: 0,
        };
        Ok(Self {
            init: init_segment(&spec)?,
            first_packet_time: first_packet_time - first_packet_time % TICKS_PER_2_5_MS,
            fragments: FragmentBuilder::new(TRACK_ID, 0),
            clock: None,
            silence_ticks: 0,
            dropped_overlapping: 0,
        })
    }

    /// The init segment: the file's first bytes.
    pub fn init_segment(&self) -> &[u8] {
        &self.init
    }

    /// Takes one Opus packet with its RTP timestamp; gives the fragments cut (several when
    /// a long gap was filled with silence).
    pub fn push(&mut self, packet: &[u8], rtp_timestamp: u32) -> Result<Vec<Fragment>, VoiceError> {
        let duration = opus_packet_duration(packet)?;
        let offset = match &self.clock {
            None => 0,
            Some(clock) => {
                let step = rtp_timestamp.wrapping_sub(clock.last_rtp) as i32;
                if step <= 0 {
                    return Err(VoiceError::TimestampNotIncreasing {
                        previous: clock.last_rtp,
                        got: rtp_timestamp,
                    });
                }
                clock.last_offset + step as u64
            }
        };
        self.clock = Some(RtpClock {
            last_rtp: rtp_timestamp,
            last_offset: offset,
        });
        let target = self.first_packet_time + offset;
        let mut out = self.fill_silence_to(target)?;
        if target + duration <= self.fragments.end_time() {
            // Earlier packets ran past this one's whole span (their durations exceed the
            // timestamps' steps): drop it rather than push the voice later than the video.
            self.dropped_overlapping += 1;
            return Ok(out);
        }
        // A packet at most 2.5 ms early (what silence could not fill) or overlapping the
        // one before goes right after it: the timeline has no holes.
        self.push_sample(duration as u32, packet, &mut out)?;
        Ok(out)
    }

    /// Ends the track: silence up to `end_time` (the recording's end, so every track lasts
    /// as long), then the last fragment.
    pub fn finish(&mut self, end_time: Option<u64>) -> Result<Vec<Fragment>, VoiceError> {
        let mut out = match end_time {
            Some(end) => self.fill_silence_to(end)?,
            None => Vec::new(),
        };
        out.extend(self.fragments.take()?);
        Ok(out)
    }

    fn fill_silence_to(&mut self, time: u64) -> Result<Vec<Fragment>, VoiceError> {
        let mut out = Vec::new();
        let gap = time.saturating_sub(self.fragments.end_time());
        for (packet, duration) in silence_packets(gap) {
            self.silence_ticks += u64::from(duration);
            self.push_sample(duration, &packet, &mut out)?;
        }
        Ok(out)
    }

    fn push_sample(
        &mut self,
        duration: u32,
        packet: &[u8],
        out: &mut Vec<Fragment>,
    ) -> Result<(), VoiceError> {
        self.fragments.push(duration, true, packet);
        if self.fragments.buffered() >= FRAGMENT_TICKS {
            out.extend(self.fragments.take()?);
        }
        Ok(())
    }

    /// Where the timeline written so far ends (48 kHz ticks).
    pub fn end_time(&self) -> u64 {
        self.fragments.end_time()
    }

    /// How much of the timeline is silence filled in (48 kHz ticks).
    pub fn silence_ticks(&self) -> u64 {
        self.silence_ticks
    }

    /// Packets dropped because the ones before had already covered their span.
    pub fn dropped_overlapping(&self) -> u64 {
        self.dropped_overlapping
    }
}
