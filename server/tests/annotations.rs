//! The annotation flow through the server: expert → headset → everyone, late joiners,
//! deletion, failures, and persistence across a restart.

mod common;

use common::marks::{added, on_pump, place_on_pump, point_at, resolve_request};
use common::{next_error_code, next_message};
use spotter_protocol::{ClientMessage, ErrorCode, Role, ServerMessage};

#[tokio::test]
async fn a_resolved_annotation_reaches_everyone_late_joiners_and_the_api() {
    let server = common::start().await;
    let (mut technician, _) = server.join(Role::Technician, "Tom").await;
    let (mut expert, expert_id) = server.join(Role::Expert, "Ana").await;

    expert.send(&point_at(0.5, 0.5, 7)).unwrap();
    match next_message(&mut expert).await {
        ServerMessage::AnnotationAccepted { client_ref, .. } => assert_eq!(client_ref, 7),
        other => panic!("{other:?}"),
    }
    let request = resolve_request(&mut technician).await;
    assert_eq!(request.author.as_str(), expert_id);
    technician
        .send(&ClientMessage::Resolved {
            annotation: on_pump(&request),
        })
        .unwrap();
    let seen_by_expert = added(&mut expert).await;
    let seen_by_headset = added(&mut technician).await;
    assert_eq!(seen_by_expert, seen_by_headset);
    assert_eq!(
        seen_by_expert.anchor.equipment_id().unwrap().as_str(),
        "pump-1"
    );

    let (status, room) = server.get("/api/rooms/demo").await;
    assert_eq!(status, 200);
    assert_eq!(room["annotations"][0]["anchor"]["equipment_id"], "pump-1");
    assert_eq!(room["annotations"][0]["points"][0][1], 0.6);
    assert_eq!(server.roles_in_demo().await, ["technician", "expert"]);

    // A second expert joining later gets everything in its snapshot.
    let mut late = server.connect().await;
    let joined = late
        .join("demo", &server.token("demo", Role::Expert), "Ben")
        .await
        .unwrap();
    assert_eq!(joined.snapshot.annotations, vec![seen_by_expert.clone()]);

    // Deleting removes it everywhere; the room stays.
    late.send(&ClientMessage::DeleteAnnotation {
        annotation_id: seen_by_expert.id.clone(),
    })
    .unwrap();
    for signaling in [&mut expert, &mut technician, &mut late] {
        match next_message(signaling).await {
            ServerMessage::AnnotationDeleted { annotation_id, .. } => {
                assert_eq!(annotation_id, seen_by_expert.id)
            }
            other => panic!("{other:?}"),
        }
    }
    let (_, room) = server.get("/api/rooms/demo").await;
    assert_eq!(room["annotations"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_failed_resolution_tells_its_author_and_adds_nothing() {
    let server = common::start().await;
    let (mut technician, _) = server.join(Role::Technician, "Tom").await;
    let (mut expert, _) = server.join(Role::Expert, "Ana").await;
    expert.send(&point_at(0.5, 0.02, 3)).unwrap();
    let request = resolve_request(&mut technician).await;
    technician
        .send(&ClientMessage::ResolveFailed {
            annotation_id: request.annotation_id.clone(),
            code: ErrorCode::NoSurface,
            message: "there is no surface under that point".into(),
        })
        .unwrap();
    loop {
        match next_message(&mut expert).await {
            ServerMessage::AnnotationAccepted { .. } => continue,
            ServerMessage::Error {
                code,
                client_ref,
                annotation_id,
                ..
            } => {
                assert_eq!(code, ErrorCode::NoSurface);
                assert_eq!(client_ref, Some(3));
                assert_eq!(annotation_id, Some(request.annotation_id.clone()));
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    // A late answer for the same request is refused, and nothing was added.
    technician
        .send(&ClientMessage::Resolved {
            annotation: on_pump(&request),
        })
        .unwrap();
    assert_eq!(next_error_code(&mut technician).await, "unknown_annotation");
    let (_, room) = server.get("/api/rooms/demo").await;
    assert_eq!(room["annotations"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_participant_who_leaves_is_removed_and_the_room_keeps_its_annotations() {
    let server = common::start().await;
    let (mut technician, _) = server.join(Role::Technician, "Tom").await;
    let (mut expert, expert_id) = server.join(Role::Expert, "Ana").await;
    place_on_pump(&mut expert, &mut technician, 1).await;
    drop(expert);
    // The technician hears that the expert left.
    loop {
        match technician
            .recv_timeout(std::time::Duration::from_secs(10))
            .await
            .unwrap()
        {
            ServerMessage::ParticipantLeft { participant_id } => {
                assert_eq!(participant_id.as_str(), expert_id);
                break;
            }
            _ => continue,
        }
    }
    let (_, room) = server.get("/api/rooms/demo").await;
    assert_eq!(room["participants"].as_array().unwrap().len(), 1);
    assert_eq!(room["annotations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn annotations_and_deletions_persist_across_a_server_restart() {
    let server = common::start().await;
    let (mut technician, _) = server.join(Role::Technician, "Tom").await;
    let (mut expert, _) = server.join(Role::Expert, "Ana").await;
    let mut ids = Vec::new();
    for client_ref in 0..3 {
        ids.push(
            place_on_pump(&mut expert, &mut technician, client_ref)
                .await
                .id,
        );
    }
    // Delete the newest: its id must not come back for a new mark after the restart.
    expert
        .send(&ClientMessage::DeleteAnnotation {
            annotation_id: ids[2].clone(),
        })
        .unwrap();
    assert!(matches!(
        next_message(&mut expert).await,
        ServerMessage::AnnotationDeleted { .. }
    ));
    let (_, before) = server.get("/api/rooms/demo").await;
    let data_dir = server.stop().await;
    // Everyone was told before the connections closed.
    for signaling in [&mut expert, &mut technician] {
        loop {
            match signaling.recv().await {
                Some(ServerMessage::Closing { message }) => {
                    assert!(message.contains("shutting down"));
                    break;
                }
                Some(_) => continue,
                None => panic!("closed without a notice"),
            }
        }
    }

    let restarted = common::start_with_data_dir(Some(data_dir)).await;
    let (_, after) = restarted.get("/api/rooms/demo").await;
    assert_eq!(after["annotations"], before["annotations"]);
    assert_eq!(after["version"], 4, "three additions and a deletion");
    let (mut technician, _) = restarted.join(Role::Technician, "Tom").await;
    let (expert, _) = restarted.join(Role::Expert, "Ana").await;
    expert.send(&point_at(0.5, 0.5, 9)).unwrap();
    let request = resolve_request(&mut technician).await;
    assert!(
        !ids.contains(&request.annotation_id),
        "{} was handed out again",
        request.annotation_id
    );
}
