//! What a crash leaves of a recording: the files as they are on disk while it records.

use super::*;
use crate::fmp4::scan::scan_bytes;
use crate::fmp4::tests::encode;
use bytes::Bytes;

#[test]
fn every_frame_in_the_video_file_has_its_record_on_disk_at_any_moment() {
    let dir = std::env::temp_dir().join(format!("spotter-writer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let start = Instant::now();
    let mut writer = RecordingWriter::create(&dir, start).unwrap();
    // 3 s at 30 frames/s; each frame's record arrives just after its video, as it may.
    let frames = encode(64, 48, 90, &[0]);
    for (i, frame) in frames.iter().enumerate() {
        let arrived = start + Duration::from_millis(i as u64 * 33);
        let rtp_timestamp = i as u32 * 3000;
        writer
            .write(SinkMedia::Video {
                rtp_timestamp,
                data: Bytes::from(frame.annex_b.clone()),
                keyframe: frame.keyframe,
                arrived,
            })
            .unwrap();
        let record = format!("{{\"rtp_timestamp\":{rtp_timestamp}}}");
        writer
            .write(SinkMedia::FrameRecord {
                data: Bytes::from(record),
                arrived,
            })
            .unwrap();

        // What `kill -9` would leave now: every frame of the video file's complete fragments
        // has its record in the frame file.
        let in_video = frames_in_video(&dir);
        let records = std::fs::read_to_string(dir.join(FRAMES_FILE)).unwrap();
        let on_disk = records.lines().count() as u64;
        assert!(
            on_disk >= in_video,
            "after frame {i}: {in_video} frames in the video file, {on_disk} records on disk"
        );
    }
    let written = frames_in_video(&dir);
    assert!(
        written >= 30,
        "fragments were written meanwhile ({written} frames)"
    );
    // A crash: nothing is flushed on the way out.
    std::mem::forget(writer);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The frames in the complete fragments of the recording's video file as it is on disk (the
/// first frame is a keyframe, so the file and its init segment exist from the first write).
fn frames_in_video(dir: &Path) -> u64 {
    let video = std::fs::read(dir.join(VIDEO_FILE)).unwrap();
    scan_bytes(&video)
        .unwrap()
        .fragments
        .iter()
        .map(|f| u64::from(f.sample_count))
        .sum()
}
