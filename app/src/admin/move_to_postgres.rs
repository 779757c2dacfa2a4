//! `keytrack migrate-to-postgres`: a SQLite installation moved into an empty PostgreSQL database,
//! then checked: every table holds as many rows on both, and every person's statistics and
//! heatmaps over all their days are the same read from either. Sessions are not carried over
//! (people log in again).

use sqlx::{PgPool, SqlitePool};

use crate::server::error::AppError;
use crate::server::services::stats::{range_heatmaps, range_totals};
use crate::server::store::postgres::copy;
use crate::server::store::sqlite::upgrade::build_missing;

/// What was moved and checked.
#[derive(Debug)]
pub struct Moved {
    /// Rows copied, by table, in copy order.
    pub tables: Vec<(&'static str, u64)>,
    /// People whose statistics were compared, and the days compared in all.
    pub people_checked: usize,
    pub days_checked: i64,
}

pub async fn move_to_postgres(sqlite: &SqlitePool, pg: &PgPool) -> Result<Moved, AppError> {
    if !copy::is_empty(pg).await? {
        return Err(AppError::Conflict(
            "the PostgreSQL database holds accounts already: moving needs an empty one".into(),
        ));
    }
    // Data from before the current layout (minute rows, missing rollups) is brought up to date
    // first, as `keytrack serve` would at its start, so that what is copied is what is served.
    build_missing(sqlite).await?;
    let tables = copy::copy_all(sqlite, pg).await?;
    for (table, on_sqlite, on_postgres) in copy::row_counts(sqlite, pg).await? {
        if on_sqlite != on_postgres {
            return Err(AppError::internal(format!(
                "{table}: {on_sqlite} rows on SQLite but {on_postgres} on PostgreSQL after the copy"
            )));
        }
    }
    let (mut people_checked, mut days_checked) = (0, 0);
    for (user_id, first, last) in copy::users_and_days(sqlite).await? {
        let day = |text: &str| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|e| AppError::internal(format!("user {user_id}: the stored day {text:?}: {e}")))
        };
        let (from, to) = (day(&first)?, day(&last)?);
        let stats = range_totals(sqlite, user_id, from, to).await?.finish();
        let copied = range_totals(pg, user_id, from, to).await?.finish();
        let heatmaps = range_heatmaps(sqlite, user_id, from, to).await?;
        let copied_heatmaps = range_heatmaps(pg, user_id, from, to).await?;
        if copied != stats || copied_heatmaps != heatmaps {
            return Err(AppError::internal(format!(
                "user {user_id}: the statistics of {first} to {last} differ between SQLite and PostgreSQL after the copy"
            )));
        }
        people_checked += 1;
        days_checked += (to - from).num_days() + 1;
    }
    Ok(Moved { tables, people_checked, days_checked })
}

#[cfg(test)]
mod tests {
    use keytrack_wire::Device;

    use super::*;
    use crate::model::SignUpPolicy;
    use crate::server::services::ingest::{self, UploadSource};
    use crate::server::services::{accounts, passwords, site, teams, two_factor};
    use crate::server::store::postgres::TestDatabase;
    use crate::server::store::uploads::Uploads;
    use crate::server::store::{self, Database};
    use keytrack_synth::{SyntheticPerson, uploads};

    /// 2026-11-20 18:00 UTC.
    const NOW: i64 = 1_795_197_600;

    #[tokio::test]
    async fn an_installation_moves_whole_and_checked_and_only_into_an_empty_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = store::sqlite::open(dir.path()).await.expect("open");
        let ada =
            store::users::insert(&sqlite, "ada@example.com", "hash", "Ada", "Europe/Berlin", NOW).await.expect("ada");
        let bob = store::users::insert(&sqlite, "Bob@Example.com", "hash", "", "UTC", NOW).await.expect("bob");
        let (ada, bob) = (ada.expect("new"), bob.expect("new"));
        let database = Database::Sqlite(sqlite.clone());
        accounts::create_token(&database, ada, "laptop").await.expect("token");
        let writer = Uploads::of(&database);
        for (user, seed) in [(ada, 7), (bob, 8)] {
            let device = Device { id: "laptop".into(), name: "Laptop".into() };
            let days = SyntheticPerson::new("Europe/Berlin", 3, NOW, seed).expect("person");
            for batch in uploads(&device, days, 240, usize::MAX) {
                ingest::store(&writer, user, UploadSource::default(), batch, NOW).await.expect("upload");
            }
        }
        let team = teams::create(&database, ada, "Writers").await.expect("team");
        let invite = teams::create_invite(&database, team, ada, 7, false).await.expect("invite");
        teams::join(&database, bob, &invite.code, true).await.expect("join");
        // A pairing approved, and an account deleted (its id is never given again).
        sqlx::query(
            "INSERT INTO pairing_requests (device_code_hash, user_code, device_name, platform, agent_version,
                 created_at, expires_at, user_id, approved, decided_at)
             VALUES (x'0102', 'ABCD-EFGH', 'Desk', 'linux x86_64', '0.1.0', ?1, ?1 + 600, ?2, 1, ?1)",
        )
        .bind(NOW)
        .bind(ada)
        .execute(&sqlite)
        .await
        .expect("pairing");
        sqlx::query("INSERT INTO deleted_accounts (id, deleted_at) VALUES (50, ?)")
            .bind(NOW)
            .execute(&sqlite)
            .await
            .expect("deleted");
        // The administration's tables: a policy, a site invite, a reset link, and the audit log
        // the steps above wrote.
        site::set_policy(&database, Some(ada), SignUpPolicy::Invite).await.expect("policy");
        site::create_invite(&database, ada, Some("carol@example.com"), 7).await.expect("site invite");
        passwords::reset_link(&database, Some(ada), bob).await.expect("reset link");
        // Ada's second factor and recovery codes (confirmed with her app's code of now).
        let setup = two_factor::begin_setup(&database, ada).await.expect("two-factor setup");
        let secret = totp_rs::Secret::Encoded(setup.secret).to_bytes().expect("base32");
        let app = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, 30, secret, None, String::new());
        two_factor::confirm_setup(&database, ada, &app.generate_current().expect("clock")).await.expect("on");
        // Bob's single sign-on identity.
        let linked = crate::server::store::sso::link(&database, bob, "https://id.example.com", "sub-bob", "b@x.org", 1);
        assert!(linked.await.expect("link"), "bob is linked");

        let database = TestDatabase::create().await;
        let moved = move_to_postgres(&sqlite, &database.pool).await.expect("moved");
        for (table, rows) in &moved.tables {
            assert!(*rows > 0, "{table} had rows to move");
        }
        assert_eq!((moved.people_checked, moved.days_checked), (2, 6), "both people's days were compared");
        let shares: bool = sqlx::query_scalar("SELECT shares_figures FROM team_members WHERE user_id = $1")
            .bind(bob)
            .fetch_one(&database.pool)
            .await
            .expect("member");
        assert!(shares, "a flag arrives as a flag");
        let approved: Option<bool> = sqlx::query_scalar("SELECT approved FROM pairing_requests")
            .fetch_one(&database.pool)
            .await
            .expect("pairing");
        assert_eq!(approved, Some(true));

        // New rows on PostgreSQL take ids past the moved ones (and past deleted accounts').
        let carol = crate::server::store::users::insert(&database.pool, "carol@example.com", "hash", "", "UTC", NOW)
            .await
            .expect("carol");
        assert_eq!(carol, Some(51));
        let taken = crate::server::store::users::insert(&database.pool, "BOB@example.com", "hash", "", "UTC", NOW)
            .await
            .expect("bob again");
        assert_eq!(taken, None, "an address is taken whatever its case");

        let again = move_to_postgres(&sqlite, &database.pool).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "not into a database with accounts: {again:?}");
    }
}
