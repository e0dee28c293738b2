//! The SFU task: one socket, every peer, and the routing of their events (see `sfu/mod.rs`).

use super::Command;
use super::link_stats::LinkStats;
use super::peer::{AudioSlot, Peer, catch_panic};
use super::tcp::TcpEvent;
use crate::metrics::RelayMetrics;
use bytes::Bytes;
use spotter_protocol::{
    Action, ErrorCode, FRAMES_CHANNEL, FrameMeta, ParticipantId, ProtocolError, RoomId,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind};
use str0m::net::{Protocol, Receive};
use str0m::{Event, IceConnectionState, Input, Output};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Keyframe requests to a publisher are merged to at most one per this interval: browsers ask
/// several times a second until their first frame decodes.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(500);
/// Upper bound on how long the loop sleeps, so time-driven work is never starved.
const MAX_SLEEP: Duration = Duration::from_millis(100);
/// How often the publisher is reminded of the slowest viewer's downlink (it forgets a cap not
/// repeated for 5 s: a few reminders may be lost on a bad uplink).
const CAP_INTERVAL: Duration = Duration::from_millis(500);
/// ICE may come back after a network blip; a peer disconnected longer than this is dropped.
const DISCONNECTED_GRACE: Duration = Duration::from_secs(10);

pub struct Forwarder {
    socket: UdpSocket,
    media_addr: SocketAddr,
    peers: Vec<Peer>,
    metrics: Arc<RelayMetrics>,
    /// Open ICE-TCP connections by remote address: where TCP transmits go.
    tcp: HashMap<SocketAddr, mpsc::Sender<Bytes>>,
}

impl Forwarder {
    pub fn new(socket: UdpSocket, media_addr: SocketAddr, metrics: Arc<RelayMetrics>) -> Self {
        Self {
            socket,
            media_addr,
            peers: Vec::new(),
            metrics,
            tcp: HashMap::new(),
        }
    }

    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut tcp_events: mpsc::Receiver<TcpEvent>,
    ) {
        let mut buf = vec![0u8; 2000];
        loop {
            let deadline = self.run_due_timeouts();
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((n, source)) => self.receive(Protocol::Udp, source, &buf[..n]),
                    Err(e) => tracing::debug!("UDP receive: {e}"),
                },
                Some(event) = tcp_events.recv() => match event {
                    TcpEvent::Opened { remote, outgoing } => {
                        self.tcp.insert(remote, outgoing);
                    }
                    TcpEvent::Packet { remote, data } => self.receive(Protocol::Tcp, remote, &data),
                    TcpEvent::Closed { remote } => {
                        self.tcp.remove(&remote);
                    }
                },
                command = commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => return,
                },
                _ = tokio::time::sleep_until(deadline.into()) => {}
            }
            let now = Instant::now();
            for peer in &mut self.peers {
                if peer
                    .disconnected_since
                    .is_some_and(|t| now.duration_since(t) > DISCONNECTED_GRACE)
                {
                    tracing::info!(participant = %peer.participant, "peer stayed disconnected; dropping it");
                    peer.rtc.disconnect();
                }
            }
            let gone: Vec<ParticipantId> = self
                .peers
                .iter()
                .filter(|p| !p.rtc.is_alive())
                .map(|p| p.participant.clone())
                .collect();
            self.peers.retain(|p| p.rtc.is_alive());
            for participant in &gone {
                self.forget(participant);
            }
            self.metrics
                .peers
                .store(self.peers.len() as u64, Ordering::Relaxed);
        }
    }

    /// Gives `Input::Timeout` to the peers whose time has come and drains them, again while
    /// any is due at once (a pacer lets one packet out per timeout and asks for the next one
    /// immediately: sleeping in between would spread a keyframe over many timer ticks).
    /// Returns when the loop must next wake up.
    fn run_due_timeouts(&mut self) -> Instant {
        // A bound, so that datagrams are read even while some peer is always due (the
        // socket's buffer would overflow meanwhile).
        const BUDGET: Duration = Duration::from_millis(2);
        let started = Instant::now();
        self.drain();
        loop {
            let now = Instant::now();
            if self.next_deadline() > now || now - started > BUDGET {
                break;
            }
            for peer in &mut self.peers {
                // Only the peers whose time has come: with hundreds of peers, timing out every
                // one on every datagram was most of the relay's work.
                if peer.next_timeout <= now {
                    peer.needs_poll = true;
                    if let Some(Err(e)) = peer.guarded(|rtc| rtc.handle_input(Input::Timeout(now)))
                    {
                        tracing::debug!(participant = %peer.participant, "timeout input: {e}");
                    }
                }
            }
            self.drain();
        }
        self.next_deadline()
    }

    /// The earliest timeout of any peer, and at most `MAX_SLEEP` from now.
    fn next_deadline(&self) -> Instant {
        self.peers
            .iter()
            .map(|p| p.next_timeout)
            .fold(Instant::now() + MAX_SLEEP, Instant::min)
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Connect {
                participant,
                room,
                role,
                offer,
                reply,
            } => {
                // The new connection replaces the old one only once it is answered, so a
                // refused offer leaves the working media alone.
                let answered = catch_panic(|| {
                    Peer::from_offer(participant.clone(), room, role, &offer, self.media_addr)
                })
                .unwrap_or_else(|| {
                    tracing::error!(%participant, "the media stack panicked on this peer's offer");
                    Err(ProtocolError::new(
                        ErrorCode::SdpRejected,
                        "the offer could not be used",
                    ))
                });
                let result = answered.map(|(peer, answer)| {
                    tracing::info!(participant = %peer.participant, room = %peer.room, %role, "peer connection answered");
                    self.remove(&participant);
                    self.peers.push(peer);
                    answer
                });
                let _ = reply.send(result);
            }
            Command::Disconnect { participant } => self.remove(&participant),
        }
    }

    fn remove(&mut self, participant: &ParticipantId) {
        if let Some(peer) = self
            .peers
            .iter_mut()
            .find(|p| &p.participant == participant)
        {
            peer.rtc.disconnect();
        }
        self.peers.retain(|p| &p.participant != participant);
        self.forget(participant);
    }

    /// Frees what a peer that is gone held: its audio slots elsewhere, its link figures.
    fn forget(&mut self, participant: &ParticipantId) {
        self.free_audio_slots(participant);
        self.metrics.links.lock().unwrap().remove(participant);
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

    /// Frees the slots that carried `talker`, so a new talker can take them.
    fn free_audio_slots(&mut self, talker: &ParticipantId) {
        for peer in &mut self.peers {
            peer.release_audio_slot(talker);
        }
    }

    fn receive(&mut self, proto: Protocol, source: SocketAddr, datagram: &[u8]) {
        let Ok(receive) = Receive::new(proto, source, self.media_addr, datagram) else {
            return; // not STUN, DTLS or RTP: ignore
        };
        let input = Input::Receive(Instant::now(), receive);
        let Some(index) = self
            .peers
            .iter_mut()
            .position(|p| p.guarded(|rtc| rtc.accepts(&input)).unwrap_or(false))
        else {
            return;
        };
        let peer = &mut self.peers[index];
        peer.needs_poll = true;
        if let Some(Err(e)) = peer.guarded(|rtc| rtc.handle_input(input)) {
            tracing::warn!(participant = %peer.participant, "dropping peer after bad input: {e}");
            peer.rtc.disconnect();
        }
    }

    /// Drains the output of the peers that were given input or changed, routing events
    /// (which change other peers: those are drained in turn) until nothing is left.
    fn drain(&mut self) {
        loop {
            let mut events = Vec::new();
            for (index, peer) in self.peers.iter_mut().enumerate() {
                if !std::mem::take(&mut peer.needs_poll) {
                    continue;
                }
                loop {
                    let Some(output) = peer.guarded(|rtc| rtc.poll_output()) else {
                        break;
                    };
                    match output {
                        Ok(Output::Transmit(t)) => {
                            // A full socket buffer or TCP queue drops the packet, as a network
                            // would; the protocols above recover.
                            if t.proto == Protocol::Tcp {
                                if let Some(connection) = self.tcp.get(&t.destination) {
                                    let _ =
                                        connection.try_send(Bytes::copy_from_slice(&t.contents));
                                }
                            } else {
                                let _ = self.socket.try_send_to(&t.contents, t.destination);
                            }
                        }
                        Ok(Output::Timeout(t)) => {
                            peer.next_timeout = t;
                            break;
                        }
                        Ok(Output::Event(e)) => events.push((index, e)),
                        Err(e) => {
                            tracing::warn!(participant = %peer.participant, "peer failed: {e}");
                            peer.rtc.disconnect();
                            break;
                        }
                    }
                }
            }
            if events.is_empty() {
                return;
            }
            for (index, event) in events {
                self.route(index, event);
            }
        }
    }

    fn route(&mut self, index: usize, event: Event) {
        match event {
            Event::Connected => {
                self.peers[index].connected = true;
                if self.peers[index].role.may(Action::Subscribe) {
                    self.request_keyframe(index, true);
                }
            }
            Event::IceConnectionStateChange(state) => {
                let peer = &mut self.peers[index];
                if state == IceConnectionState::Disconnected {
                    tracing::info!(participant = %peer.participant, "peer's network disconnected");
                    peer.disconnected_since.get_or_insert_with(Instant::now);
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
            Event::KeyframeRequest(_) => self.request_keyframe(index, false),
            Event::PeerStats(stats) => {
                self.link(index, |l| l.peer(&stats));
                // A viewer's downlink, from str0m's latest estimate (its `EgressBitrateEstimate`
                // events are a 3 s average, sent only on a change, so slow to show a drop).
                // Until transport-wide feedback arrives the estimate is only the start value.
                let downlink = stats
                    .bwe_tx
                    .filter(|b| b.as_f64() != super::peer::DOWNLINK_START.as_f64());
                self.peers[index].downlink = downlink;
                self.link(index, |l| l.downlink = downlink.map(|b| b.as_f64()));
                // Repeated with every viewer's statistics (about once a second each), so that
                // the publisher does not let the cap lapse.
                if self.peers[index].video_out.is_some() {
                    self.cap_publisher(index);
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
                    Ok(_) => self.forward_frame_meta(index, &data.data),
                    Err(e) => {
                        RelayMetrics::add(&self.metrics.frame_records_dropped, 1);
                        tracing::debug!(participant = %peer.participant, "dropping a frame record: {e}")
                    }
                }
            }
            _ => {}
        }
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
    }

    fn forward_frame_meta(&mut self, publisher: usize, payload: &[u8]) {
        for i in self.receivers_of(publisher, Action::Subscribe) {
            let peer = &mut self.peers[i];
            let Some(id) = peer.frames_channel else {
                continue;
            };
            // A full channel drops this record; the next frame brings a fresh one.
            peer.needs_poll = true;
            if let Some(mut channel) = peer.rtc.channel(id)
                && channel.write(false, payload).unwrap_or(false)
            {
                RelayMetrics::add(&self.metrics.frame_records_relayed, 1);
            }
        }
    }

    /// Tells the publisher of the room of peer `index` the slowest viewer's downlink (REMB), so
    /// that its encoder does not send more than that viewer can take: without simulcast there is
    /// one stream for all. Sent at most once per `CAP_INTERVAL`, sooner when it falls; the
    /// headset forgets a cap that is not repeated (a slow viewer who left).
    fn cap_publisher(&mut self, index: usize) {
        let room = self.peers[index].room.clone();
        let now = Instant::now();
        let slowest = self
            .peers
            .iter()
            // A viewer whose network dropped is not watching; it may come back in a moment.
            .filter(|p| p.room == room && p.video_out.is_some() && p.disconnected_since.is_none())
            .filter_map(|p| p.downlink)
            .min_by(|a, b| a.as_f64().total_cmp(&b.as_f64()));
        let Some(slowest) = slowest else {
            return;
        };
        let Some(publisher) = self.room_publisher(&room) else {
            return;
        };
        let due = publisher.last_cap.is_none_or(|(at, cap)| {
            now.duration_since(at) >= CAP_INTERVAL || slowest.as_f64() < cap.as_f64() * 0.8
        });
        let Some(mid) = publisher.video_in.filter(|_| due) else {
            return;
        };
        publisher.needs_poll = true;
        if let Some(stream) = publisher.rtc.direct_api().stream_rx_by_mid(mid, None) {
            stream.request_remb(slowest);
            publisher.last_cap = Some((now, slowest));
        }
    }

    /// The peer that publishes video in `room`.
    fn room_publisher(&mut self, room: &RoomId) -> Option<&mut Peer> {
        self.peers
            .iter_mut()
            .find(|p| &p.room == room && p.role.may(Action::Publish) && p.video_in.is_some())
    }

    /// Asks the technician of the room of peer `index` for a keyframe; `force` skips the
    /// throttle (a new subscriber must not wait).
    fn request_keyframe(&mut self, index: usize, force: bool) {
        let room = self.peers[index].room.clone();
        let now = Instant::now();
        let Some(publisher) = self.room_publisher(&room) else {
            return;
        };
        let recent = publisher
            .last_keyframe_request
            .is_some_and(|t| now.duration_since(t) < KEYFRAME_REQUEST_INTERVAL);
        if recent && !force {
            return;
        }
        let Some(mid) = publisher.video_in else {
            return;
        };
        publisher.needs_poll = true;
        if let Some(mut writer) = publisher.rtc.writer(mid)
            && writer
                .request_keyframe(None, KeyframeRequestKind::Pli)
                .is_ok()
        {
            publisher.last_keyframe_request = Some(now);
            RelayMetrics::add(&self.metrics.keyframe_requests, 1);
        }
    }
}
