//! Where KeyTrack keeps everything: all SQL, and the one place that knows which database engine
//! runs. [`Store::open`] opens the [`Place`] the settings name, SQLite (a data dir, the embedded
//! default) or PostgreSQL (a URL), and chooses, once, what the services then use without asking
//! which engine it is: the [`Database`] every statement runs on, whether it takes writes
//! ([`Storage`]), where uploads are written ([`Uploads`]), where rate limits count ([`Attempts`]),
//! where browser sessions live ([`Sessions`]) and how instances tell each other of uploads
//! ([`Notifications`], PostgreSQL only).
//!
//! Below it: `engine` (each statement written once for both engines), a module per group of
//! tables (`users`, `tokens`, `activity`, `days`, `data`, `teams`, `pairings`, `settings`,
//! `site_invites`, `password_resets`, `two_factor`, `sso`, `audit`, `census`), the write side of
//! the day rollups (`rollups`, `merge`), and `sqlite/` and `postgres/` for what each engine does
//! its own way.

pub mod activity;
pub mod attempts;
pub mod audit;
pub mod census;
pub mod data;
pub mod days;
pub mod engine;
pub mod error;
pub mod merge;
pub mod pairings;
pub mod password_resets;
pub mod postgres;
pub mod rollups;
pub mod sessions;
pub mod settings;
pub mod site_invites;
pub mod sqlite;
pub mod sso;
pub mod teams;
pub mod tokens;
pub mod two_factor;
pub mod uploads;
pub mod users;

use std::path::PathBuf;

use self::attempts::Attempts;
pub use self::engine::{Database, Db, Transaction, ping, takes_writes};
pub use self::postgres::shared::Notifications;
use self::sessions::Sessions;
use self::uploads::Uploads;
use crate::server::error::{AppError, READ_ONLY};

/// Where the database is: `--database-url`, or `--data-dir` for SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The data dir of a SQLite database (`keytrack.db` in it).
    Sqlite(PathBuf),
    /// A PostgreSQL database's URL (`postgres://user:password@host:port/database`).
    Postgres(String),
}

impl Place {
    /// The place the settings name: `database_url` when given (`postgres://...`, or `sqlite://DIR`
    /// for SQLite in DIR), else SQLite in `data_dir`.
    pub fn from_settings(data_dir: PathBuf, database_url: Option<&str>) -> Result<Place, String> {
        match database_url.map(str::trim).filter(|url| !url.is_empty()) {
            None => Ok(Place::Sqlite(data_dir)),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Place::Postgres(url.to_string()))
            }
            Some(url) => match url.strip_prefix("sqlite://").filter(|dir| !dir.is_empty()) {
                Some(dir) => Ok(Place::Sqlite(PathBuf::from(dir))),
                None => Err(format!(
                    "--database-url {}: use postgres://user:password@host:port/database, or sqlite://DIR",
                    postgres::without_password(url)
                )),
            },
        }
    }

    /// The data dir of a SQLite place (`None` for PostgreSQL).
    pub fn data_dir(&self) -> Option<&std::path::Path> {
        match self {
            Place::Sqlite(dir) => Some(dir),
            Place::Postgres(_) => None,
        }
    }
}

/// Whether the server can write to its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Writable,
    /// The data dir is on a read-only file system: statistics are served, uploads and anything
    /// else that writes answer 503 `storage_unavailable`.
    ReadOnly,
}

/// An open database and what the services use of it (see the module's docs).
#[derive(Clone)]
pub struct Store {
    pub database: Database,
    pub storage: Storage,
    pub uploads: Uploads,
}

impl Store {
    /// Opens the database for an admin command: made or brought up to date first (migrations,
    /// and the data of earlier releases), writable or an error.
    pub async fn open(place: &Place) -> anyhow::Result<Store> {
        Store::open_as(place, false).await
    }

    /// Opens the database for `keytrack serve`: as [`Store::open`] does, or, when a SQLite data dir
    /// is read-only (a file system remounted read-only, a snapshot), read-only, so that people can
    /// still read their statistics. (A PostgreSQL replica that cannot write answers writes with
    /// 503 `storage_unavailable` by itself.)
    pub async fn open_for_serving(place: &Place) -> anyhow::Result<Store> {
        Store::open_as(place, true).await
    }

    async fn open_as(place: &Place, read_only_allowed: bool) -> anyhow::Result<Store> {
        let (database, storage) = match place {
            Place::Sqlite(data_dir) => match sqlite::open(data_dir).await {
                Ok(pool) => {
                    // Rollups an upgrade cleared, before anyone reads or adds to any.
                    sqlite::upgrade::build_missing(&pool)
                        .await
                        .map_err(|e| anyhow::anyhow!("cannot build the day rollups: {e}"))?;
                    (Database::Sqlite(pool), Storage::Writable)
                }
                Err(error) if read_only_allowed && sqlite::is_read_only_dir(data_dir) => {
                    tracing::warn!(
                        data_dir = %data_dir.display(),
                        "the data dir is read-only: serving statistics only; uploads, sign-ups and log-ins are refused until the server is restarted on a writable data dir ({error:#})"
                    );
                    (Database::Sqlite(sqlite::open_read_only(data_dir).await?), Storage::ReadOnly)
                }
                Err(error) => return Err(error),
            },
            Place::Postgres(url) => (Database::Postgres(postgres::open(url).await?), Storage::Writable),
        };
        Ok(Store { storage, ..Store::on(database) })
    }

    /// A store on a database that is open already (the tests' and the tools'): writable, with an
    /// upload writer of its own.
    pub fn on(database: Database) -> Store {
        let uploads = Uploads::of(&database);
        Store { database, storage: Storage::Writable, uploads }
    }

    /// `Err(StorageUnavailable)` while the database is read-only: what every write checks first.
    pub fn writable(&self) -> Result<(), AppError> {
        match self.storage {
            Storage::Writable => Ok(()),
            Storage::ReadOnly => Err(AppError::StorageUnavailable(READ_ONLY)),
        }
    }

    /// A new count of attempts for one rate limit: in memory for one SQLite server, in the
    /// database every instance on PostgreSQL shares.
    pub fn attempts(&self) -> Attempts {
        Attempts::for_database(&self.database)
    }

    /// Where browser sessions are kept: the database's own table.
    pub fn sessions(&self) -> Sessions {
        Sessions::of(&self.database)
    }

    /// How instances on one PostgreSQL database tell each other of uploads; `None` on SQLite,
    /// where one server is alone.
    pub fn notifications(&self) -> Option<Notifications> {
        match &self.database {
            Database::Sqlite(_) => None,
            Database::Postgres(pool) => Some(Notifications::new(pool.clone())),
        }
    }

    /// Closes every connection (at shutdown, after the last request).
    pub async fn close(&self) {
        self.database.close().await;
    }
}
