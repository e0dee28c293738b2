//! What the server tells a client names the problem in fixed, human words: never a parser's
//! internals (heap offsets, Rust type names, library error text). The details are logged.

mod common;

use common::next_message;
use spotter_peer::JoinRefused;
use spotter_protocol::{ClientMessage, ErrorCode, Role, ServerMessage};

/// Fails when `message` carries anything of the server's insides.
fn assert_human(message: &str) {
    for internal in [
        "0x",
        "PointerOffset",
        "Json(",
        "Error(",
        "Base64(",
        "RoomId(",
        "Some(",
        "{",
        "::",
    ] {
        assert!(!message.contains(internal), "{internal:?} in {message:?}");
    }
}

async fn refused_join(server: &common::TestServer, room: &str, token: &str) -> JoinRefused {
    let mut client = server.connect().await;
    let refused = client.join(room, token, "Mallory").await.unwrap_err();
    refused
        .downcast::<JoinRefused>()
        .expect("a refusal with a code")
}

#[tokio::test]
async fn token_errors_are_fixed_sentences() {
    let server = common::start().await;
    // A header naming an algorithm that does not exist, then one that is not base64, then
    // claims that are not JSON: each a different parser failure underneath.
    let cases = [
        "eyJhbGciOiJub3BlIiwidHlwIjoiSldUIn0.e30.c2ln",
        "eyJhbGciOiJIUzI1NiJ9.@@@.c2ln",
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",
        "no dots at all",
    ];
    let mut messages = std::collections::BTreeSet::new();
    for token in cases {
        let refused = refused_join(&server, "demo", token).await;
        assert_eq!(refused.code, ErrorCode::InvalidToken, "{token}");
        assert_human(&refused.message);
        messages.insert(refused.message);
    }
    assert!(
        messages.len() <= 2,
        "fixed messages, not the parser's: {messages:?}"
    );
}

#[tokio::test]
async fn an_unknown_room_is_named_plainly_over_signaling_and_the_api() {
    let server = common::start().await;
    let refused = refused_join(&server, "nope", &server.token("nope", Role::Expert)).await;
    assert_eq!(refused.code, ErrorCode::UnknownRoom);
    assert_eq!(refused.message, "this room does not exist on this server");
    let (status, body) = server.get("/api/rooms/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["message"], "this room does not exist on this server");
}

#[tokio::test]
async fn sdp_that_cannot_be_parsed_or_answered_gets_a_fixed_message() {
    let server = common::start().await;
    let (mut expert, _) = server.join(Role::Expert, "Ana").await;
    let broken = [
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video nine UDP/TLS/RTP/SAVPF x\r\na=recvonly\r\n",
        "v=0\r\nthis is not sdp\r\n",
    ];
    for sdp in broken {
        expert
            .send(&ClientMessage::Offer { sdp: sdp.into() })
            .unwrap();
        match next_message(&mut expert).await {
            ServerMessage::Error { code, message, .. } => {
                assert_eq!(code, ErrorCode::SdpRejected, "{message}");
                assert_human(&message);
                assert!(message.starts_with("the offer "), "{message}");
            }
            other => panic!("expected sdp_rejected, got {other:?}"),
        }
    }
}
