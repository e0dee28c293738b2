//! ICE-TCP (RFC 6544, passive side): the media port also accepts TCP, for networks that block
//! UDP (corporate firewalls). Each connection carries RFC 4571 frames: a 2-byte big-endian
//! length, then one STUN, DTLS or RTP packet. The SFU task sees the packets as it sees
//! datagrams, with the connection's remote address as their source.
//!
//! Anyone can open connections to this port, and a held connection costs a file descriptor and
//! a place under the caps, so a connection is kept only while it behaves like an ICE client's:
//! its first frame, within seconds, is a STUN binding request; a frame once begun arrives
//! whole within seconds; and it is never silent for long (consent checks come every few
//! seconds). Beyond the caps, total and per source, a connection is closed at once (see
//! `docs/decisions/ice-tcp-timeouts.md`).

use crate::connection_caps::{ConnectionCaps, Slot};
use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use str0m::ice::StunMessage;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Packets queued for one connection; a slower reader loses packets, as UDP would.
const SEND_QUEUE: usize = 512;
/// How long the accept loop waits after a failed accept (out of file descriptors fails every
/// accept at once until a connection closes: retrying at once would spin).
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// How long a connection may take to show that it is an ICE client's.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From accepting it to its whole first frame: a client sends its connectivity check as
    /// soon as it has connected.
    pub first_frame: Duration,
    /// From a frame's length to its last byte: frames are small and sent whole.
    pub frame_body: Duration,
    /// Nothing received for this long: the client is gone (a live one sends consent checks
    /// every few seconds, RFC 7675).
    pub idle: Duration,
}

impl Timeouts {
    pub const DEFAULT: Timeouts = Timeouts {
        first_frame: Duration::from_secs(5),
        frame_body: Duration::from_secs(5),
        idle: Duration::from_secs(30),
    };
}

/// What the TCP side tells the SFU task.
pub enum TcpEvent {
    Opened {
        remote: SocketAddr,
        /// Packets to send on this connection (the framing is added here).
        outgoing: mpsc::Sender<Bytes>,
    },
    Packet {
        remote: SocketAddr,
        data: Vec<u8>,
    },
    Closed {
        remote: SocketAddr,
    },
}

/// Accepts connections until the SFU task goes away. `caps` bound those held at once, per
/// source address and in all; `ConnectionCaps` logs refusals, a line
/// every few seconds at most.
pub async fn accept(
    listener: TcpListener,
    events: mpsc::Sender<TcpEvent>,
    caps: Arc<ConnectionCaps>,
    timeouts: Timeouts,
) {
    while !events.is_closed() {
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::debug!("ICE-TCP accept: {e}");
                tokio::time::sleep(ACCEPT_RETRY).await;
                continue;
            }
        };
        // Accepted and dropped when over a cap, rather than left in the listen backlog: a full
        // backlog would refuse everyone.
        if let Ok(slot) = caps.take(remote.ip()) {
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve(stream, remote, events.clone(), timeouts, slot));
        }
    }
}

/// Why a connection ended.
#[derive(Debug, PartialEq, Eq)]
enum Hangup {
    /// The client closed it (or the connection failed).
    Closed,
    NoFirstFrame,
    NotStun,
    StalledFrame,
    Idle,
    /// The SFU task is gone (the server is stopping).
    SfuGone,
}

impl std::fmt::Display for Hangup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Hangup::Closed => "closed by the client",
            Hangup::NoFirstFrame => "no first frame in time",
            Hangup::NotStun => "the first frame is not a STUN binding request",
            Hangup::StalledFrame => "a frame stalled after its length",
            Hangup::Idle => "nothing received for too long",
            Hangup::SfuGone => "the media relay stopped",
        })
    }
}

/// Serves one connection; `_slot` holds its place under the caps until it ends.
async fn serve(
    stream: TcpStream,
    remote: SocketAddr,
    events: mpsc::Sender<TcpEvent>,
    timeouts: Timeouts,
    _slot: Slot,
) {
    let (mut reader, writer) = stream.into_split();
    // The SFU task hears of the connection only once it has proven to be an ICE client's.
    let first = match first_binding_request(&mut reader, timeouts).await {
        Ok(packet) => packet,
        Err(hangup) => {
            tracing::debug!(%remote, "closing an ICE-TCP connection: {hangup}");
            return;
        }
    };
    let (outgoing, queue) = mpsc::channel::<Bytes>(SEND_QUEUE);
    if events
        .send(TcpEvent::Opened { remote, outgoing })
        .await
        .is_err()
    {
        return;
    }
    let write = tokio::spawn(write_frames(writer, queue));
    let hangup = relay(&mut reader, remote, first, &events, timeouts).await;
    tracing::debug!(%remote, "ICE-TCP connection ended: {hangup}");
    write.abort();
    let _ = events.send(TcpEvent::Closed { remote }).await;
}

/// The connection's first frame, if it comes in time and is a STUN binding request.
async fn first_binding_request(
    reader: &mut (impl AsyncRead + Unpin),
    timeouts: Timeouts,
) -> Result<Vec<u8>, Hangup> {
    let frame = tokio::time::timeout(
        timeouts.first_frame,
        read_frame(reader, timeouts.first_frame, timeouts.frame_body),
    )
    .await
    .map_err(|_| Hangup::NoFirstFrame)?
    .map_err(|hangup| match hangup {
        Hangup::Idle => Hangup::NoFirstFrame,
        other => other,
    })?;
    if is_stun_binding_request(&frame) {
        Ok(frame)
    } else {
        Err(Hangup::NotStun)
    }
}

/// Passes `first` and every later frame to the SFU task until the connection ends.
async fn relay(
    reader: &mut (impl AsyncRead + Unpin),
    remote: SocketAddr,
    first: Vec<u8>,
    events: &mpsc::Sender<TcpEvent>,
    timeouts: Timeouts,
) -> Hangup {
    let mut data = first;
    loop {
        if events
            .send(TcpEvent::Packet { remote, data })
            .await
            .is_err()
        {
            return Hangup::SfuGone;
        }
        data = match read_frame(reader, timeouts.idle, timeouts.frame_body).await {
            Ok(frame) => frame,
            Err(hangup) => return hangup,
        };
    }
}

/// One RFC 4571 frame: its length must come within `length_within`, the rest within
/// `body_within` after it.
async fn read_frame(
    reader: &mut (impl AsyncRead + Unpin),
    length_within: Duration,
    body_within: Duration,
) -> Result<Vec<u8>, Hangup> {
    let mut len = [0u8; 2];
    tokio::time::timeout(length_within, reader.read_exact(&mut len))
        .await
        .map_err(|_| Hangup::Idle)?
        .map_err(|_| Hangup::Closed)?;
    let len = u16::from_be_bytes(len);
    // Filled as the bytes arrive: a stalled frame does not hold 64 KiB it never received.
    let mut data = Vec::new();
    tokio::time::timeout(
        body_within,
        (&mut *reader).take(u64::from(len)).read_to_end(&mut data),
    )
    .await
    .map_err(|_| Hangup::StalledFrame)?
    .map_err(|_| Hangup::Closed)?;
    if data.len() < usize::from(len) {
        return Err(Hangup::Closed); // the end of the stream came mid-frame
    }
    Ok(data)
}

/// Whether `packet` is a STUN binding request as an ICE client sends (RFC 8489: the top two
/// bits zero, type 0x0001, the magic cookie, a length that matches the packet; and ICE's
/// USERNAME, PRIORITY and MESSAGE-INTEGRITY, which str0m's parser requires).
fn is_stun_binding_request(packet: &[u8]) -> bool {
    // str0m's parser ignores the top two bits (they tell STUN from the other protocols on
    // the port).
    packet.first().is_some_and(|byte| byte & 0xC0 == 0)
        && StunMessage::parse(packet).is_ok_and(|message| message.is_binding_request())
}

/// Writes the SFU's packets to the connection, each in its frame.
async fn write_frames(mut writer: OwnedWriteHalf, mut queue: mpsc::Receiver<Bytes>) {
    while let Some(packet) = queue.recv().await {
        let Ok(len) = u16::try_from(packet.len()) else {
            continue;
        };
        let mut frame = Vec::with_capacity(packet.len() + 2);
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(&packet);
        if writer.write_all(&frame).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// The default caps.
    fn caps() -> Arc<ConnectionCaps> {
        ConnectionCaps::new("ICE-TCP", 1000, 16)
    }

    /// Short timeouts, so that the tests wait little; the bounds they check are generous.
    const QUICK: Timeouts = Timeouts {
        first_frame: Duration::from_millis(500),
        frame_body: Duration::from_millis(300),
        idle: Duration::from_secs(1),
    };

    /// A STUN binding request written out by hand from RFC 8489 and RFC 8445 (USERNAME,
    /// PRIORITY, MESSAGE-INTEGRITY; the integrity is not checked here, the peer's `Rtc` does).
    fn binding_request() -> Vec<u8> {
        let mut attributes = Vec::new();
        let mut attribute = |kind: u16, value: &[u8]| {
            attributes.extend_from_slice(&kind.to_be_bytes());
            attributes.extend_from_slice(&(value.len() as u16).to_be_bytes());
            attributes.extend_from_slice(value);
            attributes.resize(attributes.len().next_multiple_of(4), 0);
        };
        attribute(0x0006, b"srv1:cli1");
        attribute(0x0024, &[0x6e, 0x00, 0x01, 0xff]);
        attribute(0x0008, &[0x5a; 20]);
        let mut message = vec![0x00, 0x01];
        message.extend_from_slice(&(attributes.len() as u16).to_be_bytes());
        message.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
        message.extend_from_slice(&[7; 12]);
        message.extend_from_slice(&attributes);
        message
    }

    fn framed(packet: &[u8]) -> Vec<u8> {
        let mut frame = (packet.len() as u16).to_be_bytes().to_vec();
        frame.extend_from_slice(packet);
        frame
    }

    async fn start(
        caps: Arc<ConnectionCaps>,
        timeouts: Timeouts,
    ) -> (SocketAddr, mpsc::Receiver<TcpEvent>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (events_tx, events) = mpsc::channel(16);
        tokio::spawn(accept(listener, events_tx, caps, timeouts));
        (addr, events)
    }

    /// How long until the server closes `client` (EOF or reset), at most `within`.
    async fn closed_after(client: &mut TcpStream, within: Duration) -> Option<Duration> {
        let started = Instant::now();
        let mut buf = [0u8; 64];
        loop {
            match tokio::time::timeout_at((started + within).into(), client.read(&mut buf)).await {
                Err(_) => return None,
                Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
                Ok(Ok(_)) => {}
            }
        }
    }

    #[tokio::test]
    async fn packets_cross_in_rfc_4571_frames_both_ways() {
        let (addr, mut events) = start(caps(), QUICK).await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        let stun = binding_request();
        client.write_all(&framed(&stun)).await.unwrap();
        let TcpEvent::Opened { remote, outgoing } = events.recv().await.unwrap() else {
            panic!("expected the connection first");
        };
        assert_eq!(remote, client.local_addr().unwrap());
        let Some(TcpEvent::Packet { data, .. }) = events.recv().await else {
            panic!("expected the binding request");
        };
        assert_eq!(data, stun);

        // Two packets in one write, the second split across the next: framing, not reads, counts.
        client.write_all(&[0, 3, 1, 2, 3, 0, 2, 9]).await.unwrap();
        client.write_all(&[8]).await.unwrap();
        for want in [vec![1, 2, 3], vec![9, 8]] {
            match events.recv().await.unwrap() {
                TcpEvent::Packet { data, .. } => assert_eq!(data, want),
                _ => panic!("expected a packet"),
            }
        }

        outgoing
            .send(Bytes::from_static(&[7, 7, 7, 7]))
            .await
            .unwrap();
        let mut got = [0u8; 6];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(got, [0, 4, 7, 7, 7, 7]);

        drop(client);
        assert!(matches!(
            events.recv().await.unwrap(),
            TcpEvent::Closed { .. }
        ));
    }

    #[test]
    fn only_a_well_formed_stun_binding_request_passes_the_first_frame_check() {
        let good = binding_request();
        assert!(is_stun_binding_request(&good));
        let altered = |at: usize, byte: u8| {
            let mut packet = good.clone();
            packet[at] = byte;
            packet
        };
        let not_requests = [
            altered(0, 0x40),              // a top bit set
            altered(1, 0x11),              // a binding indication
            altered(1, 0x03),              // another method
            altered(4, 0x22),              // no magic cookie
            altered(3, good[3] + 4),       // a length longer than the packet
            good[..good.len() - 4].into(), // a packet shorter than its length
            good[..19].into(),             // not even a header
            Vec::new(),
            vec![0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // a DTLS record
        ];
        for packet in not_requests {
            assert!(!is_stun_binding_request(&packet), "{packet:02x?}");
        }
    }

    #[tokio::test]
    async fn a_silent_a_stalled_and_a_non_stun_first_frame_are_closed_and_never_reach_the_sfu() {
        let (addr, mut events) = start(caps(), QUICK).await;
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let mut stalled = TcpStream::connect(addr).await.unwrap();
        stalled.write_all(&[0xff, 0xff, 0, 1]).await.unwrap();
        let mut not_stun = TcpStream::connect(addr).await.unwrap();
        not_stun.write_all(&framed(&[0x16; 40])).await.unwrap();

        let not_stun_closed = closed_after(&mut not_stun, Duration::from_secs(5)).await;
        assert!(
            not_stun_closed.unwrap() < QUICK.first_frame,
            "closed as soon as the frame is read"
        );
        for client in [&mut silent, &mut stalled] {
            let after = closed_after(client, Duration::from_secs(5)).await;
            assert!(after.is_some(), "closed after the first frame's timeout");
        }
        assert!(events.try_recv().is_err(), "the SFU heard of none of them");
    }

    #[tokio::test]
    async fn a_frame_that_stalls_and_a_connection_that_goes_quiet_are_closed() {
        let (addr, mut events) = start(caps(), QUICK).await;
        let mut stalls = TcpStream::connect(addr).await.unwrap();
        let mut goes_quiet = TcpStream::connect(addr).await.unwrap();
        for client in [&mut stalls, &mut goes_quiet] {
            client.write_all(&framed(&binding_request())).await.unwrap();
        }
        stalls.write_all(&[0xff, 0xff, 1, 2, 3]).await.unwrap();

        let stalled_after = closed_after(&mut stalls, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(
            stalled_after < QUICK.idle,
            "the frame's timeout, not idleness: {stalled_after:?}"
        );
        // Kept past the first frame's timeout while frames come, closed once they stop.
        for _ in 0..3 {
            tokio::time::sleep(QUICK.first_frame).await;
            goes_quiet.write_all(&framed(&[0x80; 12])).await.unwrap();
        }
        let quiet_after = closed_after(&mut goes_quiet, Duration::from_secs(5)).await;
        assert!(quiet_after.unwrap() >= QUICK.idle / 2, "{quiet_after:?}");
        let mut closed = 0;
        while let Ok(event) = events.try_recv() {
            closed += usize::from(matches!(event, TcpEvent::Closed { .. }));
        }
        assert_eq!(closed, 2, "the SFU heard both end");
    }

    #[tokio::test]
    async fn over_a_cap_a_connection_is_closed_at_once_and_a_closed_one_frees_its_place() {
        // Connections that send nothing are kept for the first frame's timeout: long enough.
        let caps = ConnectionCaps::new("ICE-TCP", 5, 2);
        let (addr, _events) = start(caps, Timeouts::DEFAULT).await;
        let connect_from = |ip: &'static str| async move {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
            socket.connect(addr).await.unwrap()
        };
        let mut first = connect_from("127.0.0.2").await;
        let mut second = connect_from("127.0.0.2").await;
        let mut third = connect_from("127.0.0.2").await;
        let beyond = closed_after(&mut third, Duration::from_secs(1)).await;
        assert!(beyond.is_some(), "beyond the address's cap: closed at once");
        for client in [&mut first, &mut second] {
            assert_eq!(closed_after(client, Duration::from_millis(100)).await, None);
        }

        let mut others = Vec::new();
        for ip in ["127.0.0.3", "127.0.0.3", "127.0.0.4"] {
            others.push(connect_from(ip).await);
        }
        let mut sixth = connect_from("127.0.0.5").await;
        let beyond = closed_after(&mut sixth, Duration::from_secs(1)).await;
        assert!(beyond.is_some(), "beyond the total cap: closed at once");

        drop(first);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut again = connect_from("127.0.0.2").await;
        assert_eq!(
            closed_after(&mut again, Duration::from_millis(100)).await,
            None,
            "the closed connection's place is free again"
        );
    }
}
