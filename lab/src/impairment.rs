//! What the link does to packets, and the forwarding of one direction.

use crate::tun::Tun;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Packets queued longer than this behind a rate cap are dropped (a router's buffer).
const MAX_QUEUE_DELAY: Duration = Duration::from_millis(300);
const IPPROTO_UDP: u8 = 17;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Impairment {
    pub delay: Duration,
    pub loss: f64,
    /// Bits per second; 0 is unlimited.
    pub rate_bps: u64,
    pub block_udp: bool,
    pub cut: bool,
}

impl Impairment {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Impairment::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| format!("{line:?} is not key=value"))?;
            let (key, value) = (key.trim(), value.trim());
            let number = || {
                value
                    .parse::<f64>()
                    .map_err(|_| format!("{key}: {value:?} is not a number"))
            };
            match key {
                "delay_ms" => out.delay = Duration::from_secs_f64(number()? / 1000.0),
                "loss" => out.loss = number()?.clamp(0.0, 1.0),
                "rate_kbps" => out.rate_bps = (number()? * 1000.0) as u64,
                "block_udp" => out.block_udp = number()? != 0.0,
                "cut" => out.cut = number()? != 0.0,
                other => return Err(format!("unknown key {other:?}")),
            }
        }
        Ok(out)
    }

    /// Whether `packet` (an IPv4 or IPv6 packet) is dropped by this impairment, before queueing.
    fn drops(&self, packet: &[u8]) -> bool {
        self.cut
            || (self.block_udp && protocol(packet) == Some(IPPROTO_UDP))
            || (self.loss > 0.0 && rand::random::<f64>() < self.loss)
    }
}

fn protocol(packet: &[u8]) -> Option<u8> {
    match packet.first()? >> 4 {
        4 => packet.get(9).copied(),
        6 => packet.get(6).copied(),
        _ => None,
    }
}

struct Queue {
    packets: VecDeque<(Instant, Vec<u8>)>,
    /// When the last queued packet finishes leaving under the rate cap.
    busy_until: Instant,
}

/// One direction of the link: a reader that drops or queues, a writer that delivers on time.
pub struct Link {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Link {
    pub fn start(
        name: &str,
        from: Arc<Tun>,
        to: Arc<Tun>,
        impairment: Arc<RwLock<Impairment>>,
    ) -> Self {
        let queue = Arc::new((
            Mutex::new(Queue {
                packets: VecDeque::new(),
                busy_until: Instant::now(),
            }),
            Condvar::new(),
        ));
        let incoming = queue.clone();
        let reader = std::thread::Builder::new()
            .name(format!("{name}-read"))
            .spawn(move || {
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = from.read(&mut buf) {
                    let rule = impairment.read().unwrap().clone();
                    if rule.drops(&buf[..n]) {
                        continue;
                    }
                    let now = Instant::now();
                    let (lock, ready) = &*incoming;
                    let mut q = lock.lock().unwrap();
                    let start = q.busy_until.max(now);
                    if start.duration_since(now) > MAX_QUEUE_DELAY {
                        continue; // The buffer is full: tail drop.
                    }
                    let sending = if rule.rate_bps > 0 {
                        Duration::from_secs_f64((n as f64 * 8.0) / rule.rate_bps as f64)
                    } else {
                        Duration::ZERO
                    };
                    q.busy_until = start + sending;
                    let due = q.busy_until + rule.delay;
                    q.packets.push_back((due, buf[..n].to_vec()));
                    ready.notify_one();
                }
            })
            .expect("spawning a link reader");
        let writer = std::thread::Builder::new()
            .name(format!("{name}-write"))
            .spawn(move || {
                let (lock, ready) = &*queue;
                loop {
                    let mut q = lock.lock().unwrap();
                    while q.packets.is_empty() {
                        q = ready.wait(q).unwrap();
                    }
                    let due = q.packets.front().map(|(d, _)| *d).unwrap();
                    let now = Instant::now();
                    if due > now {
                        drop(ready.wait_timeout(q, due - now).unwrap());
                        continue;
                    }
                    let (_, packet) = q.packets.pop_front().unwrap();
                    drop(q);
                    if to.write(&packet).is_err() {
                        // The interface went away (the namespace was deleted): stop quietly.
                        return;
                    }
                }
            })
            .expect("spawning a link writer");
        Self { reader, writer }
    }

    pub fn is_finished(&self) -> bool {
        self.reader.is_finished() || self.writer.is_finished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_files_parse_and_mistakes_are_named() {
        let i =
            Impairment::parse("delay_ms=50\nloss=0.05 # five percent\nrate_kbps=300\n\ncut=0\n")
                .unwrap();
        assert_eq!(i.delay, Duration::from_millis(50));
        assert_eq!(
            (i.loss, i.rate_bps, i.cut, i.block_udp),
            (0.05, 300_000, false, false)
        );
        assert!(Impairment::parse("delay=5").unwrap_err().contains("delay"));
        assert!(Impairment::parse("loss=lots").unwrap_err().contains("loss"));
    }

    #[test]
    fn udp_blocking_drops_udp_only_and_a_cut_drops_everything() {
        let mut udp = vec![0u8; 28];
        udp[0] = 0x45;
        udp[9] = IPPROTO_UDP;
        let mut tcp = udp.clone();
        tcp[9] = 6;
        let block = Impairment {
            block_udp: true,
            ..Default::default()
        };
        assert!(block.drops(&udp) && !block.drops(&tcp));
        let cut = Impairment {
            cut: true,
            ..Default::default()
        };
        assert!(cut.drops(&tcp));
        assert!(!Impairment::default().drops(&udp));
    }
}
