//! The headless renderer (Bevy on lavapipe when there is no GPU): its frames show the
//! equipment where the pinhole model says, and resolved annotations in their colour.
//!
//! Needs a Vulkan driver (`mesa-vulkan-drivers`); `scripts/test` installs it.

use bevy::app::PluginsState;
use bevy::camera::RenderTarget;
use bevy::prelude::{App, Assets, Image, On};
use bevy::render::gpu_readback::{Readback, ReadbackComplete};
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use glam::{Vec2, Vec3};
use spotter_headset::recording::RecordingIndicator;
use spotter_headset::render::{
    AnnotationUpdate, CapturedFrame, Display, FrameClock, FrameSource, RenderConfig, RenderLinks,
    build_app, own_view_camera,
};
use spotter_headset::room_status::{Person, RoomStatus};
use spotter_headset::scene::{FactoryScene, Part, default_scene_path, parse_color};
use spotter_protocol::{Anchor, Annotation, AnnotationKind, ParticipantId, Role};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

const W: u32 = 640;
const H: u32 = 360;

struct Harness {
    app: App,
    frames: mpsc::Receiver<CapturedFrame>,
    annotations: mpsc::Sender<AnnotationUpdate>,
    recording: mpsc::Sender<RecordingIndicator>,
    /// The wearer's microphone, as the session sets it.
    muted: Arc<AtomicBool>,
    room_status: tokio::sync::watch::Sender<RoomStatus>,
}

fn harness(scene: FactoryScene) -> Harness {
    let (frames_tx, frames) = mpsc::sync_channel(1);
    let (annotations, annotations_rx) = mpsc::channel();
    let (recording, recording_rx) = mpsc::channel();
    let (recording_requests, _) = tokio::sync::mpsc::unbounded_channel();
    let muted = Arc::new(AtomicBool::new(false));
    let (room_status, room_status_rx) = tokio::sync::watch::channel(RoomStatus::default());
    let mut app = build_app(
        RenderConfig {
            width: W,
            height: H,
            fps: 30.0,
            display: Display::Headless,
            scene,
            clock: FrameClock::RealTime,
            frame_source: FrameSource::Virtual,
        },
        RenderLinks {
            frames: frames_tx,
            annotations: annotations_rx,
            recording: recording_rx,
            recording_requests,
            camera: None,
            away: tokio::sync::watch::channel(false).0,
            mute_requests: tokio::sync::mpsc::unbounded_channel().0,
            acknowledge_requests: tokio::sync::mpsc::unbounded_channel().0,
            eye_pictures: None,
            detected_planes: Default::default(),
            room_status: room_status_rx,
            muted: muted.clone(),
        },
    );
    while app.plugins_state() == PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();
    Harness {
        app,
        frames,
        annotations,
        recording,
        muted,
        room_status,
    }
}

impl Harness {
    /// Updates the app until it hands out a frame rendered after `skip` earlier ones.
    fn next_frame(&mut self, skip: usize) -> CapturedFrame {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut seen = 0;
        loop {
            assert!(Instant::now() < deadline, "no frame was rendered");
            self.app.update();
            if let Ok(frame) = self.frames.try_recv() {
                if seen >= skip {
                    return frame;
                }
                seen += 1;
            }
        }
    }

    /// Adds a camera showing the wearer's own view, as the window's does, rendering into an
    /// image that is read back every frame.
    fn add_own_view(&mut self, fov_y: f32) -> mpsc::Receiver<Vec<u8>> {
        let mut image = Image::new_target_texture(W, H, TextureFormat::Rgba8UnormSrgb, None);
        image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
        let world = self.app.world_mut();
        let target = world.resource_mut::<Assets<Image>>().add(image);
        world.spawn(own_view_camera(
            fov_y,
            RenderTarget::Image(target.clone().into()),
            1,
        ));
        let (tx, rx) = mpsc::channel();
        world
            .spawn(Readback::texture(target))
            .observe(move |event: On<ReadbackComplete>| {
                let _ = tx.send(event.data.clone());
            });
        rx
    }

    /// Updates the app until both the stream and the own view hand out a frame rendered
    /// after `skip` updates.
    fn next_frames(
        &mut self,
        own_view: &mpsc::Receiver<Vec<u8>>,
        skip: usize,
    ) -> (Vec<u8>, Vec<u8>) {
        for _ in 0..skip {
            self.app.update();
        }
        while own_view.try_recv().is_ok() {}
        while self.frames.try_recv().is_ok() {}
        let deadline = Instant::now() + Duration::from_secs(120);
        let (mut stream, mut own) = (None, None);
        loop {
            assert!(Instant::now() < deadline, "no frame was rendered");
            self.app.update();
            if let Ok(frame) = self.frames.try_recv() {
                stream = Some(frame.rgba);
            }
            if let Ok(data) = own_view.try_recv() {
                own = Some(data);
            }
            if let (Some(stream), Some(own)) = (&stream, &own) {
                return (stream.clone(), own.clone());
            }
        }
    }

    /// Renders a fresh frame and reads the pixel where `world` projects on it.
    fn pixel_at(&mut self, world: Vec3) -> (Vec2, [f32; 3]) {
        let frame = self.next_frame(3);
        let at = frame.intrinsics.project(&frame.pose, world).unwrap();
        (at, pixel(&frame, at))
    }
}

fn pixel(frame: &CapturedFrame, at: Vec2) -> [f32; 3] {
    let (x, y) = (at.x as usize, at.y as usize);
    let i = (y * W as usize + x) * 4;
    [0, 1, 2].map(|c| frame.rgba[i + c] as f32 / 255.0)
}

fn chromaticity(c: [f32; 3]) -> Vec3 {
    let sum = (c[0] + c[1] + c[2]).max(1e-3);
    Vec3::new(c[0], c[1], c[2]) / sum
}

/// The colour of the part whose surface holds the equipment-local point `p`.
fn part_color_at(parts: &[Part], p: Vec3) -> [f32; 3] {
    let on = |part: &Part| match part {
        Part::Box { size, offset, .. } => {
            ((p - *offset).abs() - *size / 2.0).max_element().abs() < 1e-3
        }
        Part::Cylinder {
            radius,
            height,
            offset,
            ..
        } => {
            let d = p - *offset;
            (Vec2::new(d.x, d.z).length() - radius).abs() < 1e-3 && d.y.abs() <= height / 2.0
        }
    };
    let part = parts.iter().find(|p| on(p)).expect("marker on a part");
    match part {
        Part::Box { color, .. } | Part::Cylinder { color, .. } => parse_color(color),
    }
}

#[test]
fn frames_show_each_equipment_where_the_pinhole_model_projects_it_and_annotations_in_colour() {
    let scene = FactoryScene::load(&default_scene_path()).unwrap();
    let mut harness = harness(scene.clone());
    let frame = harness.next_frame(3);
    assert_eq!(frame.rgba.len(), (W * H * 4) as usize);

    // The sky is the clear colour, exactly.
    let sky = pixel(&frame, Vec2::new(W as f32 / 2.0, 2.0));
    let expected_sky = parse_color(&scene.sky_color);
    for c in 0..3 {
        assert!((sky[c] - expected_sky[c]).abs() < 0.02, "sky {sky:?}");
    }

    // Each equipment's marker shows that equipment's colour, shaded but not another hue.
    for equipment in &scene.equipment {
        let at = frame
            .intrinsics
            .project(&frame.pose, equipment.marker_world())
            .unwrap();
        assert!(at.x > 2.0 && at.y > 2.0 && at.x < W as f32 - 2.0 && at.y < H as f32 - 2.0);
        let seen = pixel(&frame, at);
        let expected = part_color_at(&equipment.parts, equipment.marker);
        let distance = (chromaticity(seen) - chromaticity(expected)).length();
        assert!(
            distance < 0.08,
            "{} at {at}: saw {seen:?}, its colour is {expected:?}",
            equipment.id
        );
        let from_sky = (chromaticity(seen) - chromaticity(expected_sky)).length();
        assert!(from_sky > distance, "{}: looks like sky", equipment.id);
    }

    // An annotation on the panel shows up in the rendered frame, in its colour.
    let panel = scene
        .equipment
        .iter()
        .find(|e| e.id.as_str() == "panel-1")
        .unwrap();
    harness
        .annotations
        .send(AnnotationUpdate::Added(Annotation {
            id: "a-1".into(),
            kind: AnnotationKind::Point,
            author: "p-1".into(),
            color: "#ff2d95".into(),
            anchor: Anchor::Equipment {
                equipment_id: panel.id.clone(),
                pose: panel.pose(),
            },
            points: vec![panel.marker],
            frame_rtp_timestamp: 0,
            surface: spotter_protocol::SurfaceQuality::Exact,
            acknowledged_by: None,
        }))
        .unwrap();
    let (at, seen) = harness.pixel_at(panel.marker_world());
    assert!(
        seen[0] > 0.85 && seen[1] < 0.3 && seen[2] > 0.45,
        "annotation colour at {at}: {seen:?}"
    );

    // Deleted, it is gone.
    harness
        .annotations
        .send(AnnotationUpdate::Deleted("a-1".into()))
        .unwrap();
    let (at, seen) = harness.pixel_at(panel.marker_world());
    assert!(seen[1] > 0.4, "the panel shows again at {at}: {seen:?}");
}

/// Pixels in the top-right corner of a frame (a fifth of its height, the right half of its
/// width: the row of lights) that `is` picks out.
fn in_top_right_corner(rgba: &[u8], is: impl Fn(&[u8]) -> bool) -> usize {
    assert_eq!(rgba.len(), (W * H * 4) as usize, "tightly packed rows");
    let (w, h) = (W as usize, H as usize);
    (0..h / 5)
        .flat_map(|y| (w / 2..w).map(move |x| (y * w + x) * 4))
        .filter(|&i| is(&rgba[i..i + 3]))
        .count()
}

/// The recording light's red.
fn red_in_top_right_corner(rgba: &[u8]) -> usize {
    in_top_right_corner(rgba, |p| p[0] > 200 && p[1] < 60 && p[2] < 60)
}

/// The in-the-room light's green.
fn green_in_top_right_corner(rgba: &[u8]) -> usize {
    in_top_right_corner(rgba, |p| p[0] < 90 && p[1] > 170 && p[2] < 120)
}

/// The others' blue dots.
fn blue_in_top_right_corner(rgba: &[u8]) -> usize {
    in_top_right_corner(rgba, |p| {
        p[0] < 110 && (90..200).contains(&p[1]) && p[2] > 200
    })
}

/// The mute light's amber.
fn amber_in_top_right_corner(rgba: &[u8]) -> usize {
    in_top_right_corner(rgba, |p| {
        p[0] > 200 && (120..200).contains(&p[1]) && p[2] < 60
    })
}

#[test]
fn the_recording_light_is_in_the_technicians_own_view_and_never_in_the_stream() {
    let scene = FactoryScene::load(&default_scene_path()).unwrap();
    let fov_y = scene.camera.fov_y_deg.to_radians();
    let mut harness = harness(scene);
    let own_view = harness.add_own_view(fov_y);

    let (stream, own) = harness.next_frames(&own_view, 3);
    assert_eq!(
        red_in_top_right_corner(&own),
        0,
        "no light while the room does not record"
    );
    assert_eq!(red_in_top_right_corner(&stream), 0);

    harness
        .recording
        .send(RecordingIndicator {
            recording: true,
            started_by: Some("p-2".into()),
        })
        .unwrap();
    let (stream, own) = harness.next_frames(&own_view, 2);
    let lit = red_in_top_right_corner(&own);
    // A dot about a tenth of the view's height across: several hundred pixels at 640x360.
    assert!(lit > 300, "the light in the own view: {lit} red pixels");
    assert_eq!(
        red_in_top_right_corner(&stream),
        0,
        "the stream never shows it"
    );

    harness
        .recording
        .send(RecordingIndicator::default())
        .unwrap();
    let (_, own) = harness.next_frames(&own_view, 2);
    assert_eq!(
        red_in_top_right_corner(&own),
        0,
        "off when the recording stops"
    );
}

#[test]
fn the_mute_light_shows_in_the_technicians_own_view_while_muted() {
    let scene = FactoryScene::load(&default_scene_path()).unwrap();
    let fov_y = scene.camera.fov_y_deg.to_radians();
    let mut harness = harness(scene);
    let own_view = harness.add_own_view(fov_y);

    let (_, own) = harness.next_frames(&own_view, 3);
    assert_eq!(amber_in_top_right_corner(&own), 0, "no light while talking");

    harness.muted.store(true, Ordering::Relaxed);
    let (stream, own) = harness.next_frames(&own_view, 2);
    let lit = amber_in_top_right_corner(&own);
    assert!(
        lit > 300,
        "the mute light in the own view: {lit} amber pixels"
    );
    assert_eq!(
        amber_in_top_right_corner(&stream),
        0,
        "the stream never shows it"
    );
    assert_eq!(
        red_in_top_right_corner(&own),
        0,
        "the recording light stays off"
    );

    harness.muted.store(false, Ordering::Relaxed);
    let (_, own) = harness.next_frames(&own_view, 2);
    assert_eq!(amber_in_top_right_corner(&own), 0, "off when unmuted");
}

/// The headset in the room with `n` experts.
fn in_room_with(n: usize) -> RoomStatus {
    RoomStatus {
        me: Some("p-me".into()),
        others: (0..n)
            .map(|i| Person {
                id: ParticipantId::new(format!("p-{i}")),
                name: format!("Expert {i}"),
                role: Role::Expert,
            })
            .collect(),
    }
}

/// Near-white pixels (the status panel's letters) in the top-left of a frame: the left half of
/// its width, the top third of its height.
fn white_in_top_left(rgba: &[u8]) -> usize {
    let (w, h) = (W as usize, H as usize);
    (0..h / 3)
        .flat_map(|y| (0..w / 2).map(move |x| (y * w + x) * 4))
        .filter(|&i| rgba[i..i + 3].iter().all(|&c| c > 225))
        .count()
}

#[test]
fn the_status_panel_says_who_is_in_the_room_in_the_own_view_and_never_in_the_stream() {
    let scene = FactoryScene::load(&default_scene_path()).unwrap();
    let fov_y = scene.camera.fov_y_deg.to_radians();
    let mut harness = harness(scene);
    let own_view = harness.add_own_view(fov_y);

    let (stream, own) = harness.next_frames(&own_view, 3);
    let scene_white = white_in_top_left(&stream);
    let rejoining = white_in_top_left(&own);
    harness.room_status.send_replace(in_room_with(0));
    let (stream, own) = harness.next_frames(&own_view, 2);
    let alone = white_in_top_left(&own);
    harness.room_status.send_replace(in_room_with(3));
    let (_, own) = harness.next_frames(&own_view, 2);
    let three = white_in_top_left(&own);
    println!(
        "white in the top-left: scene {scene_white}, rejoining {rejoining}, alone {alone}, three others {three}"
    );
    // Letters about 12 pixels tall at 640x360: tens of pixels fully white per line.
    assert!(
        rejoining > scene_white + 30,
        "the panel's words while out of the room: {rejoining} white pixels against the scene's {scene_white}"
    );
    assert_eq!(
        white_in_top_left(&stream),
        scene_white,
        "the stream never shows the panel"
    );
    // One line, then four (the header and three names): more letters.
    assert!(
        three > alone * 2,
        "three names: {three} white pixels against {alone} for none"
    );
}

#[test]
fn the_own_view_shows_the_headset_in_the_room_and_a_dot_for_each_other_person() {
    let scene = FactoryScene::load(&default_scene_path()).unwrap();
    let fov_y = scene.camera.fov_y_deg.to_radians();
    let mut harness = harness(scene);
    let own_view = harness.add_own_view(fov_y);

    let (_, own) = harness.next_frames(&own_view, 3);
    assert_eq!(green_in_top_right_corner(&own), 0, "not in a room yet");
    assert_eq!(blue_in_top_right_corner(&own), 0);

    harness.room_status.send_replace(in_room_with(1));
    let (stream, own) = harness.next_frames(&own_view, 2);
    let green = green_in_top_right_corner(&own);
    let one = blue_in_top_right_corner(&own);
    assert!(green > 300, "in the room: {green} green pixels");
    assert!(one > 80, "one other: {one} blue pixels");
    assert_eq!(
        green_in_top_right_corner(&stream) + blue_in_top_right_corner(&stream),
        0
    );

    harness.room_status.send_replace(in_room_with(3));
    let (_, own) = harness.next_frames(&own_view, 2);
    let three = blue_in_top_right_corner(&own);
    assert!(
        three > one * 5 / 2,
        "three others: {three} blue pixels against {one} for one"
    );

    harness.room_status.send_replace(RoomStatus::default());
    let (_, own) = harness.next_frames(&own_view, 2);
    assert_eq!(
        green_in_top_right_corner(&own),
        0,
        "out when the connection is lost"
    );
    assert_eq!(blue_in_top_right_corner(&own), 0);
}
