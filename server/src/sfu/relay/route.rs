//! What the core does with each peer's events: video, voice and frame records to the room's
//! receivers and sinks, keyframe requests and downlink caps to the room's publisher.

use super::Relay;
use crate::metrics::RelayMetrics;
use crate::sfu::link_stats::LinkStats;
use crate::sfu::peer::{AudioSlot, DOWNLINK_START, Peer};
use crate::sfu::publisher_cap::{ViewerDownlink, slowest};
use crate::sfu::sink::SinkMedia;
use bytes::Bytes;
use spotter_protocol::{Action, FRAMES_CHANNEL, FrameMeta, RoomId};
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind};
use str0m::{Event, IceConnectionState};

impl Relay {
    pub(super) fn route(&mut self, index: usize, event: Event) {
        match event {
            Event::Connected => {
                self.peers[index].connected = true;
                let (role, room) = (self.peers[index].role, self.peers[index].room.clone());
                if role.may(Action::Subscribe) {
                    self.request_keyframe(&room, true);
                }
                if role.may(Action::Publish) {
                    self.publisher_connected(&room);
                }
            }
            Event::IceConnectionStateChange(state) => {
                let now = self.now;
                let peer = &mut self.peers[index];
                if state == IceConnectionState::Disconnected {
                    tracing::info!(participant = %peer.participant, "peer's network disconnected");
                    peer.disconnected_since.get_or_insert(now);
                } else if matches!(
                    state,
                    IceConnectionState::Connected | IceConnectionState::Completed
                ) {
                    peer.disconnected_since = None;
                }
            }
            Event::MediaAdded(added) => {
                let peer = &mut self.peers[index];
                match (added.kind, added.direction) {
                    (MediaKind::Video, Direction::RecvOnly | Direction::SendRecv)
                        if peer.role.may(Action::Publish) =>
                    {
                        peer.video_in = Some(added.mid)
                    }
                    (MediaKind::Video, Direction::SendOnly | Direction::SendRecv)
                        if peer.role.may(Action::Subscribe) =>
                    {
                        peer.video_out = Some(added.mid)
                    }
                    (MediaKind::Audio, direction) => {
                        // The directions are the server's: RecvOnly is the peer's voice coming
                        // in, SendOnly a slot for voices going out; SendRecv is both.
                        let incoming =
                            matches!(direction, Direction::RecvOnly | Direction::SendRecv);
                        let outgoing =
                            matches!(direction, Direction::SendOnly | Direction::SendRecv);
                        if incoming && peer.role.may(Action::Talk) && peer.audio_in.is_none() {
                            peer.audio_in = Some(added.mid);
                        }
                        if outgoing && peer.role.may(Action::Listen) {
                            peer.audio_slots.push(AudioSlot {
                                mid: added.mid,
                                talker: None,
                            });
                        }
                    }
                    _ => {}
                }
            }
            Event::MediaData(data) => {
                let peer = &self.peers[index];
                if Some(data.mid) == peer.video_in && peer.role.may(Action::Publish) {
                    self.forward_video(index, &data);
                } else if Some(data.mid) == peer.audio_in && peer.role.may(Action::Talk) {
                    self.forward_audio(index, &data);
                }
            }
            Event::KeyframeRequest(_) => {
                let room = self.peers[index].room.clone();
                self.request_keyframe(&room, false);
            }
            Event::PeerStats(stats) => {
                self.link(index, |l| l.peer(&stats));
                // A viewer's downlink, from str0m's latest estimate (its `EgressBitrateEstimate`
                // events are a 3 s average, sent only on a change, so slow to show a drop).
                // Until transport-wide feedback arrives the estimate is only the start value.
                let downlink = stats
                    .bwe_tx
                    .filter(|b| b.as_f64() != DOWNLINK_START.as_f64());
                self.peers[index].downlink = downlink;
                self.link(index, |l| l.downlink = downlink.map(|b| b.as_f64()));
                // Repeated with every viewer's statistics (about once a second each), so that
                // the publisher does not let the cap lapse.
                if self.peers[index].video_out.is_some() {
                    let room = self.peers[index].room.clone();
                    self.cap_publisher(&room);
                }
            }
            Event::MediaIngressStats(stats) => self.link(index, |l| l.ingress(&stats)),
            Event::MediaEgressStats(stats) => self.link(index, |l| l.egress(&stats)),
            Event::ChannelOpen(id, label) if label == FRAMES_CHANNEL => {
                self.peers[index].frames_channel = Some(id);
            }
            Event::ChannelData(data) => {
                let peer = &self.peers[index];
                if peer.frames_channel != Some(data.id) || !peer.role.may(Action::Publish) {
                    return;
                }
                // Experts' pages trust these records: only well-formed ones are relayed.
                match FrameMeta::parse(&data.data) {
                    Ok(_) => self.forward_frame_meta(index, Bytes::from(data.data)),
                    Err(e) => {
                        RelayMetrics::add(&self.metrics.frame_records_dropped, 1);
                        tracing::debug!(participant = %peer.participant, "dropping a frame record: {e}")
                    }
                }
            }
            _ => {}
        }
    }

    /// Updates the published link figures of peer `index`.
    fn link(&self, index: usize, update: impl FnOnce(&mut LinkStats)) {
        let peer = &self.peers[index];
        let mut links = self.metrics.links.lock().unwrap();
        let entry = links
            .entry(peer.participant.clone())
            .or_insert_with(|| LinkStats::new(peer.room.clone(), peer.role));
        update(entry);
    }

    /// Indices of the other connected peers in the room of peer `index` whose role allows
    /// `action` (`Subscribe` for video, `Listen` for voice).
    fn receivers_of(&self, index: usize, action: Action) -> Vec<usize> {
        let room = &self.peers[index].room;
        (0..self.peers.len())
            .filter(|&i| {
                let p = &self.peers[i];
                i != index && &p.room == room && p.connected && p.role.may(action)
            })
            .collect()
    }

    fn forward_video(&mut self, publisher: usize, data: &MediaData) {
        let bytes = data.data.len() as u64;
        RelayMetrics::add(&self.metrics.video_frames_in, 1);
        RelayMetrics::add(&self.metrics.video_bytes_in, bytes);
        for i in self.receivers_of(publisher, Action::Subscribe) {
            let peer = &mut self.peers[i];
            if let Some(mid) = peer.video_out
                && peer.write_media(mid, data)
            {
                RelayMetrics::add(&self.metrics.video_frames_out, 1);
                RelayMetrics::add(&self.metrics.video_bytes_out, bytes);
            }
        }
        let room = self.peers[publisher].room.clone();
        self.video_to_sinks(&room, data);
    }

    /// Sends a talker's voice frame to everyone else in the room who may listen, each on the
    /// slot that carries this talker (taking a free one on the talker's first frame).
    fn forward_audio(&mut self, talker: usize, data: &MediaData) {
        RelayMetrics::add(&self.metrics.audio_frames_in, 1);
        let talker_id = self.peers[talker].participant.clone();
        for i in self.receivers_of(talker, Action::Listen) {
            let peer = &mut self.peers[i];
            match peer.audio_slot_for(&talker_id) {
                Some(mid) => {
                    if peer.write_media(mid, data) {
                        RelayMetrics::add(&self.metrics.audio_frames_out, 1);
                    }
                }
                None => RelayMetrics::add(&self.metrics.audio_frames_unheard, 1),
            }
        }
        let room = self.peers[talker].room.clone();
        self.give_sinks(&room, || SinkMedia::Voice {
            talker: talker_id.clone(),
            rtp_timestamp: data.time.numer() as u32,
            data: Bytes::from_owner(data.data.clone()),
            arrived: data.network_time,
        });
    }

    fn forward_frame_meta(&mut self, publisher: usize, payload: Bytes) {
        for i in self.receivers_of(publisher, Action::Subscribe) {
            let peer = &mut self.peers[i];
            let Some(id) = peer.frames_channel else {
                continue;
            };
            // A full channel drops this record; the next frame brings a fresh one.
            peer.needs_poll = true;
            if let Some(mut channel) = peer.rtc.channel(id)
                && channel.write(false, &payload).unwrap_or(false)
            {
                RelayMetrics::add(&self.metrics.frame_records_relayed, 1);
            }
        }
        let room = self.peers[publisher].room.clone();
        let arrived = self.now;
        self.give_sinks(&room, || SinkMedia::FrameRecord {
            data: payload.clone(),
            arrived,
        });
    }

    /// Tells the publisher of `room` the slowest viewer's downlink (REMB), so that its
    /// encoder does not send more than that viewer can take (see `publisher_cap.rs`); the
    /// headset forgets a cap that is not repeated (a slow viewer who left).
    fn cap_publisher(&mut self, room: &RoomId) {
        let now = self.now;
        let viewers = self
            .peers
            .iter()
            .filter(|p| &p.room == room && p.video_out.is_some())
            .map(|p| ViewerDownlink {
                estimate: p.downlink,
                disconnected: p.disconnected_since.is_some(),
            });
        let Some(cap) = slowest(viewers) else {
            return;
        };
        let Some(publisher) = self.room_publisher(room) else {
            return;
        };
        let Some(mid) = publisher.video_in.filter(|_| publisher.cap.due(now, cap)) else {
            return;
        };
        publisher.needs_poll = true;
        if let Some(stream) = publisher.rtc.direct_api().stream_rx_by_mid(mid, None) {
            stream.request_remb(cap);
            publisher.cap.sent(now, cap);
        }
    }

    /// The peer that publishes video in `room`.
    fn room_publisher(&mut self, room: &RoomId) -> Option<&mut Peer> {
        self.peers
            .iter_mut()
            .find(|p| &p.room == room && p.role.may(Action::Publish) && p.video_in.is_some())
    }

    /// Asks the publisher of `room` for a keyframe; `force` skips the throttle (a new
    /// subscriber or sink must not wait). Whether a request was sent.
    pub(super) fn request_keyframe(&mut self, room: &RoomId, force: bool) -> bool {
        let now = self.now;
        let Some(publisher) = self.room_publisher(room) else {
            return false;
        };
        let Some(mid) = publisher
            .video_in
            .filter(|_| publisher.keyframes.due(now, force))
        else {
            return false;
        };
        publisher.needs_poll = true;
        let sent = publisher.rtc.writer(mid).is_some_and(|mut writer| {
            writer
                .request_keyframe(None, KeyframeRequestKind::Pli)
                .is_ok()
        });
        if sent {
            publisher.keyframes.sent(now);
            RelayMetrics::add(&self.metrics.keyframe_requests, 1);
        }
        sent
    }
}
