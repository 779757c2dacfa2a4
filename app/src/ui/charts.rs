//! The charts the pages share: Chart.js charts and their options (the server renders an empty
//! canvas with its data described in text; in the browser the chart is drawn once the app has
//! hydrated, and destroyed with its component, so a new date range never leaves old charts
//! behind), the week rhythm grid and the sparkline, drawn by us.

use leptos::prelude::*;

use crate::domain::format::count;
use crate::ui::widgets::{HeatLegend, focus_stop};

/// A Chart.js chart from its configuration (as Chart.js documents it, in JSON).
#[component]
pub fn Chart(
    /// The Chart.js configuration: `{type, data, options}`.
    config: serde_json::Value,
    /// What the chart shows, for screen readers.
    label: String,
) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    #[cfg(feature = "hydrate")]
    {
        let config = config.to_string();
        let drawn = StoredValue::new_local(None::<chart_js::Chart>);
        let draw =
            move |element: web_sys::HtmlCanvasElement, config: &str| match chart_js::draw(&element.into(), config) {
                Ok(chart) => drawn.set_value(Some(chart)),
                Err(error) => leptos::logging::error!("the chart could not be drawn: {error:?}"),
            };
        Effect::new(move |_| {
            let Some(element) = canvas.get() else { return };
            if chart_js::loaded() {
                draw(element, &config);
                return;
            }
            // Reached from a page without charts: Chart.js is loaded first (once for the page).
            let config = config.clone();
            leptos::task::spawn_local(async move {
                match chart_js::load().await {
                    // Gone meanwhile (the person moved on): nothing to draw.
                    Ok(()) if drawn.is_disposed() => {}
                    Ok(()) => draw(element, &config),
                    Err(error) => leptos::logging::error!("Chart.js could not be loaded: {error:?}"),
                }
            });
        });
        on_cleanup(move || {
            drawn.update_value(|chart| {
                if let Some(chart) = chart.take() {
                    chart.destroy();
                }
            })
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = config;
    view! {
        <div class="chart">
            <canvas node_ref=canvas role="img" aria-label=label></canvas>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod chart_js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// `window.Chart`, loaded by the page's `<script>` or by [`load`].
        pub type Chart;

        #[wasm_bindgen(constructor, catch)]
        fn new(canvas: &JsValue, config: &JsValue) -> Result<Chart, JsValue>;

        #[wasm_bindgen(method)]
        pub fn destroy(this: &Chart);
    }

    thread_local! {
        /// The loading of Chart.js on this page, once started.
        static LOADING: std::cell::RefCell<Option<js_sys::Promise>> = const { std::cell::RefCell::new(None) };
    }

    /// Whether `window.Chart` is there (the pages with charts load it with the page).
    pub fn loaded() -> bool {
        web_sys::window().is_some_and(|window| js_sys::Reflect::has(&window, &"Chart".into()).unwrap_or(false))
    }

    /// Loads Chart.js from the address the page's `<html data-chart-js>` gives, once however many
    /// charts wait for it; a failed load is tried again by the next chart.
    pub async fn load() -> Result<(), JsValue> {
        let loading = LOADING.with(|loading| loading.borrow_mut().get_or_insert_with(script_loaded).clone());
        let loaded = wasm_bindgen_futures::JsFuture::from(loading).await.map(|_| ());
        if loaded.is_err() {
            LOADING.with(|loading| loading.borrow_mut().take());
        }
        loaded
    }

    fn script_loaded() -> js_sys::Promise {
        js_sys::Promise::new(&mut |resolve, reject| {
            let added = (|| -> Result<(), JsValue> {
                let document = web_sys::window().and_then(|window| window.document()).ok_or("no document")?;
                let address = document
                    .document_element()
                    .and_then(|html| html.get_attribute("data-chart-js"))
                    .ok_or("the page does not say where Chart.js is")?;
                let script = document.create_element("script")?;
                script.set_attribute("src", &address)?;
                script.add_event_listener_with_callback("load", &resolve)?;
                script.add_event_listener_with_callback("error", &reject)?;
                document.body().ok_or("no body")?.append_child(&script)?;
                Ok(())
            })();
            if let Err(error) = added {
                let _ = reject.call1(&JsValue::NULL, &error);
            }
        })
    }

    pub fn draw(canvas: &JsValue, config: &str) -> Result<Chart, JsValue> {
        let config = match page_ink() {
            Some(ink) => config.replace(super::CHART_INK, &ink),
            None => config.to_string(),
        };
        let config = js_sys::JSON::parse(&config)?;
        Chart::new(canvas, &config)
    }

    /// The page's muted ink (`--muted`), which dark mode makes lighter: a canvas cannot read
    /// the stylesheet's colours itself.
    fn page_ink() -> Option<String> {
        let window = web_sys::window()?;
        let root = window.document()?.document_element()?;
        let ink = window.get_computed_style(&root).ok()??.get_property_value("--muted").ok()?;
        let ink = ink.trim();
        (!ink.is_empty()).then(|| ink.to_string())
    }
}

/// The axes' and legends' text: the stylesheet's `--muted` of light mode (5.4:1 on a card). In the
/// browser each chart takes the page's own `--muted` instead, lighter in dark mode, so that it
/// reads at 4.5:1 or more on either.
const CHART_INK: &str = "#5f6b7a";
pub use crate::domain::drawing::{ACCENT, SECOND};

/// Our charts' options: sized by their box, readable in light and dark mode; with `by_day`, the
/// tooltip shows every series of the hovered day.
pub fn chart_options(by_day: bool) -> serde_json::Value {
    let axis = serde_json::json!({ "ticks": { "color": CHART_INK }, "grid": { "color": "rgba(138,148,166,0.2)" } });
    let mut options = serde_json::json!({
        "responsive": true,
        // Live pages redraw charts as data arrives: no animation from zero each time.
        "animation": false,
        "maintainAspectRatio": false,
        "plugins": { "legend": { "labels": { "color": CHART_INK } } },
        "scales": { "x": axis.clone(), "y": axis },
    });
    if by_day {
        options["interaction"] = serde_json::json!({ "mode": "index", "intersect": false });
    }
    options
}

/// [`chart_options`] with the value axis named; `from_zero` starts it at 0. An axis that does not
/// start at zero says so in its name, so that a small change is not read as a large one.
pub fn chart_options_with_axis(by_day: bool, name: &str, from_zero: bool) -> serde_json::Value {
    let mut options = chart_options(by_day);
    let text = if from_zero { name.to_string() } else { format!("{name} (axis not from zero)") };
    options["scales"]["y"]["beginAtZero"] = from_zero.into();
    options["scales"]["y"]["title"] = serde_json::json!({ "display": true, "text": text, "color": CHART_INK });
    options
}

/// A figure as a chart plots it: four significant digits. Fine enough that no axis shows the
/// rounding (days of 1.615-1.654 rounded to one decimal drew as a flat line with false steps on
/// an axis from 1.60 to 1.70), coarse enough to keep a year of daily points small in the page.
pub fn plotted(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor() as i32;
    // Divide or multiply by an exact power of ten, never by its inexact inverse, so that 1.615
    // stays the double nearest 1.615 and prints as such.
    if magnitude >= 3 {
        let unit = 10f64.powi(magnitude - 3);
        (x / unit).round() * unit
    } else {
        let scale = 10f64.powi(3 - magnitude);
        (x * scale).round() / scale
    }
}

/// A day's value for a trend chart: `None` (a gap) on days without the figure.
pub fn trend(
    daily: &[keytrack_wire::DailyActivity],
    has: impl Fn(&keytrack_wire::DailyActivity) -> bool,
    value: impl Fn(&keytrack_wire::DailyActivity) -> f64,
) -> Vec<Option<f64>> {
    daily.iter().map(|d| has(d).then(|| plotted(value(d)))).collect()
}

/// The days of a trend chart, its labels.
pub fn days(daily: &[keytrack_wire::DailyActivity]) -> Vec<String> {
    daily.iter().map(|d| d.day.clone()).collect()
}

/// How a chart over many days sums its bars: a bar a day, a week (seven days from the range's
/// first, labelled by that day) or a calendar month (labelled `2026-09`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Day,
    Week,
    Month,
}

impl Grouping {
    pub const ALL: [Grouping; 3] = [Grouping::Day, Grouping::Week, Grouping::Month];

    /// The grouping a range of `days` days reads best in: a bar a day up to two months, a week
    /// up to a year (at most 53 bars), a month beyond.
    pub fn for_days(days: usize) -> Grouping {
        match days {
            0..=62 => Grouping::Day,
            63..=371 => Grouping::Week,
            _ => Grouping::Month,
        }
    }

    /// "per day", as a chart's label says it.
    pub fn noun(self) -> &'static str {
        match self {
            Grouping::Day => "per day",
            Grouping::Week => "per week",
            Grouping::Month => "per month",
        }
    }

    /// The labels of the bars and each series summed into them (`days` and every series are
    /// day by day, in order).
    pub fn group(self, days: &[String], series: &[Vec<u64>]) -> (Vec<String>, Vec<Vec<u64>>) {
        let mut labels: Vec<String> = Vec::new();
        let mut sums: Vec<Vec<u64>> = vec![Vec::new(); series.len()];
        for (i, day) in days.iter().enumerate() {
            let starts_bar = match self {
                Grouping::Day => true,
                Grouping::Week => i % 7 == 0,
                Grouping::Month => labels.last().is_none_or(|last| !day.starts_with(last.as_str())),
            };
            if starts_bar {
                labels.push(if self == Grouping::Month { day.chars().take(7).collect() } else { day.clone() });
                sums.iter_mut().for_each(|s| s.push(0));
            }
            for (sum, values) in sums.iter_mut().zip(series) {
                if let Some(last) = sum.last_mut() {
                    *last += values.get(i).copied().unwrap_or(0);
                }
            }
        }
        (labels, sums)
    }
}

/// The buttons that choose a chart's [`Grouping`].
#[component]
pub fn GroupingToggle(grouping: RwSignal<Grouping>) -> impl IntoView {
    view! {
        <div class="toggle" role="group" aria-label="Group by">
            {Grouping::ALL
                .into_iter()
                .map(|choice| {
                    let label = match choice {
                        Grouping::Day => "Per day",
                        Grouping::Week => "Per week",
                        Grouping::Month => "Per month",
                    };
                    view! {
                        <button
                            type="button"
                            aria-pressed=move || (grouping.get() == choice).to_string()
                            on:click=move |_| grouping.set(choice)
                        >
                            {label}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// The gaps between typed keys as a histogram with true widths. The buckets widen (25 ms wide
/// around 100 ms, 1,000 ms at the end), so equal bars drew the rare long gaps as if they were as
/// common as the short ones: here each bucket is a step as wide as its range on a linear time
/// axis, as high as its keys per 100 ms of gap (its area is its share of the keys).
pub fn gap_histogram(intervals: &[keytrack_wire::IntervalCount]) -> serde_json::Value {
    let mut points = Vec::with_capacity(intervals.len() + 1);
    let mut from = 0u32;
    let mut last = 0.0;
    for bucket in intervals {
        let width = bucket.le_ms.saturating_sub(from).max(1);
        last = plotted(bucket.count as f64 * 100.0 / f64::from(width));
        points.push(serde_json::json!({ "x": from, "y": last }));
        from = bucket.le_ms;
    }
    // The last step ends at the last bucket's bound.
    points.push(serde_json::json!({ "x": from, "y": last }));
    let mut options = chart_options_with_axis(false, "keys per 100 ms of gap", true);
    options["scales"]["x"]["type"] = "linear".into();
    options["scales"]["x"]["min"] = 0.into();
    options["scales"]["x"]["max"] = from.into();
    options["scales"]["x"]["title"] =
        serde_json::json!({ "display": true, "text": "gap before a key (ms)", "color": CHART_INK });
    serde_json::json!({
        "type": "line",
        "data": {
            "datasets": [{
                "label": "Keys typed after a gap of this length",
                "data": points,
                "stepped": "after",
                "fill": "origin",
                "pointRadius": 0,
                "borderColor": SECOND,
                "backgroundColor": "rgba(224,123,57,0.45)",
            }],
        },
        "options": options,
    })
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Key presses by day of the week and hour: when the user (or the team) works. The grid is one
/// tab stop; the arrow keys, Home and End move between its hours and days, and the line under it
/// says the figure of the cell pointed at or focused.
#[component]
pub fn WeekdayHour(grid: Vec<Vec<u64>>, widget: &'static str, caption: &'static str) -> impl IntoView {
    let max = grid.iter().flatten().copied().max().unwrap_or(0).max(1);
    let describe = |day: &str, hour: usize, n: u64| format!("{day} {hour:02}:00: {} key presses", count(n));
    let busiest =
        grid.iter().flatten().enumerate().max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i))).map_or(0, |(i, _)| i);
    let stop = RwSignal::new(busiest);
    let pointed = RwSignal::new(None::<String>);
    let cells = grid.len() * 24;
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let at = stop.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowLeft" if at % 24 > 0 => at - 1,
            "ArrowRight" if at % 24 < 23 => at + 1,
            "ArrowUp" if at >= 24 => at - 24,
            "ArrowDown" if at + 24 < cells => at + 24,
            "Home" => at - at % 24,
            "End" => at - at % 24 + 23,
            _ => return,
        };
        stop.set(next);
        focus_stop(&ev, next);
    };
    view! {
        <section class="card" data-widget=widget>
            <h2>"Week rhythm"</h2>
            <table class="rhythm" data-roving="" on:keydown=on_keydown>
                <caption class="muted small">{caption}</caption>
                <thead>
                    <tr>
                        <th></th>
                        {(0..24)
                            .map(|h| {
                                view! {
                                    <th scope="col">
                                        <span aria-hidden="true">{if h % 6 == 0 { format!("{h}") } else { String::new() }}</span>
                                        <span class="sr-only">{format!("{h:02}:00")}</span>
                                    </th>
                                }
                            })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {grid
                        .into_iter()
                        .zip(WEEKDAYS)
                        .enumerate()
                        .map(|(d, (row, day))| {
                            view! {
                                <tr>
                                    <th scope="row">{day}</th>
                                    {row
                                        .into_iter()
                                        .enumerate()
                                        .map(|(hour, n)| {
                                            let i = d * 24 + hour;
                                            let said = describe(day, hour, n);
                                            let (hovered, focused) = (said.clone(), said.clone());
                                            view! {
                                                <td
                                                    title=said.clone()
                                                    aria-label=said
                                                    tabindex=move || if stop.get() == i { "0" } else { "-1" }
                                                    data-stop=i
                                                    style=format!("--heat: {:.3}", n as f64 / max as f64)
                                                    on:mouseenter=move |_| pointed.set(Some(hovered.clone()))
                                                    on:focus=move |_| {
                                                        stop.set(i);
                                                        pointed.set(Some(focused.clone()));
                                                    }
                                                ></td>
                                            }
                                        })
                                        .collect_view()}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <HeatLegend class="keys"/>
            <p class="muted small" data-testid=format!("{widget}-readout") aria-live="polite">
                {move || pointed.get().unwrap_or_else(|| "Point at or focus an hour to see its key presses.".to_string())}
            </p>
        </section>
    }
}

/// A small line of values over the days of the range (the trend of one shortcut).
#[component]
pub fn Sparkline(values: Vec<u64>, label: String) -> impl IntoView {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = if values.len() > 1 { 100.0 / (values.len() - 1) as f64 } else { 0.0 };
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{:.1},{:.1}", i as f64 * step, 18.0 - 16.0 * *n as f64 / max))
        .collect();
    view! {
        <svg class="sparkline" viewBox="0 0 100 20" preserveAspectRatio="none" role="img" aria-label=label>
            <polyline points=points.join(" ")/>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use keytrack_wire::IntervalCount;

    use super::{gap_histogram, plotted};

    #[test]
    fn plotted_figures_keep_four_significant_digits() {
        assert_eq!(plotted(1.6149), 1.615);
        assert_eq!(plotted(1.6541), 1.654);
        // Values one decimal drew as the same 1.6 stay apart.
        assert_ne!(plotted(1.615), plotted(1.634));
        assert_eq!(plotted(46.537), 46.54);
        assert_eq!(plotted(0.012_345), 0.012_35);
        assert_eq!(plotted(123_456.0), 123_500.0);
        assert_eq!(plotted(-7.654_32), -7.654);
        assert_eq!(plotted(0.0), 0.0);
        assert_eq!(serde_json::json!(plotted(1.615)).to_string(), "1.615");
    }

    #[test]
    fn gap_steps_are_as_wide_as_their_buckets_and_as_high_as_their_density() {
        let intervals = [
            IntervalCount { le_ms: 50, count: 100 },
            IntervalCount { le_ms: 75, count: 100 },
            IntervalCount { le_ms: 1_000, count: 100 },
        ];
        let config = gap_histogram(&intervals);
        let points = &config["data"]["datasets"][0]["data"];
        let xy: Vec<(u64, f64)> = points
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| (p["x"].as_u64().unwrap_or(u64::MAX), p["y"].as_f64().unwrap_or(f64::NAN)))
            .collect();
        // The same 100 keys in each: 200 per 100 ms in a 50 ms bucket, 400 in a 25 ms one, 10.8 in 925 ms.
        assert_eq!(xy, vec![(0, 200.0), (50, 400.0), (75, 10.81), (1_000, 10.81)]);
        assert_eq!(config["options"]["scales"]["x"]["type"], "linear");
        assert_eq!(config["options"]["scales"]["x"]["max"], 1_000);
    }
}
