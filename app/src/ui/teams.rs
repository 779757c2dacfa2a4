//! Teams: the list of the user's teams, a team's dashboard and management, and joining by invite.

use keytrack_wire::{
    HUMAN_MAX_PRESSES_PER_MINUTE, HUMAN_MAX_WPM, MIN_CONTRIBUTORS, MemberFigures, TeamRole, TeamStats,
};
use leptos::prelude::*;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::charts::{ACCENT, Chart, Grouping, GroupingToggle, SECOND, WeekdayHour, chart_options};
use super::data::{ExportMenu, TEAM_CSV_KINDS};
use super::live::{LiveBadge, use_live_feed};
use super::range::{RangeFilter, use_range_query};
use super::session::{Auth, LogInOrSignUp, RequireLogin, use_auth};
use super::widgets::{DangerButton, ErrorNote, action_error};
use crate::api::UiError;
use crate::api::teams::{
    CreateInvite, CreateTeam, DeleteTeam, InviteSummary, JoinTeam, LeaveTeam, RemoveMember, RevokeInvite,
    SetMemberRole, SetTeamSharing, TeamDetails, my_teams, preview_invite, team_dashboard, team_page,
};
use crate::domain::format::{count, duration};
use crate::domain::range::RangeQuery;
use crate::domain::team::{InviteStatus, MemberColumn, leaderboard, may_remove, may_set_role, sort_members};
use crate::model::InvitePreview;

/// What a member shares, said the same way when joining and when changing it later.
#[component]
fn WhatTheTeamSees() -> impl IntoView {
    view! {
        <ul class="consent" data-testid="what-the-team-sees">
            <li>
                <strong>"Always: "</strong>
                "your name, your role, and your activity counted into the team's totals (key presses, clicks, active time, typing speed, weekday and hour rhythm, top shortcuts), for the hours in which at least "
                {MIN_CONTRIBUTORS}
                " members were counted. If you keep your figures private, you count in an hour only when at least "
                {MIN_CONTRIBUTORS}
                " members who keep theirs private (you included) were active in it, so that no team number, and no difference of two, is ever your own."
            </li>
            <li>
                <strong>"Only if you choose to share your figures: "</strong>
                "your own totals (key presses, clicks, active time, typing speed, active days) in the member table and leaderboards."
            </li>
            <li>
                <strong>"Never: "</strong>
                "what you type, which keys you press, your click positions, or anything outside the team's dashboard. You can change your choice or leave at any time; it takes effect at once."
            </li>
        </ul>
    }
}

#[component]
pub fn TeamsPage() -> impl IntoView {
    view! {
        <RequireLogin>
            <TeamList/>
        </RequireLogin>
    }
}

#[component]
fn TeamList() -> impl IntoView {
    let create = ServerAction::<CreateTeam>::new();
    let teams = Resource::new(move || create.version().get(), |_| my_teams());
    let create_error = action_error(*create);
    view! {
        <section class="card">
            <h1>"Teams"</h1>
            <p class="muted">
                "Compare activity with colleagues, with everyone's consent: members choose whether the team sees their own figures or only counts them into team totals."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    teams
                        .get()
                        .map(|teams| match teams {
                            Ok(list) if list.is_empty() => {
                                view! { <p class="muted" data-testid="no-teams">"You are not in a team yet."</p> }.into_any()
                            }
                            Ok(list) => {
                                view! {
                                    <ul class="team-list" data-testid="team-list">
                                        {list
                                            .into_iter()
                                            .map(|team| {
                                                view! {
                                                    <li>
                                                        <A href=format!("/teams/{}", team.id)>{team.name}</A>
                                                        <span class="muted">
                                                            {format!(
                                                                " {} · {} member{} · {}",
                                                                team.role.label(),
                                                                team.members,
                                                                if team.members == 1 { "" } else { "s" },
                                                                if team.shares_figures { "you share your figures" } else { "you share totals only" },
                                                            )}
                                                        </span>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        })
                }}
            </Transition>
        </section>
        <div class="columns">
            <section class="card">
                <h2>"Create a team"</h2>
                <ActionForm action=create attr:class="form" attr:data-testid="create-team-form">
                    <label>"Name" <input type="text" name="name" maxlength="80" placeholder="Design team" required/></label>
                    {create_error}
                    <button type="submit" disabled=move || create.pending().get()>"Create team"</button>
                </ActionForm>
            </section>
            <section class="card">
                <h2>"Join with a code"</h2>
                <Form action="/join" method="GET" attr:class="form">
                    <label>"Invite code" <input type="text" name="code" placeholder="kti_…" required/></label>
                    <button type="submit">"Continue"</button>
                </Form>
            </section>
        </div>
    }
}

/// `/join/CODE` (a link) or `/join?code=CODE` (typed in): what the team is and what joining shares.
#[component]
pub fn JoinPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let code = Memo::new(move |_| {
        params.with(|p| p.get("code")).or_else(|| query.with(|q| q.get("code"))).unwrap_or_default()
    });
    // One look-up for both views, made outside RequireLogin (as `PairPage`'s is).
    let preview = Resource::new(move || code.get(), preview_invite);
    view! {
        <RequireLogin logged_out=move || view! { <JoinAsVisitor preview/> }>
            <Join code preview/>
        </RequireLogin>
    }
}

/// An invite opened logged out: which team invites, and the way in (back to the invite after).
#[component]
fn JoinAsVisitor(preview: Resource<Result<InvitePreview, UiError>>) -> impl IntoView {
    view! {
        <section class="card narrow">
            <Transition fallback=|| view! { <p class="muted">"Loading the invite…"</p> }>
                {move || {
                    preview
                        .get()
                        .map(|preview| match preview {
                            Ok(preview) => view! {
                                <h1 data-testid="join-team-name">{format!("Join {}", preview.team_name)}</h1>
                                <p data-testid="invited-by">{format!("{} invited you to this team.", preview.invited_by)}</p>
                                <p><LogInOrSignUp to="to join it."/></p>
                            }
                            .into_any(),
                            Err(error) => view! {
                                <h1>"Join a team"</h1>
                                <ErrorNote error/>
                                <p><LogInOrSignUp to="to see your teams."/></p>
                            }
                            .into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn Join(code: Memo<String>, preview: Resource<Result<InvitePreview, UiError>>) -> impl IntoView {
    let join = ServerAction::<JoinTeam>::new();
    let join_error = action_error(*join);
    let clock = use_auth().clock();
    view! {
        <section class="card narrow">
            <Transition fallback=|| view! { <p class="muted">"Loading the invite…"</p> }>
                {move || {
                    preview
                        .get()
                        .map(|preview| match preview {
                            Ok(preview) if preview.team_id.is_some() => {
                                let id = preview.team_id.unwrap_or_default();
                                view! {
                                    <h1>{preview.team_name}</h1>
                                    <p>"You are in this team already. " <A href=format!("/teams/{id}")>"Open its dashboard"</A></p>
                                }
                                    .into_any()
                            }
                            Ok(preview) => {
                                view! {
                                    <h1 data-testid="join-team-name">{format!("Join {}", preview.team_name)}</h1>
                                    <p class="muted">
                                        {format!(
                                            "{} invited you. The team has {} member{}. This invite is valid until {}.",
                                            preview.invited_by,
                                            preview.members,
                                            if preview.members == 1 { "" } else { "s" },
                                            clock.minute(preview.expires_at),
                                        )}
                                    </p>
                                    <h2>"What the team will see"</h2>
                                    <WhatTheTeamSees/>
                                    <ActionForm action=join attr:class="form" attr:data-testid="join-form">
                                        <input type="hidden" name="code" prop:value=move || code.get()/>
                                        <fieldset>
                                            <legend>"Your choice"</legend>
                                            <label class="choice">
                                                <input type="radio" name="shares_figures" value="false" checked/>
                                                "Totals only: count me into the team's totals, show nobody my own figures"
                                            </label>
                                            <label class="choice">
                                                <input type="radio" name="shares_figures" value="true"/>
                                                "Share my figures: also show my own totals in the member table and leaderboards"
                                            </label>
                                        </fieldset>
                                        {join_error}
                                        <button type="submit" disabled=move || join.pending().get()>"Join the team"</button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <h1>"Join a team"</h1> <ErrorNote error/> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

#[component]
pub fn TeamPage() -> impl IntoView {
    // Made here, outside RequireLogin's Transition, for the reason the dashboard's are (see
    // `home::HomePage`): inside it, the server made, fetched and sent them three times.
    let data = TeamData::new(use_auth());
    view! {
        <RequireLogin>
            <Team data/>
        </RequireLogin>
    }
}

/// What the team page shows: the team and its figures for the range in the URL, fetched only
/// for someone logged in, and the actions that reload them.
#[derive(Clone, Copy)]
struct TeamData {
    query: Memo<RangeQuery>,
    actions: TeamActions,
    details: Resource<Result<TeamDetails, UiError>>,
    stats: Resource<Result<TeamStats, UiError>>,
    /// Bumped by the team's live stream (see TeamLive) while the range ends today.
    live_changes: RwSignal<u64>,
}

impl TeamData {
    fn new(auth: Auth) -> TeamData {
        let params = use_params_map();
        let team_id =
            Memo::new(move |_| params.with(|p| p.get("id")).and_then(|id| id.parse::<i64>().ok()).unwrap_or(0));
        let query = use_range_query();
        let actions = TeamActions::new();
        let details = Resource::new(
            move || (team_id.get(), actions.version()),
            move |(id, _)| auth.when_logged_in(team_page(id)),
        );
        let live_changes = RwSignal::new(0u64);
        let stats = Resource::new(
            move || (team_id.get(), query.get(), actions.version(), live_changes.get()),
            move |(id, q, _, _)| auth.when_logged_in(team_dashboard(id, q.range, q.from, q.to)),
        );
        TeamData { query, actions, details, stats, live_changes }
    }
}

/// The actions of the team page; every one of them reloads the page's data.
#[derive(Clone, Copy)]
struct TeamActions {
    sharing: ServerAction<SetTeamSharing>,
    role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
    leave: ServerAction<LeaveTeam>,
    delete: ServerAction<DeleteTeam>,
    invite: ServerAction<CreateInvite>,
    revoke: ServerAction<RevokeInvite>,
}

impl TeamActions {
    fn new() -> TeamActions {
        TeamActions {
            sharing: ServerAction::new(),
            role: ServerAction::new(),
            remove: ServerAction::new(),
            leave: ServerAction::new(),
            delete: ServerAction::new(),
            invite: ServerAction::new(),
            revoke: ServerAction::new(),
        }
    }

    fn version(&self) -> [usize; 7] {
        [
            self.sharing.version().get(),
            self.role.version().get(),
            self.remove.version().get(),
            self.leave.version().get(),
            self.delete.version().get(),
            self.invite.version().get(),
            self.revoke.version().get(),
        ]
    }
}

#[component]
fn Team(data: TeamData) -> impl IntoView {
    let TeamData { query, actions, details, stats, live_changes } = data;
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the team…"</p> }>
            {move || {
                details
                    .get()
                    .map(|details| match details {
                        Ok(details) => {
                            view! {
                                <h1 class="team-name">
                                    {details.name.clone()}
                                    " "
                                    <small class="muted">{format!("you are {}", details.my_role.label().to_lowercase())}</small>
                                </h1>
                                <RangeFilter query path=format!("/teams/{}", details.id)/>
                                <ExportMenu
                                    base=format!("/api/v1/teams/{}", details.id)
                                    query
                                    kinds=TEAM_CSV_KINDS
                                />
                                <TeamLive team_id=details.id query changes=live_changes/>
                                <TeamDashboard stats/>
                                <div class="columns">
                                    <Sharing details=details.clone() actions/>
                                    <Members details=details.clone() actions/>
                                </div>
                                <Show when={
                                    let manages = details.my_role.manages();
                                    move || manages
                                }>
                                    <Invites details=details.clone() actions/>
                                </Show>
                            }
                                .into_any()
                        }
                        Err(UiError::NotFound) => {
                            view! {
                                <section class="card narrow">
                                    <h1>"Team not found"</h1>
                                    <p>"There is no such team, or you are not one of its members."</p>
                                    <p><A href="/teams">"Your teams"</A></p>
                                </section>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! {
                                <section class="card narrow">
                                    <h1>"The team could not be shown"</h1>
                                    <ErrorNote error/>
                                    <p><A href="/teams">"Your teams"</A></p>
                                </section>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// The team's live stream: while the range ends today, `changes` goes up whenever the team's
/// figures for today, as this member may see them, change (the server decides; see `streams`).
#[component]
fn TeamLive(team_id: i64, query: Memo<RangeQuery>, changes: RwSignal<u64>) -> impl IntoView {
    let feed = use_live_feed(format!("/api/v1/teams/{team_id}/live"));
    let following = Memo::new(move |_| feed.follows(query.get().to.as_deref()));
    Effect::new(move |_| {
        if feed.changes.get() > 0 && following.get_untracked() {
            changes.update(|n| *n += 1);
        }
    });
    view! {
        <Show when=move || following.get()>
            <LiveBadge feed team=true/>
        </Show>
    }
}

#[component]
fn TeamDashboard(stats: Resource<Result<TeamStats, crate::api::UiError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the team's activity…"</p> }>
            {move || {
                stats
                    .get()
                    .map(|stats| match stats {
                        Ok(stats) => {
                            view! {
                                <TeamSummaryCard stats=stats.clone()/>
                                <div class="columns">
                                    {stats
                                        .totals
                                        .clone()
                                        .map(|totals| {
                                            view! {
                                                <WeekdayHour
                                                    grid=totals.by_weekday_hour.clone()
                                                    widget="team-rhythm"
                                                    caption="The team's key presses per weekday and hour, each member in their own time zone"
                                                />
                                                <TopChords totals/>
                                            }
                                        })}
                                </div>
                                <TeamActivity stats=stats.clone()/>
                                <TeamErgonomicsCard stats=stats.clone()/>
                                <MemberComparison stats=stats.clone()/>
                                <Leaderboards stats/>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// The team's key presses over time, per day, week or month, with each sharing member's own trend
/// beside it. The team's series holds only the hours that count (see the team rules).
#[component]
fn TeamActivity(stats: TeamStats) -> impl IntoView {
    let Some(team) = stats.totals.as_ref().map(|t| t.daily_keys.clone()).filter(|d| !d.is_empty()) else {
        return ().into_any();
    };
    let days = stats.days.clone();
    let members: Vec<(String, Vec<u64>)> =
        stats.member_figures.iter().map(|m| (m.name.clone(), m.daily_keys.clone())).collect();
    let grouping = RwSignal::new(Grouping::for_days(days.len()));
    let config = move || {
        let mut series = vec![team.clone()];
        series.extend(members.iter().map(|(_, daily)| daily.clone()));
        let (labels, sums) = grouping.get().group(&days, &series);
        let mut datasets = vec![serde_json::json!({
            "type": "bar", "label": "Team (hours with 3+ members)", "data": sums[0], "backgroundColor": ACCENT, "order": 2,
        })];
        for (i, ((name, _), data)) in members.iter().zip(&sums[1..]).enumerate() {
            let colour = [SECOND, "#3aa876", "#9b59b6", "#c0392b", "#16a085", "#7f8c8d"][i % 6];
            datasets.push(serde_json::json!({
                "type": "line", "label": name, "data": data, "borderColor": colour, "backgroundColor": colour, "order": 1, "tension": 0.3,
            }));
        }
        serde_json::json!({ "type": "bar", "data": { "labels": labels, "datasets": datasets }, "options": chart_options(true) })
    };
    view! {
        <section class="card wide" data-widget="team-activity">
            <h2>"Activity over time"</h2>
            <GroupingToggle grouping/>
            {move || {
                let label = grouping.get().noun();
                view! {
                    <div data-testid="team-activity-chart" data-grouping=label>
                        <Chart config=config() label=format!("The team's key presses {label}, with each sharing member's")/>
                    </div>
                }
            }}
            <p class="muted small">
                "The team's bars hold only hours in which at least three members were active (private members only three at a time), like every team number; the lines are the members who share their figures."
            </p>
        </section>
    }
    .into_any()
}

/// The dashboard's ergonomic figures averaged over the members who share theirs.
#[component]
fn TeamErgonomicsCard(stats: TeamStats) -> impl IntoView {
    let body = match stats.ergonomics {
        Some(e) => {
            let figure = |value: String, label: &'static str, testid: &'static str| {
                view! {
                    <p>
                        <strong data-testid=testid>{value}</strong>
                        <span class="muted">{label}</span>
                    </p>
                }
            };
            view! {
                <div class="figures">
                    {figure(
                        format!("{:.0}% / {:.0}%", e.left_hand_share, 100.0 - e.left_hand_share),
                        " left / right hand",
                        "team-hand-balance",
                    )}
                    {figure(format!("{:.0}%", e.home_row_share), " on the home row", "team-home-row")}
                    {figure(format!("{:.0}%", e.little_finger_share), " little fingers", "team-little-fingers")}
                    {figure(format!("{:.0}%", e.modifier_share), " modifiers", "team-modifiers")}
                    {figure(format!("{:.2}", e.effort), " effort per key", "team-effort")}
                </div>
                <p class="muted small" data-testid="team-ergonomics-members">
                    {format!(
                        "The average of {} members who share their figures, each weighing the same. Private members are never in it.",
                        e.members
                    )}
                </p>
            }
                .into_any()
        }
        None => view! {
            <p class="muted">
                "Shown once at least three members who share their figures have typed in this range."
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="card" data-widget="team-ergonomics">
            <h2>"Ergonomics, on average"</h2>
            {body}
        </section>
    }
}

#[component]
fn TeamSummaryCard(stats: TeamStats) -> impl IntoView {
    let active = match stats.contributors {
        Some(active) => format!("{active} of {} members counted, from {} to {}", stats.members, stats.from, stats.to),
        None => format!(
            "{} member{}, from {} to {}",
            stats.members,
            if stats.members == 1 { "" } else { "s" },
            stats.from,
            stats.to
        ),
    };
    let body = match stats.totals {
        Some(t) => view! {
            <div class="cards">
                <div class="stat"><span class="label">"Key presses"</span><span class="value" data-testid="team-total-keys">{count(t.total_keys)}</span></div>
                <div class="stat"><span class="label">"Clicks"</span><span class="value">{count(t.total_clicks)}</span></div>
                <div class="stat"><span class="label">"Active time"</span><span class="value">{duration(t.active_seconds)}</span></div>
                <div class="stat"><span class="label">"Typing speed"</span><span class="value">{format!("{:.0} WPM", t.wpm)}</span></div>
            </div>
            <dl class="facts">
                <div><dt>"Per active member"</dt><dd data-testid="team-average">{format!("{} keys, {} clicks, {}", count(t.average_keys), count(t.average_clicks), duration(t.average_active_seconds))}</dd></div>
            </dl>
            <p class="muted small" data-testid="team-rule">
                {format!(
                    "Counted: the hours in which at least {MIN_CONTRIBUTORS} members were active (members who keep their figures private only where at least {MIN_CONTRIBUTORS} of them were), so that no member's own figures can be worked out from the team's."
                )}
            </p>
        }
        .into_any(),
        None => view! {
            <p class="note" data-testid="totals-hidden">
                {format!(
                    "Team totals appear for the hours in which at least {MIN_CONTRIBUTORS} members were active; in the chosen days there is none yet. (How many were active is not shown: in a small team it would tell who worked.)"
                )}
            </p>
        }
        .into_any(),
    };
    view! {
        <section data-widget="team-summary">
            <h2>"Team totals " <small class="muted" data-testid="team-range">{active}</small></h2>
            {body}
        </section>
    }
}

#[component]
fn TopChords(totals: keytrack_wire::TeamTotals) -> impl IntoView {
    let layout = use_auth().layout();
    view! {
        <section class="card" data-widget="team-combos">
            <h2>"Top shortcuts of the team"</h2>
            {if totals.top_chords.is_empty() {
                view! { <p class="muted">"Nobody used a shortcut in these days."</p> }.into_any()
            } else {
                view! {
                    <ol class="ranked">
                        {totals
                            .top_chords
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <li data-key=c.chord.clone()>
                                        <kbd>{layout.shortcut_name(&c.chord)}</kbd>
                                        <span>{count(c.count)}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
    }
}

/// The sharing members side by side: a table sorted by any column, and a chart.
#[component]
fn MemberComparison(stats: TeamStats) -> impl IntoView {
    let members = stats.member_figures;
    let (sort, set_sort) = signal((MemberColumn::Keys, true));
    let config = serde_json::json!({
        "type": "bar",
        "data": {
            "labels": members.iter().map(|m| m.name.clone()).collect::<Vec<_>>(),
            "datasets": [
                { "label": "Key presses", "data": members.iter().map(|m| m.total_keys).collect::<Vec<_>>(), "backgroundColor": ACCENT },
                { "label": "Clicks", "data": members.iter().map(|m| m.total_clicks).collect::<Vec<_>>(), "backgroundColor": SECOND },
            ],
        },
        "options": chart_options(true),
    });
    let body = if members.is_empty() {
        view! { <p class="muted" data-testid="no-sharing-members">"No member shares their own figures yet."</p> }
            .into_any()
    } else {
        let rows = move || {
            let mut sorted = members.clone();
            let (column, descending) = sort.get();
            sort_members(&mut sorted, column, descending);
            sorted
        };
        view! {
            <table class="members sortable" data-testid="member-table">
                <thead>
                    <tr>
                        {MemberColumn::ALL
                            .into_iter()
                            .map(|column| {
                                let state = move || {
                                    let (current, descending) = sort.get();
                                    (current == column).then_some(if descending { "descending" } else { "ascending" })
                                };
                                view! {
                                    <th scope="col" aria-sort=move || state().unwrap_or("none")>
                                        <button
                                            type="button"
                                            class="link"
                                            on:click=move |_| {
                                                set_sort.update(|(current, descending)| {
                                                    if *current == column {
                                                        *descending = !*descending;
                                                    } else {
                                                        *current = column;
                                                        *descending = column != MemberColumn::Name;
                                                    }
                                                })
                                            }
                                        >
                                            {column.label()}
                                            {move || match state() {
                                                Some("descending") => " ▼",
                                                Some(_) => " ▲",
                                                None => "",
                                            }}
                                        </button>
                                    </th>
                                }
                            })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        rows()
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <tr data-member=m.name.clone()>
                                        <th scope="row">{m.name.clone()}</th>
                                        <td class="n" data-testid="member-keys">{count(m.total_keys)}</td>
                                        <td class="n">{count(m.total_clicks)}</td>
                                        <td class="n">{duration(m.active_seconds)}</td>
                                        <td class="n">{format!("{:.0}", m.wpm)}</td>
                                        <td class="n">{m.active_days}</td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            <Chart config label="Key presses and clicks per sharing member".to_string()/>
        }
        .into_any()
    };
    view! {
        <section class="card" data-widget="team-members">
            <h2>"Members who share their figures"</h2>
            {body}
        </section>
    }
}

#[component]
fn Leaderboards(stats: TeamStats) -> impl IntoView {
    let members = stats.member_figures;
    let board = |title: &'static str, column: MemberColumn, value: fn(&MemberFigures) -> String| {
        view! {
            <div>
                <h3>{title}</h3>
                <ol class="ranked">
                    {leaderboard(&members, column, 5)
                        .into_iter()
                        .map(|m| view! { <li><span>{m.name.clone()}</span><span>{value(&m)}</span></li> })
                        .collect_view()}
                </ol>
            </div>
        }
    };
    view! {
        <section class="card" data-widget="team-leaderboard">
            <h2>"Leaderboards"</h2>
            <p class="muted small">
                {format!(
                    "Members who share their figures. An hour counts at most what a person can do in it (typing up to {HUMAN_MAX_WPM} WPM, {HUMAN_MAX_PRESSES_PER_MINUTE} key presses a minute)."
                )}
            </p>
            <div class="boards">
                {board("Most key presses", MemberColumn::Keys, |m| count(m.total_keys))}
                {board("Fastest typing", MemberColumn::Wpm, |m| format!("{:.0} WPM", m.wpm))}
                {board("Most active time", MemberColumn::ActiveTime, |m| duration(m.active_seconds))}
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn Sharing(details: TeamDetails, actions: TeamActions) -> impl IntoView {
    let error = action_error(*actions.sharing);
    let shares = details.shares_figures;
    view! {
        <section class="card">
            <h2>"What you share"</h2>
            <p data-testid="my-sharing">
                {if shares { "You share your own figures with this team." } else { "The team sees only totals of your activity." }}
            </p>
            <WhatTheTeamSees/>
            <ActionForm action=actions.sharing attr:class="form" attr:data-testid="sharing-form">
                <input type="hidden" name="team_id" value=details.id/>
                <label class="choice">
                    <input type="radio" name="shares_figures" value="false" checked=!shares/>
                    "Totals only"
                </label>
                <label class="choice">
                    <input type="radio" name="shares_figures" value="true" checked=shares/>
                    "Share my figures"
                </label>
                {error}
                <button type="submit" disabled=move || actions.sharing.pending().get()>"Save my choice"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Members(details: TeamDetails, actions: TeamActions) -> impl IntoView {
    let (confirm_delete, set_confirm_delete) = signal(false);
    let me = details.my_role;
    let team_id = details.id;
    let role_error = action_error(*actions.role);
    let remove_error = action_error(*actions.remove);
    let leave_error = action_error(*actions.leave);
    let delete_error = action_error(*actions.delete);
    view! {
        <section class="card">
            <h2>"Members"</h2>
            {role_error}
            {remove_error}
            <table class="members" data-testid="member-list">
                <tbody>
                    {details
                        .members
                        .into_iter()
                        .map(|member| {
                            let is_me = member.user_id == details.my_user_id;
                            let can_change = !is_me && TeamRole::ALL.into_iter().any(|r| r != member.role && may_set_role(me, member.role, r));
                            let can_remove = !is_me && may_remove(me, member.role);
                            let member_id = member.user_id;
                            let role_label = format!("Role of {}", member.name);
                            let remove_label = format!("Remove {} from the team", member.name);
                            view! {
                                <tr data-member=member.name.clone()>
                                    <th scope="row">{member.name.clone()} {is_me.then_some(" (you)")}</th>
                                    <td>
                                        {if can_change {
                                            view! {
                                                <ActionForm action=actions.role attr:class="inline">
                                                    <input type="hidden" name="team_id" value=team_id/>
                                                    <input type="hidden" name="member_id" value=member_id/>
                                                    <select name="role" aria-label=role_label>
                                                        {TeamRole::ALL
                                                            .into_iter()
                                                            .filter(|r| *r == member.role || may_set_role(me, member.role, *r))
                                                            .map(|r| view! { <option value=r.key() selected=r == member.role>{r.label()}</option> })
                                                            .collect_view()}
                                                    </select>
                                                    <button type="submit">"Change"</button>
                                                </ActionForm>
                                            }
                                                .into_any()
                                        } else {
                                            view! { <span class="role">{member.role.label()}</span> }.into_any()
                                        }}
                                    </td>
                                    <td>
                                        <Show when=move || can_remove>
                                            <DangerButton
                                                text="Remove"
                                                label=remove_label.clone()
                                                pending=actions.remove.pending()
                                                on_click=Callback::new(move |()| {
                                                    actions.remove.dispatch(RemoveMember { team_id, member_id });
                                                })
                                            />
                                        </Show>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <ActionForm action=actions.leave attr:class="inline" attr:data-testid="leave-form">
                <input type="hidden" name="team_id" value=team_id/>
                <button type="submit" class="danger">"Leave team"</button>
            </ActionForm>
            {leave_error}
            <Show when=move || me == TeamRole::Owner>
                <p>
                    <Show
                        when=move || confirm_delete.get()
                        fallback=move || view! { <button type="button" class="link" on:click=move |_| set_confirm_delete.set(true)>"Delete team…"</button> }
                    >
                        <ActionForm action=actions.delete attr:class="inline">
                            <input type="hidden" name="team_id" value=team_id/>
                            "Delete the team for everyone? Members keep their own data. "
                            <button type="submit" class="danger">"Delete team"</button>
                        </ActionForm>
                    </Show>
                </p>
            </Show>
            {delete_error}
        </section>
    }
}

#[component]
fn Invites(details: TeamDetails, actions: TeamActions) -> impl IntoView {
    let error = action_error(*actions.invite);
    let revoke_error = action_error(*actions.revoke);
    let team_id = details.id;
    let auth = use_auth();
    let clock = auth.clock();
    let new_invite = move || {
        actions.invite.value().get().and_then(Result::ok).map(|invite| {
            let path = format!("/join/{}", invite.code);
            let link = format!("{}{path}", auth.site_url());
            view! {
                <div class="new-token" role="status">
                    <p>
                        {if invite.single_use { "A single-use invite" } else { "An invite for any number of people" }}
                        {format!(", valid until {}. Copy it now: it is shown only once.", clock.minute(invite.expires_at))}
                    </p>
                    <p>"Link: " <a href=path data-testid="invite-link">{link}</a></p>
                    <p>"Code: " <code data-testid="invite-code">{invite.code}</code></p>
                </div>
            }
        })
    };
    view! {
        <section class="card">
            <h2>"Invites"</h2>
            <ActionForm action=actions.invite attr:class="form row" attr:data-testid="invite-form">
                <input type="hidden" name="team_id" value=team_id/>
                <label>
                    "Valid for "
                    <select name="valid_days">
                        <option value="1">"1 day"</option>
                        <option value="7" selected>"7 days"</option>
                        <option value="30">"30 days"</option>
                    </select>
                </label>
                <label>
                    "Use "
                    <select name="single_use">
                        <option value="true">"by one person"</option>
                        <option value="false">"by anyone with the link"</option>
                    </select>
                </label>
                <button type="submit" disabled=move || actions.invite.pending().get()>"Create invite"</button>
            </ActionForm>
            {error}
            {new_invite}
            {revoke_error}
            <InviteTable invites=details.invites team_id actions/>
        </section>
    }
}

#[component]
fn InviteTable(invites: Vec<InviteSummary>, team_id: i64, actions: TeamActions) -> impl IntoView {
    if invites.is_empty() {
        return view! { <p class="muted">"No invites yet."</p> }.into_any();
    }
    let clock = use_auth().clock();
    view! {
        <table class="tokens" data-testid="invite-table">
            <thead>
                <tr>
                    <th scope="col">"Created"</th>
                    <th scope="col">"By"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Used"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {invites
                    .into_iter()
                    .map(|invite| {
                        let invite_id = invite.id;
                        let active = invite.status == InviteStatus::Active;
                        let revoke_label = format!("Revoke the invite made {}", clock.minute(invite.created_at));
                        view! {
                            <tr class:revoked=!active>
                                <td>{clock.minute(invite.created_at)}</td>
                                <td>{invite.created_by}</td>
                                <td>{clock.minute(invite.expires_at)}</td>
                                <td>{match invite.max_uses { Some(max) => format!("{} of {max}", invite.uses), None => invite.uses.to_string() }}</td>
                                <td class="status">{invite.status.label()}</td>
                                <td>
                                    <Show when=move || active>
                                        <DangerButton
                                            text="Revoke"
                                            label=revoke_label.clone()
                                            pending=actions.revoke.pending()
                                            on_click=Callback::new(move |()| {
                                                actions.revoke.dispatch(RevokeInvite { team_id, invite_id });
                                            })
                                        />
                                    </Show>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
