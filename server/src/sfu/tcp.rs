//! ICE-TCP (RFC 6544, passive side): the media port also accepts TCP, for networks that block
//! UDP (corporate firewalls). Each connection carries RFC 4571 frames: a 2-byte big-endian
//! length, then one STUN, DTLS or RTP packet. The SFU task sees the packets as it sees
//! datagrams, with the connection's remote address as their source.

use bytes::Bytes;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Connections held at once; beyond this, new ones are closed (each is one peer's fallback).
pub const MAX_CONNECTIONS: usize = 1000;
/// Packets queued for one connection; a slower reader loses packets, as UDP would.
const SEND_QUEUE: usize = 512;

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

/// Accepts connections until the SFU task goes away.
pub async fn accept(listener: TcpListener, events: mpsc::Sender<TcpEvent>) {
    let open = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    while !events.is_closed() {
        let Ok((stream, remote)) = listener.accept().await else {
            continue;
        };
        if open.load(std::sync::atomic::Ordering::Relaxed) >= MAX_CONNECTIONS {
            tracing::warn!(%remote, "too many ICE-TCP connections; refusing one");
            continue;
        }
        let _ = stream.set_nodelay(true);
        let events = events.clone();
        let open = open.clone();
        open.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::spawn(async move {
            serve(stream, remote, events).await;
            open.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        });
    }
}

async fn serve(stream: TcpStream, remote: SocketAddr, events: mpsc::Sender<TcpEvent>) {
    let (mut reader, mut writer) = stream.into_split();
    let (outgoing, mut queue) = mpsc::channel::<Bytes>(SEND_QUEUE);
    if events
        .send(TcpEvent::Opened { remote, outgoing })
        .await
        .is_err()
    {
        return;
    }
    let write = tokio::spawn(async move {
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
    });
    let mut len = [0u8; 2];
    loop {
        if reader.read_exact(&mut len).await.is_err() {
            break;
        }
        let mut data = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if reader.read_exact(&mut data).await.is_err() {
            break;
        }
        if events
            .send(TcpEvent::Packet { remote, data })
            .await
            .is_err()
        {
            break;
        }
    }
    write.abort();
    let _ = events.send(TcpEvent::Closed { remote }).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn packets_cross_in_rfc_4571_frames_both_ways() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (events_tx, mut events) = mpsc::channel(16);
        tokio::spawn(accept(listener, events_tx));
        let mut client = TcpStream::connect(addr).await.unwrap();
        let TcpEvent::Opened { remote, outgoing } = events.recv().await.unwrap() else {
            panic!("expected the connection first");
        };
        assert_eq!(remote, client.local_addr().unwrap());

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
}
