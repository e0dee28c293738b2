//! `/metrics` names rooms, participants and their traffic: it answers the admin key or the
//! metrics token, nobody else.

mod common;

use common::LOOPBACK;

const METRICS_TOKEN: &str = "prometheus-scrape-token-42";

#[tokio::test]
async fn metrics_need_the_metrics_token_or_the_admin_key() {
    let server =
        common::start_with(None, |c| c.auth.metrics_token = Some(METRICS_TOKEN.into())).await;
    let _tom = server.join(spotter_protocol::Role::Technician, "Tom").await;
    let get = async |bearer: Option<&str>| {
        server
            .raw_request(
                LOOPBACK,
                "GET",
                "/metrics",
                &[("Host", "spotter")],
                bearer,
                None,
            )
            .await
    };
    for credential in [
        None,
        Some("wrong-token-0123456789"),
        Some(
            server
                .token("demo", spotter_protocol::Role::Expert)
                .as_str(),
        ),
    ] {
        let (status, _, body) = get(credential).await;
        assert_eq!(status, 401, "{body}");
        assert!(
            body.contains("unauthorized") && body.contains("metrics token"),
            "{body}"
        );
        assert!(!body.contains("spotter_participants"), "{body}");
    }
    for credential in [METRICS_TOKEN, common::ADMIN_KEY] {
        let (status, _, body) = get(Some(credential)).await;
        assert_eq!(status, 200);
        assert!(
            body.contains("spotter_participants{role=\"technician\"} 1"),
            "{body}"
        );
    }
    // The metrics token opens nothing else.
    let (status, _) = server
        .request(
            "POST",
            "/api/admin/rooms",
            Some(METRICS_TOKEN),
            Some(&serde_json::json!({"room": "x"})),
        )
        .await;
    assert_eq!(status, 401);
}
