//! An invite's link is built from the server's configured or bound address, never from the
//! `Host` header of the request (which whoever asks chooses).

mod common;

use common::LOOPBACK;
use serde_json::json;

async fn invite_url(server: &common::TestServer, host: &str) -> String {
    let body = json!({ "role": "expert" });
    let (status, _, text) = server
        .raw_request(
            LOOPBACK,
            "POST",
            "/api/admin/rooms/demo/invites",
            &[("Host", host)],
            Some(common::ADMIN_KEY),
            Some(&body),
        )
        .await;
    assert_eq!(status, 201, "{text}");
    let invite: serde_json::Value = serde_json::from_str(&text).unwrap();
    invite["url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn without_a_public_url_links_name_the_bound_address_whatever_the_host_header() {
    let server = common::start().await;
    let url = invite_url(&server, "evil.example").await;
    assert!(
        url.starts_with(&format!("{}/?room=demo&token=", server.http)),
        "{url}"
    );
    assert!(!url.contains("evil"), "{url}");
}

#[tokio::test]
async fn with_a_public_url_links_name_it() {
    let server = common::start_with(None, |c| {
        c.http.public_url = Some("https://spotter.plant.example/".into())
    })
    .await;
    let url = invite_url(&server, "evil.example").await;
    assert!(
        url.starts_with("https://spotter.plant.example/?room=demo&token="),
        "{url}"
    );
}

#[tokio::test]
async fn a_trainers_invite_also_links_to_the_rooms_recordings() {
    let server = common::start().await;
    let invite = |role: &str| {
        let body = json!({ "role": role });
        let server = &server;
        async move {
            let path = "/api/admin/rooms/demo/invites";
            (server.request("POST", path, Some(common::ADMIN_KEY), Some(&body))).await
        }
    };
    let (status, trainer) = invite("trainer").await;
    assert_eq!(status, 201, "{trainer}");
    let token = trainer["token"].as_str().unwrap();
    assert_eq!(
        trainer["recordings_url"].as_str(),
        Some(format!("{}/recordings?token={token}", server.http).as_str())
    );
    let (_, expert) = invite("expert").await;
    assert!(expert.get("recordings_url").is_none(), "{expert}");
}
