//! A real server on loopback for each test, with its own data directory.

#![allow(dead_code)]

pub mod live_session;
pub mod marks;
pub mod process;
pub mod recordings;
pub mod video;

use spotter_peer::Signaling;
use spotter_protocol::{Role, RoomId, ServerMessage};
use spotter_server::config::Config;
use std::path::PathBuf;
use std::time::Duration;

/// The admin key of every test server.
pub const ADMIN_KEY: &str = "test-admin-key-0123456789";

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
    config.auth.admin_key = Some(ADMIN_KEY.into());
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
        let joined = signaling
            .join("demo", &self.token("demo", role), name)
            .await
            .expect("joins");
        (signaling, joined.participant_id.to_string())
    }

    /// An access token for `role` in `room`, valid for an hour, signed by this server.
    pub fn token(&self, room: &str, role: Role) -> String {
        self.token_for(room, role, &format!("test-{role}"))
    }

    /// Like [`TestServer::token`], issued to `subject`.
    /// The room records it as an invite of its current epoch, as the admin API would.
    pub fn token_for(&self, room: &str, role: Role, subject: &str) -> String {
        let state = &self.running.as_ref().expect("a running server").state;
        let room = RoomId::new(room);
        let ttl = Duration::from_secs(3600);
        let sign = |epoch| {
            let subject = subject.to_owned();
            state.auth.issue(&room, role, subject, None, ttl, epoch)
        };
        match state.rooms.issue_invite(&room, sign) {
            Ok(issued) => issued.token,
            // A room this server does not hold: a token all the same, to test the refusal.
            Err(_) => sign(0).expect("a token").token,
        }
    }

    /// `GET` a path's body as text, as the admin.
    pub async fn get_text(&self, path: &str) -> String {
        self.request_text("GET", path, Some(ADMIN_KEY), None)
            .await
            .1
    }

    /// Fails unless `/healthz` answers a request from 127.0.0.1.
    pub async fn assert_healthy(&self, when: &str) {
        let (status, _, body) = self
            .raw_request(
                LOOPBACK,
                "GET",
                "/healthz",
                &[("Host", "spotter")],
                None,
                None,
            )
            .await;
        assert_eq!(
            (status, body.as_str()),
            (200, r#"{"status":"ok"}"#),
            "/healthz {when}"
        );
    }

    /// The HTTP address, `ip:port`.
    pub fn http_addr(&self) -> std::net::SocketAddr {
        self.running.as_ref().expect("a running server").http_addr
    }

    /// The server's SFU, as the server's own parts reach it (to attach sinks).
    pub fn sfu(&self) -> spotter_server::sfu::SfuHandle {
        self.running
            .as_ref()
            .expect("a running server")
            .state
            .sfu
            .clone()
    }

    /// The media port: UDP, and TCP on the same number (ICE-TCP).
    pub fn media_addr(&self) -> std::net::SocketAddr {
        self.running.as_ref().expect("a running server").media_addr
    }

    /// The roles of the participants in room `demo`, in the order the API lists them.
    pub async fn roles_in_demo(&self) -> Vec<String> {
        let (_, room) = self.get("/api/rooms/demo").await;
        room["participants"]
            .as_array()
            .expect("a participants list")
            .iter()
            .map(|p| p["role"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Participant `id` as `GET /api/rooms/demo` lists them (what a late joiner sees).
    pub async fn demo_participant(&self, id: &str) -> serde_json::Value {
        let (_, room) = self.get("/api/rooms/demo").await;
        room["participants"]
            .as_array()
            .expect("a participants list")
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} is not in the room"))
            .clone()
    }

    /// `GET` a path as the admin, returning the status and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.request("GET", path, Some(ADMIN_KEY), None).await
    }

    /// An HTTP request with an optional `Authorization: Bearer` credential and JSON body;
    /// returns the status and the JSON body (`Null` when it is not JSON).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let (status, text) = self.request_text(method, path, bearer, body).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Like [`TestServer::request`], the body as text.
    pub async fn request_text(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> (u16, String) {
        let host = self.http.strip_prefix("http://").unwrap().to_owned();
        let (status, _, body) = self
            .raw_request(LOOPBACK, method, path, &[("Host", &host)], bearer, body)
            .await;
        (status, body)
    }

    /// An HTTP request from source address `from` (any of 127.0.0.0/8) with extra headers;
    /// returns the status, the head and the body.
    pub async fn raw_request(
        &self,
        from: std::net::IpAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        bearer: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> (u16, String, String) {
        http_request(from, self.http_addr(), method, path, headers, bearer, body)
            .await
            .unwrap()
    }
}

/// An HTTP request to `to` from source address `from` (any of 127.0.0.0/8), with extra
/// headers, an optional `Authorization: Bearer` credential and JSON body; the status, the head
/// and the body, or why there is no answer.
pub async fn http_request(
    from: std::net::IpAddr,
    to: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    bearer: Option<&str>,
    body: Option<&serde_json::Value>,
) -> std::io::Result<(u16, String, String)> {
    let (status, head, body) =
        http_request_bytes(from, to, method, path, headers, bearer, body).await?;
    Ok((status, head, String::from_utf8_lossy(&body).into_owned()))
}

/// [`http_request`] with the body as bytes (a video file, say).
pub async fn http_request_bytes(
    from: std::net::IpAddr,
    to: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    bearer: Option<&str>,
    body: Option<&serde_json::Value>,
) -> std::io::Result<(u16, String, Vec<u8>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = connect_from(from, to).await?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    if let Some(credential) = bearer {
        request += &format!("Authorization: Bearer {credential}\r\n");
    }
    if !body.is_empty() {
        request += &format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    request += "\r\n";
    request += &body;
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let status = std::str::from_utf8(response.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            let text = String::from_utf8_lossy(&response);
            std::io::Error::other(format!("not an HTTP answer: {text:?}"))
        })?;
    // The API answers with a Content-Length body; chunked bodies are not used.
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let body = response.get(split + 4..).unwrap_or_default().to_vec();
    Ok((status, head, body))
}

pub const LOOPBACK: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// A source address on loopback other than 127.0.0.1, for an attacker (`n` from 2 up): Linux
/// routes all of 127.0.0.0/8 to the loopback interface.
pub fn attacker_address(n: u8) -> std::net::IpAddr {
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, n))
}

/// A TCP connection to `to` from source address `from`.
pub async fn connect_from(
    from: std::net::IpAddr,
    to: std::net::SocketAddr,
) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(std::net::SocketAddr::new(from, 0))?;
    socket.connect(to).await
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

/// Connections the kernel holds open on the server's side of local TCP port `port` (from
/// /proc/net/tcp): what an attack costs the server in sockets, whatever the server believes.
pub fn server_sockets_on(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is ADDR:PORT in hex; state 01 is ESTABLISHED, 08 CLOSE_WAIT.
            fields.len() > 3
                && fields[1]
                    .rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
                    == Some(port)
                && matches!(fields[3], "01" | "08")
        })
        .count()
}
