//! `keytrack import`: a KeyTrack export (the JSON file of `GET /api/v1/export.json`) loaded into
//! an account of this server, made with the export's profile when it does not exist.

use std::path::Path;

use anyhow::Context;
use keytrack_wire::data::AccountExport;

use crate::server::error::AppError;
use crate::server::now;
use crate::server::services::{accounts, export};
use crate::server::store::{self, Store};

/// Loads an export file into an account of this server (see `Command::Import`).
pub async fn import(
    store: &Store,
    file: &Path,
    email: Option<String>,
    read_password: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    let database = &store.database;
    let reader =
        std::io::BufReader::new(std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?);
    let export: AccountExport = serde_json::from_reader(reader)
        .with_context(|| format!("{} is not a KeyTrack export (GET /api/v1/export.json)", file.display()))?;
    let public = |e: AppError| anyhow::anyhow!("{}", e.public_message());
    export::check_export(&export).map_err(public)?;
    let email = email.unwrap_or_else(|| export.account.email.clone());
    let user_id = match store::users::by_email(database, &email).await? {
        Some(user) => {
            eprintln!("loading into the existing account {email} (its profile stays as it is)");
            user.id
        }
        None => {
            eprintln!("making the account {email} with the export's profile");
            let password = read_password()?;
            let account = &export.account;
            let id = accounts::sign_up(database, &email, &password, &account.timezone).await.map_err(public)?;
            // An export from before layouts were kept names none: US, the default.
            let layout = if account.keyboard_layout.is_empty() { "us" } else { &account.keyboard_layout };
            accounts::save_profile(
                database,
                id,
                &account.display_name,
                &account.timezone,
                account.day_start_hour,
                layout,
            )
            .await
            .map_err(public)?;
            id
        }
    };
    let imported = export::import_records(database, &store.uploads, user_id, &export, now()).await.map_err(public)?;
    println!(
        "loaded {} devices, {} minute records and {} hour blocks into {email}",
        imported.devices, imported.minutes, imported.blocks
    );
    if !export.teams.is_empty() {
        let teams: Vec<&str> = export.teams.iter().map(|t| t.team.as_str()).collect();
        eprintln!("teams are not carried over; ask to be invited again to: {}", teams.join(", "));
    }
    Ok(())
}
