//! Spotter's server: signaling over WebSocket, the SFU that relays the headset's video and
//! frame metadata to experts, the authoritative annotation state of every room, the REST API,
//! and the web client's files — one binary with embedded storage.
//!
//! - [`http`]: routes (`/healthz`, `/api/rooms/{room}`, the admin API, `/ws`, the web client);
//! - [`auth`]: access tokens and the admin key;
//! - [`session`]: one participant's signaling state machine;
//! - [`rooms`]: membership and annotation state, shared by sessions;
//! - [`sfu`]: the media relay on one UDP socket (str0m);
//! - [`store`]: persistence behind the [`store::RoomStore`] trait.

pub mod auth;
pub mod config;
pub mod connection_caps;
pub mod fmp4;
pub mod http;
pub mod metrics;
mod private_dir;
mod rate;
pub mod recording;
pub mod rooms;
pub mod session;
pub mod sfu;
pub mod state;
pub mod store;

use anyhow::Context;
use config::Config;
use connection_caps::ConnectionCaps;
use spotter_protocol::{RoomId, is_valid_room_name};
use state::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use store::RoomStore;

/// How long shutdown waits after telling clients, so the notice reaches them.
const CLOSING_NOTICE_TIME: std::time::Duration = std::time::Duration::from_millis(300);

/// A server that is listening.
pub struct Running {
    pub http_addr: SocketAddr,
    pub media_addr: SocketAddr,
    pub state: AppState,
    persister: store::Persister,
    stop: Arc<tokio::sync::Notify>,
    serve: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Serves until the HTTP server stops (Ctrl-C), then writes what storage has queued.
    pub async fn wait(self) -> anyhow::Result<()> {
        let result = self.serve.await;
        self.state.recordings.close();
        stop_storage(&self.persister).await;
        result??;
        Ok(())
    }

    /// Stops serving and closes storage, everything queued written.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.stop.notify_one();
        self.wait().await
    }
}

async fn stop_storage(persister: &store::Persister) {
    let persister = persister.clone();
    let _ = tokio::task::spawn_blocking(move || persister.stop()).await;
}

/// The TLS configuration from `[http] tls_cert` and `tls_key`, when set.
async fn tls_config(
    config: &Config,
) -> anyhow::Result<Option<axum_server::tls_rustls::RustlsConfig>> {
    let (Some(cert), Some(key)) = (&config.http.tls_cert, &config.http.tls_key) else {
        return Ok(None);
    };
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "loading the TLS certificate {} and key {}",
                cert.display(),
                key.display()
            )
        })?;
    Ok(Some(tls))
}

/// The base of invite links: the configured public address, else the bound one (never a
/// request's `Host` header, which the requester chooses).
fn base_url(config: &Config, bound: SocketAddr) -> String {
    if let Some(url) = &config.http.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let mut address = bound;
    if address.ip().is_unspecified() {
        // Listening on every interface: loopback is the one address sure to work here.
        address.set_ip(match address {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
        tracing::warn!(
            "[http] listen is {bound} and public_url is unset: invite links name {address}; set [http] public_url (SPOTTER_PUBLIC_URL) to the address people open"
        );
    }
    format!("{}://{address}", config.http.scheme())
}

/// The process's open-file limit (soft), raised to its hard limit first: the default soft
/// limit of many systems (1024) is too low for a server of hundreds of connections.
fn open_file_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!("reading the open-file limit: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

/// Opens storage, starts the SFU and the HTTP server.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    config.check()?;
    let secret = auth::load_or_create_secret(&config.secret_path())?;
    let auth = auth::Auth::new(
        &secret,
        config.auth.admin_key.clone(),
        config.auth.metrics_token.clone(),
    )?;
    // A database this version cannot read (an earlier development layout) is named, with what
    // to do, rather than reported as a bare table error.
    let unreadable = || {
        format!(
            "cannot use the database in {} (if an earlier development version of Spotter wrote it, move the directory aside to start with an empty one)",
            config.storage.data_dir.display()
        )
    };
    let store = store::RedbStore::open(&config.storage.data_dir).with_context(unreadable)?;
    for name in &config.rooms.create {
        anyhow::ensure!(is_valid_room_name(name), "invalid room name {name:?}");
        store
            .create_room(&RoomId::new(name.as_str()), rooms::fresh_epoch(0))
            .with_context(unreadable)?;
    }
    let stored_rooms = store.load().with_context(unreadable)?;
    let stored_library_invites = store
        .scope_invites(recording::access::LIBRARY_SCOPE)
        .with_context(unreadable)?;
    let store: Arc<dyn store::RoomStore> = Arc::new(store);
    let persister = store::Persister::start(store.clone());
    let library_invites =
        recording::access::LibraryInvites::load(stored_library_invites, persister.clone());
    let (recorder, recorder_commands) = recording::RecorderHook::channel();
    let rooms = rooms::RoomRegistry::new(persister.clone(), config.limits.clone())
        .with_recorder(recorder, config.recording.auto);
    for (room, stored) in stored_rooms {
        rooms
            .ensure_room(room, stored)
            .map_err(|e| anyhow::anyhow!("{e}: raise [limits] rooms"))?;
    }
    let totals = connection_caps::Totals {
        http: config.limits.http_connections,
        websockets: config.limits.websockets,
        ice_tcp: config.limits.ice_tcp_connections,
    };
    let file_limit = open_file_limit();
    let fitted = totals.fit_to_file_limit(file_limit);
    if fitted != totals {
        tracing::warn!(
            "the open-file limit ({file_limit}) allows at most {} HTTP connections, {} WebSockets and {} ICE-TCP connections at once; raise it (ulimit -n, or LimitNOFILE= in a systemd unit) to serve more",
            fitted.http,
            fitted.websockets,
            fitted.ice_tcp
        );
    }
    let relay_metrics = Arc::new(metrics::RelayMetrics::default());
    let sfu = sfu::SfuHandle::start(
        config.media.listen,
        config.media.public_ip,
        relay_metrics.clone(),
        ConnectionCaps::new("ICE-TCP", fitted.ice_tcp, config.limits.ice_tcp_per_address),
    )
    .await?;
    let recordings_dir = config.storage.data_dir.join("recordings");
    recording::start(
        recorder_commands,
        recordings_dir.clone(),
        sfu.clone(),
        rooms.clone(),
        persister.clone(),
    );
    let listener = std::net::TcpListener::bind(config.http.listen)
        .with_context(|| format!("binding {}", config.http.listen))?;
    listener.set_nonblocking(true)?;
    let http_addr = listener.local_addr()?;
    let state = AppState {
        rooms,
        sfu: sfu.clone(),
        limits: config.limits.clone(),
        websocket_caps: ConnectionCaps::new(
            "WebSocket",
            fitted.websockets,
            config.limits.websockets_per_address,
        ),
        relay_metrics,
        auth,
        admin_attempts: Arc::new(http::FailedAttempts::default()),
        base_url: base_url(&config, http_addr),
        invite_ttl: std::time::Duration::from_secs(config.auth.invite_ttl_seconds),
        origins: Arc::new(http::origin::OriginPolicy::new(&config.http)),
        recordings: recording::RecordingLibrary::new(store, recordings_dir),
        trainers_may_delete: config.recording.trainers_may_delete,
        library_invites,
    };
    if let Some(days) = config.recording.retention_days {
        recording::retention::start(state.recordings.clone(), days);
    }
    let app = http::app(state.clone(), &config.http.web_dir);
    let http_caps = ConnectionCaps::new(
        "HTTP",
        fitted.http,
        config.limits.http_connections_per_address,
    );
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    let rooms = state.rooms.clone();
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    // Ctrl-C or `shutdown`: tell every participant, give the notice time to leave, then stop.
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = stopped.notified() => {}
        }
        tracing::info!("shutting down");
        rooms.announce_closing("the server is shutting down");
        tokio::time::sleep(CLOSING_NOTICE_TIME).await;
        stopper.graceful_shutdown(Some(CLOSING_NOTICE_TIME));
    });
    let tls = tls_config(&config).await?;
    let serve = tokio::spawn(http::serve(listener, tls, app, http_caps, handle));
    Ok(Running {
        http_addr,
        media_addr: sfu.media_addr(),
        state,
        persister,
        stop,
        serve,
    })
}
