//! Accounts, profiles and API tokens: what the web UI's forms and the CLI do.

use std::net::IpAddr;

use keytrack_wire::Account;

use super::audit::{self, Action, Who};
use super::auth::{self, LoginLimiter};
use super::site;
use super::two_factor;
use crate::domain::layouts::KeyboardLayout;
use crate::domain::time::UserClock;
use crate::server::error::AppError;
use crate::server::now;
use crate::server::store::users::account_of;
use crate::server::store::{self, Database, Db};

use crate::model::TokenSummary;

/// Puts an application on the user's never-count list (`add`) or takes it off; their agents
/// apply the list from their next upload on.
pub async fn change_never_count(database: &Database, user_id: i64, name: &str, add: bool) -> Result<(), AppError> {
    let name = keytrack_wire::app_name(name).ok_or_else(|| {
        AppError::BadRequest(format!(
            "\"{}\" is not an application name: use its program's name as Applications shows it, e.g. keepassxc.",
            name.trim()
        ))
    })?;
    let user = store::users::by_id(database, user_id).await?.ok_or(AppError::NotFound)?;
    let mut apps = store::users::never_count_list(&user.never_count);
    if add {
        if apps.contains(&name) {
            return Ok(());
        }
        if apps.len() >= keytrack_wire::apps::MAX_NEVER_COUNT {
            return Err(AppError::BadRequest(format!(
                "The list holds at most {} applications.",
                keytrack_wire::apps::MAX_NEVER_COUNT
            )));
        }
        apps.push(name);
        apps.sort();
    } else {
        apps.retain(|a| *a != name);
    }
    store::users::set_never_count(database, user_id, &apps).await?;
    Ok(())
}

pub async fn account<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<Account, AppError> {
    store::users::by_id(db, user_id).await?.map(account_of).ok_or(AppError::NotFound)
}

/// Creates an account; the time zone is the browser's (or UTC when it sent none or a bad one).
/// For the command line and administrators (`keytrack user add`): no sign-up policy applies.
pub async fn sign_up(database: &Database, email: &str, password: &str, timezone: &str) -> Result<i64, AppError> {
    let (email, hash) = checked_new_account(email, password).await?;
    let id = insert_account(database, &email, &hash, timezone, None).await?;
    audit::record(database, Action::SignUp, Some(Who::Account(id)), None, "added on the command line").await?;
    Ok(id)
}

/// Creates an account from the sign-up page, as the server's sign-up policy allows
/// (`site::may_sign_up`): `invite` is the site or team invite code of the link that brought the
/// person, if any; a site invite is used up by the account it makes.
pub async fn sign_up_by_policy(
    database: &Database,
    email: &str,
    password: &str,
    timezone: &str,
    invite: Option<&str>,
) -> Result<i64, AppError> {
    let email = auth::normalize_email(email)?;
    let pass = site::may_sign_up(database, &email, invite).await?;
    let (email, hash) = checked_new_account(&email, password).await?;
    let mut tx = database.begin_write().await?;
    let id = insert_account(&mut tx, &email, &hash, timezone, None).await?;
    use_up_site_invite(&mut tx, Some(pass), id).await?;
    tx.commit().await?;
    // Signed up from the page: logged in at once.
    store::users::note_login(database, id, now()).await?;
    audit::record(database, Action::SignUp, Some(Who::Account(id)), None, pass.describe()).await?;
    Ok(id)
}

/// An account made at its first single sign-on: who the provider says the person is.
pub struct NewSsoAccount<'a> {
    /// Normalised.
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub timezone: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
}

/// Creates the account of a first single sign-on, linked to the provider's person, with no
/// password (none matches its empty hash). `pass`: why the sign-up policy lets it be made (`None`:
/// an address of `--oidc-allowed-domains`); a site invite is used up by it.
pub async fn sign_up_with_sso(
    database: &Database,
    new: NewSsoAccount<'_>,
    pass: Option<site::SignUpPass>,
) -> Result<i64, AppError> {
    let mut tx = database.begin_write().await?;
    let name = new.display_name.and_then(|name| clean_name(name, 100));
    let id = insert_account(&mut tx, new.email, NO_PASSWORD, new.timezone, name).await?;
    use_up_site_invite(&mut tx, pass, id).await?;
    if !store::sso::link(&mut tx, id, new.issuer, new.subject, new.email, now()).await? {
        return Err(AppError::Conflict("This identity signed in at the same moment: sign in again.".into()));
    }
    tx.commit().await?;
    let how = match pass {
        Some(pass) => format!("single sign-on ({}), {}", new.issuer, pass.describe()),
        None => format!("single sign-on ({}), an allowed email domain", new.issuer),
    };
    audit::record(database, Action::SignUp, Some(Who::Account(id)), None, &how).await?;
    Ok(id)
}

/// The password hash of an account without a password (made by single sign-on): no password
/// matches it (`auth::verify_password`).
pub const NO_PASSWORD: &str = "";

/// A site invite that let `account` be made is used up by it, in the transaction that makes it
/// (two sign-ups racing with one invite: one of them is refused and makes nothing).
async fn use_up_site_invite<'c>(
    db: impl Into<Db<'c>>,
    pass: Option<site::SignUpPass>,
    account: i64,
) -> Result<(), AppError> {
    if let Some(site::SignUpPass::SiteInvite(invite_id)) = pass
        && !store::site_invites::use_invite(db, invite_id, account, now()).await?
    {
        return Err(AppError::Forbidden("This invite was used already: ask for a new one.".into()));
    }
    Ok(())
}

const TAKEN: &str = "An account with this email exists already. Log in instead.";

/// A new account's email as stored and its password's hash, once both pass the rules.
async fn checked_new_account(email: &str, password: &str) -> Result<(String, String), AppError> {
    let email = auth::normalize_email(email)?;
    auth::check_new_password(password, &email)?;
    let hash = auth::hash_password(password.to_string()).await?;
    Ok((email, hash))
}

/// Stores a new account: its time zone the browser's (UTC when it sent none or a bad one), its
/// display name the one given or else the email's name part.
async fn insert_account<'c>(
    db: impl Into<Db<'c>>,
    email: &str,
    hash: &str,
    timezone: &str,
    display_name: Option<&str>,
) -> Result<i64, AppError> {
    let timezone = if UserClock::new(timezone, 0).is_ok() { timezone } else { "UTC" };
    let display_name = display_name.unwrap_or_else(|| email.split('@').next().unwrap_or_default());
    store::users::insert(db, email, hash, display_name, timezone, now())
        .await?
        .ok_or_else(|| AppError::Conflict(TAKEN.into()))
}

/// Where a right password leads: the account is logged in, or (two-factor sign-in is on) a code
/// is asked for first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginStep {
    LoggedIn(i64),
    CodeNeeded(i64),
}

impl LoginStep {
    pub fn user_id(self) -> i64 {
        match self {
            LoginStep::LoggedIn(id) | LoginStep::CodeNeeded(id) => id,
        }
    }
}

/// A login done (with a password, a second factor or single sign-on): noted and audited.
pub(crate) async fn logged_in(database: &Database, user_id: i64, how: &str) -> Result<(), AppError> {
    store::users::note_login(database, user_id, now()).await?;
    audit::record(database, Action::Login, Some(Who::Account(user_id)), None, how).await
}

/// Checks email and password, counting failures against the rate limit. The error never says
/// which of the two was wrong; a disabled account says so only to whoever knows its password.
pub async fn log_in(
    database: &Database,
    limiter: &LoginLimiter,
    email: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<LoginStep, AppError> {
    // The same form of the address as sign-up stored (an unusable one simply finds no account).
    let email = auth::normalize_email(email).unwrap_or_else(|_| email.trim().to_string());
    let email = email.as_str();
    limiter.check(email, ip).await?;
    let user = store::users::by_email(database, email).await?;
    let verified = match &user {
        Some(user) => auth::verify_password(password.to_string(), user.password_hash.clone()).await?,
        None => {
            auth::spend_like_a_verification(password.to_string()).await;
            false
        }
    };
    match user {
        Some(user) if verified && user.disabled_at.is_some() => {
            audit::record(database, Action::LoginFailed, None, Some(Who::Account(user.id)), "the account is disabled")
                .await?;
            Err(AppError::AccountDisabled)
        }
        Some(user) if verified => {
            limiter.record_success(email, ip).await?;
            if user.two_factor_on {
                return Ok(LoginStep::CodeNeeded(user.id));
            }
            logged_in(database, user.id, "with a password").await?;
            Ok(LoginStep::LoggedIn(user.id))
        }
        _ => {
            limiter.record_failure(email, ip).await?;
            let target = user.as_ref().map_or(Who::Email(email), |user| Who::Account(user.id));
            audit::record(database, Action::LoginFailed, None, Some(target), "wrong email or password").await?;
            Err(AppError::Unauthorized("Wrong email or password."))
        }
    }
}

/// The second step of a login with two-factor sign-in on: a code of the person's app or a
/// recovery code (`two_factor::check_login_code`), for the account whose password was right.
pub async fn log_in_with_code(
    database: &Database,
    limiter: &auth::RateLimiter,
    user_id: i64,
    code: &str,
) -> Result<(), AppError> {
    let user = store::users::by_id(database, user_id).await?.ok_or(AppError::NotFound)?;
    if user.disabled_at.is_some() {
        return Err(AppError::AccountDisabled);
    }
    two_factor::check_login_code(database, limiter, user_id, code).await?;
    logged_in(database, user_id, "with a password and a second factor").await
}

/// The account as its owner sees it (`GET /api/v1/me`), with what the server requires of it.
pub async fn own_account(database: &Database, user_id: i64) -> Result<Account, AppError> {
    let user = store::users::by_id(database, user_id).await?.ok_or(AppError::NotFound)?;
    account_shown(database, user).await
}

/// The account as its owner's pages see it: with what the server requires of it.
pub async fn account_shown(database: &Database, user: store::users::UserRow) -> Result<Account, AppError> {
    // What is required of password accounts: one that signs in with single sign-on alone has its
    // provider's own second factor.
    let has_password = user.password_hash != NO_PASSWORD;
    let mut account = account_of(user);
    account.must_set_up_two_factor = has_password && !account.two_factor && two_factor::required(database).await?;
    Ok(account)
}

pub async fn save_profile(
    database: &Database,
    user_id: i64,
    display_name: &str,
    timezone: &str,
    day_start_hour: u8,
    keyboard_layout: &str,
) -> Result<(), AppError> {
    let display_name = display_name.trim();
    let layout = KeyboardLayout::from_id(keyboard_layout).ok_or_else(|| {
        AppError::BadRequest(format!("\"{keyboard_layout}\" is not a keyboard layout KeyTrack knows."))
    })?;
    if display_name.chars().count() > 100 || display_name.chars().any(char::is_control) {
        return Err(AppError::BadRequest("The display name is at most 100 printable characters.".into()));
    }
    let clock = UserClock::new(timezone, day_start_hour).map_err(AppError::BadRequest)?;
    let mut tx = database.begin_write().await?;
    let before = store::users::by_id(&mut tx, user_id).await?.ok_or(AppError::NotFound)?;
    store::users::update_profile(&mut tx, user_id, display_name, timezone, day_start_hour, layout.id()).await?;
    // The user's days move with their time zone and day start: sum them again.
    if before.timezone != timezone || before.day_start_hour != i64::from(day_start_hour) {
        let stored_in = super::clock::clock_of(&account_of(before))?;
        store::rollups::rebuild_from(&mut tx, user_id, stored_in, clock).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A name typed by a user (of a token, a team), trimmed; `None` when empty, longer than `max`
/// characters or holding control characters.
pub fn clean_name(name: &str, max: usize) -> Option<&str> {
    let name = name.trim();
    let fits = !name.is_empty() && name.chars().count() <= max && !name.chars().any(char::is_control);
    fits.then_some(name)
}

/// Creates a named token and returns its id and the token: the only time it is ever shown.
pub async fn create_token(database: &Database, user_id: i64, name: &str) -> Result<(i64, String), AppError> {
    let name = clean_name(name, 100).ok_or_else(|| {
        AppError::BadRequest("Name the token (1 to 100 characters), e.g. after the computer it is for.".into())
    })?;
    let (token, hash) = auth::new_token();
    let id = store::tokens::insert(database, user_id, name, &hash, now()).await?;
    audit::record(database, Action::TokenCreated, Some(Who::Account(user_id)), None, name).await?;
    Ok((id, token))
}

pub async fn list_tokens(database: &Database, user_id: i64) -> Result<Vec<TokenSummary>, AppError> {
    Ok(store::tokens::list(database, user_id)
        .await?
        .into_iter()
        .map(|row| TokenSummary {
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        })
        .collect())
}

/// Revokes one of the user's tokens; another user's token id is simply not found.
pub async fn revoke_token(database: &Database, user_id: i64, token_id: i64) -> Result<(), AppError> {
    if !store::tokens::revoke(database, user_id, token_id, now()).await? {
        return Err(AppError::NotFound);
    }
    audit::record(database, Action::TokenRevoked, Some(Who::Account(user_id)), None, &format!("token {token_id}")).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::postgres::TestDatabase;

    /// What each step of an account's life answers, in words, on `database`.
    async fn an_account_s_life(database: &Database) -> Vec<String> {
        let window = std::time::Duration::from_secs(60);
        let attempts = crate::server::store::attempts::Attempts::for_database(database);
        let limiter = LoginLimiter::new(auth::RateLimiter::new(window, attempts), 10, 50);
        let mut seen = Vec::new();
        let ada =
            sign_up(database, "Ada@Example.com", "correct horse battery", "Europe/Berlin").await.expect("sign up");
        seen.push(format!("signed up: {ada}"));
        let taken = sign_up(database, "ADA@example.COM", "correct horse battery", "UTC").await;
        seen.push(format!("the address again: {:?}", taken.map_err(|e| e.code())));
        let bob = sign_up(database, "bob@example.com", "another good password", "nowhere").await.expect("bob");
        seen.push(format!("bob: {bob}, {:?}", account(database, bob).await.map(|a| a.timezone)));
        for (email, password) in [("ada@example.com", "correct horse battery"), ("ada@example.com", "wrong password")] {
            let outcome = log_in(database, &limiter, email, password, None).await;
            seen.push(format!("log in {email} {password}: {:?}", outcome.map_err(|e| e.code())));
        }
        let (laptop, token) = create_token(database, ada, "laptop").await.expect("token");
        let (desk, _) = create_token(database, ada, "desk").await.expect("token");
        seen.push(format!("tokens {laptop} {desk}"));
        seen.push(format!("token is ada's: {:?}", auth::user_of_token(database, &token).await.expect("check")));
        seen.push(format!("bob revokes it: {:?}", revoke_token(database, bob, laptop).await.map_err(|e| e.code())));
        seen.push(format!("ada revokes it: {:?}", revoke_token(database, ada, laptop).await.map_err(|e| e.code())));
        seen.push(format!("after: {:?}", auth::user_of_token(database, &token).await.expect("check")));
        let listed = list_tokens(database, ada).await.expect("list");
        let listed: Vec<_> = listed.iter().map(|t| (t.id, t.name.clone(), t.revoked_at.is_some())).collect();
        seen.push(format!("ada's tokens: {listed:?}"));
        change_never_count(database, ada, "KeePassXC", true).await.expect("add");
        change_never_count(database, ada, "signal", true).await.expect("add");
        change_never_count(database, ada, "keepassxc", false).await.expect("remove");
        save_profile(database, ada, "  Ada L. ", "Europe/Berlin", 0, "de").await.expect("profile");
        seen.push(format!("ada: {:?}", account(database, ada).await.expect("account")));
        seen
    }

    #[tokio::test]
    async fn accounts_and_tokens_answer_the_same_on_postgres_as_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = Database::Sqlite(crate::server::store::sqlite::open(dir.path()).await.expect("open"));
        let postgres = TestDatabase::create().await;
        let on_sqlite = an_account_s_life(&sqlite).await;
        let on_postgres = an_account_s_life(&Database::Postgres(postgres.pool.clone())).await;
        assert_eq!(on_sqlite, on_postgres);
        // And what they answer is right, not only alike.
        let expected = [
            "signed up: 1",
            "the address again: Err(\"conflict\")",
            "bob: 2, Ok(\"UTC\")",
            "log in ada@example.com correct horse battery: Ok(LoggedIn(1))",
            "log in ada@example.com wrong password: Err(\"unauthorized\")",
            "tokens 1 2",
            "token is ada's: Some((1, 1))",
            "bob revokes it: Err(\"not_found\")",
            "ada revokes it: Ok(())",
            "after: None",
        ];
        assert_eq!(on_sqlite[..expected.len()], expected);
        assert!(on_sqlite[10].contains("(2, \"desk\", false), (1, \"laptop\", true)"), "{}", on_sqlite[10]);
        assert!(
            on_sqlite[11].contains("display_name: \"Ada L.\"") && on_sqlite[11].contains("never_count: [\"signal\"]")
        );
        assert!(on_sqlite[11].contains("keyboard_layout: \"de\""), "{}", on_sqlite[11]);
    }
}
