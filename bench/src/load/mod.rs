//! The load: publishers playing a recorded clip, subscribers checking what arrives.

pub mod publisher;
pub mod stream_check;
pub mod subscriber;
