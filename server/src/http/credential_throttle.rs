//! Slows down guessing of the admin key (and of tokens on the REST API): after a few refused
//! credentials from one source address, every guarded call from it is refused for a while
//! with `429` and `Retry-After` — the right key included, or the refusals would tell a
//! guesser which guess was right. Other addresses are not affected.

use super::api::ApiError;
use crate::rate::RateLimit;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use spotter_protocol::{ErrorCode, ProtocolError};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Refused credentials one address may present in a burst...
const FAILURE_BURST: u32 = 5;
/// ...and then one every this many seconds.
const SECONDS_PER_FAILURE: f64 = 10.0;
/// Past this many addresses remembered, the ones that are in good standing again are forgotten.
const PRUNE_ABOVE: usize = 1024;

/// Refused credentials per source address.
#[derive(Default)]
pub struct FailedAttempts {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    by_address: HashMap<IpAddr, RateLimit>,
    /// Forgetting scans the whole table: at most once a second.
    last_pruned: Option<Instant>,
}

/// Whether a call from an address with refusals on record took one of its tokens in advance.
#[derive(Debug, PartialEq)]
enum Admitted {
    /// No refusals on record: nothing taken.
    Freely,
    /// A token was taken before the call, so that calls made at once cannot outnumber the
    /// tokens; it is given back unless the credential is refused.
    OnAToken,
}

impl FailedAttempts {
    /// Lets a call from `address` through, or says how long it must wait.
    fn admit(&self, address: IpAddr, now: Instant) -> Result<Admitted, Duration> {
        let mut inner = self.inner.lock().unwrap();
        let Some(bucket) = inner.by_address.get_mut(&address.to_canonical()) else {
            return Ok(Admitted::Freely);
        };
        if bucket.allow(now) {
            Ok(Admitted::OnAToken)
        } else {
            Err(bucket.wait(now).max(Duration::from_secs(1)))
        }
    }

    /// The call's credential was refused (`refused`) or not; settles what `admit` took.
    fn settle(&self, address: IpAddr, admitted: Admitted, refused: bool, now: Instant) {
        let mut inner = self.inner.lock().unwrap();
        let address = address.to_canonical();
        match (admitted, refused) {
            (Admitted::OnAToken, false) => {
                if let Some(bucket) = inner.by_address.get_mut(&address) {
                    bucket.give_back(now);
                }
            }
            (Admitted::OnAToken, true) | (Admitted::Freely, false) => {}
            (Admitted::Freely, true) => {
                inner.prune(now);
                inner
                    .by_address
                    .entry(address)
                    .or_insert_with(|| {
                        RateLimit::with_rate(1.0 / SECONDS_PER_FAILURE, FAILURE_BURST)
                    })
                    .allow(now);
            }
        }
    }
}

impl Inner {
    /// Forgets the addresses in good standing again, when there are many.
    fn prune(&mut self, now: Instant) {
        let due = self
            .last_pruned
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1));
        if self.by_address.len() > PRUNE_ABOVE && due {
            self.by_address.retain(|_, bucket| !bucket.is_full(now));
            self.last_pruned = Some(now);
        }
    }
}

/// Middleware over the calls that take a credential.
pub async fn guard(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let attempts = &state.admin_attempts;
    let admitted = match attempts.admit(peer.ip(), Instant::now()) {
        Ok(admitted) => admitted,
        Err(wait) => {
            let seconds = wait.as_secs_f64().ceil() as u64;
            let error = ApiError(ProtocolError::new(
                ErrorCode::LimitReached,
                format!("too many refused credentials from your address: try again in {seconds} s"),
            ));
            return ([(header::RETRY_AFTER, seconds.to_string())], error).into_response();
        }
    };
    let presented = request.headers().contains_key(header::AUTHORIZATION);
    let response = next.run(request).await;
    let refused = presented && response.status() == StatusCode::UNAUTHORIZED;
    if refused {
        tracing::info!(from = %peer.ip(), "a credential was refused");
    }
    attempts.settle(peer.ip(), admitted, refused, Instant::now());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A call from `address` whose credential is refused; whether it was let through.
    fn refused_call(attempts: &FailedAttempts, address: IpAddr, now: Instant) -> bool {
        match attempts.admit(address, now) {
            Ok(admitted) => {
                attempts.settle(address, admitted, true, now);
                true
            }
            Err(_) => false,
        }
    }

    #[test]
    fn a_few_failures_pass_then_the_address_waits_and_others_do_not() {
        let attempts = FailedAttempts::default();
        let now = Instant::now();
        for (guesser, neighbour) in [("10.0.0.7", "10.0.0.8"), ("2001:db8::7", "2001:db8::8")] {
            let guesser: IpAddr = guesser.parse().unwrap();
            for _ in 0..FAILURE_BURST {
                assert!(refused_call(&attempts, guesser, now));
            }
            let wait = attempts.admit(guesser, now).expect_err("locked out");
            assert_eq!(wait.as_secs_f64().round(), SECONDS_PER_FAILURE);
            // A neighbour, in the same IPv6 /64 too (on a plant's network, one segment of many
            // devices, the administrator's among them), is not locked out.
            assert_eq!(
                attempts.admit(neighbour.parse().unwrap(), now),
                Ok(Admitted::Freely)
            );
        }
        let guesser: IpAddr = "10.0.0.7".parse().unwrap();
        let later = now + Duration::from_secs_f64(SECONDS_PER_FAILURE);
        assert!(
            refused_call(&attempts, guesser, later),
            "one more guess later"
        );
        assert!(!refused_call(&attempts, guesser, later));
    }

    #[test]
    fn calls_in_flight_at_once_cannot_outnumber_the_tokens_and_accepted_ones_cost_nothing() {
        let attempts = FailedAttempts::default();
        let now = Instant::now();
        let guesser: IpAddr = "10.0.0.7".parse().unwrap();
        assert!(refused_call(&attempts, guesser, now));
        // Four tokens left: of ten calls made at once, four get through.
        let admitted: Vec<_> = (0..10)
            .filter_map(|_| attempts.admit(guesser, now).ok())
            .collect();
        assert_eq!(admitted.len(), 4);
        // Accepted credentials give their token back.
        for admitted in admitted {
            attempts.settle(guesser, admitted, false, now);
        }
        assert_eq!(
            (0..10)
                .filter(|_| refused_call(&attempts, guesser, now))
                .count(),
            4
        );
    }
}
