//! The factory scene of the simulated headset, loaded from `assets/factory.json`, and exact ray
//! casting against it. The renderer draws the same shapes, so what the expert sees is what a
//! ray hits.

use glam::{Quat, Vec3};
use serde::Deserialize;
use spotter_protocol::{EquipmentId, Pose};
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
pub struct FactoryScene {
    pub name: String,
    pub sky_color: String,
    pub floor: Floor,
    pub equipment: Vec<Equipment>,
    pub camera: CameraScript,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Floor {
    pub half_size: f32,
    pub color: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Equipment {
    pub id: EquipmentId,
    pub name: String,
    pub position: Vec3,
    /// Rotation about +Y, degrees.
    pub yaw_deg: f32,
    /// A point on the equipment's surface, in its local frame (used by tests and demos).
    pub marker: Vec3,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum Part {
    /// An axis-aligned box (in the equipment's frame) of full extents `size`.
    Box {
        size: Vec3,
        offset: Vec3,
        color: String,
    },
    /// A cylinder along the equipment's +Y axis.
    Cylinder {
        radius: f32,
        height: f32,
        offset: Vec3,
        color: String,
    },
}

/// The scripted look-around of the simulated technician.
#[derive(Debug, Clone, Deserialize)]
pub struct CameraScript {
    pub position: Vec3,
    pub look_at: Vec3,
    pub sweep_deg: f32,
    pub period_s: f32,
    pub fov_y_deg: f32,
}

impl Equipment {
    pub fn pose(&self) -> Pose {
        Pose::new(
            self.position,
            Quat::from_rotation_y(self.yaw_deg.to_radians()),
        )
    }

    pub fn marker_world(&self) -> Vec3 {
        self.pose().to_world(self.marker)
    }
}

/// What a ray hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub point: Vec3,
    pub distance: f32,
    /// `None` for the floor.
    pub equipment: Option<EquipmentId>,
}

/// Rays hit nothing beyond this distance (metres).
pub const MAX_RAY_DISTANCE: f32 = 50.0;

impl FactoryScene {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let scene: Self = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not a valid scene: {e}", path.display()))?;
        Ok(scene)
    }

    pub fn equipment(&self, id: &EquipmentId) -> Option<&Equipment> {
        self.equipment.iter().find(|e| &e.id == id)
    }

    /// The nearest surface along the ray from `origin` in unit direction `dir`.
    pub fn cast_ray(&self, origin: Vec3, dir: Vec3) -> Option<Hit> {
        let mut best: Option<Hit> = None;
        let mut consider = |distance: f32, equipment: Option<&EquipmentId>| {
            if distance > 0.0
                && distance < MAX_RAY_DISTANCE
                && best.as_ref().is_none_or(|b| distance < b.distance)
            {
                best = Some(Hit {
                    point: origin + dir * distance,
                    distance,
                    equipment: equipment.cloned(),
                });
            }
        };
        for equipment in &self.equipment {
            let pose = equipment.pose();
            let local_origin = pose.to_local(origin);
            let local_dir = pose.rotation.inverse() * dir;
            for part in &equipment.parts {
                if let Some(t) = part.intersect(local_origin, local_dir) {
                    consider(t, Some(&equipment.id));
                }
            }
        }
        if dir.y.abs() > 1e-6 {
            let t = -origin.y / dir.y;
            let p = origin + dir * t;
            if p.x.abs() <= self.floor.half_size && p.z.abs() <= self.floor.half_size {
                consider(t, None);
            }
        }
        best
    }
}

impl Part {
    /// Distance along the ray to the part's surface (the ray given in the equipment's frame).
    fn intersect(&self, origin: Vec3, dir: Vec3) -> Option<f32> {
        match self {
            Part::Box { size, offset, .. } => ray_box(origin - *offset, dir, *size / 2.0),
            Part::Cylinder {
                radius,
                height,
                offset,
                ..
            } => ray_cylinder(origin - *offset, dir, *radius, height / 2.0),
        }
    }
}

/// Slab test against the box `[-half, half]`; the entry distance, or the exit distance when
/// the origin is inside.
fn ray_box(origin: Vec3, dir: Vec3, half: Vec3) -> Option<f32> {
    let mut near = f32::NEG_INFINITY;
    let mut far = f32::INFINITY;
    for axis in 0..3 {
        let (o, d, h) = (origin[axis], dir[axis], half[axis]);
        if d.abs() < 1e-9 {
            if o.abs() > h {
                return None;
            }
            continue;
        }
        let (a, b) = ((-h - o) / d, (h - o) / d);
        near = near.max(a.min(b));
        far = far.min(a.max(b));
    }
    if near > far || far < 0.0 {
        return None;
    }
    Some(if near >= 0.0 { near } else { far })
}

/// A closed cylinder about the Y axis, radius `r`, from `-half_height` to `half_height`.
fn ray_cylinder(origin: Vec3, dir: Vec3, r: f32, half_height: f32) -> Option<f32> {
    let mut best: Option<f32> = None;
    let mut keep = |t: f32| {
        if t >= 0.0 && best.is_none_or(|b| t < b) {
            best = Some(t);
        }
    };
    // The side: (ox + t dx)^2 + (oz + t dz)^2 = r^2.
    let a = dir.x * dir.x + dir.z * dir.z;
    if a > 1e-12 {
        let b = 2.0 * (origin.x * dir.x + origin.z * dir.z);
        let c = origin.x * origin.x + origin.z * origin.z - r * r;
        let disc = b * b - 4.0 * a * c;
        if disc >= 0.0 {
            let sq = disc.sqrt();
            for t in [(-b - sq) / (2.0 * a), (-b + sq) / (2.0 * a)] {
                if (origin.y + t * dir.y).abs() <= half_height {
                    keep(t);
                }
            }
        }
    }
    // The caps.
    if dir.y.abs() > 1e-9 {
        for cap in [-half_height, half_height] {
            let t = (cap - origin.y) / dir.y;
            let p = origin + dir * t;
            if p.x * p.x + p.z * p.z <= r * r {
                keep(t);
            }
        }
    }
    best
}

/// Parses `#rrggbb` into linear-free sRGB components in `0..1`.
pub fn parse_color(hex: &str) -> [f32; 3] {
    let channel = |i: usize| {
        hex.get(1 + 2 * i..3 + 2 * i)
            .and_then(|s| u8::from_str_radix(s, 16).ok())
            .unwrap_or(255) as f32
            / 255.0
    };
    [channel(0), channel(1), channel(2)]
}

/// The demo scene shipped in `assets/`: from the repository's root (where the scripts run), or
/// from this package's directory (where `cargo test` runs). Looked up at run time, never baked in
/// at compile time: clones at other paths may share one target directory.
pub fn default_scene_path() -> std::path::PathBuf {
    let local = Path::new("assets/factory.json");
    if local.exists() {
        return local.to_path_buf();
    }
    match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => Path::new(&dir).join("../assets/factory.json"),
        None => local.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene() -> FactoryScene {
        FactoryScene::load(&default_scene_path()).unwrap()
    }

    #[test]
    fn a_ray_at_each_marker_hits_that_equipment_at_the_marker() {
        let scene = scene();
        let eye = scene.camera.position;
        for equipment in &scene.equipment {
            let target = equipment.marker_world();
            let hit = scene
                .cast_ray(eye, (target - eye).normalize())
                .unwrap_or_else(|| panic!("no hit towards {}", equipment.id));
            assert_eq!(hit.equipment.as_ref(), Some(&equipment.id));
            assert!(
                (hit.point - target).length() < 1e-3,
                "{}: hit {} instead of {}",
                equipment.id,
                hit.point,
                target
            );
        }
    }

    #[test]
    fn rays_into_the_sky_hit_nothing_and_down_hit_the_floor() {
        let scene = scene();
        assert_eq!(scene.cast_ray(Vec3::new(0.0, 1.6, 3.0), Vec3::Y), None);
        let hit = scene
            .cast_ray(Vec3::new(0.0, 1.6, 3.0), Vec3::NEG_Y)
            .unwrap();
        assert_eq!(hit.equipment, None);
        assert!((hit.point - Vec3::new(0.0, 0.0, 3.0)).length() < 1e-5);
    }

    #[test]
    fn box_and_cylinder_intersections_are_exact() {
        let t = ray_box(Vec3::new(0.0, 0.0, 5.0), Vec3::NEG_Z, Vec3::splat(1.0)).unwrap();
        assert!((t - 4.0).abs() < 1e-6);
        assert_eq!(
            ray_box(Vec3::new(3.0, 0.0, 5.0), Vec3::NEG_Z, Vec3::ONE),
            None
        );
        let t = ray_cylinder(Vec3::new(5.0, 0.2, 0.0), Vec3::NEG_X, 0.5, 1.0).unwrap();
        assert!((t - 4.5).abs() < 1e-6, "side {t}");
        let t = ray_cylinder(Vec3::new(0.1, 5.0, 0.0), Vec3::NEG_Y, 0.5, 1.0).unwrap();
        assert!((t - 4.0).abs() < 1e-6, "cap {t}");
        assert_eq!(
            ray_cylinder(Vec3::new(5.0, 2.0, 0.0), Vec3::NEG_X, 0.5, 1.0),
            None,
            "passes above"
        );
    }
}
