//! The live routes (see `live` for the fan-out behind them): a dashboard's event stream, its own
//! or a team's, and the question an agent asks to learn whether anyone is watching.
//!
//! A stream tells a page *that* something changed, never what: the page fetches its figures
//! through the same server functions as a reload. A team stream goes further and speaks only when
//! the team's figures for today, as this viewer may see them, are not what they were: its events
//! reveal no more than reloading the page every second would.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::StreamExt;
use keytrack_wire::ApiError;
use keytrack_wire::live::{Arrival, LIVE_SECS, LiveHello, TeamChange, WATCH_WAIT_SECS, Watching, event};
use serde::Deserialize;

use super::extract::{ApiUser, read_query};
use super::state::AppState;
use crate::domain::range::RangeQuery;
use crate::server::error::AppError;
use crate::server::now;
use crate::server::services::live::{Heard, Stream};
use crate::server::services::{accounts, clock, teams};
use crate::server::store;

/// How soon a browser reconnects after the stream ends (a server restart, say).
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
/// Comments that keep idle streams open through proxies.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// A team stream looks at the team's figures at most this often, however many members upload.
const TEAM_LOOK_EVERY: Duration = Duration::from_millis(500);

type Events = Sse<axum::response::sse::KeepAliveStream<futures::stream::BoxStream<'static, Result<Event, Infallible>>>>;

fn json_event(name: &str, value: &impl serde::Serialize) -> Event {
    Event::default().event(name).json_data(value).unwrap_or_else(|_| Event::default().event(event::RESYNC).data(""))
}

fn sse(events: impl futures::Stream<Item = Event> + Send + 'static) -> Events {
    Sse::new(events.map(Ok).boxed()).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// The user's today, as their dashboard counts days.
async fn today_of(state: &AppState, user_id: i64) -> Result<String, AppError> {
    let account = accounts::account(&state.store.database, user_id).await?;
    Ok(clock::clock_of(&account)?.today(now()).to_string())
}

/// The user's own live stream.
#[utoipa::path(
    get,
    path = "/api/v1/live",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, content_type = "text/event-stream", description = "Server-sent events: `hello` (a LiveHello), then `arrival` (an Arrival) for every upload stored, `resync` when events were skipped"),
        (status = 401, body = ApiError),
        (status = 429, description = "The user has too many live views open", body = ApiError),
    )
)]
pub async fn own_stream(State(state): State<AppState>, user: ApiUser) -> Result<Events, AppError> {
    let user_id = user.0;
    let last = store::activity::last_upload(&state.store.database, user_id).await?.map(|(device, at)| Arrival {
        device,
        token_id: None,
        at,
        blocks: 0,
    });
    let hello = LiveHello { today: today_of(&state, user_id).await?, last };
    let stream = state.live.open(user_id, &[user_id])?;
    let first = json_event(event::HELLO, &hello).retry(RECONNECT_AFTER);
    let rest = futures::stream::unfold(stream, |mut stream| async move {
        loop {
            match stream.next().await {
                Heard::Arrival(_, arrival) => return Some((json_event(event::ARRIVAL, &arrival), stream)),
                Heard::Resync => return Some((Event::default().event(event::RESYNC).data(""), stream)),
                Heard::Announce => stream.announce(),
                Heard::Closed => return None,
            }
        }
    });
    Ok(sse(futures::stream::once(async { first }).chain(rest)))
}

/// A team's live stream.
#[utoipa::path(
    get,
    path = "/api/v1/teams/{id}/live",
    params(("id" = i64, Path, description = "The team")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, content_type = "text/event-stream", description = "Server-sent events: `hello` (a LiveHello), then `team-changed` (a TeamChange) whenever the team's figures for today, as this member may see them, change; `resync` when events were skipped"),
        (status = 401, body = ApiError),
        (status = 404, description = "No such team, or the user is not in it", body = ApiError),
        (status = 429, description = "The user has too many live views open", body = ApiError),
    )
)]
pub async fn team_stream(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Events, AppError> {
    let team_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let viewer = user.0;
    teams::membership(&state.store.database, team_id, viewer).await?;
    let members: Vec<i64> =
        store::teams::members(&state.store.database, team_id).await?.iter().map(|m| m.user_id).collect();
    let shown = team_today(&state, team_id, viewer).await?;
    let hello = LiveHello { today: today_of(&state, viewer).await?, last: None };
    let stream = state.live.open(viewer, &members)?;
    let first = json_event(event::HELLO, &hello).retry(RECONNECT_AFTER);
    let watch = TeamWatch { state, team_id, viewer, stream, shown, looked: tokio::time::Instant::now() };
    let rest = futures::stream::unfold(watch, |mut watch| async move {
        let event = watch.next_change().await?;
        Some((event, watch))
    });
    Ok(sse(futures::stream::once(async { first }).chain(rest)))
}

/// What a team page shows for today, as the viewer may see it (the same function as a reload).
async fn team_today(state: &AppState, team_id: i64, viewer: i64) -> Result<String, AppError> {
    let today = RangeQuery { range: Some("today".into()), ..RangeQuery::default() };
    let stats = teams::stats(&state.store.database, team_id, viewer, &today, now()).await?;
    serde_json::to_string(&stats).map_err(AppError::internal)
}

struct TeamWatch {
    state: AppState,
    team_id: i64,
    viewer: i64,
    stream: Stream,
    /// The figures the viewer's page last had reason to show.
    shown: String,
    looked: tokio::time::Instant,
}

impl TeamWatch {
    /// The next event for the page; `None` ends the stream (shutdown, or the viewer left the team).
    async fn next_change(&mut self) -> Option<Event> {
        loop {
            match self.stream.next().await {
                Heard::Arrival(..) => {}
                Heard::Resync => return Some(Event::default().event(event::RESYNC).data("")),
                Heard::Announce => {
                    self.stream.announce();
                    continue;
                }
                Heard::Closed => return None,
            }
            // Several members' uploads in a moment make one look.
            tokio::time::sleep_until(self.looked + TEAM_LOOK_EVERY).await;
            self.looked = tokio::time::Instant::now();
            match team_today(&self.state, self.team_id, self.viewer).await {
                Ok(figures) if figures != self.shown => {
                    self.shown = figures;
                    return Some(json_event(event::TEAM_CHANGED, &TeamChange { at: now() }));
                }
                Ok(_) => {}
                Err(AppError::NotFound) => return None,
                Err(error) => tracing::warn!(%error, team = self.team_id, "cannot follow the team's figures"),
            }
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WatchParams {
    /// Seconds to wait for a watcher when there is none yet (0 to 25, default 25).
    #[param(minimum = 0, maximum = 25)]
    wait: Option<u64>,
}

/// Whether a dashboard that shows the user's data is open: answered at once if so, else after a
/// watcher appears or `wait` seconds. Agents ask this to know when to send their open minute
/// often; old agents never ask and keep their cadence.
#[utoipa::path(
    get,
    path = "/api/v1/live/watching",
    params(WatchParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = Watching),
        (status = 400, description = "`wait` is not a number from 0 to 25", body = ApiError),
        (status = 401, body = ApiError),
    )
)]
pub async fn watching(
    State(state): State<AppState>,
    user: ApiUser,
    params: Result<Query<WatchParams>, QueryRejection>,
) -> Result<Json<Watching>, AppError> {
    let params = read_query(params)?;
    let wait = params.wait.unwrap_or(WATCH_WAIT_SECS);
    if wait > WATCH_WAIT_SECS {
        return Err(AppError::BadRequest(format!("wait: at most {WATCH_WAIT_SECS} seconds")));
    }
    let watching = state.live.wait_for_watcher(user.0, Duration::from_secs(wait)).await;
    Ok(Json(Watching { watching, live_secs: if watching { LIVE_SECS } else { 0 } }))
}
