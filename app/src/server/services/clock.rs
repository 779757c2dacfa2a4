//! The user's clock (time zone and day start) as every service that counts days reads it, from
//! their account (`store::users::clock_in` reads it inside a transaction).

use keytrack_wire::Account;

use crate::domain::time::UserClock;
use crate::server::error::AppError;

/// The user's clock for analytics; a zone the server no longer knows falls back to UTC.
pub fn clock_of(account: &Account) -> Result<UserClock, AppError> {
    UserClock::of_account(account).map_err(AppError::internal)
}
