use super::*;
use crate::fmp4::{VOICE_TIMESCALE, read_fragment_samples, scan_bytes};
use std::io::Cursor;

/// The first packet's RTP timestamp: 50 packets before the 32-bit wrap.
pub const FIRST_RTP: u32 = u32::MAX - 960 * 50 + 1;
/// Where the recorder says the first packet belongs: 1.2345 s, on the 2.5 ms grid 59160.
pub const FIRST_TIME: u64 = 59_256;
pub const FIRST_TIME_ON_GRID: u64 = 59_160;
pub const END: u64 = 5 * VOICE_TIMESCALE as u64;

/// The file, its fragments, the packets sent (packet, RTP timestamp, number) and the writer.
pub type RecordedVoice = (
    Vec<u8>,
    Vec<Fragment>,
    Vec<(Vec<u8>, u32, u64)>,
    VoiceTrackWriter,
);

/// 150 real 20 ms packets, 60..70 missing (DTX or loss), the timestamps wrapping at 50;
/// the track finished at 5 s.
pub fn recorded_voice() -> RecordedVoice {
    let packets = opus_packets(150);
    let sent: Vec<(Vec<u8>, u32, u64)> = packets
        .into_iter()
        .enumerate()
        .filter(|(k, _)| !(60..70).contains(k))
        .map(|(k, p)| (p, FIRST_RTP.wrapping_add(960 * k as u32), k as u64))
        .collect();
    let mut writer = VoiceTrackWriter::new(FIRST_TIME, 1).unwrap();
    let input: Vec<(&[u8], u32)> = sent.iter().map(|(p, rtp, _)| (&p[..], *rtp)).collect();
    let (file, fragments) = write_voice(&mut writer, &input, Some(END));
    (file, fragments, sent, writer)
}

#[test]
fn the_timeline_is_filled_with_silence_before_the_first_packet_and_in_gaps() {
    let (file, fragments, sent, writer) = recorded_voice();
    let probe = ffprobe(&file, "voice.mp4", &["-show_streams", "-show_packets"]);
    let stream = &probe["streams"][0];
    assert_eq!(stream["codec_name"], "opus");
    assert_eq!(stream["codec_type"], "audio");
    assert_eq!(num(&stream["sample_rate"]), 48_000.0);
    assert_eq!(stream["channels"].as_u64(), Some(1));
    assert_eq!(num(&stream["duration_ts"]) as u64, END);

    // Contiguous from 0 to the end: each packet begins where the one before ends.
    let packets = probe["packets"].as_array().unwrap();
    let pts: Vec<u64> = packets.iter().map(|p| num(&p["pts"]) as u64).collect();
    assert_eq!(pts[0], 0);
    let scanned = scan_bytes(&file).unwrap();
    let samples: Vec<_> = scanned
        .fragments
        .iter()
        .flat_map(|f| read_fragment_samples(&mut Cursor::new(&file), &scanned, f).unwrap())
        .collect();
    assert_eq!(samples.len(), pts.len());
    for (i, sample) in samples.iter().enumerate() {
        assert_eq!(sample.decode_time, pts[i]);
        let end = pts.get(i + 1).copied().unwrap_or(END);
        assert_eq!(sample.decode_time + u64::from(sample.duration), end);
        assert_eq!(
            crate::fmp4::opus_packet_duration(&sample.data),
            Ok(u64::from(sample.duration))
        );
    }
    // Every real packet sits where its RTP timestamp puts it, across the wrap and the gap.
    for (packet, _, k) in &sent {
        let at = samples.iter().find(|s| &s.data == packet).unwrap();
        assert_eq!(at.decode_time, FIRST_TIME_ON_GRID + k * 960);
    }
    let real: u64 = sent.len() as u64 * 960;
    assert_eq!(writer.silence_ticks(), END - real);
    assert_eq!(
        writer.silence_ticks(),
        FIRST_TIME_ON_GRID + 10 * 960 + (END - FIRST_TIME_ON_GRID - 150 * 960)
    );
    assert_decodes(&file, "voice-decode.mp4");

    let second = u64::from(VOICE_TIMESCALE);
    for pair in fragments.windows(2) {
        assert_eq!(
            pair[0].base_decode_time + pair[0].duration,
            pair[1].base_decode_time
        );
        assert!(pair[0].duration >= second && pair[0].duration < second + 5760);
        assert!(pair[0].starts_with_keyframe);
    }
}

#[test]
fn bad_packets_are_refused_and_the_writer_goes_on() {
    let packets = opus_packets(3);
    let mut writer = VoiceTrackWriter::new(0, 2).unwrap();
    assert!(writer.push(&packets[0], 100).unwrap().is_empty());
    assert!(matches!(
        writer.push(&packets[1], 100),
        Err(crate::fmp4::VoiceError::TimestampNotIncreasing {
            previous: 100,
            got: 100
        })
    ));
    assert!(matches!(
        writer.push(&[], 1060),
        Err(crate::fmp4::VoiceError::Opus(_))
    ));
    // A packet whose whole span the earlier ones covered is dropped, not pushed later.
    let sixty_ms = [3 << 3, 1, 2, 3];
    writer.push(&sixty_ms, 1060).unwrap();
    writer.push(&packets[2], 2020).unwrap();
    assert_eq!(writer.dropped_overlapping(), 1);
    assert_eq!(writer.end_time(), 960 + 2880);
    assert!(matches!(
        VoiceTrackWriter::new(0, 3),
        Err(crate::fmp4::VoiceError::Channels(3))
    ));
}
