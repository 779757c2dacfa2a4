//! The user's clock (time zone and day start), as every service that counts days reads it: the
//! one place that turns an account into a [`UserClock`].

use keytrack_wire::Account;

use super::db;
use super::error::AppError;
use crate::domain::time::UserClock;

/// The user's clock, read inside a transaction (so it cannot change while the transaction writes),
/// or through a pool.
pub async fn clock_in<'c>(db: impl Into<db::Db<'c>>, user_id: i64) -> Result<UserClock, AppError> {
    let user = db::users::by_id(db, user_id).await?.ok_or(AppError::NotFound)?;
    clock_of(&super::accounts::account_of(user))
}

/// The user's clock for analytics; a zone the server no longer knows falls back to UTC.
pub fn clock_of(account: &Account) -> Result<UserClock, AppError> {
    clock_from(&account.timezone, account.day_start_hour)
}

/// The clock of a time zone and day start as stored (a zone unknown now falls back to UTC).
pub fn clock_from(timezone: &str, day_start_hour: u8) -> Result<UserClock, AppError> {
    UserClock::new(timezone, day_start_hour)
        .or_else(|_| UserClock::new("UTC", day_start_hour))
        .map_err(AppError::internal)
}
