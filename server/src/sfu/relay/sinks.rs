//! The core's side of sinks: what each one is given, and the keyframes asked for them.

use super::{Relay, RelayOutput, RelaySink};
use crate::metrics::RelayMetrics;
use crate::sfu::sink::{SinkId, SinkMedia};
use crate::sfu::sink_gate::SinkGate;
use bytes::Bytes;
use spotter_protocol::RoomId;
use str0m::media::MediaData;

impl Relay {
    /// A new sink waits for a keyframe, asked for at once (when the room has no publisher
    /// yet, when it connects).
    pub(super) fn attach_sink(&mut self, id: SinkId, room: RoomId) {
        tracing::info!(sink = id.0, %room, "sink attached");
        let mut gate = SinkGate::new();
        if self.request_keyframe(&room, true) {
            gate.asked(self.now);
        }
        self.sinks.push(RelaySink { id, room, gate });
    }

    pub(super) fn detach_sink(&mut self, id: SinkId) {
        if self.sinks.iter().any(|s| s.id == id) {
            tracing::info!(sink = id.0, "sink detached");
        }
        self.sinks.retain(|s| s.id != id);
        self.outputs
            .retain(|o| !matches!(o, RelayOutput::Sink { sink, .. } if *sink == id));
    }

    /// The sink could not take an item: its video waits for the next keyframe, and the video
    /// still queued for it is withheld (it would follow a hole).
    pub(super) fn sink_full(&mut self, id: SinkId) {
        RelayMetrics::add(&self.metrics.sink_media_dropped, 1);
        let Some(sink) = self.sinks.iter_mut().find(|s| s.id == id) else {
            return;
        };
        sink.gate.interrupt();
        let before = self.outputs.len();
        self.outputs.retain(|o| {
            !matches!(o, RelayOutput::Sink { sink, media: SinkMedia::Video { .. } } if *sink == id)
        });
        let withheld = (before - self.outputs.len()) as u64;
        RelayMetrics::add(&self.metrics.sink_media_dropped, withheld);
    }

    /// A publisher connected in `room`: its sinks' video starts over from its first keyframe.
    pub(super) fn publisher_connected(&mut self, room: &RoomId) {
        if !self.sinks.iter().any(|s| &s.room == room) {
            return;
        }
        let sent = self.request_keyframe(room, true);
        for sink in self.sinks.iter_mut().filter(|s| &s.room == room) {
            sink.gate.interrupt();
            if sent {
                sink.gate.asked(self.now);
            }
        }
    }

    /// Gives a frame of `room`'s video to each of its sinks whose gate lets it through; the
    /// sinks that wait for a keyframe ask for one (at most once a second each).
    pub(super) fn video_to_sinks(&mut self, room: &RoomId, data: &MediaData) {
        let (now, keyframe) = (self.now, data.is_keyframe());
        let mut asking = Vec::new();
        for sink in self.sinks.iter_mut().filter(|s| &s.room == room) {
            if sink.gate.admit(keyframe, data.contiguous) {
                self.outputs.push_back(RelayOutput::Sink {
                    sink: sink.id,
                    media: SinkMedia::Video {
                        rtp_timestamp: data.time.numer() as u32,
                        data: Bytes::from_owner(data.data.clone()),
                        keyframe,
                        arrived: data.network_time,
                    },
                });
            } else if sink.gate.should_ask(now) {
                asking.push(sink.id);
            }
        }
        // One request serves every sink that waits; forced, since each has waited its second.
        if !asking.is_empty() && self.request_keyframe(room, true) {
            for sink in self.sinks.iter_mut().filter(|s| asking.contains(&s.id)) {
                sink.gate.asked(now);
            }
        }
    }

    /// Gives `room`'s sinks an item that is not gated (voice, frame records).
    pub(super) fn give_sinks(&mut self, room: &RoomId, media: impl Fn() -> SinkMedia) {
        for sink in self.sinks.iter().filter(|s| &s.room == room) {
            self.outputs.push_back(RelayOutput::Sink {
                sink: sink.id,
                media: media(),
            });
        }
    }
}
