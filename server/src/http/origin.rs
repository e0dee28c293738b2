//! Which pages may open the signaling socket. Browsers let any site's page open a WebSocket to
//! any server and send the page's `Origin`; the server lets in its own pages, the configured
//! ones, and clients that are not browsers (they send no `Origin`: the headset, the tests).

use crate::config::HttpConfig;
use axum::http::{HeaderMap, header};

/// A web origin: scheme, host in lower case, and port (the scheme's default when unwritten, so
/// `http://a.example` and `http://a.example:80` are one origin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: &'static str,
    host: String,
    port: u16,
}

impl Origin {
    /// `scheme://host[:port]`, http or https, as a browser writes `Origin`: no path, query,
    /// fragment or user. `null` (the origin of `data:` pages and sandboxes) is none.
    pub fn parse(text: &str) -> Option<Origin> {
        let (scheme, authority) = text.split_once("://")?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => "http",
            "https" => "https",
            _ => return None,
        };
        let (host, port) = host_and_port(authority, default_port(scheme))?;
        Some(Origin { scheme, host, port })
    }

    /// The origin of an address: `https://spotter.example/x` → `https://spotter.example`.
    pub fn of_url(url: &str) -> Option<Origin> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next()?;
        Origin::parse(&format!("{scheme}://{authority}"))
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" { 443 } else { 80 }
}

/// `host[:port]` or `[v6]:port`, as in `Host` or an origin; `None` for anything else.
fn host_and_port(authority: &str, default_port: u16) -> Option<(String, u16)> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (inside, after) = v6.split_once(']')?;
            let ok = !inside.is_empty()
                && inside
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || ".:".contains(c));
            (ok.then(|| format!("[{inside}]"))?, port_part(after)?)
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
            (ok.then(|| host.to_owned())?, port)
        }
    };
    let port = match port {
        None => default_port,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
    };
    Some((host.to_ascii_lowercase(), port))
}

/// What follows `[v6]`: nothing, or `:port`.
fn port_part(after: &str) -> Option<Option<&str>> {
    match after {
        "" => Some(None),
        _ => after.strip_prefix(':').map(Some),
    }
}

/// The origins that may open the signaling socket besides the server's own.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    /// The server's own scheme: a page of `https://host` is not served by a plain-HTTP server
    /// on that host (behind a proxy that terminates TLS, `public_url` names it).
    scheme: &'static str,
    /// `public_url`'s origin and `allowed_origins`.
    listed: Vec<Origin>,
}

impl OriginPolicy {
    /// From `[http]`, whose addresses `Config::check` has checked.
    pub fn new(http: &HttpConfig) -> Self {
        let public = http.public_url.as_deref().and_then(Origin::of_url);
        let listed = http.allowed_origins.iter().filter_map(|o| Origin::parse(o));
        OriginPolicy {
            scheme: http.scheme(),
            listed: public.into_iter().chain(listed).collect(),
        }
    }

    /// Whether a request with these headers may open the socket. `authority` is the request
    /// URI's (HTTP/2 sends it instead of `Host`).
    pub fn allows(&self, headers: &HeaderMap, authority: Option<&str>) -> bool {
        let mut values = headers.get_all(header::ORIGIN).iter();
        let Some(value) = values.next() else {
            return true; // Not a browser.
        };
        if values.next().is_some() {
            return false;
        }
        let Some(origin) = value.to_str().ok().and_then(Origin::parse) else {
            return false;
        };
        if self.listed.contains(&origin) {
            return true;
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or(authority)
            .and_then(|h| host_and_port(h, default_port(self.scheme)));
        origin.scheme == self.scheme && host == Some((origin.host, origin.port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn origin(text: &str) -> Option<(&'static str, String, u16)> {
        Origin::parse(text).map(|o| (o.scheme, o.host, o.port))
    }

    #[test]
    fn origins_parse_as_browsers_write_them_and_nothing_else_does() {
        assert_eq!(
            origin("http://localhost:5173"),
            Some(("http", "localhost".into(), 5173))
        );
        assert_eq!(
            origin("HTTPS://Spotter.Example"),
            Some(("https", "spotter.example".into(), 443))
        );
        assert_eq!(
            origin("http://[::1]:8080"),
            Some(("http", "[::1]".into(), 8080))
        );
        assert_eq!(
            Origin::parse("http://a.example:80"),
            Origin::parse("http://a.example")
        );
        for bad in [
            "null",
            "",
            "localhost:5173",
            "ftp://a.example",
            "http://",
            "http://a.example/",
            "http://a.example/path",
            "http://a.example?q",
            "http://user@a.example",
            "http://a.example:",
            "http://a.example:+80",
            "http://a.example:99999",
            "http://a example",
            "http://[::1",
            "http://[::1]x",
        ] {
            assert_eq!(Origin::parse(bad), None, "{bad:?}");
        }
        assert_eq!(
            Origin::of_url("https://spotter.example:8443/some/path?x#y"),
            Origin::parse("https://spotter.example:8443")
        );
    }

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn the_servers_own_pages_listed_ones_and_non_browsers_are_let_in() {
        let policy = OriginPolicy::new(&HttpConfig {
            public_url: Some("https://spotter.example/".into()),
            allowed_origins: vec!["http://localhost:5173".into()],
            ..HttpConfig::default()
        });
        let allows = |origin, host| policy.allows(&headers(origin, host), None);
        assert!(allows(None, "10.0.0.5:8080"));
        assert!(allows(Some("http://10.0.0.5:8080"), "10.0.0.5:8080"));
        assert!(allows(Some("http://Plant.Example"), "plant.example:80"));
        assert!(allows(Some("https://spotter.example"), "127.0.0.1:8080"));
        assert!(allows(Some("http://localhost:5173"), "127.0.0.1:8080"));
        // Another site, another port, the other scheme, an opaque origin.
        assert!(!allows(Some("http://evil.example"), "10.0.0.5:8080"));
        assert!(!allows(Some("http://10.0.0.5:9999"), "10.0.0.5:8080"));
        assert!(!allows(Some("https://10.0.0.5:8080"), "10.0.0.5:8080"));
        assert!(!allows(Some("null"), "10.0.0.5:8080"));
        // Two origins: not what a browser sends.
        let mut two = headers(Some("http://10.0.0.5:8080"), "10.0.0.5:8080");
        two.append(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!policy.allows(&two, None));
        // HTTP/2: the authority instead of Host.
        let mut h2 = HeaderMap::new();
        h2.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://10.0.0.5:8080"),
        );
        assert!(policy.allows(&h2, Some("10.0.0.5:8080")));
        assert!(!policy.allows(&h2, None));
    }
}
