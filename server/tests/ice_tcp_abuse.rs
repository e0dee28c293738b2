//! The ICE-TCP port under a flood of connections that never become ICE: from one address,
//! 1,100 that send nothing (in the issue they held the 1,000 places for over 70 s); from
//! others, connections that stall on a 65,535-byte frame before or after a STUN request, and
//! connections whose first frame is not STUN. The server closes every one within seconds,
//! those beyond the per-address cap and those not STUN at once; meanwhile an ICE client from
//! another address keeps its connection, `/healthz` answers and a live session's video flows.

mod common;

use common::live_session::LiveSession;
use common::{LOOPBACK, attacker_address, connect_from, server_sockets_on};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use str0m::ice::{StunMessage, TransId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// Silent connections from the attacker's address, as in the issue.
const SILENT: usize = 1_100;
/// Connections of each other kind of attack.
const OTHERS: usize = 8;
/// `[limits] ice_tcp_per_address` by default.
const PER_ADDRESS: usize = 16;
/// The server's first-frame timeout: a client that sent its STUN request is kept past it.
const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(5);
/// Every attacking connection must be closed within this of its opening (5 s timeouts)...
const CLOSED_WITHIN: Duration = Duration::from_secs(15);
/// ...and those refused or plainly not ICE at once: well before any timeout.
const AT_ONCE: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_are_not_ice_are_closed_and_ice_tcp_keeps_working_for_others() {
    // Both ends of every connection are in this process.
    let files = rlimit::increase_nofile_limit(4096).unwrap() as usize;
    let silent_count = SILENT.min(files.saturating_sub(400));
    assert!(
        silent_count > 4 * PER_ADDRESS,
        "{files} open files are too few"
    );
    let server = common::start().await;
    let media = server.media_addr();
    let session = LiveSession::start(&server).await;

    let attack_began = Instant::now();
    let stun = framed(&binding_request());
    let stall = [0xff, 0xff, 1, 2, 3].to_vec(); // a 65,535-byte frame that never comes
    let stun_then_stall = [stun.clone(), stall.clone()].concat();
    let silent = attack(attacker_address(2), media, silent_count, Vec::new()).await;
    let stalled_first = attack(attacker_address(3), media, OTHERS, stall).await;
    let stalled_later = attack(attacker_address(4), media, OTHERS, stun_then_stall).await;
    let not_stun = attack(attacker_address(5), media, OTHERS, framed(&[0x16; 60])).await;
    let opened_in = attack_began.elapsed();

    // An ICE client from another address, during the attack.
    let mut client = connect_from(LOOPBACK, media).await.unwrap();
    client.write_all(&stun).await.unwrap();
    let client_connected = Instant::now();
    // What the server holds, by the kernel's count: the attacker's address its share, the
    // stalled ones until their timeout, and the client.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let held = server_sockets_on(media.port());
    let most = PER_ADDRESS + 2 * OTHERS + 1;
    assert!(
        held <= most,
        "{held} ICE-TCP connections held, not at most {most}"
    );
    server.assert_healthy("during the attack").await;
    session.assert_video_flows("during the attack").await;

    let silent = lifetimes(silent).await;
    let kept = silent.iter().filter(|&&t| t > AT_ONCE).count();
    let refused_within = silent.iter().filter(|&&t| t <= AT_ONCE).max();
    let not_stun = slowest(&lifetimes(not_stun).await);
    let slowest_by_kind = [
        ("silent", slowest(&silent)),
        (
            "stalled before STUN",
            slowest(&lifetimes(stalled_first).await),
        ),
        (
            "stalled after STUN",
            slowest(&lifetimes(stalled_later).await),
        ),
        ("not STUN", not_stun),
    ];
    println!(
        "{silent_count} silent connections opened in {opened_in:?}: {kept} held ({held} ICE-TCP \
         sockets in all by the kernel's count), the others \
         closed within {refused_within:?}; the slowest close of each kind: {slowest_by_kind:?}; \
         all \
         closed {:?} after the attack began",
        attack_began.elapsed()
    );
    for (kind, slowest) in slowest_by_kind {
        assert!(
            slowest < CLOSED_WITHIN,
            "{kind}: not all closed within {CLOSED_WITHIN:?}"
        );
    }
    // The address's places turn over once per first-frame timeout while the flood lasts (on
    // this machine it lasts less than one: exactly 16 are kept).
    let turnovers = 1 + (opened_in.as_secs_f64() / FIRST_FRAME_TIMEOUT.as_secs_f64()) as usize;
    assert!(
        (PER_ADDRESS..=PER_ADDRESS * turnovers).contains(&kept),
        "one address holds {PER_ADDRESS} connections; the others are closed at once: {kept} held"
    );
    assert!(
        not_stun < AT_ONCE,
        "a first frame that is not STUN closes the connection at once"
    );

    // The client is past the first frame's timeout and still connected.
    tokio::time::sleep_until((client_connected + FIRST_FRAME_TIMEOUT + AT_ONCE).into()).await;
    assert!(
        still_open(&mut client, Duration::from_millis(200)).await,
        "the ICE client's connection was kept"
    );
    // The attacker's places were given back: its address may connect again.
    let mut again = connect_from(attacker_address(2), media).await.unwrap();
    again.write_all(&stun).await.unwrap();
    assert!(
        still_open(&mut again, Duration::from_secs(1)).await,
        "a new connection from the attacker's address is admitted again"
    );
    session.assert_video_flows("after the attack").await;
}

/// A STUN binding request as an ICE client sends first (str0m's encoder; the message
/// integrity is not checked before a peer's `Rtc` sees it, and no peer here has this username).
fn binding_request() -> Vec<u8> {
    let request = StunMessage::binding_request("srv1:cli1", TransId::new(), true, 7, 1, false);
    let mut buf = vec![0u8; 512];
    let len = request
        .to_bytes(Some(b"password"), &mut buf, |_, _| [0x5a; 20])
        .unwrap();
    buf.truncate(len);
    buf
}

/// `packet` in an RFC 4571 frame.
fn framed(packet: &[u8]) -> Vec<u8> {
    let mut frame = u16::try_from(packet.len()).unwrap().to_be_bytes().to_vec();
    frame.extend_from_slice(packet);
    frame
}

/// Opens `count` connections from `from` that each send `bytes`; each task answers how long
/// after its opening the server closed it (end of stream or a reset), or `CLOSED_WITHIN` if
/// the server had not by then.
async fn attack(
    from: IpAddr,
    to: SocketAddr,
    count: usize,
    bytes: Vec<u8>,
) -> Vec<JoinHandle<Duration>> {
    let mut connections = Vec::new();
    for _ in 0..count {
        let mut stream = connect_from(from, to).await.unwrap();
        let opened = Instant::now();
        // A connection refused at once may be closed before this is written.
        let _ = stream.write_all(&bytes).await;
        connections.push(tokio::spawn(async move {
            let mut buf = [0u8; 256];
            let deadline = (opened + CLOSED_WITHIN).into();
            loop {
                match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
                    Ok(Ok(0) | Err(_)) => return opened.elapsed(),
                    Ok(Ok(_)) => {}
                    Err(_) => return CLOSED_WITHIN,
                }
            }
        }));
    }
    connections
}

async fn lifetimes(connections: Vec<JoinHandle<Duration>>) -> Vec<Duration> {
    let mut lifetimes = Vec::new();
    for connection in connections {
        lifetimes.push(connection.await.unwrap());
    }
    lifetimes
}

fn slowest(lifetimes: &[Duration]) -> Duration {
    lifetimes.iter().max().copied().unwrap_or_default()
}

/// Whether the server leaves `stream` open for `wait` (nothing read, no end of stream).
async fn still_open(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 256];
    tokio::time::timeout(wait, stream.read(&mut buf))
        .await
        .is_err()
}
