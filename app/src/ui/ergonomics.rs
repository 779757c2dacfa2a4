//! The dashboard's advanced analytics: ergonomics (fingers, hands, rows, effort), the "what if"
//! comparison of layouts, breaks and strain, and typing depth. Figures come from
//! `domain::ergonomics` and `domain::breaks`, on counts the dashboard already has.

use keytrack_wire::{ActivityStats, DailyActivity};
use leptos::prelude::*;

use super::charts::Chart;
use super::charts::{ACCENT, SECOND, chart_options, chart_options_with_axis, days, plotted, trend};
use crate::domain::breaks::{BREAK_MINUTES, LONG_BREAK_MINUTES, STRETCH_LIMIT_MINUTES};
use crate::domain::ergonomics::{Ergonomics, Finger, KeyRow, characters, share, typed_on};
use crate::domain::format::count;
use crate::domain::layouts::KeyboardLayout;

/// Further series colours for the trend charts.
const THIRD: &str = "#3aa876";
const FOURTH: &str = "#9b59b6";
const FIFTH: &str = "#c0392b";

/// A horizontal bar with its label and value, `share` in 0-100.
#[component]
fn ShareBar(label: String, share: f64, #[prop(optional)] testid: &'static str) -> impl IntoView {
    view! {
        <div class="share-bar" data-testid=testid>
            <span class="share-label">{label}</span>
            <span class="share-track">
                <span class="share-fill" style=format!("width: {:.1}%", share.clamp(0.0, 100.0))></span>
            </span>
            <span class="share-value">{format!("{share:.1}%")}</span>
        </div>
    }
}

/// Load per finger, hand and row, home-row, modifier and little-finger shares and effort, with
/// their trend over the range.
#[component]
pub fn ErgonomicsCard(stats: ActivityStats) -> impl IntoView {
    let e = Ergonomics::of(stats.keys.iter().map(|(k, n)| (k.as_str(), *n)));
    if e.main_block == 0 {
        return view! {
            <section class="card" data-widget="ergonomics">
                <h2>"Ergonomics"</h2>
                <p class="muted">"No key presses on the main keyboard in this range yet."</p>
            </section>
        }
        .into_any();
    }
    let shares = e.finger_shares();
    let pairs = stats.key_pairs;
    let left = e.left_hand_share();
    let daily = &stats.daily;
    let has = |d: &DailyActivity| d.ergonomics.keys > 0;
    let shares_config = serde_json::json!({
        "type": "line",
        "data": {
            "labels": days(daily),
            "datasets": [
                { "label": "Left hand %", "data": trend(daily, has, |d| d.ergonomics.left_hand_share), "borderColor": ACCENT, "backgroundColor": ACCENT, "spanGaps": true },
                { "label": "Home row %", "data": trend(daily, has, |d| d.ergonomics.home_row_share), "borderColor": SECOND, "backgroundColor": SECOND, "spanGaps": true },
                { "label": "Little fingers %", "data": trend(daily, has, |d| d.ergonomics.little_finger_share), "borderColor": THIRD, "backgroundColor": THIRD, "spanGaps": true },
                { "label": "Modifiers %", "data": trend(daily, has, |d| d.ergonomics.modifier_share), "borderColor": FOURTH, "backgroundColor": FOURTH, "spanGaps": true },
                { "label": "Same-finger pairs %", "data": trend(daily, |d| d.ergonomics.same_finger_share > 0.0, |d| d.ergonomics.same_finger_share), "borderColor": FIFTH, "backgroundColor": FIFTH, "spanGaps": true },
            ],
        },
        "options": chart_options_with_axis(true, "% of key presses", true),
    });
    let effort_config = serde_json::json!({
        "type": "line",
        "data": {
            "labels": days(daily),
            "datasets": [{ "label": "Effort per key (carpalx base effort)", "data": trend(daily, has, |d| d.ergonomics.effort), "borderColor": ACCENT, "backgroundColor": ACCENT, "spanGaps": true, "tension": 0.3 }],
        },
        // Days differ by a few hundredths: from zero the line would be flat.
        "options": chart_options_with_axis(false, "effort per key", false),
    });
    view! {
        <section class="card" data-widget="ergonomics">
            <h2>"Ergonomics"</h2>
            <div class="figures">
                <p>
                    <strong data-testid="hand-balance">{format!("{left:.0}% / {:.0}%", 100.0 - left)}</strong>
                    <span class="muted">" left / right hand"</span>
                </p>
                <p>
                    <strong data-testid="home-row-share">{format!("{:.0}%", e.row_share(KeyRow::Home))}</strong>
                    <span class="muted">" on the home row"</span>
                </p>
                <p>
                    <strong>{format!("{:.0}%", e.little_finger_share())}</strong>
                    <span class="muted">" little fingers"</span>
                </p>
                <p>
                    <strong>{format!("{:.0}%", e.modifier_share())}</strong>
                    <span class="muted">" modifiers"</span>
                </p>
                <p>
                    <strong data-testid="effort">{format!("{:.2}", e.effort())}</strong>
                    <span class="muted">" effort per key"</span>
                </p>
            </div>
            <h3>"Load per finger"</h3>
            <div class="share-bars" data-testid="finger-loads">
                {Finger::ALL
                    .iter()
                    .map(|f| view! { <ShareBar label=f.name().to_string() share=shares[*f as usize]/> })
                    .collect_view()}
            </div>
            <h3>"Rows"</h3>
            <div class="share-bars">
                {KeyRow::ALL
                    .iter()
                    .map(|r| view! { <ShareBar label=r.name().to_string() share=e.row_share(*r)/> })
                    .collect_view()}
            </div>
            <h3>"Key pairs"</h3>
            {if pairs.total() == 0 {
                view! {
                    <p class="muted small">"No key pairs counted in this range yet (agents count them from this release on)."</p>
                }
                    .into_any()
            } else {
                let all = pairs.total() as f64;
                let classes = [
                    ("Hand alternation", pairs.alternations),
                    ("Inward rolls", pairs.inward_rolls),
                    ("Outward rolls", pairs.outward_rolls),
                    ("Same finger", pairs.same_finger),
                    ("Same key again", pairs.repeats),
                    ("Row jumps", pairs.row_jumps),
                ];
                view! {
                    <div class="share-bars" data-testid="key-pairs">
                        {classes
                            .into_iter()
                            .map(|(label, n)| view! { <ShareBar label=label.to_string() share=share(n as f64, all)/> })
                            .collect_view()}
                    </div>
                    <p class="muted small">
                        {format!("Of {} pairs of keys typed one after the other. ", count(pairs.total()))}
                        "The agent counts only these classes of pairs, never which keys they were: pair counts with the keys named could spell out text, these cannot."
                    </p>
                }
                    .into_any()
            }}
            <Chart config=shares_config label="Hand, home row, little finger and modifier shares per day".to_string()/>
            <Chart config=effort_config label="Typing effort per key per day".to_string()/>
            <p class="muted small">
                {format!(
                    "From {} presses on the main keyboard ({} more on navigation, numpad, function and media keys, which no touch-typing chart assigns). ",
                    count(e.main_block),
                    count(e.other_keys)
                )}
                "Fingers follow the usual touch-typing chart (Space half to each thumb). Effort is carpalx's base effort: how far a finger reaches from the home row (0 on it, up to 6 for Backslash); lower is easier."
            </p>
        </section>
    }
    .into_any()
}

/// How the same typing would load the fingers under another layout: the counted keys give an
/// estimate of the characters typed in the user's layout; each moves to the key that types it in
/// the other layout.
#[component]
pub fn LayoutWhatIf(stats: ActivityStats) -> impl IntoView {
    let layout = KeyboardLayout::or_us(&stats.keyboard_layout);
    let keys: Vec<(String, u64)> = stats.keys.clone().into_iter().collect();
    let typed: u64 = characters(keys.iter().map(|(k, n)| (k.as_str(), *n)), layout).values().sum();
    let default_other =
        if layout == KeyboardLayout::Colemak { KeyboardLayout::Dvorak } else { KeyboardLayout::Colemak };
    let other = RwSignal::new(default_other);
    let yours = Ergonomics::of(keys.iter().map(|(k, n)| (k.as_str(), *n)));
    let theirs = Memo::new({
        let keys = keys.clone();
        move |_| {
            let moved = typed_on(keys.iter().map(|(k, n)| (k.as_str(), *n)), layout, other.get());
            Ergonomics::of(moved.iter().map(|(k, n)| (k.as_str(), *n)))
        }
    });
    let rows = {
        let yours = yours.clone();
        move || {
            let t = theirs.get();
            let mut rows = vec![
                (
                    "Effort per key".to_string(),
                    format!("{:.2}", yours.effort()),
                    format!("{:.2}", t.effort()),
                    "effort",
                ),
                (
                    "Home row".to_string(),
                    format!("{:.1}%", yours.row_share(KeyRow::Home)),
                    format!("{:.1}%", t.row_share(KeyRow::Home)),
                    "home",
                ),
                (
                    "Left hand".to_string(),
                    format!("{:.1}%", yours.left_hand_share()),
                    format!("{:.1}%", t.left_hand_share()),
                    "left",
                ),
                (
                    "Little fingers".to_string(),
                    format!("{:.1}%", yours.little_finger_share()),
                    format!("{:.1}%", t.little_finger_share()),
                    "little",
                ),
            ];
            let (a, b) = (yours.finger_shares(), t.finger_shares());
            for f in Finger::ALL.iter().filter(|f| !f.is_thumb()) {
                rows.push((
                    f.name().to_string(),
                    format!("{:.1}%", a[*f as usize]),
                    format!("{:.1}%", b[*f as usize]),
                    "",
                ));
            }
            rows.into_iter()
                .map(|(label, mine, then, id)| {
                    view! {
                        <tr data-row=id>
                            <th scope="row">{label}</th>
                            <td>{mine}</td>
                            <td data-testid=format!("what-if-{id}")>{then}</td>
                        </tr>
                    }
                })
                .collect_view()
        }
    };
    let change = move || {
        let (before, after) = (yours.effort(), theirs.get().effort());
        if before <= 0.0 {
            return "No letters counted to compare yet.".to_string();
        }
        let percent = 100.0 * (after - before) / before;
        format!(
            "Typed on {}, the same characters would take {:.0}% {} effort per key.",
            other.get().name(),
            percent.abs(),
            if percent <= 0.0 { "less" } else { "more" }
        )
    };
    view! {
        <section class="card" data-widget="layout-what-if">
            <h2>"What if: another layout"</h2>
            <p class="muted small">
                {format!(
                    "About {} characters typed on {} (an estimate from key counts, never their order).",
                    count(typed),
                    layout.name()
                )}
            </p>
            <label>
                "Compare with "
                <select
                    data-testid="what-if-layout"
                    on:change=move |ev| {
                        if let Some(l) = KeyboardLayout::from_id(&event_target_value(&ev)) {
                            other.set(l);
                        }
                    }
                >
                    {KeyboardLayout::ALL
                        .into_iter()
                        .filter(|l| *l != layout)
                        .map(|l| view! { <option value=l.id() selected=l == default_other>{l.name()}</option> })
                        .collect_view()}
                </select>
            </label>
            <p data-testid="what-if-summary">{change}</p>
            <table class="compare">
                <thead>
                    <tr>
                        <th></th>
                        <th scope="col">{layout.name()}</th>
                        <th scope="col">{move || other.get().name()}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="muted small">
                "Each key's presses move to the key that types its character in the other layout; characters it has no key for, and keys that type none (Shift, Space, Enter), stay where they are."
            </p>
        </section>
    }
}

/// Work periods, breaks and the daily strain indicator.
#[component]
pub fn BreaksCard(daily: Vec<DailyActivity>) -> impl IntoView {
    let active: Vec<&DailyActivity> = daily.iter().filter(|d| d.breaks.work_periods > 0).collect();
    let longest = active.iter().map(|d| d.breaks.longest_stretch_minutes).max().unwrap_or(0);
    let breaks: u64 = active.iter().map(|d| d.breaks.breaks_5).sum();
    let long_breaks: u64 = active.iter().map(|d| d.breaks.breaks_10).sum();
    let strained = |level: &str| active.iter().filter(|d| d.breaks.strain == level).count();
    let (raised, high) = (strained("raised"), strained("high"));
    let per_day = |n: u64| if active.is_empty() { 0.0 } else { n as f64 / active.len() as f64 };
    let config = serde_json::json!({
        "type": "bar",
        "data": {
            "labels": days(&daily),
            "datasets": [
                { "label": "Longest stretch without a break (min)", "data": daily.iter().map(|d| d.breaks.longest_stretch_minutes).collect::<Vec<_>>(), "backgroundColor": ACCENT },
                { "label": "Minutes past 60 without a break", "data": daily.iter().map(|d| d.breaks.minutes_over_limit).collect::<Vec<_>>(), "backgroundColor": SECOND },
            ],
        },
        "options": chart_options(true),
    });
    view! {
        <section class="card" data-widget="breaks">
            <h2>"Breaks and strain"</h2>
            <div class="figures">
                <p>
                    <strong data-testid="breaks-per-day">{format!("{:.1}", per_day(breaks))}</strong>
                    <span class="muted">{format!(" breaks of {BREAK_MINUTES}+ min a day")}</span>
                </p>
                <p>
                    <strong>{format!("{:.1}", per_day(long_breaks))}</strong>
                    <span class="muted">{format!(" of {LONG_BREAK_MINUTES}+ min")}</span>
                </p>
                <p>
                    <strong data-testid="longest-stretch">{format!("{longest} min")}</strong>
                    <span class="muted">" longest stretch"</span>
                </p>
                <p>
                    <strong data-testid="strain-days">{format!("{raised} / {high}")}</strong>
                    <span class="muted">" days of raised / high strain"</span>
                </p>
            </div>
            <Chart config label="Longest stretch without a break per day".to_string()/>
            <p class="muted small">
                {format!(
                    "A pause of {BREAK_MINUTES} minutes or more without input on any device is a break. Strain counts the minutes worked past {STRETCH_LIMIT_MINUTES} without one, after the UK Health and Safety Executive's guidance (a 5-10 minute break after 50-60 minutes of continuous screen work): raised up to an hour of them in a day, high beyond. "
                )}
                <strong>"An indicator from your input, not medical advice."</strong>
            </p>
        </section>
    }
}

/// Speed by hour of day, corrections and burst length over time.
#[component]
pub fn TypingDepth(stats: ActivityStats) -> impl IntoView {
    let by_hour = serde_json::json!({
        "type": "bar",
        "data": {
            "labels": (0..24).map(|h| format!("{h:02}")).collect::<Vec<_>>(),
            "datasets": [{ "label": "Words per minute by hour of day", "data": stats.wpm_by_hour.iter().map(|w| plotted(*w)).collect::<Vec<_>>(), "backgroundColor": ACCENT }],
        },
        "options": chart_options_with_axis(false, "words per minute", true),
    });
    let daily = &stats.daily;
    let typed = |d: &DailyActivity| d.wpm > 0.0;
    let over_time = serde_json::json!({
        "type": "line",
        "data": {
            "labels": days(daily),
            "datasets": [
                { "label": "Corrections per 100 keys", "data": trend(daily, |d| d.keys > 0, |d| d.corrections_per_100), "borderColor": SECOND, "backgroundColor": SECOND, "spanGaps": true },
                { "label": "Keys per burst", "data": trend(daily, typed, |d| d.burst_keys), "borderColor": ACCENT, "backgroundColor": ACCENT, "spanGaps": true },
            ],
        },
        "options": chart_options(true),
    });
    let fastest = stats
        .wpm_by_hour
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0.0)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(h, w)| format!("{h:02}:00 ({w:.0} WPM)"));
    view! {
        <section class="card" data-widget="typing-depth">
            <h2>"Typing depth"</h2>
            <div class="figures">
                <p>
                    <strong data-testid="depth-corrections">{format!("{:.1}", stats.corrections_per_100)}</strong>
                    <span class="muted">" corrections per 100 keys"</span>
                </p>
                <p>
                    <strong data-testid="burst-keys">{format!("{:.0}", stats.burst_keys)}</strong>
                    <span class="muted">" keys per burst"</span>
                </p>
                <p>
                    <strong>{fastest.unwrap_or_else(|| "–".to_string())}</strong>
                    <span class="muted">" fastest hour"</span>
                </p>
            </div>
            <Chart config=by_hour label="Typing speed by hour of day".to_string()/>
            <Chart config=over_time label="Corrections per 100 keys and keys per burst per day".to_string()/>
            <p class="muted small">
                "Corrections are Backspace and Delete per 100 text keys; a burst is a run of typing without a pause over 2 seconds."
            </p>
        </section>
    }
}
