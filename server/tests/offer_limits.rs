//! An offer with more media sections than a role needs (280 `m=video` lines fit in the 32 KiB
//! an offer may have, and were answered with 206 KB) is refused before the media stack builds
//! anything, with what the limit is, and the connection goes on to a normal offer.

mod common;

use common::next_message;
use spotter_peer::{Peer, PeerOptions, VideoSubscriber};
use spotter_protocol::{ClientMessage, ErrorCode, Role, ServerMessage};
use std::time::Duration;

const VIDEO_SECTIONS: usize = 280;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_with_280_video_sections_is_refused_and_the_next_normal_offer_is_answered() {
    let server = common::start().await;
    let (mut expert, _) = server.join(Role::Expert, "Ana").await;
    let mut peer = Peer::new(&PeerOptions::for_server(true)).await.unwrap();
    let _video = VideoSubscriber::add_to(&mut peer).await.unwrap();
    let _frames = peer.frames_channel().await.unwrap();
    let offer = peer.create_offer().await.unwrap();

    let flood = with_video_sections(&offer, VIDEO_SECTIONS);
    assert!(
        flood.len() < 32 * 1024,
        "within what signaling lets through"
    );
    expert.send(&ClientMessage::Offer { sdp: flood }).unwrap();
    match next_message(&mut expert).await {
        ServerMessage::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::SdpRejected);
            assert_eq!(
                message,
                "an offer may have at most 1 video section; this one has 280"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    if let Ok(message) = expert.recv_timeout(Duration::from_secs(1)).await {
        panic!("nothing follows the refusal, yet {message:?}");
    }
    let metrics = server.get_text("/metrics").await;
    assert!(
        metrics.contains("\nspotter_peers 0\n"),
        "no peer was made:\n{metrics}"
    );

    // The same connection, the same peer's own offer: answered, and the media connects.
    let answer = expert.exchange_offer(offer, |_| {}).await.unwrap();
    peer.accept_answer(answer).await.unwrap();
    peer.connected(Duration::from_secs(10)).await.unwrap();
}

/// `offer` with short video sections added, `count` video sections in all: each its own mid, in
/// the bundle, receive-only H.264. (Without the limit, str0m answered this one, 208 KB.) The
/// copies have a payload type of their own: reusing the offer's with other parameters makes
/// str0m panic, which the relay survives, but which would refuse the offer for another reason.
fn with_video_sections(offer: &str, count: usize) -> String {
    let mut extra = String::new();
    let mut mids = String::new();
    for i in 1..count {
        extra += &format!(
            "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v{i}\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:96 H264/90000\r\n"
        );
        mids += &format!(" v{i}");
    }
    let bundle = offer.find("a=group:BUNDLE").expect("a bundled offer");
    let bundle_end = bundle + offer[bundle..].find("\r\n").unwrap();
    let mut sdp = offer.to_owned();
    sdp.insert_str(bundle_end, &mids);
    sdp + &extra
}
