//! The home page: a summary of the last 7 days for a logged-in user, an introduction otherwise.

use keytrack_wire::ActivityStats;
use leptos::prelude::*;
use leptos_router::components::A;

use super::{ErrorNote, use_auth};
use crate::api::recent_stats;
use crate::domain::format::count;

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                auth.account
                    .get()
                    .map(|account| match account {
                        Ok(Some(_)) => view! { <Overview/> }.into_any(),
                        Ok(None) => view! { <Welcome/> }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
            }}
        </Transition>
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

#[component]
fn Overview() -> impl IntoView {
    let stats = Resource::new(|| (), |_| recent_stats());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading your activity…"</p> }>
            {move || {
                stats
                    .get()
                    .map(|stats| match stats {
                        Ok(stats) if stats.active_minutes == 0 => view! { <PairAnAgent/> }.into_any(),
                        Ok(stats) => view! { <Summary stats/> }.into_any(),
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
        <section class="card narrow" data-testid="empty-state">
            <h1>"No activity yet"</h1>
            <ol>
                <li>"Create a token on the " <A href="/tokens">"API tokens"</A> " page."</li>
                <li>"On your computer, run " <code>"keytrack-agent pair --server URL --token TOKEN"</code> "."</li>
                <li>"Then " <code>"keytrack-agent run"</code> ": the figures appear here within a minute or two."</li>
            </ol>
        </section>
    }
}

#[component]
fn Summary(stats: ActivityStats) -> impl IntoView {
    let mut top_keys: Vec<(String, u64)> = stats.keys.clone().into_iter().collect();
    top_keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top_keys.truncate(10);
    let mut top_combos: Vec<(String, u64)> = stats.combos.clone().into_iter().collect();
    top_combos.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top_combos.truncate(8);
    let hours = stats.active_seconds / 3600;
    let minutes = stats.active_seconds % 3600 / 60;
    view! {
        <section data-widget="summary">
            <h1>"Last 7 days " <small class="muted">{format!("{} to {} ({})", stats.from, stats.to, stats.timezone)}</small></h1>
            <div class="cards">
                <div class="stat"><span class="label">"Key presses"</span><span class="value" data-testid="total-keys">{count(stats.total_keys)}</span></div>
                <div class="stat"><span class="label">"Clicks"</span><span class="value">{count(stats.total_clicks)}</span></div>
                <div class="stat"><span class="label">"Typing speed"</span><span class="value">{format!("{:.0} WPM", stats.typing.wpm)}</span></div>
                <div class="stat"><span class="label">"Active time"</span><span class="value">{format!("{hours} h {minutes:02} min")}</span></div>
            </div>
        </section>
        <div class="columns">
            <section class="card">
                <h2>"Top keys"</h2>
                <ol class="ranked">
                    {top_keys.into_iter().map(|(key, n)| view! { <li><code>{key}</code><span>{count(n)}</span></li> }).collect_view()}
                </ol>
            </section>
            <section class="card">
                <h2>"Top shortcuts"</h2>
                <ol class="ranked">
                    {top_combos.into_iter().map(|(combo, n)| view! { <li><code>{combo}</code><span>{count(n)}</span></li> }).collect_view()}
                </ol>
            </section>
        </div>
    }
}
