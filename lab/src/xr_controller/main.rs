//! `spotter-xr-controller`: presses a button on a controller of the OpenXR runtime the headset
//! runs on, so a test drives the wearer's buttons through the real OpenXR action path. Monado's
//! `remote` driver (`P_OVERRIDE_ACTIVE_CONFIG=remote`) gives it a head and two Valve Index
//! controllers whose state comes from a TCP peer; this tool is that peer. It holds the button
//! long enough for a slow XR frame loop to see it down, then releases it.
//! See docs/decisions/xr-controllers-remote-driver.md.

mod remote_state;

use anyhow::Context;
use clap::Parser;
use remote_state::{Button, Hand, RECORD_LEN, RemoteState};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "spotter-xr-controller",
    about = "Press a button on a controller of Monado's remote driver"
)]
struct Args {
    /// Where Monado's remote driver listens.
    #[arg(long, default_value = "127.0.0.1:4242")]
    runtime: SocketAddr,
    /// How long the button stays down (the headset's XR loop must see it down at least once).
    #[arg(long, default_value_t = 500)]
    hold_ms: u64,
    hand: Hand,
    button: Button,
}

fn read_record(stream: &mut TcpStream) -> anyhow::Result<RemoteState> {
    let mut bytes = [0; RECORD_LEN];
    stream
        .read_exact(&mut bytes)
        .context("reading the runtime's controller state")?;
    Ok(RemoteState::parse(bytes)?)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut stream = TcpStream::connect_timeout(&args.runtime, Duration::from_secs(5))
        .with_context(|| {
            format!(
                "connecting to Monado's remote driver at {} (is it started with P_OVERRIDE_ACTIVE_CONFIG=remote?)",
                args.runtime
            )
        })?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_nodelay(true)?;
    // The hub sends its reset state, then the current one: the press starts from the latter.
    read_record(&mut stream)?.check_reset_layout()?;
    let mut state = read_record(&mut stream)?;
    for down in [true, false] {
        state.set_button(args.hand, args.button, down);
        stream
            .write_all(&state.bytes())
            .context("sending the controller state")?;
        std::thread::sleep(Duration::from_millis(args.hold_ms));
    }
    println!(
        "pressed {:?} {:?} for {} ms",
        args.hand, args.button, args.hold_ms
    );
    Ok(())
}
