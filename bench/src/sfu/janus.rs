//! Janus (Debian's `janus` package) with only its VideoRoom plugin and HTTP transport, from a
//! private configuration folder; driven over its REST API. See `docs/janus.md` for why each
//! setting is what it is.

use super::{CONNECT_TIMEOUT, Joined, Membership, Publishing, new_peer};
use crate::http;
use crate::process::ServerProcess;
use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use spotter_peer::{VideoPublisher, VideoSubscriber};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The publisher's id in every room (one publisher per room).
const PUBLISHER_ID: u64 = 1;

pub struct Janus {
    pub(super) process: ServerProcess,
    /// `ip:port` of the REST API.
    http: String,
    ip: IpAddr,
    control: Session,
}

/// A Janus session with one VideoRoom handle: one per participant, as each browser has.
pub struct Session {
    http: String,
    id: u64,
    handle: u64,
}

static TRANSACTIONS: AtomicU64 = AtomicU64::new(0);

fn transaction() -> String {
    format!("t{}", TRANSACTIONS.fetch_add(1, Ordering::Relaxed))
}

/// Where Debian's package puts Janus, or why it cannot run here.
pub fn find() -> anyhow::Result<PathBuf> {
    let binary = PathBuf::from("/usr/bin/janus");
    ensure!(
        binary.exists(),
        "Janus is not installed (Debian: apt-get install --no-install-recommends janus)"
    );
    modules_dir()?;
    Ok(binary)
}

const MODULES: [(&str, &str); 2] = [
    ("plugins", "libjanus_videoroom.so"),
    ("transports", "libjanus_http.so"),
];

/// Debian's folder of Janus's plugins and transports: `/usr/lib/<multiarch triple>/janus`.
fn modules_dir() -> anyhow::Result<PathBuf> {
    std::fs::read_dir("/usr/lib")?
        .flatten()
        .map(|entry| entry.path().join("janus"))
        .find(|dir| {
            MODULES
                .iter()
                .all(|(kind, module)| dir.join(kind).join(module).exists())
        })
        .context("Janus's VideoRoom plugin and HTTP transport are not in /usr/lib/*/janus")
}

impl Janus {
    /// Starts Janus with ICE on `ip` only (Janus never offers loopback candidates) and its
    /// files in `dir`.
    /// `event_loops`: Janus's media threads (0: its default, one per handle).
    pub async fn start(
        binary: &Path,
        ip: IpAddr,
        dir: &Path,
        event_loops: usize,
    ) -> anyhow::Result<Self> {
        let port = crate::free_tcp_port()?;
        let conf = write_config(dir, ip, port, event_loops)?;
        let mut command = Command::new(binary);
        command.arg("-F").arg(&conf).arg("-o");
        let mut process = ServerProcess::spawn("janus", command, &dir.join("janus.log"))?;
        let http = format!("127.0.0.1:{port}");
        crate::wait_until_ready(&mut process, &http, "/janus/info").await?;
        let control = Session::open(&http).await?;
        Ok(Self {
            process,
            http,
            ip,
            control,
        })
    }

    fn room_id(room: u32) -> u64 {
        1000 + u64::from(room)
    }

    pub async fn prepare_room(&self, room: u32) -> anyhow::Result<()> {
        let data = self
            .control
            .request(json!({
                "request": "create",
                "room": Self::room_id(room),
                "publishers": 1,
                "videocodec": "h264",
                "h264_profile": "42e01f",
                // No REMB to the publisher (the clip plays at its own rate, as with Spotter).
                "bitrate": 0,
                "fir_freq": 0,
                "notify_joining": false,
            }))
            .await?;
        // 427: it exists already (a room is reused across scenarios).
        if data["videoroom"] != "created" && data["error_code"] != 427 {
            bail!("creating room {}: {data}", Self::room_id(room));
        }
        Ok(())
    }

    pub async fn publish(&self, room: u32) -> anyhow::Result<Publishing> {
        let session = Session::open(&self.http).await?;
        let mut peer = new_peer(self.ip).await?;
        let (video, keyframe_requests) = VideoPublisher::add_to(&peer).await?;
        let offer = peer.create_offer().await?;
        let event = session
            .message_awaiting_event(
                json!({"request": "joinandconfigure", "ptype": "publisher",
                       "room": Self::room_id(room), "id": PUBLISHER_ID, "display": "bench"}),
                Some(json!({"type": "offer", "sdp": offer, "trickle": false})),
            )
            .await?;
        let answer = event["jsep"]["sdp"]
            .as_str()
            .with_context(|| format!("no answer to the publisher's offer: {event}"))?;
        peer.accept_answer(answer.to_owned()).await?;
        peer.connected(CONNECT_TIMEOUT).await?;
        // Subscribers may join once Janus has the publisher's media up.
        session
            .wait_event(|e| e["janus"] == "webrtcup" && e["sender"] == session.handle)
            .await?;
        Ok(Publishing {
            joined: Joined {
                peer,
                membership: Membership::Janus(session),
            },
            video,
            keyframe_requests,
        })
    }

    pub async fn subscribe(&self, room: u32) -> anyhow::Result<(Joined, VideoSubscriber)> {
        let session = Session::open(&self.http).await?;
        let event = session
            .message_awaiting_event(
                json!({"request": "join", "ptype": "subscriber", "room": Self::room_id(room),
                       "streams": [{"feed": PUBLISHER_ID}]}),
                None,
            )
            .await?;
        let offer = event["jsep"]["sdp"]
            .as_str()
            .with_context(|| format!("Janus offered no media: {event}"))?;
        let mut peer = new_peer(self.ip).await?;
        // Janus offers; the receive-only transceiver added first takes its video m-line.
        let video = VideoSubscriber::add_to(&mut peer).await?;
        let answer = peer.answer(offer.to_owned()).await?;
        session
            .message_awaiting_event(
                json!({"request": "start"}),
                Some(json!({"type": "answer", "sdp": answer, "trickle": false})),
            )
            .await?;
        peer.connected(CONNECT_TIMEOUT).await?;
        let joined = Joined {
            peer,
            membership: Membership::Janus(session),
        };
        Ok((joined, video))
    }
}

impl Session {
    async fn open(http: &str) -> anyhow::Result<Self> {
        let created = post(http, "/janus", json!({"janus": "create"})).await?;
        let id = created["data"]["id"].as_u64().context("no session id")?;
        let attached = post(
            http,
            &format!("/janus/{id}"),
            json!({"janus": "attach", "plugin": "janus.plugin.videoroom"}),
        )
        .await?;
        let handle = attached["data"]["id"].as_u64().context("no handle id")?;
        Ok(Self {
            http: http.to_owned(),
            id,
            handle,
        })
    }

    /// A request the plugin answers at once (`create`, `destroy`, ...): its data.
    async fn request(&self, body: Value) -> anyhow::Result<Value> {
        let answer = post(
            &self.http,
            &format!("/janus/{}/{}", self.id, self.handle),
            json!({"janus": "message", "body": body}),
        )
        .await?;
        Ok(answer["plugindata"]["data"].clone())
    }

    /// A request the plugin acknowledges and answers later in an event: that event.
    async fn message_awaiting_event(
        &self,
        body: Value,
        jsep: Option<Value>,
    ) -> anyhow::Result<Value> {
        let id = transaction();
        let mut message = json!({"janus": "message", "transaction": id, "body": body});
        if let Some(jsep) = jsep {
            message["jsep"] = jsep;
        }
        let (status, ack) = http::request(
            "POST",
            &self.http,
            &format!("/janus/{}/{}", self.id, self.handle),
            None,
            Some(&message),
        )
        .await?;
        ensure!(
            status == 200 && ack["janus"] == "ack",
            "Janus refused {body}: {ack}"
        );
        let event = self.wait_event(|e| e["transaction"] == id.as_str()).await?;
        let data = &event["plugindata"]["data"];
        if let Some(error) = data["error"].as_str() {
            bail!("Janus: {error} (code {})", data["error_code"]);
        }
        Ok(event)
    }

    /// Long-polls this session's events until one matches.
    async fn wait_event(&self, wanted: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let (_, events) = http::request(
                "GET",
                &self.http,
                &format!("/janus/{}?maxev=10", self.id),
                None,
                None,
            )
            .await?;
            let events = match events {
                Value::Array(events) => events,
                one => vec![one],
            };
            if let Some(event) = events.into_iter().find(|e| wanted(e)) {
                return Ok(event);
            }
        }
        bail!("no awaited event from Janus in 20 s")
    }

    /// Ends the session (and hangs up its handle).
    pub async fn destroy(self) {
        if let Err(e) = post(
            &self.http,
            &format!("/janus/{}", self.id),
            json!({"janus": "destroy"}),
        )
        .await
        {
            tracing::warn!("destroying Janus session {}: {e:#}", self.id);
        }
    }
}

/// A request Janus answers synchronously with `success`.
async fn post(http: &str, path: &str, mut body: Value) -> anyhow::Result<Value> {
    body["transaction"] = json!(transaction());
    let (status, answer) = http::request("POST", http, path, None, Some(&body)).await?;
    ensure!(
        status == 200 && answer["janus"] == "success",
        "Janus answered {path} with {status}: {answer}"
    );
    Ok(answer)
}

/// A configuration folder with only the VideoRoom plugin and the HTTP transport.
fn write_config(dir: &Path, ip: IpAddr, port: u16, event_loops: usize) -> anyhow::Result<PathBuf> {
    let conf = dir.join("conf");
    for sub in ["conf", "plugins", "transports", "empty"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let modules = modules_dir()?;
    for (kind, module) in MODULES {
        let link = dir.join(kind).join(module);
        if !link.exists() {
            std::os::unix::fs::symlink(modules.join(kind).join(module), &link)?;
        }
    }
    let d = dir.canonicalize()?;
    let d = d.display();
    // session_timeout 0: sessions never time out (the benchmark polls only while joining).
    let event_loops = match event_loops {
        0 => String::new(),
        n => format!("event_loops = {n}"),
    };
    std::fs::write(
        conf.join("janus.jcfg"),
        format!(
            r#"general: {{ configs_folder = "{d}/conf" plugins_folder = "{d}/plugins"
  transports_folder = "{d}/transports" events_folder = "{d}/empty" loggers_folder = "{d}/empty"
  debug_level = 3 debug_colors = false session_timeout = 0 {event_loops} protected_folders = [] }}
certificates: {{ }}
media: {{ ipv6 = false rtp_port_range = "20000-40000" nack_optimizations = false no_media_timer = 1
  min_nack_queue = 200 twcc_period = 200 slowlink_threshold = 0 }}
nat: {{ nice_debug = false full_trickle = false ice_lite = false ignore_mdns = true ice_enforce_list = "{ip}" }}
plugins: {{ }}
transports: {{ }}
loggers: {{ }}
events: {{ broadcast = false }}
"#
        ),
    )?;
    std::fs::write(
        conf.join("janus.transport.http.jcfg"),
        format!(
            "general: {{ json = \"compact\" base_path = \"/janus\" http = true port = {port} ip = \"127.0.0.1\" https = false }}\nadmin: {{ admin_http = false }}\n"
        ),
    )?;
    std::fs::write(conf.join("janus.plugin.videoroom.jcfg"), "general: { }\n")?;
    Ok(conf)
}
