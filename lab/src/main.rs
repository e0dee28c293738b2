//! `spotter-link`: an emulated network link between this host and a network namespace, for
//! tests. The kernel here has no `netem`, so the link's impairments are applied in user space:
//! two TUN devices (one moved into the namespace) joined by this process, which forwards every
//! IP packet with a delay, random loss, a rate cap, optional UDP blocking, or not at all while
//! the link is cut. Both ends are real kernel network stacks; only the wire is emulated.
//!
//! The impairments are read from a control file (`key=value` lines) whenever it changes, so a
//! test can cut and restore the link while peers run:
//!
//! ```text
//! delay_ms=50      # one way, each direction
//! loss=0.05        # probability of dropping a packet, each direction
//! rate_kbps=1000   # 0: unlimited; queued beyond 300 ms is dropped, like a router's buffer
//! block_udp=1      # drop every UDP packet (a firewall that allows only TCP)
//! cut=1            # drop everything (a dead spot)
//! ```

mod impairment;
mod tun;

use anyhow::Context;
use clap::Parser;
use impairment::{Impairment, Link};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

#[derive(Parser)]
#[command(
    name = "spotter-link",
    about = "An emulated link between this host and a network namespace"
)]
struct Args {
    /// The network namespace to link to (created if missing).
    #[arg(long)]
    netns: String,
    /// This host's address on the link.
    #[arg(long)]
    host_ip: String,
    /// The namespace's address on the link.
    #[arg(long)]
    ns_ip: String,
    /// The control file with the impairments (created empty if missing: a perfect link).
    #[arg(long)]
    control: PathBuf,
}

fn ip(args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new("ip")
        .args(args)
        .status()
        .context("running ip")?;
    anyhow::ensure!(status.success(), "ip {} failed", args.join(" "));
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let exists = Command::new("ip")
        .args(["netns", "exec", &args.netns, "true"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !exists {
        ip(&["netns", "add", &args.netns])?;
    }
    let host_name = format!("{}-h", short(&args.netns));
    let ns_name = format!("{}-n", short(&args.netns));
    let host = tun::Tun::open(&host_name)?;
    let ns = tun::Tun::open(&ns_name)?;
    ip(&["link", "set", &ns_name, "netns", &args.netns])?;
    ip(&[
        "addr",
        "add",
        &args.host_ip,
        "peer",
        &args.ns_ip,
        "dev",
        &host_name,
    ])?;
    ip(&["link", "set", &host_name, "up"])?;
    let in_ns = |rest: &[&str]| {
        let mut all = vec!["netns", "exec", &args.netns, "ip"];
        all.extend_from_slice(rest);
        ip(&all)
    };
    in_ns(&[
        "addr",
        "add",
        &args.ns_ip,
        "peer",
        &args.host_ip,
        "dev",
        &ns_name,
    ])?;
    in_ns(&["link", "set", &ns_name, "up"])?;
    in_ns(&["link", "set", "lo", "up"])?;
    // Everything leaves the namespace through the link (the host's other addresses included).
    in_ns(&["route", "add", "default", "dev", &ns_name])?;

    if !args.control.exists() {
        std::fs::write(&args.control, "")?;
    }
    let impairment = Arc::new(RwLock::new(Impairment::default()));
    let host = Arc::new(host);
    let ns = Arc::new(ns);
    let up = Link::start("up", ns.clone(), host.clone(), impairment.clone());
    let down = Link::start("down", host, ns, impairment.clone());
    println!(
        "spotter-link: {} <-> {} in {} ready",
        args.host_ip, args.ns_ip, args.netns
    );

    let mut seen: Option<SystemTime> = None;
    loop {
        let modified = std::fs::metadata(&args.control)
            .and_then(|m| m.modified())
            .ok();
        if modified != seen {
            seen = modified;
            let text = std::fs::read_to_string(&args.control).unwrap_or_default();
            match Impairment::parse(&text) {
                Ok(next) => {
                    println!("spotter-link: {next:?}");
                    *impairment.write().unwrap() = next;
                }
                Err(e) => eprintln!("spotter-link: {}: {e}", args.control.display()),
            }
        }
        if up.is_finished() || down.is_finished() {
            anyhow::bail!("a direction of the link stopped");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Interface names are at most 15 bytes.
fn short(netns: &str) -> String {
    netns
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect()
}
