//! What the server functions hand the pages and what the server's services produce for them:
//! plain data, below both `api` and `server` (the JSON API's types are in `keytrack_wire`).

use keytrack_wire::TeamRole;
use serde::{Deserialize, Serialize};

pub use crate::domain::team::InviteStatus;

/// A token as the tokens page lists it; the token itself was shown once and is not stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Activity in one minute, all devices together (the live dashboard's last hour).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinuteTotals {
    /// `HH:MM` in the user's time zone.
    pub label: String,
    pub keys: u64,
    pub clicks: u64,
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewToken {
    pub id: i64,
    pub name: String,
    pub token: String,
}

/// A member as the team page lists them (every member sees names and roles, no figures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamMember {
    pub user_id: i64,
    pub name: String,
    pub role: TeamRole,
    pub joined_at: i64,
}

/// An invite as its team's managers see it; the code itself was shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteSummary {
    pub id: i64,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// `None`: any number of people may join with it.
    pub max_uses: Option<u32>,
    pub uses: u32,
    pub status: InviteStatus,
}

/// The team page: who is in it, the asking user's role and consent, and (for managers) invites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamDetails {
    pub id: i64,
    pub name: String,
    pub my_user_id: i64,
    pub my_role: TeamRole,
    pub shares_figures: bool,
    pub members: Vec<TeamMember>,
    pub invites: Vec<InviteSummary>,
}

/// An invite just made: the only time its code is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewInvite {
    pub code: String,
    pub expires_at: i64,
    pub single_use: bool,
}

/// What an invite leads to, shown before joining.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub team_name: String,
    pub members: u32,
    pub invited_by: String,
    pub expires_at: i64,
    /// Set when the asking user is in the team already.
    pub team_id: Option<i64>,
}

/// The dashboard's click and movement heatmaps over its range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointerMaps {
    pub screens: Vec<keytrack_wire::ScreenHeatmap>,
    /// The computers heard from in the range that know no pointer positions (their agent reads the
    /// kernel's input devices, as on Wayland): their clicks count in the figures, not on the maps.
    pub without_positions: Vec<String>,
}

/// An agent's pairing request as the person asked to approve it sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairingPreview {
    /// `XXXX-XXXX`.
    pub user_code: String,
    pub device_name: String,
    pub platform: String,
    pub agent_version: String,
    /// When the agent asked and when the code expires, Unix seconds.
    pub created_at: i64,
    pub expires_at: i64,
}

/// One platform's agent on "Add a computer": where to download it, and the file when this server
/// was built with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentDownload {
    /// `linux-x86_64`, `windows-x86_64`.
    pub platform: String,
    /// `Linux`, `Windows`: which of the page's buttons offers it.
    pub system: String,
    pub label: String,
    pub file_name: String,
    /// The path on this server (`/downloads/linux-x86_64/keytrack-agent`).
    pub url: String,
    /// The agent's version: the server's own, as they are built together.
    pub version: String,
    /// What builds it where the server finds it, for a server built without it.
    pub build_command: String,
    pub file: Option<AgentFile>,
}

/// An agent binary this server offers: its size and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentFile {
    pub bytes: u64,
    pub sha256: String,
}

/// Who may make an account on the server (set by an administrator, or `--signup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SignUpPolicy {
    /// Anyone who reaches the server.
    Open,
    /// Only someone with a site invite or a team invite link (the default of a new server).
    Invite,
    /// Nobody: administrators add people.
    Closed,
}

impl SignUpPolicy {
    pub const ALL: [SignUpPolicy; 3] = [SignUpPolicy::Open, SignUpPolicy::Invite, SignUpPolicy::Closed];

    pub fn key(self) -> &'static str {
        match self {
            SignUpPolicy::Open => "open",
            SignUpPolicy::Invite => "invite",
            SignUpPolicy::Closed => "closed",
        }
    }

    pub fn parse(key: &str) -> Option<SignUpPolicy> {
        SignUpPolicy::ALL.into_iter().find(|policy| policy.key() == key.trim())
    }

    /// In words, for the administration page.
    pub fn describe(self) -> &'static str {
        match self {
            SignUpPolicy::Open => "Open: anyone who reaches the server can make an account.",
            SignUpPolicy::Invite => "By invite: only someone with a site invite or a team invite link.",
            SignUpPolicy::Closed => "Closed: administrators add people.",
        }
    }
}

/// A site invite just made: its code (in the link) is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewSiteInvite {
    pub code: String,
    /// The one address that may use it, if bound to one.
    pub email: Option<String>,
    pub expires_at: i64,
}

/// A site invite as the administration page lists it (never its code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SiteInvite {
    pub id: i64,
    /// `open`, `used`, `expired` or `revoked`.
    pub status: String,
    pub email: Option<String>,
    /// Who made it (their email; empty when their account is gone).
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Who made an account with it.
    pub used_by: Option<String>,
}

/// One person on the server, as administrators see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    /// Their devices' last upload.
    pub last_upload: Option<i64>,
    pub devices: u64,
    /// Bytes their minute records, hour blocks and day rollups take.
    pub stored_bytes: u64,
    pub admin: bool,
    pub disabled: bool,
    pub must_change_password: bool,
    /// Two-factor sign-in is on for the account.
    #[serde(default)]
    pub two_factor: bool,
}

/// A page of the people on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PeoplePage {
    pub people: Vec<Person>,
    /// People matching the search in all, and the page shown (from 1) of how many.
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

/// An event of the audit log, as the pages and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    /// E.g. `login_failed` (`GET /api/v1/admin/audit?action=` takes these).
    pub action: String,
    /// The action in words.
    pub label: String,
    /// Who did it (an email; empty for the server itself) and to whom.
    pub actor: String,
    pub target: String,
    pub detail: String,
    /// The client's address, or `command line`.
    pub address: String,
}

/// An account's two-factor sign-in as its profile shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    pub on: bool,
    pub recovery_codes_left: u32,
    /// The server requires it of every password account (it can be reset, not turned off).
    pub required: bool,
}

/// A new two-factor secret being set up, shown once: the QR code of its `otpauth://` address for
/// an authenticator app, and the secret (base32) to type into an app that cannot scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    pub secret: String,
    pub address: String,
    /// An SVG drawing of the QR code, made by the server (no script or link in it).
    pub qr_svg: String,
}

/// A one-time password reset link an administrator hands over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ResetLink {
    /// The path on this server (`/reset?token=...`).
    pub path: String,
    pub expires_at: i64,
}

/// What an event of the audit log says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Login,
    LoginFailed,
    SignUp,
    SiteInviteCreated,
    SiteInviteRevoked,
    PasswordChanged,
    PasswordResetRequested,
    PasswordReset,
    ResetLinkCreated,
    TokenCreated,
    TokenRevoked,
    PairingApproved,
    PairingDenied,
    DeviceRemoved,
    DaysDeleted,
    AccountDeleted,
    TeamRoleChanged,
    TeamMemberRemoved,
    AdminGranted,
    AdminRevoked,
    AccountDisabled,
    AccountEnabled,
    MustChangePassword,
    SignUpPolicyChanged,
    TwoFactorOn,
    TwoFactorOff,
    TwoFactorReset,
    RecoveryCodesRenewed,
    RecoveryCodeUsed,
    TwoFactorFailed,
    TwoFactorRequired,
    SsoLinked,
    SsoRefused,
}

impl AuditAction {
    pub const ALL: [AuditAction; 33] = [
        AuditAction::Login,
        AuditAction::LoginFailed,
        AuditAction::SignUp,
        AuditAction::SiteInviteCreated,
        AuditAction::SiteInviteRevoked,
        AuditAction::PasswordChanged,
        AuditAction::PasswordResetRequested,
        AuditAction::PasswordReset,
        AuditAction::ResetLinkCreated,
        AuditAction::TokenCreated,
        AuditAction::TokenRevoked,
        AuditAction::PairingApproved,
        AuditAction::PairingDenied,
        AuditAction::DeviceRemoved,
        AuditAction::DaysDeleted,
        AuditAction::AccountDeleted,
        AuditAction::TeamRoleChanged,
        AuditAction::TeamMemberRemoved,
        AuditAction::AdminGranted,
        AuditAction::AdminRevoked,
        AuditAction::AccountDisabled,
        AuditAction::AccountEnabled,
        AuditAction::MustChangePassword,
        AuditAction::SignUpPolicyChanged,
        AuditAction::TwoFactorOn,
        AuditAction::TwoFactorOff,
        AuditAction::TwoFactorReset,
        AuditAction::RecoveryCodesRenewed,
        AuditAction::RecoveryCodeUsed,
        AuditAction::TwoFactorFailed,
        AuditAction::TwoFactorRequired,
        AuditAction::SsoLinked,
        AuditAction::SsoRefused,
    ];

    /// As stored and as the API and CSV name it.
    pub fn key(self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::SignUp => "sign_up",
            AuditAction::SiteInviteCreated => "site_invite_created",
            AuditAction::SiteInviteRevoked => "site_invite_revoked",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::PasswordResetRequested => "password_reset_requested",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::ResetLinkCreated => "reset_link_created",
            AuditAction::TokenCreated => "token_created",
            AuditAction::TokenRevoked => "token_revoked",
            AuditAction::PairingApproved => "pairing_approved",
            AuditAction::PairingDenied => "pairing_denied",
            AuditAction::DeviceRemoved => "device_removed",
            AuditAction::DaysDeleted => "days_deleted",
            AuditAction::AccountDeleted => "account_deleted",
            AuditAction::TeamRoleChanged => "team_role_changed",
            AuditAction::TeamMemberRemoved => "team_member_removed",
            AuditAction::AdminGranted => "admin_granted",
            AuditAction::AdminRevoked => "admin_revoked",
            AuditAction::AccountDisabled => "account_disabled",
            AuditAction::AccountEnabled => "account_enabled",
            AuditAction::MustChangePassword => "must_change_password",
            AuditAction::SignUpPolicyChanged => "sign_up_policy_changed",
            AuditAction::TwoFactorOn => "two_factor_on",
            AuditAction::TwoFactorOff => "two_factor_off",
            AuditAction::TwoFactorReset => "two_factor_reset",
            AuditAction::RecoveryCodesRenewed => "recovery_codes_renewed",
            AuditAction::RecoveryCodeUsed => "recovery_code_used",
            AuditAction::TwoFactorFailed => "two_factor_failed",
            AuditAction::TwoFactorRequired => "two_factor_required",
            AuditAction::SsoLinked => "sso_linked",
            AuditAction::SsoRefused => "sso_refused",
        }
    }

    /// In words, for the pages.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::Login => "Logged in",
            AuditAction::LoginFailed => "Failed login",
            AuditAction::SignUp => "Signed up",
            AuditAction::SiteInviteCreated => "Invite created",
            AuditAction::SiteInviteRevoked => "Invite revoked",
            AuditAction::PasswordChanged => "Password changed",
            AuditAction::PasswordResetRequested => "Password reset asked for",
            AuditAction::PasswordReset => "Password reset",
            AuditAction::ResetLinkCreated => "Reset link made",
            AuditAction::TokenCreated => "API token created",
            AuditAction::TokenRevoked => "API token revoked",
            AuditAction::PairingApproved => "Computer paired",
            AuditAction::PairingDenied => "Pairing denied",
            AuditAction::DeviceRemoved => "Device removed",
            AuditAction::DaysDeleted => "Days deleted",
            AuditAction::AccountDeleted => "Account deleted",
            AuditAction::TeamRoleChanged => "Team role changed",
            AuditAction::TeamMemberRemoved => "Removed from a team",
            AuditAction::AdminGranted => "Made administrator",
            AuditAction::AdminRevoked => "No longer administrator",
            AuditAction::AccountDisabled => "Account disabled",
            AuditAction::AccountEnabled => "Account enabled",
            AuditAction::MustChangePassword => "Must change password",
            AuditAction::SignUpPolicyChanged => "Sign-up policy changed",
            AuditAction::TwoFactorOn => "Two-factor sign-in turned on",
            AuditAction::TwoFactorOff => "Two-factor sign-in turned off",
            AuditAction::TwoFactorReset => "Two-factor sign-in reset",
            AuditAction::RecoveryCodesRenewed => "New recovery codes",
            AuditAction::RecoveryCodeUsed => "Recovery code used",
            AuditAction::TwoFactorFailed => "Wrong sign-in code",
            AuditAction::TwoFactorRequired => "Two-factor sign-in required",
            AuditAction::SsoLinked => "Linked to single sign-on",
            AuditAction::SsoRefused => "Single sign-on refused",
        }
    }

    pub fn parse(key: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|action| action.key() == key)
    }
}

/// Where the "Sign in with NAME" button of the login and sign-up pages leads
/// (`server::services::sso`).
pub const SSO_START_PATH: &str = "/auth/sso/start";
