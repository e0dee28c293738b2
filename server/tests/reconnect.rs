//! A participant whose connection was lost joins again and replaces its old self, so a headset
//! back from a dead spot is not refused as a second technician.

mod common;

use spotter_protocol::{Role, ServerMessage};
use std::time::Duration;

#[tokio::test]
async fn a_rejoin_with_the_resume_key_replaces_the_old_participant_and_nobody_else_can() {
    let server = common::start().await;
    let token = server.token("demo", Role::Technician);
    let mut old = server.connect().await;
    let first = old.join("demo", &token, "Tom").await.unwrap();
    let (mut expert, _) = server.join(Role::Expert, "Ana").await;

    // Without the key, or with another identity's token, the room keeps its technician.
    let mut stranger = server.connect().await;
    let refused = stranger
        .join_again("demo", &token, "Tom", Some("not-the-key".into()))
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("technician_present"), "{refused}");
    let other_identity = server.token_for("demo", Role::Technician, "someone-else");
    let refused = stranger
        .join_again(
            "demo",
            &other_identity,
            "Tim",
            Some(first.resume_key.clone()),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("technician_present"), "{refused}");

    // The headset, back on a new connection with its key, takes its own place.
    let mut new = server.connect().await;
    let second = new
        .join_again("demo", &token, "Tom", Some(first.resume_key.clone()))
        .await
        .unwrap();
    assert_ne!(second.participant_id, first.participant_id);
    let technicians: Vec<_> = second
        .snapshot
        .participants
        .iter()
        .filter(|p| p.role == Role::Technician)
        .map(|p| p.id.clone())
        .collect();
    assert_eq!(technicians, std::slice::from_ref(&second.participant_id));

    // The old connection is told; the expert sees the old one leave and the new one arrive.
    let told = loop {
        match old.recv_timeout(Duration::from_secs(5)).await.unwrap() {
            ServerMessage::Closing { message } => break message,
            _ => continue,
        }
    };
    assert!(told.contains("joined again"), "{told}");
    let mut left = None;
    let mut joined = None;
    while left.is_none() || joined.is_none() {
        match expert.recv_timeout(Duration::from_secs(5)).await.unwrap() {
            ServerMessage::ParticipantLeft { participant_id } => left = Some(participant_id),
            ServerMessage::ParticipantJoined { participant }
                if participant.role == Role::Technician =>
            {
                joined = Some(participant.id)
            }
            _ => {}
        }
    }
    assert_eq!(left, Some(first.participant_id));
    assert_eq!(joined, Some(second.participant_id));

    // The old connection closing later does not remove the new one.
    drop(old);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.roles_in_demo().await, ["expert", "technician"]);
}
