//! The headless renderer (Bevy on lavapipe when there is no GPU): its frames show the
//! equipment where the pinhole model says, and resolved annotations in their colour.
//!
//! Needs a Vulkan driver (`mesa-vulkan-drivers`); `scripts/test` installs it.

use bevy::app::PluginsState;
use bevy::prelude::App;
use glam::{Vec2, Vec3};
use spotter_headset::render::{
    AnnotationUpdate, CapturedFrame, Display, FrameClock, RenderConfig, RenderLinks, build_app,
};
use spotter_headset::scene::{FactoryScene, Part, default_scene_path, parse_color};
use spotter_protocol::{Anchor, Annotation, AnnotationKind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const W: u32 = 640;
const H: u32 = 360;

struct Harness {
    app: App,
    frames: mpsc::Receiver<CapturedFrame>,
    annotations: mpsc::Sender<AnnotationUpdate>,
}

fn harness(scene: FactoryScene) -> Harness {
    let (frames_tx, frames) = mpsc::sync_channel(1);
    let (annotations, annotations_rx) = mpsc::channel();
    let mut app = build_app(
        RenderConfig {
            width: W,
            height: H,
            fps: 30.0,
            display: Display::Headless,
            scene,
            clock: FrameClock::RealTime,
        },
        RenderLinks {
            frames: frames_tx,
            annotations: annotations_rx,
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
