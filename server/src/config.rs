//! Command-line configuration (every flag also reads a `SPOTTER_*` environment variable).

use clap::Parser;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "spotter-server",
    version,
    about = "Spotter's signaling server and media relay (SFU)"
)]
pub struct Config {
    /// Address of the HTTP API, the WebSocket signaling and the web client.
    #[arg(long, env = "SPOTTER_HTTP", default_value = "127.0.0.1:8080")]
    pub http: SocketAddr,
    /// UDP address of the media relay; one port carries every peer. Port 0 picks a free one.
    #[arg(long, env = "SPOTTER_MEDIA", default_value = "127.0.0.1:3478")]
    pub media: SocketAddr,
    /// Address to advertise to peers when the media socket is bound to 0.0.0.0 or sits behind
    /// a 1:1 NAT.
    #[arg(long, env = "SPOTTER_PUBLIC_IP")]
    pub public_ip: Option<IpAddr>,
    /// Directory of the embedded database.
    #[arg(long, env = "SPOTTER_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The built web client to serve at `/` (`client-web/dist`).
    #[arg(long, env = "SPOTTER_WEB_DIR", default_value = "client-web/dist")]
    pub web_dir: PathBuf,
    /// Rooms to create at start-up if they do not exist yet.
    #[arg(
        long = "room",
        env = "SPOTTER_ROOMS",
        value_delimiter = ',',
        default_value = "demo"
    )]
    pub rooms: Vec<String>,
}
