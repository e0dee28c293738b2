use super::voice::{END, recorded_voice};
use super::*;
use crate::fmp4::h264::{NAL_PPS, NAL_SPS, annex_b_nal_units, nal_type};
use crate::fmp4::{ExportError, export_mp4};
use std::io::Cursor;
use std::time::Instant;

fn export(
    video: &[u8],
    voices: &[&[u8]],
) -> Result<(Vec<u8>, crate::fmp4::ExportSummary), ExportError> {
    let mut out = Vec::new();
    let mut voices: Vec<Cursor<Vec<u8>>> = voices.iter().map(|v| Cursor::new(v.to_vec())).collect();
    let summary = export_mp4(&mut Cursor::new(video.to_vec()), &mut voices, &mut out)?;
    Ok((out, summary))
}

#[test]
fn the_export_holds_every_track_with_the_right_duration() {
    let video = recorded_video();
    let voice = recorded_voice().0;
    // A second talker who came in at 2 s: the same packets, later.
    let mut late = VoiceTrackWriter::new(96_000, 1).unwrap();
    let packets = opus_packets(50);
    let input: Vec<(&[u8], u32)> = (0..)
        .zip(&packets)
        .map(|(k, p)| (&p[..], k * 960))
        .collect();
    let (late, _) = write_voice(&mut late, &input, Some(END));

    let (mp4, summary) = export(&video.file, &[&voice, &late]).unwrap();
    assert_eq!(summary.bytes, mp4.len() as u64);
    assert_eq!(summary.samples[0], video.recorded.len() as u64);
    let probe = ffprobe(&mp4, "export.mp4", &["-show_streams", "-show_format"]);
    assert_eq!(probe["format"]["nb_streams"].as_u64(), Some(3));
    // The video lasts 6.667 s, the voices 5 s.
    assert!(
        (num(&probe["format"]["duration"]) - 6.667).abs() < 0.01,
        "{}",
        probe["format"]
    );
    let streams = probe["streams"].as_array().unwrap();
    let kinds: Vec<_> = streams
        .iter()
        .map(|s| s["codec_name"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["h264", "opus", "opus"]);
    assert_eq!(streams[0]["width"].as_u64(), Some(160));
    for (stream, samples) in streams.iter().zip(&summary.samples) {
        assert_eq!(num(&stream["nb_frames"]) as u64, *samples);
    }
    assert_eq!(num(&streams[0]["duration_ts"]) as u64, 600_000);
    assert_eq!(num(&streams[1]["duration_ts"]) as u64, END);
    assert_eq!(num(&streams[2]["duration_ts"]) as u64, END);
    assert_decodes(&mp4, "export-decode.mp4");
}

#[test]
fn a_crashed_recording_exports_its_complete_fragments() {
    let video = recorded_video();
    let cut = video.file.len() - 100;
    let (mp4, summary) = export(&video.file[..cut], &[]).unwrap();
    let last = video.fragments.last().unwrap();
    assert_eq!(
        summary.samples[0],
        (video.recorded.len() - last.sample_count as usize) as u64
    );
    let probe = ffprobe(&mp4, "crashed.mp4", &["-show_streams"]);
    assert_eq!(
        num(&probe["streams"][0]["duration_ts"]) as u64,
        last.base_decode_time
    );
    assert_decodes(&mp4, "crashed-decode.mp4");

    let voice = recorded_voice().0;
    assert!(matches!(export(&voice, &[]), Err(ExportError::NotVideo)));
    assert!(matches!(
        export(&video.file, &[&video.file]),
        Err(ExportError::NotVoice(0))
    ));
    assert!(matches!(
        export(&video.file[..200], &[]),
        Err(ExportError::Video(_))
    ));
}

/// Ten minutes of 2.5 Mbit/s video at 30 fps (a keyframe every 4 s) and two talkers at
/// 32 kbit/s: prints the writers' and the export's speed and the container's overhead.
#[test]
fn ten_minutes_speed_and_overhead() {
    const FRAMES: usize = 30 * 600;
    let real = encode(64, 64, 1, &[]);
    let units = annex_b_nal_units(&real[0].annex_b).unwrap();
    let parameter_sets: Vec<u8> = units
        .iter()
        .filter(|u| matches!(nal_type(u), NAL_SPS | NAL_PPS))
        .flat_map(|u| [&[0, 0, 0, 1][..], u].concat())
        .collect();
    let frame_bytes = 2_500_000 / 8 / 30;
    let access_unit = |keyframe: bool| {
        let mut au = if keyframe {
            parameter_sets.clone()
        } else {
            Vec::new()
        };
        au.extend_from_slice(&[0, 0, 0, 1, if keyframe { 0x65 } else { 0x41 }]);
        au.resize(au.len() + frame_bytes, 0x5a);
        au
    };
    let (key, delta) = (access_unit(true), access_unit(false));

    let started = Instant::now();
    let mut writer = VideoTrackWriter::new();
    let mut video = Vec::new();
    let mut relayed = 0usize;
    for i in 0..FRAMES {
        let keyframe = i % 120 == 0;
        let au = if keyframe { &key } else { &delta };
        relayed += au.len();
        match writer.push(au, (i * 3000) as u32, keyframe).unwrap() {
            Some(VideoOutput::Init(b)) => video.extend_from_slice(&b),
            Some(VideoOutput::Fragment(f)) => video.extend_from_slice(&f.bytes),
            None => {}
        }
    }
    video.extend_from_slice(&writer.finish().unwrap().unwrap().bytes);
    let packet = [&[9u8 << 3][..], &[0x77; 79]].concat();
    let voices: Vec<Vec<u8>> = (0..2)
        .map(|_| {
            let mut voice = VoiceTrackWriter::new(0, 1).unwrap();
            let input: Vec<(&[u8], u32)> = (0..30_000u32).map(|k| (&packet[..], k * 960)).collect();
            write_voice(&mut voice, &input, None).0
        })
        .collect();
    let written = started.elapsed();

    let started = Instant::now();
    let mut sink = std::io::sink();
    let mut voice_readers: Vec<_> = voices.iter().map(Cursor::new).collect();
    let summary = export_mp4(&mut Cursor::new(&video), &mut voice_readers, &mut sink).unwrap();
    let exported = started.elapsed();
    assert_eq!(summary.duration_ms, 600_000);
    assert_eq!(summary.samples, [FRAMES as u64, 30_000, 30_000]);

    let overhead =
        |file: u64, payload: usize| 100.0 * (file as f64 - payload as f64) / payload as f64;
    println!(
        "10 min: writing video + 2 voices {:.0}x real time, export {:.0}x real time \
         ({} build); fMP4 overhead: video {:.3}% over the relayed Annex B, \
         voice {:.1}% over its 80-byte packets; export {:.3}% over all media",
        600.0 / written.as_secs_f64(),
        600.0 / exported.as_secs_f64(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        overhead(video.len() as u64, relayed),
        overhead(voices[0].len() as u64, 30_000 * packet.len()),
        overhead(summary.bytes, relayed + 2 * 30_000 * packet.len()),
    );
}
