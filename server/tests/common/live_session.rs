//! A live session through a test server, as the attack tests keep one going: a technician's
//! peer (the headset's `webrtc` stack) publishes H.264 at 30 frames a second, and an expert's
//! peer counts what it receives. An attack the server withstands leaves the video flowing.

use super::TestServer;
use bytes::Bytes;
use spotter_peer::{Peer, PeerOptions, Signaling, VideoPublisher, VideoSubscriber};
use spotter_protocol::Role;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub struct LiveSession {
    _technician: (Signaling, Peer),
    _expert: (Signaling, Peer),
    publishing: tokio::task::JoinHandle<()>,
    /// Video packets the expert has received.
    received: Arc<AtomicU64>,
}

impl Drop for LiveSession {
    fn drop(&mut self) {
        self.publishing.abort();
    }
}

/// A keyframe (SPS, PPS, IDR) every 30 frames, else one slice; a few kilobytes each.
fn access_unit(i: u32) -> Bytes {
    let mut out = Vec::new();
    let slice: Vec<u8> = (0..2000)
        .map(|j| ((j * 31 + i * 7) % 251) as u8 + 1)
        .collect();
    let nals: Vec<Vec<u8>> = if i.is_multiple_of(30) {
        vec![
            vec![0x67, 0x42, 0xe0, 0x1f, 0x8c, 0x8d, 0x40],
            vec![0x68, 0xce, 0x3c, 0x80],
            [vec![0x65], slice].concat(),
        ]
    } else {
        vec![[vec![0x41], slice].concat()]
    };
    for nal in nals {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&nal);
    }
    out.into()
}

/// Offers, applies the answer and waits until `peer` is connected.
pub async fn connected_peer(signaling: &mut Signaling, peer: &mut Peer) {
    let offer = peer.create_offer().await.unwrap();
    let answer = signaling.exchange_offer(offer, |_| {}).await.unwrap();
    peer.accept_answer(answer).await.unwrap();
    peer.connected(Duration::from_secs(10)).await.unwrap();
}

impl LiveSession {
    /// A technician and an expert in room `demo`, the video flowing.
    pub async fn start(server: &TestServer) -> Self {
        let (mut technician, _) = server.join(Role::Technician, "Tom").await;
        let mut publisher = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
        let (mut video, _keyframe_requests) = VideoPublisher::add_to(&publisher).await.unwrap();
        connected_peer(&mut technician, &mut publisher).await;

        let (mut expert, _) = server.join(Role::Expert, "Ana").await;
        let mut viewer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
        let mut subscriber = VideoSubscriber::add_to(&mut viewer).await.unwrap();
        connected_peer(&mut expert, &mut viewer).await;

        let publishing = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(33));
            for i in 0u32.. {
                tick.tick().await;
                if video
                    .send_access_unit(access_unit(i), i * 3000)
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        let mut packets = subscriber.packets();
        tokio::spawn(async move {
            while packets.recv().await.is_some() {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        let session = Self {
            _technician: (technician, publisher),
            _expert: (expert, viewer),
            publishing,
            received,
        };
        session.assert_video_flows("before the attack").await;
        session
    }

    /// Fails unless the expert receives video within a few seconds from now.
    pub async fn assert_video_flows(&self, when: &str) {
        let before = self.received.load(Ordering::Relaxed);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
            // A second of video is about 30 frames of two packets or more.
            if self.received.load(Ordering::Relaxed) > before + 40 {
                return;
            }
        }
        panic!(
            "{when}: the expert received {} video packets in 5 s",
            self.received.load(Ordering::Relaxed) - before
        );
    }
}
