//! `--frame-records FILE`: one JSON line per streamed frame with the pose it was stamped with
//! and its times, and for a tracked head what the runtime said. Tests compare them with the
//! runtime's own poses read by another process; a person can see what the headset streamed.

use crate::render::TrackingStamp;
use serde::Serialize;
use spotter_protocol::Pose;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct FrameRecord {
    pub capture_time_us: u64,
    /// The camera's pose in the world: the frame's metadata.
    pub pose: Pose,
    pub tracking: Option<TrackingStamp>,
}

pub struct FrameRecords {
    out: BufWriter<File>,
}

impl FrameRecords {
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let file = File::create(path).map_err(|e| {
            anyhow::anyhow!("cannot write the frame records to {}: {e}", path.display())
        })?;
        Ok(Self {
            out: BufWriter::new(file),
        })
    }

    /// Writes one line, flushed: a reader can follow the file while the headset runs.
    pub fn write(&mut self, record: &FrameRecord) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, record)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::{Quat, Vec3};

    #[test]
    fn each_frame_is_one_json_line_with_its_pose_and_times() {
        let dir = std::env::temp_dir().join(format!("spotter-records-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("frames.jsonl");
        let mut records = FrameRecords::create(&path).unwrap();
        let head = Pose::new(Vec3::new(0.0, 1.6, 0.0), Quat::from_rotation_y(0.5));
        for (i, tracking) in [
            None,
            Some(TrackingStamp {
                runtime_time_ns: 7_000,
                monotonic_ns: 9_000,
                head_in_stage: head,
            }),
        ]
        .into_iter()
        .enumerate()
        {
            records
                .write(&FrameRecord {
                    capture_time_us: 100 + i as u64,
                    pose: head,
                    tracking,
                })
                .unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["capture_time_us"], 100);
        assert!(lines[0]["tracking"].is_null());
        assert_eq!(lines[1]["tracking"]["monotonic_ns"], 9_000);
        let rotation: Vec<f32> =
            serde_json::from_value(lines[1]["tracking"]["head_in_stage"]["rotation"].clone())
                .unwrap();
        assert!((Quat::from_slice(&rotation).angle_between(head.rotation)).abs() < 1e-5);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_that_cannot_be_made_says_where() {
        let err = FrameRecords::create(Path::new("/nonexistent-dir/frames.jsonl"))
            .err()
            .expect("no such directory");
        assert!(
            err.to_string().contains("/nonexistent-dir/frames.jsonl"),
            "{err}"
        );
    }
}
