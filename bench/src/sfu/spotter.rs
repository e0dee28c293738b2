//! Spotter's server (`spotter-server`) as the benchmark runs it.

use super::{CONNECT_TIMEOUT, Joined, Membership, Publishing, new_peer};
use crate::http;
use crate::process::ServerProcess;
use anyhow::{Context, ensure};
use serde_json::json;
use spotter_peer::{Signaling, VideoPublisher, VideoSubscriber};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

pub struct Spotter {
    pub(super) process: ServerProcess,
    /// `ip:port` of the HTTP API and signaling.
    http: String,
    admin_key: String,
    ip: IpAddr,
    /// Invite tokens by room: (technician, expert).
    tokens: Mutex<HashMap<u32, (String, String)>>,
}

impl Spotter {
    /// Starts `binary` with its media on `ip`, its files in `dir`, and limits high enough for
    /// the largest scenario; `record_every_room` records each room from its first video.
    pub async fn start(
        binary: &Path,
        ip: IpAddr,
        dir: &Path,
        record_every_room: bool,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let config = dir.join("spotter.toml");
        std::fs::write(
            &config,
            // Every peer of the load generator signals from one address.
            format!(
                "[limits]\nrooms = 1000\nparticipants_per_room = 1000\nwebsockets = 4000\nwebsockets_per_address = 4000\nhttp_connections = 8000\nhttp_connections_per_address = 8000\n\n[recording]\nauto = {record_every_room}\n"
            ),
        )?;
        let http = format!("127.0.0.1:{}", crate::free_tcp_port()?);
        let admin_key = format!("bench-admin-key-{:016x}", rand::random::<u64>());
        let mut command = Command::new(binary);
        command
            .arg("--config")
            .arg(&config)
            .args(["--http", &http, "--media", &format!("{ip}:0")])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--web-dir")
            .arg(dir.join("no-web-client"))
            .args(["--room", "warm-up"])
            .env("SPOTTER_ADMIN_KEY", &admin_key)
            // Warnings only, as Janus is configured (SPOTTER_BENCH_SERVER_LOG to look closer).
            .env(
                "RUST_LOG",
                std::env::var("SPOTTER_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            );
        let mut process = ServerProcess::spawn("spotter-server", command, &dir.join("server.log"))?;
        crate::wait_until_ready(&mut process, &http, "/healthz").await?;
        Ok(Self {
            process,
            http,
            admin_key,
            ip,
            tokens: Mutex::new(HashMap::new()),
        })
    }

    fn room_name(room: u32) -> String {
        format!("bench-{room}")
    }

    pub async fn prepare_room(&self, room: u32) -> anyhow::Result<()> {
        let name = Self::room_name(room);
        let (status, body) = self
            .admin("/api/admin/rooms", json!({ "room": name }))
            .await?;
        ensure!(
            status == 201 || status == 200 || status == 409,
            "creating room {name}: {status} {body}"
        );
        let invite = async |role: &str| -> anyhow::Result<String> {
            let (status, body) = self
                .admin(
                    &format!("/api/admin/rooms/{name}/invites"),
                    json!({ "role": role, "name": format!("bench {role}"), "ttl_seconds": 86_400 }),
                )
                .await?;
            ensure!(status == 200 || status == 201, "an invite: {status} {body}");
            Ok(body["token"]
                .as_str()
                .context("an invite without a token")?
                .to_owned())
        };
        let tokens = (invite("technician").await?, invite("expert").await?);
        self.tokens.lock().unwrap().insert(room, tokens);
        Ok(())
    }

    async fn admin(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        http::request("POST", &self.http, path, Some(&self.admin_key), Some(&body)).await
    }

    fn token(&self, room: u32, technician: bool) -> anyhow::Result<String> {
        let tokens = self.tokens.lock().unwrap();
        let (tech, expert) = tokens.get(&room).context("the room was not prepared")?;
        Ok(if technician { tech } else { expert }.clone())
    }

    async fn join(&self, room: u32, technician: bool) -> anyhow::Result<Signaling> {
        let mut signaling = Signaling::connect(&format!("ws://{}/ws", self.http)).await?;
        signaling
            .join(
                &Self::room_name(room),
                &self.token(room, technician)?,
                "bench",
            )
            .await?;
        Ok(signaling)
    }

    pub async fn publish(&self, room: u32) -> anyhow::Result<Publishing> {
        let mut signaling = self.join(room, true).await?;
        let mut peer = new_peer(self.ip).await?;
        let (video, keyframe_requests) = VideoPublisher::add_to(&peer).await?;
        let offer = peer.create_offer().await?;
        let answer = signaling.exchange_offer(offer, |_| {}).await?;
        peer.accept_answer(answer).await?;
        peer.connected(CONNECT_TIMEOUT).await?;
        Ok(Publishing {
            joined: Joined {
                peer,
                membership: Membership::Spotter(signaling),
            },
            video,
            keyframe_requests,
        })
    }

    pub async fn subscribe(&self, room: u32) -> anyhow::Result<(Joined, VideoSubscriber)> {
        let mut signaling = self.join(room, false).await?;
        let mut peer = new_peer(self.ip).await?;
        let video = VideoSubscriber::add_to(&mut peer).await?;
        let offer = peer.create_offer().await?;
        let answer = signaling.exchange_offer(offer, |_| {}).await?;
        peer.accept_answer(answer).await?;
        peer.connected(CONNECT_TIMEOUT).await?;
        let joined = Joined {
            peer,
            membership: Membership::Spotter(signaling),
        };
        Ok((joined, video))
    }
}
