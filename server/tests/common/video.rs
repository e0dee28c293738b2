//! Test video: access units whose bytes the tests choose, and the access units a subscriber
//! reassembles from the packets it received.

use super::TestServer;
use super::live_session::connected_peer;
use bytes::Bytes;
use glam::{Quat, Vec3};
use rtc::rtp::codec::h264::H264Packet;
use rtc::rtp::packetizer::Depacketizer;
use spotter_peer::{
    FramesChannel, Peer, PeerOptions, ReceivedPacket, Signaling, VideoPublisher, VideoSubscriber,
};
use spotter_protocol::{FrameMeta, Intrinsics, Pose, Role};
use std::time::Duration;
use tokio::sync::mpsc;

/// NAL units of frame `i`: a keyframe is SPS, PPS and an IDR slice, any other frame one
/// slice; sizes vary so that some frames span many packets.
pub fn frame_nals(i: u32, keyframe: bool) -> Vec<Vec<u8>> {
    let body = |kind: u8, len: usize| {
        let mut nal = vec![kind];
        nal.extend((0..len).map(|j| ((j as u32 * 31 + i * 7) % 251) as u8 + 1));
        nal
    };
    let slice_len = 300 + (i as usize * 997) % 5000;
    if keyframe {
        vec![
            // A real baseline SPS (160x96) and PPS, so that a recorder can read the size.
            vec![
                0x67, 0x42, 0xc0, 0x0b, 0xd9, 0x02, 0x8d, 0xb0, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01,
                0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x14, 0x2a, 0x48,
            ],
            vec![0x68, 0xcb, 0x83, 0xcb, 0x20],
            body(0x65, slice_len),
        ]
    } else {
        vec![body(0x41, slice_len)]
    }
}

/// NAL units in Annex B (4-byte start codes), as the headset's encoder gives them.
pub fn annex_b(nals: &[Vec<u8>]) -> Bytes {
    let mut out = Vec::new();
    for nal in nals {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    }
    out.into()
}

/// The access units in `received` (Annex B), by RTP timestamp, in the order they began.
pub fn access_units(received: &[ReceivedPacket]) -> Vec<(u32, Vec<u8>)> {
    let mut units: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut depacketizer = H264Packet::default();
    for packet in received {
        let bytes = depacketizer.depacketize(&packet.payload).unwrap();
        match units.iter_mut().find(|(t, _)| *t == packet.timestamp) {
            Some((_, unit)) => unit.extend_from_slice(&bytes),
            None => units.push((packet.timestamp, bytes.to_vec())),
        }
    }
    units
}

/// The frame record (`FrameMeta` JSON) of frame `i`.
pub fn frame_record(i: u32, rtp_timestamp: u32) -> String {
    serde_json::to_string(&FrameMeta {
        rtp_timestamp,
        pose: Pose::new(Vec3::new(i as f32 * 0.01, 1.6, 3.0), Quat::IDENTITY),
        intrinsics: Intrinsics::from_vertical_fov(1.0, 640, 360),
        capture_time_us: 1_000_000 + u64::from(i) * 33_333,
    })
    .unwrap()
}

/// A technician publishing video and frame records in room `demo`.
pub struct Publisher {
    /// The technician's signaling: the room's headset, which resolves marks.
    pub signaling: Signaling,
    _peer: Peer,
    pub video: VideoPublisher,
    pub frames: FramesChannel,
}

pub async fn publish(server: &TestServer) -> Publisher {
    let (mut signaling, _) = server.join(Role::Technician, "Tom").await;
    let mut peer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
    let (video, _keyframe_requests) = VideoPublisher::add_to(&peer).await.unwrap();
    let (frames, _) = peer.frames_channel().await.unwrap();
    connected_peer(&mut signaling, &mut peer).await;
    Publisher {
        signaling,
        _peer: peer,
        video,
        frames,
    }
}

impl Publisher {
    /// Sends frames `frames` with their records, `interval` apart: frame `i` at RTP timestamp
    /// `i * 3000` (30 a second), a keyframe every 30 from frame 0.
    pub async fn send_frames(&mut self, frames: std::ops::Range<u32>, interval: Duration) {
        for i in frames {
            let unit = annex_b(&frame_nals(i, i.is_multiple_of(30)));
            self.video.send_access_unit(unit, i * 3000).await.unwrap();
            self.frames.send(&frame_record(i, i * 3000)).await;
            tokio::time::sleep(interval).await;
        }
    }
}

/// An expert watching room `demo`: its video packets and frame records.
pub struct Subscriber {
    _signaling: Signaling,
    _peer: Peer,
    pub packets: mpsc::UnboundedReceiver<ReceivedPacket>,
    pub frames_meta: mpsc::UnboundedReceiver<String>,
}

pub async fn subscribe(server: &TestServer, name: &str) -> Subscriber {
    let (mut signaling, _) = server.join(Role::Expert, name).await;
    let mut peer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
    let mut video = VideoSubscriber::add_to(&mut peer).await.unwrap();
    let (_channel, frames_meta) = peer.frames_channel().await.unwrap();
    connected_peer(&mut signaling, &mut peer).await;
    Subscriber {
        _signaling: signaling,
        _peer: peer,
        packets: video.packets(),
        frames_meta,
    }
}

impl Subscriber {
    /// The packets received until the last one of the frame at `last_timestamp` (or 10 s).
    pub async fn packets_until(&mut self, last_timestamp: u32) -> Vec<ReceivedPacket> {
        let mut received = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while let Ok(Some(packet)) = tokio::time::timeout_at(deadline, self.packets.recv()).await {
            let done = packet.marker && packet.timestamp == last_timestamp;
            received.push(packet);
            if done {
                break;
            }
        }
        received
    }
}
