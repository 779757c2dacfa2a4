//! Two-factor sign-in: a TOTP secret (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits, as every
//! authenticator app reads it from a QR code) set up from the profile and confirmed with a code,
//! ten single-use recovery codes, and the check at login, after the password: at most
//! [`TRIES`] wrong codes in [`PAUSE_MINUTES`] minutes per account, and a code is taken once per
//! step (no code of the step of the last one taken, or of an earlier step, is taken again).
//! An administrator can require it of every password account and reset a person's.
//! The secret and the recovery codes are shown once, at setup, and never logged.

use std::time::Duration;

use rand::RngCore;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use super::audit::{self, Action, Who};
use super::auth::{self, RateLimiter, require_admin, token_hash};
use crate::model::{TwoFactorSetup, TwoFactorStatus};
use crate::server::error::AppError;
use crate::server::now;
use crate::server::store::{self, Database};

/// Seconds a code is valid for, and its digits: what authenticator apps assume.
const STEP_SECONDS: i64 = 30;
const DIGITS: usize = 6;
/// A code of the step before or after the server's is taken too (a phone's clock a little off).
const SKEW_STEPS: i64 = 1;
/// Wrong codes an account may give before it must wait, and how long the wait lasts at most.
pub const TRIES: usize = 5;
pub const PAUSE_MINUTES: u64 = 5;
/// Recovery codes made at a time, and their length in letters of [`CODE_ALPHABET`] (5 bits each).
pub const RECOVERY_CODES: usize = 10;
const RECOVERY_CODE_CHARS: usize = 12;
/// Letters and digits without 0/o, 1/l/i that read alike.
const CODE_ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789-";
const ISSUER: &str = "KeyTrack";
const SETTING_REQUIRED: &str = "require_two_factor";

/// The limiter of wrong codes (one per server; see `AppState`).
pub fn limiter(attempts: store::attempts::Attempts) -> RateLimiter {
    RateLimiter::new(Duration::from_secs(PAUSE_MINUTES * 60), attempts)
}

fn totp(secret: Vec<u8>, email: &str) -> TOTP {
    // The account name may not hold a colon (the label's separator); emails hold none, but a
    // stored one is not re-checked here.
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECONDS as u64,
        secret,
        Some(ISSUER.into()),
        email.replace(':', ""),
    )
}

/// The step of the code among `step - SKEW_STEPS ..= step + SKEW_STEPS` that equals `code`, compared
/// in constant time.
fn matching_step(totp: &TOTP, code: &str, now: i64) -> Option<i64> {
    let current = now.div_euclid(STEP_SECONDS);
    let mut found = None;
    for step in current - SKEW_STEPS..=current + SKEW_STEPS {
        let expected = totp.generate(u64::try_from(step * STEP_SECONDS).unwrap_or(0));
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

/// A code as typed: without spaces and dashes between groups, in lower case.
fn typed(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect()
}

fn new_recovery_codes() -> (Vec<String>, Vec<Vec<u8>>) {
    let mut rng = rand::rngs::OsRng;
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; RECOVERY_CODE_CHARS];
            rng.fill_bytes(&mut bytes);
            // 31 letters (no dash inside a code), in groups of four to read aloud.
            let letters: Vec<char> = bytes.iter().map(|b| CODE_ALPHABET[usize::from(b % 31)] as char).collect();
            letters.chunks(4).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join("-")
        })
        .collect();
    let hashes = codes.iter().map(|code| token_hash(&typed(code))).collect();
    (codes, hashes)
}

/// Whether the account has two-factor sign-in on (confirmed).
pub async fn is_on(database: &Database, user_id: i64) -> Result<bool, AppError> {
    Ok(store::two_factor::get(database, user_id).await?.is_some_and(|row| row.confirmed_at.is_some()))
}

pub async fn status(database: &Database, user_id: i64) -> Result<TwoFactorStatus, AppError> {
    let on = is_on(database, user_id).await?;
    let recovery_codes_left = if on { store::two_factor::recovery_codes_left(database, user_id).await? } else { 0 };
    Ok(TwoFactorStatus {
        on,
        recovery_codes_left: u32::try_from(recovery_codes_left).unwrap_or(0),
        required: required(database).await?,
    })
}

/// A new secret to set up, as the app reads it (a QR code of its `otpauth://` address, or the
/// secret typed in); it counts only once a code confirms it.
pub async fn begin_setup(database: &Database, user_id: i64) -> Result<TwoFactorSetup, AppError> {
    let user = store::users::by_id(database, user_id).await?.ok_or(AppError::NotFound)?;
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    if !store::two_factor::begin(database, user_id, &secret, now()).await? {
        return Err(AppError::Conflict("Two-factor sign-in is on already.".into()));
    }
    let totp = totp(secret, &user.email);
    let address = totp.get_url();
    let qr = qrcode::QrCode::new(address.as_bytes()).map_err(AppError::internal)?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    Ok(TwoFactorSetup { secret: totp.get_secret_base32(), address, qr_svg })
}

/// Confirms the secret being set up with a code from the app: two-factor sign-in is on, and these
/// are the recovery codes (shown once).
pub async fn confirm_setup(database: &Database, user_id: i64, code: &str) -> Result<Vec<String>, AppError> {
    let row = store::two_factor::get(database, user_id)
        .await?
        .filter(|row| row.confirmed_at.is_none())
        .ok_or_else(|| AppError::Conflict("Start the setup again: there is no new secret to confirm.".into()))?;
    let user = store::users::by_id(database, user_id).await?.ok_or(AppError::NotFound)?;
    let step = matching_step(&totp(row.secret, &user.email), &typed(code), now()).ok_or_else(|| {
        AppError::BadRequest("That code is not the app's: type the 6 digits it shows now for KeyTrack.".into())
    })?;
    let (codes, hashes) = new_recovery_codes();
    let mut tx = database.begin_write().await?;
    if !store::two_factor::confirm(&mut tx, user_id, step, now()).await? {
        return Err(AppError::Conflict("Two-factor sign-in is on already.".into()));
    }
    store::two_factor::replace_recovery_codes(&mut tx, user_id, &hashes).await?;
    tx.commit().await?;
    audit::record(database, Action::TwoFactorOn, Some(Who::Account(user_id)), None, "").await?;
    Ok(codes)
}

/// Turning the second factor off, or new recovery codes, asks for the account's password again.
async fn check_password(database: &Database, user_id: i64, password: &str) -> Result<(), AppError> {
    auth::confirm_own_password(database, user_id, password, "That is not your password.").await.map(|_| ())
}

/// New recovery codes for an account with two-factor sign-in on (the earlier ones stop working).
pub async fn renew_recovery_codes(database: &Database, user_id: i64, password: &str) -> Result<Vec<String>, AppError> {
    check_password(database, user_id, password).await?;
    if !is_on(database, user_id).await? {
        return Err(AppError::Conflict("Two-factor sign-in is off.".into()));
    }
    let (codes, hashes) = new_recovery_codes();
    let mut tx = database.begin_write().await?;
    store::two_factor::replace_recovery_codes(&mut tx, user_id, &hashes).await?;
    tx.commit().await?;
    audit::record(database, Action::RecoveryCodesRenewed, Some(Who::Account(user_id)), None, "").await?;
    Ok(codes)
}

/// Turns two-factor sign-in off, with the password; refused while the server requires it.
pub async fn turn_off(database: &Database, user_id: i64, password: &str) -> Result<(), AppError> {
    check_password(database, user_id, password).await?;
    if required(database).await? {
        return Err(AppError::Forbidden(
            "This server requires two-factor sign-in: it can be reset by an administrator, not turned off.".into(),
        ));
    }
    remove(database, user_id).await?;
    audit::record(database, Action::TwoFactorOff, Some(Who::Account(user_id)), None, "").await
}

async fn remove(database: &Database, user_id: i64) -> Result<bool, AppError> {
    let mut tx = database.begin_write().await?;
    let removed = store::two_factor::remove(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(removed)
}

/// An administrator (`None`: the server's command line, the way back in for an administrator who
/// lost both phone and codes) removes a person's second factor: the person logs in with the
/// password alone, and sets it up again when the server requires it. Whether there was one.
pub async fn reset(database: &Database, admin: Option<i64>, target: i64) -> Result<bool, AppError> {
    if let Some(admin) = admin {
        require_admin(database, admin).await?;
    }
    store::users::by_id(database, target).await?.ok_or(AppError::NotFound)?;
    let removed = remove(database, target).await?;
    if removed {
        audit::record(database, Action::TwoFactorReset, admin.map(Who::Account), Some(Who::Account(target)), "")
            .await?;
    }
    Ok(removed)
}

/// Whether the server requires two-factor sign-in of every password account.
pub async fn required(database: &Database) -> Result<bool, AppError> {
    Ok(store::settings::get(database, SETTING_REQUIRED).await?.as_deref() == Some("on"))
}

/// An administrator requires two-factor sign-in of every password account, or no longer.
pub async fn set_required(database: &Database, admin: i64, required: bool) -> Result<(), AppError> {
    require_admin(database, admin).await?;
    if self::required(database).await? == required {
        return Ok(());
    }
    store::settings::set(database, SETTING_REQUIRED, if required { "on" } else { "off" }).await?;
    let detail = if required { "on" } else { "off" };
    audit::record(database, Action::TwoFactorRequired, Some(Who::Account(admin)), None, detail).await
}

/// Checks the second step of a login: a code of the app (taken once per step) or an unused
/// recovery code (used up). Wrong codes count against the account's [`TRIES`].
pub async fn check_login_code(
    database: &Database,
    limiter: &RateLimiter,
    user_id: i64,
    code: &str,
) -> Result<(), AppError> {
    let key = format!("2fa|{user_id}");
    limiter.check(&[(&key, TRIES)]).await?;
    let code = typed(code);
    let row = store::two_factor::get(database, user_id).await?.filter(|row| row.confirmed_at.is_some());
    let Some(row) = row else {
        // Reset by an administrator since the password was given: nothing more to ask.
        return Ok(());
    };
    let now = now();
    let accepted = if code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
        let user = store::users::by_id(database, user_id).await?.ok_or(AppError::NotFound)?;
        match matching_step(&totp(row.secret, &user.email), &code, now) {
            Some(step) => store::two_factor::take_step(database, user_id, step).await?,
            None => false,
        }
    } else {
        let used = store::two_factor::use_recovery_code(database, user_id, &token_hash(&code), now).await?;
        if used {
            audit::record(database, Action::RecoveryCodeUsed, Some(Who::Account(user_id)), None, "").await?;
        }
        used
    };
    if !accepted {
        limiter.record(&[&key]).await?;
        audit::record(database, Action::TwoFactorFailed, None, Some(Who::Account(user_id)), "").await?;
        return Err(AppError::Unauthorized(
            "That code is not right, or was used already: type the 6 digits your app shows now, or an unused recovery code.",
        ));
    }
    limiter.forget(&key).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's test vector for SHA-1 (its appendix B), cut to 6 digits as apps show them.
    #[test]
    fn codes_are_rfc_6238_and_taken_within_a_step_either_side() {
        let totp = totp(b"12345678901234567890".to_vec(), "ada@example.com");
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(totp.generate(1_111_111_109), "081804");
        assert_eq!(matching_step(&totp, "081804", 1_111_111_109), Some(1_111_111_109 / 30));
        // Thirty seconds later the code is the step before the server's: still taken.
        assert_eq!(matching_step(&totp, "081804", 1_111_111_139), Some(1_111_111_109 / 30));
        assert_eq!(matching_step(&totp, "081804", 1_111_111_200), None);
        assert_eq!(matching_step(&totp, "000000", 1_111_111_109), None);
    }

    #[test]
    fn recovery_codes_are_random_readable_and_hashed_as_typed() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), RECOVERY_CODES);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert_eq!(code.len(), 14, "{code}");
            assert!(code.chars().all(|c| c == '-' || CODE_ALPHABET[..31].contains(&(c as u8))), "{code}");
            // Typed in capitals, with spaces for the dashes: the same code.
            assert_eq!(&token_hash(&typed(&code.to_uppercase().replace('-', " "))), hash);
        }
    }
}
