//! The dashboard's Applications: which programs had the focus while the user typed, clicked and
//! worked, with each one's days, and the time spent in applications that are never counted.

use keytrack_wire::AppTrend;
use leptos::prelude::*;

use super::charts::Sparkline;
use crate::domain::format::{count, short_duration};

/// What the applications are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Time,
    Keys,
    Clicks,
}

impl Order {
    const ALL: [Order; 3] = [Order::Time, Order::Keys, Order::Clicks];

    fn label(self) -> &'static str {
        match self {
            Order::Time => "Time",
            Order::Keys => "Key presses",
            Order::Clicks => "Clicks",
        }
    }

    fn of(self, app: &AppTrend) -> u64 {
        match self {
            Order::Time => app.active_seconds,
            Order::Keys => app.keys,
            Order::Clicks => app.clicks,
        }
    }
}

#[component]
pub fn Applications(apps: Vec<AppTrend>, excluded_seconds: u64) -> impl IntoView {
    let order = RwSignal::new(Order::Time);
    let empty = apps.is_empty();
    let rows = move || {
        let by = order.get();
        let mut apps = apps.clone();
        apps.sort_by(|a, b| by.of(b).cmp(&by.of(a)).then_with(|| a.name.cmp(&b.name)));
        apps.into_iter()
            .map(|app| {
                view! {
                    <tr data-app=app.name.clone()>
                        <th scope="row"><code>{app.name.clone()}</code></th>
                        <td class="days"><Sparkline values=app.daily.clone() label=format!("{}: active time per day", app.name)/></td>
                        <td data-field="time">{short_duration(app.active_seconds)}</td>
                        <td data-field="keys">{count(app.keys)}</td>
                        <td data-field="clicks">{count(app.clicks)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="card" data-widget="applications">
            <h2>"Applications"</h2>
            {if empty {
                view! {
                    <p class="muted">
                        "No application named in this range yet. The agent names the program that has the focus (never a window title) "
                        "in its hourly key detail, which leaves your computer after an hour with at least 200 key presses."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <div class="toggle" role="group" aria-label="Order by">
                        {Order::ALL
                            .into_iter()
                            .map(|o| {
                                view! {
                                    <button type="button" aria-pressed=move || (order.get() == o).to_string() on:click=move |_| order.set(o)>
                                        {o.label()}
                                    </button>
                                }
                            })
                            .collect_view()}
                    </div>
                    <table class="apps">
                        <thead>
                            <tr>
                                <th scope="col">"Application"</th>
                                <th scope="col" class="days">"Days"</th>
                                <th scope="col">"Time"</th>
                                <th scope="col">"Keys"</th>
                                <th scope="col">"Clicks"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                    .into_any()
            }}
            {(excluded_seconds > 0)
                .then(|| {
                    view! {
                        <p class="muted small" data-testid="excluded">
                            {format!("Excluded: {} in applications never counted (nothing of it is kept but its length). ", short_duration(excluded_seconds))}
                            <a href="/profile">"Never-count list"</a>
                        </p>
                    }
                })}
        </section>
    }
}
