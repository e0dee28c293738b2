//! Caps on connections held at once, per source address and in all. One device on the shop
//! floor's network that opens thousands of connections must not take every file descriptor of
//! the server: beyond its cap, its new connections are refused while everyone else's work.
//!
//! Used for HTTP connections, WebSockets and ICE-TCP connections, each with its own caps.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many connections of one kind may be open: per source address and in all.
#[derive(Debug)]
pub struct ConnectionCaps {
    /// What these connections are, for messages: "WebSocket", "ICE-TCP", ...
    kind: &'static str,
    total: usize,
    per_address: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
    /// Refusals not logged yet, and when they last were: a flood is logged a line every
    /// few seconds, not a line per connection.
    unlogged_refusals: usize,
    last_logged: Option<Instant>,
}

/// Refusals are logged at most this often, with how many there were.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(5);

/// A connection over a cap, and which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server holds its most connections of this kind.
    Total { kind: &'static str, cap: usize },
    /// This source address holds its most connections of this kind.
    PerAddress { kind: &'static str, cap: usize },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Total { kind, cap } => write!(
                f,
                "the server holds its most {kind} connections ({cap}); try again later"
            ),
            Refusal::PerAddress { kind, cap } => write!(
                f,
                "too many {kind} connections from your address: at most {cap} at once"
            ),
        }
    }
}

/// One open connection's place under the caps; dropping it frees the place.
#[derive(Debug)]
pub struct Slot {
    caps: Arc<ConnectionCaps>,
    address: IpAddr,
}

impl ConnectionCaps {
    pub fn new(kind: &'static str, total: usize, per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            kind,
            total,
            per_address,
            open: Mutex::default(),
        })
    }

    /// A place for one more connection from `address`, or why there is none.
    pub fn take(self: &Arc<Self>, address: IpAddr) -> Result<Slot, Refusal> {
        // An IPv4 client of a dual-stack socket appears as ::ffff:a.b.c.d: one address.
        let address = address.to_canonical();
        let mut open = self.open.lock().unwrap();
        let refusal = if open.total >= self.total {
            Refusal::Total {
                kind: self.kind,
                cap: self.total,
            }
        } else if open.by_address.get(&address).copied().unwrap_or(0) >= self.per_address {
            Refusal::PerAddress {
                kind: self.kind,
                cap: self.per_address,
            }
        } else {
            *open.by_address.entry(address).or_default() += 1;
            open.total += 1;
            return Ok(Slot {
                caps: self.clone(),
                address,
            });
        };
        open.unlogged_refusals += 1;
        let now = Instant::now();
        if open
            .last_logged
            .is_none_or(|t| now.duration_since(t) >= REFUSAL_LOG_INTERVAL)
        {
            tracing::warn!(
                latest_from = %address,
                refused = open.unlogged_refusals,
                "refusing connections: {refusal}"
            );
            open.unlogged_refusals = 0;
            open.last_logged = Some(now);
        }
        Err(refusal)
    }

    /// Connections open now.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.open.lock().unwrap().total
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.caps.open.lock().unwrap();
        open.total -= 1;
        if let Some(n) = open.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

/// How many connections of each kind this node may hold at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Every TCP connection to the HTTP port, WebSockets included.
    pub http: usize,
    /// Signaling WebSockets (a share of `http`).
    pub websockets: usize,
    /// ICE-TCP connections to the media port.
    pub ice_tcp: usize,
}

/// File descriptors kept for everything else: storage, the UDP socket, the runtime, logs.
const RESERVED_FILES: u64 = 64;

impl Totals {
    /// The totals that fit under the process's open-file limit, so that the server never
    /// fails to accept for lack of descriptors (it then fails every request, `/healthz`
    /// included). WebSockets keep a quarter of the HTTP connections free for plain requests.
    pub fn fit_to_file_limit(self, file_limit: u64) -> Self {
        let budget =
            usize::try_from(file_limit.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
        let wanted = self.http.saturating_add(self.ice_tcp);
        let (http, ice_tcp) = if wanted <= budget {
            (self.http, self.ice_tcp)
        } else {
            // Shared in proportion to what was asked for.
            let http = (budget as u128 * self.http as u128 / wanted.max(1) as u128) as usize;
            (http, budget - http)
        };
        Self {
            http,
            websockets: self.websockets.min(http - http / 4),
            ice_tcp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_address_is_capped_while_others_still_connect() {
        let caps = ConnectionCaps::new("WebSocket", 10, 2);
        let a = [
            caps.take(ip("10.0.0.1")).unwrap(),
            caps.take(ip("10.0.0.1")).unwrap(),
        ];
        assert_eq!(
            caps.take(ip("10.0.0.1")).unwrap_err(),
            Refusal::PerAddress {
                kind: "WebSocket",
                cap: 2
            }
        );
        // The IPv4-mapped form is the same address.
        assert!(caps.take(ip("::ffff:10.0.0.1")).is_err());
        let _b = caps.take(ip("10.0.0.2")).unwrap();
        assert_eq!(caps.open(), 3);
        drop(a);
        assert_eq!(caps.open(), 1);
        assert!(
            caps.take(ip("10.0.0.1")).is_ok(),
            "closing frees the places"
        );
    }

    #[test]
    fn the_total_cap_holds_across_addresses() {
        let caps = ConnectionCaps::new("ICE-TCP", 3, 2);
        let _held: Vec<Slot> = (1..=3)
            .map(|i| caps.take(ip(&format!("10.0.0.{i}"))).unwrap())
            .collect();
        let refusal = caps.take(ip("10.0.0.9")).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::Total {
                kind: "ICE-TCP",
                cap: 3
            }
        );
        assert!(refusal.to_string().contains("most ICE-TCP connections (3)"));
    }

    #[test]
    fn totals_fit_under_the_open_file_limit_with_room_for_plain_requests() {
        let wanted = Totals {
            http: 2000,
            websockets: 1000,
            ice_tcp: 1000,
        };
        assert_eq!(wanted.fit_to_file_limit(1 << 20), wanted, "room for all");
        let fitted = wanted.fit_to_file_limit(1024);
        assert!(fitted.http + fitted.ice_tcp <= 1024 - 64, "{fitted:?}");
        assert_eq!((fitted.http, fitted.ice_tcp), (640, 320), "in proportion");
        assert_eq!(
            fitted.websockets, 480,
            "a quarter of HTTP kept for requests"
        );
        let tiny = wanted.fit_to_file_limit(10);
        assert_eq!((tiny.http, tiny.websockets, tiny.ice_tcp), (0, 0, 0));
    }
}
