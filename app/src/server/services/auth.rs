//! Who is asking: passwords (argon2id), API tokens (random, stored as SHA-256), and the rate
//! limits of logins, sign-ups and pairing. (Sessions are the web's: `web::extract`.)

use std::net::IpAddr;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::server::error::AppError;
use crate::server::now;
use crate::server::store::attempts::Attempts;
use crate::server::store::{self, Database};

/// Every token starts with this, so a leaked one is easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "kt_";

pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes), off the async threads.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)?
}

/// Checks a password against a stored hash, off the async threads.
pub async fn verify_password(password: String, stored_hash: String) -> Result<bool, AppError> {
    // An account made by single sign-on has no password: none matches, in a verification's time.
    if stored_hash.is_empty() {
        spend_like_a_verification(password).await;
        return Ok(false);
    }
    verify_against(password, stored_hash).await
}

async fn verify_against(password: String, stored_hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored_hash).map_err(AppError::internal)?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(AppError::internal)?
}

/// A logged-in person confirms a grave step (deleting the account, a new password, turning
/// two-factor sign-in off) with their password: their account, or `Forbidden(refusal)`.
pub async fn confirm_own_password(
    database: &Database,
    user_id: i64,
    password: &str,
    refusal: &str,
) -> Result<store::users::UserRow, AppError> {
    let user = store::users::by_id(database, user_id).await?.ok_or(AppError::NotFound)?;
    if !verify_password(password.to_string(), user.password_hash.clone()).await? {
        return Err(AppError::Forbidden(refusal.into()));
    }
    Ok(user)
}

/// A hash to verify against when the email is unknown, so that a wrong email takes as long as a
/// wrong password and does not reveal which accounts exist.
pub async fn spend_like_a_verification(password: String) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY
        .get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default().hash_password(b"not a real password", &salt).map(|h| h.to_string()).unwrap_or_default()
        })
        .clone();
    let _ = verify_against(password, dummy).await;
}

/// Checks the rules for a new password; the error says what to change. As NIST SP 800-63B
/// advises: a minimum length, and no password that is easy to guess (common passwords, keyboard
/// patterns, repeats, dictionary words with digits, the user's email), judged by zxcvbn's
/// estimate (score 3 of 4 at least), not by rules of character classes.
pub fn check_new_password(password: &str, email: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::BadRequest(format!(
            "The password is too weak: use at least {MIN_PASSWORD_CHARS} characters."
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::BadRequest("The password is too long (at most 1024 bytes).".into()));
    }
    let name = email.split('@').next().unwrap_or_default();
    let estimate = zxcvbn::zxcvbn(password, &[email, name, "keytrack"]);
    if estimate.score() < zxcvbn::Score::Three {
        let why = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(": {}", w.to_string().trim_end_matches('.').to_lowercase()))
            .unwrap_or_default();
        return Err(AppError::BadRequest(format!(
            "The password is too easy to guess{why}. Common passwords, keyboard patterns, repeats and your email are tried first; a few unrelated words make a good one."
        )));
    }
    Ok(())
}

/// Normalises and checks an email address; returns it as it will be stored: NFKC (a full-width
/// `＠` is an `@`), trimmed, the domain in lower case; no control or space characters, one `@`,
/// a name and a domain.
pub fn normalize_email(email: &str) -> Result<String, AppError> {
    use unicode_normalization::UnicodeNormalization;
    let email: String = email.nfkc().collect();
    let email = email.trim();
    let parts = email.split_once('@').filter(|(local, domain)| {
        !local.is_empty()
            && !domain.is_empty()
            && !domain.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
    });
    match parts {
        Some((local, domain)) if email.len() <= 254 && !email.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Ok(format!("{local}@{}", domain.to_lowercase()))
        }
        _ => Err(AppError::BadRequest("Enter a valid email address, like ada@example.com.".into())),
    }
}

/// Every team invite code starts with this.
pub const INVITE_PREFIX: &str = "kti_";

/// Every pairing device code (the agent's secret while it waits for approval) starts with this.
pub const PAIRING_PREFIX: &str = "ktp_";

/// A new API token (256 random bits) and the hash that is stored in its place.
pub fn new_token() -> (String, Vec<u8>) {
    new_secret(TOKEN_PREFIX)
}

/// A new secret (256 random bits, hex, after `prefix`) and the hash stored in its place: API
/// tokens and team invite codes.
pub fn new_secret(prefix: &str) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("{prefix}{}", hex::encode(bytes));
    let hash = token_hash(&secret);
    (secret, hash)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The user a bearer token belongs to and the token's id, if it is live. Notes the use. A token
/// of a disabled account is `AccountDisabled`.
pub async fn user_of_token(database: &Database, token: &str) -> Result<Option<(i64, i64)>, AppError> {
    let hash = token_hash(token);
    let Some(live) = store::tokens::live_by_hash(database, &hash).await? else {
        return Ok(None);
    };
    // The index found it by equality already; compare again in constant time so that no code
    // path ever compares secrets byte by byte with an early exit.
    if !bool::from(live.token_hash.ct_eq(&hash)) {
        return Ok(None);
    }
    // A disabled account's agents are told so (and keep what they have until it is enabled).
    if live.account_disabled {
        return Err(AppError::AccountDisabled);
    }
    let now = now();
    if live.last_used_at.is_some_and(|at| at > now - store::tokens::TOUCH_EVERY_SECONDS) {
        return Ok(Some((live.user_id, live.id)));
    }
    // "Last used" is a convenience: a database that cannot write now (read-only, disk full) must
    // not lock agents and scripts out of reading.
    if let Err(error) = store::tokens::touch(database, live.id, now).await {
        match AppError::from(error) {
            AppError::StorageUnavailable(why) => tracing::debug!("token use not noted: {why}"),
            other => return Err(other),
        }
    }
    Ok(Some((live.user_id, live.id)))
}

/// Counts events (failed logins, sign-ups, pairing codes) per key in a sliding window, where the
/// store keeps them (`store::attempts`: this process's memory, or the database shared by every
/// instance on PostgreSQL).
pub struct RateLimiter {
    window: Duration,
    attempts: Attempts,
}

impl RateLimiter {
    pub fn new(window: Duration, attempts: Attempts) -> RateLimiter {
        RateLimiter { window, attempts }
    }

    /// `Err(RateLimited)` when each key has had `limit` events or more in the window.
    pub async fn check(&self, keys: &[(&str, usize)]) -> Result<(), AppError> {
        for (key, limit) in keys {
            let (count, oldest) = self.attempts.within(key, self.window).await?;
            if count >= *limit {
                let wait = self.window.saturating_sub(oldest);
                return Err(AppError::RateLimited(wait.as_secs().div_ceil(60).max(1)));
            }
        }
        Ok(())
    }

    pub async fn record(&self, keys: &[&str]) -> Result<(), AppError> {
        self.attempts.record(keys).await
    }

    pub async fn forget(&self, key: &str) -> Result<(), AppError> {
        self.attempts.forget(key).await
    }
}

/// The key of a client address ("unknown" when the server cannot tell).
pub(crate) fn address_key(ip: Option<IpAddr>) -> String {
    format!("|{}", ip.map_or_else(|| "unknown".to_string(), |ip| ip.to_string()))
}

/// Counts failed logins per account and address and per address alone (so one address cannot
/// try a password on many accounts either).
pub struct LoginLimiter {
    failures: RateLimiter,
    per_account: usize,
    per_address: usize,
}

impl LoginLimiter {
    pub fn new(failures: RateLimiter, per_account: usize, per_address: usize) -> LoginLimiter {
        LoginLimiter { failures, per_account, per_address }
    }

    fn keys(email: &str, ip: Option<IpAddr>) -> (String, String) {
        let address = address_key(ip);
        (format!("{}{address}", email.to_lowercase()), address)
    }

    /// `Err(RateLimited)` when this login may not even be tried now.
    pub async fn check(&self, email: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        let (account, address) = Self::keys(email, ip);
        self.failures.check(&[(&account, self.per_account), (&address, self.per_address)]).await
    }

    pub async fn record_failure(&self, email: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        let (account, address) = Self::keys(email, ip);
        self.failures.record(&[&account, &address]).await
    }

    pub async fn record_success(&self, email: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        self.failures.forget(&Self::keys(email, ip).0).await
    }
}

/// Counts sign-up attempts per address: sign-up must say when an email is taken, so its pace is
/// what keeps anyone from testing which addresses have accounts.
pub struct SignUpLimiter {
    attempts: RateLimiter,
    per_address: usize,
}

impl SignUpLimiter {
    pub fn new(attempts: RateLimiter, per_address: usize) -> SignUpLimiter {
        SignUpLimiter { attempts, per_address }
    }

    /// Counts an attempt, or refuses it when the address has had its share.
    pub async fn attempt(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        let address = address_key(ip);
        self.attempts.check(&[(&address, self.per_address)]).await?;
        self.attempts.record(&[&address]).await
    }
}

/// `NotFound` unless `user_id` is an enabled administrator.
pub async fn require_admin(database: &Database, user_id: i64) -> Result<(), AppError> {
    match store::users::by_id(database, user_id).await? {
        Some(user) if user.is_admin && user.disabled_at.is_none() => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

/// Whether `user_id` is an enabled administrator (what the header's link follows).
pub async fn is_admin(database: &Database, user_id: i64) -> Result<bool, AppError> {
    Ok(require_admin(database, user_id).await.is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_a, token_hash(&a));
        assert_eq!(hash_a.len(), 32);
    }

    /// Three failures per account, five per address, with the limiter in memory or, as every
    /// instance on one PostgreSQL database counts, in the database: `second` is another
    /// instance's limiter (the same one in memory, where there is only one instance).
    async fn the_login_limits_hold(first: &LoginLimiter, second: &LoginLimiter) {
        let ip: Option<IpAddr> = "127.0.0.1".parse().ok();
        for limiter in [first, second, first] {
            assert!(limiter.check("A@x.org", ip).await.is_ok());
            limiter.record_failure("a@x.org", ip).await.expect("record");
        }
        assert!(matches!(first.check("a@x.org", ip).await, Err(AppError::RateLimited(15))));
        assert!(matches!(second.check("a@x.org", ip).await, Err(AppError::RateLimited(15))));
        // Another account from the same address still has tries, until the address limit.
        assert!(second.check("b@x.org", ip).await.is_ok());
        second.record_failure("b@x.org", ip).await.expect("record");
        first.record_failure("b@x.org", ip).await.expect("record");
        assert!(first.check("c@x.org", ip).await.is_err());
        // Another address is not affected.
        assert!(second.check("a@x.org", "10.0.0.1".parse().ok()).await.is_ok());
        // A success forgets the account's failures (not the address's).
        let other: Option<IpAddr> = "10.0.0.2".parse().ok();
        first.record_failure("d@x.org", other).await.expect("record");
        second.record_success("d@x.org", other).await.expect("forget");
        first.record_failure("d@x.org", other).await.expect("record");
        first.record_failure("d@x.org", other).await.expect("record");
        assert!(first.check("d@x.org", other).await.is_ok(), "two failures since the success");
    }

    #[tokio::test]
    async fn login_limits_hold_in_memory_and_across_instances_on_postgres() {
        let window = Duration::from_secs(900);
        let memory = LoginLimiter::new(RateLimiter::new(window, Attempts::in_memory()), 3, 5);
        the_login_limits_hold(&memory, &memory).await;
        let database = crate::server::store::postgres::TestDatabase::create().await;
        let first = LoginLimiter::new(RateLimiter::new(window, Attempts::Postgres(database.pool.clone())), 3, 5);
        let second = LoginLimiter::new(RateLimiter::new(window, Attempts::Postgres(database.pool.clone())), 3, 5);
        the_login_limits_hold(&first, &second).await;
    }

    #[test]
    fn password_and_email_rules() {
        for weak in
            ["short", "aaaaaaaaaaaa", "ada@example.com", "1234567890", "password12", "qwertyuiop", "password1234"]
        {
            assert!(check_new_password(weak, "ada@example.com").is_err(), "{weak}");
        }
        for strong in ["correct horse battery", "keytrack-demo-2026", "Tr0ub4dor&3x"] {
            assert!(check_new_password(strong, "ada@example.com").is_ok(), "{strong}");
        }
        assert_eq!(normalize_email("  Ada@Example.COM ").ok().as_deref(), Some("Ada@example.com"));
        // A full-width at sign and letters are the same address as their plain forms.
        assert_eq!(normalize_email("ａｄａ＠example.com").ok().as_deref(), Some("ada@example.com"));
        for bad in [
            "",
            "ada",
            "@x.org",
            "ada@",
            "a b@x.org",
            "a@b@c",
            "ada@.org",
            "ada@x..org",
            "ada\0@x.org",
            "a\u{85}@x.org",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn sign_ups_are_limited_per_address() {
        let limiter = SignUpLimiter::new(RateLimiter::new(Duration::from_secs(3600), Attempts::in_memory()), 3);
        let ip: Option<IpAddr> = "10.0.0.1".parse().ok();
        for _ in 0..3 {
            assert!(limiter.attempt(ip).await.is_ok());
        }
        assert!(matches!(limiter.attempt(ip).await, Err(AppError::RateLimited(_))));
        assert!(limiter.attempt("10.0.0.2".parse().ok()).await.is_ok(), "another address");
    }
}
