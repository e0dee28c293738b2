//! A real server on loopback for each test, with its own data directory.

#![allow(dead_code)]

use spotter_peer::Signaling;
use spotter_protocol::{Role, ServerMessage};
use spotter_server::config::Config;
use std::path::PathBuf;
use std::time::Duration;

pub struct TestServer {
    pub http: String,
    pub ws: String,
    pub data_dir: PathBuf,
    running: Option<spotter_server::Running>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

pub async fn start() -> TestServer {
    start_with_data_dir(None).await
}

pub async fn start_with_data_dir(data_dir: Option<PathBuf>) -> TestServer {
    start_with(data_dir, |_| {}).await
}

/// A server with its configuration adjusted by `adjust`.
pub async fn start_with(data_dir: Option<PathBuf>, adjust: impl FnOnce(&mut Config)) -> TestServer {
    let data_dir = data_dir
        .unwrap_or_else(|| std::env::temp_dir().join(format!("spotter-test-{:016x}", rand_u64())));
    let mut config = Config::default();
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.http.web_dir = PathBuf::from("does-not-exist");
    config.media.listen = "127.0.0.1:0".parse().unwrap();
    config.storage.data_dir = data_dir.clone();
    config.rooms.create = vec!["demo".into(), "other".into()];
    adjust(&mut config);
    let running = spotter_server::start(config).await.expect("server starts");
    let addr = running.http_addr;
    TestServer {
        http: format!("http://{addr}"),
        ws: format!("ws://{addr}/ws"),
        data_dir,
        running: Some(running),
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

impl TestServer {
    /// Shuts the server down (storage flushed and closed), keeping its data directory.
    pub async fn stop(mut self) -> PathBuf {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
        std::mem::take(&mut self.data_dir)
    }

    pub async fn connect(&self) -> Signaling {
        Signaling::connect(&self.ws)
            .await
            .expect("websocket connects")
    }

    pub async fn join(&self, role: Role, name: &str) -> (Signaling, String) {
        let mut signaling = self.connect().await;
        let joined = signaling.join("demo", role, name).await.expect("joins");
        (signaling, joined.participant_id.to_string())
    }

    /// `GET` a path's body as text.
    pub async fn get_text(&self, path: &str) -> String {
        http_get(&format!("{}{path}", self.http)).await.1
    }

    /// `GET` a path, returning the status and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.http);
        let (status, body) = http_get(&url).await;
        (
            status,
            serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// A minimal HTTP/1.1 GET over a TCP stream, enough for the JSON API.
async fn http_get(url: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    // The API answers with a Content-Length body; chunked bodies are not used.
    (status, body)
}

/// The next message that is not about participants coming and going.
pub async fn next_message(signaling: &mut Signaling) -> ServerMessage {
    loop {
        let message = signaling
            .recv_timeout(Duration::from_secs(10))
            .await
            .expect("a message");
        match message {
            ServerMessage::ParticipantJoined { .. } | ServerMessage::ParticipantLeft { .. } => {}
            other => return other,
        }
    }
}

/// The code of the next error message.
pub async fn next_error_code(signaling: &mut Signaling) -> String {
    match next_message(signaling).await {
        ServerMessage::Error { code, .. } => code.to_string(),
        other => panic!("expected an error, got {other:?}"),
    }
}
