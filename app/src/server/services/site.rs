//! Who may make an account on this server: the sign-up policy (`open`, `invite`, `closed`), the
//! site invites that let someone in when it is `invite`, and the check every sign-up passes. The
//! first account of a server is always made, and is its administrator.

use super::auth::require_admin;
use crate::model::{NewSiteInvite, SiteInvite};
use crate::server::error::AppError;
use crate::server::now;
use crate::server::services::audit::{self, Action, Who};
use crate::server::services::auth::{self, INVITE_PREFIX, new_secret, token_hash};
use crate::server::store::{self, Database};

pub use crate::model::SignUpPolicy;

/// Every site invite code starts with this (team invites: [`INVITE_PREFIX`]).
pub const SITE_INVITE_PREFIX: &str = "kts_";
/// How long a site invite is valid unless its maker says otherwise, and at most.
pub const DEFAULT_INVITE_DAYS: u32 = 7;
pub const MAX_INVITE_DAYS: u32 = 30;

const POLICY_KEY: &str = "signup";

/// The server's sign-up policy. A server that never set one is invite-only.
pub async fn policy(database: &Database) -> Result<SignUpPolicy, AppError> {
    let stored = store::settings::get(database, POLICY_KEY).await?;
    Ok(stored.as_deref().and_then(SignUpPolicy::parse).unwrap_or(SignUpPolicy::Invite))
}

/// Sets the policy; `by` the administrator who did (`None`: the command line, `--signup`).
pub async fn set_policy(database: &Database, by: Option<i64>, policy: SignUpPolicy) -> Result<(), AppError> {
    if let Some(admin) = by {
        require_admin(database, admin).await?;
    }
    if self::policy(database).await? == policy && store::settings::get(database, POLICY_KEY).await?.is_some() {
        return Ok(());
    }
    store::settings::set(database, POLICY_KEY, policy.key()).await?;
    audit::record(database, Action::SignUpPolicyChanged, by.map(Who::Account), None, policy.key()).await
}

/// A new site invite, made by an administrator: its code is shown once (stored as a hash).
pub async fn create_invite(
    database: &Database,
    admin: i64,
    email: Option<&str>,
    valid_days: u32,
) -> Result<NewSiteInvite, AppError> {
    require_admin(database, admin).await?;
    if !(1..=MAX_INVITE_DAYS).contains(&valid_days) {
        return Err(AppError::BadRequest(format!("An invite is valid for 1 to {MAX_INVITE_DAYS} days.")));
    }
    let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(email) => Some(auth::normalize_email(email)?),
        None => None,
    };
    let (code, hash) = new_secret(SITE_INVITE_PREFIX);
    let now = now();
    let expires_at = now + i64::from(valid_days) * 86_400;
    store::site_invites::insert(database, &hash, email.as_deref(), admin, now, expires_at).await?;
    audit::record(database, Action::SiteInviteCreated, Some(Who::Account(admin)), None, email.as_deref().unwrap_or(""))
        .await?;
    Ok(NewSiteInvite { code, email, expires_at })
}

/// Every site invite, the newest first, with who made and who used it.
pub async fn invites(database: &Database, admin: i64) -> Result<Vec<SiteInvite>, AppError> {
    require_admin(database, admin).await?;
    let now = now();
    Ok(store::site_invites::list(database)
        .await?
        .into_iter()
        .map(|row| SiteInvite {
            id: row.id,
            status: if row.revoked_at.is_some() {
                "revoked"
            } else if row.used_at.is_some() {
                "used"
            } else if row.expires_at <= now {
                "expired"
            } else {
                "open"
            }
            .into(),
            email: row.email,
            created_by: row.created_by.unwrap_or_default(),
            created_at: row.created_at,
            expires_at: row.expires_at,
            used_by: row.used_by,
        })
        .collect())
}

pub async fn revoke_invite(database: &Database, admin: i64, invite_id: i64) -> Result<(), AppError> {
    require_admin(database, admin).await?;
    if !store::site_invites::revoke(database, invite_id, now()).await? {
        return Err(AppError::NotFound);
    }
    audit::record(database, Action::SiteInviteRevoked, Some(Who::Account(admin)), None, "").await
}

/// Why a sign-up may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUpPass {
    /// The server has no account yet: this one is its administrator.
    First,
    Open,
    /// A live site invite (its id, used up when the account is made).
    SiteInvite(i64),
    /// A live team invite: the person joins that team next.
    TeamInvite,
}

impl SignUpPass {
    /// For the audit log.
    pub fn describe(self) -> &'static str {
        match self {
            SignUpPass::First => "the server's first account",
            SignUpPass::Open => "open sign-up",
            SignUpPass::SiteInvite(_) => "a site invite",
            SignUpPass::TeamInvite => "a team invite",
        }
    }
}

const CLOSED: &str = "Sign-up is closed on this server: ask its administrator to add you.";
const BY_INVITE: &str =
    "This server makes accounts by invitation: open the invite link you were sent, or ask its administrator for one.";

/// Whether `email` (normalised) may make an account now, with `invite` (a site or team invite
/// code from the link that brought them, if any).
pub async fn may_sign_up(database: &Database, email: &str, invite: Option<&str>) -> Result<SignUpPass, AppError> {
    if store::users::count(database).await? == 0 {
        return Ok(SignUpPass::First);
    }
    let invite = invite.map(str::trim).filter(|code| !code.is_empty());
    let policy = policy(database).await?;
    if policy == SignUpPolicy::Closed {
        return Err(AppError::Forbidden(CLOSED.into()));
    }
    let now = now();
    match invite {
        Some(code) if code.starts_with(SITE_INVITE_PREFIX) => {
            let row = store::site_invites::by_hash(database, &token_hash(code)).await?;
            match row {
                Some(row) if row.used_at.is_some() => {
                    Err(AppError::Forbidden("This invite was used already: ask for a new one.".into()))
                }
                Some(row) if row.revoked_at.is_some() || row.expires_at <= now => {
                    Err(AppError::Forbidden("This invite has expired or was withdrawn: ask for a new one.".into()))
                }
                Some(row) if row.email.as_deref().is_some_and(|bound| !bound.eq_ignore_ascii_case(email)) => {
                    Err(AppError::Forbidden("This invite is for another email address.".into()))
                }
                Some(row) => Ok(SignUpPass::SiteInvite(row.id)),
                None if policy == SignUpPolicy::Open => Ok(SignUpPass::Open),
                None => Err(AppError::Forbidden("This invite link is not valid.".into())),
            }
        }
        Some(code) if code.starts_with(INVITE_PREFIX) && policy == SignUpPolicy::Invite => {
            let live = store::teams::invite_by_hash(database, &token_hash(code)).await?.is_some_and(|row| {
                row.revoked_at.is_none() && row.expires_at > now && row.max_uses.is_none_or(|max| row.uses < max)
            });
            if live { Ok(SignUpPass::TeamInvite) } else { Err(AppError::Forbidden(BY_INVITE.into())) }
        }
        _ if policy == SignUpPolicy::Open => Ok(SignUpPass::Open),
        _ => Err(AppError::Forbidden(BY_INVITE.into())),
    }
}
