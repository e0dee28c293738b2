//! The server under a low open-file limit (1024, a common default) and 2,000 WebSockets that
//! never join, from 40 addresses: it fits its caps to the limit, so it never runs out of file
//! descriptors, `/healthz` answers throughout, and people join again once the flood is closed.
//! The server runs as its own process here, so that the limit is its own.

mod common;

use common::{LOOPBACK, attacker_address, connect_from};
use futures_util::StreamExt;
use spotter_peer::Signaling;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct ServerProcess {
    child: std::process::Child,
    /// What it has printed (its log goes to standard output).
    output: std::sync::Arc<std::sync::Mutex<String>>,
    dir: std::path::PathBuf,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `spotter-server` with at most 1024 open files; returns it and its HTTP address.
fn start_limited_server() -> (ServerProcess, SocketAddr) {
    let dir = std::env::temp_dir().join(format!("spotter-fd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("spotter.toml");
    std::fs::write(&config, "[limits]\njoin_timeout_seconds = 3\n").unwrap();
    let mut child = Command::new("prlimit")
        .arg("--nofile=1024:1024")
        .arg(env!("CARGO_BIN_EXE_spotter-server"))
        .arg("--config")
        .arg(&config)
        .args([
            "--http",
            "127.0.0.1:0",
            "--media",
            "127.0.0.1:0",
            "--room",
            "demo",
        ])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--web-dir")
        .arg(dir.join("no-web"))
        .env("SPOTTER_ADMIN_KEY", common::ADMIN_KEY)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("prlimit (util-linux) runs spotter-server");
    let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let printed = output.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Some(address) = line.strip_prefix("Spotter server on http://") {
                let _ = address_tx.send(address.parse::<SocketAddr>().unwrap());
            }
            let mut printed = printed.lock().unwrap();
            printed.push_str(&line);
            printed.push('\n');
        }
    });
    let address = address_rx
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("the server did not start:\n{}", output.lock().unwrap()));
    (ServerProcess { child, output, dir }, address)
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
    let (server, address) = start_limited_server();
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
    let token = issue_token(address).await;
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
}

/// An expert's invite token from the admin API.
async fn issue_token(address: SocketAddr) -> String {
    let (status, _, body) = common::http_request(
        LOOPBACK,
        address,
        "POST",
        "/api/admin/rooms/demo/invites",
        &[("Host", "spotter")],
        Some(common::ADMIN_KEY),
        Some(&serde_json::json!({ "role": "expert" })),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let invite: serde_json::Value = serde_json::from_str(&body).unwrap();
    invite["token"].as_str().unwrap().to_owned()
}
