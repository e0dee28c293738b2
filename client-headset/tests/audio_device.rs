//! The microphone and speaker paths through real cpal streams on ALSA's `null` device (these
//! machines have no sound card; `null` captures silence and discards what it plays). Built
//! with `--features audio-device`.
#![cfg(feature = "audio-device")]

use spotter_headset::{microphone, speakers};
use spotter_peer::voice::{FRAME_SAMPLES, SILENCE_DBFS, rms_dbfs};
use std::time::Duration;

#[tokio::test]
async fn a_capture_device_yields_whole_silent_frames() {
    let (tx, mut frames) = tokio::sync::mpsc::channel(64);
    let mic = microphone::open(Some("alsa:null"), tx).expect("ALSA's null device opens");
    for _ in 0..5 {
        let frame = tokio::time::timeout(Duration::from_secs(5), frames.recv())
            .await
            .expect("a frame in time")
            .expect("the stream is running");
        assert_eq!(frame.len(), FRAME_SAMPLES);
        assert_eq!(rms_dbfs(&frame), SILENCE_DBFS);
    }
    drop(mic);
}

#[test]
fn an_unknown_device_is_named_in_the_error() {
    let (tx, _frames) = tokio::sync::mpsc::channel(1);
    let err = microphone::open(Some("alsa:no-such-device"), tx)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("no-such-device"), "{err}");
}

#[test]
fn voices_queued_for_the_speakers_are_played_and_a_late_backlog_is_cut() {
    let out = speakers::open(Some("alsa:null")).expect("ALSA's null device opens for output");
    let player = out.player();
    player.play(0, &[1000; FRAME_SAMPLES]);
    player.play(1, &[-1000; FRAME_SAMPLES]);
    assert!(player.queued() <= 2 * FRAME_SAMPLES);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while player.queued() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the output took nothing"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Far more than 200 ms at once (a stall upstream): only the newest 200 ms is kept.
    drop(out);
    let held = speakers::open(Some("alsa:null")).unwrap();
    let player = held.player();
    drop(held);
    player.play(0, &vec![1; 48_000]);
    assert!(player.queued() <= 9600, "{}", player.queued());
}
