//! WebSockets that never join: each is closed after the join timeout, one source address holds
//! at most its share, the server as a whole at most its cap, and meanwhile `/healthz`, new
//! participants and a live session keep working.

mod common;

use common::live_session::LiveSession;
use common::{TestServer, attacker_address, connect_from, server_sockets_on};
use futures_util::StreamExt;
use spotter_protocol::Role;
use std::net::IpAddr;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite;

const JOIN_TIMEOUT: Duration = Duration::from_secs(3);

/// How one attacking connection went.
#[derive(Debug)]
enum Outcome {
    /// Upgraded, then closed by the server after this long, having said why.
    ClosedAfter(Duration, String),
    /// Refused at the door: status and body.
    Refused(u16, String),
    /// Closed before any answer: over the source address's cap of HTTP connections.
    Dropped(String),
}

/// Opens a WebSocket from `from` and never joins; answers pings (tungstenite does when read).
async fn idle_websocket(server_ws: String, addr: std::net::SocketAddr, from: IpAddr) -> Outcome {
    let stream = match connect_from(from, addr).await {
        Ok(s) => s,
        Err(e) => return Outcome::Dropped(e.to_string()),
    };
    let opened = Instant::now();
    let mut socket = match tokio_tungstenite::client_async(server_ws, stream).await {
        Ok((socket, _)) => socket,
        Err(tungstenite::Error::Http(response)) => {
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default());
            return Outcome::Refused(response.status().as_u16(), body.into_owned());
        }
        Err(e) => return Outcome::Dropped(e.to_string()),
    };
    let mut said = String::new();
    while let Some(Ok(message)) = socket.next().await {
        if let tungstenite::Message::Text(text) = message {
            said = text.to_string();
        }
    }
    Outcome::ClosedAfter(opened.elapsed(), said)
}

async fn flood(
    server: &TestServer,
    from: &[IpAddr],
    each: usize,
) -> Vec<tokio::task::JoinHandle<Outcome>> {
    let mut tasks = Vec::new();
    for ip in from {
        for _ in 0..each {
            tasks.push(tokio::spawn(idle_websocket(
                server.ws.clone(),
                server.http_addr(),
                *ip,
            )));
        }
    }
    tasks
}

async fn outcomes(tasks: Vec<tokio::task::JoinHandle<Outcome>>) -> Vec<Outcome> {
    let mut all = Vec::new();
    for task in tasks {
        all.push(
            tokio::time::timeout(JOIN_TIMEOUT * 4, task)
                .await
                .expect("every attacking connection ends in bounded time")
                .unwrap(),
        );
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_never_join_are_closed_and_one_address_gets_only_its_share() {
    let server = common::start_with(None, |c| {
        c.limits.join_timeout_seconds = JOIN_TIMEOUT.as_secs();
        c.limits.websockets_per_address = 50;
    })
    .await;
    let live = LiveSession::start(&server).await;

    let attack = flood(&server, &[attacker_address(2)], 1000).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Mid-attack: the server holds the attacker's share and no more, and works for others.
    let held = server_sockets_on(server.http_addr().port());
    assert!(
        held <= 200 + 10,
        "{held} sockets held mid-attack (HTTP cap per address: 200)"
    );
    server.assert_healthy("mid-attack").await;
    let (_late, _) = server.join(Role::Expert, "Ben").await;
    live.assert_video_flows("during the attack").await;

    let outcomes = outcomes(attack).await;
    let mut closed = 0;
    let mut refused = 0;
    let mut dropped = 0;
    for outcome in &outcomes {
        match outcome {
            Outcome::ClosedAfter(after, said) => {
                closed += 1;
                assert!(
                    *after >= JOIN_TIMEOUT - Duration::from_millis(200)
                        && *after < JOIN_TIMEOUT + Duration::from_secs(3),
                    "closed after {after:?}"
                );
                assert!(
                    said.contains("not_joined") && said.contains("no join within 3 s"),
                    "{said}"
                );
            }
            Outcome::Refused(status, body) => {
                refused += 1;
                assert_eq!(*status, 429, "{body}");
                assert!(body.contains("limit_reached"), "{body}");
                assert!(body.contains("at most 50 at once"), "{body}");
            }
            Outcome::Dropped(_) => dropped += 1,
        }
    }
    assert!(
        (50..=55).contains(&closed),
        "{closed} let in (refused {refused}, dropped {dropped}); the address's cap is 50"
    );
    assert!(refused > 0, "over the cap, a clear refusal");
    assert_eq!(closed + refused + dropped, 1000);
    // The participant who joined during the attack is still there; the attacker may come back.
    assert_eq!(
        server.roles_in_demo().await,
        ["technician", "expert", "expert"]
    );
    assert!(matches!(
        idle_websocket(server.ws.clone(), server.http_addr(), attacker_address(2)).await,
        Outcome::ClosedAfter(..)
    ));
    live.assert_video_flows("after the attack").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_addresses_together_stop_at_the_servers_cap_and_health_still_answers() {
    let server = common::start_with(None, |c| {
        c.limits.join_timeout_seconds = JOIN_TIMEOUT.as_secs();
        c.limits.websockets = 200;
        c.limits.websockets_per_address = 50;
    })
    .await;
    let live = LiveSession::start(&server).await;
    let attackers: Vec<IpAddr> = (2..22).map(attacker_address).collect();
    let attack = flood(&server, &attackers, 30).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    live.assert_video_flows("while the server's cap is reached")
        .await;
    let held = server_sockets_on(server.http_addr().port());
    assert!(held <= 200 + 20, "{held} sockets held mid-attack");
    server.assert_healthy("mid-attack").await;
    let mut let_in = 0;
    for outcome in outcomes(attack).await {
        match outcome {
            Outcome::Refused(status, body) => {
                assert_eq!(status, 429);
                assert!(
                    body.contains("the server holds its most WebSocket connections (200)"),
                    "{body}"
                );
            }
            Outcome::ClosedAfter(..) => let_in += 1,
            Outcome::Dropped(e) => panic!("under every per-address cap, yet dropped: {e}"),
        }
    }
    // The live session's two connections hold two of the 200 places.
    assert!(
        (198..=220).contains(&let_in),
        "{let_in} let in: the server's cap is 200"
    );
    // Once they are closed, newcomers get in.
    let (_expert, _) = server.join(Role::Expert, "Ana").await;
}
