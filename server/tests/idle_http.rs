//! Connections to the HTTP port that send nothing, or half a request, are closed after the
//! header timeout; one address holds at most its share meanwhile, and others are served.

mod common;

use common::live_session::LiveSession;
use common::{attacker_address, connect_from, server_sockets_on};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_are_closed_and_capped_per_address() {
    let server = common::start_with(None, |c| c.limits.http_connections_per_address = 100).await;
    let live = LiveSession::start(&server).await;
    let mut attack = Vec::new();
    for i in 0..300 {
        let mut stream = connect_from(attacker_address(3), server.http_addr())
            .await
            .unwrap();
        if i % 2 == 0 {
            // Half a request head, never finished.
            let _ = stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: spo")
                .await;
        }
        attack.push(tokio::spawn(async move {
            let opened = Instant::now();
            let mut buf = [0u8; 64];
            // Closed by the server: end of stream or a reset.
            let _ = stream.read(&mut buf).await;
            opened.elapsed()
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let held = server_sockets_on(server.http_addr().port());
    assert!(held <= 100 + 2, "{held} held; the address's cap is 100");
    server
        .assert_healthy("while one address holds its cap")
        .await;
    live.assert_video_flows("while one address holds its cap")
        .await;

    let mut at_once = 0;
    let mut after_timeout = 0;
    for task in attack {
        let open_for = tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .expect("every idle connection is closed within 20 s")
            .unwrap();
        if open_for < Duration::from_secs(1) {
            at_once += 1;
        } else {
            assert!(open_for >= Duration::from_secs(9), "{open_for:?}");
            after_timeout += 1;
        }
    }
    assert_eq!((at_once, after_timeout), (200, 100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_connection_that_goes_quiet_is_closed() {
    let server = common::start().await;
    let address = server.http_addr();
    let open_for = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(45)))
            .unwrap();
        // The HTTP/2 preface, an empty SETTINGS frame and one request (HEADERS on stream 1:
        // GET http /, from HPACK's static table), then nothing: hyper's HTTP/2 has no idle
        // timeout of its own, and the header timeout is HTTP/1's.
        let mut opening = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        opening.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        opening.extend_from_slice(&[0, 0, 3, 1, 0x05, 0, 0, 0, 1, 0x82, 0x86, 0x84]);
        stream.write_all(&opening).unwrap();
        let opened = Instant::now();
        let mut received = 0;
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            received += n;
        }
        (opened.elapsed(), received)
    })
    .await
    .unwrap();
    let (open_for, received) = open_for;
    assert!(received > 100, "the request was answered: {received} bytes");
    assert!(
        (Duration::from_secs(25)..Duration::from_secs(40)).contains(&open_for),
        "closed after {open_for:?}, 30 s after its last answer expected"
    );
}
