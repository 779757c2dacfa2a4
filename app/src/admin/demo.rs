//! `keytrack demo`: a demo account with 90 days of realistic synthetic activity (see
//! `keytrack_synth`), stored through the same path as real uploads (`services::ingest`), and a
//! demo team of it and four teammates; and the demo keyboard that types while the server runs.

use keytrack_synth::{SyntheticPerson, Typist};
use keytrack_wire::{Device, TeamRole};

use crate::server::error::AppError;
use crate::server::services::{auth, ingest};
use crate::server::store::{self, Database, Store};
use crate::server::web::state::AppState;

pub const DEMO_EMAIL: &str = "demo@keytrack.local";
pub const DEMO_PASSWORD: &str = "keytrack-demo";
pub const DEMO_TIMEZONE: &str = "Europe/Berlin";
const DAYS: i64 = 90;

/// The demo user's teammates in the demo team: (email, name, time zone). They cannot log in (their
/// password is random and never shown); they are there so the team dashboard has a team to show.
const TEAMMATES: [(&str, &str, &str); 4] = [
    ("grace@keytrack.local", "Grace", "America/New_York"),
    ("linus@keytrack.local", "Linus", "Europe/Helsinki"),
    ("margaret@keytrack.local", "Margaret", "Europe/London"),
    ("alan@keytrack.local", "Alan", "Asia/Tokyo"),
];
const TEAMMATE_DAYS: i64 = 30;
pub const DEMO_TEAM: &str = "Demo team";

/// What `demo` did.
pub struct DemoSummary {
    pub user_id: i64,
    pub minutes: usize,
    pub team_id: i64,
}

/// A demo account with no activity: created, or found and emptied.
async fn empty_account(
    database: &Database,
    email: &str,
    password: &str,
    name: &str,
    timezone: &str,
    day_start_hour: u8,
    now: i64,
) -> Result<i64, AppError> {
    let user_id = match store::users::by_email(database, email).await? {
        Some(user) => {
            let mut tx = database.begin_write().await?;
            store::data::delete_all_activity(&mut tx, user.id).await?;
            tx.commit().await?;
            user.id
        }
        None => {
            let hash = auth::hash_password(password.to_string()).await?;
            store::users::insert(database, email, &hash, name, timezone, now)
                .await?
                .ok_or_else(|| AppError::internal("a demo user appeared while it was being created"))?
        }
    };
    store::users::update_profile(database, user_id, name, timezone, day_start_hour, "us").await?;
    Ok(user_id)
}

/// Creates the demo user (or reuses it, clearing its activity) and fills the last 90 days up to
/// `now`; then the demo team, with four teammates' last 30 days. The same seed gives the same
/// activity for the same `now`.
pub async fn create_demo(store: &Store, now: i64, seed: u64) -> Result<DemoSummary, AppError> {
    let database = &store.database;
    let user_id = empty_account(database, DEMO_EMAIL, DEMO_PASSWORD, "Demo User", DEMO_TIMEZONE, 4, now).await?;
    // A newcomer logged in as the demo sees the administration pages too.
    store::users::set_admin(database, user_id, true).await?;
    let minutes = fill_activity(store, user_id, DEMO_TIMEZONE, DAYS, now, seed).await?;

    let mut teammates = Vec::new();
    for (i, (email, name, timezone)) in TEAMMATES.into_iter().enumerate() {
        let (password, _) = auth::new_secret("");
        let id = empty_account(database, email, &password, name, timezone, 0, now).await?;
        fill_activity(store, id, timezone, TEAMMATE_DAYS, now, seed + 1 + i as u64).await?;
        teammates.push(id);
    }
    // A fresh demo team each time, everyone sharing their figures.
    let mut tx = database.begin_write().await?;
    store::teams::delete_owned_named(&mut tx, user_id, DEMO_TEAM).await?;
    let team_id = store::teams::insert(&mut tx, DEMO_TEAM, now).await?;
    store::teams::add_member(&mut tx, team_id, user_id, TeamRole::Owner.key(), true, now).await?;
    for (id, role) in teammates.into_iter().zip([TeamRole::Admin, TeamRole::Member, TeamRole::Member, TeamRole::Member])
    {
        store::teams::add_member(&mut tx, team_id, id, role.key(), true, now).await?;
    }
    tx.commit().await?;
    Ok(DemoSummary { user_id, minutes, team_id })
}

/// Stores `days` days of synthetic activity up to `now` for the user (the demo's, the teammates'
/// and the benchmark's), about one upload per day from one laptop. Returns the number of minute
/// records.
pub async fn fill_activity(
    store: &Store,
    user_id: i64,
    timezone: &str,
    days: i64,
    now: i64,
    seed: u64,
) -> Result<usize, AppError> {
    let device = Device { id: "demo-laptop".into(), name: "Demo laptop".into() };
    let mut minutes = 0;
    let mut first_upload = now;
    let person = SyntheticPerson::new(timezone, days, now, seed).map_err(|e| AppError::BadRequest(e.to_string()))?;
    for batch in keytrack_synth::uploads(&device, person, 1_440, usize::MAX) {
        minutes += batch.minutes.len();
        first_upload = batch.minutes.iter().map(|m| m.minute).fold(first_upload, i64::min);
        ingest::store(&store.uploads, user_id, demo_agent("linux x86_64"), batch, now).await?;
    }
    // The devices page shows the laptop in use since its first minute, not since the demo was made.
    store::data::set_device_dates(&store.database, user_id, &device.id, (first_upload, now)).await?;
    Ok(minutes)
}

/// The demo's devices upload as an agent of this release would, so that the devices page shows
/// what a real one does.
fn demo_agent(platform: &str) -> ingest::UploadSource {
    let agent = keytrack_wire::data::AgentIdentity {
        version: env!("CARGO_PKG_VERSION").to_string(),
        platform: platform.to_string(),
    };
    ingest::UploadSource { token_id: None, agent: Some(agent), capture: Some("x11".into()) }
}

/// The demo account's second device, which types while the server runs with `--demo-typing`, so
/// that a newcomer's dashboard moves: it sends its open minute every [`DEMO_TYPING_EVERY`] through
/// the same path as an agent (the merge rule, the hour-block rule) and tells the live view.
const DEMO_KEYBOARD: (&str, &str) = ("demo-keyboard", "Demo keyboard (live)");
pub const DEMO_TYPING_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs the demo keyboard until the server stops; does nothing without a demo account.
pub async fn keep_typing(state: AppState) {
    let user_id = match store::users::by_email(&state.store.database, DEMO_EMAIL).await {
        Ok(Some(user)) => user.id,
        Ok(None) => return tracing::warn!("--demo-typing: no demo account here (run `keytrack demo` first)"),
        Err(error) => return tracing::warn!(%error, "--demo-typing: cannot look for the demo account"),
    };
    let device = Device { id: DEMO_KEYBOARD.0.into(), name: DEMO_KEYBOARD.1.into() };
    let mut typist = match Typist::new(DEMO_TIMEZONE, 7) {
        Ok(typist) => typist,
        Err(error) => return tracing::warn!(%error, "--demo-typing"),
    };
    tracing::info!("the demo keyboard types every {} s while the server runs", DEMO_TYPING_EVERY.as_secs());
    let mut tick = tokio::time::interval(DEMO_TYPING_EVERY);
    let closed = state.live.closed();
    tokio::pin!(closed);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = &mut closed => return,
        }
        let now = crate::server::now();
        let batch = typist.upload(&device, now);
        let stored =
            ingest::upload(&state.store.uploads, &state.live, user_id, demo_agent("windows x86_64"), batch, now).await;
        if let Err(error) = stored {
            tracing::warn!(%error, "the demo keyboard's upload was not stored");
        }
    }
}
