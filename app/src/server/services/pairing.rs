//! Pairing an agent by code (`keytrack_wire::pairing`): the agent asks for a code, the person
//! approves it on the `/pair` page while logged in, and the agent collects a token of its own.
//!
//! Codes expire after 10 minutes and give one token. Guessing is bounded twice: a code is one of
//! 20^8 (2.6 * 10^10) and is live for 10 minutes, and each address may ask for 20 codes and each
//! account may type 10 wrong ones per 10 minutes. The agent's device code is a 256-bit secret,
//! stored hashed like tokens.

use std::net::IpAddr;

use keytrack_wire::pairing::{
    PAIRING_CODE_LETTERS, PAIRING_POLL_SECONDS, PAIRING_VALID_SECONDS, PairingRequest, PairingStarted, PairingState,
    normalize_pairing_code,
};
use rand::Rng;

use super::accounts::clean_name;
use super::audit::{self, Action, Who};
use super::auth::{PAIRING_PREFIX, RateLimiter, address_key, new_secret, new_token, token_hash};
use crate::model::PairingPreview;
use crate::server::error::AppError;
use crate::server::store::{self, Database, pairings::PairingRow};

/// Codes an address may ask for, and wrong codes an account may type, per limiter window.
pub const CODES_PER_ADDRESS: usize = 20;
pub const WRONG_CODES_PER_ACCOUNT: usize = 10;

// Shown on the pairing page as plain text (no Markdown backticks) and in the API's answers.
const UNKNOWN_CODE: &str =
    "No pairing waits for this code: check it, or run \"keytrack-agent pair\" on the computer again for a new one.";
const EXPIRED_CODE: &str =
    "This pairing code has expired: run \"keytrack-agent pair\" on the computer again for a new one.";

fn user_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let mut letter = || char::from(PAIRING_CODE_LETTERS[rng.gen_range(0..PAIRING_CODE_LETTERS.len())]);
    let first: String = (0..4).map(|_| letter()).collect();
    let second: String = (0..4).map(|_| letter()).collect();
    format!("{first}-{second}")
}

/// Short free text from an agent (platform, version): trimmed, at most 40 characters, no controls.
fn agent_label(text: &str, field: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    clean_name(text, 40)
        .map(str::to_string)
        .ok_or_else(|| AppError::InvalidActivity(format!("{field}: at most 40 characters, no control characters")))
}

/// A new pairing request from an agent at `ip`.
pub async fn start(
    database: &Database,
    limiter: &RateLimiter,
    ip: Option<IpAddr>,
    request: &PairingRequest,
    now: i64,
) -> Result<PairingStarted, AppError> {
    let device_name = clean_name(&request.device_name, 100)
        .ok_or_else(|| AppError::InvalidActivity("device_name: 1 to 100 characters, no control characters".into()))?;
    let platform = agent_label(&request.platform, "platform")?;
    let agent_version = agent_label(&request.agent_version, "agent_version")?;
    let address = format!("pair{}", address_key(ip));
    limiter.check(&[(&address, CODES_PER_ADDRESS)]).await?;
    limiter.record(&[&address]).await?;
    let (device_code, hash) = new_secret(PAIRING_PREFIX);
    let expires_at = now + i64::from(PAIRING_VALID_SECONDS);
    let mut tx = database.begin_write().await?;
    store::pairings::delete_expired(&mut tx, now).await?;
    // A code taken by another live request is drawn again (one in 2.6 * 10^10 per live request).
    let mut code = user_code();
    let mut tries = 0;
    loop {
        let new = store::pairings::NewPairing {
            device_code_hash: &hash,
            user_code: &code,
            device_name,
            platform: &platform,
            agent_version: &agent_version,
            created_at: now,
            expires_at,
        };
        if store::pairings::insert(&mut tx, &new).await? {
            break;
        }
        tries += 1;
        if tries >= 5 {
            return Err(AppError::internal("five pairing codes in a row were taken"));
        }
        code = user_code();
    }
    tx.commit().await?;
    Ok(PairingStarted {
        device_code,
        verification_path: format!("/pair?code={code}"),
        user_code: code,
        expires_in: PAIRING_VALID_SECONDS,
        interval: PAIRING_POLL_SECONDS,
    })
}

/// The live, undecided request with the code the person typed, or a clear refusal. Wrong codes
/// count against the account's limit.
async fn waiting_request(
    database: &Database,
    limiter: &RateLimiter,
    user_id: i64,
    typed: &str,
    now: i64,
) -> Result<PairingRow, AppError> {
    let account = format!("pair-account|{user_id}");
    limiter.check(&[(&account, WRONG_CODES_PER_ACCOUNT)]).await?;
    let found = match normalize_pairing_code(typed) {
        Some(code) => store::pairings::by_user_code(database, &code).await?,
        None => None,
    };
    let Some(row) = found else {
        limiter.record(&[&account]).await?;
        return Err(AppError::BadRequest(UNKNOWN_CODE.into()));
    };
    if row.expires_at <= now {
        return Err(AppError::BadRequest(EXPIRED_CODE.into()));
    }
    if row.approved.is_some() {
        return Err(AppError::BadRequest(
            "This pairing code was used already: run \"keytrack-agent pair\" on the computer again for a new one."
                .into(),
        ));
    }
    Ok(row)
}

/// What the person is about to approve.
pub async fn preview(
    database: &Database,
    limiter: &RateLimiter,
    user_id: i64,
    typed: &str,
    now: i64,
) -> Result<PairingPreview, AppError> {
    let row = waiting_request(database, limiter, user_id, typed, now).await?;
    Ok(PairingPreview {
        user_code: row.user_code,
        device_name: row.device_name,
        platform: row.platform,
        agent_version: row.agent_version,
        created_at: row.created_at,
        expires_at: row.expires_at,
    })
}

/// Approves or denies the request with this code, as the logged-in user.
pub async fn decide(
    database: &Database,
    limiter: &RateLimiter,
    user_id: i64,
    typed: &str,
    approve: bool,
    now: i64,
) -> Result<(), AppError> {
    let row = waiting_request(database, limiter, user_id, typed, now).await?;
    if !store::pairings::decide(database, row.id, user_id, approve, now).await? {
        return Err(AppError::BadRequest(EXPIRED_CODE.into()));
    }
    let action = if approve { Action::PairingApproved } else { Action::PairingDenied };
    audit::record(database, action, Some(Who::Account(user_id)), None, &row.device_name).await
}

/// The agent's question: still pending, or its new token (once).
pub async fn collect(database: &Database, device_code: &str, now: i64) -> Result<PairingState, AppError> {
    const UNKNOWN: &str = "unknown pairing code: run `keytrack-agent pair` again";
    const COLLECTED: &str = "this pairing gave its token already: run `keytrack-agent pair` again";
    if !device_code.starts_with(PAIRING_PREFIX) || device_code.len() > 200 {
        return Err(AppError::BadRequest(UNKNOWN.into()));
    }
    let hash = token_hash(device_code);
    let Some(row) = store::pairings::by_device_code(database, &hash).await? else {
        return Err(AppError::BadRequest(UNKNOWN.into()));
    };
    if row.collected_at.is_some() {
        return Err(AppError::Conflict(COLLECTED.into()));
    }
    match (row.approved, row.user_id) {
        (Some(false), _) => Err(AppError::Forbidden("the pairing was denied in the web UI".into())),
        (Some(true), Some(user_id)) => {
            if store::users::by_id(database, user_id).await?.is_some_and(|user| user.disabled_at.is_some()) {
                return Err(AppError::AccountDisabled);
            }
            let mut tx = database.begin_write().await?;
            let (token, token_hash) = new_token();
            let token_id = store::tokens::insert(&mut tx, user_id, &row.device_name, &token_hash, now).await?;
            if !store::pairings::collect(&mut tx, row.id, token_id, now).await? {
                return Err(AppError::Conflict(COLLECTED.into()));
            }
            let email =
                store::users::by_id(&mut tx, user_id).await?.ok_or_else(|| AppError::BadRequest(UNKNOWN.into()))?.email;
            tx.commit().await?;
            Ok(PairingState::Approved { token, email })
        }
        _ if row.expires_at <= now => Err(AppError::BadRequest(
            "the pairing code expired before it was approved: run `keytrack-agent pair` again".into(),
        )),
        _ => Ok(PairingState::Pending),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::server::store::postgres::TestDatabase;

    /// What each step of two pairings answers, in words (codes and tokens left out: they are
    /// random), on `database`.
    async fn two_pairings(database: &Database) -> Vec<String> {
        const NOW: i64 = 1_764_000_000;
        let limiter = RateLimiter::new(
            Duration::from_secs(600),
            crate::server::store::attempts::Attempts::for_database(database),
        );
        let errors = |e: AppError| e.code();
        let ada = store::users::insert(database, "ada@example.com", "hash", "Ada", "UTC", 0)
            .await
            .expect("ada")
            .expect("new");
        let request = |name: &str| PairingRequest {
            device_name: name.into(),
            platform: "linux x86_64".into(),
            agent_version: "0.1.0".into(),
        };
        let mut seen = Vec::new();
        let laptop = start(database, &limiter, None, &request(" laptop "), NOW).await.expect("start");
        let desk = start(database, &limiter, None, &request("desk"), NOW).await.expect("start");
        seen.push(format!("pending: {:?}", collect(database, &laptop.device_code, NOW).await.map_err(errors)));
        let typed = laptop.user_code.to_lowercase().replace('-', " ");
        let preview = preview(database, &limiter, ada, &typed, NOW + 5).await.expect("preview");
        seen.push(format!("preview: {} {} {}", preview.device_name, preview.platform, preview.agent_version));
        seen.push(format!(
            "approve: {:?}",
            decide(database, &limiter, ada, &typed, true, NOW + 6).await.map_err(errors)
        ));
        seen.push(format!(
            "again: {:?}",
            decide(database, &limiter, ada, &typed, false, NOW + 7).await.map_err(errors)
        ));
        seen.push(format!(
            "deny desk: {:?}",
            decide(database, &limiter, ada, &desk.user_code, false, NOW + 8).await.map_err(errors)
        ));
        match collect(database, &laptop.device_code, NOW + 9).await.expect("collect") {
            PairingState::Approved { token, email } => {
                let user = crate::server::services::auth::user_of_token(database, &token)
                    .await
                    .expect("check")
                    .map(|(user, _)| user);
                seen.push(format!("laptop's token: {email} {user:?}"));
            }
            PairingState::Pending => seen.push("laptop still pending".into()),
        }
        seen.push(format!(
            "collected twice: {:?}",
            collect(database, &laptop.device_code, NOW + 10).await.map_err(errors)
        ));
        seen.push(format!("desk: {:?}", collect(database, &desk.device_code, NOW + 10).await.map_err(errors)));
        seen.push(format!("unknown: {:?}", collect(database, "ktp_nothing", NOW + 10).await.map_err(errors)));
        let late = start(database, &limiter, None, &request("late"), NOW).await.expect("start");
        let expired = NOW + i64::from(PAIRING_VALID_SECONDS);
        seen.push(format!(
            "late: {:?}",
            decide(database, &limiter, ada, &late.user_code, true, expired).await.map_err(errors)
        ));
        let tokens: Vec<_> =
            store::tokens::list(database, ada).await.expect("tokens").into_iter().map(|t| t.name).collect();
        seen.push(format!("ada's tokens: {tokens:?}"));
        seen
    }

    #[tokio::test]
    async fn pairing_answers_the_same_on_postgres_as_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = Database::Sqlite(crate::server::store::sqlite::open(dir.path()).await.expect("open"));
        let postgres = TestDatabase::create().await;
        let on_sqlite = two_pairings(&sqlite).await;
        assert_eq!(on_sqlite, two_pairings(&Database::Postgres(postgres.pool.clone())).await);
        assert_eq!(
            on_sqlite,
            [
                "pending: Ok(Pending)",
                "preview: laptop linux x86_64 0.1.0",
                "approve: Ok(())",
                "again: Err(\"bad_request\")",
                "deny desk: Ok(())",
                "laptop's token: ada@example.com Some(1)",
                "collected twice: Err(\"conflict\")",
                "desk: Err(\"forbidden\")",
                "unknown: Err(\"bad_request\")",
                "late: Err(\"bad_request\")",
                "ada's tokens: [\"laptop\"]",
            ]
        );
    }
}
