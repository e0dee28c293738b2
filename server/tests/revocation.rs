//! Revoking invites and deleting rooms through the admin API: refused at the door and on
//! reconnection, whoever uses them now disconnected, kept across a restart.

mod common;

use common::marks::place_on_pump;
use common::{ADMIN_KEY, TestServer};
use serde_json::{Value, json};
use spotter_peer::signaling::JoinRefused;
use spotter_peer::{Peer, PeerOptions, Signaling, VideoSubscriber};
use spotter_protocol::{ErrorCode, ParticipantId, Role, ServerMessage};
use std::time::Duration;

struct Invite {
    id: String,
    token: String,
}

/// An invite from the admin API.
async fn invite(server: &TestServer, room: &str, role: Role) -> Invite {
    let (status, body) = server
        .request(
            "POST",
            &format!("/api/admin/rooms/{room}/invites"),
            Some(ADMIN_KEY),
            Some(&json!({ "role": role })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    Invite {
        id: body["invite_id"].as_str().expect("an invite id").to_owned(),
        token: body["token"].as_str().expect("a token").to_owned(),
    }
}

async fn admin(server: &TestServer, method: &str, path: &str) -> (u16, Value) {
    server.request(method, path, Some(ADMIN_KEY), None).await
}

async fn create_room(server: &TestServer, room: &str) -> u16 {
    let body = json!({ "room": room });
    let (status, _) = server
        .request("POST", "/api/admin/rooms", Some(ADMIN_KEY), Some(&body))
        .await;
    status
}

async fn join(server: &TestServer, room: &str, invite: &Invite) -> (Signaling, ParticipantId) {
    let mut signaling = server.connect().await;
    let joined = signaling
        .join(room, &invite.token, "Someone")
        .await
        .expect("joins");
    (signaling, joined.participant_id)
}

/// Why joining `room` on a new connection with `token` (resuming `resume`) is refused.
async fn refusal(
    server: &TestServer,
    room: &str,
    token: &str,
    resume: Option<String>,
) -> JoinRefused {
    let mut signaling = server.connect().await;
    let error = signaling
        .join_again(room, token, "Someone", resume)
        .await
        .expect_err("refused");
    error.downcast().expect("refused by the server")
}

async fn refused_code(server: &TestServer, room: &str, token: &str) -> ErrorCode {
    refusal(server, room, token, None).await.code
}

/// What `signaling` is told until the server closes the connection, participants coming and
/// going left out.
async fn last_words(signaling: &mut Signaling) -> Vec<ServerMessage> {
    let mut told = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), signaling.recv())
            .await
            .expect("the server closes the connection");
        match next {
            Some(
                ServerMessage::ParticipantJoined { .. } | ServerMessage::ParticipantLeft { .. },
            ) => {}
            Some(message) => told.push(message),
            None => return told,
        }
    }
}

fn error_codes(told: &[ServerMessage]) -> Vec<ErrorCode> {
    told.iter()
        .filter_map(|m| match m {
            ServerMessage::Error { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
}

/// Waits until `signaling` hears that `participant` left.
async fn sees_leave(signaling: &mut Signaling, participant: &ParticipantId) {
    loop {
        match signaling
            .recv_timeout(Duration::from_secs(10))
            .await
            .unwrap()
        {
            ServerMessage::ParticipantLeft { participant_id } if &participant_id == participant => {
                return;
            }
            _ => {}
        }
    }
}

/// The media relay's peer count, once it reaches `expected` (it is refreshed periodically).
async fn peers_reach(server: &TestServer, expected: u64) -> u64 {
    let mut peers = u64::MAX;
    for _ in 0..50 {
        let metrics = server.get_text("/metrics").await;
        peers = metrics
            .lines()
            .find_map(|l| l.strip_prefix("spotter_peers ")?.trim().parse().ok())
            .expect("spotter_peers in the metrics");
        if peers == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    peers
}

#[tokio::test]
async fn a_revoked_invite_is_refused_and_whoever_uses_it_is_disconnected_while_the_others_stay() {
    let server = common::start().await;
    let leaked = invite(&server, "demo", Role::Expert).await;
    let kept = invite(&server, "demo", Role::Expert).await;
    let unused = invite(&server, "demo", Role::Observer).await;
    assert!(leaked.id.starts_with("invite-"), "{}", leaked.id);
    assert_ne!(leaked.id, kept.id);
    let (mut intruder, intruder_id) = join(&server, "demo", &leaked).await;
    let (mut colleague, _) = join(&server, "demo", &kept).await;

    let (status, body) = admin(
        &server,
        "DELETE",
        &format!("/api/admin/rooms/demo/invites/{}", leaked.id),
    )
    .await;
    assert_eq!(
        (status, &body),
        (
            200,
            &json!({"room": "demo", "invite_id": leaked.id, "disconnected": 1})
        )
    );

    // The one on the leaked invite is told why, then disconnected; the others see it leave.
    assert_eq!(
        error_codes(&last_words(&mut intruder).await),
        [ErrorCode::InviteRevoked]
    );
    sees_leave(&mut colleague, &intruder_id).await;
    assert_eq!(server.roles_in_demo().await, ["expert"]);

    // The leaked invite no longer opens the room nor its API; the others of the room do.
    let refused = refusal(&server, "demo", &leaked.token, None).await;
    assert_eq!(refused.code, ErrorCode::InviteRevoked);
    assert_eq!(
        refused.message,
        "this invite was revoked: ask for a new one"
    );
    let (status, body) = server
        .request("GET", "/api/rooms/demo", Some(&leaked.token), None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invite_revoked"))
    );
    let (status, _) = server
        .request("GET", "/api/rooms/demo", Some(&kept.token), None)
        .await;
    assert_eq!(status, 200);
    join(&server, "demo", &unused).await;
}

#[tokio::test]
async fn revoking_every_invite_of_a_room_refuses_all_issued_so_far_and_not_the_next_ones() {
    let server = common::start().await;
    let technician = invite(&server, "demo", Role::Technician).await;
    let expert = invite(&server, "demo", Role::Expert).await;
    let elsewhere = invite(&server, "other", Role::Expert).await;
    let (mut headset, _) = join(&server, "demo", &technician).await;

    let (status, body) = admin(&server, "DELETE", "/api/admin/rooms/demo/invites").await;
    assert_eq!(
        (status, &body),
        (200, &json!({"room": "demo", "disconnected": 1}))
    );
    assert_eq!(
        error_codes(&last_words(&mut headset).await),
        [ErrorCode::InviteRevoked]
    );
    for earlier in [&technician, &expert] {
        assert_eq!(
            refused_code(&server, "demo", &earlier.token).await,
            ErrorCode::InviteRevoked
        );
    }
    // Issued just before and just after a revocation, most likely within the same second: the
    // one before is refused, the one after joins.
    let just_before = invite(&server, "demo", Role::Expert).await;
    admin(&server, "DELETE", "/api/admin/rooms/demo/invites").await;
    let just_after = invite(&server, "demo", Role::Technician).await;
    assert_eq!(
        refused_code(&server, "demo", &just_before.token).await,
        ErrorCode::InviteRevoked
    );
    join(&server, "demo", &just_after).await;
    // Another room's invites were not touched.
    join(&server, "other", &elsewhere).await;
}

#[tokio::test]
async fn a_reconnection_with_a_revoked_invite_is_refused() {
    let server = common::start().await;
    let technician = invite(&server, "demo", Role::Technician).await;
    let mut headset = server.connect().await;
    let joined = headset
        .join("demo", &technician.token, "Tom")
        .await
        .unwrap();
    admin(
        &server,
        "DELETE",
        &format!("/api/admin/rooms/demo/invites/{}", technician.id),
    )
    .await;
    last_words(&mut headset).await;

    // The headset comes back as after a lost connection, with its resume key: refused.
    let refused = refusal(&server, "demo", &technician.token, Some(joined.resume_key)).await;
    assert_eq!(refused.code, ErrorCode::InviteRevoked);
    assert!(server.roles_in_demo().await.is_empty());
}

#[tokio::test]
async fn a_deleted_room_disconnects_everyone_and_leaves_nothing_behind_even_once_created_again() {
    let server = common::start().await;
    assert_eq!(create_room(&server, "line-9").await, 201);
    let technician = invite(&server, "line-9", Role::Technician).await;
    let expert = invite(&server, "line-9", Role::Expert).await;
    let (mut headset, _) = join(&server, "line-9", &technician).await;
    let (mut page, _) = join(&server, "line-9", &expert).await;
    place_on_pump(&mut page, &mut headset, 1).await;
    // The page also receives video, so the room holds media to drop.
    let mut peer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
    let _video = VideoSubscriber::add_to(&mut peer).await.unwrap();
    let offer = peer.create_offer().await.unwrap();
    page.exchange_offer(offer, |_| {}).await.unwrap();
    assert_eq!(peers_reach(&server, 1).await, 1);

    let (status, body) = admin(&server, "DELETE", "/api/admin/rooms/line-9").await;
    assert_eq!(
        (status, &body),
        (200, &json!({"room": "line-9", "disconnected": 2}))
    );
    for signaling in [&mut headset, &mut page] {
        let told = last_words(signaling).await;
        let closing = told.iter().find_map(|m| match m {
            ServerMessage::Closing { message } => Some(message.as_str()),
            _ => None,
        });
        assert_eq!(closing, Some("room line-9 was deleted by an administrator"));
    }
    assert_eq!(
        peers_reach(&server, 0).await,
        0,
        "the page's media is dropped"
    );

    let (status, body) = admin(&server, "GET", "/api/rooms/line-9").await;
    assert_eq!(
        (status, &body),
        (
            404,
            &json!({"code": "unknown_room", "message": "this room does not exist on this server"})
        )
    );
    assert_eq!(
        refused_code(&server, "line-9", &expert.token).await,
        ErrorCode::UnknownRoom
    );

    // Created again under the same name: empty, and the old invites stay out.
    assert_eq!(create_room(&server, "line-9").await, 201);
    let (_, room) = admin(&server, "GET", "/api/rooms/line-9").await;
    assert_eq!(room["annotations"], json!([]));
    assert_eq!(
        refused_code(&server, "line-9", &expert.token).await,
        ErrorCode::InviteRevoked
    );
    let newcomer = invite(&server, "line-9", Role::Expert).await;
    let mut signaling = server.connect().await;
    let joined = signaling
        .join("line-9", &newcomer.token, "Ana")
        .await
        .unwrap();
    assert!(joined.snapshot.annotations.is_empty());
    peer.close().await;
}

#[tokio::test]
async fn revocations_and_deletions_persist_across_a_restart() {
    let server = common::start().await;
    let revoked = invite(&server, "demo", Role::Expert).await;
    let kept = invite(&server, "demo", Role::Expert).await;
    let before_all = invite(&server, "other", Role::Expert).await;
    assert_eq!(create_room(&server, "line-4").await, 201);
    let of_deleted_room = invite(&server, "line-4", Role::Expert).await;
    let path = format!("/api/admin/rooms/demo/invites/{}", revoked.id);
    assert_eq!(admin(&server, "DELETE", &path).await.0, 200);
    assert_eq!(
        admin(&server, "DELETE", "/api/admin/rooms/other/invites")
            .await
            .0,
        200
    );
    let after_all = invite(&server, "other", Role::Expert).await;
    assert_eq!(
        admin(&server, "DELETE", "/api/admin/rooms/line-4").await.0,
        200
    );

    let restarted = common::start_with_data_dir(Some(server.stop().await)).await;
    assert_eq!(
        refused_code(&restarted, "demo", &revoked.token).await,
        ErrorCode::InviteRevoked
    );
    join(&restarted, "demo", &kept).await;
    assert_eq!(
        refused_code(&restarted, "other", &before_all.token).await,
        ErrorCode::InviteRevoked
    );
    join(&restarted, "other", &after_all).await;
    let (status, _) = admin(&restarted, "GET", "/api/rooms/line-4").await;
    assert_eq!(status, 404);
    assert_eq!(create_room(&restarted, "line-4").await, 201);
    assert_eq!(
        refused_code(&restarted, "line-4", &of_deleted_room.token).await,
        ErrorCode::InviteRevoked
    );
    // A revoked invite is still known after the restart: revoking it again is no error.
    let (status, body) = admin(&restarted, "DELETE", &path).await;
    assert_eq!((status, body["disconnected"].as_u64()), (200, Some(0)));
}

#[tokio::test]
async fn the_revocation_calls_need_the_admin_key_and_say_what_they_do_not_know() {
    let server = common::start().await;
    let expert = invite(&server, "demo", Role::Expert).await;
    let calls = [
        format!("/api/admin/rooms/demo/invites/{}", expert.id),
        "/api/admin/rooms/demo/invites".to_owned(),
        "/api/admin/rooms/demo".to_owned(),
    ];
    // Each call from its own address: refused credentials from one address are throttled
    // after a few (tests/admin_guessing.rs).
    let mut address = 2;
    for path in &calls {
        for credential in [
            None,
            Some("wrong-key-0123456789"),
            Some(expert.token.as_str()),
        ] {
            address += 1;
            let (status, _, text) = server
                .raw_request(
                    common::attacker_address(address),
                    "DELETE",
                    path,
                    &[("Host", "spotter")],
                    credential,
                    None,
                )
                .await;
            let body: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some("unauthorized")),
                "{path}"
            );
        }
    }
    // Nothing was revoked by the refused calls.
    join(&server, "demo", &expert).await;

    for path in [
        "/api/admin/rooms/nowhere/invites/invite-0000000000000000",
        "/api/admin/rooms/nowhere/invites",
        "/api/admin/rooms/nowhere",
    ] {
        let (status, body) = admin(&server, "DELETE", path).await;
        assert_eq!(
            (status, &body),
            (
                404,
                &json!({"code": "unknown_room", "message": "this room does not exist on this server"})
            ),
            "{path}"
        );
    }
    let (status, body) = admin(
        &server,
        "DELETE",
        "/api/admin/rooms/demo/invites/invite-0000000000000000",
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("unknown_invite"))
    );
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("never issued here"), "{message}");
    // An invite of another room is not this room's to revoke.
    let path = format!("/api/admin/rooms/other/invites/{}", expert.id);
    let (status, body) = admin(&server, "DELETE", &path).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("unknown_invite"))
    );
    let (status, body) = admin(&server, "DELETE", "/api/admin/rooms/a%20b").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_value"))
    );
}
