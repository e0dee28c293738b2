//! Serving the HTTP surface, plain or over TLS, so that no client can hold the listener: the
//! connections of one source address and in all are capped, a connection must send its
//! request headers in time (so half-sent ones are closed), and one on which nothing moves for
//! [`IDLE_TIMEOUT`] is closed, whatever it speaks (HTTP/1, HTTP/2, a WebSocket).

use crate::connection_caps::{ConnectionCaps, Slot};
use axum::Router;
use axum_server::accept::Accept;
use futures_util::future::{Ready, ready};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A connection must send a whole request head this soon after it opens, or after the
/// previous response on a kept-alive connection: idle connections are closed after it.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A TLS handshake must be over this soon.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection on which nothing moved either way for this long is closed: HTTP/2 has no idle
/// timeout of its own in hyper, and a live WebSocket moves every 10 s (the server's pings).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `handle` shuts it down.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    app: Router,
    caps: Arc<ConnectionCaps>,
    handle: axum_server::Handle<SocketAddr>,
) -> io::Result<()> {
    let capped = CappedAcceptor { caps };
    let server = with_timeouts(axum_server::from_tcp(listener)?).handle(handle);
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => server.acceptor(capped).serve(app).await,
        Some(tls) => {
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls)
                .handshake_timeout(TLS_HANDSHAKE_TIMEOUT)
                .acceptor(capped);
            server.acceptor(acceptor).serve(app).await
        }
    }
}

fn with_timeouts<Acc>(
    mut server: axum_server::Server<SocketAddr, Acc>,
) -> axum_server::Server<SocketAddr, Acc> {
    server
        .http_builder()
        .http1()
        .header_read_timeout(HEADER_READ_TIMEOUT);
    server.first_request_timeout(HEADER_READ_TIMEOUT)
}

/// Refuses a connection over the caps before anything is read from it (a TLS handshake
/// included); an accepted one holds its place until it closes, a WebSocket's too.
#[derive(Clone)]
struct CappedAcceptor {
    caps: Arc<ConnectionCaps>,
}

impl<S> Accept<TcpStream, S> for CappedAcceptor {
    type Stream = Capped;
    type Service = S;
    type Future = Ready<io::Result<(Capped, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let slot = stream.peer_addr().and_then(|peer| {
            self.caps
                .take(peer.ip())
                .map_err(|refusal| io::Error::other(refusal.to_string()))
        });
        ready(slot.map(|slot| (Capped::new(stream, slot), service)))
    }
}

/// A TCP connection, its place under the caps, and when anything last moved on it.
pub struct Capped {
    stream: TcpStream,
    _slot: Slot,
    last_moved: Instant,
    /// Wakes a waiting read when the connection may have gone idle.
    idle: Pin<Box<tokio::time::Sleep>>,
}

impl Capped {
    fn new(stream: TcpStream, slot: Slot) -> Self {
        let now = Instant::now();
        Self {
            stream,
            _slot: slot,
            last_moved: now,
            idle: Box::pin(tokio::time::sleep_until((now + IDLE_TIMEOUT).into())),
        }
    }

    /// Whether the connection has been idle too long, arranging to be woken when it may be.
    fn idle_too_long(&mut self, cx: &mut Context<'_>) -> bool {
        let deadline = (self.last_moved + IDLE_TIMEOUT).into();
        if self.idle.deadline() != deadline {
            self.idle.as_mut().reset(deadline);
        }
        self.idle.as_mut().poll(cx).is_ready()
    }
}

impl AsyncRead for Capped {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.last_moved = Instant::now();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.idle_too_long(cx) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "nothing moved on the connection",
            ))),
            other => other,
        }
    }
}

impl AsyncWrite for Capped {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = written
            && n > 0
        {
            this.last_moved = Instant::now();
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
