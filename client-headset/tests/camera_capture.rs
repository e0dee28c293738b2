//! A real camera: where this machine has a `/dev/video*` capture device, ten pictures from it
//! arrive converted, in order, stamped on the monotonic clock near now. Elsewhere (CI, these
//! build machines) the test says it was skipped and why.

use spotter_headset::camera::feed::{CameraFeed, CameraFrame};
use spotter_headset::camera::v4l2::CameraCapture;
use spotter_headset::clock::monotonic_ns;
use std::path::PathBuf;

fn capture_devices() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/dev")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("video"))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn a_real_camera_gives_converted_pictures_stamped_in_order() {
    let devices = capture_devices();
    // Nodes that are not capture devices (metadata nodes of the same camera) refuse to open
    // as one; the first that opens is tested.
    let Some((path, mut camera)) = devices.iter().find_map(|path| {
        let (width, height) = CameraCapture::current_size(path).ok()?;
        CameraCapture::open(path, width, height)
            .ok()
            .map(|camera| (path.clone(), camera))
    }) else {
        eprintln!(
            "SKIPPED the real camera capture test: {}",
            if devices.is_empty() {
                "this machine has no /dev/video* device".to_string()
            } else {
                format!("none of {devices:?} opens as a capture device")
            }
        );
        return;
    };
    let picture = camera.picture();
    eprintln!("capturing from {} ({picture:?})", path.display());
    let mut frame = CameraFrame::default();
    let mut last: Option<(u32, i64)> = None;
    for _ in 0..10 {
        camera.next_into(&mut frame).unwrap();
        assert_eq!(
            frame.rgba.len(),
            picture.width as usize * picture.height as usize * 4
        );
        let age_ns = monotonic_ns() - frame.monotonic_ns;
        assert!(
            (0..1_000_000_000).contains(&age_ns),
            "a picture stamped {age_ns} ns before now"
        );
        if let Some((sequence, stamped)) = last {
            assert!(frame.sequence > sequence, "pictures out of order");
            assert!(frame.monotonic_ns > stamped, "stamps not increasing");
        }
        last = Some((frame.sequence, frame.monotonic_ns));
    }
}
