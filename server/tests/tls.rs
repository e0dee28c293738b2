//! HTTPS and WSS from a configured certificate: what a browser needs for the microphone
//! anywhere but localhost.

mod common;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::ServerName;
use spotter_protocol::{ClientMessage, Role, ServerMessage};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;

/// A self-signed certificate for 127.0.0.1, written next to the test's data; returns the
/// client's TLS configuration that trusts it.
fn certificate(
    dir: &std::path::Path,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    Arc<rustls::ClientConfig>,
) {
    std::fs::create_dir_all(dir).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (cert_path, key_path, Arc::new(client))
}

async fn tls_stream(
    addr: std::net::SocketAddr,
    client: Arc<rustls::ClientConfig>,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    TlsConnector::from(client)
        .connect(ServerName::IpAddress(addr.ip().into()), tcp)
        .await
        .expect("the TLS handshake succeeds with the configured certificate")
}

#[tokio::test]
async fn the_server_speaks_https_and_wss_with_the_configured_certificate() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let certs = std::env::temp_dir().join(format!("spotter-tls-{}", std::process::id()));
    let (cert, key, client) = certificate(&certs);
    let server = common::start_with(None, |c| {
        c.http.tls_cert = Some(cert.clone());
        c.http.tls_key = Some(key.clone());
    })
    .await;
    let addr: std::net::SocketAddr = server
        .http
        .strip_prefix("http://")
        .unwrap()
        .parse()
        .unwrap();

    // HTTPS.
    let mut https = tls_stream(addr, client.clone()).await;
    https
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    https.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    // WSS: a whole join over the encrypted socket.
    let stream = tls_stream(addr, client).await;
    let (mut ws, _) = tokio_tungstenite::client_async(format!("wss://{addr}/ws"), stream)
        .await
        .unwrap();
    let join = ClientMessage::Join {
        room: "demo".into(),
        token: server.token("demo", Role::Expert),
        name: "Ana".into(),
        resume: None,
    };
    ws.send(Message::Text(serde_json::to_string(&join).unwrap().into()))
        .await
        .unwrap();
    // The server pings at once; the answer is the first text message.
    let answer: ServerMessage = loop {
        if let Message::Text(text) = ws.next().await.unwrap().unwrap() {
            break serde_json::from_str(&text).unwrap();
        }
    };
    assert!(matches!(answer, ServerMessage::Joined { .. }), "{answer:?}");

    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        plain.read_to_end(&mut bytes),
    )
    .await;
    assert!(!bytes.starts_with(b"HTTP/1.1 200"));
    let _ = std::fs::remove_dir_all(&certs);
}

#[tokio::test]
async fn a_certificate_without_its_key_or_a_missing_file_is_refused_at_start() {
    let mut config = spotter_server::config::Config::default();
    config.http.tls_cert = Some("cert.pem".into());
    let err = config.check().unwrap_err();
    assert!(format!("{err:#}").contains("tls_key"), "{err:#}");

    let data = std::env::temp_dir().join(format!("spotter-tls-missing-{}", std::process::id()));
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.media.listen = "127.0.0.1:0".parse().unwrap();
    config.storage.data_dir = data.clone();
    config.http.tls_cert = Some(data.join("no-such-cert.pem"));
    config.http.tls_key = Some(data.join("no-such-key.pem"));
    let err = match spotter_server::start(config).await {
        Ok(_) => panic!("started without its certificate"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("no-such-cert.pem"), "{err}");
    let _ = std::fs::remove_dir_all(&data);
}
