//! `keytrack health`: a readiness check of a server on this machine, for the container image's
//! `HEALTHCHECK` (a slim image has no curl): one plain HTTP/1.1 request to `/healthz/ready`.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// How long the check waits for the server, connecting and answering each.
const WAIT: Duration = Duration::from_secs(3);

/// `Ok` when the server at `addr` answers `/healthz/ready` with 200; what it said otherwise.
pub fn ready(addr: SocketAddr) -> Result<(), String> {
    let addr = on_loopback(addr);
    let mut stream = TcpStream::connect_timeout(&addr, WAIT).map_err(|e| format!("cannot reach {addr}: {e}"))?;
    stream.set_read_timeout(Some(WAIT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(WAIT)).map_err(|e| e.to_string())?;
    write!(stream, "GET /healthz/ready HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("cannot ask {addr}: {e}"))?;
    let mut answer = Vec::new();
    // At most 64 KB: a health answer is a line of JSON.
    stream.take(64 * 1024).read_to_end(&mut answer).map_err(|e| format!("no answer from {addr}: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default();
    if status.starts_with("HTTP/1.1 200") {
        return Ok(());
    }
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default().trim();
    Err(format!("{status}: {body}"))
}

/// A server listening on every address is asked on loopback.
fn on_loopback(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port()),
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_is_asked_on_loopback() {
        assert_eq!(on_loopback("0.0.0.0:3000".parse().expect("addr")), "127.0.0.1:3000".parse().expect("addr"));
        assert_eq!(on_loopback("[::]:3000".parse().expect("addr")), "[::1]:3000".parse().expect("addr"));
        assert_eq!(on_loopback("10.0.0.5:80".parse().expect("addr")), "10.0.0.5:80".parse().expect("addr"));
    }

    #[test]
    fn nothing_listening_is_not_ready() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let why = ready(SocketAddr::from(([127, 0, 0, 1], port))).expect_err("nothing there");
        assert!(why.contains("cannot reach"), "{why}");
    }
}
