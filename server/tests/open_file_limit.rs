//! The server under a low open-file limit (1024, a common default) and 2,000 WebSockets that
//! never join, from 40 addresses: it fits its caps to the limit, so it never runs out of file
//! descriptors, `/healthz` answers throughout, and people join again once the flood is closed.
//! The server runs as its own process here, so that the limit is its own.

mod common;

use common::process::ServerProcess;
use common::{LOOPBACK, attacker_address, connect_from};
use futures_util::StreamExt;
use spotter_peer::Signaling;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// `spotter-server` with at most 1024 open files.
fn start_limited_server() -> (ServerProcess, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("spotter-fd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let server = ServerProcess::start(
        &dir,
        "[limits]\njoin_timeout_seconds = 3\n",
        &["prlimit", "--nofile=1024:1024"],
    );
    (server, dir)
}

async fn healthz(address: SocketAddr) -> Result<(), String> {
    let request = common::http_request(
        LOOPBACK,
        address,
        "GET",
        "/healthz",
        &[("Host", "spotter")],
        None,
        None,
    );
    match tokio::time::timeout(Duration::from_secs(2), request).await {
        Ok(Ok((200, _, _))) => Ok(()),
        Ok(Ok((status, head, body))) => Err(format!("{status}: {head}\n{body}")),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer in 2 s".to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_1024_open_files_a_flood_of_websockets_leaves_the_server_answering() {
    // This process holds the attack's 2,000 sockets.
    rlimit::increase_nofile_limit(8192).unwrap();
    let (server, dir) = start_limited_server();
    let address = server.address;
    healthz(address).await.expect("healthy before the attack");

    let ws = format!("ws://{address}/ws");
    let mut attack = Vec::new();
    for n in 2..42 {
        for _ in 0..50 {
            let ws = ws.clone();
            attack.push(tokio::spawn(async move {
                let stream = connect_from(attacker_address(n), address).await.ok()?;
                let (mut socket, _) = tokio_tungstenite::client_async(ws, stream).await.ok()?;
                while let Some(Ok(_)) = socket.next().await {}
                Some(())
            }));
        }
    }
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        healthz(address)
            .await
            .expect("/healthz answers during the attack");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut let_in = 0;
    for task in attack {
        let_in += usize::from(
            tokio::time::timeout(Duration::from_secs(15), task)
                .await
                .expect("every attacking connection ends")
                .unwrap()
                .is_some(),
        );
    }
    // Once they are gone, a participant joins.
    let mut signaling = Signaling::connect(&ws).await.unwrap();
    let token = server.invite("expert").await;
    signaling
        .join("demo", &token, "Ana")
        .await
        .expect("joins after the flood");

    let log = server.output.lock().unwrap().clone();
    assert!(!log.contains("Too many open files"), "{log}");
    assert!(
        log.contains("the open-file limit (1024) allows at most"),
        "{log}"
    );
    assert!(let_in > 0 && let_in < 1024, "{let_in} WebSockets let in");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
