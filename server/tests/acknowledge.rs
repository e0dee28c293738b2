//! The technician acknowledges a mark: everyone is told, late joiners see it, and only the
//! technician may, and only a mark that is there.

mod common;

use common::marks::place_on_pump;
use common::{next_error_code, next_message};
use spotter_protocol::{ClientMessage, Role, ServerMessage};

#[tokio::test]
async fn an_acknowledged_mark_is_shown_to_everyone_and_only_the_technician_may_acknowledge() {
    let server = common::start().await;
    let (mut tom, tom_id) = server.join(Role::Technician, "Tom").await;
    let (mut ana, _) = server.join(Role::Expert, "Ana").await;
    let mark = place_on_pump(&mut ana, &mut tom, 1).await;
    assert_eq!(mark.acknowledged_by, None, "nobody has seen it yet");

    tom.send(&ClientMessage::AcknowledgeMark {
        annotation_id: mark.id.clone(),
    })
    .unwrap();
    loop {
        match next_message(&mut ana).await {
            ServerMessage::AnnotationAcknowledged { annotation_id, by } => {
                assert_eq!(
                    (annotation_id, by.as_str()),
                    (mark.id.clone(), tom_id.as_str())
                );
                break;
            }
            ServerMessage::ParticipantUpdated { .. } => {}
            other => panic!("expected annotation_acknowledged, got {other:?}"),
        }
    }
    let (_, room) = server.get("/api/rooms/demo").await;
    assert_eq!(
        room["annotations"][0]["acknowledged_by"],
        tom_id.as_str(),
        "late joiners see it too"
    );

    // An expert does not acknowledge marks; nobody acknowledges one that is not there.
    ana.send(&ClientMessage::AcknowledgeMark {
        annotation_id: mark.id.clone(),
    })
    .unwrap();
    assert_eq!(next_error_code(&mut ana).await, "forbidden");
    tom.send(&ClientMessage::AcknowledgeMark {
        annotation_id: "a-999".into(),
    })
    .unwrap();
    // The headset heard of the mark and of its own acknowledgement first.
    loop {
        match next_message(&mut tom).await {
            ServerMessage::Error { code, .. } => {
                break assert_eq!(code.as_str(), "unknown_annotation");
            }
            ServerMessage::AnnotationAdded { .. }
            | ServerMessage::AnnotationAcknowledged { .. } => {}
            other => panic!("expected the error, got {other:?}"),
        }
    }
}
