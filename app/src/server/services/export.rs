//! Your data out: CSV files of the figures over a range of days (per day, hour, key, shortcut and
//! minute; a team's as its dashboard shows them) and the JSON file of everything the server keeps
//! about a user, which `keytrack import` loads into another server. Long files stream in chunks
//! read page by page, so that a year of minutes never sits in memory.

use bytes::Bytes;
use chrono::{Datelike, NaiveDate};
use futures::StreamExt;
use futures::stream::BoxStream;
use keytrack_wire::data::{AccountExport, EXPORT_FORMAT, EXPORT_VERSION, MembershipExport, TokenExport};
use keytrack_wire::{
    ActivityBatch, ActivityMinute, CURRENT_FORMAT, Device, HourBlock, TeamRole, limits, words_per_minute,
};

use super::stats::{RangeScope, resolve_range};
use super::{accounts, clock, teams};
use crate::server::error::AppError;
use crate::server::store;
use crate::server::store::Database;
use crate::server::store::activity::RecordCodec;
use crate::server::store::uploads::Uploads;

use crate::domain::csv::Csv;
use crate::domain::layouts::KeyboardLayout;
use crate::domain::range::RangeQuery;
use crate::domain::rollup::DayTotals;

/// A file on its way out: its name and its bytes, chunk by chunk.
pub struct Download {
    pub filename: String,
    pub body: BoxStream<'static, Result<Bytes, AppError>>,
}

impl Download {
    /// A file made whole before it is sent, in one chunk.
    pub fn whole(filename: String, bytes: impl Into<Bytes>) -> Download {
        Download { filename, body: chunk(bytes).boxed() }
    }
}

/// A stream of one chunk (the start of a longer file, or all of a short one).
fn chunk(bytes: impl Into<Bytes>) -> futures::stream::Once<std::future::Ready<Result<Bytes, AppError>>> {
    futures::stream::once(std::future::ready(Ok(bytes.into())))
}

/// The CSV files of a user's own figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvKind {
    /// One row a day, every headline figure.
    Day,
    /// One row per day and clock hour.
    Hour,
    /// Presses per key over the range.
    Key,
    /// Presses per shortcut over the range.
    Shortcut,
    /// Time, presses and clicks per application over the range.
    Application,
    /// One row per device and minute with activity: its totals.
    Minute,
}

impl CsvKind {
    pub const ALL: [CsvKind; 6] =
        [CsvKind::Day, CsvKind::Hour, CsvKind::Key, CsvKind::Shortcut, CsvKind::Application, CsvKind::Minute];

    pub fn key(self) -> &'static str {
        match self {
            CsvKind::Day => "day",
            CsvKind::Hour => "hour",
            CsvKind::Key => "key",
            CsvKind::Shortcut => "shortcut",
            CsvKind::Application => "application",
            CsvKind::Minute => "minute",
        }
    }

    /// The kind a query names; absent or empty: per day.
    pub fn parse(kind: Option<&str>) -> Result<CsvKind, AppError> {
        let kind = kind.map(str::trim).filter(|k| !k.is_empty()).unwrap_or("day");
        CsvKind::ALL.into_iter().find(|k| k.key() == kind).ok_or_else(|| {
            AppError::BadRequest(format!(
                "kind is one of day, hour, key, shortcut, application or minute, not \"{kind}\""
            ))
        })
    }
}

/// The CSV files of a team's figures: only what the team's dashboard shows the asking member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamCsvKind {
    /// The team's totals and averages, and the figures of each member who shares theirs.
    Members,
    /// Key presses per weekday and hour.
    Hours,
    /// The team's most used shortcuts.
    Shortcuts,
}

impl TeamCsvKind {
    pub const ALL: [TeamCsvKind; 3] = [TeamCsvKind::Members, TeamCsvKind::Hours, TeamCsvKind::Shortcuts];

    pub fn key(self) -> &'static str {
        match self {
            TeamCsvKind::Members => "members",
            TeamCsvKind::Hours => "hours",
            TeamCsvKind::Shortcuts => "shortcuts",
        }
    }

    pub fn parse(kind: Option<&str>) -> Result<TeamCsvKind, AppError> {
        let kind = kind.map(str::trim).filter(|k| !k.is_empty()).unwrap_or("members");
        TeamCsvKind::ALL
            .into_iter()
            .find(|k| k.key() == kind)
            .ok_or_else(|| AppError::BadRequest(format!("kind is one of members, hours or shortcuts, not \"{kind}\"")))
    }
}

/// Days read per chunk of a per-day or per-hour file.
const DAYS_PER_CHUNK: u64 = 64;

fn day_start_label(account: &keytrack_wire::Account) -> String {
    format!("{:02}:00", account.day_start_hour)
}

/// A CSV of the user's own figures for what the query asks (the dashboard's range rule).
pub async fn own_csv(
    database: &Database,
    user_id: i64,
    kind: CsvKind,
    query: &RangeQuery,
    now: i64,
) -> Result<Download, AppError> {
    let account = accounts::account(database, user_id).await?;
    let (from, to) = resolve_range(database, &account, RangeScope::Own(user_id), query, now).await?;
    let clock = clock::clock_of(&account)?;
    let mut csv = Csv::new();
    csv.comment(&format!(
        "KeyTrack export ({} rows): days {from} to {to} in the time zone {}; each day starts at {}; times are local",
        kind.key(),
        account.timezone,
        day_start_label(&account)
    ));
    let filename = format!("keytrack-{}-{from}-to-{to}.csv", kind.key());
    let body = match kind {
        CsvKind::Day | CsvKind::Hour => {
            if kind == CsvKind::Day {
                csv.header(&[
                    "day",
                    "weekday",
                    "key_presses",
                    "clicks",
                    "left_clicks",
                    "right_clicks",
                    "middle_clicks",
                    "other_clicks",
                    "active_minutes",
                    "active_seconds",
                    "typed_keys",
                    "typing_seconds",
                    "words_per_minute",
                    "pointer_distance_px",
                    "scroll_vertical",
                    "scroll_horizontal",
                ]);
            } else {
                csv.header(&[
                    "day",
                    "hour",
                    "key_presses",
                    "clicks",
                    "active_minutes",
                    "active_seconds",
                    "typed_keys",
                    "typing_seconds",
                ]);
            }
            let first = chunk(csv.take());
            let database = database.clone();
            let rest = futures::stream::try_unfold(Some(from), move |next| {
                let database = database.clone();
                async move {
                    let Some(start) = next.filter(|d| *d <= to) else { return Ok(None) };
                    let end = (start + chrono::Days::new(DAYS_PER_CHUNK - 1)).min(to);
                    let text = day_rows(&database, user_id, kind, start, end).await?;
                    Ok(Some((Bytes::from(text), end.succ_opt())))
                }
            });
            first.chain(rest).boxed()
        }
        CsvKind::Key | CsvKind::Shortcut => {
            let stats = super::stats::range_totals(database, user_id, from, to).await?.finish();
            // Named as printed in the person's layout, with the code the API uses beside it.
            let layout = KeyboardLayout::or_us(&account.keyboard_layout);
            let (column, counts, name): (_, _, fn(KeyboardLayout, &str) -> String) = match kind {
                CsvKind::Key => ("key", stats.keys, KeyboardLayout::key_name),
                _ => ("shortcut", stats.combos, KeyboardLayout::shortcut_name),
            };
            let total: u64 = counts.values().sum();
            let mut rows: Vec<(String, u64)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
            rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            csv.header(&[column, "code", "presses", "percent"]);
            for (code, presses) in rows {
                let percent = if total == 0 { 0.0 } else { presses as f64 * 100.0 / total as f64 };
                csv.text(&name(layout, &code)).text(&code).number(presses).decimal(percent, 2).end_row();
            }
            chunk(csv.take()).boxed()
        }
        CsvKind::Application => {
            let apps = super::stats::range_totals(database, user_id, from, to).await?.app_totals();
            let time: u64 = apps.iter().map(|(_, [_, _, seconds])| seconds).sum();
            csv.header(&["application", "active_seconds", "key_presses", "clicks", "percent_of_time"]);
            for (name, [keys, clicks, seconds]) in apps {
                let percent = if time == 0 { 0.0 } else { seconds as f64 * 100.0 / time as f64 };
                csv.text(&name).number(seconds).number(keys).number(clicks).decimal(percent, 2).end_row();
            }
            chunk(csv.take()).boxed()
        }
        CsvKind::Minute => {
            csv.header(&["minute", "unix_time", "day", "device", "key_presses", "clicks", "active_seconds"]);
            let first = chunk(csv.take());
            let bounds = clock.range(from, to);
            let tz: chrono_tz::Tz = account.timezone.parse().unwrap_or(chrono_tz::UTC);
            let database = database.clone();
            let rest = futures::stream::try_unfold(Some(i64::MIN), move |from| {
                let database = database.clone();
                async move {
                    let Some(from) = from else { return Ok(None) };
                    let (rows, next) = store::data::minute_totals_page(&database, user_id, bounds, from).await?;
                    if rows.is_empty() && next.is_none() {
                        return Ok(None);
                    }
                    let mut csv = Csv::new();
                    for row in &rows {
                        let local = chrono::DateTime::from_timestamp(row.minute, 0)
                            .map(|t| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string())
                            .unwrap_or_default();
                        csv.number(local)
                            .number(row.minute)
                            .number(clock.day_and_hour(row.minute).0)
                            .text(&row.device)
                            .number(row.total_keys)
                            .number(row.total_clicks)
                            .number(row.active_seconds)
                            .end_row();
                    }
                    Ok(Some((Bytes::from(csv.take()), next)))
                }
            });
            first.chain(rest).boxed()
        }
    };
    Ok(Download { filename, body })
}

/// The per-day or per-hour rows of the days `start..=end`, quiet days included.
async fn day_rows(
    database: &Database,
    user_id: i64,
    kind: CsvKind,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<String, AppError> {
    let stored: std::collections::HashMap<String, Vec<u8>> =
        store::days::range(database, user_id, &start.to_string(), &end.to_string()).await?.into_iter().collect();
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let seconds = |ms: i64| count(ms) as f64 / 1000.0;
    let mut csv = Csv::new();
    for date in start.iter_days().take_while(|d| *d <= end) {
        let name = date.to_string();
        let day = match stored.get(&name) {
            Some(bytes) => store::days::decode::<DayTotals>(bytes).map_err(AppError::internal)?.shaped(),
            None => DayTotals::default().shaped(),
        };
        if kind == CsvKind::Day {
            csv.number(&name)
                .text(&date.weekday().to_string())
                .number(count(day.presses()))
                .number(count(day.clicks.iter().sum()))
                .number(count(day.clicks[0]))
                .number(count(day.clicks[1]))
                .number(count(day.clicks[2]))
                .number(count(day.clicks[3]))
                .number(count(day.active_minutes))
                .number(count(day.active_seconds))
                .number(count(day.typed_keys))
                .decimal(seconds(day.typing_ms), 3)
                .decimal(words_per_minute(count(day.typed_keys), count(day.typing_ms)), 1)
                .number(count(day.distance_px))
                .number(count(day.scroll_vertical))
                .number(count(day.scroll_horizontal))
                .end_row();
        } else {
            for hour in 0..24 {
                csv.number(&name)
                    .number(hour)
                    .number(count(day.keys_by_hour[hour]))
                    .number(count(day.clicks_by_hour[hour]))
                    .number(count(day.minutes_by_hour[hour]))
                    .number(count(day.seconds_by_hour[hour]))
                    .number(count(day.typed_by_hour[hour]))
                    .decimal(seconds(day.typing_ms_by_hour[hour]), 3)
                    .end_row();
            }
        }
    }
    Ok(csv.take())
}

/// A CSV of a team's figures, made of exactly what `teams::stats` gives the asking member (the
/// team dashboard's own numbers, under its consent and at-least-3 rules).
pub async fn team_csv(
    database: &Database,
    team_id: i64,
    user_id: i64,
    kind: TeamCsvKind,
    query: &RangeQuery,
    now: i64,
) -> Result<Download, AppError> {
    let stats = teams::stats(database, team_id, user_id, query, now).await?;
    let mut csv = Csv::new();
    csv.comment(&format!(
        "KeyTrack team export ({} rows) of {}: days {} to {}; each member's days in their own time zone; team figures only where at least {} members were active",
        kind.key(),
        stats.team_name,
        stats.from,
        stats.to,
        keytrack_wire::MIN_CONTRIBUTORS
    ));
    match kind {
        TeamCsvKind::Members => {
            csv.header(&["who", "key_presses", "clicks", "active_seconds", "words_per_minute", "active_days"]);
            if let Some(totals) = &stats.totals {
                csv.text("Team total")
                    .number(totals.total_keys)
                    .number(totals.total_clicks)
                    .number(totals.active_seconds)
                    .decimal(totals.wpm, 1)
                    .text("")
                    .end_row();
                csv.text("Average per contributor")
                    .number(totals.average_keys)
                    .number(totals.average_clicks)
                    .number(totals.average_active_seconds)
                    .text("")
                    .text("")
                    .end_row();
            }
            for member in &stats.member_figures {
                csv.text(&member.name)
                    .number(member.total_keys)
                    .number(member.total_clicks)
                    .number(member.active_seconds)
                    .decimal(member.wpm, 1)
                    .number(member.active_days)
                    .end_row();
            }
        }
        TeamCsvKind::Hours => {
            csv.header(&["weekday", "hour", "key_presses"]);
            if let Some(totals) = &stats.totals {
                for (weekday, hours) in totals.by_weekday_hour.iter().enumerate() {
                    let name = chrono::Weekday::try_from(u8::try_from(weekday).unwrap_or(0))
                        .map_or_else(|_| weekday.to_string(), |d| d.to_string());
                    for (hour, presses) in hours.iter().enumerate() {
                        csv.text(&name).number(hour).number(presses).end_row();
                    }
                }
            }
        }
        TeamCsvKind::Shortcuts => {
            csv.header(&["shortcut", "code", "presses"]);
            let layout = KeyboardLayout::or_us(&accounts::account(database, user_id).await?.keyboard_layout);
            for chord in stats.totals.iter().flat_map(|t| &t.top_chords) {
                csv.text(&layout.shortcut_name(&chord.chord)).text(&chord.chord).number(chord.count).end_row();
            }
        }
    }
    let filename = format!("keytrack-team-{team_id}-{}-{}-to-{}.csv", kind.key(), stats.from, stats.to);
    Ok(Download::whole(filename, csv.take()))
}

/// Hours of minute records per chunk of the JSON export (up to 60 records of a few hundred bytes
/// each).
const HOURS_PER_CHUNK: i64 = 40;
/// Hour blocks per chunk: a block with its pointer grids runs to tens of kilobytes, so a chunk of
/// 2,000 would hold most of a year's blocks in memory at once.
const BLOCKS_PER_CHUNK: i64 = 50;

/// Where the JSON export has got to.
enum JsonPart {
    /// Before the first device.
    Head,
    /// The minutes of device `index` after minute `after`.
    Minutes {
        index: usize,
        after: i64,
    },
    /// Its blocks after start `after`.
    Blocks {
        index: usize,
        after: i64,
    },
    Done,
}

/// Everything the server keeps about the user as one JSON document ([`AccountExport`]), streamed.
pub async fn account_json(database: &Database, user_id: i64, now: i64) -> Result<Download, AppError> {
    let account = accounts::account(database, user_id).await?;
    let created_at = store::data::created_at(database, user_id).await?.ok_or(AppError::NotFound)?;
    let tokens: Vec<TokenExport> = store::tokens::list(database, user_id)
        .await?
        .into_iter()
        .rev()
        .map(|t| TokenExport {
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        })
        .collect();
    let teams: Vec<MembershipExport> = store::data::memberships(database, user_id)
        .await?
        .into_iter()
        .map(|(team, role, shares_figures, joined_at)| MembershipExport {
            team,
            role: TeamRole::parse(&role).unwrap_or(TeamRole::Member),
            shares_figures,
            joined_at,
        })
        .collect();
    let devices = store::data::devices(database, user_id, store::data::NO_DAY).await?;
    // The head is the whole document but its devices (its last field), written by serde with an
    // empty list, then opened where the list begins.
    let head = AccountExport {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        exported_at: now,
        account,
        created_at,
        devices: Vec::new(),
        tokens,
        teams,
    };
    let mut head = serde_json::to_string(&head).map_err(AppError::internal)?;
    let open_at = head
        .strip_suffix("\"devices\":[]}")
        .map(str::len)
        .ok_or_else(|| AppError::internal("the export head does not end with its devices"))?;
    head.replace_range(open_at.., "");
    head.push_str("\"devices\":[");
    let head_json = head;
    let database = database.clone();
    let day = chrono::DateTime::from_timestamp(now, 0).map(|t| t.date_naive().to_string()).unwrap_or_default();
    let body = futures::stream::try_unfold(JsonPart::Head, move |part| {
        let (database, devices, head_json) = (database.clone(), devices.clone(), head_json.clone());
        async move {
            let device_head = |index: usize| -> Result<String, AppError> {
                let d = &devices[index];
                let id = serde_json::to_string(&d.agent_device_id).map_err(AppError::internal)?;
                let name = serde_json::to_string(&d.name).map_err(AppError::internal)?;
                Ok(format!(
                    "{}{{\"id\":{id},\"name\":{name},\"first_seen\":{},\"last_seen\":{},\"minutes\":[",
                    if index == 0 { "" } else { "," },
                    d.first_seen,
                    d.last_seen
                ))
            };
            match part {
                JsonPart::Head => {
                    if devices.is_empty() {
                        return Ok(Some((Bytes::from(head_json + "]}"), JsonPart::Done)));
                    }
                    Ok(Some((
                        Bytes::from(head_json + &device_head(0)?),
                        JsonPart::Minutes { index: 0, after: i64::MIN },
                    )))
                }
                JsonPart::Minutes { index, after } => {
                    let device_id = devices[index].id;
                    let hours =
                        store::activity::hours_of_device(&database, user_id, device_id, after, HOURS_PER_CHUNK).await?;
                    let mut out = String::new();
                    for (i, record) in hours.iter().flat_map(|h| &h.records).enumerate() {
                        if after != i64::MIN || i > 0 {
                            out.push(',');
                        }
                        out.push_str(&serde_json::to_string(record).map_err(AppError::internal)?);
                    }
                    let next = match hours.last() {
                        Some(last) if hours.len() as i64 == HOURS_PER_CHUNK => {
                            JsonPart::Minutes { index, after: last.hour }
                        }
                        _ => {
                            out.push_str("],\"blocks\":[");
                            JsonPart::Blocks { index, after: i64::MIN }
                        }
                    };
                    Ok(Some((Bytes::from(out), next)))
                }
                JsonPart::Blocks { index, after } => {
                    let rows =
                        store::data::blocks_of_device(&database, user_id, devices[index].id, after, BLOCKS_PER_CHUNK)
                            .await?;
                    let mut out = String::new();
                    for (i, (_, stored)) in rows.iter().enumerate() {
                        let block: HourBlock = RecordCodec::with(|c| c.decode(stored)).map_err(AppError::internal)?;
                        if after != i64::MIN || i > 0 {
                            out.push(',');
                        }
                        out.push_str(&serde_json::to_string(&block).map_err(AppError::internal)?);
                    }
                    let next = match rows.last() {
                        Some((start, _)) if rows.len() as i64 == BLOCKS_PER_CHUNK => {
                            JsonPart::Blocks { index, after: *start }
                        }
                        _ if index + 1 < devices.len() => {
                            out.push_str("]}");
                            out.push_str(&device_head(index + 1)?);
                            JsonPart::Minutes { index: index + 1, after: i64::MIN }
                        }
                        _ => {
                            out.push_str("]}]}");
                            JsonPart::Done
                        }
                    };
                    Ok(Some((Bytes::from(out), next)))
                }
                JsonPart::Done => Ok(None),
            }
        }
    })
    .boxed();
    Ok(Download { filename: format!("keytrack-export-{day}.json"), body })
}

/// What an import stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    pub devices: usize,
    pub minutes: u64,
    pub blocks: u64,
}

/// Checks an export file's kind and version.
pub fn check_export(export: &AccountExport) -> Result<(), AppError> {
    if export.format != EXPORT_FORMAT {
        return Err(AppError::BadRequest(format!(
            "this is not a KeyTrack export (its format is \"{}\", not \"{EXPORT_FORMAT}\")",
            export.format
        )));
    }
    if export.version != EXPORT_VERSION {
        return Err(AppError::BadRequest(format!(
            "this export is of version {}; this server reads version {EXPORT_VERSION}",
            export.version
        )));
    }
    Ok(())
}

/// Loads an export's devices, minute records and hour blocks into the user's account, by the
/// upload path (each record replaces a stored copy of the same device and minute, so importing
/// twice changes nothing). Every batch is checked before the first is stored.
pub async fn import_records(
    database: &Database,
    uploads: &Uploads,
    user_id: i64,
    export: &AccountExport,
    now: i64,
) -> Result<Imported, AppError> {
    check_export(export)?;
    let mut batches = Vec::new();
    for device in &export.devices {
        // The dates a device keeps (the earliest and latest upload): as a server could have seen them.
        let latest = now.saturating_add(limits::MAX_FUTURE_SECS);
        if device.first_seen > device.last_seen
            || device.first_seen < limits::EARLIEST_MINUTE
            || device.last_seen > latest
        {
            return Err(AppError::BadRequest(format!(
                "device {}: first_seen and last_seen must be in order, from the year 2000 to now",
                device.id
            )));
        }
        let device_info = Device { id: device.id.clone(), name: device.name.clone() };
        let minutes = device.minutes.chunks(limits::MAX_MINUTES_PER_BATCH);
        let blocks = device.blocks.chunks(limits::MAX_BLOCKS_PER_BATCH);
        let rounds = minutes.len().max(blocks.len());
        let mut minutes = minutes.map(<[ActivityMinute]>::to_vec);
        let mut blocks = blocks.map(<[HourBlock]>::to_vec);
        for _ in 0..rounds {
            let batch = ActivityBatch {
                device: device_info.clone(),
                format: CURRENT_FORMAT,
                minutes: minutes.next().unwrap_or_default(),
                blocks: blocks.next().unwrap_or_default(),
            };
            batch.validate_restored(now).map_err(|e| AppError::BadRequest(format!("device {}: {e}", device.id)))?;
            batches.push(batch);
        }
    }
    // Devices keep the dates of their first and last upload, the earliest and latest of here and
    // there, rather than the time of the import.
    let here: std::collections::HashMap<String, (i64, i64)> =
        store::data::devices(database, user_id, store::data::NO_DAY)
            .await?
            .into_iter()
            .map(|d| (d.agent_device_id, (d.first_seen, d.last_seen)))
            .collect();
    let mut imported = Imported { devices: export.devices.len(), ..Imported::default() };
    for batch in batches {
        imported.minutes += batch.minutes.len() as u64;
        imported.blocks += batch.blocks.len() as u64;
        super::ingest::restore(uploads, user_id, batch, now).await?;
    }
    for device in &export.devices {
        let dates = match here.get(&device.id) {
            Some((first, last)) => ((*first).min(device.first_seen), (*last).max(device.last_seen)),
            None => (device.first_seen, device.last_seen),
        };
        store::data::set_device_dates(database, user_id, &device.id, dates).await?;
    }
    Ok(imported)
}
