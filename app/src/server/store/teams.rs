//! Teams, their members and invites, and the team sums of the members' day rollups.

use chrono::NaiveDate;

use super::engine::{Database, Db, on_engine};
use super::sqlite::reader::Reader;
use crate::server::error::AppError;

/// How a member is named to the team: their display name, else their email.
macro_rules! member_name {
    () => {
        "CASE WHEN u.display_name <> '' THEN u.display_name ELSE u.email END"
    };
}

pub async fn insert<'c>(db: impl Into<Db<'c>>, name: &str, now: i64) -> Result<i64, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar("INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(now)
            .fetch_one(e)
            .await
    })
}

/// Holds the team still until the transaction ends: changes that read the team before they
/// write it (the last owner leaving, an invite's last use) then see every change before theirs.
/// SQLite's write transactions hold the whole database already.
pub async fn lock<'c>(db: impl Into<Db<'c>>, team_id: i64) -> Result<(), sqlx::Error> {
    match db.into() {
        Db::Postgres(conn) => {
            sqlx::query("SELECT 1 FROM teams WHERE id = $1 FOR UPDATE").bind(team_id).execute(conn).await?;
        }
        Db::PostgresPool(_) | Db::SqlitePool(_) | Db::Sqlite(_) => {}
    }
    Ok(())
}

pub async fn delete<'c>(db: impl Into<Db<'c>>, team_id: i64) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("DELETE FROM teams WHERE id = $1").bind(team_id).execute(e).await.map(|_| ())
    })
}

/// Deletes the teams of this name that the user owns (the demo's team, before it is made again).
pub async fn delete_owned_named<'c>(db: impl Into<Db<'c>>, user_id: i64, name: &str) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "DELETE FROM teams WHERE name = $1
             AND id IN (SELECT team_id FROM team_members WHERE user_id = $2 AND role = 'owner')",
        )
        .bind(name)
        .bind(user_id)
        .execute(e)
        .await
        .map(|_| ())
    })
}

pub async fn name<'c>(db: impl Into<Db<'c>>, team_id: i64) -> Result<Option<String>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar("SELECT name FROM teams WHERE id = $1").bind(team_id).fetch_optional(e).await
    })
}

/// Adds a member; false when they are in the team already.
pub async fn add_member<'c>(
    db: impl Into<Db<'c>>,
    team_id: i64,
    user_id: i64,
    role: &str,
    shares_figures: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let added = on_engine!(db.into(), |e| {
        sqlx::query(
            "INSERT INTO team_members (team_id, user_id, role, shares_figures, joined_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (team_id, user_id) DO NOTHING",
        )
        .bind(team_id)
        .bind(user_id)
        .bind(role)
        .bind(shares_figures)
        .bind(now)
        .execute(e)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(added == 1)
}

/// A member of a team as the team pages list them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: i64,
    pub name: String,
    pub role: String,
    pub shares_figures: bool,
    pub joined_at: i64,
}

/// The user's membership of the team: (role, shares figures), or `None` outside it.
pub async fn membership<'c>(
    db: impl Into<Db<'c>>,
    team_id: i64,
    user_id: i64,
) -> Result<Option<(String, bool)>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as("SELECT role, shares_figures FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team_id)
            .bind(user_id)
            .fetch_optional(e)
            .await
    })
}

/// The team's members, owners first, then by name (without case; PostgreSQL's `lower` for
/// SQLite's NOCASE, which folds ASCII letters only: names are compared alike for ASCII).
pub async fn members<'c>(db: impl Into<Db<'c>>, team_id: i64) -> Result<Vec<MemberRow>, sqlx::Error> {
    let db = db.into();
    let sql = db.pick(
        concat!(
            "SELECT m.user_id, ",
            member_name!(),
            " AS name, m.role, m.shares_figures, m.joined_at
             FROM team_members m JOIN users u ON u.id = m.user_id
             WHERE m.team_id = $1
             ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, name COLLATE NOCASE, m.user_id"
        ),
        concat!(
            "SELECT m.user_id, ",
            member_name!(),
            " AS name, m.role, m.shares_figures, m.joined_at
             FROM team_members m JOIN users u ON u.id = m.user_id
             WHERE m.team_id = $1
             ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, lower(",
            member_name!(),
            ") COLLATE \"C\", m.user_id"
        ),
    );
    on_engine!(db, |e| sqlx::query_as(sql).bind(team_id).fetch_all(e).await)
}

/// A team in the list of a user's teams.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamOfUser {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub shares_figures: bool,
    pub members: i64,
}

pub async fn of_user<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<Vec<TeamOfUser>, sqlx::Error> {
    let db = db.into();
    let sql = db.pick(
        "SELECT t.id, t.name, m.role, m.shares_figures,
                (SELECT count(*) FROM team_members o WHERE o.team_id = t.id) AS members
         FROM team_members m JOIN teams t ON t.id = m.team_id
         WHERE m.user_id = $1 ORDER BY t.name COLLATE NOCASE, t.id",
        "SELECT t.id, t.name, m.role, m.shares_figures,
                (SELECT count(*) FROM team_members o WHERE o.team_id = t.id) AS members
         FROM team_members m JOIN teams t ON t.id = m.team_id
         WHERE m.user_id = $1 ORDER BY lower(t.name) COLLATE \"C\", t.id",
    );
    on_engine!(db, |e| sqlx::query_as(sql).bind(user_id).fetch_all(e).await)
}

pub async fn owners<'c>(db: impl Into<Db<'c>>, team_id: i64) -> Result<i64, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar("SELECT count(*) FROM team_members WHERE team_id = $1 AND role = 'owner'")
            .bind(team_id)
            .fetch_one(e)
            .await
    })
}

pub async fn set_role<'c>(db: impl Into<Db<'c>>, team_id: i64, user_id: i64, role: &str) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE team_members SET role = $1 WHERE team_id = $2 AND user_id = $3")
            .bind(role)
            .bind(team_id)
            .bind(user_id)
            .execute(e)
            .await
            .map(|_| ())
    })
}

pub async fn set_sharing<'c>(
    db: impl Into<Db<'c>>,
    team_id: i64,
    user_id: i64,
    shares_figures: bool,
) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE team_members SET shares_figures = $1 WHERE team_id = $2 AND user_id = $3")
            .bind(shares_figures)
            .bind(team_id)
            .bind(user_id)
            .execute(e)
            .await
            .map(|_| ())
    })
}

pub async fn remove_member<'c>(db: impl Into<Db<'c>>, team_id: i64, user_id: i64) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team_id)
            .bind(user_id)
            .execute(e)
            .await
            .map(|_| ())
    })
}

/// An invite as stored (its code only as a hash).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InviteRow {
    pub id: i64,
    pub team_id: i64,
    pub created_by_name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked_at: Option<i64>,
}

/// (Uses are INTEGER on PostgreSQL: the casts read them as the BIGINT SQLite gives.)
macro_rules! select_invite {
    ($rest:literal) => {
        concat!(
            "SELECT i.id, i.team_id, ",
            member_name!(),
            " AS created_by_name, i.created_at, i.expires_at,
                    CAST(i.max_uses AS BIGINT) AS max_uses, CAST(i.uses AS BIGINT) AS uses, i.revoked_at
             FROM team_invites i JOIN users u ON u.id = i.created_by ",
            $rest
        )
    };
}

pub async fn insert_invite<'c>(
    db: impl Into<Db<'c>>,
    team_id: i64,
    code_hash: &[u8],
    created_by: i64,
    now: i64,
    expires_at: i64,
    max_uses: Option<i64>,
) -> Result<i64, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar(
            "INSERT INTO team_invites (team_id, code_hash, created_by, created_at, expires_at, max_uses)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(team_id)
        .bind(code_hash)
        .bind(created_by)
        .bind(now)
        .bind(expires_at)
        .bind(max_uses)
        .fetch_one(e)
        .await
    })
}

/// The team's invites, newest first.
pub async fn invites<'c>(db: impl Into<Db<'c>>, team_id: i64) -> Result<Vec<InviteRow>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(select_invite!("WHERE i.team_id = $1 ORDER BY i.created_at DESC, i.id DESC"))
            .bind(team_id)
            .fetch_all(e)
            .await
    })
}

pub async fn invite_by_hash<'c>(db: impl Into<Db<'c>>, code_hash: &[u8]) -> Result<Option<InviteRow>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(select_invite!("WHERE i.code_hash = $1")).bind(code_hash).fetch_optional(e).await
    })
}

/// Counts a use of a live invite; false when it is revoked, expired or used up by now.
pub async fn use_invite<'c>(db: impl Into<Db<'c>>, invite_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let used = on_engine!(db.into(), |e| {
        sqlx::query(
            "UPDATE team_invites SET uses = uses + 1
             WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 AND (max_uses IS NULL OR uses < max_uses)",
        )
        .bind(invite_id)
        .bind(now)
        .execute(e)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(used == 1)
}

/// Revokes one of the team's invites; false when the team has no such live invite.
pub async fn revoke_invite<'c>(
    db: impl Into<Db<'c>>,
    team_id: i64,
    invite_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let revoked = on_engine!(db.into(), |e| {
        sqlx::query("UPDATE team_invites SET revoked_at = $1 WHERE id = $2 AND team_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(invite_id)
            .bind(team_id)
            .execute(e)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(revoked == 1)
}

fn unreadable(error: rusqlite::types::FromSqlError) -> AppError {
    AppError::internal(format!("a stored member-day is unreadable: {error}"))
}

/// One member-day as team statistics read it, its blobs borrowed from SQLite's page.
pub struct MemberDayRow<'r> {
    /// The member's index in the list given to [`fold_member_days`].
    pub member: usize,
    pub day: &'r str,
    /// Figures per hour and chord counts, encoded (`db::days`).
    pub hours: &'r [u8],
    pub chords: &'r [u8],
    /// The whole day rollup, for members who share their figures only.
    pub totals: Option<&'r [u8]>,
}

/// Folds every day `from..=to` of each member (user id, shares figures) into `sums` with `add`,
/// day after day (all members' rows of a day together, in the order of `members`), on whichever
/// engine the database is: on SQLite on a reader thread (`sqlite::reader`), each blob borrowed
/// where it lies; on PostgreSQL streamed.
pub async fn fold_member_days<T, F>(
    database: &Database,
    members: Vec<(i64, bool)>,
    from: NaiveDate,
    to: NaiveDate,
    mut sums: T,
    mut add: F,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnMut(&mut T, MemberDayRow<'_>) -> Result<(), AppError> + Send + 'static,
{
    match database {
        Database::Sqlite(pool) => {
            Reader::of_pool(pool)
                .read(move |conn| {
                    each_member_day(conn, &members, &from.to_string(), &to.to_string(), |row| add(&mut sums, row))?;
                    Ok(sums)
                })
                .await
        }
        Database::Postgres(pool) => {
            each_member_day_on_postgres(pool, &members, from, to, |row| add(&mut sums, row)).await?;
            Ok(sums)
        }
    }
}

/// Calls `each` with every day `from..=to` of each member (user id, shares figures), day after day
/// (all members' rows of a day together, in the order of `members`). Each member's rows come in
/// day order from the `(user_id, day)` index and are merged here, one row per member in memory:
/// nothing is sorted, and a sharing member's rollup is read from the page the row is on anyway.
fn each_member_day(
    conn: &rusqlite::Connection,
    members: &[(i64, bool)],
    from: &str,
    to: &str,
    mut each: impl FnMut(MemberDayRow<'_>) -> Result<(), AppError>,
) -> Result<(), AppError> {
    use fallible_streaming_iterator::FallibleStreamingIterator;

    const MEMBER_DAYS: &str = "SELECT day, hours, chords, CASE WHEN ?4 THEN totals END FROM activity_days
         WHERE user_id = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day";
    let mut statements = members.iter().map(|_| conn.prepare(MEMBER_DAYS)).collect::<Result<Vec<_>, _>>()?;
    let mut cursors = statements
        .iter_mut()
        .zip(members)
        .map(|(statement, (user_id, shares))| statement.query(rusqlite::params![user_id, from, to, shares]))
        .collect::<Result<Vec<_>, _>>()?;
    for cursor in &mut cursors {
        cursor.advance()?;
    }
    loop {
        // The earliest day any member has next; ISO days order as text (and as bytes).
        let mut earliest: Option<Vec<u8>> = None;
        for row in cursors.iter().filter_map(|cursor| cursor.get()) {
            let next = row.get_ref(0)?.as_bytes().map_err(unreadable)?;
            if earliest.as_deref().is_none_or(|day| next < day) {
                earliest = Some(next.to_vec());
            }
        }
        let Some(earliest) = earliest else { return Ok(()) };
        let day = std::str::from_utf8(&earliest).map_err(AppError::internal)?;
        for (member, cursor) in cursors.iter_mut().enumerate() {
            let Some(row) = cursor.get() else { continue };
            if row.get_ref(0)?.as_bytes().map_err(unreadable)? != earliest.as_slice() {
                continue;
            }
            each(MemberDayRow {
                member,
                day,
                hours: row.get_ref(1)?.as_blob().map_err(unreadable)?,
                chords: row.get_ref(2)?.as_blob().map_err(unreadable)?,
                totals: row.get_ref(3)?.as_blob_or_null().map_err(unreadable)?,
            })?;
            cursor.advance()?;
        }
    }
}

/// `each_member_day` on PostgreSQL: one statement whose rows come in day order, and within a
/// day in the order of `members`, streamed (one row in memory at a time).
async fn each_member_day_on_postgres(
    pool: &sqlx::PgPool,
    members: &[(i64, bool)],
    from: NaiveDate,
    to: NaiveDate,
    mut each: impl FnMut(MemberDayRow<'_>) -> Result<(), AppError>,
) -> Result<(), AppError> {
    use futures::TryStreamExt;
    let (ids, shares): (Vec<i64>, Vec<bool>) = members.iter().copied().unzip();
    let mut rows = sqlx::query_as::<_, (i64, String, Vec<u8>, Vec<u8>, Option<Vec<u8>>)>(
        "SELECT m.member, d.day::text, d.hours, d.chords, CASE WHEN m.shares THEN d.totals END
         FROM unnest($1::bigint[], $2::boolean[]) WITH ORDINALITY AS m (user_id, shares, member)
         JOIN activity_days d ON d.user_id = m.user_id
         WHERE d.day >= $3::date AND d.day <= $4::date
         ORDER BY d.day, m.member",
    )
    .bind(&ids)
    .bind(&shares)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch(pool);
    while let Some((member, day, hours, chords, totals)) = rows.try_next().await? {
        // ORDINALITY counts from 1.
        let member = usize::try_from(member - 1).map_err(AppError::internal)?;
        each(MemberDayRow { member, day: &day, hours: &hours, chords: &chords, totals: totals.as_deref() })?;
    }
    Ok(())
}

/// The first day with activity of any current member (`YYYY-MM-DD`).
pub async fn first_day<'c>(db: impl Into<Db<'c>>, team_id: i64) -> Result<Option<String>, sqlx::Error> {
    let db = db.into();
    let sql = db.pick(
        "SELECT min(day) FROM activity_days WHERE user_id IN (SELECT user_id FROM team_members WHERE team_id = $1)",
        "SELECT min(day)::text FROM activity_days
         WHERE user_id IN (SELECT user_id FROM team_members WHERE team_id = $1)",
    );
    on_engine!(db, |e| sqlx::query_scalar(sql).bind(team_id).fetch_one(e).await)
}
