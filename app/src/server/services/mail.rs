//! Email, for password reset links: SMTP with `lettre`, configured by `--smtp-*` (or
//! `KEYTRACK_SMTP_*`): a host and port, STARTTLS (the default), TLS from the first byte, or none
//! (a relay on the same machine), a user and password when the relay wants them, and the sender.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::server::error::AppError;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain at first, then TLS (`STARTTLS`, port 587 usually): refused if the server cannot.
    StartTls,
    /// TLS from the first byte (port 465 usually).
    Tls,
    /// No TLS: only for a relay on the same machine or network (port 25).
    None,
}

impl Security {
    pub fn parse(text: &str) -> Option<Security> {
        match text.trim().to_ascii_lowercase().as_str() {
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            "none" => Some(Security::None),
            _ => None,
        }
    }
}

/// The SMTP settings.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The sender, `KeyTrack <keytrack@example.com>` or a bare address.
    pub from: String,
}

/// Sends email through one SMTP server.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for these settings; an error says which setting is wrong. Nothing is sent yet.
    pub fn new(settings: &MailSettings) -> Result<Mailer, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("--smtp-from {:?} is not an email address: {e}", settings.from))?;
        let builder = match settings.security {
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host),
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host),
            Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)),
        }
        .map_err(|e| format!("--smtp-host {}: {e}", settings.host))?;
        let mut builder = builder.port(settings.port).timeout(Some(std::time::Duration::from_secs(20)));
        match (&settings.user, &settings.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (None, None) => {}
            _ => return Err("--smtp-user and --smtp-password go together".into()),
        }
        Ok(Mailer { transport: builder.build(), from })
    }

    /// Sends a plain-text email.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), AppError> {
        let to: Mailbox = to.parse().map_err(|e| AppError::internal(format!("an address that is not one: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body)
            .map_err(|e| AppError::internal(format!("an email that cannot be made: {e}")))?;
        self.transport.send(message).await.map_err(|e| AppError::internal(format!("the SMTP server: {e}")))?;
        Ok(())
    }
}
