//! The SFU task: the tokio driver of the forwarding core (`relay/`). It owns the UDP socket,
//! the ICE-TCP connections and the sinks' queues, gives the core each input with the time it
//! happened, and carries out what the core asks.

use super::Command;
use super::relay::{Relay, RelayCommand, RelayInput, RelayOutput};
use super::sink::{SINK_QUEUE, SinkId, SinkMedia};
use super::tcp::TcpEvent;
use bytes::Bytes;
use spotter_protocol::{ParticipantId, ProtocolError};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::net::Protocol;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

/// How long the driver keeps giving timeouts that are due at once before it reads the socket
/// again, so that datagrams are read even while some peer is always due (the socket's buffer
/// would overflow meanwhile).
const TIMEOUT_BUDGET: Duration = Duration::from_millis(2);

pub struct Forwarder {
    socket: UdpSocket,
    relay: Relay,
    /// Open ICE-TCP connections by remote address: where TCP transmits go.
    tcp: HashMap<SocketAddr, mpsc::Sender<Bytes>>,
    sinks: HashMap<SinkId, mpsc::Sender<SinkMedia>>,
    next_sink: u64,
    /// Connects answered by the core, by participant (commands are handled one at a time).
    answers: HashMap<ParticipantId, oneshot::Sender<Result<String, ProtocolError>>>,
    /// When the core next needs `Timeout`.
    deadline: Instant,
}

impl Forwarder {
    pub fn new(socket: UdpSocket, relay: Relay) -> Self {
        Self {
            socket,
            relay,
            tcp: HashMap::new(),
            sinks: HashMap::new(),
            next_sink: 0,
            answers: HashMap::new(),
            deadline: Instant::now(),
        }
    }

    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut tcp_events: mpsc::Receiver<TcpEvent>,
    ) {
        let mut buf = vec![0u8; 2000];
        loop {
            self.run_due_timeouts();
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
                _ = tokio::time::sleep_until(self.deadline.into()) => {}
            }
        }
    }

    /// Gives the core `Timeout` while it is due, again at once while any peer is due at once
    /// (str0m's pacer lets one packet out per timeout), within `TIMEOUT_BUDGET`.
    fn run_due_timeouts(&mut self) {
        let started = Instant::now();
        loop {
            let now = Instant::now();
            if self.deadline > now || now - started > TIMEOUT_BUDGET {
                return;
            }
            self.input(RelayInput::Timeout);
        }
    }

    fn receive(&mut self, proto: Protocol, source: SocketAddr, contents: &[u8]) {
        self.input(RelayInput::Receive {
            proto,
            source,
            contents,
        });
    }

    fn command(&mut self, command: Command) {
        let command = match command {
            Command::Connect {
                participant,
                room,
                role,
                offer,
                reply,
            } => {
                self.answers.insert(participant.clone(), reply);
                RelayCommand::Connect {
                    participant,
                    room,
                    role,
                    offer,
                }
            }
            Command::Disconnect { participant } => RelayCommand::Disconnect { participant },
            Command::AttachSink { room, reply } => {
                let sink = SinkId(self.next_sink);
                self.next_sink += 1;
                let (sender, receiver) = mpsc::channel(SINK_QUEUE);
                if reply.send(receiver).is_err() {
                    return; // the caller stopped waiting
                }
                self.sinks.insert(sink, sender);
                RelayCommand::AttachSink { sink, room }
            }
        };
        self.input(RelayInput::Command(command));
    }

    /// Gives the core one input now and carries out its outputs.
    fn input(&mut self, input: RelayInput) {
        self.relay.handle_input(Instant::now(), input);
        self.carry_out();
    }

    fn carry_out(&mut self) {
        loop {
            match self.relay.poll_output() {
                RelayOutput::Transmit {
                    proto,
                    destination,
                    contents,
                } => self.transmit(proto, destination, contents),
                RelayOutput::Sink { sink, media } => self.hand_to_sink(sink, media),
                RelayOutput::Answer {
                    participant,
                    answer,
                } => {
                    if let Some(reply) = self.answers.remove(&participant) {
                        let _ = reply.send(answer);
                    }
                }
                RelayOutput::Timeout(at) => {
                    self.deadline = at;
                    return;
                }
            }
        }
    }

    fn transmit(&self, proto: Protocol, destination: SocketAddr, contents: Vec<u8>) {
        // A full socket buffer or TCP queue drops the packet, as a network would; the
        // protocols above recover.
        if proto == Protocol::Tcp {
            if let Some(connection) = self.tcp.get(&destination) {
                let _ = connection.try_send(Bytes::from(contents));
            }
        } else {
            let _ = self.socket.try_send_to(&contents, destination);
        }
    }

    /// Queues `media` for `sink` without waiting, and tells the core at once when it could
    /// not (so that it withholds what it has queued for the sink after the hole).
    fn hand_to_sink(&mut self, sink: SinkId, media: SinkMedia) {
        let Some(queue) = self.sinks.get(&sink) else {
            return;
        };
        let feedback = match queue.try_send(media) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Full(_)) => RelayInput::SinkFull(sink),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.sinks.remove(&sink);
                RelayInput::Command(RelayCommand::DetachSink { sink })
            }
        };
        self.relay.handle_input(Instant::now(), feedback);
    }
}
