//! Configuration: one TOML file with a section per area, environment variables over it, and
//! command-line flags over those. `spotter-server --help` lists every flag with its variable;
//! `server/spotter.sample.toml` is a commented sample of the file.

use crate::http::origin::Origin;
use anyhow::Context;
use clap::Parser;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The server's whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub http: HttpConfig,
    pub media: MediaConfig,
    pub storage: StorageConfig,
    pub rooms: RoomsConfig,
    pub limits: LimitsConfig,
    pub auth: AuthConfig,
    pub recording: RecordingConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordingConfig {
    /// Record every room while its headset is in (from its first video), without anyone
    /// starting it.
    pub auto: bool,
    /// Whether trainers may delete their rooms' recordings (the admin key always may).
    pub trainers_may_delete: bool,
    /// Recordings stopped longer ago than this many days are deleted (unset: kept).
    pub retention_days: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Address of the HTTP API, the WebSocket signaling and the web client.
    pub listen: SocketAddr,
    /// The built web client to serve at `/`.
    pub web_dir: PathBuf,
    /// The address people open, for invite links (`https://spotter.plant.example`). Unset: the
    /// address the admin request came to.
    pub public_url: Option<String>,
    /// TLS certificate chain (PEM). With `tls_key`, the server speaks HTTPS and WSS: browsers
    /// give the microphone only to secure pages (localhost excepted).
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Origins (`scheme://host[:port]`) whose pages may open the signaling socket besides the
    /// server's own and `public_url`'s, e.g. a development server. Other sites' pages are
    /// refused; clients that are not browsers send no origin and are let in.
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// UDP address of the media relay; one port carries every peer. Port 0 picks a free one.
    pub listen: SocketAddr,
    /// Address to advertise to peers when `listen` is 0.0.0.0 or behind a 1:1 NAT.
    pub public_ip: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Directory of the embedded database.
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoomsConfig {
    /// Rooms to create at start-up if they do not exist yet.
    pub create: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Key of the admin API (`Authorization: Bearer <key>`), at least 16 characters. Unset: the
    /// admin API is off.
    pub admin_key: Option<String>,
    /// File holding the secret that signs access tokens, created on first start; relative
    /// paths are inside the data directory. Nodes that share it accept each other's tokens.
    pub secret_file: PathBuf,
    /// How long an invite link stays valid when its request does not say.
    pub invite_ttl_seconds: u64,
    /// A credential for `GET /metrics` only (`Authorization: Bearer <token>`), so that
    /// Prometheus need not hold the admin key, which also opens `/metrics`. At least 16
    /// characters.
    pub metrics_token: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            admin_key: None,
            secret_file: PathBuf::from("token-secret"),
            invite_ttl_seconds: 24 * 3600,
            metrics_token: None,
        }
    }
}

/// What one client or one room may take; beyond it, requests get `limit_reached`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Rooms this node holds.
    pub rooms: usize,
    /// People in one room at once (the headset included).
    pub participants_per_room: usize,
    /// Signaling messages one connection may send per second, sustained...
    pub messages_per_second: u32,
    /// ...and in a burst.
    pub message_burst: u32,
    /// TCP connections to the HTTP port at once (WebSockets included), in all and from one
    /// source address. Lowered at start to fit the open-file limit.
    pub http_connections: usize,
    pub http_connections_per_address: usize,
    /// Signaling WebSockets at once, in all and from one source address.
    pub websockets: usize,
    pub websockets_per_address: usize,
    /// A WebSocket that has not joined a room this long after it opened is closed.
    pub join_timeout_seconds: u64,
    /// Marks one participant may place per second, sustained and in a burst...
    pub marks_per_second: u32,
    pub mark_burst: u32,
    /// ...and one room, everyone together: each mark is work for the room's headset.
    pub room_marks_per_second: u32,
    pub room_mark_burst: u32,
    /// ICE-TCP connections (media where UDP is blocked) held at once, and from one source
    /// address. Lowered at start to fit the open-file limit.
    pub ice_tcp_connections: usize,
    pub ice_tcp_per_address: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            rooms: 100,
            participants_per_room: 16,
            messages_per_second: 50,
            message_burst: 100,
            http_connections: 2000,
            http_connections_per_address: 200,
            websockets: 1000,
            websockets_per_address: 50,
            join_timeout_seconds: 5,
            marks_per_second: 5,
            mark_burst: 10,
            room_marks_per_second: 20,
            room_mark_burst: 40,
            ice_tcp_connections: 1000,
            ice_tcp_per_address: 16,
        }
    }
}

impl HttpConfig {
    /// `https` when the server terminates TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls_cert.is_some() {
            "https"
        } else {
            "http"
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            web_dir: PathBuf::from("client-web/dist"),
            public_url: None,
            tls_cert: None,
            tls_key: None,
            allowed_origins: Vec::new(),
        }
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3478)),
            public_ip: None,
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
        }
    }
}

impl Default for RoomsConfig {
    fn default() -> Self {
        Self {
            create: vec!["demo".into()],
        }
    }
}

/// Command-line flags; each also reads its `SPOTTER_*` environment variable. Anything set here
/// overrides the configuration file.
#[derive(Debug, Default, Parser)]
#[command(
    name = "spotter-server",
    version,
    about = "Spotter's signaling server and media relay (SFU)",
    after_help = "Precedence: flags, then SPOTTER_* environment variables, then the configuration file, then the defaults shown in server/spotter.sample.toml."
)]
pub struct Flags {
    /// A TOML configuration file (see server/spotter.sample.toml).
    #[arg(long, env = "SPOTTER_CONFIG")]
    pub config: Option<PathBuf>,
    /// [http] listen: address of the HTTP API, signaling and web client [default: 127.0.0.1:8080].
    #[arg(long, env = "SPOTTER_HTTP")]
    pub http: Option<SocketAddr>,
    /// [http] web_dir: the built web client to serve [default: client-web/dist].
    #[arg(long, env = "SPOTTER_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// [media] listen: UDP address of the media relay [default: 127.0.0.1:3478].
    #[arg(long, env = "SPOTTER_MEDIA")]
    pub media: Option<SocketAddr>,
    /// [media] public_ip: address advertised to peers (1:1 NAT, or listening on 0.0.0.0).
    #[arg(long, env = "SPOTTER_PUBLIC_IP")]
    pub public_ip: Option<IpAddr>,
    /// [storage] data_dir: directory of the embedded database [default: data].
    #[arg(long, env = "SPOTTER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// [rooms] create: rooms to create at start-up, comma-separated [default: demo].
    #[arg(long = "room", env = "SPOTTER_ROOMS", value_delimiter = ',')]
    pub rooms: Option<Vec<String>>,
    /// [http] public_url: the address people open, for invite links.
    #[arg(long, env = "SPOTTER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// [http] tls_cert: certificate chain (PEM) to serve HTTPS/WSS with (needs --tls-key).
    #[arg(long, env = "SPOTTER_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// [http] tls_key: private key (PEM) of --tls-cert.
    #[arg(long, env = "SPOTTER_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// [http] allowed_origins: other origins whose pages may open the signaling socket,
    /// comma-separated (e.g. http://localhost:5173) [default: none].
    #[arg(
        long = "allowed-origin",
        env = "SPOTTER_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Option<Vec<String>>,
    /// [auth] admin_key: key of the admin API (at least 16 characters) [default: off].
    #[arg(long, env = "SPOTTER_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// [auth] metrics_token: a credential for GET /metrics only [default: the admin key only].
    #[arg(long, env = "SPOTTER_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

impl Config {
    /// Parses a configuration file's text; unknown keys are errors, so a typo is not ignored.
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(text)?)
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the configuration file {}", path.display()))?;
        Self::from_toml(&text).with_context(|| format!("in {}", path.display()))
    }

    /// The file named by the flags (or the defaults), with the flags applied over it.
    pub fn load(flags: Flags) -> anyhow::Result<Self> {
        let config = match &flags.config {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        // `spotter_server::start` checks the values (`Config::check`).
        Ok(config.with_flags(flags))
    }

    /// Refuses values that parse but cannot work.
    pub fn check(&self) -> anyhow::Result<()> {
        for (name, key) in [
            ("admin_key", &self.auth.admin_key),
            ("metrics_token", &self.auth.metrics_token),
        ] {
            if let Some(key) = key {
                anyhow::ensure!(
                    key.chars().count() >= crate::auth::MIN_ADMIN_KEY_CHARS,
                    "[auth] {name} must be at least {} characters",
                    crate::auth::MIN_ADMIN_KEY_CHARS
                );
            }
        }
        let limits = &self.limits;
        for (name, value) in [
            ("http_connections", limits.http_connections),
            (
                "http_connections_per_address",
                limits.http_connections_per_address,
            ),
            ("websockets", limits.websockets),
            ("websockets_per_address", limits.websockets_per_address),
            ("join_timeout_seconds", limits.join_timeout_seconds as usize),
            ("marks_per_second", limits.marks_per_second as usize),
            (
                "room_marks_per_second",
                limits.room_marks_per_second as usize,
            ),
            ("ice_tcp_connections", limits.ice_tcp_connections),
            ("ice_tcp_per_address", limits.ice_tcp_per_address),
        ] {
            anyhow::ensure!(value > 0, "[limits] {name} must be at least 1");
        }
        anyhow::ensure!(
            self.http.tls_cert.is_some() == self.http.tls_key.is_some(),
            "[http] tls_cert and tls_key go together: set both for HTTPS, or neither"
        );
        if let Some(url) = &self.http.public_url {
            anyhow::ensure!(
                url.starts_with("http://") || url.starts_with("https://"),
                "[http] public_url must start with http:// or https://, not {url:?}"
            );
            anyhow::ensure!(
                Origin::of_url(url).is_some(),
                "[http] public_url {url:?} names no host[:port] after the scheme"
            );
        }
        for origin in &self.http.allowed_origins {
            anyhow::ensure!(
                Origin::parse(origin).is_some(),
                "[http] allowed_origins: {origin:?} is not an origin; write scheme://host[:port] \
                 with no path, as browsers send it (e.g. http://localhost:5173)"
            );
        }
        Ok(())
    }

    /// The token secret's file: relative paths are inside the data directory.
    pub fn secret_path(&self) -> PathBuf {
        self.storage.data_dir.join(&self.auth.secret_file)
    }

    fn with_flags(mut self, flags: Flags) -> Self {
        if let Some(v) = flags.http {
            self.http.listen = v;
        }
        if let Some(v) = flags.web_dir {
            self.http.web_dir = v;
        }
        if let Some(v) = flags.media {
            self.media.listen = v;
        }
        if flags.public_ip.is_some() {
            self.media.public_ip = flags.public_ip;
        }
        if let Some(v) = flags.data_dir {
            self.storage.data_dir = v;
        }
        if let Some(v) = flags.rooms {
            self.rooms.create = v;
        }
        if flags.public_url.is_some() {
            self.http.public_url = flags.public_url;
        }
        if flags.admin_key.is_some() {
            self.auth.admin_key = flags.admin_key;
        }
        if flags.metrics_token.is_some() {
            self.auth.metrics_token = flags.metrics_token;
        }
        if flags.tls_cert.is_some() {
            self.http.tls_cert = flags.tls_cert;
        }
        if flags.tls_key.is_some() {
            self.http.tls_key = flags.tls_key;
        }
        if let Some(v) = flags.allowed_origins {
            self.http.allowed_origins = v;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        // Tests run in the package's directory (a path baked in at compile time could name
        // another clone that shares the target directory).
        std::fs::read_to_string("spotter.sample.toml").unwrap()
    }

    #[test]
    fn the_sample_file_parses_and_states_the_defaults() {
        assert_eq!(Config::from_toml(&sample()).unwrap(), Config::default());
    }

    #[test]
    fn a_file_sets_what_it_names_and_keeps_defaults_elsewhere() {
        let config =
            Config::from_toml("[media]\nlisten = \"0.0.0.0:3478\"\npublic_ip = \"203.0.113.7\"\n")
                .unwrap();
        assert_eq!(
            config.media.listen,
            "0.0.0.0:3478".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(config.media.public_ip, Some("203.0.113.7".parse().unwrap()));
        assert_eq!(config.http, HttpConfig::default());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_that_say_where() {
        let typo = Config::from_toml("[http]\nlisen = \"127.0.0.1:1\"\n").unwrap_err();
        assert!(format!("{typo:#}").contains("lisen"), "{typo:#}");
        let bad = Config::from_toml("[http]\nlisten = \"nowhere\"\n").unwrap_err();
        assert!(format!("{bad:#}").contains("listen"), "{bad:#}");
    }

    #[test]
    fn a_short_admin_key_or_a_public_url_without_scheme_is_refused() {
        let mut config = Config::default();
        config.auth.admin_key = Some("short".into());
        assert!(format!("{:#}", config.check().unwrap_err()).contains("admin_key"));
        config.auth.admin_key = Some("x".repeat(16));
        config.http.public_url = Some("spotter.example".into());
        assert!(format!("{:#}", config.check().unwrap_err()).contains("public_url"));
    }

    #[test]
    fn allowed_origins_must_be_origins() {
        let mut config = Config::default();
        config.http.allowed_origins = vec!["http://localhost:5173".into(), "https://[::1]".into()];
        config.check().unwrap();
        for bad in ["localhost:5173", "http://localhost:5173/", "null"] {
            config.http.allowed_origins = vec![bad.into()];
            let error = format!("{:#}", config.check().unwrap_err());
            assert!(
                error.contains("allowed_origins") && error.contains(bad),
                "{error}"
            );
        }
        let flags = Flags::try_parse_from([
            "spotter-server",
            "--allowed-origin",
            "http://localhost:5173,https://tools.plant.example",
        ])
        .unwrap();
        let config = Config::default().with_flags(flags);
        assert_eq!(
            config.http.allowed_origins,
            ["http://localhost:5173", "https://tools.plant.example"]
        );
    }

    #[test]
    fn flags_and_environment_override_the_file() {
        let file = Config::from_toml(
            "[storage]\ndata_dir = \"/var/lib/spotter\"\n[rooms]\ncreate = [\"a\"]\n",
        )
        .unwrap();
        let flags = Flags::try_parse_from([
            "spotter-server",
            "--room",
            "line-1,line-2",
            "--http",
            "0.0.0.0:80",
        ])
        .unwrap();
        let config = file.with_flags(flags);
        assert_eq!(config.rooms.create, ["line-1", "line-2"]);
        assert_eq!(
            config.http.listen,
            "0.0.0.0:80".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(config.storage.data_dir, PathBuf::from("/var/lib/spotter"));
    }
}
