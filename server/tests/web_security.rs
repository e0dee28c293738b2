//! What a browser gets from the server's address: the page for every path that is not a file,
//! with headers that protect the invite token in its address; the bundles under `assets/`;
//! never a redirect to another host; and a signaling socket other sites' pages cannot open.

mod common;

use common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PAGE: &str = "<!doctype html><title>the test page</title>";
const RECORDINGS_PAGE: &str = "<!doctype html><title>the recordings page</title>";
const BUNDLE: &str = "console.log('the test bundle');";

/// A server whose web directory holds a page and one bundle, inside its data directory (which
/// the test server removes).
async fn server() -> TestServer {
    let data = std::env::temp_dir().join(format!(
        "spotter-web-test-{}-{:x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let web = data.join("web");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(web.join("index.html"), PAGE).unwrap();
    std::fs::write(web.join("recordings.html"), RECORDINGS_PAGE).unwrap();
    std::fs::write(web.join("assets/index-Ab12Cd34.js"), BUNDLE).unwrap();
    common::start_with(Some(data), |c| c.http.web_dir = web).await
}

struct Reply {
    status: u16,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }
}

/// `GET path` with `Host` set to the server's address and the `extra` header lines.
async fn get(server: &TestServer, path: &str, extra: &[(&str, &str)]) -> Reply {
    let host = server.http.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in extra {
        request += &format!("{name}: {value}\r\n");
    }
    if !extra
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("connection"))
    {
        request += "Connection: close\r\n";
    }
    request += "\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    // The head, then a body of its Content-Length: the connection may stay open (a refused
    // upgrade asked for `Connection: Upgrade`, not `close`; a 101 is a socket).
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        raw.extend_from_slice(&buf[..n]);
        if let Some(reply) = parse_reply(&raw) {
            return reply;
        }
        assert!(
            n > 0,
            "the response ended early: {:?}",
            String::from_utf8_lossy(&raw)
        );
    }
}

/// A whole response in `raw`, or `None` while part of it is still to come.
fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let reply = Reply {
        status,
        headers,
        body: body.to_owned(),
    };
    let length = reply
        .header("content-length")
        .map_or(0, |l| l.parse().unwrap());
    (reply.body.len() >= length).then_some(reply)
}

#[tokio::test]
async fn the_page_answers_every_path_that_is_not_a_file_and_bundles_are_served_as_themselves() {
    let server = server().await;
    for path in ["/", "/index.html", "/?room=demo&token=x", "/some/deep/link"] {
        let reply = get(&server, path, &[]).await;
        assert_eq!((reply.status, reply.body.as_str()), (200, PAGE), "{path}");
        assert!(reply.content_type().starts_with("text/html"), "{path}");
    }
    // The trainers' page: the library, and a recording's player (it reads the id itself).
    for path in [
        "/recordings",
        "/recordings/r-00112233aabbccdd",
        "/recordings?token=x",
    ] {
        let reply = get(&server, path, &[]).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, RECORDINGS_PAGE),
            "{path}"
        );
    }
    let deeper = get(&server, "/recordings/r-1/files", &[]).await;
    assert_eq!(
        deeper.body, PAGE,
        "only the library and a player are the trainers' page"
    );
    let bundle = get(&server, "/assets/index-Ab12Cd34.js", &[]).await;
    assert_eq!((bundle.status, bundle.body.as_str()), (200, BUNDLE));
    assert!(bundle.content_type().contains("javascript"));
    // A bundle that is not there is missing, not the page taken for a script.
    let missing = get(&server, "/assets/index-gone.js", &[]).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn no_path_is_redirected_least_of_all_to_another_host() {
    let server = server().await;
    // `//assets` used to answer `307 Location: //assets/`: protocol-relative, another host.
    for path in [
        "//assets",
        "//assets/",
        "///evil.example/assets",
        "//evil.example",
        "//evil.example/",
        "/assets",
        "/assets/",
        "//%2F/evil.example",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
        "/\\evil.example",
        "/assets/..%2F..%2Fetc",
    ] {
        let reply = get(&server, path, &[]).await;
        assert_eq!(reply.header("location"), None, "{path}");
        assert!(
            matches!(reply.status, 200 | 400 | 404),
            "{path}: {}",
            reply.status
        );
    }
    // Where a directory stood, the page is shown.
    let reply = get(&server, "//assets", &[]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, PAGE));
}

/// The three headers every response carries, the API's included.
fn assert_guarded(reply: &Reply, what: &str) {
    let got = [
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
    ]
    .map(|n| reply.header(n));
    assert_eq!(
        got,
        [Some("nosniff"), Some("DENY"), Some("no-referrer")],
        "{what}"
    );
}

#[tokio::test]
async fn the_page_comes_with_a_strict_policy_and_is_never_stored_wherever_it_is_served() {
    let server = server().await;
    for (path, page) in [
        ("/", PAGE),
        ("/index.html", PAGE),
        ("/?room=demo&token=x", PAGE),
        ("/some/deep/link", PAGE),
        ("//assets", PAGE),
        ("/recordings", RECORDINGS_PAGE),
        ("/recordings/r-00112233aabbccdd", RECORDINGS_PAGE),
    ] {
        let reply = get(&server, path, &[]).await;
        assert_eq!((reply.status, reply.body.as_str()), (200, page), "{path}");
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
        assert_guarded(&reply, path);
        let policy = reply.header("content-security-policy").expect("a policy");
        assert!(!policy.contains("unsafe"), "{policy}");
        let directives: std::collections::HashMap<&str, &str> = policy
            .split(';')
            .filter_map(|d| d.trim().split_once(' '))
            .collect();
        for (directive, sources) in [
            ("default-src", "'none'"),
            ("script-src", "'self'"),
            ("connect-src", "'self'"),
            ("frame-ancestors", "'none'"),
            ("base-uri", "'none'"),
            ("object-src", "'none'"),
            ("form-action", "'none'"),
            // The player's Media Source Extensions, and nothing else.
            ("media-src", "blob:"),
        ] {
            assert_eq!(
                directives.get(directive),
                Some(&sources),
                "{directive} in {policy}"
            );
        }
    }
}

#[tokio::test]
async fn bundles_may_be_kept_and_no_response_may_be_sniffed_framed_or_leak_a_referrer() {
    let server = server().await;
    let bundle = get(&server, "/assets/index-Ab12Cd34.js", &[]).await;
    let cache = bundle.header("cache-control").unwrap_or_default();
    assert!(
        cache.contains("max-age=31536000") && cache.contains("immutable"),
        "{cache}"
    );
    assert_guarded(&bundle, "a bundle");
    let missing = get(&server, "/assets/index-gone.js", &[]).await;
    assert_eq!(
        (missing.status, missing.header("cache-control")),
        (404, None)
    );
    assert_guarded(&missing, "a missing bundle");
    for path in ["/healthz", "/api/rooms/demo"] {
        let reply = get(&server, path, &[]).await;
        assert_guarded(&reply, path);
    }
}

/// A WebSocket handshake on `/ws`, from a page of `origin` (a browser) or with none.
async fn open_signaling(server: &TestServer, origin: Option<&str>) -> Reply {
    let mut headers = vec![
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    headers.extend(origin.map(|o| ("Origin", o)));
    get(server, "/ws", &headers).await
}

#[tokio::test]
async fn only_the_servers_own_pages_listed_origins_and_non_browsers_may_open_signaling() {
    let server = common::start_with(None, |c| {
        c.http.public_url = Some("https://spotter.plant.example/".into());
        c.http.allowed_origins = vec!["http://localhost:5173".into()];
    })
    .await;
    let own = server.http.clone();
    let port = own.rsplit(':').next().unwrap();
    for origin in [
        None,
        Some(own.as_str()),
        Some("https://spotter.plant.example"),
        Some("http://localhost:5173"),
    ] {
        let reply = open_signaling(&server, origin).await;
        assert_eq!(reply.status, 101, "{origin:?}: {}", reply.body);
    }
    let other_port = format!("http://127.0.0.1:{}", port.parse::<u16>().unwrap() ^ 1);
    let other_scheme = own.replace("http://", "https://");
    for origin in [
        "http://evil.example",
        "null",
        &other_port,
        &other_scheme,
        "http://localhost:5174",
        "http://localhost:5173/",
    ] {
        let reply = open_signaling(&server, Some(origin)).await;
        assert_eq!(reply.status, 403, "{origin}");
        let body: serde_json::Value = serde_json::from_str(&reply.body).expect("a JSON error");
        assert_eq!(body["code"], "forbidden", "{origin}");
        assert!(
            body["message"].as_str().unwrap().contains("another site"),
            "{body}"
        );
        assert_guarded(&reply, origin);
    }
}
