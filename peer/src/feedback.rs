//! An interceptor that hands a sender's feedback to the application: keyframe requests (PLI,
//! FIR), which only the encoder can answer, and the receiver's maximum bitrate (REMB), which
//! the SFU sends for the slowest viewer and the encoder must stay under.
//!
//! In `webrtc` 0.21 inbound RTCP ends inside the interceptor chain; a packet reaches the
//! application (`TrackLocal::poll`) only when an interceptor marks it. This one, last in the
//! chain, keeps those and drops the rest, which the other interceptors have already consumed.

use rtc::interceptor::{Attribute, Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use std::collections::VecDeque;
use std::time::Instant;

#[derive(Default)]
pub struct FeedbackToApp {
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

pub fn is_keyframe_request(packet: &dyn rtc::rtcp::Packet) -> bool {
    let any = packet.as_any();
    any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>()
}

/// The bitrate a REMB packet allows, bits per second.
pub fn max_bitrate(packet: &dyn rtc::rtcp::Packet) -> Option<f64> {
    let remb = packet
        .as_any()
        .downcast_ref::<ReceiverEstimatedMaximumBitrate>()?;
    Some(f64::from(remb.bitrate))
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for FeedbackToApp {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            let for_app: Vec<_> = packets
                .iter()
                .filter(|p| is_keyframe_request(p.as_ref()) || max_bitrate(p.as_ref()).is_some())
                .cloned()
                .collect();
            if for_app.is_empty() {
                return Ok(());
            }
            msg.message.packet = Packet::Rtcp(for_app);
            msg.message.add(Attribute::DeliverToApplication);
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.write.pop_front()
    }
}

impl Interceptor for FeedbackToApp {
    fn bind_local_stream(&mut self, _: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _: &StreamInfo) {}
}
