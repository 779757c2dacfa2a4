//! The home page: the dashboard for a logged-in user, an introduction otherwise.

use keytrack_wire::{ActivityStats, ButtonTotals};
use leptos::prelude::*;
use leptos_router::components::A;

use super::apps::Applications;
use super::charts::{
    ACCENT, Chart, Grouping, GroupingToggle, SECOND, Sparkline, WeekdayHour, chart_options, chart_options_with_axis,
    days, gap_histogram, trend,
};
use super::data::{ExportMenu, OWN_CSV_KINDS};
use super::ergonomics::{BreaksCard, ErgonomicsCard, LayoutWhatIf, TypingDepth};
use super::heatmap::PointerHeatmap;
use super::keyboard::KeyboardHeatmap;
use super::live::{LiveBadge, LiveFeed};
use super::range::{RangeFilter, use_range_query};
use super::session::{RequireLogin, use_auth};
use super::widgets::ErrorNote;
use crate::api::{MinuteTotals, UiError, dashboard_heatmaps, dashboard_stats, last_hour};
use crate::domain::drawing::Layer;
use crate::domain::format::{count, duration};
use crate::domain::layouts::KeyboardLayout;
use crate::domain::range::RangeQuery;
use crate::domain::stats::{busiest_day, busiest_hour, change_percent, rhythm_consistency};

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = use_auth();
    // The dashboard's data is asked for here, outside RequireLogin's Transition, which waits for
    // the account: a Suspense runs its children again until everything read inside has settled
    // (three times on the server), and resources made inside were fetched and sent to the browser
    // once per run (three copies of a user-year's figures in the page).
    let dashboard = DashboardData::new(auth);
    view! {
        <RequireLogin logged_out=|| view! { <Welcome/> }>
            <Overview dashboard/>
        </RequireLogin>
    }
}

/// What the dashboard shows: the range in the URL, the live feed it follows, and the figures of
/// that range, fetched only for someone logged in.
#[derive(Clone, Copy)]
struct DashboardData {
    query: Memo<RangeQuery>,
    feed: LiveFeed,
    following: Memo<bool>,
    stats: Resource<Result<ActivityStats, UiError>>,
    heatmaps: Resource<Result<crate::model::PointerMaps, UiError>>,
    recent: Resource<Result<Vec<MinuteTotals>, UiError>>,
}

impl DashboardData {
    fn new(auth: super::session::Auth) -> DashboardData {
        let query = use_range_query();
        // Live while the range ends today: figures are fetched again when an upload arrives, the
        // heatmaps when key detail does. The page listens once the dashboard shows.
        let feed = LiveFeed::new();
        let following = Memo::new(move |_| feed.follows(query.get().to.as_deref()));
        let changes = Memo::new(move |_| if following.get() { feed.changes.get() } else { 0 });
        let detail_changes = Memo::new(move |_| if following.get() { feed.detail_changes.get() } else { 0 });
        // Someone logged out gets the welcome page, and nothing is asked of the server for them.
        let stats = Resource::new(
            move || (query.get(), changes.get()),
            move |(q, _)| auth.when_logged_in(dashboard_stats(q.range, q.from, q.to)),
        );
        let heatmaps = Resource::new(
            move || (query.get(), detail_changes.get()),
            move |(q, _)| auth.when_logged_in(dashboard_heatmaps(q.range, q.from, q.to)),
        );
        let recent = Resource::new(move || changes.get(), move |_| auth.when_logged_in(last_hour()));
        DashboardData { query, feed, following, stats, heatmaps, recent }
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="card narrow">
            <h1>"KeyTrack"</h1>
            <p>
                "See how you use your keyboard and mouse: which keys, which shortcuts, how fast you type, where you click. "
                "The agent counts; it never records what you type."
            </p>
            <p>
                <A href="/signup" attr:class="button">"Create an account"</A>
                " "
                <A href="/login">"Log in"</A>
            </p>
        </section>
    }
}

/// The dashboard: the date filter and every widget, all following the range in the URL.
#[component]
fn Overview(dashboard: DashboardData) -> impl IntoView {
    let DashboardData { query, feed, following, stats, heatmaps, recent } = dashboard;
    feed.listen("/api/v1/live".to_string());
    view! {
        <RangeFilter query path="/".to_string()/>
        <ExportMenu base="/api/v1".to_string() query kinds=OWN_CSV_KINDS/>
        <Show when=move || following.get()>
            <LiveBadge feed/>
        </Show>
        <Transition fallback=|| view! { <p class="muted" data-testid="loading">"Loading your activity…"</p> }>
            {move || {
                stats
                    .get()
                    .map(|stats| match stats {
                        Ok(stats) if stats.active_minutes == 0 && query.get() == RangeQuery::default() => {
                            view! { <PairAnAgent/> }.into_any()
                        }
                        Ok(stats) => view! { <Widgets stats heatmaps recent following/> }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// The empty state: what a new user does next.
#[component]
fn PairAnAgent() -> impl IntoView {
    view! {
        <section class="card narrow empty-state" data-testid="empty-state">
            <h1>"No activity yet"</h1>
            <p><A href="/add-computer" attr:class="button">"Add a computer"</A></p>
            <ol>
                <li>"Download the agent from this server and copy the commands the page gives."</li>
                <li>"Run them on that computer and approve the code the agent shows."</li>
                <li>"While this page is open, your figures appear here within seconds of your first keystrokes."</li>
            </ol>
        </section>
    }
}

/// The two pointer heatmaps, loaded on their own (they are the largest part of the dashboard).
#[component]
fn Heatmaps(heatmaps: Resource<Result<crate::model::PointerMaps, crate::api::UiError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the heatmaps…"</p> }>
            {move || {
                heatmaps
                    .get()
                    .map(|maps| match maps {
                        Ok(maps) => {
                            let unplaced = (!maps.without_positions.is_empty())
                                .then(|| without_positions_note(&maps.without_positions));
                            view! {
                                {unplaced
                                    .map(|note| {
                                        view! {
                                            <p class="muted" data-testid="no-positions">
                                                {note}
                                            </p>
                                        }
                                    })}
                                <div class="columns">
                                    <PointerHeatmap screens=maps.screens.clone() layer=Layer::Clicks/>
                                    <PointerHeatmap screens=maps.screens layer=Layer::Moves/>
                                </div>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// Why some computers are not on the pointer heatmaps: their agent reads the kernel's input
/// devices (Wayland desktops), which report motion, never where the pointer is.
fn without_positions_note(names: &[String]) -> String {
    let (these, are) = match names {
        [one] => (format!("from {one}"), "its"),
        _ => (format!("from {}", names.join(", ")), "their"),
    };
    format!(
        "Pointer positions are not available {these} (Wayland): {are} clicks by button, distance and scrolling count, but not on these maps."
    )
}

/// Every widget, the headline ones first (the figures, the keyboard, where the pointer clicks and
/// moves), then two stacks that each flow on their own, so that a tall card never leaves blank
/// beside a short one (cards side by side in a row stretched to the tallest).
#[component]
fn Widgets(
    stats: ActivityStats,
    heatmaps: Resource<Result<crate::model::PointerMaps, UiError>>,
    recent: Resource<Result<Vec<MinuteTotals>, UiError>>,
    following: Memo<bool>,
) -> impl IntoView {
    let layout = KeyboardLayout::or_us(&stats.keyboard_layout);
    view! {
        <Summary stats=stats.clone()/>
        <Show when=move || following.get()>
            <LastHour recent/>
        </Show>
        <KeyboardHeatmap keys=stats.keys.clone() layout=stats.keyboard_layout.clone()/>
        <Heatmaps heatmaps/>
        // The stacks are balanced for a typical account (each about 2,750 px at 1440 px wide, the
        // tall ergonomics card in the left one); the browser test measures the demo's blanks.
        <div class="stacks">
            <div class="stack">
                <ActivityTimeline daily=stats.daily.clone()/>
                <TypingSpeed stats=stats.clone()/>
                <ErgonomicsCard stats=stats.clone()/>
            </div>
            <div class="stack">
                <TopKeys keys=stats.keys.clone() layout/>
                <TopShortcuts trends=stats.combo_trends.clone() layout/>
                <WeekdayHour
                    grid=stats.by_weekday_hour.clone()
                    widget="weekday-hour"
                    caption="Key presses per weekday and hour, in your time zone"
                />
                <TypingDepth stats=stats.clone()/>
                <BreaksCard daily=stats.daily.clone()/>
                <ClicksByButton clicks=stats.clicks_by_button.clone()/>
            </div>
        </div>
        <LayoutWhatIf stats=stats.clone()/>
        <Applications apps=stats.applications.clone() excluded_seconds=stats.excluded_seconds/>
    }
}

#[component]
fn Summary(stats: ActivityStats) -> impl IntoView {
    let previous = stats.previous.clone().unwrap_or_default();
    // "+12% vs previous period", or nothing without a base to compare with. Today is compared
    // with yesterday up to the same time of day.
    let (versus, compared) = match &previous.until {
        Some(until) => (format!("vs yesterday by {until}"), format!("{} up to {until}", previous.from)),
        None => ("vs previous period".to_string(), format!("{} to {}", previous.from, previous.to)),
    };
    let change = move |now: f64, before: f64| {
        change_percent(now, before).map(|p| {
            let class = if p >= 0.0 { "change up" } else { "change down" };
            view! { <span class=class title=compared.clone()>{format!("{p:+.0}% {versus}")}</span> }
        })
    };
    // Averages are over the days with activity (a year with a quiet summer is not a tenth of a
    // working day), and say how many those were.
    let days = stats.daily.len();
    let active = stats.daily.iter().filter(|d| d.active_minutes > 0).count();
    let per_active_day = |total: u64| total / active.max(1) as u64;
    let average = format!(
        "{} keys, {} clicks, {} active",
        count(per_active_day(stats.total_keys)),
        count(per_active_day(stats.total_clicks)),
        duration(per_active_day(stats.active_seconds))
    );
    let active_days = format!("{active} of {days} {}", if days == 1 { "day" } else { "days" });
    let busiest_day =
        busiest_day(&stats.daily).map_or_else(|| "–".to_string(), |d| format!("{} ({})", d.day, count(d.keys)));
    let busiest_hour =
        busiest_hour(&stats.by_hour).map_or_else(|| "–".to_string(), |h| format!("{h:02}:00–{:02}:00", (h + 1) % 24));
    view! {
        <section data-widget="summary">
            <h1>
                "Your activity "
                <small class="muted" data-testid="range">{format!("{} to {} ({})", stats.from, stats.to, stats.timezone)}</small>
            </h1>
            <div class="cards">
                <div class="stat">
                    <span class="label">"Key presses"</span>
                    <span class="value" data-testid="total-keys">{count(stats.total_keys)}</span>
                    {change(stats.total_keys as f64, previous.total_keys as f64)}
                </div>
                <div class="stat">
                    <span class="label">"Clicks"</span>
                    <span class="value" data-testid="total-clicks">{count(stats.total_clicks)}</span>
                    {change(stats.total_clicks as f64, previous.total_clicks as f64)}
                </div>
                <div class="stat">
                    <span class="label">"Typing speed"</span>
                    <span class="value">{format!("{:.0} WPM", stats.typing.wpm)}</span>
                    {change(stats.typing.wpm, previous.wpm)}
                </div>
                <div class="stat">
                    <span class="label">"Active time"</span>
                    <span class="value">{duration(stats.active_seconds)}</span>
                    {change(stats.active_seconds as f64, previous.active_seconds as f64)}
                </div>
            </div>
            <dl class="facts">
                <div>
                    <dt title="Averaged over the days with any activity">"Per active day"</dt>
                    <dd data-testid="daily-average">{average}</dd>
                </div>
                <div><dt>"Active days"</dt><dd data-testid="active-days">{active_days}</dd></div>
                <div><dt>"Busiest day"</dt><dd data-testid="busiest-day">{busiest_day}</dd></div>
                <div><dt>"Busiest hour"</dt><dd>{busiest_hour}</dd></div>
                <div>
                    <dt title="How far the pointer travelled, hand jitter under 3 px left out">"Pointer travel"</dt>
                    <dd data-testid="distance">{format!("{} px", count(stats.mouse.distance_px))}</dd>
                </div>
                <div>
                    <dt>"Scrolling"</dt>
                    <dd>{format!("{} notches", count(stats.mouse.scroll_vertical + stats.mouse.scroll_horizontal))}</dd>
                </div>
                <div>
                    <dt title="Backspace and Delete presses per 100 letters, digits, punctuation and spaces">"Corrections"</dt>
                    <dd data-testid="corrections">{format!("{:.1} per 100 keys", stats.corrections_per_100)}</dd>
                </div>
            </dl>
        </section>
    }
}

/// The ten most pressed keys, named as printed in the person's layout.
#[component]
fn TopKeys(keys: std::collections::BTreeMap<String, u64>, layout: KeyboardLayout) -> impl IntoView {
    let mut top_keys: Vec<(String, u64)> = keys.into_iter().collect();
    top_keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top_keys.truncate(10);
    view! {
        <section class="card" data-widget="top-keys">
            <h2>"Top keys"</h2>
            <ol class="ranked">
                {top_keys
                    .into_iter()
                    .map(|(key, n)| {
                        view! {
                            <li data-key=key.clone()>
                                <kbd>{layout.key_name(&key)}</kbd>
                                <span>{count(n)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

/// The most used shortcuts, each with its trend over the range.
#[component]
fn TopShortcuts(trends: Vec<keytrack_wire::ComboTrend>, layout: KeyboardLayout) -> impl IntoView {
    view! {
        <section class="card" data-widget="key-combos">
            <h2>"Top shortcuts"</h2>
            <ol class="ranked">
                {trends
                    .into_iter()
                    .map(|trend| {
                        let total: u64 = trend.daily.iter().sum();
                        let name = layout.shortcut_name(&trend.chord);
                        view! {
                            <li data-key=trend.chord>
                                <kbd>{name.clone()}</kbd>
                                <Sparkline values=trend.daily label=format!("{name} per day")/>
                                <span>{count(total)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn ClicksByButton(clicks: ButtonTotals) -> impl IntoView {
    let rows = [("Left", clicks.left), ("Right", clicks.right), ("Middle", clicks.middle), ("Other", clicks.other)];
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    view! {
        <section class="card" data-widget="clicks-by-button">
            <h2>"Clicks by button"</h2>
            <dl class="bars">
                {rows
                    .into_iter()
                    .map(|(name, n)| {
                        view! {
                            <dt>{name}</dt>
                            <dd>
                                <span class="bar" style=format!("width: {:.1}%", 100.0 * n as f64 / max as f64)></span>
                                <span class="n">{count(n)}</span>
                            </dd>
                        }
                    })
                    .collect_view()}
            </dl>
        </section>
    }
}

/// Key presses and clicks over the range, a bar a day, week or month (a year reads in weeks by
/// default); click a legend entry to hide a series.
#[component]
fn ActivityTimeline(daily: Vec<keytrack_wire::DailyActivity>) -> impl IntoView {
    let grouping = RwSignal::new(Grouping::for_days(daily.len()));
    let labels = days(&daily);
    let series = vec![daily.iter().map(|d| d.keys).collect::<Vec<_>>(), daily.iter().map(|d| d.clicks).collect()];
    let chart = move || {
        let by = grouping.get();
        let (labels, sums) = by.group(&labels, &series);
        let config = serde_json::json!({
            "type": "bar",
            "data": {
                "labels": labels,
                "datasets": [
                    { "label": "Key presses", "data": sums[0], "backgroundColor": ACCENT },
                    { "label": "Clicks", "data": sums[1], "backgroundColor": SECOND },
                ],
            },
            "options": chart_options(true),
        });
        view! {
            <div data-testid="activity-chart" data-grouping=by.noun()>
                <Chart config label=format!("Key presses and clicks {}", by.noun())/>
            </div>
        }
    };
    view! {
        <section class="card" data-widget="activity-timeline">
            <h2>"Activity over time"</h2>
            <GroupingToggle grouping/>
            {chart}
        </section>
    }
}

/// Key presses and clicks in each of the last 60 minutes, following the keyboard while live.
#[component]
fn LastHour(recent: Resource<Result<Vec<MinuteTotals>, UiError>>) -> impl IntoView {
    view! {
        <section class="card" data-widget="last-hour">
            <h2>"The last hour, minute by minute"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    recent
                        .get()
                        .map(|minutes| match minutes {
                            Ok(minutes) => {
                                let config = serde_json::json!({
                                    "type": "bar",
                                    "data": {
                                        "labels": minutes.iter().map(|m| m.label.clone()).collect::<Vec<_>>(),
                                        "datasets": [
                                            { "label": "Key presses", "data": minutes.iter().map(|m| m.keys).collect::<Vec<_>>(), "backgroundColor": ACCENT },
                                            { "label": "Clicks", "data": minutes.iter().map(|m| m.clicks).collect::<Vec<_>>(), "backgroundColor": SECOND },
                                        ],
                                    },
                                    "options": chart_options(true),
                                });
                                let keys: u64 = minutes.iter().map(|m| m.keys).sum();
                                view! {
                                    <Chart config label="Key presses and clicks per minute over the last hour".to_string()/>
                                    <p class="muted small" data-testid="last-hour-keys">{format!("{} key presses in the last 60 minutes", count(keys))}</p>
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

/// Typing speed per day, and how the gaps between typed keys spread.
#[component]
fn TypingSpeed(stats: ActivityStats) -> impl IntoView {
    let wpm = trend(&stats.daily, |d| d.wpm > 0.0, |d| d.wpm);
    let config = serde_json::json!({
        "type": "line",
        "data": {
            "labels": days(&stats.daily),
            "datasets": [{ "label": "Words per minute", "data": wpm, "borderColor": ACCENT, "backgroundColor": ACCENT, "spanGaps": true, "tension": 0.3 }],
        },
        "options": chart_options_with_axis(false, "words per minute", true),
    });
    let gaps = gap_histogram(&stats.typing.intervals);
    view! {
        <section class="card" data-widget="typing-speed">
            <h2>"Typing speed"</h2>
            <Chart config label="Typing speed per day in words per minute".to_string()/>
            <Chart config=gaps label="How many keys were typed after each length of gap".to_string()/>
            <p class="muted small">
                {format!(
                    "{:.0} WPM over {} of typing; fastest burst {:.0} WPM; rhythm consistency {:.0}%. ",
                    stats.typing.wpm,
                    duration(stats.typing.typing_seconds as u64),
                    stats.typing.best_burst_wpm,
                    rhythm_consistency(&stats.typing.intervals)
                )}
                "Speed is words (5 keys) per minute of typing time: the time between text keys pressed at most 2 s apart. A burst is such a run; the fastest counts from 10 keys. The lower chart spreads your keystrokes by the gap before them: a tall, narrow peak is a steady rhythm. Consistency is the share of keystrokes in the most common gap range or the two beside it."
            </p>
        </section>
    }
}
