//! Resolving strokes: a mark at the pixel of a piece of equipment anchors to that equipment
//! at the true surface point, through the pose of the frame it was drawn on.

use glam::{Quat, Vec2, Vec3};
use spotter_headset::frame_history::FrameHistory;
use spotter_headset::resolve::resolve;
use spotter_headset::scene::{Equipment, FactoryScene, default_scene_path};
use spotter_headset::surfaces::SurfaceStack;
use spotter_headset::surfaces::planes::{DetectedPlane, DetectedPlanes};
use spotter_protocol::{
    AnnotationKind, AnnotationRequest, ErrorCode, FrameMeta, Pose, ResolveRequest, SurfaceQuality,
};

fn scene() -> FactoryScene {
    FactoryScene::load(&default_scene_path()).unwrap()
}

fn named<'a>(scene: &'a FactoryScene, id: &str) -> &'a Equipment {
    scene
        .equipment
        .iter()
        .find(|e| e.id.as_str() == id)
        .unwrap()
}

/// Ten seconds of the scripted look-around at 30 frames per second.
fn history(scene: &FactoryScene) -> FrameHistory {
    let mut history = FrameHistory::default();
    for i in 0..300u32 {
        let t = i as f32 / 30.0;
        history.push(FrameMeta {
            rtp_timestamp: 1_000 + i * 3000,
            pose: scene.camera.pose_at(t),
            intrinsics: scene.camera.intrinsics(1280, 720),
            capture_time_us: 1_000_000 + (t * 1e6) as u64,
        });
    }
    history
}

fn request(kind: AnnotationKind, frame: &FrameMeta, points: Vec<Vec2>) -> ResolveRequest {
    ResolveRequest {
        annotation_id: "a-1".into(),
        author: "p-1".into(),
        request: AnnotationRequest {
            kind,
            frame_rtp_timestamp: frame.rtp_timestamp,
            points,
            color: "#ff2d95".into(),
        },
    }
}

fn normalized(frame: &FrameMeta, world: Vec3) -> Vec2 {
    let pixel = frame.intrinsics.project(&frame.pose, world).unwrap();
    pixel
        / Vec2::new(
            frame.intrinsics.width as f32,
            frame.intrinsics.height as f32,
        )
}

#[test]
fn a_point_on_each_equipment_anchors_to_it_within_a_centimetre() {
    let scene = scene();
    let history = history(&scene);
    // Frames from the last five seconds, at different head poses; equipment out of view on
    // a frame is checked on others.
    let mut checked = std::collections::HashMap::new();
    for i in (150..300).step_by(10) {
        let frame = *history.get(1_000 + i * 3000).unwrap();
        for equipment in &scene.equipment {
            let truth = equipment.marker_world();
            let uv = normalized(&frame, truth);
            if !((0.02..=0.98).contains(&uv.x) && (0.02..=0.98).contains(&uv.y)) {
                continue;
            }
            let annotation = resolve(
                &request(AnnotationKind::Point, &frame, vec![uv]),
                &history,
                &scene,
            )
            .unwrap();
            assert_eq!(annotation.anchor.equipment_id(), Some(&equipment.id));
            assert_eq!(annotation.surface, SurfaceQuality::Exact);
            let placed = annotation.world_points()[0];
            assert!(
                (placed - truth).length() < 0.01,
                "{}: placed {placed}, true surface point {truth}",
                equipment.id
            );
            // Stored in the equipment's frame: moving the equipment moves the mark with it.
            let local = annotation.points[0];
            assert!((local - equipment.marker).length() < 0.01);
            *checked.entry(equipment.id.clone()).or_insert(0) += 1;
        }
    }
    for equipment in &scene.equipment {
        assert!(
            checked.get(&equipment.id).copied().unwrap_or(0) >= 3,
            "{} rarely in view",
            equipment.id
        );
    }
}

#[test]
fn the_pose_of_the_frame_drawn_on_is_used_not_the_latest() {
    let scene = scene();
    let history = history(&scene);
    let old = *history.get(1_000 + 160 * 3000).unwrap();
    let latest = *history.latest().unwrap();
    let panel = named(&scene, "panel-1");
    let uv = normalized(&old, panel.marker_world());
    assert!(
        (normalized(&latest, panel.marker_world()) - uv).length() > 0.02,
        "the head moved between the two frames"
    );
    let annotation = resolve(
        &request(AnnotationKind::Point, &old, vec![uv]),
        &history,
        &scene,
    )
    .unwrap();
    assert!((annotation.world_points()[0] - panel.marker_world()).length() < 0.01);
}

#[test]
fn an_arrow_keeps_its_head_on_the_equipment_and_its_drawn_direction() {
    let scene = scene();
    let history = history(&scene);
    let frame = *history.latest().unwrap();
    let pump = named(&scene, "pump-1");
    let head = normalized(&frame, pump.marker_world());
    let tail = head + Vec2::new(0.1, -0.15);
    let annotation = resolve(
        &request(AnnotationKind::Arrow, &frame, vec![tail, head]),
        &history,
        &scene,
    )
    .unwrap();
    assert_eq!(annotation.kind, AnnotationKind::Arrow);
    let [tail_world, head_world] = annotation.world_points()[..] else {
        panic!("two points")
    };
    assert!((head_world - pump.marker_world()).length() < 0.01);
    // The tail projects back where it was drawn.
    let drawn_tail = normalized(&frame, tail_world);
    assert!(
        (drawn_tail - tail).length() < 1e-3,
        "{drawn_tail} vs {tail}"
    );
}

#[test]
fn sky_and_forgotten_frames_fail_with_their_own_codes() {
    let scene = scene();
    let history = history(&scene);
    let frame = *history.latest().unwrap();
    let sky = resolve(
        &request(AnnotationKind::Point, &frame, vec![Vec2::new(0.5, 0.01)]),
        &history,
        &scene,
    )
    .unwrap_err();
    assert_eq!(sky.code, ErrorCode::NoSurface);

    let mut gone = *history.get(1_000).unwrap_or(&frame);
    gone.rtp_timestamp = 1_000; // ten seconds old: no longer held
    let err = resolve(
        &request(AnnotationKind::Point, &gone, vec![Vec2::new(0.5, 0.5)]),
        &history,
        &scene,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::FrameGone);
    assert!(err.message.contains("1000"), "{}", err.message);
}

#[test]
fn off_the_virtual_scene_a_mark_lands_on_the_floor_or_ahead_and_says_it_is_an_estimate() {
    // A real camera: the headset knows nothing of the equipment, only its tracking space.
    let scene = scene();
    let history = history(&scene);
    let frame = *history.latest().unwrap();
    let stage_floor = Pose::IDENTITY;
    let surfaces = SurfaceStack::real_world(stage_floor, Default::default());
    let pump = named(&scene, "pump-1");
    let at_pump = resolve(
        &request(
            AnnotationKind::Point,
            &frame,
            vec![normalized(&frame, pump.marker_world())],
        ),
        &history,
        &surfaces,
    )
    .unwrap();
    assert_eq!(at_pump.surface, SurfaceQuality::Estimate);
    assert_eq!(at_pump.anchor.equipment_id(), None);
    let placed = at_pump.world_points()[0];
    assert!(
        placed.y.abs() < 1e-3,
        "the ray down towards the pump meets the floor behind it: {placed}"
    );
    // Into the sky: nothing measured, no floor; a fixed distance ahead, still placed.
    let sky = resolve(
        &request(AnnotationKind::Point, &frame, vec![Vec2::new(0.5, 0.01)]),
        &history,
        &surfaces,
    )
    .unwrap();
    assert_eq!(sky.surface, SurfaceQuality::Estimate);
    let ahead = sky.world_points()[0] - frame.pose.position;
    assert!((ahead.length() - 1.5).abs() < 1e-3, "{ahead}");
}

#[test]
fn on_a_plane_the_runtime_detected_a_mark_lands_on_it_and_says_plane() {
    // A real camera, and the runtime has detected the pump's front as a plane facing the
    // camera: the mark lands on the plane, not on the floor behind it.
    let scene = scene();
    let history = history(&scene);
    let frame = *history.latest().unwrap();
    let pump = named(&scene, "pump-1");
    let marker = pump.marker_world();
    let toward_camera = (frame.pose.position - marker).normalize();
    let planes = DetectedPlanes::default();
    planes.replace(vec![DetectedPlane {
        // The plane's normal (+Y) toward the camera.
        stage_from_plane: Pose::new(marker, Quat::from_rotation_arc(Vec3::Y, toward_camera)),
        width: 0.5,
        depth: 0.5,
    }]);
    let surfaces = SurfaceStack::real_world(Pose::IDENTITY, planes);
    let mark = resolve(
        &request(
            AnnotationKind::Point,
            &frame,
            vec![normalized(&frame, marker)],
        ),
        &history,
        &surfaces,
    )
    .unwrap();
    assert_eq!(mark.surface, SurfaceQuality::Plane);
    assert_eq!(mark.anchor.equipment_id(), None);
    let placed = mark.world_points()[0];
    assert!(
        placed.distance(marker) < 2e-3,
        "{placed} vs the marker {marker}"
    );
}
