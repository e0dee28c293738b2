//! Guessing the admin key is slowed to a crawl: after a few refused keys from one address,
//! every admin call from it is refused for a while (the right key too, so refusals tell a
//! guesser nothing), while other addresses keep working.

mod common;

use common::{LOOPBACK, attacker_address};
use serde_json::json;

#[tokio::test]
async fn two_thousand_wrong_keys_from_one_address_are_mostly_refused_unread() {
    let server = common::start().await;
    let guesser = attacker_address(9);
    let body = json!({ "room": "line-9" });
    let create_room = async |from, key: &str| {
        server
            .raw_request(
                from,
                "POST",
                "/api/admin/rooms",
                &[("Host", "spotter")],
                Some(key),
                Some(&body),
            )
            .await
    };
    let mut unauthorized = 0;
    let mut throttled = 0;
    let started = std::time::Instant::now();
    for i in 0..2000 {
        let key = format!("guess-{i:020}");
        let (status, head, text) = create_room(guesser, &key).await;
        match status {
            401 => unauthorized += 1,
            429 => {
                throttled += 1;
                assert!(
                    text.contains("limit_reached") && text.contains("refused credentials"),
                    "{text}"
                );
                let retry: u64 = head
                    .lines()
                    .find_map(|l| l.strip_prefix("retry-after: "))
                    .expect("Retry-After")
                    .parse()
                    .unwrap();
                assert!((1..=10).contains(&retry), "{retry}");
            }
            other => panic!("{other}: {text}"),
        }
    }
    // Five guesses, then one per ten seconds.
    let allowed = 5 + started.elapsed().as_secs() / 10;
    assert!(
        (5..=allowed).contains(&unauthorized),
        "{unauthorized} guesses read"
    );
    assert_eq!(throttled, 2000 - unauthorized);
    // Even the right key waits at that address...
    let (status, _, _) = create_room(guesser, common::ADMIN_KEY).await;
    assert_eq!(status, 429);
    // ...while the admin's own machine is not affected.
    let (status, _, text) = create_room(LOOPBACK, common::ADMIN_KEY).await;
    assert_eq!(status, 201, "{text}");
}
