//! A user's data, gone when they say so: a range of days, one device, or the whole account; and
//! the server's retention of minute records. Day rollups stay exact: deleting a range removes the
//! records counted on those days together with the days' figures, deleting a device sums the
//! remaining records again.

use chrono::NaiveDate;
use keytrack_wire::data::{DeletionReceipt, DeviceSummary, DeviceToday, DeviceToken};

use super::audit::{self, Action, Who};
use super::{accounts, auth, teams};
use crate::domain::time::parse_day;
use crate::server::error::AppError;
use crate::server::now;
use crate::server::store;
use crate::server::store::rollups;
use crate::server::store::{Database, Storage};

fn writable(storage: Storage) -> Result<(), AppError> {
    match storage {
        Storage::Writable => Ok(()),
        Storage::ReadOnly => Err(AppError::StorageUnavailable(
            "The server's database is read-only now, so nothing was deleted. Try again later.",
        )),
    }
}

/// The user's devices, the most recently heard first, each with its counts today.
pub async fn devices(database: &Database, user_id: i64) -> Result<Vec<DeviceSummary>, AppError> {
    let clock = store::users::clock_in(database, user_id).await?;
    let today = clock.today(now());
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(store::data::devices(database, user_id, clock.range(today, today))
        .await?
        .into_iter()
        .map(|d| DeviceSummary {
            id: d.id,
            name: if d.name.is_empty() { d.agent_device_id.clone() } else { d.name },
            agent_id: d.agent_device_id,
            first_seen: d.first_seen,
            last_seen: d.last_seen,
            minutes: count(d.minutes),
            renamed: d.named_by_user,
            platform: d.platform,
            agent_version: d.agent_version,
            capture: d.capture,
            today: DeviceToday {
                keys: count(d.today_keys),
                clicks: count(d.today_clicks),
                active_minutes: count(d.today_minutes),
            },
            token: d.token_id.zip(d.token_name).map(|(id, name)| DeviceToken {
                id,
                name,
                revoked: d.token_revoked.unwrap_or(false),
                shared_with: count(d.token_shared_with),
            }),
        })
        .collect())
}

/// Names one of the user's devices (`NotFound` for a device that is not theirs); the name the
/// agent sends no longer replaces it.
pub async fn rename_device(
    database: &Database,
    storage: Storage,
    user_id: i64,
    device_id: i64,
    name: &str,
) -> Result<(), AppError> {
    writable(storage)?;
    let name = accounts::clean_name(name, 100)
        .ok_or_else(|| AppError::BadRequest("name: 1 to 100 characters, no control characters".into()))?;
    if store::data::rename_device(database, user_id, device_id, name).await? {
        tracing::info!(user_id, device_id, "renamed a device");
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// The days `from..=to` of a deletion: both named, real dates, in order. (No presets: what goes
/// is spelled out.)
pub fn deletion_days(from: Option<&str>, to: Option<&str>) -> Result<(NaiveDate, NaiveDate), AppError> {
    let day = |name: &str, value: Option<&str>| match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => parse_day(name, value).map_err(AppError::BadRequest),
        None => Err(AppError::BadRequest(format!("name the days to delete: {name}=YYYY-MM-DD is missing"))),
    };
    let (from, to) = (day("from", from)?, day("to", to)?);
    if from > to {
        return Err(AppError::BadRequest(format!("from ({from}) lies after to ({to})")));
    }
    Ok((from, to))
}

/// Deletes the user's activity on their days `from..=to` (their time zone and day start): the
/// minute records of those days, the hour blocks that count on them (a block counts on the day of
/// its last hour, so a block that began the evening before goes with the day it ended on), and
/// the days' figures.
pub async fn delete_days(
    database: &Database,
    storage: Storage,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<DeletionReceipt, AppError> {
    writable(storage)?;
    let mut tx = database.begin_write().await?;
    let clock = store::users::clock_in(&mut tx, user_id).await?;
    let (minutes, blocks) = store::data::delete_records_between(&mut tx, user_id, clock.range(from, to), now()).await?;
    let days = store::data::delete_days(&mut tx, user_id, &from.to_string(), &to.to_string()).await?;
    tx.commit().await?;
    tracing::info!(user_id, %from, %to, minutes, blocks, days, "deleted a range of activity");
    audit::record(database, Action::DaysDeleted, Some(Who::Account(user_id)), None, &format!("{from} to {to}")).await?;
    Ok(DeletionReceipt { minutes, blocks, days, tokens_revoked: 0 })
}

/// Removes one of the user's devices (`NotFound` for a device that is not theirs): revokes the API
/// token it last uploaded with, so that it uploads no more, and unless `keep_data`, deletes
/// everything it uploaded and sums the user's days again from what remains. A device removed with
/// its data kept stays listed, its token shown revoked.
pub async fn remove_device(
    database: &Database,
    storage: Storage,
    user_id: i64,
    device_id: i64,
    keep_data: bool,
) -> Result<DeletionReceipt, AppError> {
    writable(storage)?;
    let mut tx = database.begin_write().await?;
    if !store::data::owns_device(&mut tx, user_id, device_id).await? {
        return Err(AppError::NotFound);
    }
    let tokens_revoked = store::data::revoke_device_token(&mut tx, user_id, device_id, now()).await?;
    let receipt = if keep_data {
        DeletionReceipt { tokens_revoked, ..DeletionReceipt::default() }
    } else {
        let clock = store::users::clock_in(&mut tx, user_id).await?;
        let (minutes, blocks) = store::data::delete_device(&mut tx, user_id, device_id).await?;
        let days = rollups::rebuild(&mut tx, user_id, clock).await?;
        DeletionReceipt { minutes, blocks, days: u64::try_from(days).unwrap_or(0), tokens_revoked }
    };
    tx.commit().await?;
    tracing::info!(user_id, device_id, keep_data, ?receipt, "removed a device");
    let detail = format!("device {device_id}, {}", if keep_data { "its data kept" } else { "with its data" });
    audit::record(database, Action::DeviceRemoved, Some(Who::Account(user_id)), None, &detail).await?;
    Ok(receipt)
}

/// Deletes the account and everything the server keeps about it, once its password is confirmed.
/// Refused while the user alone owns a team that has other members (they need an owner).
pub async fn delete_account(
    database: &Database,
    storage: Storage,
    user_id: i64,
    password: &str,
) -> Result<(), AppError> {
    writable(storage)?;
    let refusal = "That is not your password; the account was not deleted.";
    let user = auth::confirm_own_password(database, user_id, password, refusal).await?;
    delete_account_of(database, storage, user_id).await?;
    audit::record(database, Action::AccountDeleted, Some(Who::Email(&user.email)), None, "").await
}

/// Deletes an account and everything the server keeps about it (its owner asked, with their
/// password, or an administrator did): refused while the user alone owns a team that has other
/// members (they need an owner).
pub async fn delete_account_of(database: &Database, storage: Storage, user_id: i64) -> Result<(), AppError> {
    writable(storage)?;
    let mut tx = database.begin_write().await?;
    let blocking = teams::owned_alone_with_others(&mut tx, user_id).await?;
    if !blocking.is_empty() {
        return Err(AppError::Conflict(format!(
            "The account is the only owner of {}: make another member owner, or delete the team, first.",
            blocking.iter().map(|name| format!("\u{201c}{name}\u{201d}")).collect::<Vec<_>>().join(", ")
        )));
    }
    store::data::delete_user(&mut tx, user_id, now()).await?;
    tx.commit().await?;
    tracing::info!(user_id, "deleted an account");
    Ok(())
}

/// Records removed per transaction by retention, so that uploads never wait long behind it.
const RETENTION_CHUNK: i64 = 5_000;

/// What retention removed in one pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retained {
    pub minutes: u64,
    pub blocks: u64,
}

/// Removes every user's minute records older than `days` days (and the hour blocks that ended
/// by then), keeping the day rollups: dashboards show the same figures; what is lost is the
/// ability to sum those days again (see `rollups::rebuild`).
pub async fn apply_retention(database: &Database, days: u32, now: i64) -> Result<Retained, AppError> {
    let cutoff = now - i64::from(days) * 86_400;
    let cutoff = cutoff - cutoff.rem_euclid(3_600);
    let mut removed = Retained::default();
    for user_id in store::data::user_ids(database).await? {
        if !store::data::has_records_before(database, user_id, cutoff).await? {
            continue;
        }
        loop {
            let mut tx = database.begin_write().await?;
            let (minutes, blocks) =
                store::data::delete_records_before(&mut tx, user_id, cutoff, RETENTION_CHUNK, now).await?;
            if minutes + blocks > 0 {
                store::data::set_records_since(&mut tx, user_id, cutoff).await?;
            }
            tx.commit().await?;
            removed.minutes += minutes;
            removed.blocks += blocks;
            if minutes < RETENTION_CHUNK.unsigned_abs() && blocks < RETENTION_CHUNK.unsigned_abs() {
                break;
            }
        }
    }
    Ok(removed)
}

/// Applies retention now and then every hour, for as long as the server runs.
pub async fn keep_retention(database: Database, days: u32) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3_600));
    loop {
        every.tick().await;
        match apply_retention(&database, days, now()).await {
            Ok(removed) if removed.minutes + removed.blocks > 0 => tracing::info!(
                days,
                minutes = removed.minutes,
                blocks = removed.blocks,
                "removed records past the retention period (day figures kept)"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(days, "retention failed this time: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use keytrack_wire::Device;

    use super::*;
    use crate::server::services::ingest::{self, UploadSource};
    use crate::server::store::postgres::TestDatabase;
    use crate::server::store::uploads::Uploads;
    use keytrack_synth::SyntheticPerson;

    const NOW: i64 = 1_764_000_000;
    const PASSWORD: &str = "correct horse battery";

    /// Three days of two computers, uploaded as the agents do.
    async fn upload_history(database: &Database, user: i64) {
        let uploads = Uploads::of(database);
        for (seed, id) in [(7, "laptop"), (8, "desktop")] {
            let device = Device { id: id.into(), name: format!("{id} of Ada") };
            let person = SyntheticPerson::new("Europe/Berlin", 3, NOW, seed).expect("person");
            for batch in keytrack_synth::uploads(&device, person, 120, usize::MAX) {
                ingest::store(&uploads, user, UploadSource::default(), batch, NOW).await.expect("stored");
            }
        }
    }

    /// What the user's dashboard and device list show over the days around the history.
    async fn what_is_shown(database: &Database, user: i64) -> String {
        let today = chrono::DateTime::from_timestamp(NOW, 0).expect("now").date_naive();
        let (from, to) = (today - Duration::days(4), today + Duration::days(1));
        let totals =
            crate::server::services::stats::range_totals(database, user, from, to).await.expect("totals").finish();
        let heatmaps =
            crate::server::services::stats::range_heatmaps(database, user, from, to).await.expect("heatmaps");
        let devices = devices(database, user).await.map_err(|e| e.code()).map(|listed| {
            listed
                .into_iter()
                .map(|d| (d.agent_id, d.name, d.minutes, d.renamed, d.token.is_some()))
                .collect::<Vec<_>>()
        });
        let since = store::data::records_since(database, user).await.expect("records since");
        format!("{devices:?} since {since:?} {totals:?} {heatmaps:?}")
    }

    fn device_id(devices: &[DeviceSummary], agent_id: &str) -> i64 {
        devices.iter().find(|d| d.agent_id == agent_id).expect("the device").id
    }

    /// Each step of deleting a history piece by piece, in words, on `database`.
    async fn a_history_deleted_piece_by_piece(database: &Database) -> Vec<String> {
        let errors = |e: AppError| e.code();
        let writable = Storage::Writable;
        let hash = auth::hash_password(PASSWORD.into()).await.expect("hash");
        let ada = store::users::insert(database, "ada@example.com", &hash, "Ada", "Europe/Berlin", NOW)
            .await
            .expect("insert")
            .expect("new");
        upload_history(database, ada).await;
        let mut seen = vec![what_is_shown(database, ada).await];
        let listed = devices(database, ada).await.expect("devices");
        let (laptop, desktop) = (device_id(&listed, "laptop"), device_id(&listed, "desktop"));
        let renamed = rename_device(database, writable, ada, laptop, "Ada's laptop").await.map_err(errors);
        seen.push(format!("renamed: {renamed:?}"));
        let read_only = rename_device(database, Storage::ReadOnly, ada, laptop, "x").await.map_err(errors);
        seen.push(format!("read-only: {read_only:?}"));
        let not_hers = rename_device(database, writable, ada + 1, laptop, "x").await.map_err(errors);
        seen.push(format!("someone else's: {not_hers:?}"));
        let yesterday = chrono::DateTime::from_timestamp(NOW - 86_400, 0).expect("day").date_naive();
        let receipt = delete_days(database, writable, ada, yesterday, yesterday).await.expect("delete a day");
        seen.push(format!("a day deleted: {receipt:?}"));
        seen.push(what_is_shown(database, ada).await);
        let receipt = remove_device(database, writable, ada, desktop, false).await.expect("remove");
        seen.push(format!("the desktop removed: {receipt:?}"));
        seen.push(what_is_shown(database, ada).await);
        accounts::save_profile(database, ada, "Ada", "America/New_York", 4, "us").await.expect("time zone");
        seen.push(what_is_shown(database, ada).await);
        let removed = apply_retention(database, 1, NOW).await.expect("retention");
        seen.push(format!("retention: {removed:?}"));
        seen.push(what_is_shown(database, ada).await);
        accounts::save_profile(database, ada, "Ada", "Asia/Tokyo", 0, "us").await.expect("time zone");
        seen.push(what_is_shown(database, ada).await);
        seen.push(format!(
            "wrong password: {:?}",
            delete_account(database, writable, ada, "nope").await.map_err(errors)
        ));
        seen.push(format!("deleted: {:?}", delete_account(database, writable, ada, PASSWORD).await.map_err(errors)));
        seen.push(format!("after: {:?}", store::users::by_id(database, ada).await.expect("read").map(|u| u.id)));
        seen.push(what_is_shown(database, ada).await);
        seen
    }

    #[tokio::test]
    async fn deleting_and_retention_answer_the_same_on_postgres_as_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = Database::Sqlite(crate::server::store::sqlite::open(dir.path()).await.expect("open"));
        let postgres = TestDatabase::create().await;
        let on_sqlite = a_history_deleted_piece_by_piece(&sqlite).await;
        let on_postgres = a_history_deleted_piece_by_piece(&Database::Postgres(postgres.pool.clone())).await;
        for (step, (sqlite, postgres)) in on_sqlite.iter().zip(&on_postgres).enumerate() {
            assert_eq!(sqlite, postgres, "step {step}");
        }
        assert_eq!(on_sqlite.len(), on_postgres.len());
        // And each step did what it says.
        assert!(on_sqlite[0].starts_with("Ok([(\"") && on_sqlite[0].contains("\"desktop of Ada\""), "{}", on_sqlite[0]);
        assert_eq!(
            on_sqlite[1..4],
            ["renamed: Ok(())", "read-only: Err(\"storage_unavailable\")", "someone else's: Err(\"not_found\")"]
        );
        assert!(
            on_sqlite[4].starts_with("a day deleted: DeletionReceipt { minutes: ")
                && !on_sqlite[4].contains("minutes: 0,"),
            "{}",
            on_sqlite[4]
        );
        assert_ne!(on_sqlite[5], on_sqlite[0], "the day's figures are gone");
        assert!(
            on_sqlite[7].starts_with("Ok([(\"laptop\", \"Ada's laptop\", ")
                && !on_sqlite[7].split(" since ").next().is_some_and(|devices| devices.contains("desktop")),
            "{}",
            &on_sqlite[7][..200]
        );
        assert_ne!(on_sqlite[8], on_sqlite[7], "the days moved with the time zone");
        assert!(
            on_sqlite[9].starts_with("retention: Retained { minutes: ") && !on_sqlite[9].contains("minutes: 0,"),
            "{}",
            on_sqlite[9]
        );
        assert_eq!(
            on_sqlite[10].split(" since ").nth(1).map(|rest| rest.split(" ").skip(1).collect::<Vec<_>>()),
            on_sqlite[8].split(" since ").nth(1).map(|rest| rest.split(" ").skip(1).collect::<Vec<_>>()),
            "retention keeps the figures shown"
        );
        assert_eq!(on_sqlite[12..15], ["wrong password: Err(\"forbidden\")", "deleted: Ok(())", "after: None"]);
        assert!(on_sqlite[15].starts_with("Err(\"not_found\") since None "), "{}", on_sqlite[15]);
    }
}
