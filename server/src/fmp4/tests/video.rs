use super::*;
use crate::fmp4::{
    VIDEO_TIMESCALE, read_fragment_samples, rtp_timestamp_at, sample_to_annex_b, scan_bytes,
};
use std::io::Cursor;

#[test]
fn starts_at_the_first_keyframe_and_maps_media_time_back_to_rtp_across_the_wrap() {
    let video = recorded_video();
    assert_eq!(
        video.dropped, 55,
        "frames 5..60 come before the first keyframe"
    );
    assert_eq!(video.first_rtp, Some(frame_rtp(60)));
    assert!(
        frame_rtp(60) > frame_rtp(199),
        "the timestamps wrap in between"
    );

    let probe = ffprobe(
        &video.file,
        "video.mp4",
        &["-show_streams", "-show_packets"],
    );
    let stream = &probe["streams"][0];
    assert_eq!(stream["codec_name"], "h264");
    assert_eq!(stream["codec_tag_string"], "avc3");
    assert_eq!(
        (stream["width"].as_u64(), stream["height"].as_u64()),
        (Some(160), Some(96))
    );
    assert_eq!(stream["time_base"], "1/90000");
    let packets = probe["packets"].as_array().unwrap();
    assert_eq!(packets.len(), video.recorded.len());
    for (i, (packet, (_, rtp, keyframe, g))) in packets.iter().zip(&video.recorded).enumerate() {
        let pts = num(&packet["pts"]) as u64;
        assert_eq!(rtp_timestamp_at(frame_rtp(60), pts), *rtp, "frame {g}");
        assert_eq!(pts, (g - 60) as u64 * 3000);
        let flags = packet["flags"].as_str().unwrap();
        assert_eq!(flags.starts_with('K'), *keyframe, "frame {g}: {flags}");
        // No holes: a sample lasts until the next (ffprobe gives no packet durations for
        // fragments: the next packet's time, or the stream's end, tells); frame 99 stands in
        // for lost frame 100, and the last lasts one frame.
        let end = match packets.get(i + 1) {
            Some(next) => num(&next["pts"]) as u64,
            None => num(&stream["duration_ts"]) as u64,
        };
        assert_eq!(end - pts, if *g == 99 { 6000 } else { 3000 }, "frame {g}");
    }
}

#[test]
fn a_size_change_decodes_with_one_init_segment() {
    let video = recorded_video();
    assert_eq!(video.last_size, Some((96, 64)));
    let probe = ffprobe(
        &video.file,
        "sizes.mp4",
        &["-show_entries", "frame=width,height"],
    );
    let frames = probe["frames"].as_array().unwrap();
    assert_eq!(frames.len(), video.recorded.len(), "every frame decodes");
    let size = |f: &Value| (f["width"].as_u64().unwrap(), f["height"].as_u64().unwrap());
    assert_eq!(size(&frames[0]), (160, 96));
    assert_eq!(size(frames.last().unwrap()), (96, 64));
    assert_decodes(&video.file, "decode.mp4");
}

#[test]
fn fragments_come_about_every_second_and_say_whether_a_keyframe_begins_them() {
    let video = recorded_video();
    let fragments = &video.fragments;
    let second = u64::from(VIDEO_TIMESCALE);
    let keyframe_times: Vec<u64> = video
        .recorded
        .iter()
        .filter(|r| r.2)
        .map(|r| (r.3 - 60) as u64 * 3000)
        .collect();
    for (i, fragment) in fragments.iter().enumerate() {
        assert_eq!(
            fragment.starts_with_keyframe,
            keyframe_times.contains(&fragment.base_decode_time)
        );
        let Some(next) = fragments.get(i + 1) else {
            continue;
        };
        assert_eq!(
            fragment.base_decode_time + fragment.duration,
            next.base_decode_time
        );
        assert_eq!(fragment.sequence_number + 1, next.sequence_number);
        assert!(fragment.duration >= second / 2, "{fragment:?}");
        // Cut at the first sample boundary past 1 s (a sample lasts at most 2 frames here),
        // or from 0.5 s when a keyframe comes.
        assert!(fragment.duration < second + 6000, "{fragment:?}");
        if fragment.duration < second {
            assert!(next.starts_with_keyframe, "cut early only for a keyframe");
        }
    }
    assert!(fragments.iter().any(|f| !f.starts_with_keyframe));
    assert!(fragments.iter().filter(|f| f.starts_with_keyframe).count() >= 3);
}

#[test]
fn samples_read_back_are_the_relayed_access_units_byte_for_byte() {
    let video = recorded_video();
    let file = scan_bytes(&video.file).unwrap();
    assert_eq!(file.fragments.len(), video.fragments.len());
    let mut samples = Vec::new();
    for (scanned, written) in file.fragments.iter().zip(&video.fragments) {
        assert_eq!(scanned.base_decode_time, written.base_decode_time);
        assert_eq!(scanned.duration, written.duration);
        assert_eq!(scanned.starts_with_keyframe, written.starts_with_keyframe);
        assert_eq!(scanned.len, written.bytes.len() as u64);
        samples
            .extend(read_fragment_samples(&mut Cursor::new(&video.file), &file, scanned).unwrap());
    }
    assert_eq!(samples.len(), video.recorded.len());
    for (sample, (annex_b, rtp, keyframe, _)) in samples.iter().zip(&video.recorded) {
        assert_eq!(&sample_to_annex_b(&sample.data).unwrap(), annex_b);
        assert_eq!(sample.keyframe, *keyframe);
        assert_eq!(rtp_timestamp_at(frame_rtp(60), sample.decode_time), *rtp);
    }
}

#[test]
fn a_timestamp_that_does_not_advance_is_refused_and_the_writer_goes_on() {
    let frames = encode(64, 64, 3, &[]);
    let mut writer = VideoTrackWriter::new();
    assert!(matches!(
        writer.push(&frames[0].annex_b, 1000, true),
        Ok(Some(VideoOutput::Init(_)))
    ));
    for rtp in [1000, 999, 1000u32.wrapping_sub(1 << 31)] {
        assert!(matches!(
            writer.push(&frames[1].annex_b, rtp, false),
            Err(crate::fmp4::VideoError::TimestampNotIncreasing { previous: 1000, .. })
        ));
    }
    assert!(writer.push(&[1, 2, 3], 4000, false).is_err(), "not Annex B");
    assert!(
        writer
            .push(&frames[1].annex_b, 4000, false)
            .unwrap()
            .is_none()
    );
    assert_eq!(writer.media_time_of(4000), Some(3000));
    assert_eq!(writer.media_time_of(1000), Some(0));
    assert_eq!(writer.media_time_of(999), None);
    let last = writer.finish().unwrap().unwrap();
    assert_eq!((last.sample_count, last.duration), (2, 6000));
}

#[test]
fn a_keyframe_without_parameter_sets_cannot_begin_the_track() {
    let frames = encode(64, 64, 1, &[]);
    let idr_only: Vec<u8> = crate::fmp4::h264::annex_b_nal_units(&frames[0].annex_b)
        .unwrap()
        .into_iter()
        .filter(|u| crate::fmp4::h264::nal_type(u) == crate::fmp4::h264::NAL_IDR_SLICE)
        .flat_map(|u| [&[0, 0, 0, 1][..], u].concat())
        .collect();
    let mut writer = VideoTrackWriter::new();
    assert!(matches!(
        writer.push(&idr_only, 0, true),
        Err(crate::fmp4::VideoError::KeyframeWithoutParameterSets)
    ));
    assert_eq!(writer.dropped_before_keyframe(), 1);
    assert_eq!(writer.first_rtp_timestamp(), None);
    assert!(writer.finish().unwrap().is_none());
}
