//! Spotter's headset client.
//!
//! Plain-Rust logic, tested without a GPU or a headset:
//! - [`scene`]: the demo factory from `assets/factory.json` and exact ray casting;
//! - [`look_around`]: the simulated wearer's head motion;
//! - [`frame_history`]: the last seconds of frame poses, by RTP timestamp;
//! - [`resolve`]: an expert's stroke on a past frame → an annotation anchored in 3D;
//! - [`surfaces`]: what marks resolve on (the virtual scene, the runtime's scene understanding,
//!   the fallbacks), each hit saying how far it can be trusted;
//! - [`rate`]: the encoder's bitrate and frame rate following the congestion estimate;
//! - [`recording`]: the room's recording as the headset shows it, and the wearer's start/stop;
//! - [`microphone_mute`]: the wearer's mute and unmute;
//! - [`acknowledge`]: which mark the wearer's acknowledgement is for;
//! - [`room_status`]: whether the headset is in the room and who else is, for its lights;
//! - [`wearer_commands`]: the wearer's commands on standard input;
//! - [`camera_rig`]: a tracked head's pose composed with the camera's place on it;
//! - [`frame_records`]: each streamed frame's pose and times, written for checking;
//! - [`camera`]: a real camera on the headset: its calibration file, its pixel formats, and
//!   (feature `camera`) capture through Video4Linux2.
//!
//! And the parts that drive real things:
//! - [`render`]: Bevy renders the scene and the annotations (headless or in a window) and reads
//!   every frame back, stamped with the pose it was rendered with;
//! - [`encoder`]: H.264 with OpenH264;
//! - [`session`]: signaling, publishing video and frame metadata, answering resolve requests;
//! - [`voice`]: the technician's voice out (simulated: a speech-like signal) and the room's
//!   voices in (levels logged);
//! - [`xr`]: the OpenXR mode: the session, the tracked head, both eyes.

pub mod acknowledge;
pub mod camera;
pub mod camera_rig;
pub mod clock;
pub mod encoder;
pub mod frame_history;
pub mod frame_records;
pub mod look_around;
#[cfg(feature = "audio-device")]
pub mod microphone;
pub mod microphone_mute;
pub mod rate;
pub mod recording;
pub mod render;
pub mod resolve;
pub mod room_status;
pub mod scene;
pub mod session;
#[cfg(feature = "audio-device")]
pub mod speakers;
pub mod status_lines;
pub mod surfaces;
pub mod text_image;
pub mod voice;
pub mod wearer_commands;
pub mod xr;
