//! Access: the admin API, invites, every token failure, and a walk of the whole role matrix
//! through signaling, the API and media offers.

mod common;

use common::{ADMIN_KEY, TestServer, next_message};
use glam::Vec2;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use spotter_peer::{
    AudioPublisher, Peer, PeerOptions, Signaling, VideoPublisher, VideoSubscriber, VoiceListener,
};
use spotter_protocol::{
    Action, AnnotationKind, AnnotationRequest, ClientMessage, EquipmentInfo, ErrorCode, Role,
    ServerMessage,
};
use spotter_server::auth::{Claims, unix_now};
use std::time::Duration;

#[tokio::test]
async fn the_admin_api_needs_the_key_creates_rooms_and_issues_invites_that_carry_the_role() {
    let server = common::start().await;
    let new_room = json!({ "room": "line-7" });
    for credential in [None, Some("wrong-key-0123456789")] {
        let (status, body) = server
            .request("POST", "/api/admin/rooms", credential, Some(&new_room))
            .await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    }
    // A participant's token is not the admin key.
    let expert = server.token("demo", Role::Expert);
    let (status, _) = server
        .request("POST", "/api/admin/rooms", Some(&expert), Some(&new_room))
        .await;
    assert_eq!(status, 401);

    let (status, body) = server
        .request("POST", "/api/admin/rooms", Some(ADMIN_KEY), Some(&new_room))
        .await;
    assert_eq!(
        (status, &body),
        (201, &json!({"room": "line-7", "created": true}))
    );
    let (status, body) = server
        .request("POST", "/api/admin/rooms", Some(ADMIN_KEY), Some(&new_room))
        .await;
    assert_eq!((status, body["created"].as_bool()), (200, Some(false)));
    let (status, body) = server
        .request(
            "POST",
            "/api/admin/rooms",
            Some(ADMIN_KEY),
            Some(&json!({"room": "a b"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_value"))
    );

    let invite_path = "/api/admin/rooms/line-7/invites";
    let (status, invite) = server
        .request(
            "POST",
            invite_path,
            Some(ADMIN_KEY),
            Some(&json!({"role": "observer", "name": "Olga", "ttl_seconds": 600})),
        )
        .await;
    assert_eq!(status, 201, "{invite}");
    let token = invite["token"].as_str().unwrap();
    assert_eq!(
        invite["url"].as_str().unwrap(),
        format!("{}/?room=line-7&token={token}", server.http)
    );
    let expires_in = invite["expires_at"].as_u64().unwrap() - unix_now();
    assert!((595..=600).contains(&expires_in), "{expires_in}");

    // The invite joins its room in its role, under the name it was made out to.
    let mut client = server.connect().await;
    let joined = client.join("line-7", token, "Someone else").await.unwrap();
    assert_eq!(joined.role, Role::Observer);
    assert_eq!(joined.snapshot.participants[0].name, "Olga");

    for (body, code) in [
        (json!({"role": "admin"}), "malformed_message"),
        (json!({"role": "expert", "ttl_seconds": 0}), "invalid_value"),
        (json!({"role": "expert", "name": "\u{7}"}), "invalid_value"),
    ] {
        let (status, answer) = server
            .request("POST", invite_path, Some(ADMIN_KEY), Some(&body))
            .await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    let (status, answer) = server
        .request(
            "POST",
            "/api/admin/rooms/nowhere/invites",
            Some(ADMIN_KEY),
            Some(&json!({"role": "expert"})),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (404, Some("unknown_room"))
    );
}

#[tokio::test]
async fn without_an_admin_key_the_admin_api_is_off_and_says_how_to_turn_it_on() {
    let server = common::start_with(None, |c| c.auth.admin_key = None).await;
    let (status, body) = server
        .request(
            "POST",
            "/api/admin/rooms",
            Some(ADMIN_KEY),
            Some(&json!({"room": "x"})),
        )
        .await;
    assert_eq!(status, 401);
    assert!(
        body["message"].as_str().unwrap().contains("admin_key"),
        "{body}"
    );
}

/// A token signed with this server's own secret, with claims of the test's choosing.
fn signed(server: &TestServer, claims: &Claims) -> String {
    let secret = std::fs::read(server.data_dir.join("token-secret")).unwrap();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(&secret).unwrap(),
    )
    .unwrap()
}

fn claims(role: Role, room: &str) -> Claims {
    Claims {
        iss: "spotter".into(),
        sub: "u-1".into(),
        room: room.into(),
        role,
        name: None,
        epoch: 0,
        iat: unix_now(),
        exp: unix_now() + 600,
    }
}

async fn join_error(client: &mut Signaling, room: &str, token: &str) -> String {
    client
        .join(room, token, "Ana")
        .await
        .expect_err("refused")
        .to_string()
}

#[tokio::test]
async fn expired_tampered_foreign_and_wrong_room_tokens_are_refused_and_the_connection_stays_usable()
 {
    let server = common::start().await;
    let mut client = server.connect().await;

    let expired = signed(
        &server,
        &Claims {
            exp: unix_now() - 60,
            ..claims(Role::Expert, "demo")
        },
    );
    let error = join_error(&mut client, "demo", &expired).await;
    assert!(error.contains("token_expired"), "{error}");

    // An observer who rewrites the role in the claims breaks the signature.
    let observer = server.token("demo", Role::Observer);
    let parts: Vec<&str> = observer.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = String::from_utf8(b64.decode(parts[1]).unwrap()).unwrap();
    let forged_payload = b64.encode(payload.replace("observer", "expert"));
    let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    let error = join_error(&mut client, "demo", &forged).await;
    assert!(error.contains("invalid_token"), "{error}");

    let other_server = common::start().await;
    let foreign = other_server.token("demo", Role::Expert);
    let error = join_error(&mut client, "demo", &foreign).await;
    assert!(error.contains("invalid_token"), "{error}");

    let not_spotter = signed(
        &server,
        &Claims {
            iss: "someone-else".into(),
            ..claims(Role::Expert, "demo")
        },
    );
    let error = join_error(&mut client, "demo", &not_spotter).await;
    assert!(error.contains("invalid_token"), "{error}");

    let error = join_error(&mut client, "demo", &server.token("other", Role::Expert)).await;
    assert!(
        error.contains("wrong_room") && error.contains("other"),
        "{error}"
    );

    let error = join_error(&mut client, "demo", "").await;
    assert!(error.contains("invalid_token"), "{error}");

    // The same tokens are refused by the API, with the same codes.
    for (token, code) in [(&expired, "token_expired"), (&forged, "invalid_token")] {
        let (status, body) = server
            .request("GET", "/api/rooms/demo", Some(token), None)
            .await;
        assert_eq!((status, body["code"].as_str()), (401, Some(code)));
    }
    let (status, body) = server
        .request(
            "GET",
            "/api/rooms/demo",
            Some(&server.token("other", Role::Expert)),
            None,
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("wrong_room")));
    let (status, body) = server.request("GET", "/api/rooms/demo", None, None).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));

    // After all that, a good token joins on the same connection.
    let joined = client
        .join("demo", &server.token("demo", Role::Expert), "Ana")
        .await
        .unwrap();
    assert_eq!(joined.role, Role::Expert);
}

/// Whether the server let `role` do `action` (`true`) or refused it as forbidden (`false`).
/// Any other refusal fails the test: it would mean the probe did not reach the role check.
async fn probe(server: &TestServer, client: &mut Signaling, role: Role, action: Action) -> bool {
    match action {
        Action::Publish => {
            client
                .send(&ClientMessage::Equipment {
                    items: vec![EquipmentInfo {
                        id: "pump-1".into(),
                        name: "Pump".into(),
                    }],
                })
                .unwrap();
            let by_message = match next_message(client).await {
                ServerMessage::EquipmentUpdated { .. } => true,
                ServerMessage::Error {
                    code: ErrorCode::Forbidden,
                    ..
                } => false,
                other => panic!("{role}: {other:?}"),
            };
            let peer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
            let _video = VideoPublisher::add_to(&peer).await.unwrap();
            let by_media = offer_accepted(client, peer, role).await;
            assert_eq!(by_message, by_media, "{role}: equipment and video agree");
            by_message
        }
        Action::Subscribe => {
            let mut peer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
            let _video = VideoSubscriber::add_to(&mut peer).await.unwrap();
            offer_accepted(client, peer, role).await
        }
        Action::Talk => {
            let peer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
            let _voice = AudioPublisher::add_to(&peer).await.unwrap();
            offer_accepted(client, peer, role).await
        }
        Action::Listen => {
            let mut peer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
            let _voices = VoiceListener::add_to(&mut peer, 1).await.unwrap();
            offer_accepted(client, peer, role).await
        }
        Action::ReadRoom => {
            let token = server.token("demo", role);
            let (status, _) = server
                .request("GET", "/api/rooms/demo", Some(&token), None)
                .await;
            assert!(status == 200 || status == 403, "{role}: {status}");
            status == 200
        }
        Action::Annotate => {
            client
                .send(&ClientMessage::Annotate {
                    client_ref: 9,
                    request: AnnotationRequest {
                        kind: AnnotationKind::Point,
                        frame_rtp_timestamp: 1,
                        points: vec![Vec2::new(0.5, 0.5)],
                        color: "#ff2d95".into(),
                    },
                })
                .unwrap();
            match next_message(client).await {
                // Allowed: refused only because no headset is in the room to place it.
                ServerMessage::Error {
                    code: ErrorCode::NoTechnician,
                    ..
                } => true,
                ServerMessage::Error {
                    code: ErrorCode::Forbidden,
                    ..
                } => false,
                other => panic!("{role}: {other:?}"),
            }
        }
        Action::Replay => {
            let token = server.token("demo", role);
            let (status, body) = server
                .request("GET", "/api/recordings", Some(&token), None)
                .await;
            assert!(status == 200 || status == 403, "{role}: {status} {body}");
            status == 200
        }
        Action::Record => {
            client.send(&ClientMessage::StopRecording).unwrap();
            match next_message(client).await {
                // Allowed: refused only because nothing is being recorded.
                ServerMessage::Error {
                    code: ErrorCode::NotRecording,
                    ..
                } => true,
                ServerMessage::Error {
                    code: ErrorCode::Forbidden,
                    ..
                } => false,
                other => panic!("{role}: {other:?}"),
            }
        }
        Action::DeleteAnnotation | Action::ResolveAnnotation => {
            client
                .send(&if action == Action::DeleteAnnotation {
                    ClientMessage::DeleteAnnotation {
                        annotation_id: "a-404".into(),
                    }
                } else {
                    ClientMessage::ResolveFailed {
                        annotation_id: "a-404".into(),
                        code: ErrorCode::NoSurface,
                        message: "sky".into(),
                    }
                })
                .unwrap();
            match next_message(client).await {
                ServerMessage::Error {
                    code: ErrorCode::UnknownAnnotation,
                    ..
                } => true,
                ServerMessage::Error {
                    code: ErrorCode::Forbidden,
                    ..
                } => false,
                other => panic!("{role}: {other:?}"),
            }
        }
    }
}

/// Offers `peer`'s media: `true` when answered, `false` when refused as forbidden.
async fn offer_accepted(client: &mut Signaling, mut peer: Peer, role: Role) -> bool {
    let offer = peer.create_offer().await.unwrap();
    let result = client.exchange_offer(offer, |_| {}).await;
    peer.close().await;
    match result {
        Ok(_) => true,
        Err(e) if e.to_string().contains("forbidden") => false,
        Err(e) => panic!("{role}: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_may_do_exactly_what_the_matrix_says_through_signaling_api_and_media() {
    let server = common::start().await;
    for role in Role::ALL {
        let mut client = server.connect().await;
        client
            .join("demo", &server.token("demo", role), "Probe")
            .await
            .unwrap();
        for action in Action::ALL {
            let allowed = probe(&server, &mut client, role, action).await;
            assert_eq!(allowed, role.may(action), "{role} / {action}");
        }
        drop(client);
        // Let the server see the connection go before the next role joins.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
