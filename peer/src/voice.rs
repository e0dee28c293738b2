//! Voice: Opus at 48 kHz, mono, 20 ms frames. Sending a microphone's frames, receiving the
//! room's voices (one track per audio slot the server fills), a speech-like test signal for the
//! simulated headset, and the level of what is heard.

use crate::connection::Peer;
use crate::send_track::SendTrack;
use anyhow::Context;
use bytes::Bytes;
use rtc::peer_connection::configuration::media_engine::MIME_TYPE_OPUS;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodec, RtpCodecKind};
use tokio::sync::mpsc;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::TrackRemoteEvent;
use webrtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};

/// Opus's RTP clock (RFC 7587), whatever the audio's own rate.
pub const VOICE_CLOCK_RATE: u32 = 48_000;
/// Samples in one 20 ms frame at 48 kHz.
pub const FRAME_SAMPLES: usize = 960;
/// The same frame in milliseconds.
pub const FRAME_MS: u64 = 20;
/// Level reported for digital silence, dBFS.
pub const SILENCE_DBFS: f32 = -100.0;
/// Voice bitrate: wideband speech with room for in-band FEC on lossy links.
const VOICE_BITRATE: i32 = 32_000;

/// Opus as browsers offer it: stereo-capable in SDP, in-band FEC.
pub fn opus_codec() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: VOICE_CLOCK_RATE,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

/// Root mean square of `samples`, in dBFS.
pub fn rms_dbfs(samples: &[i16]) -> f32 {
    if samples.is_empty() {
        return SILENCE_DBFS;
    }
    let sum: f64 = samples
        .iter()
        .map(|s| {
            let x = f64::from(*s) / 32768.0;
            x * x
        })
        .sum();
    let rms = (sum / samples.len() as f64).sqrt();
    if rms > 0.0 {
        (20.0 * rms.log10()).max(f64::from(SILENCE_DBFS)) as f32
    } else {
        SILENCE_DBFS
    }
}

/// A signal with speech's rhythm and spectrum, for the simulated headset and tests: a voiced
/// buzz (glottal pitch 110–190 Hz with harmonics) in syllables of about 200 ms, words of a few
/// syllables, and pauses between words.
pub struct SpeechLikeSignal {
    sample: u64,
    phase: f64,
}

impl Default for SpeechLikeSignal {
    fn default() -> Self {
        Self::new()
    }
}

impl SpeechLikeSignal {
    /// A word begins every this many seconds, the first with the first sample.
    pub const WORD_PERIOD_SECONDS: f64 = 1.6;

    pub fn new() -> Self {
        Self {
            sample: 0,
            phase: 0.0,
        }
    }

    pub fn next_frame(&mut self) -> [i16; FRAME_SAMPLES] {
        let mut frame = [0i16; FRAME_SAMPLES];
        let rate = f64::from(VOICE_CLOCK_RATE);
        for out in &mut frame {
            let t = self.sample as f64 / rate;
            // A word of 1.2 s, then 0.4 s of pause.
            let in_word = t % Self::WORD_PERIOD_SECONDS < 1.2;
            // Syllables at 5 Hz: a raised cosine envelope, at its peak as a word begins so that
            // a listener can time the onset to a few milliseconds (mouth-to-ear latency).
            let syllable = 0.5 + 0.5 * (2.0 * std::f64::consts::PI * 5.0 * t).cos();
            let envelope = if in_word { syllable } else { 0.0 };
            let pitch = 150.0 + 40.0 * (2.0 * std::f64::consts::PI * 0.7 * t).sin();
            self.phase = (self.phase + pitch / rate) % 1.0;
            let voiced: f64 = (1..=8)
                .map(|h| {
                    (2.0 * std::f64::consts::PI * f64::from(h) * self.phase).sin() / f64::from(h)
                })
                .sum();
            *out = (envelope * voiced * 0.25 * 32767.0).clamp(-32767.0, 32767.0) as i16;
            self.sample += 1;
        }
        frame
    }
}

/// Turns a device's interleaved samples, in whatever chunks it delivers them, into 20 ms mono
/// frames (channels averaged).
pub struct FrameAssembler {
    channels: usize,
    pending: Vec<i16>,
}

impl FrameAssembler {
    pub fn new(channels: u16) -> Self {
        Self {
            channels: usize::from(channels.max(1)),
            pending: Vec::with_capacity(FRAME_SAMPLES),
        }
    }

    /// Takes interleaved samples; calls `frame` for every complete 20 ms frame.
    pub fn push(&mut self, interleaved: &[i16], mut frame: impl FnMut([i16; FRAME_SAMPLES])) {
        for group in interleaved.chunks_exact(self.channels) {
            let sum: i32 = group.iter().map(|s| i32::from(*s)).sum();
            self.pending.push((sum / self.channels as i32) as i16);
            if self.pending.len() == FRAME_SAMPLES {
                let mut out = [0i16; FRAME_SAMPLES];
                out.copy_from_slice(&self.pending);
                self.pending.clear();
                frame(out);
            }
        }
    }
}

/// Opus encoding of 20 ms mono frames.
pub struct VoiceEncoder {
    encoder: opus::Encoder,
    buffer: Vec<u8>,
}

impl VoiceEncoder {
    pub fn new() -> anyhow::Result<Self> {
        let mut encoder = opus::Encoder::new(
            VOICE_CLOCK_RATE,
            opus::Channels::Mono,
            opus::Application::Voip,
        )?;
        encoder.set_bitrate(opus::Bitrate::Bits(VOICE_BITRATE))?;
        encoder.set_inband_fec(true)?;
        encoder.set_packet_loss_perc(10)?;
        Ok(Self {
            encoder,
            buffer: vec![0; 1500],
        })
    }

    pub fn encode(&mut self, frame: &[i16; FRAME_SAMPLES]) -> anyhow::Result<Bytes> {
        let n = self.encoder.encode(frame, &mut self.buffer)?;
        Ok(Bytes::copy_from_slice(&self.buffer[..n]))
    }
}

/// Sends this peer's voice: a send-only Opus track.
pub struct AudioPublisher {
    out: SendTrack,
    sequence: u16,
    timestamp: u32,
}

impl AudioPublisher {
    /// Adds a send-only Opus track to `peer` (before its offer).
    pub async fn add_to(peer: &Peer) -> anyhow::Result<Self> {
        let out = SendTrack::add_to(
            peer,
            RtpCodecKind::Audio,
            opus_codec(),
            "spotter-voice",
            "microphone",
        )
        .await?;
        // Drain the track's events (RTCP for it) so they do not pile up.
        let poller = out.track.clone();
        tokio::spawn(async move { while poller.poll().await.is_some() {} });
        Ok(Self {
            out,
            sequence: rand::random(),
            timestamp: rand::random(),
        })
    }

    /// Sends one 20 ms Opus frame and returns its RTP timestamp (which the SFU keeps, so a
    /// listener can match what it hears to what was said). Call after the answer was applied.
    pub async fn send_frame(&mut self, opus: Bytes) -> anyhow::Result<u32> {
        let timestamp = self.timestamp;
        let packet = rtc::rtp::Packet {
            header: rtc::rtp::Header {
                version: 2,
                payload_type: self.out.payload_type().await?,
                sequence_number: self.sequence,
                timestamp: self.timestamp,
                ssrc: self.out.ssrc,
                ..Default::default()
            },
            payload: opus,
        };
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(FRAME_SAMPLES as u32);
        self.out.track.write_rtp(packet).await?;
        Ok(timestamp)
    }
}

/// A decoded 20 ms frame of one remote voice.
#[derive(Debug, Clone)]
pub struct HeardFrame {
    /// Which of this peer's voice tracks it came on (in order of arrival).
    pub track: usize,
    /// When it was decoded.
    pub decoded_at: std::time::Instant,
    pub rtp_timestamp: u32,
    pub samples: Vec<i16>,
}

/// Receives the room's voices: `slots` receive-only audio transceivers, each decoded on its own.
pub struct VoiceListener {
    frames: Option<mpsc::UnboundedReceiver<HeardFrame>>,
}

impl VoiceListener {
    /// Adds `slots` receive-only Opus transceivers to `peer` (before its offer).
    pub async fn add_to(peer: &mut Peer, slots: usize) -> anyhow::Result<Self> {
        for _ in 0..slots {
            peer.pc
                .add_transceiver_from_kind(
                    RtpCodecKind::Audio,
                    Some(RTCRtpTransceiverInit {
                        direction: RTCRtpTransceiverDirection::Recvonly,
                        ..Default::default()
                    }),
                )
                .await?;
        }
        let mut tracks = peer
            .audio_tracks
            .take()
            .context("this peer already has a voice listener")?;
        let (tx, frames) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut index = 0;
            while let Some(track) = tracks.recv().await {
                let tx = tx.clone();
                let this = index;
                index += 1;
                tokio::spawn(async move {
                    let Ok(mut decoder) =
                        opus::Decoder::new(VOICE_CLOCK_RATE, opus::Channels::Mono)
                    else {
                        return;
                    };
                    let mut pcm = vec![0i16; FRAME_SAMPLES * 6];
                    while let Some(event) = track.poll().await {
                        match event {
                            TrackRemoteEvent::OnRtpPacket(packet) => {
                                let Ok(n) = decoder.decode(&packet.payload, &mut pcm, false) else {
                                    continue;
                                };
                                let frame = HeardFrame {
                                    track: this,
                                    decoded_at: std::time::Instant::now(),
                                    rtp_timestamp: packet.header.timestamp,
                                    samples: pcm[..n].to_vec(),
                                };
                                if tx.send(frame).is_err() {
                                    return;
                                }
                            }
                            TrackRemoteEvent::OnEnded => return,
                            _ => {}
                        }
                    }
                });
            }
        });
        Ok(Self {
            frames: Some(frames),
        })
    }

    /// The decoded frames of every voice (taken once).
    pub fn frames(&mut self) -> mpsc::UnboundedReceiver<HeardFrame> {
        self.frames.take().expect("frames are taken once")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_speech_like_signal_has_words_and_pauses_and_survives_opus() {
        let mut signal = SpeechLikeSignal::new();
        let mut encoder = VoiceEncoder::new().unwrap();
        let mut decoder = opus::Decoder::new(VOICE_CLOCK_RATE, opus::Channels::Mono).unwrap();
        let mut pcm = vec![0i16; FRAME_SAMPLES];
        let (mut loud, mut silent, mut decoded_loud) = (0, 0, 0);
        // 1.6 s: one word and one pause.
        for _ in 0..80 {
            let frame = signal.next_frame();
            let level = rms_dbfs(&frame);
            let n = decoder
                .decode(&encoder.encode(&frame).unwrap(), &mut pcm, false)
                .unwrap();
            assert_eq!(n, FRAME_SAMPLES);
            if level > -30.0 {
                loud += 1;
                if rms_dbfs(&pcm) > -35.0 {
                    decoded_loud += 1;
                }
            } else if level == SILENCE_DBFS {
                silent += 1;
            }
        }
        assert!(loud >= 30, "syllables: {loud} loud frames");
        assert_eq!(silent, 20, "a 0.4 s pause between words");
        assert!(
            decoded_loud >= loud - 3,
            "{decoded_loud} of {loud} loud after Opus"
        );
    }

    #[test]
    fn device_chunks_of_any_size_become_whole_mono_frames() {
        let mut assembler = FrameAssembler::new(2);
        let mut frames = Vec::new();
        // Stereo, left 1000 and right 3000: mono 2000, in chunks that cut frames anywhere.
        let stereo: Vec<i16> = (0..FRAME_SAMPLES * 5 / 2)
            .flat_map(|_| [1000, 3000])
            .collect();
        for chunk in stereo.chunks(734) {
            assembler.push(chunk, |f| frames.push(f));
        }
        assert_eq!(frames.len(), 2, "two whole frames, half a frame pending");
        assert!(frames.iter().all(|f| f.iter().all(|s| *s == 2000)));
    }

    #[test]
    fn levels_in_dbfs() {
        assert_eq!(rms_dbfs(&[0; 960]), SILENCE_DBFS);
        let full: Vec<i16> = (0..960)
            .map(|i| if i % 2 == 0 { 32767 } else { -32767 })
            .collect();
        assert!(rms_dbfs(&full).abs() < 0.01);
        let half: Vec<i16> = full.iter().map(|s| s / 2).collect();
        assert!((rms_dbfs(&half) + 6.02).abs() < 0.05);
    }
}
