//! The two things the container needs from Opus's own packet format (RFC 6716 §3.1-3.2),
//! small enough to write here rather than pull in a codec: a packet's duration from its TOC
//! byte, and silence packets to fill the timeline.

/// Opus ticks at 48 kHz in the shortest frame, 2.5 ms; every packet lasts a multiple of it.
pub(crate) const TICKS_PER_2_5_MS: u64 = 120;
/// The longest packet RFC 6716 allows: 120 ms.
const MAX_PACKET_TICKS: u64 = 48 * 120;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpusError {
    #[error("an empty Opus packet")]
    EmptyPacket,
    #[error("an Opus code 3 packet without its frame count byte")]
    MissingFrameCount,
    #[error("an Opus code 3 packet that counts 0 frames")]
    NoFrames,
    #[error("an Opus packet of {0} ticks, longer than 120 ms")]
    TooLong(u64),
}

/// One frame's duration in 48 kHz ticks for a TOC configuration (RFC 6716 Table 2).
fn frame_ticks(config: u8) -> u64 {
    match config {
        // SILK-only, NB/MB/WB: 10, 20, 40, 60 ms.
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)],
        // Hybrid, SWB/FB: 10, 20 ms.
        12..=15 => [480, 960][usize::from(config % 2)],
        // CELT-only, NB/WB/SWB/FB: 2.5, 5, 10, 20 ms.
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    }
}

/// A packet's duration in 48 kHz ticks, from its TOC byte and, for code 3, its frame count.
pub fn opus_packet_duration(packet: &[u8]) -> Result<u64, OpusError> {
    let toc = *packet.first().ok_or(OpusError::EmptyPacket)?;
    let frames = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        _ => {
            let count = packet.get(1).ok_or(OpusError::MissingFrameCount)? & 0x3f;
            if count == 0 {
                return Err(OpusError::NoFrames);
            }
            u64::from(count)
        }
    };
    let ticks = frame_ticks(toc >> 3) * frames;
    if ticks > MAX_PACKET_TICKS {
        return Err(OpusError::TooLong(ticks));
    }
    Ok(ticks)
}

/// A CELT frame that decodes to silence: its first range-coded bit is the silence flag.
const SILENT_CELT_FRAME: [u8; 2] = [0xff, 0xfe];

/// Silence packets lasting exactly `ticks` (rounded down to 2.5 ms), each at most 120 ms:
/// CELT fullband, mono, code 3 (several frames of one size) or code 0 (one frame).
pub(crate) fn silence_packets(ticks: u64) -> Vec<(Vec<u8>, u32)> {
    // CELT fullband configurations: 28 = 2.5 ms, 29 = 5 ms, 30 = 10 ms, 31 = 20 ms.
    const FRAMES: [(u8, u64); 4] = [(31, 960), (30, 480), (29, 240), (28, 120)];
    let mut packets = Vec::new();
    let mut left = ticks - ticks % TICKS_PER_2_5_MS;
    for (config, frame) in FRAMES {
        while left >= frame {
            let count = (left / frame).min(MAX_PACKET_TICKS / frame);
            packets.push((silence_packet(config, count as u8), (frame * count) as u32));
            left -= frame * count;
        }
    }
    packets
}

fn silence_packet(config: u8, frames: u8) -> Vec<u8> {
    if frames == 1 {
        return [&[config << 3][..], &SILENT_CELT_FRAME].concat();
    }
    // Code 3, constant bit rate, no padding: the frames share what follows equally.
    let mut packet = vec![config << 3 | 0x03, frames];
    for _ in 0..frames {
        packet.extend_from_slice(&SILENT_CELT_FRAME);
    }
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_the_toc_byte() {
        // SILK WB 20 ms (config 9), code 0.
        assert_eq!(opus_packet_duration(&[9 << 3, 0]), Ok(960));
        // SILK NB 60 ms (config 3), code 1: two frames.
        assert_eq!(opus_packet_duration(&[3 << 3 | 1]), Ok(5760));
        // Hybrid FB 10 ms (config 14), code 2.
        assert_eq!(opus_packet_duration(&[14 << 3 | 2]), Ok(960));
        // CELT FB 2.5 ms (config 28), code 3 with 4 frames.
        assert_eq!(opus_packet_duration(&[28 << 3 | 3, 4]), Ok(480));
        assert_eq!(opus_packet_duration(&[]), Err(OpusError::EmptyPacket));
        assert_eq!(
            opus_packet_duration(&[31 << 3 | 3]),
            Err(OpusError::MissingFrameCount)
        );
        assert_eq!(
            opus_packet_duration(&[31 << 3 | 3, 0]),
            Err(OpusError::NoFrames)
        );
        // 60 ms x 3 frames is past the 120 ms limit.
        assert_eq!(
            opus_packet_duration(&[3 << 3 | 3, 3]),
            Err(OpusError::TooLong(8640))
        );
    }

    #[test]
    fn silence_fills_exactly_and_each_packet_says_its_own_duration() {
        for ticks in [120, 960, 1080, 5760, 5880, 48_000 * 7 + 360] {
            let packets = silence_packets(ticks);
            let total: u64 = packets.iter().map(|(_, d)| u64::from(*d)).sum();
            assert_eq!(total, ticks);
            for (packet, duration) in &packets {
                assert_eq!(opus_packet_duration(packet), Ok(u64::from(*duration)));
            }
        }
        assert!(silence_packets(119).is_empty());
    }

    #[test]
    fn silence_packets_decode_to_silence() {
        let mut decoder = ::opus::Decoder::new(48_000, ::opus::Channels::Mono).unwrap();
        let mut pcm = vec![0i16; 5760];
        for (packet, duration) in silence_packets(5760 + 960 + 480 + 240 + 120) {
            let n = decoder.decode(&packet, &mut pcm, false).unwrap();
            assert_eq!(n as u32, duration);
            assert!(pcm[..n].iter().all(|&s| s == 0), "{packet:?} is not silent");
        }
    }
}
