//! Bad input over signaling gets a specific error, and the connection stays usable.

mod common;

use common::{next_error_code, next_message};
use glam::Vec2;
use spotter_protocol::{
    AnnotationKind, AnnotationRequest, ClientMessage, MAX_MESSAGE_BYTES, Role, ServerMessage,
};
use tokio_tungstenite::tungstenite::Message;

fn annotate() -> ClientMessage {
    ClientMessage::Annotate {
        client_ref: 1,
        request: AnnotationRequest {
            kind: AnnotationKind::Point,
            frame_rtp_timestamp: 1,
            points: vec![Vec2::new(0.5, 0.5)],
            color: "#ff2d95".into(),
        },
    }
}

#[tokio::test]
async fn malformed_and_oversized_messages_get_specific_errors_and_the_connection_survives() {
    let server = common::start().await;
    let mut client = server.connect().await;

    client.send_raw(Message::Text("{not json".into())).unwrap();
    assert_eq!(next_error_code(&mut client).await, "malformed_message");

    client
        .send_raw(Message::Text(r#"{"type":"teleport"}"#.into()))
        .unwrap();
    assert_eq!(next_error_code(&mut client).await, "malformed_message");

    let oversized = format!(
        r#"{{"type":"offer","sdp":"v=0{}"}}"#,
        " ".repeat(MAX_MESSAGE_BYTES)
    );
    client.send_raw(Message::Text(oversized.into())).unwrap();
    assert_eq!(next_error_code(&mut client).await, "message_too_large");

    client
        .send_raw(Message::Binary(vec![1, 2, 3].into()))
        .unwrap();
    assert_eq!(next_error_code(&mut client).await, "malformed_message");

    // Still usable: the join succeeds.
    let joined = client
        .join("demo", &server.token("demo", Role::Expert), "Ana")
        .await;
    assert!(joined.is_ok(), "{joined:?}");
}

#[tokio::test]
async fn messages_before_joining_and_unknown_rooms_are_refused() {
    let server = common::start().await;
    let mut client = server.connect().await;
    client.send(&annotate()).unwrap();
    assert_eq!(next_error_code(&mut client).await, "not_joined");

    let refused = client
        .join("nowhere", &server.token("nowhere", Role::Expert), "Ana")
        .await;
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("unknown_room"), "{message}");

    let (status, body) = server.get("/api/rooms/nowhere").await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "unknown_room");
    let (status, body) = server.get("/api/rooms/bad%20name").await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_value");
}

#[tokio::test]
async fn actions_outside_the_role_are_refused_by_the_server() {
    let server = common::start().await;
    let (observer, _) = server.join(Role::Observer, "Olga").await;
    let mut observer = observer;
    observer.send(&annotate()).unwrap();
    match next_message(&mut observer).await {
        ServerMessage::Error {
            code, client_ref, ..
        } => {
            assert_eq!(code.to_string(), "forbidden");
            assert_eq!(client_ref, Some(1), "the error names the request");
        }
        other => panic!("{other:?}"),
    }
    observer
        .send(&ClientMessage::DeleteAnnotation {
            annotation_id: "a-1".into(),
        })
        .unwrap();
    assert_eq!(next_error_code(&mut observer).await, "forbidden");

    let (mut expert, _) = server.join(Role::Expert, "Ana").await;
    expert
        .send(&ClientMessage::ResolveFailed {
            annotation_id: "a-1".into(),
            code: spotter_protocol::ErrorCode::NoSurface,
            message: "spoofed".into(),
        })
        .unwrap();
    assert_eq!(next_error_code(&mut expert).await, "forbidden");

    // An expert may not publish video: an offer with a sending video section is refused.
    let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=sendonly\r\n";
    expert
        .send(&ClientMessage::Offer { sdp: offer.into() })
        .unwrap();
    assert_eq!(next_error_code(&mut expert).await, "forbidden");

    // One technician per room.
    let (_technician, _) = server.join(Role::Technician, "Tom").await;
    let mut second = server.connect().await;
    let refused = second
        .join("demo", &server.token("demo", Role::Technician), "Tim")
        .await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("technician_present")
    );
}

#[tokio::test]
async fn an_annotation_without_a_headset_in_the_room_is_refused() {
    let server = common::start().await;
    let (mut expert, _) = server.join(Role::Expert, "Ana").await;
    expert.send(&annotate()).unwrap();
    assert_eq!(next_error_code(&mut expert).await, "no_technician");
    expert
        .send(&ClientMessage::DeleteAnnotation {
            annotation_id: "a-404".into(),
        })
        .unwrap();
    assert_eq!(next_error_code(&mut expert).await, "unknown_annotation");
}
