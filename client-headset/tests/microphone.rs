//! The microphone path through a real cpal stream on ALSA's `null` device (these machines have
//! no sound card; `null` captures silence). Built with `--features audio-device`.
#![cfg(feature = "audio-device")]

use spotter_headset::microphone;
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
