//! What the headset knows of the world's surfaces, for resolving the expert's marks: a ray
//! through the picture meets the first surface it can, and every hit says how much it can be
//! trusted (`SurfaceQuality`), so that a guessed position is never shown as a measured one.
//!
//! - the virtual scene (`FactoryScene`): exact, what the wearer sees in the simulated world;
//! - the runtime's scene understanding (planes, meshes, raycasts): [`scene_understanding`]
//!   finds what the runtime offers at start-up; [`planes`] resolves on the planes of
//!   XR_EXT_plane_detection where it is offered;
//! - the fallbacks ([`fallback`]): the floor of the tracking space, then a fixed distance along
//!   the ray, both estimates.
//!
//! [`SurfaceStack`] tries them in order of trust.

pub mod fallback;
pub mod planes;
pub mod scene_understanding;

use crate::scene::FactoryScene;
use glam::Vec3;
use spotter_protocol::{EquipmentId, EquipmentInfo, Pose, SurfaceQuality};

/// Where a ray met a surface.
#[derive(Debug, Clone, PartialEq)]
pub struct SurfaceHit {
    pub point: Vec3,
    /// Along the ray from its origin, metres.
    pub distance: f32,
    /// The equipment hit, when the surface is known to belong to one.
    pub equipment: Option<EquipmentId>,
    pub quality: SurfaceQuality,
}

/// Something the headset can cast a ray against.
pub trait Surfaces: Send + Sync {
    /// The nearest surface along the ray from `origin` in unit direction `dir`.
    fn cast_ray(&self, origin: Vec3, dir: Vec3) -> Option<SurfaceHit>;

    /// Where the equipment `id` stands in the world, for marks anchored to it.
    fn equipment_pose(&self, _id: &EquipmentId) -> Option<Pose> {
        None
    }

    /// In words, for the log ("the virtual scene", "the tracking space's floor").
    fn describe(&self) -> String;
}

impl Surfaces for FactoryScene {
    fn cast_ray(&self, origin: Vec3, dir: Vec3) -> Option<SurfaceHit> {
        let hit = FactoryScene::cast_ray(self, origin, dir)?;
        Some(SurfaceHit {
            point: hit.point,
            distance: hit.distance,
            equipment: hit.equipment,
            quality: SurfaceQuality::Exact,
        })
    }

    fn equipment_pose(&self, id: &EquipmentId) -> Option<Pose> {
        self.equipment(id).map(|e| e.pose())
    }

    fn describe(&self) -> String {
        format!("the virtual scene '{}'", self.name)
    }
}

/// What the headset knows of the world it is in: the equipment it can name to the room, and
/// the surfaces it resolves marks on.
pub struct KnownWorld {
    pub equipment: Vec<EquipmentInfo>,
    pub surfaces: SurfaceStack,
}

impl KnownWorld {
    /// The virtual frame source: the scene's equipment, and the scene itself to resolve on.
    pub fn virtual_scene(scene: &FactoryScene) -> Self {
        Self {
            equipment: scene
                .equipment
                .iter()
                .map(|e| EquipmentInfo {
                    id: e.id.clone(),
                    name: e.name.clone(),
                })
                .collect(),
            surfaces: SurfaceStack::virtual_scene(scene.clone()),
        }
    }
}

impl KnownWorld {
    /// A real camera: no equipment known; the planes the runtime detects (`planes`, filled in
    /// by the OpenXR side), then the fallbacks, of a tracking space standing at
    /// `world_from_stage`.
    pub fn real_world(world_from_stage: Pose, planes: planes::DetectedPlanes) -> Self {
        Self {
            equipment: Vec::new(),
            surfaces: SurfaceStack::real_world(world_from_stage, planes),
        }
    }
}

/// Surfaces tried in turn, the most trusted first: the first that a ray meets answers.
pub struct SurfaceStack(Vec<Box<dyn Surfaces>>);

impl SurfaceStack {
    pub fn new(layers: Vec<Box<dyn Surfaces>>) -> Self {
        Self(layers)
    }

    /// The virtual frame source: the scene the wearer sees is the world, so a ray that misses
    /// it (into the sky) has nothing to land on, and no estimate stands in.
    pub fn virtual_scene(scene: FactoryScene) -> Self {
        Self::new(vec![Box::new(scene)])
    }

    /// A real camera: the planes the runtime detects (none where it offers no plane
    /// detection), then the tracking space's floor, then a fixed distance.
    pub fn real_world(world_from_stage: Pose, planes: planes::DetectedPlanes) -> Self {
        Self::new(vec![
            Box::new(planes::PlanesInWorld {
                world_from_stage,
                planes,
            }),
            Box::new(fallback::StageFloor::new(world_from_stage)),
            Box::new(fallback::AlongTheRay::default()),
        ])
    }
}

impl Surfaces for SurfaceStack {
    fn cast_ray(&self, origin: Vec3, dir: Vec3) -> Option<SurfaceHit> {
        self.0.iter().find_map(|layer| layer.cast_ray(origin, dir))
    }

    fn equipment_pose(&self, id: &EquipmentId) -> Option<Pose> {
        self.0.iter().find_map(|layer| layer.equipment_pose(id))
    }

    fn describe(&self) -> String {
        let layers: Vec<String> = self.0.iter().map(|l| l.describe()).collect();
        layers.join(", then ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::default_scene_path;

    fn scene() -> FactoryScene {
        FactoryScene::load(&default_scene_path()).unwrap()
    }

    fn toward(origin: Vec3, target: Vec3) -> Vec3 {
        (target - origin).normalize()
    }

    #[test]
    fn the_virtual_scene_is_exact_and_names_the_equipment() {
        let scene = scene();
        let pump = scene.equipment.first().unwrap();
        let eye = Vec3::new(0.0, 1.6, 4.0);
        let hit = Surfaces::cast_ray(&scene, eye, toward(eye, pump.marker_world())).unwrap();
        assert_eq!(hit.quality, SurfaceQuality::Exact);
        assert_eq!(hit.equipment.as_ref(), Some(&pump.id));
        assert_eq!(
            SurfaceStack::virtual_scene(scene.clone()).equipment_pose(&pump.id),
            Some(pump.pose())
        );
    }

    #[test]
    fn in_the_virtual_world_a_ray_into_the_sky_lands_nowhere() {
        let stack = SurfaceStack::virtual_scene(scene());
        let eye = Vec3::new(0.0, 1.6, 4.0);
        assert_eq!(stack.cast_ray(eye, Vec3::Y), None);
    }

    #[test]
    fn in_the_real_world_the_floor_answers_before_the_fixed_distance() {
        let stack = SurfaceStack::real_world(Pose::IDENTITY, Default::default());
        let eye = Vec3::new(0.0, 1.6, 0.0);
        let down_ahead = Vec3::new(0.0, -1.0, -1.0).normalize();
        let on_floor = stack.cast_ray(eye, down_ahead).unwrap();
        assert!(on_floor.point.y.abs() < 1e-5, "{on_floor:?}");
        assert!((on_floor.point.z + 1.6).abs() < 1e-4, "{on_floor:?}");
        assert_eq!(on_floor.quality, SurfaceQuality::Estimate);
        assert_eq!(on_floor.equipment, None);
        // Level or upwards, the floor is never met: the ray's fixed distance answers.
        let ahead = stack.cast_ray(eye, Vec3::NEG_Z).unwrap();
        assert_eq!(ahead.distance, fallback::ALONG_THE_RAY_M);
        assert_eq!(ahead.quality, SurfaceQuality::Estimate);
        assert_eq!(
            stack.describe(),
            "the planes the runtime detected, then the tracking space's floor, then 1.5 m along \
             the ray"
        );
    }

    #[test]
    fn in_the_real_world_a_detected_plane_answers_before_the_floor() {
        let planes = planes::DetectedPlanes::default();
        let stack = SurfaceStack::real_world(Pose::IDENTITY, planes.clone());
        let eye = Vec3::new(0.0, 1.6, 0.0);
        let down_ahead = Vec3::new(0.0, -1.0, -1.0).normalize();
        assert_eq!(
            stack.cast_ray(eye, down_ahead).map(|h| h.quality),
            Some(SurfaceQuality::Estimate)
        );
        // A bench top at 0.8 m, 1 m ahead, under the same ray.
        planes.replace(vec![planes::DetectedPlane {
            stage_from_plane: Pose::new(Vec3::new(0.0, 0.8, -0.8), glam::Quat::IDENTITY),
            width: 1.0,
            depth: 0.6,
        }]);
        let on_bench = stack.cast_ray(eye, down_ahead).unwrap();
        assert_eq!(on_bench.quality, SurfaceQuality::Plane);
        assert!((on_bench.point.y - 0.8).abs() < 1e-4, "{on_bench:?}");
    }

    #[test]
    fn the_first_layer_a_ray_meets_answers_even_when_a_later_one_is_nearer() {
        // The exact scene comes first: its far wall wins over a nearer guess.
        let stack = SurfaceStack::new(vec![
            Box::new(scene()),
            Box::new(fallback::AlongTheRay::default()),
        ]);
        let eye = Vec3::new(0.0, 1.6, 4.0);
        let hit = stack
            .cast_ray(eye, Vec3::new(0.0, -0.2, -1.0).normalize())
            .unwrap();
        assert_eq!(hit.quality, SurfaceQuality::Exact);
        assert!(hit.distance > fallback::ALONG_THE_RAY_M, "{hit:?}");
    }
}
