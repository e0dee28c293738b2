//! `spotter-bench`: Spotter's SFU and Janus's VideoRoom side by side on this host, under the
//! same load of real WebRTC peers (see `README.md` and `BENCHMARKS.md`).

mod http;
mod load;
mod plot;
mod process;
mod recording;
mod report;
mod scenarios;
mod sfu;

use anyhow::Context;
use clap::Parser;
use load::stream_check::ExpectedFrames;
use scenarios::{ChurnResult, Load, LoadResult};
use sfu::Sfu;
use spotter_peer::clip::Clip;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum)]
enum JanusWanted {
    /// Run Janus too, or say why not and go on.
    Auto,
    /// Run Janus too, or fail.
    Required,
    Off,
}

#[derive(Debug, Parser)]
#[command(
    name = "spotter-bench",
    about = "Spotter and Janus under the same WebRTC load"
)]
pub struct Args {
    /// The recorded clip the publishers play (`spotter-record-clip`).
    #[arg(long)]
    clip: PathBuf,
    /// The `spotter-server` binary to measure (a release build for figures).
    #[arg(long)]
    spotter_server: PathBuf,
    #[arg(long, value_enum, default_value = "auto")]
    janus: JanusWanted,
    /// Janus's media threads (`event_loops`): one per core by default, as Spotter's runtime
    /// has; 0 for Janus's own default, a thread per handle.
    #[arg(long, default_value_t = 2)]
    janus_event_loops: usize,
    /// A non-loopback address of this host: Janus never offers loopback candidates, so both
    /// servers and every peer use this one (the traffic still stays on `lo`).
    #[arg(long)]
    ip: IpAddr,
    /// Subscribers of one publisher, one room per figure.
    #[arg(long, value_delimiter = ',', default_value = "1,10,50,100,200")]
    sizes: Vec<usize>,
    /// Rooms held at once in the many-rooms scenario (0: skip it)...
    #[arg(long, default_value_t = 50)]
    rooms: u32,
    /// ...each with one publisher and this many subscribers.
    #[arg(long, default_value_t = 2)]
    experts_per_room: usize,
    /// Seconds each load is measured for, after it settled.
    #[arg(long, default_value_t = 15.0)]
    window: f64,
    #[arg(long, default_value_t = 3.0)]
    settle: f64,
    /// Join-and-leave cycles for the memory check (0: skip it).
    #[arg(long, default_value_t = 1000)]
    cycles: usize,
    #[arg(long, default_value_t = 10)]
    cycles_at_once: usize,
    /// Subscribers of the room Spotter holds twice, recording and not, for what recording
    /// costs (0: skip it).
    #[arg(long, default_value_t = 10)]
    recording_subscribers: usize,
    /// Where the servers' files and logs and `results.json` go.
    #[arg(long)]
    out_dir: PathBuf,
    /// Also write the report (Markdown) here, with its plot beside it.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Latency figures measured in Chromium (JSON from the e2e latency run), for the report.
    #[arg(long)]
    latency: Option<PathBuf>,
    /// Notes to end the report with (what the figures mean, what the profiles show).
    #[arg(long)]
    notes: Option<PathBuf>,
    /// The command line to print in the report.
    #[arg(long, default_value = "./scripts/bench")]
    command: String,
    /// Fail unless every server ran delivered intact video to every subscriber (for the
    /// test command's smoke run; timings are never checked).
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Results {
    pub clip: String,
    pub clip_kbps: f64,
    pub fan_out: Vec<LoadResult>,
    pub rooms: Vec<LoadResult>,
    pub churn: Vec<ChurnResult>,
    /// Spotter with one room recording beside none, and what it wrote.
    pub recording: Option<recording::RecordingCost>,
    pub skipped: Vec<String>,
    /// Janus's `event_loops` setting (0: a thread per handle).
    pub janus_event_loops: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "spotter_bench=info".into()),
        )
        .init();
    let args = Args::parse();
    std::fs::create_dir_all(&args.out_dir)?;
    let clip = Arc::new(Clip::read(&args.clip)?);
    let load = Load {
        expected: Arc::new(ExpectedFrames::of(&clip)),
        clip: clip.clone(),
        settle: Duration::from_secs_f64(args.settle),
        window: Duration::from_secs_f64(args.window),
    };
    let mut results = Results {
        clip: format!(
            "{}x{} at {} frames/s, {} frames",
            clip.format.width,
            clip.format.height,
            clip.format.fps,
            clip.frames.len()
        ),
        clip_kbps: clip.bitrate_bps() / 1000.0,
        fan_out: Vec::new(),
        rooms: Vec::new(),
        churn: Vec::new(),
        recording: None,
        skipped: Vec::new(),
        janus_event_loops: args.janus_event_loops,
    };
    println!("clip: {}, {:.0} kbit/s", results.clip, results.clip_kbps);

    let mut servers = vec![Server::Spotter(args.spotter_server.clone())];
    match (args.janus, sfu::janus::find()) {
        (JanusWanted::Off, _) => results.skipped.push("Janus: not asked for".into()),
        (JanusWanted::Required, Err(e)) => return Err(e),
        (JanusWanted::Auto, Err(e)) => {
            println!("skipping Janus: {e:#}");
            results.skipped.push(format!("Janus: {e:#}"));
        }
        (_, Ok(binary)) => servers.push(Server::Janus(binary)),
    }
    run_all(&servers, &args, &load, &mut results).await?;

    let json = serde_json::to_string_pretty(&results)?;
    std::fs::write(args.out_dir.join("results.json"), json)?;
    report::print_summary(&results);
    if let Some(path) = &args.report {
        let latency = match &args.latency {
            Some(p) => Some(serde_json::from_str(
                &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
            )?),
            None => None,
        };
        let notes = match &args.notes {
            Some(p) => Some(
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
            ),
            None => None,
        };
        let build = if args
            .spotter_server
            .components()
            .any(|c| c.as_os_str() == "release")
        {
            "release build"
        } else {
            "debug build (not for figures)"
        };
        report::write(
            path,
            &results,
            &report::Extras {
                latency: latency.as_ref(),
                notes: notes.as_deref(),
                command: &args.command,
                spotter_build: build,
            },
        )?;
        println!("report written to {}", path.display());
    }
    if args.check {
        report::check_delivery(&results)?;
    }
    Ok(())
}

/// A server to measure, by its binary.
enum Server {
    Spotter(PathBuf),
    Janus(PathBuf),
}

impl Server {
    /// A fresh process, its files in `<out-dir>/<server>/<scenario>`: every scenario starts
    /// from an idle server, so its memory figures are its own.
    async fn start(&self, args: &Args, scenario: &str) -> anyhow::Result<Sfu> {
        Ok(match self {
            Server::Spotter(binary) => {
                let dir = args.out_dir.join("spotter").join(scenario);
                Sfu::Spotter(sfu::spotter::Spotter::start(binary, args.ip, &dir, false).await?)
            }
            Server::Janus(binary) => {
                let dir = args.out_dir.join("janus").join(scenario);
                Sfu::Janus(
                    sfu::janus::Janus::start(binary, args.ip, &dir, args.janus_event_loops).await?,
                )
            }
        })
    }
}

/// Every scenario, each against every server in turn (so that a slow spell of the machine
/// does not fall on one server's figures only), each with a fresh process.
async fn run_all(
    servers: &[Server],
    args: &Args,
    load: &Load,
    results: &mut Results,
) -> anyhow::Result<()> {
    for &n in &args.sizes {
        for server in servers {
            let mut sfu = server.start(args, &format!("fan-out-{n}")).await?;
            println!("{}: 1 publisher -> {n} subscribers", sfu.name());
            let result = scenarios::hold_rooms(&mut sfu, 1, n, load).await?;
            report::print_load(&result);
            results.fan_out.push(result);
        }
    }
    if args.recording_subscribers > 0 {
        let n = args.recording_subscribers;
        let cost = recording::measure(&args.spotter_server, args.ip, &args.out_dir, n, load);
        results.recording = Some(cost.await?);
    }
    for server in servers.iter().filter(|_| args.rooms > 0) {
        let mut sfu = server.start(args, "rooms").await?;
        println!(
            "{}: {} rooms of 1 publisher + {} subscribers",
            sfu.name(),
            args.rooms,
            args.experts_per_room
        );
        let result =
            scenarios::hold_rooms(&mut sfu, args.rooms, args.experts_per_room, load).await?;
        report::print_load(&result);
        results.rooms.push(result);
    }
    for server in servers.iter().filter(|_| args.cycles > 0) {
        let mut sfu = server.start(args, "join-leave").await?;
        println!("{}: {} join/leave cycles", sfu.name(), args.cycles);
        let result = scenarios::churn(&mut sfu, args.cycles, args.cycles_at_once, load).await?;
        report::print_churn(&result);
        results.churn.push(result);
    }
    Ok(())
}

/// A TCP port free on loopback now (the server binds it right after).
pub fn free_tcp_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Waits until `GET path` on `http` answers 200, or the process exits.
pub async fn wait_until_ready(
    process: &mut process::ServerProcess,
    http: &str,
    path: &str,
) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        process.check_running()?;
        if let Ok((200, _)) = http::request("GET", http, path, None, None).await {
            return Ok(());
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "{} did not answer {path} within 20 s",
            process.name
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
