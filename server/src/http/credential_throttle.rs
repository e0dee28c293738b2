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
use std::time::Instant;

/// Refused credentials one address may present in a burst...
const FAILURE_BURST: u32 = 5;
/// ...and then one every this many seconds.
const SECONDS_PER_FAILURE: f64 = 10.0;
/// Past this many addresses remembered, the ones that are in good standing again are forgotten.
const PRUNE_ABOVE: usize = 1024;

/// Refused credentials per source address.
#[derive(Default)]
pub struct FailedAttempts {
    by_address: Mutex<HashMap<IpAddr, RateLimit>>,
}

impl FailedAttempts {
    /// How long `address` must wait before presenting a credential again, if it must.
    fn lockout(&self, address: IpAddr, now: Instant) -> Option<std::time::Duration> {
        let mut by_address = self.by_address.lock().unwrap();
        let wait = by_address.get_mut(&address.to_canonical())?.wait(now);
        (!wait.is_zero()).then_some(wait)
    }

    fn record_failure(&self, address: IpAddr, now: Instant) {
        let mut by_address = self.by_address.lock().unwrap();
        if by_address.len() > PRUNE_ABOVE {
            by_address.retain(|_, bucket| !bucket.is_full(now));
        }
        by_address
            .entry(address.to_canonical())
            .or_insert_with(|| RateLimit::with_rate(1.0 / SECONDS_PER_FAILURE, FAILURE_BURST))
            .allow(now);
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
    if let Some(wait) = attempts.lockout(peer.ip(), Instant::now()) {
        let seconds = wait.as_secs_f64().ceil() as u64;
        let error = ApiError(ProtocolError::new(
            ErrorCode::LimitReached,
            format!("too many refused credentials from your address: try again in {seconds} s"),
        ));
        return ([(header::RETRY_AFTER, seconds.to_string())], error).into_response();
    }
    let presented = request.headers().contains_key(header::AUTHORIZATION);
    let response = next.run(request).await;
    if presented && response.status() == StatusCode::UNAUTHORIZED {
        tracing::info!(from = %peer.ip(), "a credential was refused");
        attempts.record_failure(peer.ip(), Instant::now());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_few_failures_pass_then_the_address_waits_and_others_do_not() {
        let attempts = FailedAttempts::default();
        let now = Instant::now();
        for (guesser, neighbour) in [("10.0.0.7", "10.0.0.8"), ("2001:db8::7", "2001:db8::8")] {
            let guesser: IpAddr = guesser.parse().unwrap();
            for _ in 0..FAILURE_BURST {
                assert_eq!(attempts.lockout(guesser, now), None);
                attempts.record_failure(guesser, now);
            }
            let wait = attempts.lockout(guesser, now).expect("locked out");
            assert_eq!(wait.as_secs_f64().round(), SECONDS_PER_FAILURE);
            // A neighbour, in the same IPv6 /64 too (on a plant's network, one segment of many
            // devices, the administrator's among them), is not locked out.
            assert_eq!(attempts.lockout(neighbour.parse().unwrap(), now), None);
        }
        let guesser: IpAddr = "10.0.0.7".parse().unwrap();
        let later = now + Duration::from_secs_f64(SECONDS_PER_FAILURE);
        assert_eq!(
            attempts.lockout(guesser, later),
            None,
            "one more guess later"
        );
    }
}
