//! Limits reached give their own error, and the connection stays usable.

mod common;

use common::next_message;
use spotter_protocol::{ClientMessage, ErrorCode, Role, ServerMessage};
use std::time::Duration;

#[tokio::test]
async fn a_full_room_refuses_one_more_participant() {
    let server = common::start_with(None, |c| c.limits.participants_per_room = 2).await;
    let _a = server.join(Role::Technician, "Tom").await;
    let _b = server.join(Role::Expert, "Ana").await;
    let mut third = server.connect().await;
    let refused = third
        .join("demo", &server.token("demo", Role::Expert), "Ben")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("limit_reached"), "{refused}");
    assert!(refused.to_string().contains("at most 2"), "{refused}");
    // Another room still has room.
    assert!(
        third
            .join("other", &server.token("other", Role::Expert), "Ben")
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_flood_of_messages_is_throttled_with_one_error_and_the_connection_survives() {
    let server = common::start_with(None, |c| {
        c.limits.messages_per_second = 20;
        c.limits.message_burst = 20;
    })
    .await;
    let (mut expert, _) = server.join(Role::Expert, "Ana").await;
    for _ in 0..100 {
        expert
            .send(&ClientMessage::DeleteAnnotation {
                annotation_id: "a-404".into(),
            })
            .unwrap();
    }
    let mut unknown = 0;
    let mut throttled = 0;
    while let Ok(Ok(message)) = tokio::time::timeout(
        Duration::from_millis(500),
        expert.recv_timeout(Duration::from_secs(1)),
    )
    .await
    {
        match message {
            ServerMessage::Error {
                code: ErrorCode::UnknownAnnotation,
                ..
            } => unknown += 1,
            ServerMessage::Error {
                code: ErrorCode::LimitReached,
                message,
                ..
            } => {
                assert!(message.contains("20 a second"), "{message}");
                throttled += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(throttled, 1, "one notice per episode");
    assert!(
        (19..=25).contains(&unknown),
        "about the burst was handled: {unknown}"
    );
    // A second later the connection works as before.
    tokio::time::sleep(Duration::from_secs(1)).await;
    expert
        .send(&ClientMessage::DeleteAnnotation {
            annotation_id: "a-404".into(),
        })
        .unwrap();
    match next_message(&mut expert).await {
        ServerMessage::Error { code, .. } => assert_eq!(code, ErrorCode::UnknownAnnotation),
        other => panic!("{other:?}"),
    }
}
