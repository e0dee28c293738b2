//! The wearer acknowledges the newest mark they have not acknowledged yet (a controller button,
//! or `ack` on standard input): the expert sees it is seen and being worked on.

use spotter_protocol::{Annotation, AnnotationId, ServerMessage};

/// The room's live marks in the order they came, and whether each is acknowledged.
#[derive(Debug, Default)]
pub struct RoomMarks(Vec<(AnnotationId, bool)>);

impl RoomMarks {
    /// The marks of a join's snapshot.
    pub fn new(annotations: &[Annotation]) -> Self {
        Self(
            annotations
                .iter()
                .map(|a| (a.id.clone(), a.acknowledged_by.is_some()))
                .collect(),
        )
    }

    /// Follows a message from the server.
    pub fn follow(&mut self, message: &ServerMessage) {
        match message {
            ServerMessage::AnnotationAdded { annotation } => {
                self.0.retain(|(id, _)| id != &annotation.id);
                self.0
                    .push((annotation.id.clone(), annotation.acknowledged_by.is_some()));
            }
            ServerMessage::AnnotationDeleted { annotation_id, .. } => {
                self.0.retain(|(id, _)| id != annotation_id);
            }
            ServerMessage::AnnotationAcknowledged { annotation_id, .. } => {
                for (id, acknowledged) in &mut self.0 {
                    *acknowledged |= id == annotation_id;
                }
            }
            _ => {}
        }
    }

    /// The mark an acknowledgement is for: the newest not acknowledged yet.
    pub fn to_acknowledge(&self) -> Option<&AnnotationId> {
        self.0
            .iter()
            .rev()
            .find(|(_, done)| !done)
            .map(|(id, _)| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(id: &str) -> ServerMessage {
        let mut annotation: Annotation = serde_json::from_value(serde_json::json!({
            "id": id, "kind": "point", "author": "p-1", "color": "#ff2d95",
            "anchor": {"type": "world", "pose": {"position": [0, 0, 0], "rotation": [0, 0, 0, 1]}},
            "points": [[0, 0, 0]], "frame_rtp_timestamp": 1
        }))
        .unwrap();
        annotation.id = id.into();
        ServerMessage::AnnotationAdded { annotation }
    }

    #[test]
    fn each_acknowledgement_goes_to_the_newest_mark_not_yet_acknowledged() {
        let mut marks = RoomMarks::default();
        assert_eq!(marks.to_acknowledge(), None, "nothing to acknowledge");
        marks.follow(&added("a-1"));
        marks.follow(&added("a-2"));
        assert_eq!(marks.to_acknowledge().map(|a| a.as_str()), Some("a-2"));
        marks.follow(&ServerMessage::AnnotationAcknowledged {
            annotation_id: "a-2".into(),
            by: "p-9".into(),
        });
        assert_eq!(marks.to_acknowledge().map(|a| a.as_str()), Some("a-1"));
        marks.follow(&ServerMessage::AnnotationDeleted {
            annotation_id: "a-1".into(),
            by: "p-1".into(),
        });
        assert_eq!(marks.to_acknowledge(), None);
    }
}
