//! The forwarding core, sans-IO as str0m is: `handle_input(now, input)`, then
//! `poll_output()` until it returns `Timeout`. It owns every peer's `Rtc` and the room's
//! sinks and decides what goes where; it never reads the clock, touches a socket or waits.
//! The tokio driver (`forwarder.rs`) feeds it and carries out what it asks, and a
//! node-to-node relay can drive it the same way. Tests drive it with fake time.

mod route;
mod sinks;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_with_a_publisher;

use super::peer::{Peer, catch_panic};
use super::sink::{SinkId, SinkMedia};
use super::sink_gate::SinkGate;
use crate::metrics::RelayMetrics;
use spotter_protocol::{ErrorCode, ParticipantId, ProtocolError, Role, RoomId};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use str0m::net::{Protocol, Receive};
use str0m::{Input, Output};

/// Upper bound on the time between two `Timeout`s, so time-driven work (the disconnected
/// grace) is never starved.
pub const MAX_SLEEP: Duration = Duration::from_millis(100);
/// ICE may come back after a network blip; a peer disconnected longer than this is dropped.
const DISCONNECTED_GRACE: Duration = Duration::from_secs(10);

/// What the core is told.
pub enum RelayInput<'a> {
    /// A datagram (or an ICE-TCP frame) from `source`.
    Receive {
        proto: Protocol,
        source: SocketAddr,
        contents: &'a [u8],
    },
    /// The latest `Timeout` it gave is due.
    Timeout,
    Command(RelayCommand),
    /// The queue of `sink` was full: the item given for it was dropped.
    SinkFull(SinkId),
}

/// What the signaling side (through the driver) asks of the core.
pub enum RelayCommand {
    /// Answer `offer` for a participant (replacing its earlier connection, if any); the
    /// answer comes out as [`RelayOutput::Answer`].
    Connect {
        participant: ParticipantId,
        room: RoomId,
        role: Role,
        offer: String,
    },
    /// The participant left: drop its connection.
    Disconnect { participant: ParticipantId },
    /// Feed `room`'s media to `sink` from now on.
    AttachSink { sink: SinkId, room: RoomId },
    /// `sink` is gone (its receiver was dropped, or it was detached).
    DetachSink { sink: SinkId },
}

/// What the core asks the driver to do.
#[derive(Debug)]
pub enum RelayOutput {
    /// Send `contents` to `destination` (UDP, or the ICE-TCP connection from there).
    Transmit {
        proto: Protocol,
        destination: SocketAddr,
        contents: Vec<u8>,
    },
    /// Hand `media` to `sink` without waiting; tell the core with `SinkFull` if it cannot
    /// take it, or `DetachSink` if it is gone.
    Sink { sink: SinkId, media: SinkMedia },
    /// The answer to a participant's `Connect`.
    Answer {
        participant: ParticipantId,
        answer: Result<String, ProtocolError>,
    },
    /// Nothing more to do: give `RelayInput::Timeout` at this time, or input before.
    Timeout(Instant),
}

/// A sink as the core sees it.
struct RelaySink {
    id: SinkId,
    room: RoomId,
    gate: SinkGate,
}

pub struct Relay {
    media_addr: SocketAddr,
    peers: Vec<Peer>,
    sinks: Vec<RelaySink>,
    metrics: Arc<RelayMetrics>,
    /// The time of the input being handled.
    now: Instant,
    outputs: VecDeque<RelayOutput>,
}

impl Relay {
    /// A core for peers that reach it at `media_addr` (the address put in candidates).
    pub fn new(media_addr: SocketAddr, metrics: Arc<RelayMetrics>, now: Instant) -> Self {
        Self {
            media_addr,
            peers: Vec::new(),
            sinks: Vec::new(),
            metrics,
            now,
            outputs: VecDeque::new(),
        }
    }

    pub fn handle_input(&mut self, now: Instant, input: RelayInput) {
        self.now = now;
        match input {
            RelayInput::Receive {
                proto,
                source,
                contents,
            } => self.receive(proto, source, contents),
            RelayInput::Timeout => self.timeout(),
            RelayInput::Command(command) => self.command(command),
            RelayInput::SinkFull(sink) => self.sink_full(sink),
        }
        self.drain();
        self.drop_dead_peers();
    }

    /// The next thing to do; `Timeout` when there is nothing more for now.
    pub fn poll_output(&mut self) -> RelayOutput {
        self.outputs
            .pop_front()
            .unwrap_or_else(|| RelayOutput::Timeout(self.next_timeout()))
    }

    /// The earliest timeout of any peer, and at most `MAX_SLEEP` after the latest input.
    fn next_timeout(&self) -> Instant {
        self.peers
            .iter()
            .map(|p| p.next_timeout)
            .fold(self.now + MAX_SLEEP, Instant::min)
    }

    /// Gives `Input::Timeout` to the peers whose time has come. The driver gives `Timeout`
    /// again while one is due at once (a pacer lets one packet out per timeout and asks for
    /// the next one immediately: sleeping in between would spread a keyframe over many timer
    /// ticks).
    fn timeout(&mut self) {
        let now = self.now;
        for peer in &mut self.peers {
            // Only the peers whose time has come: with hundreds of peers, timing out every
            // one on every datagram was most of the relay's work.
            if peer.next_timeout <= now {
                peer.needs_poll = true;
                if let Some(Err(e)) = peer.guarded(|rtc| rtc.handle_input(Input::Timeout(now))) {
                    tracing::debug!(participant = %peer.participant, "timeout input: {e}");
                }
            }
        }
    }

    fn receive(&mut self, proto: Protocol, source: SocketAddr, datagram: &[u8]) {
        let Ok(receive) = Receive::new(proto, source, self.media_addr, datagram) else {
            return; // not STUN, DTLS or RTP: ignore
        };
        let input = Input::Receive(self.now, receive);
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

    fn command(&mut self, command: RelayCommand) {
        match command {
            RelayCommand::Connect {
                participant,
                room,
                role,
                offer,
            } => {
                let answer = self.connect(participant.clone(), room, role, &offer);
                self.outputs.push_back(RelayOutput::Answer {
                    participant,
                    answer,
                });
            }
            RelayCommand::Disconnect { participant } => self.remove(&participant),
            RelayCommand::AttachSink { sink, room } => self.attach_sink(sink, room),
            RelayCommand::DetachSink { sink } => self.detach_sink(sink),
        }
    }

    fn connect(
        &mut self,
        participant: ParticipantId,
        room: RoomId,
        role: Role,
        offer: &str,
    ) -> Result<String, ProtocolError> {
        // The new connection replaces the old one only once it is answered, so a refused
        // offer leaves the working media alone.
        let (now, media_addr) = (self.now, self.media_addr);
        let answered = catch_panic(|| {
            Peer::from_offer(participant.clone(), room, role, offer, media_addr, now)
        })
        .unwrap_or_else(|| {
            tracing::error!(%participant, "the media stack panicked on this peer's offer");
            Err(ProtocolError::new(
                ErrorCode::SdpRejected,
                "the offer could not be used",
            ))
        });
        answered.map(|(peer, answer)| {
            tracing::info!(participant = %peer.participant, room = %peer.room, %role, "peer connection answered");
            self.remove(&participant);
            self.peers.push(peer);
            answer
        })
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

    /// Drops the peers that stayed disconnected past the grace, or whose `Rtc` is dead.
    fn drop_dead_peers(&mut self) {
        let now = self.now;
        for peer in &mut self.peers {
            if peer
                .disconnected_since
                .is_some_and(|t| now.saturating_duration_since(t) > DISCONNECTED_GRACE)
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

    /// Frees what a peer that is gone held: its audio slots elsewhere, its link figures.
    fn forget(&mut self, participant: &ParticipantId) {
        for peer in &mut self.peers {
            peer.release_audio_slot(participant);
        }
        self.metrics.links.lock().unwrap().remove(participant);
    }

    /// Drains the output of the peers that were given input or changed, routing events
    /// (which change other peers: those are drained in turn) until nothing is left.
    /// Only such peers are drained: polling them all made the relay fall behind at 300 viewers.
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
                        Ok(Output::Transmit(t)) => self.outputs.push_back(RelayOutput::Transmit {
                            proto: t.proto,
                            destination: t.destination,
                            contents: t.contents.into(),
                        }),
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
}
