//! Talking to the KeyTrack server: check a token, upload a batch.

use std::time::Duration;

use keytrack_wire::data::AgentIdentity;
use keytrack_wire::live::Watching;
use keytrack_wire::pairing::{PairingPoll, PairingRequest, PairingStarted, PairingState};
use keytrack_wire::{Account, ActivityBatch, ApiError, IngestReceipt};

/// How this agent captures, said to the server in every request's `KeyTrack-Capture` header
/// (set once, by `run`, before its first upload).
static CAPTURE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Names this agent's capture to the server from now on (`x11`, `evdev`, `hooks`).
pub fn announce_capture(name: &'static str) {
    let _ = CAPTURE.set(name);
}

pub struct Client {
    http: reqwest::blocking::Client,
    server: String,
    token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the server: {0}")]
    Unreachable(String),
    #[error("the server refused the token (revoked or unknown): create a new one and pair again")]
    Unauthorized,
    #[error("the server answered {status}: {message}")]
    Refused { status: u16, message: String },
}

/// This agent's version and platform (`linux x86_64`), as the server's devices page shows them:
/// sent in every request's `User-Agent` and with a pairing request.
pub fn this_agent() -> AgentIdentity {
    AgentIdentity {
        version: env!("CARGO_PKG_VERSION").to_string(),
        platform: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

impl Client {
    /// The server and token this client uses.
    pub fn is_for(&self, server: &str, token: &str) -> bool {
        self.server == server.trim_end_matches('/') && self.token == token
    }

    pub fn new(server: &str, token: &str) -> anyhow::Result<Client> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(capture) = CAPTURE.get() {
            headers.insert(keytrack_wire::data::CAPTURE_HEADER, reqwest::header::HeaderValue::from_static(capture));
        }
        let http = reqwest::blocking::Client::builder()
            .user_agent(this_agent().user_agent())
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Client { http, server: server.trim_end_matches('/').to_string(), token: token.to_string() })
    }

    /// Whose token this is; the way `pair` checks a token before saving it.
    pub fn me(&self) -> Result<Account, ClientError> {
        let response = self
            .http
            .get(format!("{}/api/v1/me", self.server))
            .bearer_auth(&self.token)
            .send()
            .map_err(|e| ClientError::Unreachable(error_chain(&e)))?;
        Self::read(response)
    }

    pub fn upload(&self, batch: &ActivityBatch) -> Result<IngestReceipt, ClientError> {
        let response = self
            .http
            .post(format!("{}/api/v1/activity", self.server))
            .bearer_auth(&self.token)
            .json(batch)
            .send()
            .map_err(|e| ClientError::Unreachable(error_chain(&e)))?;
        Self::read(response)
    }

    /// Asks for a pairing code (no token needed: this client's token is not sent).
    pub fn start_pairing(&self, request: &PairingRequest) -> Result<PairingStarted, ClientError> {
        let response = self
            .http
            .post(format!("{}/api/v1/pairing", self.server))
            .json(request)
            .send()
            .map_err(|e| ClientError::Unreachable(error_chain(&e)))?;
        Self::read(response)
    }

    /// Whether the pairing code was approved, and then the agent's new token (once).
    pub fn poll_pairing(&self, device_code: &str) -> Result<PairingState, ClientError> {
        let response = self
            .http
            .post(format!("{}/api/v1/pairing/token", self.server))
            .json(&PairingPoll { device_code: device_code.to_string() })
            .send()
            .map_err(|e| ClientError::Unreachable(error_chain(&e)))?;
        Self::read(response)
    }

    /// Whether a dashboard that shows this user's data is open; the server holds the question up
    /// to `wait_secs` while nobody watches.
    pub fn watching(&self, wait_secs: u64) -> Result<Watching, ClientError> {
        let response = self
            .http
            .get(format!("{}/api/v1/live/watching?wait={wait_secs}", self.server))
            .bearer_auth(&self.token)
            .send()
            .map_err(|e| ClientError::Unreachable(error_chain(&e)))?;
        Self::read(response)
    }

    fn read<T: serde::de::DeserializeOwned>(response: reqwest::blocking::Response) -> Result<T, ClientError> {
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(ClientError::Unauthorized);
        }
        let html = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        let body = response.bytes().map_err(|e| ClientError::Unreachable(error_chain(&e)))?;
        // A web page where the API should answer: the address points at something else (a path
        // after the server's address, another site, a proxy's error page).
        if html || body.trim_ascii_start().starts_with(b"<") {
            return Err(ClientError::Refused {
                status: status.as_u16(),
                message: "a web page instead of KeyTrack's API: check the server's address (the one its dashboard opens at, with nothing after it)".into(),
            });
        }
        if !status.is_success() {
            let message = serde_json::from_slice::<ApiError>(&body)
                .map(|e| format!("{} ({})", e.message, e.code))
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(ClientError::Refused { status: status.as_u16(), message });
        }
        serde_json::from_slice(&body).map_err(|e| ClientError::Refused {
            status: status.as_u16(),
            message: format!("an answer that is not KeyTrack's: {e}"),
        })
    }
}

/// reqwest's top-level errors say little ("error sending request"); the causes say why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that answers every request with this response, once.
    fn answering(response: &'static str) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(response.as_bytes());
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn a_web_page_where_the_api_should_answer_says_to_check_the_address() {
        let page = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 28\r\nConnection: close\r\n\r\n<html><body>hi</body></html>";
        let error = Client::new(&answering(page), "token").expect("client").me().expect_err("a web page is an error");
        assert!(
            error.to_string().contains("a web page instead of KeyTrack's API: check the server's address"),
            "{error}"
        );
        let not_found =
            "HTTP/1.1 404 Not Found\r\nContent-Length: 24\r\nConnection: close\r\n\r\n<!DOCTYPE html><p>no</p>";
        let error =
            Client::new(&answering(not_found), "token").expect("client").me().expect_err("a web page is an error");
        assert!(error.to_string().contains("404") && error.to_string().contains("web page"), "{error}");
    }
}
