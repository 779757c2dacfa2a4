//! The audit log (`audit_log`): what happened, who did it, to whom, when and from which address.
//! What goes in is `services::audit`'s to say; this is only where it is kept.

use super::engine::{Db, on_engine};

/// One event, to store.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    pub at: i64,
    pub action: &'a str,
    pub actor_id: Option<i64>,
    pub actor: &'a str,
    pub target_id: Option<i64>,
    pub target: &'a str,
    pub detail: &'a str,
    pub address: &'a str,
}

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub at: i64,
    pub action: String,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub target_id: Option<i64>,
    pub target: String,
    pub detail: String,
    pub address: String,
}

pub async fn insert<'c>(db: impl Into<Db<'c>>, event: &NewEvent<'_>) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "INSERT INTO audit_log (at, action, actor_id, actor, target_id, target, detail, address)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(event.at)
        .bind(event.action)
        .bind(event.actor_id)
        .bind(event.actor)
        .bind(event.target_id)
        .bind(event.target)
        .bind(event.detail)
        .bind(event.address)
        .execute(e)
        .await
        .map(|_| ())
    })
}

/// Which events: an action (empty: any), someone who did it or to whom it was done (a part of
/// their email, any case; empty: anyone), between two instants (inclusive).
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub action: String,
    pub person: String,
    pub from: i64,
    pub to: i64,
}

/// A page of the matching events, the newest first: `limit` of them before the event `before`
/// (its id; `None`: from the newest).
pub async fn events<'c>(
    db: impl Into<Db<'c>>,
    filter: &EventFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let person =
        format!("%{}%", filter.person.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    on_engine!(db.into(), |e| {
        sqlx::query_as(
            "SELECT id, at, action, actor_id, actor, target_id, target, detail, address FROM audit_log
             WHERE ($1 = '' OR action = $1)
               AND ($2 = '%%' OR lower(actor) LIKE $2 ESCAPE '\\' OR lower(target) LIKE $2 ESCAPE '\\')
               AND at >= $3 AND at <= $4 AND id < $5
             ORDER BY id DESC LIMIT $6",
        )
        .bind(&filter.action)
        .bind(&person)
        .bind(filter.from)
        .bind(filter.to)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(e)
        .await
    })
}

/// The latest events of one account: done by it or to it.
pub async fn of_user<'c>(db: impl Into<Db<'c>>, user_id: i64, limit: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(
            "SELECT id, at, action, actor_id, actor, target_id, target, detail, address FROM audit_log
             WHERE id IN (SELECT id FROM audit_log WHERE target_id = $1
                          UNION SELECT id FROM audit_log WHERE actor_id = $1)
             ORDER BY id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(e)
        .await
    })
}

/// Forgets events before `cutoff` (`--audit-retain-days`); returns how many.
pub async fn delete_before<'c>(db: impl Into<Db<'c>>, cutoff: i64) -> Result<u64, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("DELETE FROM audit_log WHERE at < $1").bind(cutoff).execute(e).await.map(|d| d.rows_affected())
    })
}
