//! The few JSON requests the benchmark makes (Spotter's admin API, Janus's REST API), over
//! plain HTTP/1.1 on loopback: one connection per request, so a long poll blocks nothing else.

use anyhow::{Context, bail};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longer than Janus's 30 s long poll.
const TIMEOUT: Duration = Duration::from_secs(40);

/// `host` is `ip:port`; returns the status and the body parsed as JSON.
pub async fn request(
    method: &str,
    host: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> anyhow::Result<(u16, Value)> {
    let exchange = async {
        let mut stream = TcpStream::connect(host).await?;
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        if let Some(credential) = bearer {
            head += &format!("Authorization: Bearer {credential}\r\n");
        }
        if !body.is_empty() {
            head += &format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            );
        }
        head += "\r\n";
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        anyhow::Ok(response)
    };
    let response = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .with_context(|| format!("{method} {path}: no answer in {TIMEOUT:?}"))?
        .with_context(|| format!("{method} http://{host}{path}"))?;
    parse_response(&response).with_context(|| format!("{method} {path}"))
}

fn parse_response(response: &[u8]) -> anyhow::Result<(u16, Value)> {
    let text = std::str::from_utf8(response).context("a response that is not UTF-8")?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("a response without a header")?;
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .context("a response without a status")?;
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked");
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    // A body that is not JSON comes back as a string, for the caller's error message.
    let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
    Ok((status, json))
}

fn dechunk(mut body: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").context("a chunk without a size")?;
        let size = usize::from_str_radix(size.trim(), 16).context("a chunk size")?;
        if size == 0 {
            return Ok(out);
        }
        if rest.len() < size {
            bail!("a chunk cut short");
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_chunked_json_answers() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{\"a\":1}\r\n";
        assert_eq!(
            parse_response(plain).unwrap(),
            (200, serde_json::json!({"a": 1}))
        );
        let chunked =
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"b\"\r\n3\r\n:2}\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked).unwrap(),
            (201, serde_json::json!({"b": 2}))
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 500 Oops\r\n\r\nnot json").unwrap(),
            (500, serde_json::json!("not json"))
        );
        assert!(parse_response(b"HTTP/1.1").is_err());
    }
}
