//! The client side of Spotter's WebRTC, built on the `webrtc` crate: used by the headset, the
//! server's tests with real peers, and (later) the load generator.
//!
//! - [`signaling`]: the WebSocket connection to the server, typed with `spotter-protocol`;
//! - [`connection`]: a peer connection bound to one address, with non-trickle negotiation
//!   (the whole offer, candidates included, in one message), H.264 with RTX, and for a
//!   publisher congestion control with a pacer that sends voice before video;
//! - [`publisher`]: an H.264 video track whose RTP timestamps the application chooses, so
//!   frame metadata can name the exact frame, and the SFU's feedback: keyframe requests and
//!   the slowest viewer's bitrate (REMB);
//! - [`subscriber`]: a receive-only video track handing out raw RTP packets;
//! - [`clip`]: recorded H.264 frames, played back by the load generator;
//! - [`voice`]: Opus voice out (a microphone's frames) and in (the room's voices, decoded),
//!   a speech-like test signal, and levels.

pub mod clip;
pub mod congestion;
pub mod connection;
mod feedback;
pub mod publisher;
mod send_track;
pub mod signaling;
pub mod subscriber;
pub mod voice;
mod voice_first_pacer;

pub use congestion::{BitrateRange, TargetBitrate};
pub use connection::{FramesChannel, Peer, PeerOptions, VideoRepairs};
pub use publisher::VideoPublisher;
pub use signaling::{JoinRefused, Signaling};
pub use subscriber::{ReceivedPacket, VideoSubscriber};
pub use voice::{
    AudioPublisher, FrameAssembler, HeardFrame, SpeechLikeSignal, VoiceEncoder, VoiceListener,
};
pub use webrtc::peer_connection::RTCPeerConnectionState;
