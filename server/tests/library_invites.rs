//! Library invites: a trainer's link to the recordings of several rooms, or of every room,
//! from the admin API. It opens those rooms' recordings and no other's, joins no live room, is
//! refused once revoked (one, or all), and outlives a restart as it was.

mod common;

use common::recordings::{start_recording, stop_recording};
use common::{ADMIN_KEY, TestServer};
use serde_json::{Value, json};
use spotter_peer::JoinRefused;
use spotter_protocol::Role;

/// One recording in each of demo, other and third, by an expert there; their ids by room.
async fn one_recording_per_room(server: &TestServer) -> [String; 3] {
    let mut ids = Vec::new();
    for room in ["demo", "other", "third"] {
        let mut expert = server.connect().await;
        expert
            .join(room, &server.token(room, Role::Expert), "Eve")
            .await
            .unwrap();
        ids.push(start_recording(&mut expert).await.recording_id.to_string());
        stop_recording(&mut expert).await;
    }
    ids.try_into().unwrap()
}

async fn invite(server: &TestServer, body: Value) -> (u16, Value) {
    server
        .request(
            "POST",
            "/api/admin/library-invites",
            Some(ADMIN_KEY),
            Some(&body),
        )
        .await
}

/// The ids a token lists (status 200), or the status and error code.
async fn listed(server: &TestServer, token: &str) -> Result<Vec<String>, (u16, String)> {
    let (status, list) = server
        .request("GET", "/api/recordings", Some(token), None)
        .await;
    if status != 200 {
        return Err((status, list["code"].as_str().unwrap_or("").to_owned()));
    }
    let mut ids: Vec<String> = (list["recordings"].as_array().unwrap().iter())
        .map(|r| r["recording_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    Ok(ids)
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_invite_opens_the_recordings_of_its_rooms_only_until_it_is_revoked() {
    let server = common::start_with(None, |c| {
        c.rooms.create.push("third".into());
    })
    .await;
    let [demo, other, third] = one_recording_per_room(&server).await;

    let (status, two) = invite(
        &server,
        json!({ "rooms": ["other", "demo"], "name": "Tina" }),
    )
    .await;
    assert_eq!(status, 201, "{two}");
    assert_eq!(two["library"], json!({ "rooms": ["demo", "other"] }));
    let token = two["token"].as_str().unwrap();
    assert!(
        (two["recordings_url"].as_str().unwrap()).ends_with(&format!("/recordings?token={token}"))
    );
    assert_eq!(listed(&server, token).await, Ok(sorted(&[&demo, &other])));

    // Another room's recording, by id or by filter, is refused, with the rooms it does open.
    let (status, refused) = server
        .request(
            "GET",
            &format!("/api/recordings/{third}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("wrong_room"))
    );
    assert_eq!(
        refused["message"],
        "this invite opens the recordings of rooms demo, other, not of room third"
    );
    let (status, _) = server
        .request("GET", "/api/recordings?room=third", Some(token), None)
        .await;
    assert_eq!(status, 403);
    let (status, _) = server
        .request(
            "GET",
            &format!("/api/recordings/{other}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // It opens no live room.
    let mut signaling = server.connect().await;
    let join = signaling.join("demo", token, "Tina").await.unwrap_err();
    let refused = join.downcast_ref::<JoinRefused>().expect("a refusal");
    assert_eq!(refused.code.to_string(), "wrong_room");
    assert!(
        refused.message.contains("library invite"),
        "{}",
        refused.message
    );

    // Every room, those made later too.
    let (status, all) = invite(&server, json!({ "all_rooms": true })).await;
    assert_eq!((status, &all["library"]), (201, &json!("all")));
    let every = all["token"].as_str().unwrap();
    assert_eq!(
        listed(&server, every).await,
        Ok(sorted(&[&demo, &other, &third]))
    );

    // A room deleted keeps its recordings, and a library invite may still name it.
    let (status, _) = server
        .request("DELETE", "/api/admin/rooms/third", Some(ADMIN_KEY), None)
        .await;
    assert_eq!(status, 200);
    let (status, of_third) = invite(&server, json!({ "rooms": ["third"] })).await;
    assert_eq!(status, 201, "{of_third}");
    let of_third = of_third["token"].as_str().unwrap().to_owned();
    assert_eq!(listed(&server, &of_third).await, Ok(vec![third.clone()]));

    // Revoking one leaves the others.
    let revoke = format!(
        "/api/admin/library-invites/{}",
        two["invite_id"].as_str().unwrap()
    );
    let (status, _) = server
        .request("DELETE", &revoke, Some(ADMIN_KEY), None)
        .await;
    assert_eq!(status, 200);
    let revoked = Err((401, "invite_revoked".to_owned()));
    assert_eq!(listed(&server, token).await, revoked);
    assert!(listed(&server, every).await.is_ok());

    // A restart keeps the revocation and the invites that were not revoked.
    let data_dir = server.stop().await;
    let server = common::start_with(Some(data_dir), |c| {
        c.rooms.create.push("third".into());
    })
    .await;
    assert_eq!(listed(&server, token).await, revoked);
    assert_eq!(listed(&server, every).await.map(|ids| ids.len()), Ok(3));
    assert_eq!(listed(&server, &of_third).await, Ok(vec![third.clone()]));

    // Revoking every library invite refuses all issued so far, not those issued after.
    let (status, _) = server
        .request(
            "DELETE",
            "/api/admin/library-invites",
            Some(ADMIN_KEY),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed(&server, every).await, revoked);
    assert_eq!(listed(&server, &of_third).await, revoked);
    let (_, fresh) = invite(&server, json!({ "rooms": ["demo"] })).await;
    let fresh = fresh["token"].as_str().unwrap();
    assert_eq!(listed(&server, fresh).await, Ok(vec![demo.clone()]));
    // Room invites are their rooms' to revoke: still open.
    let trainer = server.token("other", Role::Trainer);
    assert_eq!(listed(&server, &trainer).await, Ok(vec![other.clone()]));
}

#[tokio::test]
async fn each_bad_library_invite_is_refused_with_its_own_sentence() {
    let server = common::start().await;
    let refused = |body: Value| {
        let server = &server;
        async move {
            let (status, answer) = invite(server, body).await;
            assert_eq!(status, 400, "{answer}");
            answer["message"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(
        refused(json!({})).await,
        "name the rooms whose recordings the invite opens (rooms), or all_rooms: true"
    );
    assert_eq!(
        refused(json!({ "rooms": ["demo"], "all_rooms": true })).await,
        "give either rooms or all_rooms, not both"
    );
    assert_eq!(
        refused(json!({ "rooms": [] })).await,
        "rooms lists 1 to 100 rooms (or use all_rooms: true)"
    );
    assert_eq!(
        refused(json!({ "rooms": ["demo", "nowhere"] })).await,
        "there is no room nowhere and no recording of one"
    );
    assert_eq!(
        refused(json!({ "rooms": ["no spaces"] })).await,
        "room names are 1-64 letters, digits, '-' or '_'"
    );
    assert_eq!(
        refused(json!({ "all_rooms": true, "ttl_seconds": 0 })).await,
        "ttl_seconds must be 1 to 2678400"
    );
    let (status, unknown) = server
        .request(
            "DELETE",
            "/api/admin/library-invites/library-0",
            Some(ADMIN_KEY),
            None,
        )
        .await;
    assert_eq!(
        (status, unknown["code"].as_str()),
        (404, Some("unknown_invite"))
    );
    // The admin key, and nothing less, issues them.
    let trainer = server.token("demo", Role::Trainer);
    let body = json!({ "all_rooms": true });
    let (status, _) = server
        .request(
            "POST",
            "/api/admin/library-invites",
            Some(&trainer),
            Some(&body),
        )
        .await;
    assert_eq!(status, 401);
}
