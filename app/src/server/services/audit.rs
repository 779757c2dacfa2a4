//! The audit log: what happened on the server, who did it, to whom, when and from which address.
//! Logins and failed logins, sign-ups, invites, passwords, tokens, pairing, devices, deletions,
//! team roles, every administrator's action and policy change. It never holds a password, a
//! token, a link or a count of keys: `detail` is a few words the code writes, never what a person
//! typed. Uploads are not audited one by one (they cost nothing here).

use std::net::IpAddr;

pub use crate::model::{AuditAction as Action, AuditEvent};
use crate::server::error::AppError;
use crate::server::now;
use crate::server::store::audit::{EventFilter, EventRow, NewEvent};
use crate::server::store::{self, Database};

tokio::task_local! {
    /// The client's address for the request being handled (`web::protect` sets it), so that every
    /// event a request causes says where it came from without each service being handed it.
    static CLIENT: Option<IpAddr>;
}

/// Runs `work` as the handling of a request from `address`.
pub async fn from_address<F: std::future::Future>(address: Option<IpAddr>, work: F) -> F::Output {
    CLIENT.scope(address, work).await
}

/// Where the request at hand came from: its address, or "command line" outside any request.
fn address_now() -> String {
    match CLIENT.try_with(|address| *address) {
        Ok(Some(address)) => address.to_string(),
        Ok(None) => "unknown".into(),
        Err(_) => "command line".into(),
    }
}

/// Someone an event names: an account (its email is looked up and kept beside the id, so the
/// record outlives the account), or an email that has no account (a failed login).
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    Account(i64),
    Email(&'a str),
}

async fn describe(database: &Database, who: Option<Who<'_>>) -> Result<(Option<i64>, String), AppError> {
    Ok(match who {
        None => (None, String::new()),
        Some(Who::Email(email)) => (None, email.to_string()),
        Some(Who::Account(id)) => {
            let email = store::users::by_id(database, id).await?.map(|user| user.email).unwrap_or_default();
            (Some(id), email)
        }
    })
}

/// Records an event: `actor` did `action` to `target` (`None`: to themselves, or to the server).
/// `detail` is a few words of the code's (a team's name, a policy), never a secret.
pub async fn record(
    database: &Database,
    action: Action,
    actor: Option<Who<'_>>,
    target: Option<Who<'_>>,
    detail: &str,
) -> Result<(), AppError> {
    let (actor_id, actor) = describe(database, actor).await?;
    let (target_id, target) = describe(database, target).await?;
    let address = address_now();
    let event = NewEvent {
        at: now(),
        action: action.key(),
        actor_id,
        actor: &actor,
        target_id,
        target: &target,
        detail,
        address: &address,
    };
    store::audit::insert(database, &event).await?;
    Ok(())
}

impl From<EventRow> for AuditEvent {
    fn from(row: EventRow) -> AuditEvent {
        let label = Action::parse(&row.action).map_or_else(|| row.action.clone(), |action| action.label().to_string());
        AuditEvent {
            id: row.id,
            at: row.at,
            action: row.action,
            label,
            actor: row.actor,
            target: row.target,
            detail: row.detail,
            address: row.address,
        }
    }
}

/// A page of the events a filter matches (see `store::audit::events`), the newest first.
pub async fn events(
    database: &Database,
    filter: &EventFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>, AppError> {
    if !filter.action.is_empty() && Action::parse(&filter.action).is_none() {
        return Err(AppError::BadRequest(format!("\"{}\" is not an action of the audit log.", filter.action)));
    }
    Ok(store::audit::events(database, filter, before, limit.clamp(1, 500)).await?.into_iter().map(Into::into).collect())
}

/// The latest events of one account (done by it or to it): its profile shows them.
pub async fn of_user(database: &Database, user_id: i64) -> Result<Vec<AuditEvent>, AppError> {
    Ok(store::audit::of_user(database, user_id, 50).await?.into_iter().map(Into::into).collect())
}

/// Every event the filter matches, as CSV (the administration page's export).
pub async fn csv(database: &Database, filter: &EventFilter) -> Result<String, AppError> {
    let mut csv = crate::domain::csv::Csv::new();
    csv.header(&["time_utc", "action", "actor", "target", "detail", "address"]);
    let mut before = None;
    loop {
        let page = events(database, filter, before, 500).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        for event in &page {
            let time = chrono::DateTime::from_timestamp(event.at, 0)
                .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M:%S").to_string());
            for value in [&time, &event.action, &event.actor, &event.target, &event.detail, &event.address] {
                csv.text(value);
            }
            csv.end_row();
        }
    }
    Ok(csv.take())
}

/// Forgets the events older than `days` (`--audit-retain-days`); returns how many went.
pub async fn apply_retention(database: &Database, days: u32, now: i64) -> Result<u64, AppError> {
    Ok(store::audit::delete_before(database, now - i64::from(days) * 86_400).await?)
}

/// The filter of the administration page and the API: an action's key (empty: any), a part of
/// someone's email, and days (UTC, `YYYY-MM-DD`; empty: no bound).
pub fn filter(action: &str, person: &str, from: &str, to: &str) -> Result<EventFilter, AppError> {
    let day = |text: &str, end: bool| -> Result<i64, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(if end { i64::MAX } else { i64::MIN });
        }
        let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| AppError::BadRequest(format!("\"{text}\" is not a day (YYYY-MM-DD).")))?;
        let start = date.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp());
        Ok(if end { start + 86_399 } else { start })
    };
    let person = person.trim();
    if person.chars().count() > 200 {
        return Err(AppError::BadRequest("The person is at most 200 characters.".into()));
    }
    Ok(EventFilter {
        action: action.trim().to_string(),
        person: person.to_string(),
        from: day(from, false)?,
        to: day(to, true)?,
    })
}

/// Applies the retention of `--audit-retain-days` every hour while the server runs.
pub async fn keep_retention(database: Database, days: u32) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3_600));
    loop {
        every.tick().await;
        match apply_retention(&database, days, now()).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(days, removed, "removed audit events past the retention period"),
            Err(error) => tracing::warn!(days, "the audit log's retention failed this time: {error}"),
        }
    }
}
