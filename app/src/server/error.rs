//! The one error type of the server, shared by its three wings. Each variant says its HTTP
//! status; every error reaches a client as `{"code", "message"}` (`web::error`), and internal
//! details are logged, never sent. The database's errors become these in `store::error`.

use http::StatusCode;
use keytrack_wire::{InvalidActivity, limits};

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// 400: the body is not JSON at all.
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    /// 408: the body did not arrive in time (see `listen::ConnectionLimits`).
    #[error("the body did not arrive in time; send it again")]
    RequestTimeout,
    /// 413: the body is over [`limits::MAX_BODY_BYTES`].
    #[error("the body is larger than the limit of {} bytes", limits::MAX_BODY_BYTES)]
    PayloadTooLarge,
    /// 422: JSON of the wrong shape or an upload that breaks a rule (wrong types, impossible counts...).
    #[error("{0}")]
    InvalidActivity(String),
    /// 400: a query parameter or form field is wrong.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no credentials, or an unknown or revoked token, or wrong login details.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: the user may see this but not do that (a plain member managing a team).
    #[error("{0}")]
    Forbidden(String),
    /// 403: the account is disabled by an administrator: its tokens, pairing and uploads are
    /// refused (an agent keeps what it has until the account is enabled again).
    #[error("this account is disabled; ask the server's administrator")]
    AccountDisabled,
    /// 403: a request that would change something, from another site (see `protect`).
    #[error("{0}")]
    CrossSite(String),
    /// 415: a JSON route got a body declared as something else.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 404: nothing there, or nothing there for this user.
    #[error("not found")]
    NotFound,
    /// 409: the thing exists already (an email that is taken).
    #[error("{0}")]
    Conflict(String),
    /// 429: too many failed logins; the number is the minutes to wait.
    #[error("too many failed attempts; try again in {0} minutes")]
    RateLimited(u64),
    /// 429: the user has this many live streams open already.
    #[error("too many live views open at once (at most {0}); close some tabs")]
    TooManyStreams(usize),
    /// 503: the database cannot take writes now (its disk is full, its data dir is read-only):
    /// nothing was stored, and sending again later will work. Logged as a warning for the admin.
    #[error("{0}")]
    StorageUnavailable(&'static str),
    /// 500: logged with its cause, sent as a plain "internal error".
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::InvalidJson(_) | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::InvalidActivity(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::CrossSite(_) | AppError::AccountDisabled => StatusCode::FORBIDDEN,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited(_) | AppError::TooManyStreams(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::StorageUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::InvalidJson(_) => "invalid_json",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::RequestTimeout => "request_timeout",
            AppError::InvalidActivity(_) => "invalid_activity",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::AccountDisabled => "account_disabled",
            AppError::CrossSite(_) => "cross_site",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::RateLimited(_) => "rate_limited",
            AppError::TooManyStreams(_) => "too_many_streams",
            AppError::StorageUnavailable(_) => "storage_unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// What the client is told: everything but the cause of an internal error.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "something went wrong on the server; it has been logged".into(),
            other => other.to_string(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        AppError::Internal(cause.to_string())
    }
}

impl From<InvalidActivity> for AppError {
    fn from(e: InvalidActivity) -> Self {
        AppError::InvalidActivity(e.to_string())
    }
}

/// What a write to a server whose database is read-only is told.
pub const READ_ONLY: &str = "The server's database is read-only, so nothing was stored. Send it again later (the agent keeps it until the server accepts it).";
