//! Copying a SQLite installation into an empty PostgreSQL database (`keytrack migrate-to-postgres`):
//! every table of `migrations/postgres`, row for row, in one PostgreSQL transaction (all or
//! nothing), then the identity sequences moved past the copied ids.

use sqlx::{PgPool, Postgres, QueryBuilder, Row, SqlitePool};

/// How a column reads on SQLite and is written on PostgreSQL.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    MaybeInt,
    Text,
    MaybeText,
    Blob,
    /// 0 or 1 on SQLite, BOOLEAN on PostgreSQL.
    Flag,
    MaybeFlag,
    /// `YYYY-MM-DD` text on SQLite, DATE on PostgreSQL.
    Day,
}

/// A table to copy: the key SQLite's rows are read in order of (`None`: a small table read at
/// once), and the columns both engines have, in order.
struct Table {
    name: &'static str,
    key: Option<&'static str>,
    columns: &'static [(&'static str, Kind)],
}

use Kind::{Blob, Day, Flag, Int, MaybeFlag, MaybeInt, MaybeText, Text};

/// In an order that references are always to rows copied before.
const TABLES: &[Table] = &[
    Table {
        name: "users",
        key: Some("id"),
        columns: &[
            ("id", Int),
            ("email", Text),
            ("password_hash", Text),
            ("display_name", Text),
            ("timezone", Text),
            ("day_start_hour", Int),
            ("created_at", Int),
            ("records_since", MaybeInt),
            ("keyboard_layout", Text),
            ("never_count", Text),
            ("is_admin", Flag),
            ("disabled_at", MaybeInt),
            ("must_change_password", Flag),
            ("last_login_at", MaybeInt),
            ("session_generation", Int),
        ],
    },
    Table { name: "site_settings", key: None, columns: &[("key", Text), ("value", Text)] },
    Table { name: "deleted_accounts", key: Some("id"), columns: &[("id", Int), ("deleted_at", Int)] },
    Table {
        name: "api_tokens",
        key: Some("id"),
        columns: &[
            ("id", Int),
            ("user_id", Int),
            ("name", Text),
            ("token_hash", Blob),
            ("created_at", Int),
            ("last_used_at", MaybeInt),
            ("revoked_at", MaybeInt),
        ],
    },
    Table {
        name: "devices",
        key: Some("id"),
        columns: &[
            ("id", Int),
            ("user_id", Int),
            ("agent_device_id", Text),
            ("name", Text),
            ("first_seen", Int),
            ("last_seen", Int),
            ("platform", Text),
            ("agent_version", Text),
            ("token_id", MaybeInt),
            ("named_by_user", Flag),
            ("capture", Text),
        ],
    },
    Table { name: "teams", key: Some("id"), columns: &[("id", Int), ("name", Text), ("created_at", Int)] },
    Table {
        name: "team_members",
        key: None,
        columns: &[("team_id", Int), ("user_id", Int), ("role", Text), ("shares_figures", Flag), ("joined_at", Int)],
    },
    Table {
        name: "team_invites",
        key: Some("id"),
        columns: &[
            ("id", Int),
            ("team_id", Int),
            ("code_hash", Blob),
            ("created_by", Int),
            ("created_at", Int),
            ("expires_at", Int),
            ("max_uses", MaybeInt),
            ("uses", Int),
            ("revoked_at", MaybeInt),
        ],
    },
    Table {
        name: "pairing_requests",
        key: Some("id"),
        columns: &[
            ("id", Int),
            ("device_code_hash", Blob),
            ("user_code", Text),
            ("device_name", Text),
            ("platform", Text),
            ("agent_version", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("user_id", MaybeInt),
            ("approved", MaybeFlag),
            ("decided_at", MaybeInt),
            ("token_id", MaybeInt),
            ("collected_at", MaybeInt),
        ],
    },
    Table {
        name: "activity_hours",
        key: Some("id"),
        columns: &[
            ("user_id", Int),
            ("device_id", Int),
            ("hour", Int),
            ("first_minute", Int),
            ("last_minute", Int),
            ("minutes", Int),
            ("total_keys", Int),
            ("total_clicks", Int),
            ("active_seconds", Int),
            ("records", Blob),
            ("received_at", Int),
        ],
    },
    Table {
        name: "activity_blocks",
        key: Some("id"),
        columns: &[
            ("user_id", Int),
            ("device_id", Int),
            ("starts_at", Int),
            ("ends_at", Int),
            ("presses", Int),
            ("detail", Blob),
            ("received_at", Int),
        ],
    },
    Table {
        name: "activity_days",
        key: Some("id"),
        columns: &[
            ("user_id", Int),
            ("day", Day),
            ("totals", Blob),
            ("total_keys", Int),
            ("total_clicks", Int),
            ("active_seconds", Int),
            ("typed_keys", Int),
            ("typing_ms", Int),
            ("hours", Blob),
            ("chords", Blob),
        ],
    },
    Table {
        name: "activity_day_screens",
        key: Some("id"),
        columns: &[
            ("user_id", Int),
            ("day", Day),
            ("desktop_width", Int),
            ("desktop_height", Int),
            ("x", Int),
            ("y", Int),
            ("width", Int),
            ("height", Int),
            ("clicks", Blob),
            ("moves", Blob),
        ],
    },
    Table {
        name: "site_invites",
        key: Some("id"),
        columns: &[
            ("id", Int),
            ("code_hash", Blob),
            ("email", MaybeText),
            ("created_by", MaybeInt),
            ("created_at", Int),
            ("expires_at", Int),
            ("used_at", MaybeInt),
            ("used_by", MaybeInt),
            ("revoked_at", MaybeInt),
        ],
    },
    Table {
        name: "password_resets",
        key: Some("id"),
        columns: &[
            ("id", Int),
            ("user_id", Int),
            ("token_hash", Blob),
            ("made_by", MaybeInt),
            ("created_at", Int),
            ("expires_at", Int),
            ("used_at", MaybeInt),
        ],
    },
    Table {
        name: "two_factor",
        key: Some("user_id"),
        columns: &[
            ("user_id", Int),
            ("secret", Blob),
            ("created_at", Int),
            ("confirmed_at", MaybeInt),
            ("last_step", Int),
        ],
    },
    Table {
        name: "recovery_codes",
        key: Some("id"),
        columns: &[("id", Int), ("user_id", Int), ("code_hash", Blob), ("used_at", MaybeInt)],
    },
    Table {
        name: "sso_identities",
        key: Some("id"),
        columns: &[
            ("id", Int),
            ("user_id", Int),
            ("issuer", Text),
            ("subject", Text),
            ("email", Text),
            ("created_at", Int),
            ("last_login_at", MaybeInt),
        ],
    },
    Table {
        name: "audit_log",
        key: Some("id"),
        columns: &[
            ("id", Int),
            ("at", Int),
            ("action", Text),
            ("actor_id", MaybeInt),
            ("actor", Text),
            ("target_id", MaybeInt),
            ("target", Text),
            ("detail", Text),
            ("address", Text),
        ],
    },
];

/// The tables with an identity column `id`, whose sequence must start past the copied ids.
const IDENTITIES: &[&str] = &[
    "users",
    "api_tokens",
    "devices",
    "teams",
    "team_invites",
    "pairing_requests",
    "site_invites",
    "password_resets",
    "recovery_codes",
    "sso_identities",
    "audit_log",
];

/// Rows read and written at a time: at most a few MB of blobs in memory, and far below
/// PostgreSQL's 65,535 parameters a statement.
const CHUNK: i64 = 1_000;

/// A value on its way from SQLite to PostgreSQL.
enum Value {
    Int(Option<i64>),
    Text(String),
    MaybeText(Option<String>),
    Blob(Vec<u8>),
    Flag(Option<bool>),
    Day(String),
}

fn read(row: &sqlx::sqlite::SqliteRow, index: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Int => Value::Int(Some(row.try_get(index)?)),
        MaybeInt => Value::Int(row.try_get(index)?),
        Text => Value::Text(row.try_get(index)?),
        MaybeText => Value::MaybeText(row.try_get(index)?),
        Blob => Value::Blob(row.try_get(index)?),
        Flag => Value::Flag(Some(row.try_get::<i64, _>(index)? != 0)),
        MaybeFlag => Value::Flag(row.try_get::<Option<i64>, _>(index)?.map(|n| n != 0)),
        Day => Value::Day(row.try_get(index)?),
    })
}

/// Whether the PostgreSQL database holds no account yet (the copy goes only into an empty one).
pub async fn is_empty(pg: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM users)").fetch_one(pg).await
}

/// Copies every table; returns (table, rows) in copy order.
pub async fn copy_all(sqlite: &SqlitePool, pg: &PgPool) -> Result<Vec<(&'static str, u64)>, sqlx::Error> {
    let mut tx = pg.begin().await?;
    let mut copied = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let columns: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        let columns = columns.join(", ");
        let mut rows_copied = 0u64;
        let mut after = i64::MIN;
        loop {
            let rows = match table.key {
                Some(key) => {
                    sqlx::query(&format!(
                        "SELECT {key}, {columns} FROM {} WHERE {key} > ? ORDER BY {key} LIMIT ?",
                        table.name
                    ))
                    .bind(after)
                    .bind(CHUNK)
                    .fetch_all(sqlite)
                    .await?
                }
                None => sqlx::query(&format!("SELECT 0, {columns} FROM {}", table.name)).fetch_all(sqlite).await?,
            };
            let Some(last) = rows.last() else { break };
            after = last.try_get(0)?;
            let mut insert = QueryBuilder::<Postgres>::new(format!("INSERT INTO {} ({columns}) ", table.name));
            let mut values = Vec::with_capacity(rows.len());
            for row in &rows {
                let read: Vec<Value> = table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| read(row, i + 1, *kind))
                    .collect::<Result<_, _>>()?;
                values.push(read);
            }
            insert.push_values(values, |mut row, values| {
                for value in values {
                    match value {
                        Value::Int(n) => row.push_bind(n),
                        Value::Text(text) => row.push_bind(text),
                        Value::MaybeText(text) => row.push_bind(text),
                        Value::Blob(bytes) => row.push_bind(bytes),
                        Value::Flag(flag) => row.push_bind(flag),
                        Value::Day(day) => row.push_bind(day).push_unseparated("::date"),
                    };
                }
            });
            insert.build().execute(&mut *tx).await?;
            rows_copied += rows.len() as u64;
            if table.key.is_none() {
                break;
            }
        }
        copied.push((table.name, rows_copied));
    }
    for table in IDENTITIES {
        // Users: past deleted accounts' ids too, which are never given again.
        let past = if *table == "users" {
            "greatest((SELECT max(id) FROM users), (SELECT max(id) FROM deleted_accounts))"
        } else {
            &format!("(SELECT max(id) FROM {table})")
        };
        sqlx::query(&format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce({past}, 0) + 1, false)"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(copied)
}

/// Rows of each copied table on SQLite and on PostgreSQL: (table, SQLite's, PostgreSQL's).
pub async fn row_counts(sqlite: &SqlitePool, pg: &PgPool) -> Result<Vec<(&'static str, i64, i64)>, sqlx::Error> {
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let sql = format!("SELECT count(*) FROM {}", table.name);
        let on_sqlite: i64 = sqlx::query_scalar(&sql).fetch_one(sqlite).await?;
        let on_postgres: i64 = sqlx::query_scalar(&sql).fetch_one(pg).await?;
        counts.push((table.name, on_sqlite, on_postgres));
    }
    Ok(counts)
}

/// Every user with day rollups, with their first and last day (`YYYY-MM-DD`), on SQLite.
pub async fn users_and_days(sqlite: &SqlitePool) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT user_id, min(day), max(day) FROM activity_days GROUP BY user_id ORDER BY user_id")
        .fetch_all(sqlite)
        .await
}
